import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { ComposeProject, dockerLogs, ensureEngine, waitFor, type EngineHandle } from './helpers/compose.js';
import { jsonClient } from './helpers/https.js';
import { findLeftovers, NOTHING_LEFT } from './helpers/leftovers.js';
import { freePort } from './helpers/net.js';

/**
 * Several replicas, for real: the compose file's PostgreSQL profile (its image built from
 * Debian's package here) with `--scale api=3` behind one nginx. Asynchronous submissions spread
 * over the replicas; one replica is killed mid-run and its work finishes on the others; quotas
 * hold across replicas; and no uid is ever used by two replicas at once (they share a kernel).
 */

const run = promisify(execFile);
const ADMIN_KEY = 'e2e-admin-key-0123456789abcdef';
const MINUTE = 60_000;
const SUBMISSIONS = 300;
const REPLICAS = 3;

let engine: EngineHandle;
let project: ComposeProject;
let base: string;
let ca: string;

const api = jsonClient(() => base, () => ca);

beforeAll(async () => {
  engine = await ensureEngine();
  const https = await freePort();
  project = new ComposeProject(
    'runboxe2epg',
    {
      RUNBOX_HTTP_PORT: String(await freePort()),
      RUNBOX_HTTPS_PORT: String(https),
      RUNBOX_ADMIN_KEY: ADMIN_KEY,
      POSTGRES_PASSWORD: 'e2e-postgres-password',
      DATABASE_URL: 'postgres://runbox:e2e-postgres-password@postgres:5432/runbox',
      RUNBOX_RATE_LIMIT: '500r/s',
      RUNBOX_RATE_BURST: '500',
      RUNBOX_ANON_RUNS_PER_MINUTE: '0',
      RUNBOX_ANON_CONCURRENT_RUNS: '0',
      // a killed replica's claims go back to the queue after this long
      RUNBOX_SUBMISSION_LEASE_MS: '5000',
    },
    ['postgres'],
  );
  await project.destroy();
  await project.compose(['build']);
  await project.compose(['up', '-d', '--scale', `api=${REPLICAS}`]);
  base = `https://localhost:${https}`;
  ca = await project.generatedCa();
  // every replica up (each waits for PostgreSQL; compose restarts one that started too early)
  await waitFor(`${REPLICAS} replicas listening`, async () => (await replicaSlices()).size === REPLICAS, 5 * MINUTE, 2000);
  await waitFor('the API through nginx', async () => (await api('/api/health')).status === 200, 2 * MINUTE);
}, 60 * MINUTE);

afterAll(async () => {
  await project?.destroy().catch((err: Error) => console.error(err.message));
  await engine?.stop();
}, 5 * MINUTE);

/** Each replica's uid slice, from its "runbox listening" log line: container id -> [min, max]. */
async function replicaSlices(): Promise<Map<string, [number, number]>> {
  const slices = new Map<string, [number, number]>();
  for (const id of await project.containers('api', true)) {
    const line = (await dockerLogs(id)).split('\n').reverse().find((l) => l.includes('"runbox listening"'));
    const uids = line ? (JSON.parse(line) as { uids?: string }).uids : undefined;
    if (uids) slices.set(id, uids.split('-').map(Number) as [number, number]);
  }
  return slices;
}

/**
 * Samples the host's processes: every process of a run uid, by the container whose cgroup
 * holds it. A uid seen in two containers in one sample is a uid used by two replicas at once.
 */
function watchRunUids() {
  const clashes: string[] = [];
  let samples = 0;
  let seen = 0;
  let stopped = false;
  const sample = async () => {
    const byUid = new Map<string, Set<string>>();
    for (const pid of (await readdir('/proc')).filter((n) => /^\d+$/.test(n))) {
      const [status, cgroup] = await Promise.all([readFile(`/proc/${pid}/status`, 'utf8').catch(() => ''), readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => '')]);
      const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
      const container = /docker[-/]([0-9a-f]{64})/.exec(cgroup)?.[1];
      if (!uid || !container || Number(uid) < 700_000_000 || Number(uid) > 799_999_999) continue;
      seen++;
      (byUid.get(uid) ?? byUid.set(uid, new Set()).get(uid)!).add(container);
    }
    for (const [uid, containers] of byUid) if (containers.size > 1) clashes.push(`uid ${uid} in ${[...containers].join(', ')}`);
    samples++;
  };
  const loop = (async () => {
    while (!stopped) {
      await sample();
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return { clashes, samples, seen };
    },
  };
}

