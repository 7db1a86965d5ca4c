import { describe, expect, test } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../backend/src/config.js';
import { HttpError } from '../backend/src/http/errors.js';
import { countRequests } from '../backend/src/observability/http-metrics.js';
import { createLogger } from '../backend/src/log.js';
import { allowedNetworks, peerAllowed } from '../backend/src/observability/metrics-endpoint.js';
import { watchSubmissionQueue } from '../backend/src/observability/metrics.js';
import { countStoreErrors } from '../backend/src/observability/store-errors.js';
import { openStore } from '../backend/src/store/open-store.js';
import { LiveClient } from './helpers/live.js';
import { parseMetrics, sample, scrape, type Scrape } from './helpers/metrics.js';
import { useRunbox } from './helpers/runbox.js';

/**
 * GET /metrics of a real server while real runs happen: every counter moves by exactly what
 * was done, and only those who may read it can. This server allows no network by address
 * (not even loopback), so every scrape here needs the token; one run slot and one place in
 * the queue, so a third run at once is refused; one live run at a time. Callbacks of
 * submissions may go to 127.0.0.3 (a receiver of the test's own).
 */
const TOKEN = 'metrics-token-for-the-tests-0123';
const ADMIN_KEY = 'metrics-admin-key-0123456789';
const CALLBACK_HOST = '127.0.0.3';
const server = useRunbox({
  RUNBOX_METRICS_NETWORKS: '10.0.0.0/8',
  RUNBOX_METRICS_TOKEN: TOKEN,
  RUNBOX_CONCURRENCY: '1',
  RUNBOX_MAX_QUEUE: '1',
  RUNBOX_LIVE_MAX: '1',
  RUNBOX_USER_POOL: '2',
  RUNBOX_ADMIN_KEY: ADMIN_KEY,
  RUNBOX_CALLBACK_SECRET: 'metrics-callback-secret-0123456789',
  RUNBOX_CALLBACK_ALLOW: CALLBACK_HOST,
});
const auth = { authorization: `Bearer ${TOKEN}` };
const read = () => scrape(server().url, auth);
const runs = (s: Scrape, language: string, status: string) => sample(s, 'runbox_runs_total', { language, status });

type RunsNow = { active: number; queued: number };
const runsNow = async () => (await server().request('GET', '/api/health')).json.runs as RunsNow;
async function untilRuns(ok: (r: RunsNow) => boolean) {
  for (let i = 0; i < 200 && !ok(await runsNow()); i++) await new Promise((r) => setTimeout(r, 50));
}

async function execute(body: Record<string, unknown>) {
  const reply = await server().request('POST', '/api/execute', body);
  expect(reply.status).toBe(200);
  return reply.json as { status: string };
}

