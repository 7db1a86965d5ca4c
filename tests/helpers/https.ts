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
