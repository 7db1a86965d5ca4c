import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { loadConfig } from '../backend/src/config.js';
import { admitRun, authenticate, runQuota } from '../backend/src/http/api-keys.js';
import { HttpError } from '../backend/src/http/errors.js';
import { keyIdOf, keyMatches, newKeyMaterial } from '../backend/src/keys/api-key.js';
import { Quotas } from '../backend/src/keys/quotas.js';
import { createLogger } from '../backend/src/log.js';
import { openPostgres } from '../backend/src/store/postgres.js';
import { SqlStore } from '../backend/src/store/sql-store.js';
import { openSqlite } from '../backend/src/store/sqlite.js';
import type { AdmissionRequest } from '../backend/src/store/store.js';
import { testDatabases } from './helpers/postgres.js';
import { httpRequest } from './helpers/runbox.js';

/**
 * The counting underneath API-key quotas, on SQLite and on a real PostgreSQL: many
 * admissions racing for the same slots or window (two connection pools on PostgreSQL, as
 * two replicas), windows and leases over time (explicit clocks, nothing waits), refusals
 * that count nothing; and the Express middleware other routes apply.
 */

const databases = testDatabases('keys');

const logger = createLogger('silent');
const MINUTE = 60_000;
/** A time at the start of a minute, in the middle of a UTC day. */
const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);

/** Two stores on one database: two pools on PostgreSQL (two replicas); one connection on SQLite (one per process). */
async function openPair(kind: 'sqlite' | 'postgres'): Promise<[SqlStore, SqlStore]> {
  if (kind === 'sqlite') {
    const store = await SqlStore.open(openSqlite(databases.sqliteFile()));
    return [store, store];
  }
  const url = databases.postgresUrl();
  const first = await SqlStore.open(openPostgres(url));
  return [first, await SqlStore.open(openPostgres(url))];
}

const request = (over: Partial<AdmissionRequest>): AdmissionRequest => ({ subject: 'key:test', now: T0, perMinute: null, perDay: null, lease: null, ...over });
const lease = (id: string, max: number, expiresAt = T0 + 30_000) => ({ max, id, holder: 'holder-1', expiresAt });

