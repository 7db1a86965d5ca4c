/**
 * The playground's server: Next.js, plus the one thing a Next route handler cannot do,
 * passing WebSocket upgrades of /api/live (and Piston's /api/v2/connect) on to the API, so
 * the page keeps talking to its own origin only. Every other /api request goes through app/api/[...path]/route.ts.
 *
 *   node frontend/server.ts [-H host] [-p port] [--dev]
 *
 * The API's address is RUNBOX_API_URL (default http://127.0.0.1:3000), read at start.
 */
import http, { type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** the API's WebSocket paths: live runs (LIVE_PATH in backend/src/live-protocol.ts) and Piston's (backend/src/http/piston/protocol.ts) */
const SOCKET_PATHS = new Set(['/api/live', '/api/v2/connect']);

const { values: options } = parseArgs({
  options: {
    hostname: { type: 'string', short: 'H', default: '0.0.0.0' },
    port: { type: 'string', short: 'p', default: '3000' },
    dev: { type: 'boolean', default: false },
  },
});
const dev = options.dev ?? false;
const hostname = options.hostname ?? '0.0.0.0';
const port = Number(options.port);
const apiUrl = new URL(process.env.RUNBOX_API_URL || 'http://127.0.0.1:3000');

// as `next start` does, before Next is loaded (Next's types make NODE_ENV read-only)
const env = process.env as Record<string, string | undefined>;
env.NODE_ENV ??= dev ? 'development' : 'production';
env.NEXT_TELEMETRY_DISABLED ??= '1';
const { default: next } = await import('next');

// Next hooks its own upgrade handler onto the server it is given (else the first request's):
// that one would end /api/live, which its route handler matches. It gets a server that
// never listens; this file decides which upgrades reach Next (hot reload in dev).
const app = next({ dev, dir: path.dirname(fileURLToPath(import.meta.url)), hostname, port, httpServer: new http.Server() });
const handle = app.getRequestHandler();
await app.prepare();

const server = http.createServer((req, res) => {
  forwardedFor(req);
  void handle(req, res);
});
server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
  socket.on('error', () => undefined);
  const pathname = new URL(req.url ?? '/', 'http://playground').pathname;
  forwardedFor(req);
  if (SOCKET_PATHS.has(pathname)) return proxyLive(req, socket, head, pathname);
  if (dev) return void app.getUpgradeHandler()(req, socket, head); // hot reload
  socket.destroy();
});
server.listen(port, hostname, () => console.log(JSON.stringify({ message: 'playground listening', url: `http://${hostname}:${port}`, api: apiUrl.origin })));

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  });
}

/**
 * Passes a live run's WebSocket on to the API: the handshake goes up, the API's answer
 * (101, or a refusal such as 503 for too many live runs) comes back, then bytes flow both
 * ways untouched. Only a page of this playground's own origin may connect through it: it
 * answers for the visitor's browser, as the API's own origin check would.
 */
function proxyLive(req: IncomingMessage, socket: Duplex, head: Buffer, pathname: string): void {
  const origin = req.headers.origin;
  const host = req.headers['x-forwarded-host']?.toString().split(',')[0]?.trim() ?? req.headers.host;
  if (origin !== undefined && originHost(origin) !== host && originHost(origin) !== req.headers.host) {
    return answer(socket, 403, { error: 'Forbidden', message: 'live runs open only from this playground' });
  }
  const headers: Record<string, string> = {
    connection: 'Upgrade',
    upgrade: 'websocket',
    'x-forwarded-host': host ?? '',
    'x-forwarded-proto': req.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http',
  };
  const forwarded = req.headers['x-forwarded-for'];
  if (forwarded) headers['x-forwarded-for'] = String(forwarded);
  // the API tells a browser (one with an Origin) why it turned a connection away over the
  // WebSocket itself, since a page never sees a refused upgrade's answer
  if (origin !== undefined) headers.origin = origin;
  for (const name of ['sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol']) {
    const value = req.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  const upstream = http.request(new URL(pathname, apiUrl), { method: 'GET', headers });
  upstream.on('upgrade', (res, apiSocket, apiHead) => {
    socket.write(statusLine(101, res.statusMessage) + headerLines(res.rawHeaders));
    if (apiHead.length) socket.write(apiHead);
    if (head.length) apiSocket.write(head);
    apiSocket.on('error', () => socket.destroy());
    socket.on('error', () => apiSocket.destroy());
    apiSocket.on('close', () => socket.destroy());
    socket.on('close', () => apiSocket.destroy());
    apiSocket.pipe(socket).pipe(apiSocket);
  });
  upstream.on('response', (res) => {
    socket.write(statusLine(res.statusCode ?? 502, res.statusMessage) + headerLines(res.rawHeaders));
    res.pipe(socket);
  });
  upstream.on('error', () => answer(socket, 502, { error: 'Bad gateway', message: 'the runbox API cannot be reached' }));
  socket.on('close', () => upstream.destroy());
  upstream.end();
}

function originHost(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}

const statusLine = (status: number, message?: string) => `HTTP/1.1 ${status} ${message || http.STATUS_CODES[status] || ''}\r\n`;

function headerLines(raw: string[]): string {
  let lines = '';
  for (let i = 0; i + 1 < raw.length; i += 2) lines += `${raw[i]}: ${raw[i + 1]}\r\n`;
  return `${lines}\r\n`;
}

function answer(socket: Duplex, status: number, body: object): void {
  if (socket.destroyed) return;
  const text = JSON.stringify(body);
  socket.end(`${statusLine(status)}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
}

/**
 * Appends the address this request came from to X-Forwarded-For, as a proxy does: the API
 * counts anonymous quotas per client address, and without it every visitor of the playground
 * would share the playground's one address. The API believes the list only from proxies it
 * trusts (RUNBOX_TRUST_PROXY: loopback by default, where this server is) and takes the last
 * address it does not trust, so what a client writes there itself is never taken for it.
 */
function forwardedFor(req: IncomingMessage): void {
  const from = req.socket.remoteAddress;
  if (!from) return;
  const prior = req.headers['x-forwarded-for'];
  req.headers['x-forwarded-for'] = prior ? `${String(prior)}, ${from}` : from;
}
