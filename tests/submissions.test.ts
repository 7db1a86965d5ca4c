import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SubmissionResponse } from '../backend/src/submission-protocol.js';
import { httpRequest, subInstance } from './helpers/runbox.js';
import { startServerProcess, stopServerProcess, tempDataDir, useServerProcessesAndPostgres, type ServerProcess } from './helpers/server-process.js';

/**
 * Asynchronous and batch submissions through real server processes: submit and poll or
 * wait, batches, verdicts against an expected output, signed callbacks a receiver on
 * loopback verifies (allowlisted for the test), callback addresses refused, a server killed
 * with submissions queued and running losing none of them, and two servers on one
 * PostgreSQL sharing the queue without running anything twice.
 */

const postgres = useServerProcessesAndPostgres();
const SECRET = 'submissions-test-secret-0123456789';

type Submission = SubmissionResponse & Record<string, any>;

async function submit(url: string, body: Record<string, unknown>): Promise<string> {
  const reply = await httpRequest(`${url}/api/submissions`, 'POST', body);
  if (reply.status !== 202) throw new Error(`submit answered ${reply.status}: ${reply.text}`);
  expect(reply.headers.get('location')).toBe(`/api/submissions/${reply.json.id}`);
  return reply.json.id;
}

async function read(url: string, id: string, wait = false): Promise<Submission> {
  const reply = await httpRequest(`${url}/api/submissions/${id}${wait ? '?wait=true' : ''}`, 'GET');
  if (reply.status !== 200) throw new Error(`GET answered ${reply.status}: ${reply.text}`);
  return reply.json;
}

/** Waits (the server holds each GET up to RUNBOX_SUBMISSION_WAIT_MS) until the submission has run. */
async function finished(url: string, id: string, timeoutMs = 120_000): Promise<Submission> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await read(url, id, true);
    if (s.status !== 'queued' && s.status !== 'running') return s;
    if (Date.now() > deadline) throw new Error(`submission ${id} still ${s.status}`);
  }
}

async function until<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A server's JSON log lines. */
const logEvents = (logs: string): Record<string, any>[] =>
  logs
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));

const python = (code: string, extra: Record<string, unknown> = {}) => ({ language: 'python', code, ...extra });

interface Received {
  id: string;
  body: string;
  timestamp: number;
  signatureValid: boolean;
  at: number;
  delivery: string;
  attempt: string;
}