describe.each(['sqlite', 'postgres'] as const)('%s', (kind) => {
  let stores: [SqlStore, SqlStore];
  beforeAll(async () => {
    stores = await openPair(kind);
  });
  afterAll(async () => {
    await stores[0].close();
    if (stores[1] !== stores[0]) await stores[1].close();
  });
  const keys = (i: number) => stores[i % 2]!.keys;

  test('30 runs racing for 3 slots: exactly 3 get one, the rest are refused for concurrency', async () => {
    const outcomes = await Promise.all(Array.from({ length: 30 }, (_, i) => keys(i).admit(request({ subject: 'race', lease: lease(`l${i}`, 3) }))));
    expect(outcomes.filter((o) => o.admitted)).toHaveLength(3);
    expect(outcomes.filter((o) => !o.admitted && o.exceeded === 'concurrency')).toHaveLength(27);
  });

  test('20 runs racing for a window of 5: exactly 5 counted; the next minute is a new window', async () => {
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => keys(i).admit(request({ subject: 'window', now: T0 + 1000, perMinute: 5 }))));
    const used = outcomes.flatMap((o) => (o.admitted ? [o.minuteUsed] : [])).sort();
    expect(used).toEqual([1, 2, 3, 4, 5]);
    expect(outcomes.filter((o) => !o.admitted && o.exceeded === 'rate')).toHaveLength(15);
    expect(await keys(0).admit(request({ subject: 'window', now: T0 + 59_999, perMinute: 5 }))).toEqual({ admitted: false, exceeded: 'rate' });
    expect(await keys(1).admit(request({ subject: 'window', now: T0 + MINUTE, perMinute: 5 }))).toEqual({ admitted: true, minuteUsed: 1, dayUsed: null });
  });

  test('a run refused by one quota counts against none of the others', async () => {
    const subject = 'refused';
    expect(await keys(0).admit(request({ subject, perMinute: 10, perDay: 1, lease: lease('a', 2) }))).toEqual({ admitted: true, minuteUsed: 1, dayUsed: 1 });
    expect(await keys(1).admit(request({ subject, perMinute: 10, perDay: 1, lease: lease('b', 2) }))).toEqual({ admitted: false, exceeded: 'daily' });
    // b's slot and minute count were rolled back: the second slot is free, the minute has counted one
    expect(await keys(0).admit(request({ subject, perMinute: 10, lease: lease('c', 2) }))).toEqual({ admitted: true, minuteUsed: 2, dayUsed: null });
    expect(await keys(1).admit(request({ subject, lease: lease('d', 2) }))).toEqual({ admitted: false, exceeded: 'concurrency' });
    // the daily window is the UTC day
    expect(await keys(0).admit(request({ subject, now: T0 + 11 * 3600_000, perDay: 1 }))).toEqual({ admitted: false, exceeded: 'daily' });
    expect(await keys(0).admit(request({ subject, now: T0 + 12 * 3600_000, perDay: 1 }))).toEqual({ admitted: true, minuteUsed: null, dayUsed: 1 });
  });

  test('a lease frees when released, or when its holder stops renewing it', async () => {
    const subject = 'leases';
    const one = (id: string, now: number, expiresAt = now + 3000) => request({ subject, now, lease: { ...lease(id, 1), expiresAt } });
    expect((await keys(0).admit(one('x', T0))).admitted).toBe(true);
    expect(await keys(1).admit(one('y', T0 + 1000))).toEqual({ admitted: false, exceeded: 'concurrency' });
    await keys(0).finishRun(subject, 'x', null);
    expect((await keys(1).admit(one('y', T0 + 1000))).admitted).toBe(true);
    // y's holder renews until T0 + 10 s, then dies
    await keys(1).renewLeases('holder-1', T0 + 10_000);
    expect(await keys(0).admit(one('z', T0 + 9_000))).toEqual({ admitted: false, exceeded: 'concurrency' });
    expect((await keys(0).admit(one('z', T0 + 10_000))).admitted).toBe(true);
    // releasing a lease that was taken over does not free its new owner's slot
    await keys(1).finishRun(subject, 'y', null);
    expect(await keys(1).admit(one('w', T0 + 10_500))).toEqual({ admitted: false, exceeded: 'concurrency' });
  });

  test('a batch of runs is counted whole or not at all: 6 never fit in a window of 5, and refused cost nothing', async () => {
    const now = T0 + 2 * MINUTE + 1000;
    expect(await keys(0).admit(request({ subject: 'batch', now, perMinute: 5, units: 6 }))).toEqual({ admitted: false, exceeded: 'rate' });
    expect(await keys(1).admit(request({ subject: 'batch', now, perMinute: 5, units: 4 }))).toEqual({ admitted: true, minuteUsed: 4, dayUsed: null });
    expect(await keys(0).admit(request({ subject: 'batch', now, perMinute: 5, perDay: 100, units: 2 }))).toEqual({ admitted: false, exceeded: 'rate' });
    expect(await keys(1).admit(request({ subject: 'batch', now, perMinute: 5, perDay: 100 }))).toEqual({ admitted: true, minuteUsed: 5, dayUsed: 1 });
  });

  test('callback secrets: the current one, and the previous one only until its overlap ends', async () => {
    const material = newKeyMaterial();
    await keys(0).createKey(material.id, material.hash, { name: 'signing', maxConcurrent: 1 }, 'rbxcb_one');
    expect(await keys(1).callbackSecrets(material.id)).toEqual({ current: 'rbxcb_one', previous: null });
    const until = Date.now() + 60_000;
    expect(await keys(1).rotateCallbackSecret(material.id, 'rbxcb_two', until)).toBe(true);
    expect(await keys(0).callbackSecrets(material.id)).toEqual({ current: 'rbxcb_two', previous: 'rbxcb_one' });
    expect(await keys(0).callbackSecrets(material.id, until + 1)).toEqual({ current: 'rbxcb_two', previous: null });
    expect(await keys(0).rotateCallbackSecret('AAAAAAAAAAAAAAAA', 'x', until)).toBe(false);
    expect(await keys(0).callbackSecrets('AAAAAAAAAAAAAAAA')).toBeNull();
    // a key's secrets are never part of what the key store lists
    expect(JSON.stringify(await keys(1).listKeys())).not.toContain('rbxcb_');
  });

  test('keys: made, found, listed, revoked once; usage adds up per day', async () => {
    const material = newKeyMaterial();
    expect(keyIdOf(material.key)).toBe(material.id);
    expect(keyMatches(material.key, material.hash)).toBe(true);
    expect(keyMatches(material.key + 'x', material.hash)).toBe(false);
    expect(keyIdOf('rbx_short.secret')).toBeNull();
    const created = await keys(0).createKey(material.id, material.hash, { name: 'k', maxConcurrent: 2, ratePerMinute: 9, caps: { memoryMb: 64 } }, 'rbxcb_first');
    expect(created).toMatchObject({ id: material.id, name: 'k', maxConcurrent: 2, ratePerMinute: 9, dailyRuns: null, caps: { memoryMb: 64 }, revokedAt: null, hash: material.hash });
    expect(await keys(1).getKey(material.id)).toEqual(created);
    expect((await keys(1).listKeys()).map((k) => k.id)).toContain(material.id);
    expect(JSON.stringify(await keys(1).listKeys())).not.toContain(material.hash);

    const subject = `key:${material.id}`;
    await keys(0).finishRun(subject, null, { keyId: material.id, day: '2026-11-29', cpuMs: 10 });
    await keys(1).finishRun(subject, null, { keyId: material.id, day: '2026-11-30', cpuMs: 20.4 });
    await keys(0).finishRun(subject, null, { keyId: material.id, day: '2026-11-30', cpuMs: 5 });
    expect(await keys(1).usage(material.id, '2026-11-30')).toEqual([{ day: '2026-11-30', runs: 2, cpuMs: 25 }]);
    expect(await keys(1).usage(material.id, '2026-01-01')).toHaveLength(2);

    expect(await keys(0).revokeKey(material.id)).toBe('revoked');
    expect(await keys(1).revokeKey(material.id)).toBe('already');
    expect(await keys(1).revokeKey('AAAAAAAAAAAAAAAA')).toBe('unknown');
    expect((await keys(0).getKey(material.id))?.revokedAt).toEqual(expect.any(String));
  });

  test('pruning drops old windows and long-expired leases, not current ones', async () => {
    await keys(0).admit(request({ subject: 'prune', now: T0 - 3 * 86_400_000, perMinute: 1, lease: { ...lease('old', 1), expiresAt: T0 - 3 * 86_400_000 + 1000 } }));
    await keys(0).pruneQuotas(T0 - 2 * 86_400_000);
    // the old window is gone: the count in that minute starts over
    expect(await keys(1).admit(request({ subject: 'prune', now: T0 - 3 * 86_400_000, perMinute: 1 }))).toEqual({ admitted: true, minuteUsed: 1, dayUsed: null });
  });
});

