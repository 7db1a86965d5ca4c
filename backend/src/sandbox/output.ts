import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { RUN_USER_PREFIX } from './users.js';

export type StreamName = 'stdout' | 'stderr';

export interface OutputChunk {
  stream: StreamName;
  text: string;
}

/** Each stream's text, and both interleaved in the order they came; every piece passed on to `onChunk`. */
class StreamTexts {
  private readonly text: Record<StreamName, string> = { stdout: '', stderr: '' };
  private combined = '';

  constructor(private readonly onChunk?: (chunk: OutputChunk) => void) {}

  protected append(stream: StreamName, text: string): void {
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

/**
 * Collects stdout and stderr separately, each capped at `capBytes`, and keeps their
 * interleaving in arrival order. Decoding is streaming UTF-8 with replacement characters:
 * a multi-byte character split across reads is joined, invalid bytes become U+FFFD.
 */
export class OutputCollector extends StreamTexts {
  private readonly decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  private readonly bytes = { stdout: 0, stderr: 0 };
  truncated = false;

  constructor(
    private readonly capBytes: number,
    onChunk?: (chunk: OutputChunk) => void,
    /** Each stream's bytes as they came, up to the cap (the text may have lost some: invalid UTF-8). */
    private readonly onBytes?: (stream: StreamName, data: Buffer) => void,
  ) {
    super(onChunk);
  }

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
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Run homes in the paths a run prints, as one pattern: `<home>/` and Node's `file://<home>/`
 * (ES modules' and TypeScript's traces name files by URL). Any run home beside this one:
 * a cached build was compiled in another run's home, and Go's binaries keep that path.
 */
function homePattern(home: string): { pattern: RegExp; start: string } {
  const parent = path.dirname(home);
  const generic = path.basename(home).startsWith(RUN_USER_PREFIX);
  const start = generic ? `${parent}/${RUN_USER_PREFIX}` : `${home}/`;
  const rest = generic ? '[0-9a-f]+/' : '';
  return { pattern: new RegExp(`(?:file://)?${escapeRegExp(start)}${rest}`, 'g'), start };
}

/**
 * `text` with the paths in run homes as the user named the files: `<home>/main.py` is
 * main.py (the home is the run's own directory, named after its random id, and its working
 * directory). A home without a file after it is left as it is.
 */
export function withoutHome(text: string, home: string): string {
  return text.replace(homePattern(home).pattern, '');
}

/**
 * How long the end of a chunk that may be the start of a path in the home waits for the
 * rest of it, with someone watching the output as it comes: the rest of a write split
 * between two reads follows at once, and a prompt that ends in "/" is not held up for long.
 */
const HOLD_MS = 20;

/**
 * A run's output with paths in its home shown as the user's file names (withoutHome), as it
 * arrives: for each stream it is given, a chunk's end that may be the start of such a path
 * ("…/ho") waits for that stream's next chunk, or (with `emit`, someone watching) HOLD_MS at
 * most, so a path split between two reads is still found. With nobody watching, nothing
 * waits on a clock, and the text is exactly what withoutHome makes of the whole stream.
 * Keeps the streams and their interleaving as they were passed on.
 */
export class HomeRelativeOutput extends StreamTexts {
  private readonly pattern: RegExp;
  /** the prefixes a chunk's end is checked against: the homes' path and its file:// URL */
  private readonly prefixes: readonly string[];
  /** a chunk's end that is a home's path up to its last hex digit, the '/' still to come */
  private readonly unfinished: RegExp;
  private readonly held: Record<StreamName, string> = { stdout: '', stderr: '' };
  private timer: NodeJS.Timeout | null = null;

  constructor(
    home: string,
    /** the streams whose paths are rewritten; the others pass as they are */
    private readonly streams: ReadonlySet<StreamName>,
    private readonly emit?: (chunk: OutputChunk) => void,
  ) {
    super(emit);
    const { pattern, start } = homePattern(home);
    this.pattern = pattern;
    this.prefixes = [start, `file://${start}`];
    this.unfinished = new RegExp(`(?:file://)?${escapeRegExp(start)}[0-9a-f]*$`);
  }

  /** Takes a chunk as the collector passes it on. */
  readonly push = (chunk: OutputChunk): void => {
    if (!this.streams.has(chunk.stream)) return this.append(chunk.stream, chunk.text);
    const text = this.held[chunk.stream] + chunk.text;
    // one pass: the paths taken out, and where the last one ended; past it, the longest end
    // that may still become one waits
    let searchedTo = 0;
    const rewritten = text.replace(this.pattern, (found: string, at: number) => {
      searchedTo = at + found.length;
      return '';
    });
    const waiting = this.partialEnd(text, searchedTo);
    this.held[chunk.stream] = text.slice(text.length - waiting);
    this.append(chunk.stream, rewritten.slice(0, rewritten.length - waiting));
    if (waiting > 0 && this.emit && !this.timer) this.timer = setTimeout(() => this.release(), HOLD_MS);
  };

  /** Passes on what still waits: the output has ended (or waited long enough). */
  release(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.held[stream];
      this.held[stream] = '';
      this.append(stream, rest);
    }
  }

  /** The length of the longest end of `text` (after `from`) that begins a prefix without being all of it. */
  private partialEnd(text: string, from: number): number {
    const begun = this.unfinished.exec(text.slice(from));
    if (begun) return begun[0].length;
    const longest = Math.min(text.length - from, Math.max(...this.prefixes.map((p) => p.length)) - 1);
    for (let n = longest; n > 0; n--) {
      const end = text.slice(text.length - n);
      if (this.prefixes.some((p) => p.startsWith(end))) return n;
    }
    return 0;
  }
}
