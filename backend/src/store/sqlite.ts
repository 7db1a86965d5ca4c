import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import pLimit from 'p-limit';
import type { Row, SqlDatabase, SqlQueries, SqlValue } from './sql.js';

/**
 * SQLite through Node's built-in `node:sqlite`: nothing to compile or download (a native
 * addon like better-sqlite3 needs prebuilt binaries from GitHub or node-gyp with headers,
 * neither of which an offline install has), and it ships with the runtime we pin.
 *
 * The binding is synchronous; statements take microseconds. One connection per process,
 * and a queue of one so a transaction's statements never interleave with another request's.
 */
export function openSqlite(file: string): SqlDatabase {
  if (file !== ':memory:') {
    // root's alone, also when the directory was made by someone else (a volume mount)
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    chmodSync(path.dirname(file), 0o700);
  }
  const db = new DatabaseSync(file);
  // WAL: readers never block the writer and a crash mid-write leaves the last commit intact
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = FULL');
  db.exec('PRAGMA foreign_keys = ON');
  // deleted rows are overwritten with zeros, not only unlinked: a deleted submission's code and
  // output are gone from the file (its earlier pages in the log go at a checkpoint)
  db.exec('PRAGMA secure_delete = ON');
  // other processes on the same file (a second instance, the backup script) wait, not fail
  db.exec('PRAGMA busy_timeout = 10000');
  const exclusive = pLimit(1);
  const statements = new Map<string, ReturnType<DatabaseSync['prepare']>>();
  const prepare = (sql: string) => {
    let st = statements.get(sql);
    if (!st) statements.set(sql, (st = db.prepare(sql)));
    return st;
  };
  const params = (values: readonly SqlValue[]) => values as SQLInputValue[];
  const queries: SqlQueries = {
    async all<T extends Row>(sql: string, values: readonly SqlValue[] = []) {
      return prepare(sql).all(...params(values)) as T[];
    },
    async get<T extends Row>(sql: string, values: readonly SqlValue[] = []) {
      return prepare(sql).get(...params(values)) as T | undefined;
    },
    async run(sql: string, values: readonly SqlValue[] = []) {
      return Number(prepare(sql).run(...params(values)).changes);
    },
  };
  return {
    dialect: 'sqlite',
    all: (sql, values) => exclusive(() => queries.all(sql, values)),
    get: (sql, values) => exclusive(() => queries.get(sql, values)),
    run: (sql, values) => exclusive(() => queries.run(sql, values)),
    transaction: (work, { durable = true } = {}) =>
      exclusive(async () => {
        // in WAL mode NORMAL skips the commit's fsync; the next FULL commit syncs its frames too
        if (!durable) db.exec('PRAGMA synchronous = NORMAL');
        db.exec('BEGIN IMMEDIATE');
        try {
          const result = await work(queries);
          db.exec('COMMIT');
          return result;
        } catch (err) {
          db.exec('ROLLBACK');
          throw err;
        } finally {
          if (!durable) db.exec('PRAGMA synchronous = FULL');
        }
      }),
    close: () =>
      exclusive(async () => {
        statements.clear();
        if (db.isOpen) db.close();
      }),
  };
}
