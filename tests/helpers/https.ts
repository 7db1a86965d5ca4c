import http from 'node:http';
import https from 'node:https';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * One HTTP(S) request as a client following README would make it: the certificate checked
 * against `ca` (nginx's generated CA) for the name localhost, a JSON body when one is given.
 */
export function request(url: string, { method = 'GET', body, headers = {}, ca }: { method?: string; body?: string; headers?: Record<string, string>; ca?: string } = {}): Promise<Reply> {
  const u = new URL(url);
  const client = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      u,
      { method, headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }, ca, servername: 'localhost', agent: false },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export type JsonReply = Reply & { json: any };

/** JSON requests to `base()` (a deployment behind nginx), trusting `ca()`: a body is sent as JSON, a JSON answer parsed. */
export function jsonClient(base: () => string, ca: () => string) {
  return (path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<JsonReply> =>
    request(base() + path, { method: init.method, body: init.body === undefined ? undefined : JSON.stringify(init.body), headers: init.headers, ca: ca() }).then((r) => ({
      ...r,
      json: /^[[{]/.test(r.body) ? JSON.parse(r.body) : null,
    }));
}
