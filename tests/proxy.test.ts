import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { liveServerMessageSchema } from '../backend/src/live-protocol.js';
import { findLeftovers, NOTHING_LEFT } from './helpers/leftovers.js';
import { LiveClient } from './helpers/live.js';
import { request as httpsRequest, type Reply } from './helpers/https.js';
import { freePort } from './helpers/net.js';
import { startNginx, type TestNginx } from './helpers/nginx.js';
import { WebSocket } from 'ws';

/**
 * runbox behind a real nginx with real TLS on loopback: the repo's own template rendered
 * for host ports, a certificate from scripts/make-cert.sh, two API processes upstream.
 */

const work = mkdtempSync(path.join(os.tmpdir(), 'runbox-proxy-'));
let ca: string;
let httpsPort: number;
let httpPort: number;
/** A stand-in for the playground upstream: answers like a web app would. */
let playground: http.Server;
let playgroundPort: number;
let nginx: TestNginx | undefined;
const backends = new Map<string, { child: ChildProcess; port: number; exited: Promise<void> }>();

async function waitFor(check: () => Promise<boolean>, what: string, ms = 30000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function startBackend(instance: string): Promise<void> {
  const port = await freePort();
  const child = spawn(process.execPath, ['backend/dist/main.js'], {
    // both share one SQLite file, as two processes on one host may
    env: { ...process.env, PORT: String(port), RUNBOX_INSTANCE: instance, RUNBOX_USER_POOL: '1', LOG_LEVEL: 'error', RUNBOX_DATA_DIR: path.join(work, 'data') },
    stdio: 'ignore',
  });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  backends.set(instance, { child, port, exited });
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/api/health`)).ok, `backend ${instance}`);
}

const request = (url: string, method = 'GET', body?: string, headers: Record<string, string> = {}): Promise<Reply> => httpsRequest(url, { method, body, headers, ca });

const api = (p: string) => `https://127.0.0.1:${httpsPort}${p}`;

beforeAll(async () => {
  playground = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>playground</title>'));
  await new Promise<void>((r) => playground.listen(0, '127.0.0.1', () => r()));
  playgroundPort = (playground.address() as net.AddressInfo).port;
  await startBackend('a');
  await startBackend('b');
  nginx = await startNginx(
    [...backends.values()].map((b) => `127.0.0.1:${b.port}`),
    `http://127.0.0.1:${playgroundPort}`,
    { rate: '20r/s', burst: '20' },
  );
  ({ ca, httpsPort, httpPort } = nginx);
  await waitFor(async () => (await request(api('/api/health'))).status === 200, 'nginx');
}, 90000);

afterAll(async () => {
  await nginx?.stop();
  playground?.close();
  for (const b of backends.values()) b.child.kill('SIGTERM');
  await Promise.all([...backends.values()].map((b) => b.exited));
  rmSync(work, { recursive: true, force: true });
  expect(await findLeftovers()).toEqual(NOTHING_LEFT);
}, 60000);

describe('nginx in front of two runbox processes', () => {
  test('nginx -t accepts the rendered configuration', () => {
    const check = spawnSync('nginx', ['-t', '-p', nginx!.prefix, '-c', nginx!.conf, '-g', 'user root;'], { encoding: 'utf8' });
    expect(check.status).toBe(0);
    expect(check.stderr).toMatch(/syntax is ok/);
    expect(check.stderr).toMatch(/test is successful/);
  });

  test('HTTPS execute works end to end, verified against the generated CA', async () => {
    const reply = await request(api('/api/execute'), 'POST', JSON.stringify({ language: 'python', code: 'print(6 * 7)' }));
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ status: 'ok', stdout: '42\n' });
    expect(reply.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
  });

  test('share links name the HTTPS address nginx serves, whatever X-Forwarded-Host a client sends', async () => {
    const reply = await request(api('/api/snippets'), 'POST', JSON.stringify({ language: 'python', code: 'print(1)' }), { 'x-forwarded-host': 'evil.example' });
    expect(reply.status).toBe(201);
    const { id, url } = JSON.parse(reply.body);
    expect(url).toBe(`https://127.0.0.1:${httpsPort}/s/${id}`);
  });

  test('a client that does not trust the CA is refused', async () => {
    const plain = new Promise<number>((resolve, reject) => {
      https.get(api('/api/health'), { agent: false }, (res) => resolve(res.statusCode!)).on('error', reject);
    });
    await expect(plain).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
  });

  test('plain HTTP redirects to HTTPS', async () => {
    const reply = await request(`http://127.0.0.1:${httpPort}/api/languages?x=1`, 'GET', undefined, { host: 'localhost' });
    expect(reply.status).toBe(301);
    expect(reply.headers.location).toBe(`https://localhost:${httpsPort}/api/languages?x=1`);
  });

  test('a body over the proxy limit gets 413 JSON from nginx', async () => {
    const reply = await request(api('/api/execute'), 'POST', JSON.stringify({ language: 'python', code: 'x', stdin: 'x'.repeat(4 * 1024 * 1024) }));
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body)).toMatchObject({ error: 'Payload too large' });
  });

  test('a live run over wss: the prompt comes through, the typed answer goes back, the result arrives', async () => {
    const live = await LiveClient.open(`https://localhost:${httpsPort}`, { ca });
    live.send({ type: 'start', language: 'python', code: 'name = input("name? ")\nprint("hello", name)\n' });
    await live.waitForOutput('name? ');
    live.send({ type: 'stdin', data: 'nginx\n' });
    expect((await live.exit()).result).toMatchObject({ status: 'ok', stdout: 'name? hello nginx\n' });
    expect((await live.closed).code).toBe(1000);
  });

  test('a page of another site cannot open a live run through nginx; the playground\'s own origin can', async () => {
    const refused = await LiveClient.open(`https://localhost:${httpsPort}`, { ca, headers: { origin: 'https://evil.example.net' } }).catch((err: { status: number }) => err.status);
    expect(refused).toBe(403);
    // nginx tells the API the host it served, port included: the page's own origin matches it
    const own = await LiveClient.open(`https://localhost:${httpsPort}`, { ca, headers: { origin: `https://localhost:${httpsPort}` } });
    own.close();
  });

  test('NDJSON output comes through nginx as the program writes it, not at the end', async () => {
    const body = JSON.stringify({ language: 'python', code: 'import time\nfor i in range(4):\n    print(i)\n    time.sleep(0.5)\n' });
    const arrivals = await new Promise<{ type: string; at: number }[]>((resolve, reject) => {
      const started = performance.now();
      const seen: { type: string; at: number }[] = [];
      const req = https.request(api('/api/execute/stream'), { method: 'POST', headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip' }, ca, servername: 'localhost', agent: false }, (res) => {
        expect(res.headers['content-type']).toMatch(/application\/x-ndjson/);
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          buffered += d;
          for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
            seen.push({ type: liveServerMessageSchema.parse(JSON.parse(buffered.slice(0, nl))).type, at: performance.now() - started });
            buffered = buffered.slice(nl + 1);
          }
        });
        res.on('end', () => resolve(seen));
      });
      req.on('error', reject);
      req.end(body);
    });
    const first = arrivals.find((a) => a.type === 'stdout')!;
    expect(arrivals.at(-1)!.type).toBe('exit');
    expect(arrivals.at(-1)!.at - first.at).toBeGreaterThan(1000);
  });

  test('Piston\'s API through nginx: /api/v2/execute, and the /api/v2/connect WebSocket over wss', async () => {
    const reply = await request(api('/api/v2/execute'), 'POST', JSON.stringify({ language: 'py', version: '*', files: [{ content: 'print(6 * 7)' }] }));
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ language: 'python', run: { stdout: '42\n', code: 0 } });
    const ws = new WebSocket(`wss://localhost:${httpsPort}/api/v2/connect`, { ca });
    const messages: { type: string; [field: string]: unknown }[] = [];
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString());
      messages.push(message);
      if (message.type === 'stage' && message.stage === 'run') ws.send(JSON.stringify({ type: 'data', stream: 'stdin', data: 'nginx\n' }));
    });
    ws.on('open', () => ws.send(JSON.stringify({ type: 'init', language: 'python', version: '*', files: [{ content: 'print("hello", input())' }] })));
    const closed = await new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    expect(closed).toBe(4999);
    expect(messages.filter((m) => m.type === 'data' && m.stream === 'stdout').map((m) => m.data).join('')).toBe('hello nginx\n');
    expect(messages.at(-1)).toMatchObject({ type: 'exit', stage: 'run', code: 0, signal: null });
  });

  test("Judge0's API through nginx: /judge0 is the base URL of a Judge0 client, X-Auth-Token passes through", async () => {
    const statuses = await request(api('/judge0/statuses'));
    expect(statuses.status).toBe(200);
    expect(JSON.parse(statuses.body)[2]).toEqual({ id: 3, description: 'Accepted' });
    const reply = await request(api('/judge0/submissions?wait=true'), 'POST', JSON.stringify({ language_id: 71, source_code: 'print(6 * 7)', expected_output: '42' }), { 'content-type': 'application/json' });
    expect(reply.status).toBe(201);
    expect(JSON.parse(reply.body)).toMatchObject({ stdout: '42\n', status: { id: 3, description: 'Accepted' } });
    // the header reaches the API (an unknown key is refused there, not dropped on the way)
    const unknown = await request(api('/judge0/languages'), 'GET', undefined, { 'x-auth-token': 'rbx_unknown0000000.nope' });
    expect(unknown.status).toBe(401);
    expect(JSON.parse(unknown.body)).toEqual({ error: 'this API key is not known' });
  });

  test('/ is proxied to the playground upstream', async () => {
    const reply = await request(api('/'));
    expect(reply.status).toBe(200);
    expect(reply.body).toContain('<title>playground</title>');
  });

  test('requests spread over both backends', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) seen.add(String((await request(api('/api/health'))).headers['x-runbox-instance']));
    expect([...seen].sort()).toEqual(['a', 'b']);
  });

  test('a burst over the rate limit gets 429 with a JSON body', async () => {
    await new Promise((r) => setTimeout(r, 1200)); // let the bucket refill after earlier tests
    const replies = await Promise.all(Array.from({ length: 60 }, () => request(api('/api/health'))));
    const limited = replies.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(replies.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(20);
    expect(JSON.parse(limited[0]!.body)).toMatchObject({ error: 'Too many requests' });
    expect(limited[0]!.headers['content-type']).toMatch(/application\/json/);
  });

  test('stopping one backend keeps the service up', async () => {
    await new Promise((r) => setTimeout(r, 2000)); // rate-limit bucket refills
    const a = backends.get('a')!;
    a.child.kill('SIGTERM');
    await a.exited;
    for (let i = 0; i < 6; i++) {
      const reply = await request(api('/api/execute'), 'POST', JSON.stringify({ language: 'python', code: `print(${i})` }));
      expect(reply.status).toBe(200);
      expect(reply.headers['x-runbox-instance']).toBe('b');
      expect(JSON.parse(reply.body).stdout).toBe(`${i}\n`);
    }
  });
});

describe('docker-compose.yml', () => {
  test('a real compose implementation accepts it', () => {
    const out = execFileSync('docker-compose', ['config'], { encoding: 'utf8' });
    // least privilege (README): every capability dropped but the listed ones, never privileged
    expect(out).not.toMatch(/privileged/);
    expect(out).toMatch(/cap_drop:\s+- ALL/);
    expect(out).toMatch(/seccomp/);
    expect(out).toMatch(/runbox-data/);
    expect(out).not.toMatch(/docker\.sock/);
  });

  test('every API variable in .env.example reaches the api service', () => {
    const compose = readFileSync('docker-compose.yml', 'utf8');
    const example = readFileSync('.env.example', 'utf8');
    const apiVars = example.split('--- API')[1]!.match(/^# (RUNBOX_[A-Z_]+|LOG_LEVEL|DATABASE_URL)=/gm)!.map((l) => l.slice(2, -1));
    for (const v of apiVars) expect(compose).toContain(`${v}: \${${v}:-`);
  });
});
