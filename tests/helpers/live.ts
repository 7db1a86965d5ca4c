import { WebSocket, type ClientOptions } from 'ws';
import { liveServerMessageSchema, type LiveClientMessage, type LiveServerMessage } from '../../backend/src/live-protocol.js';

export interface Received {
  message: LiveServerMessage;
  /** ms since the connection opened */
  at: number;
}

export type Exit = Extract<LiveServerMessage, { type: 'exit' }>;

/**
 * A real WebSocket client of /api/live, as any program would write one: every message the
 * server sends is checked against the shared schema and kept with its arrival time.
 */
export class LiveClient {
  readonly received: Received[] = [];
  /** how the connection closed: the code and reason the server sent */
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly opened = performance.now();
  private readonly waiters = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.received.push({ message: liveServerMessageSchema.parse(JSON.parse(data.toString())), at: performance.now() - this.opened });
      for (const wake of this.waiters) wake();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    void this.closed.then(() => {
      for (const wake of this.waiters) wake();
    });
  }

  /** Opens a connection; rejects with the HTTP status when the server refuses the upgrade. */
  static open(url: string, options: ClientOptions = {}): Promise<LiveClient> {
    const ws = new WebSocket(url.replace(/^http/, 'ws') + '/api/live', options);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new LiveClient(ws)));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode, body, headers: res.headers })));
      });
      ws.once('error', reject);
    });
  }

  /** Opens a connection and starts a run. */
  static async start(url: string, start: Omit<Extract<LiveClientMessage, { type: 'start' }>, 'type'>): Promise<LiveClient> {
    const client = await LiveClient.open(url);
    client.send({ type: 'start', ...start });
    return client;
  }

  send(message: LiveClientMessage | Record<string, unknown>): void {
    this.ws.send(JSON.stringify(message));
  }

  messages(): LiveServerMessage[] {
    return this.received.map((r) => r.message);
  }

  /** stdout and stderr as the client saw them, in order. */
  text(stream?: 'stdout' | 'stderr'): string {
    return this.messages()
      .map((m) => ((m.type === 'stdout' || m.type === 'stderr') && (!stream || m.type === stream) ? m.data : ''))
      .join('');
  }

  /** The first message that satisfies `match` (each message is offered once, in order), once it has arrived. */
  async waitFor(match: (m: LiveServerMessage) => boolean, ms = 30000): Promise<Received> {
    const deadline = performance.now() + ms;
    let next = 0;
    for (;;) {
      while (next < this.received.length) {
        const r = this.received[next++]!;
        if (match(r.message)) return r;
      }
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`closed before the message came: ${JSON.stringify(this.messages())}`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out; got ${JSON.stringify(this.messages())}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
  }

  /** The message with which the output so far first contains `text`. */
  waitForOutput(text: string, ms?: number): Promise<Received> {
    let seen = '';
    return this.waitFor((m) => {
      if (m.type === 'stdout' || m.type === 'stderr') seen += m.data;
      return seen.includes(text);
    }, ms);
  }

  async exit(ms?: number): Promise<Exit> {
    return (await this.waitFor((m) => m.type === 'exit', ms)).message as Exit;
  }

  close(): void {
    this.ws.close();
  }
}
