/**
 * Backs up and restores runbox's store (snippets, history, problems).
 *
 *   node scripts/backup.ts backup  [file]   online: the API may keep running
 *   node scripts/backup.ts restore <file>   stop the API first; the current data is kept aside
 *
 * Which store: DATABASE_URL (PostgreSQL, through pg_dump/pg_restore) or else the SQLite
 * file in RUNBOX_DATA_DIR, the same settings the API reads.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { backup, DatabaseSync } from 'node:sqlite';
import { loadConfig } from '../backend/dist/config.js';
import { SQLITE_FILE_NAME } from '../backend/dist/store/open-store.js';

const [command, fileArg] = process.argv.slice(2);
const config = loadConfig();
const stamp = new Date().toISOString().replace(/[:.]/g, '-');

function fail(message: string): never {
  console.error(`backup: ${message}`);
  process.exit(1);
}

/** A restore source must be a whole runbox database: intact, and with our schema table. */
function checkSqliteFile(file: string): void {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const integrity = db.prepare('PRAGMA integrity_check').get() as { integrity_check: string };
    if (integrity.integrity_check !== 'ok') fail(`${file} is damaged: ${integrity.integrity_check}`);
    const version = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
    if (!version.v) fail(`${file} is not a runbox database`);
  } catch (err) {
    fail(`${file} is not a readable runbox database: ${(err as Error).message}`);
  } finally {
    db.close();
  }
}

async function backupSqlite(target: string): Promise<void> {
  const live = path.join(config.dataDir, SQLITE_FILE_NAME);
  if (!existsSync(live)) fail(`no database at ${live} (is RUNBOX_DATA_DIR right?)`);
  const db = new DatabaseSync(live);
  try {
    // SQLite's online backup: a consistent copy while the API keeps writing
    db.exec('PRAGMA busy_timeout = 10000');
    await backup(db, target);
  } finally {
    db.close();
  }
  checkSqliteFile(target);
}

function restoreSqlite(source: string): string {
  checkSqliteFile(source);
  const live = path.join(config.dataDir, SQLITE_FILE_NAME);
  const staged = `${live}.restoring`;
  copyFileSync(source, staged);
  let keptAside = '';
  if (existsSync(live)) {
    // the data being replaced stays on disk, consistent, until someone deletes it
    keptAside = `${live}.before-restore-${stamp}`;
    const current = new DatabaseSync(live);
    try {
      current.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    } finally {
      current.close();
    }
    renameSync(live, keptAside);
  }
  for (const suffix of ['-wal', '-shm']) rmSync(live + suffix, { force: true });
  renameSync(staged, live);
  return keptAside;
}

function postgres(tool: 'pg_dump' | 'pg_restore', args: string[]): void {
  try {
    execFileSync(tool, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (err) {
    fail(`${tool} failed (is the PostgreSQL client installed and the server reachable?): ${(err as Error).message}`);
  }
}

switch (command) {
  case 'backup': {
    const target = path.resolve(fileArg ?? `runbox-backup-${stamp}.${config.databaseUrl ? 'pgdump' : 'db'}`);
    if (existsSync(target)) fail(`${target} exists: pick a new file name`);
    if (config.databaseUrl) postgres('pg_dump', ['--format=custom', '--no-owner', '--file', target, config.databaseUrl]);
    else await backupSqlite(target);
    console.log(JSON.stringify({ message: 'backup written', file: target, store: config.databaseUrl ? 'postgres' : 'sqlite' }));
    break;
  }
  case 'restore': {
    if (!fileArg) fail('restore needs the backup file: node scripts/backup.ts restore <file>');
    const source = path.resolve(fileArg);
    if (!existsSync(source)) fail(`${source} does not exist`);
    if (config.databaseUrl) {
      // one transaction: a failed restore leaves the database as it was
      postgres('pg_restore', ['--clean', '--if-exists', '--no-owner', '--single-transaction', '--dbname', config.databaseUrl, source]);
      console.log(JSON.stringify({ message: 'restored', file: source, store: 'postgres' }));
    } else {
      const keptAside = restoreSqlite(source);
      console.log(JSON.stringify({ message: 'restored', file: source, store: 'sqlite', previousDataKeptAt: keptAside || null }));
    }
    break;
  }
  default:
    fail('usage: node scripts/backup.ts backup [file] | restore <file>');
}
