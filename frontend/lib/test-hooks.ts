/**
 * Hooks the browser tests use instead of typing whole programs through Monaco's
 * auto-indent and bracket closing (one test still types real keys).
 */
declare global {
  interface Window {
    /** Set or read the code of the tab shown (the current language's program). */
    runbox?: { setCode(code: string): void; getCode(): string };
    /**
     * The markers runbox put on the current model; `owner` names another marker owner
     * instead ("typescript": Monaco's TypeScript worker).
     */
    runboxEditor?: { markers(owner?: string): { line: number; message: string }[] };
    /**
     * What the console shows: all of it, and only what is drawn in the stderr colour; its window
     * in characters; drawn() resolves once xterm has parsed every write so far (it draws them
     * asynchronously).
     */
    runboxConsole?: { text(): string; stderr(): string; size(): { cols: number; rows: number }; drawn(): Promise<void> };
  }
}

export {};