describe('runs move the metrics', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['ok', { language: 'python', code: 'print(1)' }],
    ['runtime_error', { language: 'python', code: 'raise SystemExit(3)' }],
    ['compile_error', { language: 'cpp', code: 'int main() { return x; }' }],
    ['timeout', { language: 'python', code: 'while True: pass', limits: { timeMs: 500, cpuTimeMs: 500 } }],
    ['memory_limit', { language: 'python', code: 'a = []\nwhile True:\n    a.append(b"x" * 10_000_000)', limits: { memoryMb: 64 } }],
    ['output_limit', { language: 'javascript', code: 'for (;;) console.log("x".repeat(1000))', limits: { outputKb: 4 } }],
  ];
  test.each(cases)('a run that ends %s adds one to its language and status, and nothing to the others', async (status, body) => {
    const before = await read();
    expect((await execute(body)).status).toBe(status);
    const after = await read();
    const language = String(body.language);
    expect(runs(after, language, status) - runs(before, language, status)).toBe(1);
    const total = (s: Scrape) => [...s.samples].filter(([k]) => k.startsWith('runbox_runs_total{')).reduce((n, [, v]) => n + v, 0);
    expect(total(after) - total(before)).toBe(1);
    // the program's wall time is observed for every run whose program ran
    const observed = (s: Scrape) => sample(s, 'runbox_run_duration_seconds_count', { language });
    expect(observed(after) - observed(before)).toBe(status === 'compile_error' ? 0 : 1);
    expect(sample(after, 'runbox_queue_wait_seconds_count') - sample(before, 'runbox_queue_wait_seconds_count')).toBe(1);
  });

  test('a live run its client kills is counted as killed, and is open while it runs', async () => {
    const before = await read();
    const live = await LiveClient.start(server().url, { language: 'python', code: 'input()' });
    await live.waitFor((m) => m.type === 'started');
    expect(sample(await read(), 'runbox_live_runs_open')).toBe(1);
    live.send({ type: 'kill' });
    expect((await live.exit()).result.status).toBe('killed');
    await live.closed;
    const after = await read();
    expect(runs(after, 'python', 'killed') - runs(before, 'python', 'killed')).toBe(1);
    expect(sample(after, 'runbox_live_runs_max')).toBe(1);
  });

  test('the second compile of the same C++ is a cache hit; the first a miss', async () => {
    const code = `#include <cstdio>\nint main() { std::puts("${Math.random()}"); }`;
    const before = await read();
    await execute({ language: 'cpp', code });
    const middle = await read();
    await execute({ language: 'cpp', code });
    const after = await read();
    const lookups = (s: Scrape, result: string) => sample(s, 'runbox_compile_cache_lookups_total', { language: 'cpp', result });
    expect([lookups(middle, 'miss') - lookups(before, 'miss'), lookups(middle, 'hit') - lookups(before, 'hit')]).toEqual([1, 0]);
    expect([lookups(after, 'miss') - lookups(middle, 'miss'), lookups(after, 'hit') - lookups(middle, 'hit')]).toEqual([0, 1]);
    // only the compile that ran is timed
    const compiles = (s: Scrape) => sample(s, 'runbox_compile_duration_seconds_count', { language: 'cpp' });
    expect([compiles(middle) - compiles(before), compiles(after) - compiles(middle)]).toEqual([1, 0]);
  });

  test('judge submissions are counted by verdict', async () => {
    const verdict = (s: Scrape, v: string) => sample(s, 'runbox_judge_submissions_total', { language: 'python', verdict: v });
    const before = await read();
    const submit = async (code: string) => (await server().request('POST', '/api/problems/a-plus-b/submissions', { language: 'python', code })).json.status;
    expect(await submit('a, b = map(int, input().split())\nprint(a + b)')).toBe('accepted');
    expect(await submit('print(0)')).toBe('wrong_answer');
    const after = await read();
    expect(verdict(after, 'accepted') - verdict(before, 'accepted')).toBe(1);
    expect(verdict(after, 'wrong_answer') - verdict(before, 'wrong_answer')).toBe(1);
  });
});

