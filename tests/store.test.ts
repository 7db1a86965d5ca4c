import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { seedProblems } from '../backend/src/judge/seed-problems.js';
import type { ExecuteResponse, ProblemInput } from '../backend/src/protocol.js';
import { MIGRATIONS, migrate, SchemaTooNewError } from '../backend/src/store/migrations.js';
import { openPostgres } from '../backend/src/store/postgres.js';
import type { SqlDatabase } from '../backend/src/store/sql.js';
import { SqlStore } from '../backend/src/store/sql-store.js';
import { openSqlite } from '../backend/src/store/sqlite.js';
import { testDatabases } from './helpers/postgres.js';

/**
 * One suite, two databases: every store test runs on SQLite (a file in a temporary
 * directory) and on a real PostgreSQL server started for this file.
 */

const databases = testDatabases('runbox');

interface FreshDatabase {
  /** the SQLite file or the PostgreSQL URL */
  target: string;
  connect(): SqlDatabase;
}

/** A fresh, empty database of the kind under test. */
const freshDatabase: Record<'sqlite' | 'postgres', () => FreshDatabase> = {
  sqlite: () => {
    const file = databases.sqliteFile();
    return { target: file, connect: () => openSqlite(file) };
  },
  postgres: () => {
    const url = databases.postgresUrl();
    return { target: url, connect: () => openPostgres(url) };
  },
};
const fresh = { sqlite: () => freshDatabase.sqlite().connect(), postgres: () => freshDatabase.postgres().connect() };

const VISITOR_A = 'visitor-a-0123456789abcdef';
const VISITOR_B = 'visitor-b-0123456789abcdef';

function result(status: ExecuteResponse['status'], stdout = ''): ExecuteResponse {
  return { id: 'r', language: 'python', status, output: stdout, stdout, stderr: '', exitCode: 0, signal: null, timeMs: 5, cpuTimeMs: 4, memoryKb: 100, truncated: false, processLimitHit: false, processLimit: 1024, compile: null };
}

const submission = (visitorKey: string, code: string, owner: string | null = null) => ({ visitorKey, owner, kind: 'run' as const, problem: null, language: 'python', code, stdin: 'in', args: ['-x'], result: result('ok', code) });

const problem = (slug: string, tests: ProblemInput['tests']): ProblemInput => ({ slug, title: `Problem ${slug}`, statement: '# Title\n\ntext', timeLimitMs: 1000, memoryLimitMb: 128, tests });

