import { PassThrough } from 'node:stream';
import { MAX_TERMINAL_SIDE, type TerminalSize } from '../live-protocol.js';

export type { TerminalSize };

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
    if (bytes.length === 0) return true;
    const header = Buffer.alloc(5);
    header.write('d', 0, 'latin1');
    header.writeUInt32BE(bytes.length, 1);
    return this.stream.write(Buffer.concat([header, bytes]));
  }

  /** A new window size: the program gets SIGWINCH. */
  resize(size: TerminalSize): void {
    checkSize(size);
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