describe('refusals, pool and jails', () => {
  test('a run refused for a full queue and a live run over the cap are counted by reason', async () => {
    const refused = (s: Scrape, reason: string) => sample(s, 'runbox_requests_refused_total', { reason });
    const before = await read();
    await untilRuns((r) => r.active === 0 && r.queued === 0);
    const slow = server().request('POST', '/api/execute', { language: 'python', code: 'import time\ntime.sleep(3)' });
    await untilRuns((r) => r.active === 1);
    const queued = server().request('POST', '/api/execute', { language: 'python', code: 'print(2)' });
    await untilRuns((r) => r.queued === 1);
    // the gauges say so too, while it is so
    const busy = await read();
    expect([sample(busy, 'runbox_runs_active'), sample(busy, 'runbox_runs_queued')]).toEqual([1, 1]);
    const third = await server().request('POST', '/api/execute', { language: 'python', code: 'print(3)' });
    expect(third.status).toBe(503);
    expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await slow).status).toBe(200);
    expect((await queued).status).toBe(200);

    const first = await LiveClient.open(server().url);
    const over = await LiveClient.open(server().url).catch((err: { status: number }) => err.status);
    expect(over).toBe(503);
    first.close();
    await first.closed;
    const after = await read();
    expect(refused(after, 'queue_full') - refused(before, 'queue_full')).toBe(1);
    expect(refused(after, 'live_full') - refused(before, 'live_full')).toBe(1);
  });

  test('the pool, jail and queue gauges say what the server holds', async () => {
    // A run's slot is held until nothing of it is alive: its answer goes out first, killing
    // its jail and removing its cgroup come after (run-service.ts), tens of milliseconds on a
    // loaded host. Runs that have all answered may so still hold a slot for a moment; once
    // the server is quiet (as /api/health says), the gauges must say it is.
    for (let i = 0; i < 200; i++) {
      const { active, queued, live } = (await server().request('GET', '/api/health')).json.runs;
      if (active === 0 && queued === 0 && live.active === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const s = await read();
    expect(sample(s, 'runbox_user_pool_size')).toBe(2);
    expect(sample(s, 'runbox_user_pool_ready')).toBeLessThanOrEqual(2);
    expect(sample(s, 'runbox_user_pool_refill_seconds_count')).toBeGreaterThan(0);
    expect(sample(s, 'runbox_run_users_created_total', { how: 'pool' })).toBeGreaterThan(0);
    expect(sample(s, 'runbox_jail_prepare_seconds_count')).toBeGreaterThan(0);
    expect(sample(s, 'runbox_runs_active')).toBe(0);
    expect(sample(s, 'runbox_runs_queued')).toBe(0);
    expect(sample(s, 'runbox_live_runs_open')).toBe(0);
    // Node's own process metrics come along
    expect(sample(s, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(s.families.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
  });

  test('requests are counted by route pattern, never by URL', async () => {
    const id = 'AAAAAAAAAAAAAAAA';
    const before = await read();
    expect((await server().request('GET', `/api/snippets/${id}`)).status).toBe(404);
    expect((await server().request('GET', `/no/such/${id}`)).status).toBe(404);
    const after = await read();
    const answered = (s: Scrape, route: string) => sample(s, 'runbox_http_requests_total', { method: 'GET', route, status: '404' });
    expect(answered(after, '/api/snippets/:id') - answered(before, '/api/snippets/:id')).toBe(1);
    expect(answered(after, 'unmatched') - answered(before, 'unmatched')).toBe(1);
    expect(after.text).not.toContain(id);
  });

  test('no label carries an id, a key or a URL: every runbox label value is from a small fixed set', async () => {
    const s = await read();
    const allowed: Record<string, RegExp> = {
      language: /^(python|javascript|cpp|java)$/,
      status: /^(ok|compile_error|runtime_error|timeout|memory_limit|output_limit|internal_error|killed|\d{3})$/,
      verdict: /^[a-z_]+$/,
      result: /^(hit|miss)$/,
      reason: /^(rate_limited|queue_full|shutting_down|live_full)$/,
      quota: /^(rate|daily|concurrency)$/,
      outcome: /^(delivered|retry|failed)$/,
      step: /^(kill|user)$/,
      how: /^(pool|inline)$/,
      method: /^[A-Z]+$/,
      status_class: /^[1-5]xx$/,
      route: /^(unmatched|\/[a-z/:.{}-]*)$/,
      operation: /^[a-zA-Z]+$/,
      le: /^[\d.e+-]+|\+Inf$/,
    };
    for (const key of s.samples.keys()) {
      if (!key.startsWith('runbox_')) continue;
      for (const [, name, value] of key.matchAll(/([a-z_]+)="([^"]*)"/g)) {
        expect({ key, ok: allowed[name!]?.test(value!) ?? false }).toEqual({ key, ok: true });
      }
    }
  });
});

describe('who may read /metrics', () => {
  test('a loopback client is refused when loopback is not an allowed network', async () => {
    const reply = await server().request('GET', '/metrics');
    expect(reply.status).toBe(403);
    expect(reply.json).toMatchObject({ error: 'Forbidden' });
    expect(reply.text).not.toContain('runbox_');
  });

  test('a wrong token is refused; the configured one is let in, from any address and through a proxy', async () => {
    expect((await server().request('GET', '/metrics', undefined, { authorization: 'Bearer not-the-token-at-all-0000' })).status).toBe(403);
    const proxied = await server().request('GET', '/metrics', undefined, { ...auth, 'x-forwarded-for': '203.0.113.9' });
    expect(proxied.status).toBe(200);
    expect(proxied.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(proxied.text).toMatch(/^# HELP runbox_runs_total /m);
  });

  test('the token\'s scheme is case-insensitive; an Authorization header in another form is a 401 saying which one', async () => {
    expect((await server().request('GET', '/metrics', undefined, { authorization: `bearer ${TOKEN}`, 'x-forwarded-for': '203.0.113.9' })).status).toBe(200);
    for (const authorization of [TOKEN, `Basic ${Buffer.from(`prometheus:${TOKEN}`).toString('base64')}`]) {
      const reply = await server().request('GET', '/metrics', undefined, { authorization });
      expect(reply.status).toBe(401);
      expect(reply.json.message).toMatch(/Authorization: Bearer <token>/);
      expect(reply.text).not.toContain('runbox_');
    }
  });

  test('the address rule: configured CIDRs (IPv4, IPv6, IPv4-mapped) and nothing else', () => {
    const list = allowedNetworks(['127.0.0.0/8', '::1', '172.28.0.0/16', 'fd00::/8']);
    expect(peerAllowed('127.0.0.1', list)).toBe(true);
    expect(peerAllowed('::ffff:127.0.0.1', list)).toBe(true);
    expect(peerAllowed('::1', list)).toBe(true);
    expect(peerAllowed('172.28.4.5', list)).toBe(true);
    expect(peerAllowed('::ffff:172.28.4.5', list)).toBe(true);
    expect(peerAllowed('fd12::1', list)).toBe(true);
    expect(peerAllowed('172.29.0.1', list)).toBe(false);
    expect(peerAllowed('203.0.113.9', list)).toBe(false);
    expect(peerAllowed('2001:db8::1', list)).toBe(false);
    expect(peerAllowed(undefined, list)).toBe(false);
    expect(() => loadConfig({ RUNBOX_METRICS_NETWORKS: '10.0.0.0/33' })).toThrow(/RUNBOX_METRICS_NETWORKS/);
    expect(() => loadConfig({ RUNBOX_METRICS_NETWORKS: 'example.com' })).toThrow(/RUNBOX_METRICS_NETWORKS/);
    expect(() => loadConfig({ RUNBOX_METRICS_TOKEN: 'short' })).toThrow(/RUNBOX_METRICS_TOKEN/);
  });
});

describe('rate limits', () => {
  test('every 429 an app sends counts as a rate_limited refusal, however its handler makes it', async () => {
    // a real Express app with the request counter, answering 429 the two ways a limiter might
    const app = express();
    app.use(countRequests(app));
    app.get('/limited', (_req, res) => void res.status(429).set('Retry-After', '1').json({ error: 'Too many requests' }));
    app.get('/thrown', () => {
      throw new HttpError(429, { error: 'Too many requests' }, { 'Retry-After': '1' });
    });
    app.use((err: HttpError, _req: express.Request, res: express.Response, _next: express.NextFunction) => void res.status(err.status).set(err.headers).json(err.body));
    const listener = app.listen(0, '127.0.0.1');
    await once(listener, 'listening');
    try {
      const base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
      const before = await read();
      expect((await fetch(`${base}/limited`)).status).toBe(429);
      expect((await fetch(`${base}/thrown`)).status).toBe(429);
      const after = await read();
      expect(sample(after, 'runbox_requests_refused_total', { reason: 'rate_limited' }) - sample(before, 'runbox_requests_refused_total', { reason: 'rate_limited' })).toBe(2);
      expect(sample(after, 'runbox_http_requests_total', { method: 'GET', route: '/limited', status: '429' }) - sample(before, 'runbox_http_requests_total', { method: 'GET', route: '/limited', status: '429' })).toBe(1);
    } finally {
      listener.close();
    }
  });
});

describe('quotas and asynchronous submissions', () => {
  test("a quota's refusal is counted by quota (never by key), and as a rate_limited refusal", async () => {
    const made = await server().request('POST', '/api/admin/keys', { name: 'metrics', dailyRuns: 1 }, { authorization: `Bearer ${ADMIN_KEY}` });
    expect(made.status).toBe(201);
    const key = { authorization: `Bearer ${made.json.key}` };
    const quota = (s: Scrape, q: string) => sample(s, 'runbox_quota_refusals_total', { quota: q });
    const before = await read();
    expect((await server().request('POST', '/api/execute', { language: 'python', code: 'print(1)' }, key)).status).toBe(200);
    expect((await server().request('POST', '/api/execute', { language: 'python', code: 'print(1)' }, key)).status).toBe(429);
    const after = await read();
    expect(['daily', 'rate', 'concurrency'].map((q) => quota(after, q) - quota(before, q))).toEqual([1, 0, 0]);
    expect(sample(after, 'runbox_requests_refused_total', { reason: 'rate_limited' }) - sample(before, 'runbox_requests_refused_total', { reason: 'rate_limited' })).toBe(1);
    expect(after.text).not.toContain(made.json.id);
  });

  test('submissions queued and finished are counted, and their callbacks by outcome', async () => {
    // the receiver: /ok takes every callback, /flaky refuses the first one it gets
    let flakyRefused = false;
    const receiver = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const refuse = req.url === '/flaky' && !flakyRefused;
        if (refuse) flakyRefused = true;
        res.writeHead(refuse ? 503 : 200).end();
      });
    });
    receiver.listen(0, CALLBACK_HOST);
    await once(receiver, 'listening');
    const base = `http://${CALLBACK_HOST}:${(receiver.address() as AddressInfo).port}`;
    try {
      const before = await read();
      const finished = (s: Scrape, status: string) => sample(s, 'runbox_submissions_finished_total', { status });
      const callbacks = (s: Scrape, outcome: string) => sample(s, 'runbox_submission_callbacks_total', { outcome });
      const one = await server().request('POST', '/api/submissions', { language: 'python', code: 'print(1)', callbackUrl: `${base}/ok` });
      const batch = await server().request('POST', '/api/submissions/batch', {
        submissions: [
          { language: 'python', code: 'raise SystemExit(2)', callbackUrl: `${base}/flaky` },
          { language: 'python', code: 'print(3)' },
        ],
      });
      expect([one.status, batch.status]).toEqual([202, 202]);
      for (const id of [one.json.id, ...batch.json.ids]) {
        let status: string;
        do status = (await server().request('GET', `/api/submissions/${id}?wait=true`)).json.status;
        while (status === 'queued' || status === 'running');
      }
      const settled = async () => {
        const s = await read();
        return { s, done: callbacks(s, 'delivered') - callbacks(before, 'delivered') === 2 };
      };
      let after = await settled();
      // the flaky receiver's callback is tried again a second later
      for (let i = 0; i < 100 && !after.done; i++) {
        await new Promise((r) => setTimeout(r, 100));
        after = await settled();
      }
      const s = after.s;
      expect(sample(s, 'runbox_submissions_queued_total') - sample(before, 'runbox_submissions_queued_total')).toBe(3);
      expect([finished(s, 'ok') - finished(before, 'ok'), finished(s, 'runtime_error') - finished(before, 'runtime_error')]).toEqual([2, 1]);
      expect(['delivered', 'retry', 'failed'].map((o) => callbacks(s, o) - callbacks(before, o))).toEqual([2, 1, 0]);
    } finally {
      receiver.close();
    }
  }, 60000);
});

