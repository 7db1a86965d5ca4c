import { PassThrough } from 'node:stream';
import type { WebSocket } from 'ws';

/**
 * A live run's stdin: what its client sends, on the way to the program through a pipe the
 * program reads at its own pace. Input it has not read yet waits in the server, at most
 * `bufferKb` (RUNBOX_LIVE_STDIN_BUFFER_KB) plus the message that passed it. Past that the
 * server stops reading the client's connection until the program has read what waits, as a
 * full pipe blocks its writer: TCP holds the client's next messages back (in the client),
 * and nothing is refused or lost. A program that never reads keeps its client waiting; the
 * idle limit ends it, since input the server does not read is no activity.
 *
 * While the connection is not read, nothing else the client sends is heard either: a `kill`
 * queues behind the input, and a client that hangs up is noticed when output to it fails
 * or, for a silent program, at the idle limit.
 */
export class LiveStdin {
  /** what the run's program reads: handed to the jail, which pipes it to the program's stdin */
  readonly stream: PassThrough;

  constructor(
    private readonly ws: WebSocket,
    bufferKb: number,
  ) {
    // write() says false once this much waits unread; the readable side keeps its small default
    this.stream = new PassThrough({ writableHighWaterMark: bufferKb * 1024 });
  }

  /** Passes `data` on; once the buffer is full, reads of the connection wait for the program. */
  write(data: string): void {
    if (this.stream.write(data) || this.ws.isPaused) return;
    this.ws.pause();
    this.stream.once('drain', () => this.ws.resume());
  }

  /** The end of the input (stdin-eof): the program reads to the end of what waits, then EOF. */
  end(): void {
    this.stream.end();
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

