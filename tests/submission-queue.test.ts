import { afterAll, describe, expect, test } from '@jest/globals';
import path from 'node:path';
import type { ExecuteResponse } from '../backend/src/protocol.js';
import { openPostgres } from '../backend/src/store/postgres.js';
import { SqlStore } from '../backend/src/store/sql-store.js';
import { openSqlite } from '../backend/src/store/sqlite.js';
import type { NewQueuedSubmission, SubmissionOutcome } from '../backend/src/store/submission-queue.js';
import { testDatabases } from './helpers/postgres.js';

/**
 * The asynchronous submissions' queue in the store, on SQLite and on a real PostgreSQL:
 * claims in order and never twice (also with several servers claiming at once), leases that
 * expire and come back, a submission that kept killing its servers ending as an error,
 * callbacks' schedule, and deleting old results.
 */

const databases = testDatabases('queue');

const LEASE = 10_000;
const opened: SqlStore[] = [];

/** A fresh database of the kind; `connections` stores on it, as several servers would have. */
async function freshStores(kind: 'sqlite' | 'postgres', connections = 1): Promise<SqlStore[]> {
  const target = kind === 'sqlite' ? databases.sqliteFile() : databases.postgresUrl();
  const stores: SqlStore[] = [];
  for (let i = 0; i < connections; i++) stores.push(await SqlStore.open(kind === 'sqlite' ? openSqlite(target) : openPostgres(target)));
  opened.push(...stores);
  return stores;
}

afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
});

const item = (code: string, callbackUrl: string | null = null): NewQueuedSubmission => ({
  owner: null,
  callbackUrl,
  request: { language: 'python', code, stdin: '', args: [], limits: { timeMs: 1000, cpuTimeMs: 1000, memoryMb: 64, processes: 16, outputKb: 64 }, expectedOutput: null },
});

function result(stdout: string): ExecuteResponse {
  return { id: 'run-1', language: 'python', status: 'ok', output: stdout, stdout, stderr: '', exitCode: 0, signal: null, timeMs: 5, cpuTimeMs: 4, memoryKb: 100, truncated: false, processLimitHit: false, processLimit: 16, compile: null };
}
const outcome = (stdout: string): SubmissionOutcome => ({ result: result(stdout), language: 'python', verdict: null });
const failure = (language: string, attempts: number): SubmissionOutcome => ({ result: null, language, verdict: null, message: `gave up after ${attempts}` });