describe(`${REPLICAS} API replicas on PostgreSQL`, () => {
  test('each replica took its own uid slice, with nothing set per replica', async () => {
    const slices = [...(await replicaSlices()).values()].sort((a, b) => a[0] - b[0]);
    expect(slices).toHaveLength(REPLICAS);
    for (let i = 1; i < slices.length; i++) expect(slices[i]![0]).toBeGreaterThan(slices[i - 1]![1]);
  });

  test(`${SUBMISSIONS} submissions spread over the replicas; one replica killed mid-run; none lost, none finished twice, no uid shared`, async () => {
    const watcher = watchRunUids();
    const code = 'import os, time\ntime.sleep(0.2)\nprint(os.getuid())';
    const ids: string[] = [];
    for (let i = 0; i < SUBMISSIONS; i += 20) {
      const batch = await api('/api/submissions/batch', { method: 'POST', body: { submissions: Array.from({ length: 20 }, () => ({ language: 'python', code })) } });
      expect(batch.status).toBe(202);
      ids.push(...(batch.json.ids as string[]));
    }
    const states = async () => {
      const all: { id: string; status: string; stdout?: string }[] = [];
      for (let i = 0; i < ids.length; i += 20) all.push(...((await api(`/api/submissions?ids=${ids.slice(i, i + 20).join(',')}`)).json.submissions as typeof all));
      return all;
    };
    const finished = (all: { status: string }[]) => all.filter((s) => s.status !== 'queued' && s.status !== 'running').length;
    // a third done: kill the replica with a run in flight
    await waitFor('a third of the submissions', async () => finished(await states()) >= SUBMISSIONS / 3, 10 * MINUTE, 500);
    const slices = await replicaSlices();
    const victim = [...slices.keys()][0]!;
    await run('docker', ['kill', victim]);
    const results = await waitFor('every submission finished', async () => {
      const all = await states();
      return finished(all) === SUBMISSIONS && all;
    }, 15 * MINUTE, 1000);
    const { clashes, samples, seen } = await watcher.stop();

    // none lost: every one ran to an ordinary result, as a uid of some replica's slice
    expect(results.map((r) => r.status)).toEqual(Array(SUBMISSIONS).fill('ok'));
    const uids = results.map((r) => Number(r.stdout));
    const owner = (uid: number) => [...slices.entries()].find(([, [min, max]]) => uid >= min && uid <= max)?.[0];
    expect(uids.filter((uid) => !owner(uid))).toEqual([]);
    // spread: every replica ran some
    expect(new Set(uids.map(owner)).size).toBe(REPLICAS);
    // none finished twice: one "submission finished" line per id over all replicas, the killed one included
    const logged = (log: string, message: string) => log.split('\n').filter((l) => l.includes(`"${message}"`)).map((l) => (JSON.parse(l) as { id: string }).id);
    const logs = new Map(await Promise.all([...slices.keys()].map(async (id) => [id, await dockerLogs(id)] as const)));
    const finishedLines = [...logs.values()].flatMap((log) => logged(log, 'submission finished'));
    const twice = finishedLines.filter((id, i) => finishedLines.indexOf(id) !== i);
    expect(twice).toEqual([]);
    expect(finishedLines.every((id) => ids.includes(id))).toBe(true);
    // the killed replica may die between storing a result and logging it: such a submission has
    // no line, but the victim claimed it and its result is the victim's (a uid of its slice)
    const victimClaimed = new Set(logged(logs.get(victim)!, 'submission claimed'));
    const unlogged = ids.filter((id) => !finishedLines.includes(id));
    expect(unlogged.length).toBeLessThanOrEqual(2);
    for (const id of unlogged) {
      expect(victimClaimed.has(id)).toBe(true);
      expect(owner(Number(results.find((r) => r.id === id)!.stdout))).toBe(victim);
    }
    // what the killed replica had claimed and not finished was finished by the others
    const victimFinished = new Set(logged(logs.get(victim)!, 'submission finished'));
    const orphaned = [...victimClaimed].filter((id) => !victimFinished.has(id) && !unlogged.includes(id));
    expect(orphaned.length).toBeGreaterThan(0);
    for (const id of orphaned) expect(results.find((r) => r.id === id)?.status).toBe('ok');
    // no uid in two replicas at once, over every sample taken while the runs went on
    expect(samples).toBeGreaterThan(10);
    expect(seen).toBeGreaterThan(0);
    expect(clashes).toEqual([]);
    await project.compose(['up', '-d', '--scale', `api=${REPLICAS}`]);
  }, 40 * MINUTE);

  test("a key's per-minute quota holds across replicas", async () => {
    await waitFor(`${REPLICAS} replicas listening`, async () => (await project.containers('api')).length === REPLICAS, 2 * MINUTE);
    const admin = { authorization: `Bearer ${ADMIN_KEY}` };
    // room for all 16 in flight at once: only the rate is under test (the default of 4 runs in
    // flight refused some of the 10 the rate lets in whenever more than 4 overlapped)
    const created = await api('/api/admin/keys', { method: 'POST', body: { name: 'replicas', ratePerMinute: 10, maxConcurrent: 16 }, headers: admin });
    expect(created.status).toBe(201);
    const key = { authorization: `Bearer ${created.json.key}` };
    // the windows are fixed minutes: 16 requests straddling a minute's end may rightly get 20
    const secondsLeft = 60 - new Date().getUTCSeconds();
    if (secondsLeft < 15) await new Promise((resolve) => setTimeout(resolve, secondsLeft * 1000 + 500));
    const replies = await Promise.all(Array.from({ length: 16 }, () => api('/api/execute', { method: 'POST', body: { language: 'bash', code: 'echo ok' }, headers: key })));
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(10).fill(200), ...Array(6).fill(429)]);
    expect(new Set(replies.filter((r) => r.status === 429).map((r) => r.json.quota))).toEqual(new Set(['rate']));
  }, 5 * MINUTE);

  test('`down -v` leaves nothing of the project, and the host no run user, process or mount', async () => {
    await project.destroy();
    expect(await project.remains()).toEqual([]);
    expect(await findLeftovers()).toEqual(NOTHING_LEFT);
  }, 5 * MINUTE);
});
