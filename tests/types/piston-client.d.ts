/** piston-client ships no types: what its index.js exports, as the tests use it. */
declare module 'piston-client' {
  interface PistonClientOptions {
    server?: string;
  }
  interface PistonExecuteOptions {
    language?: string;
    version?: string;
    files?: { name?: string; content: string; encoding?: string }[];
    stdin?: string;
    args?: string[];
    compileTimeout?: number;
    runTimeout?: number;
    compileMemoryLimit?: number;
    runMemoryLimit?: number;
  }
  interface PistonClient {
    runtimes(): Promise<any>;
    execute(language: string, code: string, options?: PistonExecuteOptions): Promise<any>;
    execute(options: PistonExecuteOptions): Promise<any>;
  }
  export function piston(options?: PistonClientOptions): PistonClient;
  export default piston;
}
