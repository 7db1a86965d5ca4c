import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiKeyCreated, CallbackSecretRotated } from '../backend/src/protocol.js';
import { callbackRetryDelayMs } from '../backend/src/submissions/submission-worker.js';
import { httpRequest, subInstance, type HttpReply } from './helpers/runbox.js';
import { startServerProcess, stopServerProcess, tempDataDir, type ServerProcess } from './helpers/server-process.js';

/**
 * Tenants kept apart, through a real server process: one API key never reads another's
 * submissions, their callback URLs or its history; queued work counts against its key as
 * synchronous runs do (usage, run slots); a batch is admitted whole or not at all; an
 * Authorization header that is not a bearer key is refused, not ignored; each key signs its
 * callbacks with a secret of its own, rotated with an overlap; deliveries carry an id and
 * an attempt number, and can be redelivered by their owner.
 */

const ADMIN_KEY = 'tenancy-admin-key-0123456789';
const SERVER_SECRET = 'tenancy-server-secret-0123456789';
const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const python = (code: string, extra: Record<string, unknown> = {}) => ({ language: 'python', code, ...extra });

interface Delivery {
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A receiver on 127.0.0.2 (allowlisted for the test) that records every delivery. */
async function startReceiver() {
  const received: Delivery[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ headers: req.headers, body, at: Date.now() });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.2', () => r()));
  const port = (server.address() as AddressInfo).port;
  return { received, port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Whether one of the header's comma-separated signatures is this secret's, as a receiver checks it. */
function signedWith(delivery: Delivery, secret: string): boolean {
  const timestamp = delivery.headers['x-runbox-timestamp'];
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${timestamp}.${delivery.body}`).digest('hex')}`);
  return String(delivery.headers['x-runbox-signature'] ?? '')
    .split(',')
    .some((s) => Buffer.byteLength(s) === expected.length && timingSafeEqual(Buffer.from(s), expected));
}

async function until<T>(what: string, check: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Fixed one-minute windows: a test that counts within one starts early in a fresh one. */
async function freshMinute(needSeconds = 25): Promise<void> {
  const intoMinute = (Date.now() % 60_000) / 1000;
  if (intoMinute > 60 - needSeconds) await new Promise((r) => setTimeout(r, (60 - intoMinute) * 1000 + 200));
}

describe('tenants on one server', () => {
  let server: ServerProcess;
  let url: string;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let hook: string;

  const createKey = async (body: Record<string, unknown>): Promise<ApiKeyCreated> => {
    const reply = await httpRequest(`${url}/api/admin/keys`, 'POST', body, admin);
    expect(reply.status).toBe(201);
    return reply.json;
  };
  const submit = async (body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<string> => {
    const reply = await httpRequest(`${url}/api/submissions`, 'POST', body, headers);
    if (reply.status !== 202) throw new Error(`submit answered ${reply.status}: ${reply.text}`);
    return reply.json.id;
  };
  const read = (id: string, headers: Record<string, string> = {}, wait = false): Promise<HttpReply> =>
    httpRequest(`${url}/api/submissions/${id}${wait ? '?wait=true' : ''}`, 'GET', undefined, headers);
  const finished = (id: string, headers: Record<string, string>) =>
    until(`submission ${id} to finish`, async () => {
      const reply = await read(id, headers, true);
      return reply.json.status !== 'queued' && reply.json.status !== 'running' && reply.json;
    }, 120_000);
  const usage = async (key: ApiKeyCreated) => (await httpRequest(`${url}/api/admin/keys/${key.id}/usage`, 'GET', undefined, admin)).json.total;
  const deliveriesOf = (id: string) => receiver.received.filter((d) => d.headers['x-runbox-submission'] === id);

  beforeAll(async () => {
    receiver = await startReceiver();
    hook = `http://127.0.0.2:${receiver.port}/hooks/runbox?token=receiver-secret-token`;
    server = await startServerProcess({
      RUNBOX_INSTANCE: subInstance(1),
      RUNBOX_DATA_DIR: tempDataDir(),
      RUNBOX_ADMIN_KEY: ADMIN_KEY,
      RUNBOX_CALLBACK_SECRET: SERVER_SECRET,
      RUNBOX_CALLBACK_ALLOW: '127.0.0.2',
      RUNBOX_CALLBACK_SECRET_OVERLAP_SECONDS: '3600',
      RUNBOX_USER_POOL: '2',
    });
    url = server.url;
  }, 60_000);

  afterAll(async () => {
    if (server) await stopServerProcess(server);
    await receiver?.close();
  });

  test("a key's submission is read by that key and the admin only; another key and anonymous callers get 404", async () => {
    const a = await createKey({ name: 'tenant a' });
    const b = await createKey({ name: 'tenant b' });
    const id = await submit(python('print("a secret answer")', { callbackUrl: hook }), bearer(a.key));
    const mine = await finished(id, bearer(a.key));
    expect(mine).toMatchObject({ id, stdout: 'a secret answer\n' });
    expect(mine.callback.url).toBe(hook);

    for (const stranger of [bearer(b.key), {}]) {
      const reply = await read(id, stranger);
      expect(reply.status).toBe(404);
      expect(reply.text).not.toContain('a secret answer');
      const several = await httpRequest(`${url}/api/submissions?ids=${id}`, 'GET', undefined, stranger);
      expect(several.json).toEqual({ submissions: [null] });
      const redeliver = await httpRequest(`${url}/api/submissions/${id}/callback/redeliver`, 'POST', undefined, stranger);
      expect(redeliver.status).toBe(404);
    }
    const byAdmin = await read(id, admin);
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.json.callback.url).toBe(hook);
    const both = await httpRequest(`${url}/api/submissions?ids=${id}`, 'GET', undefined, bearer(a.key));
    expect(both.json.submissions[0]).toMatchObject({ id, stdout: 'a secret answer\n' });
  });

  test('an anonymous submission is read by whoever holds its id, but its callback URL (maybe holding tokens) only by the admin', async () => {
    const id = await submit(python('print(1)', { callbackUrl: hook }));
    const seen = await finished(id, {});
    expect(seen.callback).not.toHaveProperty('url');
    expect(seen.callback.host).toBe(`127.0.0.2:${receiver.port}`);
    expect(JSON.stringify(seen)).not.toContain('receiver-secret-token');
    expect((await read(id, admin)).json.callback.url).toBe(hook);
    // nobody but the admin may redeliver it: an anonymous caller is not known again
    const redeliver = await httpRequest(`${url}/api/submissions/${id}/callback/redeliver`, 'POST');
    expect(redeliver.status).toBe(403);
  });

  test("a visitor key's history under an API key is that key's: the same visitor key under another key, or none, lists nothing", async () => {
    const a = await createKey({ name: 'history a' });
    const b = await createKey({ name: 'history b' });
    const visitor = { 'X-Runbox-Visitor': 'tenancy-visitor-0123456789abcdef' };
    const ran = await httpRequest(`${url}/api/execute`, 'POST', python('print("history")'), { ...visitor, ...bearer(a.key) });
    const submissionId = ran.json.submissionId as string;
    expect(submissionId).toEqual(expect.any(String));
    const list = (headers: Record<string, string>) => httpRequest(`${url}/api/history`, 'GET', undefined, { ...visitor, ...headers });
    expect((await list(bearer(a.key))).json.entries.map((e: { id: string }) => e.id)).toEqual([submissionId]);
    expect((await list(bearer(b.key))).json.entries).toEqual([]);
    expect((await list({})).json.entries).toEqual([]);
    expect((await httpRequest(`${url}/api/history/${submissionId}`, 'GET', undefined, { ...visitor, ...bearer(b.key) })).status).toBe(404);
    expect((await httpRequest(`${url}/api/history/${submissionId}`, 'DELETE', undefined, { ...visitor, ...bearer(b.key) })).status).toBe(404);
    expect((await httpRequest(`${url}/api/history/${submissionId}`, 'GET', undefined, { ...visitor, ...bearer(a.key) })).json.result.stdout).toBe('history\n');
  });

  test("queued submissions hold the key's run slots while they run and count in its usage, as synchronous runs do", async () => {
    const key = await createKey({ name: 'one slot', maxConcurrent: 1 });
    const sleeper = python('import time\nt=time.process_time()\nwhile time.process_time()-t<0.3: pass\ntime.sleep(1.2)\nprint("slept")');
    const ids = [await submit(sleeper, bearer(key.key)), await submit(sleeper, bearer(key.key))];
    // while one of them runs, the key's one slot is taken: its synchronous run is refused
    await until('a submission running', async () => (await read(ids[0]!, bearer(key.key))).json.status === 'running');
    const refused = await httpRequest(`${url}/api/execute`, 'POST', python('print(1)'), bearer(key.key));
    expect(refused.status).toBe(429);
    expect(refused.json).toMatchObject({ quota: 'concurrency', limit: 1 });
    // the 429's RateLimit-* describe the quota that refused: runs in flight
    expect(refused.headers.get('ratelimit-limit')).toBe('1');
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    expect(refused.headers.get('ratelimit-policy')).toBe('1;w=1;comment="runs in flight"');

    const [first, second] = [await finished(ids[0]!, bearer(key.key)), await finished(ids[1]!, bearer(key.key))];
    expect([first.stdout, second.stdout]).toEqual(['slept\n', 'slept\n']);
    // one slot: the second started only once the first was over
    const [earlier, later] = [first, second].sort((x, y) => Date.parse(x.startedAt) - Date.parse(y.startedAt));
    expect(Date.parse(later!.startedAt)).toBeGreaterThanOrEqual(Date.parse(earlier!.finishedAt) - 50);
    const total = await until('the usage recorded', async () => {
      const t = await usage(key);
      return t.runs === 2 && t;
    }, 10_000);
    expect(total.cpuMs).toBeGreaterThanOrEqual(2 * 250);
  });

  test('a batch is admitted whole or not at all: 6 over a rate of 5 is a 429 that costs nothing', async () => {
    await freshMinute();
    const key = await createKey({ name: 'rate five', ratePerMinute: 5 });
    const batch = { submissions: Array.from({ length: 6 }, (_, i) => python(`print(${i})`)) };
    const refused = await httpRequest(`${url}/api/submissions/batch`, 'POST', batch, bearer(key.key));
    expect(refused.status).toBe(429);
    expect(refused.json).toMatchObject({ quota: 'rate', limit: 5 });
    expect(refused.json.message).toMatch(/these 6 runs do not all fit/);
    const single = await httpRequest(`${url}/api/execute`, 'POST', python('print("after")'), bearer(key.key));
    expect(single.status).toBe(200);
    expect(single.headers.get('ratelimit-remaining')).toBe('4');
    // four fit in what is left, all of them counted
    const fits = await httpRequest(`${url}/api/submissions/batch`, 'POST', { submissions: batch.submissions.slice(0, 4) }, bearer(key.key));
    expect(fits.status).toBe(202);
    expect(fits.headers.get('ratelimit-remaining')).toBe('0');
    await Promise.all((fits.json.ids as string[]).map((id) => finished(id, bearer(key.key))));
    expect((await until('usage of 5 runs', async () => ((await usage(key)).runs === 5 ? usage(key) : null), 10_000)).runs).toBe(5);
  });

  test("saving a snippet counts as a run of the caller's quotas: a key at its rate is refused one", async () => {
    await freshMinute();
    const key = await createKey({ name: 'sharer', ratePerMinute: 2 });
    const share = () => httpRequest(`${url}/api/snippets`, 'POST', python('print("shared")'), bearer(key.key));
    const first = await share();
    expect(first.status).toBe(201);
    expect(first.headers.get('ratelimit-remaining')).toBe('1');
    expect((await share()).status).toBe(201);
    const refused = await share();
    expect(refused.status).toBe(429);
    expect(refused.json).toMatchObject({ quota: 'rate', limit: 2 });
    // what was saved stays readable by its link, by anyone
    expect((await httpRequest(`${url}/api/snippets/${first.json.id}`, 'GET')).json.code).toBe('print("shared")');
  });

  test('an Authorization header that is not "Bearer <key>" is a 401 naming the accepted forms; the scheme is case-insensitive', async () => {
    const key = await createKey({ name: 'schemes' });
    for (const authorization of [key.key, `Basic ${Buffer.from(`user:${key.key}`).toString('base64')}`, 'Bearer', `Token ${key.key}`]) {
      const reply = await httpRequest(`${url}/api/execute`, 'POST', python('print(1)'), { authorization });
      expect(reply.status).toBe(401);
      expect(reply.json.error).toBe('Unauthorized');
      expect(reply.json.message).toMatch(/Authorization: Bearer <key>.*X-API-Key: <key>/);
      expect(reply.headers.get('www-authenticate')).toBe('Bearer');
    }
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      const reply = await httpRequest(`${url}/api/execute`, 'POST', python('print(1)'), { authorization: `${scheme} ${key.key}` });
      expect(reply.status).toBe(200);
    }
    expect((await httpRequest(`${url}/api/admin/keys`, 'GET', undefined, { authorization: `bearer ${ADMIN_KEY}` })).status).toBe(200);
  });

  test("each key's callbacks are signed with its own secret (shown once), which no other key's verifies; a rotation signs with both for its overlap", async () => {
    const a = await createKey({ name: 'signer a' });
    const b = await createKey({ name: 'signer b' });
    expect(a.callbackSecret).toMatch(/^rbxcb_[A-Za-z0-9_-]{43}$/);
    expect(a.callbackSecret).not.toBe(b.callbackSecret);
    const shown = await httpRequest(`${url}/api/admin/keys/${a.id}`, 'GET', undefined, admin);
    expect(shown.text).not.toContain(a.callbackSecret);

    const id = await submit(python('print("signed")', { callbackUrl: hook }), bearer(a.key));
    const [delivery] = await until('the delivery', () => deliveriesOf(id).length > 0 && deliveriesOf(id));
    expect(signedWith(delivery!, a.callbackSecret)).toBe(true);
    expect(signedWith(delivery!, b.callbackSecret)).toBe(false);
    expect(signedWith(delivery!, SERVER_SECRET)).toBe(false);

    // the key rotates its own secret; the old one signs beside it for the overlap
    const rotated = await httpRequest(`${url}/api/key/callback-secret`, 'POST', undefined, bearer(a.key));
    expect(rotated.status).toBe(200);
    const fresh = rotated.json as CallbackSecretRotated;
    expect(fresh).toMatchObject({ id: a.id, callbackSecret: expect.stringMatching(/^rbxcb_/) });
    expect(Date.parse(fresh.previousValidUntil!) - Date.now()).toBeGreaterThan(3500_000);
    const next = await submit(python('print("rotated")', { callbackUrl: hook }), bearer(a.key));
    const [overlap] = await until('the delivery after rotation', () => deliveriesOf(next).length > 0 && deliveriesOf(next));
    expect(String(overlap!.headers['x-runbox-signature']).split(',')).toHaveLength(2);
    expect(signedWith(overlap!, fresh.callbackSecret)).toBe(true);
    expect(signedWith(overlap!, a.callbackSecret)).toBe(true);

    // the admin rotates b's; an anonymous caller has no secret of its own to rotate
    const byAdmin = await httpRequest(`${url}/api/admin/keys/${b.id}/callback-secret`, 'POST', undefined, admin);
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.json.callbackSecret).not.toBe(b.callbackSecret);
    expect((await httpRequest(`${url}/api/key/callback-secret`, 'POST')).status).toBe(403);
    expect((await httpRequest(`${url}/api/admin/keys/${b.id}/callback-secret`, 'POST', undefined, bearer(b.key))).status).toBe(401);
  });

  test('a delivery has an id and an attempt number; its body says delivered; its owner can redeliver it as a new delivery', async () => {
    const key = await createKey({ name: 'redeliver' });
    const id = await submit(python('print("again")', { callbackUrl: hook }), bearer(key.key));
    const [first] = await until('the delivery', () => deliveriesOf(id).length > 0 && deliveriesOf(id));
    expect(first!.headers['x-runbox-attempt']).toBe('1');
    const deliveryId = String(first!.headers['x-runbox-delivery']);
    expect(deliveryId).toMatch(/^[A-Za-z0-9_-]{16}$/);
    // the body's callback is what it is once this try is answered 2xx
    expect(JSON.parse(first!.body).callback).toMatchObject({ url: hook, state: 'delivered', attempts: 1, lastError: null, deliveryId });
    await until('the delivery recorded', async () => (await read(id, bearer(key.key))).json.callback.state === 'delivered');

    const redelivery = await httpRequest(`${url}/api/submissions/${id}/callback/redeliver`, 'POST', undefined, bearer(key.key));
    expect(redelivery.status).toBe(202);
    expect(redelivery.json).toEqual({ id, deliveryId: expect.any(String) });
    expect(redelivery.json.deliveryId).not.toBe(deliveryId);
    const [, second] = await until('the redelivery', () => deliveriesOf(id).length > 1 && deliveriesOf(id));
    expect(second!.headers['x-runbox-delivery']).toBe(redelivery.json.deliveryId);
    expect(second!.headers['x-runbox-attempt']).toBe('1');
    expect(JSON.parse(second!.body)).toMatchObject({ id, stdout: 'again\n' });
    // a submission without a callback has nothing to redeliver
    const plain = await submit(python('print(1)'), bearer(key.key));
    await finished(plain, bearer(key.key));
    expect((await httpRequest(`${url}/api/submissions/${plain}/callback/redeliver`, 'POST', undefined, bearer(key.key))).status).toBe(404);
  });
});

describe('the callback retry schedule', () => {
  test('by default it covers more than an hour even when every wait draws the most jitter, and no wait is over the cap', () => {
    const attempts = 18; // RUNBOX_CALLBACK_ATTEMPTS' default
    const cap = 600;
    const waits = (random: number) => Array.from({ length: attempts - 1 }, (_, i) => callbackRetryDelayMs(i + 1, cap, random));
    const shortest = waits(1);
    expect(shortest.reduce((a, b) => a + b, 0)).toBeGreaterThan(3600_000);
    expect(Math.max(...waits(0))).toBe(cap * 1000);
    expect(waits(0).slice(0, 4)).toEqual([1000, 2000, 4000, 8000]);
    // jitter only shortens a wait, by at most a fifth
    expect(shortest.slice(0, 2)).toEqual([800, 1600]);
  });
});
