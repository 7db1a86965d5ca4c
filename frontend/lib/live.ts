import { LIVE_PATH, liveServerMessageSchema, type LiveClientMessage, type TerminalSize } from '../../backend/src/live-protocol.js';
import { API_BASE, ApiError, describeRefusal, type CompileResult, type ExecuteResponse, type ProgramInput } from './api.js';

/** What a live run tells the page while it goes on. */
export interface LiveEvents {
  onStarted?(id: string): void;
  onCompiled?(compile: CompileResult): void;
  onOutput(stream: 'stdout' | 'stderr', text: string): void;
  /** The server refused something the page sent but the run goes on (input over the cap). */
  onNotice?(message: string): void;
}

export interface LiveResult {
  result: ExecuteResponse;
  /** why the server stopped the run, when it did */
  reason?: string;
}

/** The WebSocket address of the API: the page's own origin unless the API lives apart. */
function liveUrl(): string {
  const url = new URL(`${API_BASE}${LIVE_PATH}`, window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

/**
 * One live run over /api/live: its output comes through `events` as it happens, input
 * typed meanwhile goes to the program, and `done` settles with the result (or an ApiError
 * in words for the person at the keyboard). Input given in advance is all of the input, as
 * for /api/execute (a program reading to the end of its input ends); without any, the
 * input is what the visitor types.
 */
export class LiveRun {
  readonly done: Promise<LiveResult>;
  private readonly ws: WebSocket;
  private readonly onTerminal: boolean;

  /**
   * With `terminal` (the console's size) the program runs on a pseudo-terminal: write()
   * sends keys to it and resize() follows the console; without, it has pipes.
   */
  constructor(input: ProgramInput, visitor: string | null, events: LiveEvents, terminal?: TerminalSize) {
    this.onTerminal = terminal !== undefined;
    this.ws = new WebSocket(liveUrl());
    this.done = new Promise<LiveResult>((resolve, reject) => {
      let opened = false;
      let outcome: LiveResult | null = null;
      let refusal: string | null = null;
      /** the connection was turned away before the run: the server's words for it, as for a fetch */
      let turnedAway: ApiError | null = null;
      this.ws.onopen = () => {
        opened = true;
        const program = input.files ? { files: input.files } : { code: input.code ?? '' };
        this.send({ type: 'start', language: input.language, ...program, stdin: input.stdin, args: input.args, ...(visitor ? { visitor } : {}), ...(terminal ? { terminal } : {}) });
        if (input.stdin) this.endInput();
      };
      this.ws.onmessage = (event) => {
        const parsed = typeof event.data === 'string' ? safeParse(event.data) : null;
        if (!parsed) {
          refusal = 'The server sent something this page does not understand.';
          return this.ws.close();
        }
        switch (parsed.type) {
          case 'started':
            return events.onStarted?.(parsed.id);
          case 'compile':
            return events.onCompiled?.(parsed.result);
          case 'stdout':
          case 'stderr':
            return events.onOutput(parsed.type, parsed.data);
          case 'exit':
            outcome = { result: parsed.result, ...(parsed.reason ? { reason: parsed.reason } : {}) };
            return;
          case 'error':
            // input the server refused is a notice; anything else ends the connection next
            if (parsed.field === 'stdin') return events.onNotice?.(parsed.message);
            if (parsed.status !== undefined) turnedAway = describeRefusal(parsed.status, parsed);
            refusal = parsed.message;
        }
      };
      this.ws.onclose = () => {
        if (outcome) return resolve(outcome);
        if (turnedAway) return reject(turnedAway);
        if (refusal) return reject(new ApiError(`The run was refused: ${refusal}`));
        if (opened) return reject(new ApiError('The connection to the server was lost; the run was stopped.'));
        void whyRefused().then((message) => reject(new ApiError(message)));
      };
    });
  }

  /** A line (or any text) the visitor typed, for the program's stdin. */
  write(text: string): void {
    this.send({ type: 'stdin', data: text });
  }

  /** The end of the input (Ctrl+D). */
  endInput(): void {
    this.send({ type: 'stdin-eof' });
  }

  /** The console's new size, for a program on a terminal. */
  resize(size: TerminalSize): void {
    if (this.onTerminal) this.send({ type: 'resize', ...size });
  }

  /** Stops the program; `done` still settles, with the status `killed`. */
  kill(): void {
    this.send({ type: 'kill' });
  }

  private send(message: LiveClientMessage): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }
}

function safeParse(text: string) {
  try {
    const parsed = liveServerMessageSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * A browser is not told why a WebSocket was refused; the server's health says whether it
 * was the cap on live runs.
 */
async function whyRefused(): Promise<string> {
  try {
    const res = await fetch(`${API_BASE}/api/health`, { cache: 'no-store' });
    const body = (await res.json()) as { runs?: { live?: { active: number; max: number } } };
    const live = body.runs?.live;
    if (live && live.active >= live.max) return `The server is running as many live programs as it allows (${live.max}). Try again in a moment.`;
    if (res.ok) return 'The server refused the live connection. Try again in a moment.';
  } catch {
    // not reachable at all
  }
  return 'Cannot reach the runbox server. Check that it is running and try again.';
}