/** A callback receiver that checks signatures the way a client would; it fails the first try of ids in `failFirst`. */
async function startReceiver(host: string, failFirst = new Set<string>()) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const timestamp = Number(req.headers['x-runbox-timestamp']);
      const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${body}`).digest('hex')}`);
      const given = Buffer.from(String(req.headers['x-runbox-signature'] ?? ''));
      const id = String(req.headers['x-runbox-submission']);
      received.push({
        id,
        body,
        timestamp,
        signatureValid: given.length === expected.length && timingSafeEqual(given, expected),
        at: Date.now(),
        delivery: String(req.headers['x-runbox-delivery']),
        attempt: String(req.headers['x-runbox-attempt']),
      });
      if (failFirst.delete(id)) return void res.writeHead(500).end('not now');
      res.end('thanks');
    });
  });
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  const port = (server.address() as AddressInfo).port;
  return { received, port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('one server on SQLite', () => {
  let server: ServerProcess;
  let url: string;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let loopback: Awaited<ReturnType<typeof startReceiver>>;
  const failFirst = new Set<string>();

  beforeAll(async () => {
    // every 127.x address is loopback on Linux: the allowlist opens 127.0.0.2 alone
    receiver = await startReceiver('127.0.0.2', failFirst);
    loopback = await startReceiver('127.0.0.1');
    server = await startServerProcess({
      RUNBOX_INSTANCE: subInstance(1),
      RUNBOX_USER_POOL: '2',
      RUNBOX_CALLBACK_SECRET: SECRET,
      RUNBOX_CALLBACK_ALLOW: '127.0.0.2',
    });
    url = server.url;
  }, 60_000);

  afterAll(async () => {
    if (server) await stopServerProcess(server);
    await receiver?.close();
    await loopback?.close();
  });

  test('a submission answers 202 with an id at once; polling shows it queued or running, waiting shows the result', async () => {
    const id = await submit(url, python('import sys, time\ntime.sleep(0.5)\nprint(input()[::-1], sys.argv[1:])', { stdin: 'runbox\n', args: ['a', 'b'] }));
    expect(id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    const early = await read(url, id);
    expect(['queued', 'running']).toContain(early.status);
    expect(early).toMatchObject({ id, finishedAt: null, callback: null });
    const done = await finished(url, id);
    expect(done).toMatchObject({ id, status: 'ok', stdout: "xobnur ['a', 'b']\n", stderr: '', exitCode: 0, language: 'python', verdict: null, attempts: 1, callback: null, compile: null });
    expect(done.runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(done.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(done.startedAt!));
    expect(Date.parse(done.startedAt!)).toBeGreaterThanOrEqual(Date.parse(done.createdAt));
    // it stays readable once finished
    expect(await read(url, id)).toEqual(done);
  });

  test('a batch of 20 (C++ and Python) all finish, each with its own output', async () => {
    const submissions = Array.from({ length: 20 }, (_, i) =>
      i % 5 === 0
        ? { language: 'cpp', code: `#include <iostream>\nint main() { std::cout << ${i} * 2 << "\\n"; }` }
        : python(`print(${i} * 2)`, { limits: { timeMs: 3000 } }),
    );
    const reply = await httpRequest(`${url}/api/submissions/batch`, 'POST', { submissions });
    expect(reply.status).toBe(202);
    const ids: string[] = reply.json.ids;
    expect(ids).toHaveLength(20);
    expect(new Set(ids).size).toBe(20);
    const all = await until('the whole batch', async () => {
      const got = await httpRequest(`${url}/api/submissions?ids=${ids.join(',')}`, 'GET');
      expect(got.status).toBe(200);
      const list: Submission[] = got.json.submissions;
      return list.every((s) => s.status !== 'queued' && s.status !== 'running') && list;
    }, 180_000);
    expect(all.map((s) => s.id)).toEqual(ids);
    expect(all.map((s) => [s.status, s.stdout])).toEqual(ids.map((_, i) => ['ok', `${i * 2}\n`]));
    expect(all.filter((s) => s.language === 'cpp').every((s) => s.compile?.status === 'ok')).toBe(true);
  }, 200_000);

  test('an expected output gives the verdict the judge would give', async () => {
    const ids = await Promise.all([
      // trailing spaces and a missing final newline are forgiven, as by the judge
      submit(url, python('print("1 2   ")\nprint("3")', { expectedOutput: '1 2\n3' })),
      submit(url, python('print(41)', { expectedOutput: '42\n' })),
      submit(url, python('raise SystemExit(3)', { expectedOutput: '' })),
      submit(url, python('while True: pass', { expectedOutput: 'x', limits: { timeMs: 500, cpuTimeMs: 500 } })),
      submit(url, python('print(1)')),
    ]);
    const results = await Promise.all(ids.map((id) => finished(url, id)));
    expect(results.map((r) => [r.status, r.verdict])).toEqual([
      ['ok', 'accepted'],
      ['ok', 'wrong_answer'],
      ['runtime_error', 'runtime_error'],
      ['timeout', 'timeout'],
      ['ok', null],
    ]);
  });

  test('invalid submissions are refused with 400 naming the field', async () => {
    const bad = async (path: string, body: unknown, field: string, status = 400) => {
      const reply = await httpRequest(`${url}${path}`, 'POST', body);
      expect({ status: reply.status, field: reply.json?.field }).toEqual({ status, field });
      return reply.json;
    };
    await bad('/api/submissions', {}, 'language');
    await bad('/api/submissions', { language: 'python' }, 'code');
    expect(await bad('/api/submissions', { language: 'cobol', code: '' }, 'language')).toMatchObject({ error: 'Unsupported language' });
    await bad('/api/submissions', python('', { limits: { timeMs: 10_000_000 } }), 'limits.timeMs');
    await bad('/api/submissions', python('', { bogus: 1 }), 'bogus');
    await bad('/api/submissions', python('', { expectedOutput: 5 }), 'expectedOutput');
    await bad('/api/submissions', python('', { callbackUrl: 'ftp://example.com/' }), 'callbackUrl');
    await bad('/api/submissions', python('', { callbackUrl: 12 }), 'callbackUrl');
    await bad('/api/submissions', python('x'.repeat(65 * 1024)), 'code', 413);
    await bad('/api/submissions/batch', { submissions: [] }, 'submissions');
    await bad('/api/submissions/batch', { submissions: Array.from({ length: 21 }, () => python('')) }, 'submissions');
    await bad('/api/submissions/batch', {}, 'submissions');
    await bad('/api/submissions/batch', { submissions: [python(''), python(''), { language: 'python' }] }, 'submissions.2.code');
    const lang = await bad('/api/submissions/batch', { submissions: [python(''), { language: 'cobol', code: '' }] }, 'submissions.1.language');
    expect(lang.message).toBe('submissions.1.language "cobol" is not supported');
    const cb = await bad('/api/submissions/batch', { submissions: [python('', { callbackUrl: 'http://10.0.0.1/' })] }, 'submissions.0.callbackUrl');
    expect(cb.message).toMatch(/^submissions\.0\.callbackUrl may not point to 10\.0\.0\.1 is a private/);

    const get = async (path: string, field: string) => {
      const reply = await httpRequest(`${url}${path}`, 'GET');
      expect({ status: reply.status, field: reply.json?.field }).toEqual({ status: 400, field });
    };
    await get('/api/submissions?ids=', 'ids');
    await get('/api/submissions?ids=not*an*id', 'ids');
    await get(`/api/submissions?ids=${Array.from({ length: 21 }, () => 'AAAAAAAAAAAAAAAA').join(',')}`, 'ids');
    await get('/api/submissions/AAAAAAAAAAAAAAAA?wait=maybe', 'wait');
    // without ids it is a listing: an anonymous caller has none (tests/native-api.test.ts lists a key's)
    expect((await httpRequest(`${url}/api/submissions`, 'GET')).status).toBe(401);
    const missing = await httpRequest(`${url}/api/submissions/AAAAAAAAAAAAAAAA`, 'GET');
    expect(missing.status).toBe(404);
    expect((await httpRequest(`${url}/api/submissions/..%2Fx`, 'GET')).status).toBe(404);
    const listed = await httpRequest(`${url}/api/submissions?ids=AAAAAAAAAAAAAAAA`, 'GET');
    expect(listed.json).toEqual({ submissions: [null] });
    const notJson = await httpRequest(`${url}/api/submissions`, 'POST', 'language=python', { 'content-type': 'text/plain' });
    expect(notJson.status).toBe(415);
  });

  test.each([
    ['http://127.0.0.1:9/hook', /127\.0\.0\.1 is a loopback address/],
    ['http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is a link-local address/],
    ['http://10.20.30.40/', /10\.20\.30\.40 is a private/],
    ['http://[::1]:9/', /::1 is a loopback address/],
    ['http://[::ffff:127.0.0.1]/', /is a loopback address/],
    ['http://0177.0.0.1/', /127\.0\.0\.1 is a loopback address/],
  ])('a callback to %s is refused at submit time', async (callbackUrl, reason) => {
    const reply = await httpRequest(`${url}/api/submissions`, 'POST', python('print(1)', { callbackUrl }));
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ error: 'Invalid request', field: 'callbackUrl', message: expect.stringMatching(reason) });
  });

  test('callbacks are signed, retried after a failure, and carry the finished submission', async () => {
    const before = receiver.received.length;
    const hook = `http://127.0.0.2:${receiver.port}/hooks/runbox?token=abc`;
    // the receiver fails its first try: the id is known only after submitting, so it is added at once
    const id = await submit(url, python('import time\ntime.sleep(0.3)\nprint("called back")', { callbackUrl: hook, expectedOutput: 'called back' }));
    failFirst.add(id);
    const calls = await until('two deliveries', async () => {
      const mine = receiver.received.slice(before).filter((r) => r.id === id);
      return mine.length >= 2 && mine;
    }, 60_000);
    expect(calls.every((c) => c.signatureValid)).toBe(true);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(750); // the backoff's first step is 1 s, up to a fifth shorter (jitter)
    expect(calls.map((c) => c.attempt)).toEqual(['1', '2']);
    // both tries are one delivery: the receiver de-duplicates by its id
    expect(calls[0]!.delivery).toBe(calls[1]!.delivery);
    const body = JSON.parse(calls[1]!.body) as Submission;
    expect(body).toMatchObject({ id, status: 'ok', stdout: 'called back\n', verdict: 'accepted' });
    const state = await until('the delivery recorded', async () => {
      const s = await read(url, id);
      return s.callback?.state === 'delivered' && s;
    });
    // an anonymous submission's callback URL (here with the receiver's token) is not shown to whoever holds its id
    expect(state.callback).toEqual({ host: `127.0.0.2:${receiver.port}`, state: 'delivered', attempts: 2, lastError: null, deliveryId: calls[0]!.delivery });
    expect(body.callback).toEqual({ url: hook, host: `127.0.0.2:${receiver.port}`, state: 'delivered', attempts: 2, lastError: null, deliveryId: calls[0]!.delivery });
    // no more tries after success
    await new Promise((r) => setTimeout(r, 1500));
    expect(receiver.received.filter((r) => r.id === id)).toHaveLength(2);
  });

  test('a callback to a name that resolves to loopback (localhost) is never sent', async () => {
    const id = await submit(url, python('print(1)', { callbackUrl: `http://localhost:${loopback.port}/hook` }));
    const failed = await until('the callback given up', async () => {
      const s = await read(url, id);
      return s.callback?.state === 'failed' && s;
    });
    expect(failed.status).toBe('ok');
    expect(failed.callback).toMatchObject({ state: 'failed', attempts: 1, lastError: expect.stringMatching(/^refused: localhost resolves to .* loopback address/) });
    expect(loopback.received).toEqual([]);
  });
});

describe('a server killed with submissions queued and running', () => {
  test('loses none of them: started again on the same data, it runs them all', async () => {
    const env = { RUNBOX_INSTANCE: subInstance(3), RUNBOX_USER_POOL: '1', RUNBOX_CONCURRENCY: '1', RUNBOX_DATA_DIR: tempDataDir() };
    const first = await startServerProcess(env);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await submit(first.url, python(`import time\ntime.sleep(1)\nprint("job ${i}")`)));
    await until('a submission running', async () => (await read(first.url, ids[0]!)).status === 'running');
    first.child.kill('SIGKILL');
    await first.exited;

    const second = await startServerProcess(env);
    expect(second.logs()).toMatch(/took back submissions of a server that stopped/);
    const results = [];
    for (const id of ids) results.push(await finished(second.url, id));
    expect(results.map((r) => [r.status, r.stdout])).toEqual(ids.map((_, i) => ['ok', `job ${i}\n`]));
    // the one running when the server died ran again; the queued ones once
    expect(results[0]!.attempts).toBe(2);
    expect(results.slice(1).every((r) => r.attempts === 1)).toBe(true);
    await stopServerProcess(second);
  }, 180_000);
});

describe('a server stopped with SIGTERM', () => {
  test('finishes the submission it runs and writes its result before it exits; the queued ones wait for the next server', async () => {
    const env = { RUNBOX_INSTANCE: subInstance(5), RUNBOX_USER_POOL: '1', RUNBOX_CONCURRENCY: '1', RUNBOX_DATA_DIR: tempDataDir() };
    const first = await startServerProcess(env);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await submit(first.url, python(`import time\ntime.sleep(1.5)\nprint("job ${i}")`)));
    await until('a submission running', async () => (await read(first.url, ids[0]!)).status === 'running');
    expect(await stopServerProcess(first)).toBe(0);

    const second = await startServerProcess(env);
    const results = [];
    for (const id of ids) results.push(await finished(second.url, id));
    expect(results.map((r) => [r.status, r.stdout, r.attempts])).toEqual(ids.map((_, i) => ['ok', `job ${i}\n`, 1]));
    // the first ran on the first server, during its shutdown grace
    expect(logEvents(first.logs())).toContainEqual(expect.objectContaining({ message: 'submission finished', id: ids[0] }));
    expect(logEvents(second.logs()).filter((e) => e.id === ids[0])).toEqual([]);
    expect(await stopServerProcess(second)).toBe(0);
  }, 180_000);
});

