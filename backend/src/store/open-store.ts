import path from 'node:path';
import { openPostgres } from './postgres.js';
import { SqlStore } from './sql-store.js';
import { openSqlite } from './sqlite.js';

export const SQLITE_FILE_NAME = 'runbox.db';

/** PostgreSQL when a URL is given (several API replicas), else SQLite in the data directory. */
export function openStore(settings: { databaseUrl: string; dataDir: string }): Promise<SqlStore> {
  const db = settings.databaseUrl ? openPostgres(settings.databaseUrl) : openSqlite(path.join(settings.dataDir, SQLITE_FILE_NAME));
  return SqlStore.open(db).catch(async (err) => {
    await db.close().catch(() => undefined);
    throw err;
  });
}
