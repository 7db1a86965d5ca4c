import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './net.js';

export const NGINX_TEMPLATE = 'nginx/templates/runbox.conf.template';

/**
 * Renders the repo's nginx template the way the nginx image does (envsubst of the given
 * variables only; nginx's own $variables stay), so tests run the very file production runs.
 */
export function renderNginxTemplate(vars: Record<string, string>): string {
  const text = readFileSync(NGINX_TEMPLATE, 'utf8').replace(/\$\{([A-Z0-9_]+)\}/g, (whole, name: string) => vars[name] ?? whole);
  const left = /\$\{RUNBOX_[A-Z0-9_]+\}/.exec(text);
  if (left) throw new Error(`template variable ${left[0]} was not given`);
  return text;
}

/** A real nginx with real TLS on loopback, running the repo's template; stop() ends it and removes its files. */
export interface TestNginx {
  /** https://127.0.0.1:<port> */
  url: string;
  httpsPort: number;
  /** plain HTTP: redirects to HTTPS */
  httpPort: number;
  /** nginx's prefix directory and main configuration file (for `nginx -t -p <prefix> -c <conf>`) */
  prefix: string;
  conf: string;
  /** the private CA that signed its certificate */
  ca: string;
  stop(): Promise<void>;
}

/**
 * Starts Debian's nginx with the production template rendered for loopback ports, the API
 * upstreams given and `playgroundUrl` as the playground upstream, with a certificate from
 * scripts/make-cert.sh (as the image makes one on first start).
 */
export async function startNginx(upstreams: string[], playgroundUrl: string, { rate = '50r/s', burst = '50' }: { rate?: string; burst?: string } = {}): Promise<TestNginx> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'runbox-nginx-'));
  const tlsDir = path.join(work, 'tls');
  execFileSync('sh', ['scripts/make-cert.sh', tlsDir, 'localhost']);
  const [httpsPort, httpPort] = [await freePort(), await freePort()];
  writeFileSync(
    path.join(work, 'runbox.conf'),
    renderNginxTemplate({
      RUNBOX_SERVER_NAME: 'localhost',
      RUNBOX_UPSTREAM_SERVERS: upstreams.map((u) => `    server ${u} max_fails=1 fail_timeout=10s;`).join('\n'),
      RUNBOX_HTTP_PORT: String(httpPort),
      RUNBOX_HTTPS_PORT: String(httpsPort),
      RUNBOX_HTTPS_REDIRECT_PORT: `:${httpsPort}`,
      RUNBOX_TLS_CERT: path.join(tlsDir, 'fullchain.pem'),
      RUNBOX_TLS_KEY: path.join(tlsDir, 'privkey.pem'),
      RUNBOX_RATE_LIMIT: rate,
      RUNBOX_RATE_BURST: burst,
      RUNBOX_BODY_LIMIT: '3m',
      RUNBOX_PROXY_TIMEOUT: '120s',
      RUNBOX_RESOLVER: '127.0.0.1',
      RUNBOX_PLAYGROUND_URL: playgroundUrl,
    }),
  );
  writeFileSync(
    path.join(work, 'nginx.conf'),
    [
      'worker_processes 1;',
      `pid ${work}/nginx.pid;`,
      `error_log ${work}/error.log warn;`,
      'events { worker_connections 256; }',
      'http {',
      '  access_log off;',
      `  client_body_temp_path ${work}/body; proxy_temp_path ${work}/proxy;`,
      `  fastcgi_temp_path ${work}/fcgi; uwsgi_temp_path ${work}/uwsgi; scgi_temp_path ${work}/scgi;`,
      `  include ${work}/runbox.conf;`,
      '}',
    ].join('\n'),
  );
  const nginx = spawn('nginx', ['-p', work, '-c', path.join(work, 'nginx.conf'), '-g', 'daemon off; user root;'], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => nginx.on('exit', () => r()));
  const url = `https://127.0.0.1:${httpsPort}`;
  const ca = readFileSync(path.join(tlsDir, 'ca.crt'), 'utf8');
  const stop = async () => {
    nginx.kill('SIGTERM');
    await exited;
    rmSync(work, { recursive: true, force: true });
  };
  for (let i = 0; i < 300; i++) {
    if (nginx.exitCode !== null) break;
    if (await new Promise<boolean>((resolve) => net.connect(httpsPort, '127.0.0.1').on('connect', function (this: net.Socket) { this.destroy(); resolve(true); }).on('error', () => resolve(false)))) return { url, ca, httpsPort, httpPort, prefix: work, conf: path.join(work, 'nginx.conf'), stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error('nginx did not start');
}
