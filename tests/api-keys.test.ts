import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { WebSocket } from 'ws';
import type { ApiKeyCreated, ApiKeyInfo, ApiKeyUsage } from '../backend/src/protocol.js';
import { LiveClient } from './helpers/live.js';
import { httpRequest, subInstance, type HttpReply } from './helpers/runbox.js';
import { startServerProcess, stopServerProcess, tempDataDir, useServerProcessesAndPostgres, type ServerProcess } from './helpers/server-process.js';

/**
 * API keys and quotas through the real server binary and a real store: keys made by the
 * admin API and by scripts/keys.ts, each quota (per minute, per day, runs in flight, caps
 * on limits), the 401 and 429 answers, anonymous access off and on, keys kept out of the
 * logs, and two replicas sharing one store, PostgreSQL or SQLite (and a crashed one's runs freed).
 */

const ADMIN_KEY = 'keys-admin-key-0123456789';
const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const postgres = useServerProcessesAndPostgres();
const run = promisify(execFile);

const hello = { language: 'python', code: 'print("hi")' };
/** A run that holds its slot for a while. */
const sleeper = (seconds: number) => ({ language: 'python', code: `import time\ntime.sleep(${seconds})\nprint("woke")` });
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** Every key secret a test made: none may ever be in a server's log. */
const secrets: string[] = [];

async function createKey(url: string, body: Record<string, unknown>): Promise<ApiKeyCreated> {
  const reply = await httpRequest(`${url}/api/admin/keys`, 'POST', body, admin);
  expect(reply.status).toBe(201);
  const created = reply.json as ApiKeyCreated;
  secrets.push(created.key);
  return created;
}

const execute = (url: string, headers: Record<string, string> = {}, body: Record<string, unknown> = hello) => httpRequest(`${url}/api/execute`, 'POST', body, headers);

/** Fixed one-minute windows: a test that counts within one starts early in a fresh one. */
async function freshMinute(needSeconds = 25): Promise<void> {
  const intoMinute = (Date.now() % 60_000) / 1000;
  if (intoMinute > 60 - needSeconds) await new Promise((r) => setTimeout(r, (60 - intoMinute) * 1000 + 200));
}

function expectTooMany(reply: HttpReply, quota: string, limit: number): void {
  expect(reply.status).toBe(429);
  expect(reply.json).toMatchObject({ error: 'Too many requests', quota, limit });
  expect(reply.json.message).toEqual(expect.any(String));
  const retry = Number(reply.headers.get('retry-after'));
  expect(retry).toBeGreaterThanOrEqual(1);
  expect(reply.json.retryAfter).toBe(retry);
  expect(reply.headers.get('ratelimit-limit')).toBe(String(limit));
  expect(reply.headers.get('ratelimit-remaining')).toBe('0');
  expect(reply.headers.get('ratelimit-reset')).toBe(String(retry));
}

function expectUnauthorized(reply: HttpReply, message: RegExp): void {
  expect(reply.status).toBe(401);
  expect(reply.json).toMatchObject({ error: 'Unauthorized' });
  expect(reply.json.message).toMatch(message);
  expect(reply.headers.get('www-authenticate')).toBe('Bearer');
}

async function liveRefusal(url: string, headers: Record<string, string>): Promise<{ status: number; body: any; headers: Record<string, string> }> {
  const err = (await LiveClient.open(url, { headers }).then(
    (client) => {
      client.close();
      throw new Error('the upgrade was let in');
    },
    (e) => e,
  )) as { status: number; body: string; headers: Record<string, string> };
  return { status: err.status, body: JSON.parse(err.body), headers: err.headers };
}

