import { PassThrough } from 'node:stream';
import { MAX_TERMINAL_SIDE, type TerminalSize } from '../live-protocol.js';

export type { TerminalSize };

/** The most input one frame carries (the relay's own cap is 1 MiB). */
const FRAME_BYTES = 64 * 1024;

/**
 * A live run's input when the program has a terminal: what is typed and the window's size,
 * on one stream to the jail's supervisor, which relays it into the terminal (runbox-jail.c,
 * relay()). Each goes as a frame: 'd', a 4-byte big-endian length, the bytes; or 'w', 4,
 * then columns and rows as 2 bytes each. Keystrokes go through the terminal's line
 * discipline there: Ctrl+C (\x03) interrupts, Ctrl+D (\x04) ends a line of input.
 */
export class TerminalInput {
  /** the framed stream the jail reads; its back-pressure is the program's reading pace */
  readonly stream: PassThrough;

  constructor(
    /** the window the program starts with */
    readonly size: TerminalSize,
    /** write() says false once this much waits unread */
    bufferBytes = 16 * 1024,
  ) {
    checkSize(size);
    this.stream = new PassThrough({ writableHighWaterMark: bufferBytes });
  }

  /** Keystrokes (or pasted text) for the terminal; false once the program is behind in reading. */
  write(data: string | Buffer): boolean {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    let flowing = true;
    // frames of at most FRAME_BYTES: the relay refuses a larger one
    for (let at = 0; at < bytes.length; at += FRAME_BYTES) {
      const part = bytes.subarray(at, at + FRAME_BYTES);
      const header = Buffer.alloc(5);
      header.write('d', 0, 'latin1');
      header.writeUInt32BE(part.length, 1);
      flowing = this.stream.write(Buffer.concat([header, part]));
    }
    return flowing;
  }

  /**
   * A new window size: the program gets SIGWINCH. Only the latest counts: while earlier
   * input waits unread, a size waits with it and a newer one replaces it, so a client
   * resizing without end holds nine bytes here, never a queue.
   */
  resize(size: TerminalSize): void {
    checkSize(size);
    const waiting = this.pendingSize !== null;
    this.pendingSize = size;
    if (waiting) return;
    if (!this.stream.writableNeedDrain) return this.sendSize();
    this.stream.once('drain', () => this.sendSize());
  }

  private pendingSize: TerminalSize | null = null;

  private sendSize(): void {
    const size = this.pendingSize;
    this.pendingSize = null;
    if (!size || this.stream.writableEnded) return;
    const frame = Buffer.alloc(9);
    frame.write('w', 0, 'latin1');
    frame.writeUInt32BE(4, 1);
    frame.writeUInt16BE(size.cols, 5);
    frame.writeUInt16BE(size.rows, 7);
    this.stream.write(frame);
  }

  /** No more input: the terminal itself stays open for the program (a terminal's end of input is Ctrl+D). */
  end(): void {
    this.stream.end();
  }
}

function checkSize({ cols, rows }: TerminalSize): void {
  for (const side of [cols, rows]) {
    if (!Number.isInteger(side) || side < 1 || side > MAX_TERMINAL_SIDE) throw new RangeError(`a terminal side must be a whole number from 1 to ${MAX_TERMINAL_SIDE}, not ${side}`);
  }
}
