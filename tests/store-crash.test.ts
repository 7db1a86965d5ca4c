import { beforeAll, describe, expect, test } from '@jest/globals';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { SQLITE_FILE_NAME } from '../backend/src/store/open-store.js';
import { httpRequest } from './helpers/runbox.js';
import { startServerProcess, stopServerProcess, tempDataDir, useServerProcessesAndPostgres, type ServerProcess } from './helpers/server-process.js';

/**
 * The server is killed with SIGKILL while many writes are in flight. Whatever it
 * acknowledged must be there after a restart, multi-row changes must be whole or absent,
 * and the database must take new writes. Then: many writers at once all succeed.
 */

const ADMIN_KEY = 'crash-admin-key-0123456789';
const admin = { authorization: `Bearer ${ADMIN_KEY}` };
const postgres = useServerProcessesAndPostgres();

/** A problem whose version k has exactly k tests: a torn write would show as a mismatch. */
const version = (k: number) => ({
  title: `version ${k}`,
  statement: `v${k}`,
  timeLimitMs: 1000,
  memoryLimitMb: 64,
  tests: Array.from({ length: k }, (_, i) => ({ input: `${i}\n`, expected: `${i}\n`, hidden: i % 2 === 1 })),
});

interface Acknowledged {
  snippets: Map<string, string>;
  problemVersions: number[];
}

/** Writers hammering the API until `stop` is set; records every write the server confirmed. */
async function writeUntilStopped(url: string, stop: { now: boolean }): Promise<Acknowledged> {
  const acked: Acknowledged = { snippets: new Map(), problemVersions: [] };
  const snippetWriter = async (w: number) => {
    for (let i = 0; !stop.now; i++) {
      const code = `print("writer ${w} write ${i}")\n` + 'x'.repeat(2000);
      const reply = await httpRequest(`${url}/api/snippets`, 'POST', { language: 'python', code }).catch(() => null);
      if (reply?.status === 201) acked.snippets.set(reply.json.id, code);
    }
  };
  const problemWriter = async () => {
    for (let k = 1; !stop.now; k = (k % 40) + 1) {
      const reply = await httpRequest(`${url}/api/problems/crash-test`, 'PUT', version(k), admin).catch(() => null);
      if (reply && reply.status < 300) acked.problemVersions.push(k);
    }
  };
  await Promise.all([...Array.from({ length: 6 }, (_, w) => snippetWriter(w)), problemWriter()]);
  return acked;
}

describe.each(['sqlite', 'postgres'] as const)('%s', (kind) => {
  let env: Record<string, string>;
  let dataDir: string;
  beforeAll(() => {
    dataDir = tempDataDir();
    env = { RUNBOX_ADMIN_KEY: ADMIN_KEY, RUNBOX_USER_POOL: '1', RUNBOX_DATA_DIR: dataDir, ...(kind === 'postgres' ? { DATABASE_URL: postgres().createDatabase('crash') } : {}) };
  });

  test('kill -9 mid-write loses no acknowledged write and leaves the database usable', async () => {
    const first = await startServerProcess(env);
    const stop = { now: false };
    const writing = writeUntilStopped(first.url, stop);
    await new Promise((r) => setTimeout(r, 1500));
    first.child.kill('SIGKILL'); // in the middle of writes: several are in flight right now
    await first.exited;
    stop.now = true;
    const acked = await writing;
    expect(acked.snippets.size).toBeGreaterThan(20);
    expect(acked.problemVersions.length).toBeGreaterThan(3);

    if (kind === 'sqlite') {
      const db = new DatabaseSync(path.join(dataDir, SQLITE_FILE_NAME));
      try {
        expect(db.prepare('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' });
        expect(db.prepare('PRAGMA foreign_key_check').all()).toEqual([]);
      } finally {
        db.close();
      }
    }

    // the restart also sweeps the users the killed server had pooled
    const second = await startServerProcess(env);
    try {
      for (const [id, code] of acked.snippets) {
        const reply = await httpRequest(`${second.url}/api/snippets/${id}`, 'GET');
        expect(reply.status).toBe(200);
        expect(reply.json.code).toBe(code);
      }
      const problem = await httpRequest(`${second.url}/api/problems/crash-test`, 'GET', undefined, admin);
      const k = Number(/^version (\d+)$/.exec(problem.json.title)![1]);
      expect(problem.json.tests).toHaveLength(k); // the whole version, never half of it
      expect(problem.json.statement).toBe(`v${k}`);
      // the last acknowledged version, or one the server committed without getting to answer
      expect(k === acked.problemVersions.at(-1) || k === (acked.problemVersions.at(-1)! % 40) + 1).toBe(true);

      const after = await httpRequest(`${second.url}/api/snippets`, 'POST', { language: 'python', code: 'print("after the crash")' });
      expect(after.status).toBe(201);
      expect((await httpRequest(`${second.url}/api/snippets/${after.json.id}`, 'GET')).json.code).toBe('print("after the crash")');
    } finally {
      expect(await stopServerProcess(second)).toBe(0);
    }
  }, 90000);

  test('many submissions at once all succeed and all land in their visitors’ histories', async () => {
    const server = await startServerProcess(env);
    try {
      const visitors = Array.from({ length: 30 }, (_, i) => ({ 'x-runbox-visitor': `concurrent-visitor-${String(i).padStart(4, '0')}-abcdef` }));
      const runs = visitors.map((v, i) => httpRequest(`${server.url}/api/execute`, 'POST', { language: 'python', code: `print(${i})` }, v));
      const judged = visitors.slice(0, 8).map((v) => httpRequest(`${server.url}/api/problems/a-plus-b/submissions`, 'POST', { language: 'python', code: 'a, b = map(int, input().split())\nprint(a + b)' }, v));
      const snippets = Array.from({ length: 50 }, (_, i) => httpRequest(`${server.url}/api/snippets`, 'POST', { language: 'python', code: `# ${i}` }));
      const replies = await Promise.all([...runs, ...judged, ...snippets]);
      for (const reply of replies) expect([200, 201]).toContain(reply.status);
      for (const [i, v] of visitors.entries()) {
        const history = await httpRequest(`${server.url}/api/history`, 'GET', undefined, v);
        expect(history.json.entries.map((e: { kind: string }) => e.kind).sort()).toEqual(i < 8 ? ['judge', 'run'] : ['run']);
      }
      expect(replies.slice(30, 38).map((r) => [r.json.status, r.json.tests?.map((t: { status: string; timeMs: number }) => `${t.status}:${t.timeMs}`)])).toEqual(Array(8).fill(['accepted', expect.anything()]));
    } finally {
      expect(await stopServerProcess(server)).toBe(0);
    }
  }, 120000);
});