describe('the Express middleware other routes apply', () => {
  let store: SqlStore;
  let server: Server;
  let url: string;
  const release: (() => void)[] = [];
  beforeAll(async () => {
    store = await SqlStore.open(openSqlite(path.join(databases.dir, 'middleware', 'runbox.db')));
    const config = loadConfig({ RUNBOX_ANON_RUNS_PER_MINUTE: '100', RUNBOX_ANON_CONCURRENT_RUNS: '1', RUNBOX_ADMIN_KEY: 'middleware-admin-key-0123' });
    const quotas = new Quotas(store.keys, { anonymous: { allowed: true, perMinute: 100, perDay: 0, concurrent: 1 }, leaseMs: 30_000 }, logger);
    const deps = { config, store, quotas };
    const app = express();
    app.use('/api', authenticate(deps));
    // a route that holds its slot until the test lets it answer
    app.post('/api/slow', runQuota(deps), async (_req, res) => {
      await new Promise<void>((r) => release.push(r));
      res.json({ done: true });
    });
    // queued work: counted, holding no slot
    app.post('/api/queued', async (req, res) => {
      await admitRun(deps, req, res, { hold: false });
      res.status(202).json({ queued: true });
    });
    app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      if (!(err instanceof HttpError)) throw err;
      res.status(err.status).set(err.headers).json(err.body);
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await store.close();
  });

  test('runQuota holds the slot for the response and gives it back when it closes', async () => {
    const first = httpRequest(`${url}/api/slow`, 'POST');
    while (release.length === 0) await new Promise((r) => setTimeout(r, 10));
    const refused = await httpRequest(`${url}/api/slow`, 'POST');
    expect(refused.status).toBe(429);
    expect(refused.json).toMatchObject({ quota: 'concurrency', limit: 1 });
    expect(refused.headers.get('retry-after')).toBe('1');
    // work that only queues is counted against the rate, not the slot
    const queued = await httpRequest(`${url}/api/queued`, 'POST');
    expect(queued.status).toBe(202);
    expect(queued.headers.get('ratelimit-remaining')).toBe('98');
    release.shift()!();
    expect((await first).json).toEqual({ done: true });
    // the slot goes back when the response closes, just after the client has its answer
    await new Promise((r) => setTimeout(r, 200));
    const again = httpRequest(`${url}/api/slow`, 'POST');
    let admitted = false;
    for (let i = 0; i < 100 && !admitted; i++) {
      await new Promise((r) => setTimeout(r, 20));
      admitted = release.length > 0;
    }
    expect(admitted).toBe(true);
    release.shift()!();
    expect((await again).status).toBe(200);
  });

  test('unknown keys are refused before any route', async () => {
    const reply = await httpRequest(`${url}/api/queued`, 'POST', undefined, { 'x-api-key': newKeyMaterial().key });
    expect(reply.status).toBe(401);
    expect(reply.json.message).toMatch(/not known/);
  });
});