describe('request latency and waiting submissions', () => {
  const SECONDS = 'runbox_http_request_duration_seconds';

  test('every answer is timed by method, route pattern and status class; a slow one lands in a high bucket', async () => {
    const before = await read();
    expect((await server().request('GET', '/api/health')).status).toBe(200);
    expect((await server().request('GET', '/api/snippets/AAAAAAAAAAAAAAAA')).status).toBe(404);
    expect((await execute({ language: 'python', code: 'import time\ntime.sleep(0.4)' })).status).toBe('ok');
    const after = await read();
    const moved = (series: string, labels: Record<string, string>) => sample(after, `${SECONDS}_${series}`, labels) - sample(before, `${SECONDS}_${series}`, labels);
    expect(after.families.get(SECONDS)).toBe('histogram');
    expect(moved('count', { method: 'GET', route: '/api/health', status_class: '2xx' })).toBe(1);
    expect(moved('count', { method: 'GET', route: '/api/snippets/:id', status_class: '4xx' })).toBe(1);
    const executed = { method: 'POST', route: '/api/execute', status_class: '2xx' };
    expect(moved('count', executed)).toBe(1);
    expect(moved('sum', executed)).toBeGreaterThanOrEqual(0.4);
    // its sleep alone outlasts the 0.25 s bucket
    expect([moved('bucket', { ...executed, le: '0.25' }), moved('bucket', { ...executed, le: '+Inf' })]).toEqual([0, 1]);
  });

  test('submissions waiting in the store are a gauge, read at scrape time', async () => {
    const waiting = async () => sample(await read(), 'runbox_submissions_waiting');
    await untilRuns((r) => r.active === 0 && r.queued === 0);
    expect(await waiting()).toBe(0);
    // the one run slot is busy, so the worker claims nothing: both submissions wait
    const slow = server().request('POST', '/api/execute', { language: 'python', code: 'import time\ntime.sleep(2)' });
    await untilRuns((r) => r.active === 1);
    const batch = await server().request('POST', '/api/submissions/batch', { submissions: [{ language: 'python', code: 'print(1)' }, { language: 'python', code: 'print(2)' }] });
    expect(batch.status).toBe(202);
    expect(await waiting()).toBe(2);
    expect((await slow).status).toBe(200);
    for (const id of batch.json.ids as string[]) {
      let status: string;
      do status = (await server().request('GET', `/api/submissions/${id}?wait=true`)).json.status;
      while (status === 'queued' || status === 'running');
    }
    expect(await waiting()).toBe(0);
  }, 30000);

  test('a store that fails or hangs reads as NaN (counted as a store error), and the scrape still answers', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'runbox-metrics-queue-'));
    try {
      const closed = await openStore(loadConfig({ RUNBOX_DATA_DIR: dir, LOG_LEVEL: 'silent' }), createLogger('silent'));
      await closed.close();
      const errors = (s: Scrape) => sample(s, 'runbox_store_errors_total', { operation: 'countQueued' });
      const before = await read();
      watchSubmissionQueue(closed.submissionQueue);
      const failed = await read();
      expect(sample(failed, 'runbox_submissions_waiting')).toBeNaN();
      // the counter was written out before the gauge's count failed: the next scrape has it
      expect(errors(await read()) - errors(before)).toBe(1);

      watchSubmissionQueue({ countQueued: () => new Promise<number>(() => {}) });
      const started = Date.now();
      const hung = await read();
      expect(Date.now() - started).toBeLessThan(3000);
      expect(sample(hung, 'runbox_submissions_waiting')).toBeNaN();
      // and everything else is in it
      expect([sample(hung, 'runbox_user_pool_size'), sample(hung, 'process_resident_memory_bytes') > 0]).toEqual([2, true]);
    } finally {
      watchSubmissionQueue(server().store.submissionQueue);
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('store errors', () => {
  test('a failing store operation is counted under its name and still fails for its caller', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'runbox-metrics-store-'));
    try {
      const config = loadConfig({ RUNBOX_DATA_DIR: dir, LOG_LEVEL: 'silent' });
      const store = countStoreErrors(await openStore(config, createLogger('silent')));
      expect((await store.listProblems()).length).toBeGreaterThan(0);
      await store.close();
      const before = await read();
      await expect(store.listProblems()).rejects.toThrow();
      const after = await read();
      expect(sample(after, 'runbox_store_errors_total', { operation: 'listProblems' }) - sample(before, 'runbox_store_errors_total', { operation: 'listProblems' })).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('monitoring profile', () => {
  const DASHBOARD = 'monitoring/grafana/dashboards/runbox.json';

  test('promtool check metrics finds nothing wrong in a real scrape (names, types, help)', async () => {
    const checked = spawnSync('promtool', ['check', 'metrics'], { input: (await read()).text, encoding: 'utf8' });
    expect(checked.error).toBeUndefined();
    expect({ status: checked.status, problems: `${checked.stdout}${checked.stderr}`.trim() }).toEqual({ status: 0, problems: '' });
  });

  test('every metric the Grafana dashboard queries exists in a real scrape', async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as { panels: { title: string; targets?: { expr: string }[] }[] };
    const s = await read();
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
    expect(exprs.length).toBeGreaterThan(8);
    const names = new Set<string>();
    for (const { expr } of exprs) for (const m of expr.matchAll(/\b((?:runbox|process|nodejs)_[a-z0-9_]+)/g)) names.add(m[1]!);
    const exists = (name: string) => s.families.has(name) || s.families.has(name.replace(/_(bucket|sum|count)$/, ''));
    expect([...names].filter((n) => !exists(n))).toEqual([]);
  });

  test('docker-compose accepts the monitoring profile: Prometheus scrapes the API, Grafana gets the dashboard', () => {
    const out = execFileSync('docker-compose', ['--profile', 'monitoring', 'config'], { encoding: 'utf8' });
    expect(out).toMatch(/prometheus:/);
    expect(out).toMatch(/grafana:/);
    const scrapeConfig = readFileSync('monitoring/prometheus/prometheus.yml', 'utf8');
    expect(scrapeConfig).toMatch(/metrics_path: \/metrics/);
    // every replica of `api`, found by DNS on the monitoring network
    expect(scrapeConfig).toMatch(/names: \[api\]/);
    expect(scrapeConfig).toMatch(/port: 3000/);
    // the API answers the monitoring network by address: its subnet is in RUNBOX_METRICS_NETWORKS
    const subnet = /subnet: (\S+)/.exec(out)?.[1];
    expect(subnet).toBeTruthy();
    expect(out).toMatch(new RegExp(`RUNBOX_METRICS_NETWORKS: .*${subnet!.replace(/[./]/g, '\\$&')}`));
    // without the profile, neither runs
    const compose = readFileSync('docker-compose.yml', 'utf8');
    for (const service of ['prometheus', 'grafana']) expect(compose).toContain(`\n  ${service}:\n    profiles: ["monitoring"]\n`);
    expect(JSON.parse(readFileSync(DASHBOARD, 'utf8')).uid).toBe('runbox');
  });
});

test('the parser reads what prom-client writes', () => {
  const s = parseMetrics('# HELP a_total x\n# TYPE a_total counter\na_total{b="c",a="d"} 3\nx 1.5e+3\n');
  expect(sample(s, 'a_total', { a: 'd', b: 'c' })).toBe(3);
  expect(sample(s, 'x')).toBe(1500);
});
