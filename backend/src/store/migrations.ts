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

function asyncSubmissionsTable(sequence: string): string {
  return `CREATE TABLE async_submissions (
    ${sequence},
    id TEXT NOT NULL UNIQUE,
    owner TEXT,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done')),
    language TEXT NOT NULL,
    request TEXT NOT NULL,
    result TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until BIGINT,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    callback_url TEXT,
    callback_state TEXT CHECK (callback_state IN ('pending', 'delivering', 'delivered', 'failed')),
    callback_attempts INTEGER NOT NULL DEFAULT 0,
    callback_due_at BIGINT,
    callback_error TEXT
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
    name: 'asynchronous submissions',
    up: statements(
      // the queue of POST /api/submissions (store/submission-queue.ts); `submissions` is history.
      // lease_owner/lease_until: the server running it (status running) or delivering its
      // callback (callback_state delivering), and until when its claim holds without a heartbeat
      {
        sqlite: asyncSubmissionsTable(SEQUENCE_COLUMN.sqlite),
        postgres: asyncSubmissionsTable(SEQUENCE_COLUMN.postgres),
      },
      'CREATE INDEX async_submissions_queue ON async_submissions (status, seq)',
      'CREATE INDEX async_submissions_callbacks ON async_submissions (callback_state, callback_due_at)',
      'CREATE INDEX async_submissions_finished ON async_submissions (finished_at)',
      // a server's heartbeat renews its own claims
      'CREATE INDEX async_submissions_leases ON async_submissions (lease_owner)',
    ),
  },
  {
    version: 4,
    name: 'api keys, usage, quota counters, run leases',
    up: statements(
      // key_hash: SHA-256 of the key; caps (max_*) are null where the server's maximum applies
      `CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        key_hash TEXT NOT NULL,
        rate_per_minute INTEGER,
        max_concurrent INTEGER NOT NULL,
        daily_runs INTEGER,
        max_time_ms INTEGER,
        max_cpu_ms INTEGER,
        max_memory_mb INTEGER,
        max_processes INTEGER,
        max_output_kb INTEGER,
        created_at BIGINT NOT NULL,
        revoked_at BIGINT
      )`,
      `CREATE TABLE key_usage (
        key_id TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
        day TEXT NOT NULL,
        runs INTEGER NOT NULL,
        cpu_ms BIGINT NOT NULL,
        PRIMARY KEY (key_id, day)
      )`,
      // subject: 'key:<id>' or 'anon:<address>'; one row per fixed window
      `CREATE TABLE quota_counters (
        subject TEXT NOT NULL,
        window_kind TEXT NOT NULL,
        window_start BIGINT NOT NULL,
        used INTEGER NOT NULL,
        PRIMARY KEY (subject, window_kind, window_start)
      )`,
      'CREATE INDEX quota_counters_by_age ON quota_counters (window_start)',
      `CREATE TABLE run_leases (
        subject TEXT NOT NULL,
        slot INTEGER NOT NULL,
        lease_id TEXT NOT NULL,
        holder TEXT NOT NULL,
        expires_at BIGINT NOT NULL,
        PRIMARY KEY (subject, slot)
      )`,
      'CREATE INDEX run_leases_by_holder ON run_leases (holder)',
    ),
  },
  {
    version: 5,
    name: 'programs of several files',
    // NULL for a program given as code (every row before this step); else the files, as
    // JSON (store/text.ts): `code` keeps the entry file's content for clients that show one
    up: statements('ALTER TABLE snippets ADD COLUMN files TEXT', 'ALTER TABLE submissions ADD COLUMN files TEXT'),
  },
  {
    version: 6,
    name: 'tenants: callback secrets per key, history per key, callback deliveries, held-back submissions',
    up: statements(
      // a key's callback signing secret (HMAC needs it whole: it cannot be hashed), and the
      // one it replaced, still signing until callback_secret_previous_until (a rotation's overlap).
      // Keys made before this step have none: their callbacks keep the server's secret until rotated
      'ALTER TABLE api_keys ADD COLUMN callback_secret TEXT',
      'ALTER TABLE api_keys ADD COLUMN callback_secret_previous TEXT',
      'ALTER TABLE api_keys ADD COLUMN callback_secret_previous_until BIGINT',
      // the API key a history entry was run under (null: anonymous): another key never lists it
      'ALTER TABLE submissions ADD COLUMN owner TEXT',
      // one id per delivery (its retries share it; a redelivery gets a new one), for receivers' de-duplication
      'ALTER TABLE async_submissions ADD COLUMN callback_delivery TEXT',
      // a queued submission whose key had every run slot taken waits until then before it is claimed again
      'ALTER TABLE async_submissions ADD COLUMN not_before BIGINT',
      'CREATE INDEX async_submissions_by_owner ON async_submissions (owner, seq)',
      'CREATE INDEX snippets_by_age ON snippets (created_at)',
    ),
  },
  {
    version: 7,
    name: 'idempotency keys of submissions, submissions listed by time',
    up: statements(
      // POST /api/submissions's Idempotency-Key (store/idempotency-keys.ts), per caller (scope:
      // 'key:<id>', 'admin' or 'anon:<address>'). fingerprint: SHA-256 of the request's body;
      // submission_id is written in the transaction that queues the submission, status once
      // answered; until then locked_until bounds how long the first request holds the key
      `CREATE TABLE idempotency_keys (
        scope TEXT NOT NULL,
        idem_key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        submission_id TEXT,
        status INTEGER,
        locked_until BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (scope, idem_key)
      )`,
      'CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at)',
      'CREATE INDEX idempotency_keys_by_submission ON idempotency_keys (submission_id)',
      // GET /api/submissions lists the admin's view (every owner) newest first, by time range
      'CREATE INDEX async_submissions_by_created ON async_submissions (created_at)',
    ),
  },
  {
    version: 8,
    name: 'problems from packages: judging settings, test groups',
    up: statements(
      // JSON (problems/stored-package.ts): the rendered statement, validation, groups, where the
      // limits came from; NULL for a problem made through the JSON API
      'ALTER TABLE problems ADD COLUMN package TEXT',
      // the test's group below data/ (secret/group1) and its name there; NULL for JSON problems
      'ALTER TABLE problem_tests ADD COLUMN group_name TEXT',
      'ALTER TABLE problem_tests ADD COLUMN name TEXT',
    ),
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