describe.each(['sqlite', 'postgres'] as const)('%s store', (kind) => {
  let db: SqlDatabase;
  let store: SqlStore;
  let database: FreshDatabase;

  beforeAll(async () => {
    database = freshDatabase[kind]();
    db = database.connect();
    store = await SqlStore.open(db);
  });
  afterAll(() => store?.close());

  describe('schema', () => {
    test('a new database gets every migration once, seed problems included', async () => {
      const versions = await db.all<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(versions.map((v) => Number(v.version))).toEqual(MIGRATIONS.map((m) => m.version));
      expect(await migrate(db)).toEqual([]); // opening again applies nothing
      const slugs = (await store.listProblems()).map((p) => p.slug).sort();
      expect(slugs).toEqual(seedProblems().map((p) => p.slug).sort());
    });

    test('rows written before programs of several files existed read back as they were', async () => {
      const old = fresh[kind]();
      try {
        // the schema as it was at version 2, with a snippet and a submission in it
        await old.transaction(async (tx) => {
          await tx.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
          for (const m of MIGRATIONS.filter((m) => m.version <= 2)) {
            await m.up(tx, old.dialect);
            await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, Date.now()]);
          }
          await tx.run('INSERT INTO snippets (id, language, code, stdin, args, created_at) VALUES (?, ?, ?, ?, ?, ?)', ['oldsnippet000000', 'python', JSON.stringify('print(1)'), JSON.stringify(''), '[]', 1]);
        });
        const oldStore = await SqlStore.open(old);
        expect(await migrate(old)).toEqual([]);
        expect(await oldStore.getSnippet('oldsnippet000000')).toMatchObject({ code: 'print(1)', files: null });
      } finally {
        await old.close();
      }
    });

    test('a database from a newer runbox is refused, not modified', async () => {
      const other = fresh[kind]();
      try {
        await migrate(other);
        await other.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [999, 'future', Date.now()]);
        await expect(migrate(other)).rejects.toThrow(SchemaTooNewError);
      } finally {
        await other.close();
      }
    });

    test('foreign keys are enforced', async () => {
      await expect(db.run('INSERT INTO problem_tests (problem_slug, position, input, expected, hidden) VALUES (?, ?, ?, ?, ?)', ['no-such-problem', 1, '', '', 0])).rejects.toThrow();
    });

    test('a failed transaction leaves nothing behind', async () => {
      await expect(
        db.transaction(async (tx) => {
          await tx.run('INSERT INTO snippets (id, language, code, stdin, args, created_at) VALUES (?, ?, ?, ?, ?, ?)', ['rolledbackrolled', 'python', 'x', '', '[]', 1]);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await store.getSnippet('rolledbackrolled')).toBeNull();
    });

    if (kind === 'sqlite') {
      test('SQLite runs in WAL mode with foreign keys on', async () => {
        expect((await db.get('PRAGMA journal_mode'))?.journal_mode).toBe('wal');
        expect((await db.get('PRAGMA foreign_keys'))?.foreign_keys).toBe(1);
      });
    }
  });

  describe('snippets', () => {
    test('saved exactly and read back by id', async () => {
      const input = { language: 'python', code: 'print("héllo 🌍")\n\ttab', stdin: 'line 1\nline 2\n', args: ['a b', '--flag', ''] };
      const saved = await store.createSnippet(input);
      expect(saved.id).toMatch(/^[A-Za-z0-9_-]{16}$/);
      const loaded = await store.getSnippet(saved.id);
      expect(loaded).toEqual({ ...input, files: null, id: saved.id, createdAt: saved.createdAt });
    });

    test('a program of several files is kept exactly, names, order, entry and odd text included', async () => {
      const odd = 'a\u0000b \ud800 🌍\r\n';
      const files = [
        { name: 'lib/ünï.py', content: odd },
        { name: 'main.py', content: 'import lib\n', main: true },
        { name: 'data.txt', content: '' },
      ];
      const saved = await store.createSnippet({ language: 'python', code: 'import lib\n', files, stdin: '', args: [] });
      expect(await store.getSnippet(saved.id)).toMatchObject({ code: 'import lib\n', files });
      const id = await store.addSubmission({ ...submission(VISITOR_A, 'import lib\n'), files }, { maxPerVisitor: 10 });
      expect(await store.getSubmission(VISITOR_A, null, id)).toMatchObject({ code: 'import lib\n', files });
      // one given as code has no files at all
      const single = await store.addSubmission(submission(VISITOR_A, 'print(1)'), { maxPerVisitor: 10 });
      expect(await store.getSubmission(VISITOR_A, null, single)).not.toHaveProperty('files');
      await store.deleteSubmission(VISITOR_A, null, id);
      await store.deleteSubmission(VISITOR_A, null, single);
    });

    test('any text survives exactly: NUL, lone surrogates, emoji, CRLF', async () => {
      const odd = 'a\u0000b \ud800 \udfff 🌍\r\n\u001b[31m';
      const saved = await store.createSnippet({ language: 'python', code: odd, stdin: odd, args: [] });
      expect(await store.getSnippet(saved.id)).toMatchObject({ code: odd, stdin: odd });
      const id = await store.addSubmission({ ...submission('odd-visitor-0123456789abcdef', odd), stdin: odd, result: result('ok', odd) }, { maxPerVisitor: 10 });
      expect(await store.getSubmission('odd-visitor-0123456789abcdef', null, id)).toMatchObject({ code: odd, stdin: odd, result: { stdout: odd } });
      await store.putProblem(problem('store-odd', [{ input: odd, expected: odd, hidden: true }]));
      expect((await store.getProblem('store-odd'))!.tests).toEqual([{ input: odd, expected: odd, hidden: true }]);
      await store.deleteProblem('store-odd');
    });

    test('ids are unique and an unknown one is null', async () => {
      const ids = await Promise.all(Array.from({ length: 50 }, () => store.createSnippet({ language: 'cpp', code: 'int main(){}', stdin: '', args: [] }).then((s) => s.id)));
      expect(new Set(ids).size).toBe(50);
      expect(await store.getSnippet('AAAAAAAAAAAAAAAA')).toBeNull();
    });
  });

  describe('history', () => {
    test('each visitor sees only their own submissions, newest first', async () => {
      const first = await store.addSubmission(submission(VISITOR_A, 'print(1)'), { maxPerVisitor: 10 });
      const second = await store.addSubmission(submission(VISITOR_A, 'print(2)'), { maxPerVisitor: 10 });
      const theirs = await store.addSubmission(submission(VISITOR_B, 'print(3)'), { maxPerVisitor: 10 });
      const mine = await store.listSubmissions(VISITOR_A, null, 10);
      expect(mine.map((e) => e.id)).toEqual([second, first]);
      expect(mine[0]).toMatchObject({ kind: 'run', problem: null, language: 'python', status: 'ok' });
      expect(await store.getSubmission(VISITOR_A, null, theirs)).toBeNull();
      expect(await store.getSubmission(VISITOR_B, null, theirs)).toMatchObject({ id: theirs, code: 'print(3)', stdin: 'in', args: ['-x'], result: { status: 'ok', stdout: 'print(3)' } });
    });

    test('the visitor key itself is never stored', async () => {
      await store.addSubmission(submission('secret-key-0123456789abcdef', 'x'), { maxPerVisitor: 10 });
      const rows = await db.all<{ visitor: string }>('SELECT visitor FROM submissions');
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(row.visitor).toMatch(/^[0-9a-f]{64}$/);
    });

    test('retention keeps the newest N per visitor and prunes by age', async () => {
      const key = 'retention-0123456789abcdef';
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await store.addSubmission(submission(key, `print(${i})`), { maxPerVisitor: 3 }));
      expect((await store.listSubmissions(key, null, 10)).map((e) => e.id)).toEqual(ids.slice(2).reverse());
      expect(await store.pruneSubmissions(new Date(Date.now() - 60_000))).toBe(0);
      expect(await store.pruneSubmissions(new Date(Date.now() + 1000))).toBeGreaterThanOrEqual(3);
      expect(await store.listSubmissions(key, null, 10)).toEqual([]);
    });

    test('snippets older than the retention are deleted, newer ones kept', async () => {
      const snippet = await store.createSnippet({ language: 'python', code: 'print("shared")', stdin: '', args: [] });
      expect(await store.pruneSnippets(new Date(Date.now() - 60_000))).toBe(0);
      expect(await store.getSnippet(snippet.id)).not.toBeNull();
      expect(await store.pruneSnippets(new Date(Date.now() + 1000))).toBeGreaterThanOrEqual(1);
      expect(await store.getSnippet(snippet.id)).toBeNull();
    });

    test("a visitor key's history under an API key is that key's alone: another key, or no key, sees none of it", async () => {
      const visitor = 'tenant-visitor-0123456789abcdef';
      const keyA = await store.addSubmission(submission(visitor, 'print("a")', 'AAAAAAAAAAAAAAAA'), { maxPerVisitor: 10 });
      const anonymous = await store.addSubmission(submission(visitor, 'print("anon")'), { maxPerVisitor: 10 });
      expect((await store.listSubmissions(visitor, 'AAAAAAAAAAAAAAAA', 10)).map((e) => e.id)).toEqual([keyA]);
      expect((await store.listSubmissions(visitor, null, 10)).map((e) => e.id)).toEqual([anonymous]);
      expect(await store.listSubmissions(visitor, 'BBBBBBBBBBBBBBBB', 10)).toEqual([]);
      expect(await store.getSubmission(visitor, 'BBBBBBBBBBBBBBBB', keyA)).toBeNull();
      expect(await store.getSubmission(visitor, null, keyA)).toBeNull();
      expect(await store.deleteSubmission(visitor, 'BBBBBBBBBBBBBBBB', keyA)).toBe(false);
      expect(await store.getSubmission(visitor, 'AAAAAAAAAAAAAAAA', keyA)).toMatchObject({ id: keyA, code: 'print("a")' });
      expect(await store.deleteSubmission(visitor, 'AAAAAAAAAAAAAAAA', keyA)).toBe(true);
    });

    test('a visitor deletes their own entry, not someone else’s', async () => {
      const id = await store.addSubmission(submission(VISITOR_A, 'delete me'), { maxPerVisitor: 10 });
      expect(await store.deleteSubmission(VISITOR_B, null, id)).toBe(false);
      expect(await store.deleteSubmission(VISITOR_A, null, id)).toBe(true);
      expect(await store.getSubmission(VISITOR_A, null, id)).toBeNull();
    });
  });

  describe('problems', () => {
    test('create, read with tests in order, refuse a second create', async () => {
      const input = problem('store-p1', [
        { input: '1\n', expected: '1\n', hidden: false },
        { input: '2\n', expected: '4\n', hidden: true },
        { input: '3\n', expected: '9\n', hidden: true },
      ]);
      expect(await store.createProblem(input)).toBe(true);
      expect(await store.createProblem({ ...input, title: 'other' })).toBe(false);
      const loaded = await store.getProblem('store-p1');
      expect(loaded).toMatchObject({ slug: 'store-p1', title: 'Problem store-p1', timeLimitMs: 1000, memoryLimitMb: 128, sampleCount: 1, hiddenCount: 2 });
      expect(loaded!.tests).toEqual(input.tests);
      expect((await store.listProblems()).find((p) => p.slug === 'store-p1')).toMatchObject({ sampleCount: 1, hiddenCount: 2 });
    });

    test('many PUTs creating the same new problem at once all succeed, one of them creates', async () => {
      const puts = await Promise.all(Array.from({ length: 8 }, (_, i) => store.putProblem({ ...problem('store-race', [{ input: `${i}`, expected: `${i}`, hidden: false }]), title: `put ${i}` })));
      expect(puts.filter((o) => o === 'created')).toHaveLength(1);
      const loaded = await store.getProblem('store-race');
      expect(loaded!.tests).toHaveLength(1);
      expect(loaded!.title).toBe(`put ${loaded!.tests[0]!.input}`); // title and tests of the same PUT
      await store.deleteProblem('store-race');
    });

    test('put replaces the problem and all its tests; delete takes the tests with it', async () => {
      expect(await store.putProblem(problem('store-p2', [{ input: 'a', expected: 'b', hidden: false }]))).toBe('created');
      expect(await store.putProblem({ ...problem('store-p2', [{ input: 'x', expected: 'y', hidden: true }, { input: 'z', expected: 'w', hidden: false }]), timeLimitMs: 500 })).toBe('replaced');
      const loaded = await store.getProblem('store-p2');
      expect(loaded).toMatchObject({ timeLimitMs: 500, sampleCount: 1, hiddenCount: 1 });
      expect(loaded!.tests.map((t) => t.input)).toEqual(['x', 'z']);
      expect(await store.deleteProblem('store-p2')).toBe(true);
      expect(await store.getProblem('store-p2')).toBeNull();
      expect(await db.all('SELECT * FROM problem_tests WHERE problem_slug = ?', ['store-p2'])).toEqual([]);
      expect(await store.deleteProblem('store-p2')).toBe(false);
    });
  });

  describe('concurrent writers', () => {
    test('writes from two connections at once all land', async () => {
      const key = 'concurrent-0123456789abcdef';
      const ours = Array.from({ length: 100 }, (_, i) =>
        i % 2 === 0 ? store.addSubmission(submission(key, `print(${i})`), { maxPerVisitor: 1000 }) : store.createSnippet({ language: 'python', code: `print(${i})`, stdin: '', args: [] }).then((s) => s.id),
      );
      // the other writer: a second process on the same SQLite file (SQLite's unit of
      // concurrency), or a second connection pool to the same PostgreSQL database (a replica)
      const theirs = kind === 'sqlite' ? writeFromAnotherProcess(database.target, 100) : writeFromAnotherPool(database.connect(), 100);
      const [ourIds, theirIds] = await Promise.all([Promise.all(ours), theirs]);
      expect(new Set([...ourIds, ...theirIds]).size).toBe(200);
      expect(await store.listSubmissions(key, null, 1000)).toHaveLength(50);
      for (const id of theirIds) expect(await store.getSnippet(id)).not.toBeNull();
    }, 60000);
  });
});

async function writeFromAnotherPool(db: SqlDatabase, count: number): Promise<string[]> {
  const other = await SqlStore.open(db);
  try {
    return await Promise.all(Array.from({ length: count }, (_, i) => other.createSnippet({ language: 'cpp', code: `// ${i}`, stdin: '', args: [] }).then((s) => s.id)));
  } finally {
    await other.close();
  }
}

/** Another node process writing snippets through the built store; resolves to their ids. */
function writeFromAnotherProcess(file: string, count: number): Promise<string[]> {
  const script = `
    const { openSqlite } = await import(${JSON.stringify(path.resolve('backend/dist/store/sqlite.js'))});
    const { SqlStore } = await import(${JSON.stringify(path.resolve('backend/dist/store/sql-store.js'))});
    const store = await SqlStore.open(openSqlite(${JSON.stringify(file)}));
    const ids = [];
    for (let i = 0; i < ${count}; i++) ids.push((await store.createSnippet({ language: 'cpp', code: '// ' + i, stdin: '', args: [] })).id);
    await store.close();
    process.stdout.write(JSON.stringify(ids));`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], (err, stdout, stderr) => (err ? reject(new Error(`${err.message}: ${stderr}`)) : resolve(JSON.parse(stdout))));
  });
}