describe('retention', () => {
  test('a finished submission is deleted once RUNBOX_SUBMISSION_KEEP_SECONDS have passed', async () => {
    const server = await startServerProcess({ RUNBOX_INSTANCE: subInstance(4), RUNBOX_USER_POOL: '1', RUNBOX_SUBMISSION_KEEP_SECONDS: '2' });
    const id = await submit(server.url, python('print("short-lived")'));
    expect(await finished(server.url, id)).toMatchObject({ status: 'ok', stdout: 'short-lived\n' });
    await until('the submission deleted', async () => (await httpRequest(`${server.url}/api/submissions/${id}`, 'GET')).status === 404, 30_000);
    expect(server.logs()).toMatch(/"message":"submissions pruned"/);
    expect(await stopServerProcess(server)).toBe(0);
  }, 90_000);
});

describe('two servers on one PostgreSQL', () => {
  test('share the queue: every submission runs once, and both servers take some', async () => {
    const database = postgres().createDatabase('shared_queue');
    const common = { DATABASE_URL: database, RUNBOX_USER_POOL: '1', RUNBOX_CONCURRENCY: '1' };
    const a = await startServerProcess({ ...common, RUNBOX_INSTANCE: subInstance(1) });
    const b = await startServerProcess({ ...common, RUNBOX_INSTANCE: subInstance(2) });
    const submissions = Array.from({ length: 20 }, (_, i) => python(`import time\ntime.sleep(0.3)\nprint(${i})`));
    const reply = await httpRequest(`${a.url}/api/submissions/batch`, 'POST', { submissions });
    expect(reply.status).toBe(202);
    const ids: string[] = reply.json.ids;
    // read through the other server: the results are in the shared store
    const all = await until('the batch on two servers', async () => {
      const list: Submission[] = (await httpRequest(`${b.url}/api/submissions?ids=${ids.join(',')}`, 'GET')).json.submissions;
      return list.every((s) => s.status !== 'queued' && s.status !== 'running') && list;
    }, 180_000);
    expect(all.map((s) => [s.status, s.stdout, s.attempts])).toEqual(ids.map((_, i) => ['ok', `${i}\n`, 1]));

    const claims = (logs: string) => logEvents(logs).filter((e) => e.message === 'submission claimed').map((e) => e.id as string);
    const byA = claims(a.logs());
    const byB = claims(b.logs());
    expect([...byA, ...byB].sort()).toEqual([...ids].sort());
    expect(byA.length).toBeGreaterThan(0);
    expect(byB.length).toBeGreaterThan(0);

    // without RUNBOX_CALLBACK_SECRET there are no callbacks
    const refused = await httpRequest(`${a.url}/api/submissions`, 'POST', python('', { callbackUrl: 'https://example.com/hook' }));
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ field: 'callbackUrl', message: expect.stringMatching(/callbacks are off/) });
    await Promise.all([stopServerProcess(a), stopServerProcess(b)]);
  }, 240_000);
});
