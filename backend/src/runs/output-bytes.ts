import type { ExecuteResponse } from '../protocol.js';

export type OutputStream = 'stdout' | 'stderr' | 'output';

/**
 * A run's output bytes as the program wrote them (each stream up to its cap), taken from
 * the run's `onOutputBytes` hook: what the result's text lost where the program wrote
 * something that is not UTF-8. `output` is both streams in the order they came.
 */
export class OutputBytes {
  private readonly chunks: Record<OutputStream, Buffer[]> = { stdout: [], stderr: [], output: [] };

  readonly push = (stream: 'stdout' | 'stderr', data: Buffer): void => {
    this.chunks[stream].push(data);
    this.chunks.output.push(data);
  };

  get streams(): Record<OutputStream, Buffer> {
    return { stdout: Buffer.concat(this.chunks.stdout), stderr: Buffer.concat(this.chunks.stderr), output: Buffer.concat(this.chunks.output) };
  }

  /**
   * The streams (as base64) whose text in `result` is not their bytes (invalid UTF-8 became
   * U+FFFD), for a queued submission to keep; undefined when every text is its bytes.
   */
  lostIn(result: Record<OutputStream, string>): Partial<Record<OutputStream, string>> | undefined {
    const lost: Partial<Record<OutputStream, string>> = {};
    for (const [stream, bytes] of Object.entries(this.streams) as [OutputStream, Buffer][]) {
      if (!bytes.equals(Buffer.from(result[stream]))) lost[stream] = bytes.toString('base64');
    }
    return Object.keys(lost).length ? lost : undefined;
  }
}

/**
 * The result with its output as base64 (`encoding: "base64"`): stdout, stderr and output of
 * the bytes the program wrote (`raw`), and where it wrote none, of their text as UTF-8 (a
 * compile error's message, which is the compiler's text); compile.output of its text.
 */
export function base64Result(result: ExecuteResponse, raw: Partial<Record<OutputStream, Buffer>>): ExecuteResponse {
  const encoded = (stream: OutputStream) => {
    const bytes = raw[stream];
    return (bytes && bytes.length > 0 ? bytes : Buffer.from(result[stream])).toString('base64');
  };
  return {
    ...result,
    encoding: 'base64',
    stdout: encoded('stdout'),
    stderr: encoded('stderr'),
    output: encoded('output'),
    compile: result.compile && { ...result.compile, output: Buffer.from(result.compile.output).toString('base64') },
  };
}
