import path from 'node:path';
import type { Logger } from '../log.js';
import { openPostgres } from './postgres.js';
import { SqlStore } from './sql-store.js';
import { openSqlite } from './sqlite.js';

export const SQLITE_FILE_NAME = 'runbox.db';

/** PostgreSQL when a URL is given (several API replicas), else SQLite in the data directory. */
export function openStore(settings: { databaseUrl: string; dataDir: string }, logger: Logger): Promise<SqlStore> {
  const db = settings.databaseUrl
    ? openPostgres(settings.databaseUrl, (err) => logger.warn('PostgreSQL connection lost', { error: err.message }))
    : openSqlite(path.join(settings.dataDir, SQLITE_FILE_NAME));
  return SqlStore.open(db).catch(async (err) => {
    await db.close().catch(() => undefined);
    throw err;
  });
}