describe.each(['sqlite', 'postgres'] as const)('%s', (kind) => {
  test('claims take the oldest queued submissions first, each once', async () => {
    const [store] = await freshStores(kind);
    const queue = store!.submissionQueue;
    const ids = await queue.enqueue(['a', 'b', 'c', 'd', 'e'].map((c) => item(c)));
    expect(new Set(ids).size).toBe(5);
    expect(await queue.countQueued()).toBe(5);
    const first = await queue.claim('w1', 2, LEASE);
    expect(first.map((c) => c.request.code)).toEqual(['a', 'b']);
    expect(first.map((c) => c.id)).toEqual(ids.slice(0, 2));
    expect(first.every((c) => c.attempts === 1)).toBe(true);
    const second = await queue.claim('w2', 10, LEASE);
    expect(second.map((c) => c.request.code)).toEqual(['c', 'd', 'e']);
    expect(await queue.claim('w3', 10, LEASE)).toEqual([]);
    const records = await queue.find(ids);
    expect(records.map((r) => r.status).sort()).toEqual(['running', 'running', 'running', 'running', 'running']);
    expect(await queue.countQueued()).toBe(0);
  });

  test('program text with NUL, lone surrogates and emoji comes back exact', async () => {
    const [store] = await freshStores(kind);
    const code = 'print("\u0000 \ud800 \udfff 🎉 \\n")\n';
    await store!.submissionQueue.enqueue([item(code)]);
    const [claimed] = await store!.submissionQueue.claim('w', 1, LEASE);
    expect(claimed!.request.code).toBe(code);
  });

  test('servers claiming at the same moment never take the same submission', async () => {
    const stores = await freshStores(kind, 4);
    const ids = await stores[0]!.submissionQueue.enqueue(Array.from({ length: 60 }, (_, i) => item(`job ${i}`)));
    const taken: string[][] = stores.map(() => []);
    await Promise.all(
      stores.map(async (store, w) => {
        for (;;) {
          const got = await store.submissionQueue.claim(`server-${w}`, 1 + (w % 3), LEASE);
          if (got.length === 0 && (await store.submissionQueue.countQueued()) === 0) return;
          taken[w]!.push(...got.map((c) => c.id));
        }
      }),
    );
    const all = taken.flat();
    expect(all.length).toBe(ids.length);
    expect(new Set(all)).toEqual(new Set(ids));
  });

  test('only the server holding a claim records its result; a callback then becomes due', async () => {
    const [store] = await freshStores(kind);
    const queue = store!.submissionQueue;
    const [id] = await queue.enqueue([item('x', 'https://example.com/hook')]);
    await queue.claim('holder', 1, LEASE);
    expect(await queue.finish(id!, 'someone-else', outcome('wrong'))).toBe(false);
    expect(await queue.finish(id!, 'holder', outcome('right'))).toBe(true);
    expect(await queue.finish(id!, 'holder', outcome('again'))).toBe(false);
    const [record] = await queue.find([id!]);
    expect(record!.status).toBe('done');
    expect(record!.outcome!.result!.stdout).toBe('right');
    expect(record!.callback).toEqual({ url: 'https://example.com/hook', state: 'pending', attempts: 0, lastError: null, deliveryId: expect.stringMatching(/^[A-Za-z0-9_-]{16}$/) });
    expect(record!.finishedAt).not.toBeNull();
  });

  test('an expired lease goes back to the queue; after the last attempt the submission fails with a message', async () => {
    const [store] = await freshStores(kind);
    const queue = store!.submissionQueue;
    const [id] = await queue.enqueue([item('crashes its server')]);
    let now = Date.now();
    for (let attempt = 1; attempt <= 3; attempt++) {
      const [claimed] = await queue.claim(`dead-${attempt}`, 1, 1000, now);
      expect(claimed).toMatchObject({ id, attempts: attempt });
      // renewed leases hold; a lease nobody renews runs out
      await queue.renewLeases(`dead-${attempt}`, 1000, now + 500);
      expect(await queue.recoverExpired(3, failure, now + 1200)).toEqual({ requeued: 0, failed: 0, callbacks: 0 });
      now += 5000;
      const recovered = await queue.recoverExpired(3, failure, now);
      expect(recovered).toEqual(attempt < 3 ? { requeued: 1, failed: 0, callbacks: 0 } : { requeued: 0, failed: 1, callbacks: 0 });
    }
    const [record] = await queue.find([id!]);
    expect(record).toMatchObject({ status: 'done', attempts: 3, outcome: { result: null, message: 'gave up after 3' } });
    expect(await queue.claim('late', 1, 1000, now)).toEqual([]);
  });

  test("a restarted server takes back its dead predecessor's claims at once, not another server's", async () => {
    const [store] = await freshStores(kind);
    const queue = store!.submissionQueue;
    const [mine, theirs] = await queue.enqueue([item('mine'), item('theirs')]);
    await queue.claim('host/a1/100/aaaa', 1, LEASE);
    await queue.claim('host/a2/200/bbbb', 1, LEASE);
    expect(await queue.recoverOwnedBy('host/a1/', 3, failure)).toEqual({ requeued: 1, failed: 0, callbacks: 0 });
    const records = new Map((await queue.find([mine!, theirs!])).map((r) => [r.id, r]));
    expect(records.get(mine!)!.status).toBe('queued');
    expect(records.get(theirs!)!.status).toBe('running');
  });

  test('a released claim is queued again without counting as an attempt', async () => {
    const [store] = await freshStores(kind);
    const queue = store!.submissionQueue;
    const [id] = await queue.enqueue([item('x')]);
    await queue.claim('w', 1, LEASE);
    await queue.release(id!, 'w');
    const [again] = await queue.claim('w', 1, LEASE);
    expect(again).toMatchObject({ id, attempts: 1 });
  });

  test('callbacks are claimed when due, once, and retried at the time set', async () => {
    const [store] = await freshStores(kind);
    const queue = store!.submissionQueue;
    const [id] = await queue.enqueue([item('x', 'https://example.com/hook')]);
    await queue.claim('w', 1, LEASE);
    await queue.finish(id!, 'w', outcome('out'));
    const now = Date.now();
    const [claimed] = await queue.claimCallbacks('w', 5, LEASE, now);
    expect(claimed).toMatchObject({ id, callback: { state: 'delivering', attempts: 0 } });
    const deliveryId = claimed!.callback!.deliveryId;
    expect(await queue.claimCallbacks('other', 5, LEASE, now)).toEqual([]);
    expect(await queue.settleCallback(id!, 'w', { state: 'pending', dueAt: now + 4000, error: 'the receiver answered 500' })).toBe(true);
    expect(await queue.claimCallbacks('w', 5, LEASE, now + 3000)).toEqual([]);
    const [retry] = await queue.claimCallbacks('w', 5, LEASE, now + 4000);
    // a retry is the same delivery: receivers de-duplicate by its id
    expect(retry!.callback).toMatchObject({ attempts: 1, lastError: 'the receiver answered 500', deliveryId });
    expect(await queue.redeliver(id!)).toEqual({ state: 'busy' });
    expect(await queue.settleCallback(id!, 'w', { state: 'delivered' })).toBe(true);
    const [record] = await queue.find([id!]);
    expect(record!.callback).toEqual({ url: 'https://example.com/hook', state: 'delivered', attempts: 2, lastError: null, deliveryId });

    // a redelivery is a new delivery, due at once, its tries counted afresh
    const redelivery = await queue.redeliver(id!);
    expect(redelivery).toEqual({ state: 'started', deliveryId: expect.any(String) });
    const [again] = await queue.claimCallbacks('w', 5, LEASE);
    expect(again!.callback).toMatchObject({ state: 'delivering', attempts: 0, lastError: null, deliveryId: (redelivery as { deliveryId: string }).deliveryId });
    expect((redelivery as { deliveryId: string }).deliveryId).not.toBe(deliveryId);
    const [plain] = await queue.enqueue([item('no callback')]);
    expect(await queue.redeliver(plain!)).toEqual({ state: 'none' });
  });

  test('a claim released until later (its key had no run slot) is passed over until then, and the next one is taken', async () => {
    const [store] = await freshStores(kind);
    const queue = store!.submissionQueue;
    const [held, next] = await queue.enqueue([item('held'), item('next')]);
    const now = Date.now();
    await queue.claim('w', 1, LEASE, now);
    await queue.release(held!, 'w', now + 500);
    expect((await queue.claim('w', 5, LEASE, now + 100)).map((c) => c.id)).toEqual([next]);
    expect((await queue.claim('w', 5, LEASE, now + 500)).map((c) => c.id)).toEqual([held]);
  });

  test('pruning deletes finished submissions older than the cut whose callback is settled', async () => {
    const [store] = await freshStores(kind);
    const queue = store!.submissionQueue;
    const [old, oldCallback, queued] = await queue.enqueue([item('old'), item('old with callback', 'https://example.com/hook'), item('still queued')]);
    const finishedAt = Date.now() - 60_000;
    await queue.claim('w', 2, LEASE, finishedAt);
    await queue.finish(old!, 'w', outcome(''), finishedAt);
    await queue.finish(oldCallback!, 'w', outcome(''), finishedAt);
    expect(await queue.prune(new Date(Date.now() - 30_000))).toBe(1);
    expect((await queue.find([old!, oldCallback!, queued!])).map((r) => r.id).sort()).toEqual([oldCallback!, queued!].sort());
    await queue.claimCallbacks('w', 1, LEASE);
    await queue.settleCallback(oldCallback!, 'w', { state: 'failed', error: 'refused' });
    expect(await queue.prune(new Date(Date.now() - 30_000))).toBe(1);
    expect((await queue.find([oldCallback!, queued!])).map((r) => r.id)).toEqual([queued!]);
  });

  test('listing: newest first, page after page by cursor, by owner, state, language and creation time', async () => {
    const [store] = await freshStores(kind);
    const queue = store!.submissionQueue;
    const t0 = Date.now() - 10_000;
    const mine = (code: string, language = 'python') => ({ ...item(code), owner: 'key-a', request: { ...item(code).request, language } });
    const ids: string[] = [];
    for (const [i, code] of ['a', 'b', 'c', 'd', 'e'].entries()) ids.push(...(await queue.enqueue([mine(code, i === 4 ? 'cpp' : 'python')], t0 + i * 1000)));
    await queue.enqueue([item('anonymous')], t0 + 6000);
    await queue.claim('w', 1, LEASE); // the oldest, 'a', runs
    const page1 = await queue.list({ owner: 'key-a', limit: 2 });
    expect(page1.records.map((r) => r.request.code)).toEqual(['e', 'd']);
    const page2 = await queue.list({ owner: 'key-a', limit: 2, beforeSeq: page1.nextSeq! });
    const page3 = await queue.list({ owner: 'key-a', limit: 2, beforeSeq: page2.nextSeq! });
    expect([page2.records.map((r) => r.request.code), page3.records.map((r) => r.request.code), page3.nextSeq]).toEqual([['c', 'b'], ['a'], null]);
    expect((await queue.list({ limit: 10 })).records).toHaveLength(6);
    expect((await queue.list({ owner: 'key-a', limit: 10, states: ['running'] })).records.map((r) => r.id)).toEqual([ids[0]]);
    expect((await queue.list({ owner: 'key-a', limit: 10, language: 'cpp' })).records.map((r) => r.id)).toEqual([ids[4]]);
    const range = await queue.list({ owner: 'key-a', limit: 10, createdFrom: new Date(t0 + 1000), createdBefore: new Date(t0 + 3000) });
    expect(range.records.map((r) => r.request.code)).toEqual(['c', 'b']);
  });

  test('erasing: a finished submission and its idempotency key go; a queued one is refused, an unknown one is gone', async () => {
    const [store] = await freshStores(kind);
    const queue = store!.submissionQueue;
    expect(await queue.idempotency.claim('key:a', 'k1', 'body-1', 60_000)).toEqual({ state: 'claimed' });
    const [done] = await queue.enqueue([item('done')], Date.now(), { scope: 'key:a', key: 'k1' });
    await queue.idempotency.answer('key:a', 'k1', 202);
    const [queued] = await queue.enqueue([item('queued')]);
    await queue.claim('w', 1, LEASE);
    await queue.finish(done!, 'w', outcome('out'));
    expect(await queue.erase(queued!)).toBe('unfinished');
    expect(await queue.erase(done!)).toBe('erased');
    expect(await queue.erase(done!)).toBe('gone');
    expect(await queue.find([done!])).toEqual([]);
    // the key is free again: its submission is gone
    expect(await queue.idempotency.claim('key:a', 'k1', 'body-1', 60_000)).toEqual({ state: 'claimed' });
  });

  test('idempotency keys: claimed once, replayed with the same body, refused with another, in flight until answered, taken over after a crash, pruned after a day', async () => {
    const [a, b] = await freshStores(kind, 2);
    const keys = a!.submissionQueue.idempotency;
    const now = Date.now();
    // two servers claiming the same key at the same moment: one gets it
    const claims = await Promise.all([keys.claim('anon:1.2.3.4', 'k', 'body', 60_000, now), b!.submissionQueue.idempotency.claim('anon:1.2.3.4', 'k', 'body', 60_000, now)]);
    expect(claims.map((c) => c.state).sort()).toEqual(['claimed', 'in_flight']);
    expect(await keys.claim('anon:1.2.3.4', 'k', 'another body', 60_000, now)).toEqual({ state: 'mismatch' });
    // another caller's key of the same name is its own
    expect(await keys.claim('anon:5.6.7.8', 'k', 'body', 60_000, now)).toEqual({ state: 'claimed' });
    const [id] = await a!.submissionQueue.enqueue([item('x')], now, { scope: 'anon:1.2.3.4', key: 'k' });
    expect(await keys.claim('anon:1.2.3.4', 'k', 'body', 60_000, now + 1)).toEqual({ state: 'in_flight' });
    await keys.answer('anon:1.2.3.4', 'k', 201);
    expect(await keys.claim('anon:1.2.3.4', 'k', 'body', 60_000, now + 2)).toEqual({ state: 'replay', submissionId: id, status: 201 });
    // a server that died after queueing, before answering: past the hold, a retry is told what was queued
    await keys.claim('key:b', 'dead', 'body', 1000, now);
    const [orphan] = await a!.submissionQueue.enqueue([item('y')], now, { scope: 'key:b', key: 'dead' });
    expect(await keys.claim('key:b', 'dead', 'body', 1000, now + 2000)).toEqual({ state: 'replay', submissionId: orphan, status: 202 });
    // one that died before queueing: the retry takes the key over
    await keys.claim('key:b', 'early', 'body', 1000, now);
    expect(await keys.claim('key:b', 'early', 'body', 1000, now + 2000)).toEqual({ state: 'claimed' });
    // a refused request lets its key go
    await keys.release('key:b', 'early');
    expect(await keys.claim('key:b', 'early', 'other body', 1000, now + 3000)).toEqual({ state: 'claimed' });
    // a day later every key is pruned
    expect(await keys.prune(new Date(now + 24 * 3600_000 + 10_000))).toBe(4);
    expect(await keys.claim('anon:1.2.3.4', 'k', 'a new body', 60_000, now + 24 * 3600_000)).toEqual({ state: 'claimed' });
  });
});
