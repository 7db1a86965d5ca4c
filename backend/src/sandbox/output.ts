import { StringDecoder } from 'node:string_decoder';

export type StreamName = 'stdout' | 'stderr';

export interface OutputChunk {
  stream: StreamName;
  text: string;
}

/**
 * Collects stdout and stderr separately, each capped at `capBytes`, and keeps their
 * interleaving in arrival order. Decoding is streaming UTF-8 with replacement characters:
 * a multi-byte character split across reads is joined, invalid bytes become U+FFFD.
 */
export class OutputCollector {
  private readonly decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  private readonly bytes = { stdout: 0, stderr: 0 };
  private readonly text = { stdout: '', stderr: '' };
  private combined = '';
  truncated = false;

  constructor(
    private readonly capBytes: number,
    private readonly onChunk?: (chunk: OutputChunk) => void,
    /** Each stream's bytes as they came, up to the cap (the text may have lost some: invalid UTF-8). */
    private readonly onBytes?: (stream: StreamName, data: Buffer) => void,
  ) {}

  /** Takes a chunk; returns false once the stream went over its cap (the rest is dropped). */
  push(stream: StreamName, data: Buffer): boolean {
    const room = this.capBytes - this.bytes[stream];
    const accepted = data.length > room ? data.subarray(0, Math.max(room, 0)) : data;
    this.bytes[stream] += accepted.length;
    if (accepted.length > 0) this.onBytes?.(stream, accepted);
    this.append(stream, this.decoders[stream].write(accepted));
    if (data.length > room) {
      this.truncated = true;
      return false;
    }
    return true;
  }

  /** Flushes bytes of an incomplete character at the end of either stream. */
  finish(): void {
    for (const stream of ['stdout', 'stderr'] as const) this.append(stream, this.decoders[stream].end());
  }

  private append(stream: StreamName, text: string): void {
    if (!text) return;
    this.text[stream] += text;
    this.combined += text;
    this.onChunk?.({ stream, text });
  }

  get stdout(): string {
    return this.text.stdout;
  }
  get stderr(): string {
    return this.text.stderr;
  }
  get output(): string {
    return this.combined;
  }
}