describe('one server on SQLite', () => {
  let server: ServerProcess;
  let dataDir: string;
  let cgroup: string;
  beforeAll(async () => {
    dataDir = tempDataDir();
    server = await startServerProcess({
      RUNBOX_INSTANCE: subInstance(1),
      RUNBOX_ADMIN_KEY: ADMIN_KEY,
      RUNBOX_DATA_DIR: dataDir,
      RUNBOX_USER_POOL: '2',
      LOG_LEVEL: 'debug',
      RUNBOX_ANON_RUNS_PER_MINUTE: '3',
      RUNBOX_ANON_CONCURRENT_RUNS: '1',
    });
    cgroup = (await httpRequest(`${server.url}/api/health`, 'GET')).json.isolation.cgroup;
  });
  afterAll(async () => {
    if (server) await stopServerProcess(server);
  });

  test('the admin makes a key (shown once), lists it without its secret, and the key runs code by either header', async () => {
    const refused = await httpRequest(`${server.url}/api/admin/keys`, 'POST', { name: 'nobody' });
    expect(refused.status).toBe(401);
    const created = await createKey(server.url, { name: 'course site', ratePerMinute: 100 });
    expect(created).toMatchObject({ name: 'course site', ratePerMinute: 100, maxConcurrent: 4, dailyRuns: null, caps: {}, revokedAt: null });
    expect(created.key).toMatch(new RegExp(`^rbx_${created.id.replace(/[-]/g, '\\-')}\\.[A-Za-z0-9_-]{43}$`));

    const listed = await httpRequest(`${server.url}/api/admin/keys`, 'GET', undefined, admin);
    expect(listed.status).toBe(200);
    expect((listed.json.keys as ApiKeyInfo[]).map((k) => k.id)).toContain(created.id);
    const secret = created.key.split('.')[1]!;
    expect(listed.text).not.toContain(secret);
    const one = await httpRequest(`${server.url}/api/admin/keys/${created.id}`, 'GET', undefined, admin);
    expect(one.json).toEqual({ ...created, key: undefined, callbackSecret: undefined });
    expect(one.text).not.toContain(secret);
    expect(listed.text + one.text).not.toContain(created.callbackSecret);

    const byBearer = await execute(server.url, bearer(created.key));
    expect(byBearer.status).toBe(200);
    expect(byBearer.json.stdout).toBe('hi\n');
    expect(byBearer.headers.get('ratelimit-policy')).toBe('100;w=60');
    expect(byBearer.headers.get('ratelimit-remaining')).toBe('99');
    const byHeader = await execute(server.url, { 'x-api-key': created.key });
    expect(byHeader.status).toBe(200);
    expect(byHeader.headers.get('ratelimit-remaining')).toBe('98');

    // a live run: the key on the upgrade request, the quota headers on its 101
    const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/api/live`, { headers: bearer(created.key) });
    let upgraded: IncomingMessage | undefined;
    ws.once('upgrade', (res) => (upgraded = res));
    const live = await new Promise<string>((resolve, reject) => {
      ws.once('error', reject);
      ws.once('open', () => ws.send(JSON.stringify({ type: 'start', ...hello })));
      ws.on('message', (data) => {
        const message = JSON.parse(data.toString());
        if (message.type === 'exit') resolve(message.result.stdout);
      });
    });
    expect(live).toBe('hi\n');
    expect(upgraded?.headers['ratelimit-remaining']).toBe('97');
    ws.close();

    const usage = await httpRequest(`${server.url}/api/admin/keys/${created.id}/usage`, 'GET', undefined, admin);
    const body = usage.json as ApiKeyUsage;
    expect(body.total.runs).toBe(3);
    expect(body.days).toEqual([{ day: new Date().toISOString().slice(0, 10), runs: 3, cpuMs: body.total.cpuMs }]);
    if (cgroup !== 'none') expect(body.total.cpuMs).toBeGreaterThan(0);
  });

  test('unknown, malformed, mismatched and revoked keys are refused on every endpoint', async () => {
    const created = await createKey(server.url, { name: 'to revoke' });
    const forged = created.key.slice(0, -4) + (created.key.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expectUnauthorized(await execute(server.url, bearer(forged)), /not known/);
    expectUnauthorized(await execute(server.url, bearer('not-a-key')), /not known/);
    expectUnauthorized(await httpRequest(`${server.url}/api/languages`, 'GET', undefined, { 'x-api-key': forged }), /not known/);
    const mismatch = await execute(server.url, { ...bearer(created.key), 'x-api-key': forged });
    expect(mismatch.status).toBe(400);
    expect(mismatch.json.field).toBe('X-API-Key');

    expect((await execute(server.url, bearer(created.key))).status).toBe(200);
    expect((await httpRequest(`${server.url}/api/admin/keys/${created.id}`, 'DELETE', undefined, admin)).status).toBe(204);
    for (const path of ['/api/execute', '/api/execute/stream']) {
      expectUnauthorized(await httpRequest(`${server.url}${path}`, 'POST', hello, bearer(created.key)), /revoked/);
    }
    expectUnauthorized(await httpRequest(`${server.url}/api/problems`, 'GET', undefined, bearer(created.key)), /revoked/);
    expectUnauthorized(await httpRequest(`${server.url}/api/problems/a-plus-b/submissions`, 'POST', { language: 'python', code: 'print(3)' }, bearer(created.key)), /revoked/);
    const live = await liveRefusal(server.url, { 'x-api-key': created.key });
    expect(live.status).toBe(401);
    expect(live.body.message).toMatch(/revoked/);
    // the health check stays open to load balancers
    expect((await httpRequest(`${server.url}/api/health`, 'GET', undefined, bearer(created.key))).status).toBe(200);
    const listed = await httpRequest(`${server.url}/api/admin/keys/${created.id}`, 'GET', undefined, admin);
    expect(listed.json.revokedAt).toEqual(expect.any(String));
    expect((await httpRequest(`${server.url}/api/admin/keys/AAAAAAAAAAAAAAAA`, 'DELETE', undefined, admin)).status).toBe(404);
  });

  test('bad key settings are a 400 naming the field', async () => {
    for (const [body, field] of [
      [{}, 'name'],
      [{ name: 'x', ratePerMinute: 0 }, 'ratePerMinute'],
      [{ name: 'x', maxConcurrent: 1.5 }, 'maxConcurrent'],
      [{ name: 'x', dailyRuns: 'many' }, 'dailyRuns'],
      [{ name: 'x', caps: { cpuTimeMs: -1 } }, 'caps.cpuTimeMs'],
      [{ name: 'x', caps: { wallMs: 1 } }, 'caps.wallMs'],
      [{ name: 'x', owner: 'me' }, 'owner'],
    ] as const) {
      const reply = await httpRequest(`${server.url}/api/admin/keys`, 'POST', body, admin);
      expect(reply.status).toBe(400);
      expect(reply.json.field).toBe(field);
    }
  });

  test('the per-minute rate: 429 naming it, with Retry-After and RateLimit headers', async () => {
    await freshMinute();
    const key = (await createKey(server.url, { name: 'rate', ratePerMinute: 3 })).key;
    for (const remaining of ['2', '1', '0']) {
      const reply = await execute(server.url, bearer(key));
      expect(reply.status).toBe(200);
      expect(reply.headers.get('ratelimit-limit')).toBe('3');
      expect(reply.headers.get('ratelimit-remaining')).toBe(remaining);
    }
    const over = await execute(server.url, bearer(key));
    expectTooMany(over, 'rate', 3);
    expect(Number(over.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(over.headers.get('ratelimit-policy')).toBe('3;w=60');
    expect(over.json.message).toMatch(/3 runs per minute/);
    // a live run: a plain client is refused at the upgrade; a browser, never shown that
    // answer, gets the WebSocket, the same words in an error, and a close (try again later)
    expect(await liveRefusal(server.url, bearer(key))).toMatchObject({ status: 429, body: { quota: 'rate', limit: 3 } });
    const browser = await LiveClient.open(server.url, { headers: { ...bearer(key), origin: server.url } });
    const told = (await browser.waitFor((m) => m.type === 'error')).message as { status?: number; quota?: string; retryAfter?: number; message: string };
    expect(told).toMatchObject({ type: 'error', status: 429, quota: 'rate', message: expect.stringMatching(/3 runs per minute/) });
    expect(told.retryAfter).toBeGreaterThan(0);
    expect(told.retryAfter).toBeLessThanOrEqual(60);
    expect(await browser.closed).toEqual({ code: 1013, reason: 'Too many requests' });
    // a refused request is not counted as a run, and other keys are not affected
    const usage = await httpRequest(`${server.url}/api/admin/keys/${key.slice(4, 20)}/usage`, 'GET', undefined, admin);
    expect(usage.json.total.runs).toBe(3);
    const other = await createKey(server.url, { name: 'other', ratePerMinute: 3 });
    expect((await execute(server.url, bearer(other.key))).status).toBe(200);
  });

  test('the daily quota: 429 until the UTC day ends', async () => {
    await freshMinute();
    const key = (await createKey(server.url, { name: 'daily', dailyRuns: 2, ratePerMinute: 50 })).key;
    expect((await execute(server.url, bearer(key))).status).toBe(200);
    const second = await execute(server.url, bearer(key));
    expect(second.status).toBe(200);
    // the window closest to running out is the one the headers describe
    expect(second.headers.get('ratelimit-limit')).toBe('2');
    expect(second.headers.get('ratelimit-remaining')).toBe('0');
    const over = await execute(server.url, bearer(key));
    expectTooMany(over, 'daily', 2);
    const now = new Date();
    const toMidnight = (Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) - now.getTime()) / 1000;
    expect(Math.abs(Number(over.headers.get('retry-after')) - toMidnight)).toBeLessThan(30);
    expect(over.headers.get('ratelimit-policy')).toBe('50;w=60, 2;w=86400');
  });

  test('runs in flight: the key\'s second run is refused while its first runs, on every way in', async () => {
    const key = (await createKey(server.url, { name: 'one at a time', maxConcurrent: 1 })).key;
    const first = execute(server.url, bearer(key), sleeper(3));
    await new Promise((r) => setTimeout(r, 1000));
    expectTooMany(await execute(server.url, bearer(key)), 'concurrency', 1);
    expectTooMany(await httpRequest(`${server.url}/api/execute/stream`, 'POST', hello, bearer(key)), 'concurrency', 1);
    const live = await liveRefusal(server.url, bearer(key));
    expect(live.status).toBe(429);
    expect(live.body).toMatchObject({ quota: 'concurrency', limit: 1 });
    expect(live.headers['retry-after']).toBe('1');
    expect((await first).json.stdout).toBe('woke\n');
    // the slot is back the moment the answer is: a client running one at a time never waits
    for (let i = 0; i < 3; i++) expect((await execute(server.url, bearer(key))).status).toBe(200);

    // a live run holds the slot for as long as its connection
    const client = await LiveClient.open(server.url, { headers: bearer(key) });
    expectTooMany(await execute(server.url, bearer(key)), 'concurrency', 1);
    client.send({ type: 'start', language: 'python', code: 'print("live")' });
    expect((await client.exit()).result.stdout).toBe('live\n');
    await client.closed;
    expect((await execute(server.url, bearer(key))).status).toBe(200);
  });

  test('caps: asking for more is a 403 naming the field; asking nothing runs under the cap', async () => {
    const key = (await createKey(server.url, { name: 'capped', caps: { memoryMb: 64, cpuTimeMs: 2000 } })).key;
    const over = await execute(server.url, bearer(key), { ...hello, limits: { cpuTimeMs: 3000 } });
    expect(over.status).toBe(403);
    expect(over.json).toMatchObject({ field: 'limits.cpuTimeMs', cap: 2000 });
    expect(over.json.message).toMatch(/at most 2000/);
    const overStream = await httpRequest(`${server.url}/api/execute/stream`, 'POST', { ...hello, limits: { memoryMb: 65 } }, bearer(key));
    expect(overStream.status).toBe(403);
    expect(overStream.json.field).toBe('limits.memoryMb');
    expect((await execute(server.url, bearer(key), { ...hello, limits: { cpuTimeMs: 2000, memoryMb: 64 } })).status).toBe(200);

    const live = await LiveClient.open(server.url, { headers: bearer(key) });
    live.send({ type: 'start', ...hello, limits: { memoryMb: 128 } });
    const refused = await live.waitFor((m) => m.type === 'error');
    expect(refused.message).toMatchObject({ field: 'limits.memoryMb' });
    await live.closed;

    if (cgroup === 'none') return;
    // 100 MB fits the server's 256 MB, not the key's 64
    const hog = { language: 'python', code: 'b = bytearray(100 * 1024 * 1024)\nprint(len(b))' };
    expect((await execute(server.url, bearer(key), hog)).json.status).toBe('memory_limit');
    const unkeyed = await execute(server.url, {}, hog);
    expect(unkeyed.json.status).toBe('ok');
  });

  test('anonymous clients have their own small quota, per address', async () => {
    await freshMinute();
    // the quota is the anonymous one (3 a minute here); keys are not affected by it
    const forwarded = { 'x-forwarded-for': '203.0.113.7' };
    expect((await execute(server.url, forwarded)).status).toBe(200);
    expect((await execute(server.url, forwarded)).status).toBe(200);
    const third = await execute(server.url, forwarded);
    expect(third.status).toBe(200);
    expect(third.headers.get('ratelimit-remaining')).toBe('0');
    const over = await execute(server.url, forwarded);
    expectTooMany(over, 'rate', 3);
    expect(over.json.message).toMatch(/anonymous/);
    // another address (believed from the loopback proxy) has its own count
    expect((await execute(server.url, { 'x-forwarded-for': '203.0.113.8' })).status).toBe(200);
    const key = (await createKey(server.url, { name: 'not anonymous' })).key;
    expect((await execute(server.url, { ...forwarded, ...bearer(key) })).status).toBe(200);

    // one run in flight per address
    const slow = execute(server.url, { 'x-forwarded-for': '203.0.113.9' }, sleeper(3));
    await new Promise((r) => setTimeout(r, 1000));
    expectTooMany(await execute(server.url, { 'x-forwarded-for': '203.0.113.9' }), 'concurrency', 1);
    expect((await slow).status).toBe(200);
  });

  test('scripts/keys.ts makes, lists, reports and revokes keys in the store the server uses', async () => {
    const cli = async (...args: string[]) => {
      const { stdout } = await run(process.execPath, ['scripts/keys.ts', ...args], { env: { ...process.env, RUNBOX_DATA_DIR: dataDir } });
      return JSON.parse(stdout);
    };
    const created = (await cli('create', '--name', 'from the cli', '--rate', '5', '--concurrent', '2', '--daily', '100', '--max-time-ms', '2000')) as ApiKeyCreated;
    secrets.push(created.key);
    expect(created).toMatchObject({ name: 'from the cli', ratePerMinute: 5, maxConcurrent: 2, dailyRuns: 100, caps: { timeMs: 2000 } });
    expect((await cli('list')).keys.map((k: ApiKeyInfo) => k.id)).toContain(created.id);
    expect(JSON.stringify(await cli('list'))).not.toContain(created.key.split('.')[1]);

    expect((await execute(server.url, bearer(created.key))).status).toBe(200);
    const over = await execute(server.url, bearer(created.key), { ...hello, limits: { timeMs: 3000 } });
    expect(over.json.field).toBe('limits.timeMs');
    const usage = (await cli('usage', created.id, '--days', '7')) as ApiKeyUsage;
    expect(usage.total.runs).toBe(1);

    expect(created.callbackSecret).toMatch(/^rbxcb_/);
    const rotated = await cli('rotate-callback-secret', created.id);
    expect(rotated).toEqual({ id: created.id, callbackSecret: expect.stringMatching(/^rbxcb_/), previousValidUntil: expect.any(String) });
    expect(rotated.callbackSecret).not.toBe(created.callbackSecret);

    expect(await cli('revoke', created.id)).toEqual({ id: created.id, revoked: true, already: false });
    expectUnauthorized(await execute(server.url, bearer(created.key)), /revoked/);
    const bad = await run(process.execPath, ['scripts/keys.ts', 'create', '--name', 'x', '--rate', 'lots'], { env: { ...process.env, RUNBOX_DATA_DIR: dataDir } }).catch((e) => e);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--rate must be a number/);
  });

  test('no key, whole or its secret, is ever in the server\'s log', async () => {
    expect(secrets.length).toBeGreaterThan(5);
    const logs = server.logs();
    expect(logs).toMatch(/"quota exceeded"/); // it does log, at debug level even
    for (const key of secrets) {
      expect(logs).not.toContain(key.split('.')[1]);
    }
  });
});

describe('anonymous access off', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServerProcess({ RUNBOX_INSTANCE: subInstance(2), RUNBOX_ADMIN_KEY: ADMIN_KEY, RUNBOX_ANONYMOUS: 'false', RUNBOX_USER_POOL: '1' });
  });
  afterAll(async () => {
    if (server) await stopServerProcess(server);
  });

  test('every request but the health check needs a key', async () => {
    expectUnauthorized(await execute(server.url), /API key is required/);
    expectUnauthorized(await httpRequest(`${server.url}/api/languages`, 'GET'), /API key is required/);
    expectUnauthorized(await httpRequest(`${server.url}/api/snippets`, 'POST', hello), /API key is required/);
    expect((await liveRefusal(server.url, {})).status).toBe(401);
    expect((await httpRequest(`${server.url}/api/health`, 'GET')).status).toBe(200);

    const key = (await createKey(server.url, { name: 'required' })).key;
    expect((await execute(server.url, bearer(key))).json.stdout).toBe('hi\n');
    expect((await httpRequest(`${server.url}/api/languages`, 'GET', undefined, { 'x-api-key': key })).status).toBe(200);
    const client = await LiveClient.open(server.url, { headers: bearer(key) });
    client.send({ type: 'start', ...hello });
    expect((await client.exit()).result.stdout).toBe('hi\n');
    // the admin key is a key too
    expect((await execute(server.url, admin)).status).toBe(200);
  });
});

// PostgreSQL for replicas on several hosts; one SQLite file for replicas on one host
describe.each<[string, number]>([
  ['PostgreSQL', 3],
  ['SQLite', 5],
])('two replicas on one %s store', (kind, firstTag) => {
  let a: ServerProcess;
  let b: ServerProcess;
  const servers: ServerProcess[] = [];
  let env: Record<string, string>;
  beforeAll(async () => {
    const store: Record<string, string> = kind === 'PostgreSQL' ? { DATABASE_URL: postgres().createDatabase('keys') } : { RUNBOX_DATA_DIR: tempDataDir() };
    env = { RUNBOX_ADMIN_KEY: ADMIN_KEY, RUNBOX_USER_POOL: '1', RUNBOX_RUN_LEASE_MS: '3000', ...store };
    // one after the other: the first migrates, the second finds the schema
    servers.push((a = await startServerProcess({ ...env, RUNBOX_INSTANCE: subInstance(firstTag) })));
    servers.push((b = await startServerProcess({ ...env, RUNBOX_INSTANCE: subInstance(firstTag + 1) })));
  }, 120000);
  afterAll(async () => {
    for (const server of servers) await stopServerProcess(server);
  });

  test('a key made on one replica works on the other, and they share its counts', async () => {
    await freshMinute();
    const created = await createKey(a.url, { name: 'shared', ratePerMinute: 4 });
    const replies = [];
    for (const server of [a, b, a, b]) replies.push(await execute(server.url, bearer(created.key)));
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(replies.map((r) => r.headers.get('x-runbox-instance'))).toEqual([subInstance(firstTag), subInstance(firstTag + 1), subInstance(firstTag), subInstance(firstTag + 1)]);
    expect(replies.map((r) => r.headers.get('ratelimit-remaining'))).toEqual(['3', '2', '1', '0']);
    expectTooMany(await execute(b.url, bearer(created.key)), 'rate', 4);
    expectTooMany(await execute(a.url, bearer(created.key)), 'rate', 4);
    const usage = await httpRequest(`${b.url}/api/admin/keys/${created.id}/usage`, 'GET', undefined, admin);
    expect(usage.json.total.runs).toBe(4);
    // revoked on one: refused by the other at once
    expect((await httpRequest(`${b.url}/api/admin/keys/${created.id}`, 'DELETE', undefined, admin)).status).toBe(204);
    expectUnauthorized(await execute(a.url, bearer(created.key)), /revoked/);
  });

  test('runs in flight count across replicas; a crashed replica\'s runs stop counting when their leases expire', async () => {
    const key = (await createKey(a.url, { name: 'one in flight', maxConcurrent: 1 })).key;
    const first = execute(a.url, bearer(key), sleeper(2));
    await new Promise((r) => setTimeout(r, 800));
    expectTooMany(await execute(b.url, bearer(key)), 'concurrency', 1);
    expect((await first).status).toBe(200);
    expect((await execute(b.url, bearer(key))).status).toBe(200);

    // a run that outlives several lease periods keeps its slot: its replica renews the lease
    const long = execute(b.url, bearer(key), sleeper(4.5));
    await new Promise((r) => setTimeout(r, 3800));
    expectTooMany(await execute(a.url, bearer(key)), 'concurrency', 1);
    expect((await long).status).toBe(200);

    // replica a dies with a run in flight: its lease is not renewed and frees within RUNBOX_RUN_LEASE_MS
    void execute(a.url, bearer(key), sleeper(4)).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 800));
    expectTooMany(await execute(b.url, bearer(key)), 'concurrency', 1);
    a.child.kill('SIGKILL');
    await a.exited;
    const killedAt = Date.now();
    let admitted: HttpReply | undefined;
    while (Date.now() - killedAt < 20_000) {
      const reply = await execute(b.url, bearer(key));
      if (reply.status === 200) {
        admitted = reply;
        break;
      }
      expectTooMany(reply, 'concurrency', 1);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(admitted?.json.stdout).toBe('hi\n');
    // a replacement for a sweeps what the kill left behind (its run's user and files)
    servers.push((a = await startServerProcess({ ...env, RUNBOX_INSTANCE: subInstance(firstTag) })));
    expect((await execute(a.url, bearer(key))).status).toBe(200);
  }, 120000);

  test('scripts/keys.ts on the replicas\' store makes a key both accept at once', async () => {
    const { stdout } = await run(process.execPath, ['scripts/keys.ts', 'create', '--name', 'cli', '--daily', '2'], { env: { ...process.env, ...env } });
    const created = JSON.parse(stdout) as ApiKeyCreated;
    secrets.push(created.key);
    expect((await execute(a.url, bearer(created.key))).status).toBe(200);
    expect((await execute(b.url, { 'x-api-key': created.key })).status).toBe(200);
    expectTooMany(await execute(a.url, bearer(created.key)), 'daily', 2);
  });

  test('no key is in any replica\'s log', () => {
    for (const server of servers) for (const key of secrets) expect(server.logs()).not.toContain(key.split('.')[1]);
  });
});
