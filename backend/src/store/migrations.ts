import { seedProblems } from '../judge/seed-problems.js';
import type { SqlDatabase, SqlQueries } from './sql.js';
import { insertProblemIfNew } from './problem-rows.js';

/**
 * The schema, as numbered steps. A database records the steps it has had; at start the
 * missing ones run, all in one transaction (DDL is transactional in SQLite and
 * PostgreSQL), so a crash or a second replica starting at the same time never sees half a
 * schema. Never edit a step that has shipped: add the next one.
 */
interface Migration {
  version: number;
  name: string;
  up(tx: SqlQueries, dialect: SqlDatabase['dialect']): Promise<void>;
}

/** Statements; a `{ sqlite, postgres }` pair where the two spell a thing differently. */
type Statement = string | Record<SqlDatabase['dialect'], string>;

const statements = (...sql: Statement[]) => async (tx: SqlQueries, dialect: SqlDatabase['dialect']) => {
  for (const s of sql) await tx.run(typeof s === 'string' ? s : s[dialect]);
};

/** An always-increasing row number: orders rows written in the same millisecond. */
const SEQUENCE_COLUMN = { sqlite: 'seq INTEGER PRIMARY KEY AUTOINCREMENT', postgres: 'seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY' };

// problem_slug is history: it stays when the problem is deleted, so no foreign key
function submissionsTable(sequence: string): string {
  return `CREATE TABLE submissions (
    ${sequence},
    id TEXT NOT NULL UNIQUE,
    visitor TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('run', 'judge')),
    problem_slug TEXT,
    language TEXT NOT NULL,
    code TEXT NOT NULL,
    stdin TEXT NOT NULL,
    args TEXT NOT NULL,
    status TEXT NOT NULL,
    result TEXT NOT NULL,
    created_at BIGINT NOT NULL
  )`;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'snippets, problems, submissions',
    up: statements(
      // code, stdin and test data are stored JSON-encoded (store/text.ts)
      `CREATE TABLE snippets (
        id TEXT PRIMARY KEY,
        language TEXT NOT NULL,
        code TEXT NOT NULL,
        stdin TEXT NOT NULL,
        args TEXT NOT NULL,
        created_at BIGINT NOT NULL
      )`,
      `CREATE TABLE problems (
        slug TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        statement TEXT NOT NULL,
        time_limit_ms INTEGER NOT NULL,
        memory_limit_mb INTEGER NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      )`,
      `CREATE TABLE problem_tests (
        problem_slug TEXT NOT NULL REFERENCES problems (slug) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        input TEXT NOT NULL,
        expected TEXT NOT NULL,
        hidden INTEGER NOT NULL CHECK (hidden IN (0, 1)),
        PRIMARY KEY (problem_slug, position)
      )`,
      {
        sqlite: submissionsTable(SEQUENCE_COLUMN.sqlite),
        postgres: submissionsTable(SEQUENCE_COLUMN.postgres),
      },
      'CREATE INDEX submissions_by_visitor ON submissions (visitor, seq)',
      'CREATE INDEX submissions_by_age ON submissions (created_at)',
    ),
  },
  {
    version: 2,
    name: 'seed problems',
    async up(tx) {
      const now = Date.now();
      for (const problem of seedProblems()) await insertProblemIfNew(tx, problem, now);
    },
  },
  {
    version: 3,
    name: 'programs of several files',
    // NULL for a program given as code (every row before this step); else the files, as
    // JSON (store/text.ts): `code` keeps the entry file's content for clients that show one
    up: statements('ALTER TABLE snippets ADD COLUMN files TEXT', 'ALTER TABLE submissions ADD COLUMN files TEXT'),
  },
];

/** Any number: the advisory lock that keeps two PostgreSQL replicas from migrating at once. */
const MIGRATION_LOCK = 0x72756e62;

export class SchemaTooNewError extends Error {}

/** Brings the database up to the latest version; resolves to the versions it applied. */
export async function migrate(db: SqlDatabase): Promise<number[]> {
  return db.transaction(async (tx) => {
    if (db.dialect === 'postgres') await tx.all('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK]);
    await tx.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
    const rows = await tx.all<{ version: number }>('SELECT version FROM schema_migrations');
    const have = new Set(rows.map((r) => Number(r.version)));
    const newest = Math.max(0, ...have);
    const latest = MIGRATIONS.at(-1)!.version;
    if (newest > latest) throw new SchemaTooNewError(`the database has schema version ${newest}; this runbox knows up to ${latest}: upgrade runbox`);
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (have.has(m.version)) continue;
      await m.up(tx, db.dialect);
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, Date.now()]);
      applied.push(m.version);
    }
    return applied;
  });
}
