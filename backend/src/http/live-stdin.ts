import { PassThrough } from 'node:stream';
import type { WebSocket } from 'ws';
import { TerminalInput, type TerminalSize } from '../sandbox/terminal-input.js';

/** A terminal's end of input: Ctrl+D, which its line discipline turns into a read of 0 bytes. */
const TERMINAL_EOF = '\x04';

/**
 * A live run's stdin: what its client sends, on the way to the program through a pipe the
 * program reads at its own pace. Input it has not read yet waits in the server, at most
 * `bufferKb` (RUNBOX_LIVE_STDIN_BUFFER_KB) plus the message that passed it. Past that the
 * server stops reading the client's connection until the program has read what waits, as a
 * full pipe blocks its writer: TCP holds the client's next messages back (in the client),
 * and nothing is refused or lost. A program that never reads keeps its client waiting; the
 * idle limit ends it, since input the server does not read is no activity.
 *
 * With a terminal (`start` asked for one) the input goes to the program's pseudo-terminal
 * instead, with the window's size, under the same back-pressure.
 *
 * While the connection is not read, nothing else the client sends is heard either: a `kill`
 * queues behind the input, and a client that hangs up is noticed when output to it fails
 * or, for a silent program, at the idle limit.
 */
export class LiveStdin {
  /** what the run's program reads: handed to the jail, which pipes it to the program's stdin (or terminal) */
  readonly input: PassThrough | TerminalInput;
  private readonly stream: PassThrough;
  private ended = false;

  constructor(
    private readonly ws: WebSocket,
    bufferKb: number,
    terminal?: TerminalSize,
  ) {
    // write() says false once this much waits unread; the readable side keeps its small default
    this.input = terminal ? new TerminalInput(terminal, bufferKb * 1024) : new PassThrough({ writableHighWaterMark: bufferKb * 1024 });
    this.stream = this.input instanceof TerminalInput ? this.input.stream : this.input;
  }

  /** Whether input is still taken (no stdin-eof yet, the run not over). */
  get open(): boolean {
    return !this.ended && !this.stream.writableEnded;
  }

  /** Passes `data` on; once the buffer is full, reads of the connection wait for the program. */
  write(data: string): void {
    if (this.input.write(data) || this.ws.isPaused) return;
    this.ws.pause();
    this.stream.once('drain', () => this.ws.resume());
  }

  /** A new window size, for a terminal. */
  resize(size: TerminalSize): void {
    if (this.input instanceof TerminalInput && !this.stream.writableEnded) this.input.resize(size);
  }

  /**
   * The end of the input (stdin-eof): the program reads to the end of what waits, then EOF.
   * On a terminal that is Ctrl+D, as a person would type it.
   */
  end(): void {
    if (this.input instanceof TerminalInput) {
      if (this.open) this.write(TERMINAL_EOF);
      this.ended = true;
    } else this.stream.end();
  }

  /**
   * The run is over: the program gets EOF, input it never read is dropped with the session,
   * and the connection is read again so that its closing handshake can be heard.
   */
  close(): void {
    this.stream.end();
    this.ws.resume();
  }
}

