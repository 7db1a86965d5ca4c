/**
 * Backs up and restores runbox's store (snippets, history, problems).
 *
 *   node scripts/backup.ts backup  [file]   default: <RUNBOX_DATA_DIR>/backups/runbox-<time>.db
 *   node scripts/backup.ts restore <file>
 *
 * Both work while the API runs. Which store: DATABASE_URL (PostgreSQL, through pg_dump and
 * pg_restore) or else the SQLite file in RUNBOX_DATA_DIR, the same settings the API reads.
 * Backups hold hidden tests and everyone's code: they are written root-only (0600), by
 * default into the data directory, which runs cannot see.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { backup, DatabaseSync } from 'node:sqlite';
import { loadConfig } from '../backend/dist/config.js';
import { SQLITE_FILE_NAME } from '../backend/dist/store/open-store.js';

const [command, fileArg] = process.argv.slice(2);
const config = loadConfig();
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const live = path.join(config.dataDir, SQLITE_FILE_NAME);
const backupsDir = path.join(config.dataDir, 'backups');
// every file this script writes is root's alone
process.umask(0o077);

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

/** SQLite's online backup: a consistent copy while the API keeps writing. */
async function copySqlite(from: string, to: string): Promise<void> {
  const db = new DatabaseSync(from);
  try {
    db.exec('PRAGMA busy_timeout = 10000');
    await backup(db, to);
  } finally {
    db.close();
  }
  chmodSync(to, 0o600);
}

async function backupSqlite(target: string): Promise<void> {
  if (!existsSync(live)) fail(`no database at ${live} (is RUNBOX_DATA_DIR right?)`);
  await copySqlite(live, target);
  checkSqliteFile(target);
}

/**
 * Copies the backup into the live database through SQLite itself (page by page, under
 * SQLite's locks), so a running API simply sees the restored data: no moment without a
 * database, no file swapped under an open connection. The data it replaces is backed up
 * first.
 */
async function restoreSqlite(source: string): Promise<string | null> {
  checkSqliteFile(source);
  let keptAside: string | null = null;
  if (existsSync(live)) {
    keptAside = path.join(backupsDir, `before-restore-${stamp}.db`);
    await copySqlite(live, keptAside);
  }
  await copySqlite(source, live);
  checkSqliteFile(live);
  return keptAside;
}

/** The URL without its password, which goes to the tool by environment, never by argv (ps). */
function postgres(tool: 'pg_dump' | 'pg_restore', args: (url: string) => string[]): void {
  const url = new URL(config.databaseUrl);
  const password = decodeURIComponent(url.password);
  url.password = '';
  try {
    execFileSync(tool, args(url.toString()), { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) } });
  } catch (err) {
    fail(`${tool} failed (is the PostgreSQL client installed and the server reachable?): ${(err as Error).message.split('\n')[0]}`);
  }
}

switch (command) {
  case 'backup': {
    mkdirSync(backupsDir, { recursive: true, mode: 0o700 });
    const target = path.resolve(fileArg ?? path.join(backupsDir, `runbox-${stamp}.${config.databaseUrl ? 'pgdump' : 'db'}`));
    if (existsSync(target)) fail(`${target} exists: pick a new file name`);
    if (config.databaseUrl) {
      postgres('pg_dump', (url) => ['--format=custom', '--no-owner', '--file', target, url]);
      chmodSync(target, 0o600);
    } else await backupSqlite(target);
    console.log(JSON.stringify({ message: 'backup written', file: target, store: config.databaseUrl ? 'postgres' : 'sqlite' }));
    break;
  }
  case 'restore': {
    if (!fileArg) fail('restore needs the backup file: node scripts/backup.ts restore <file>');
    const source = path.resolve(fileArg);
    if (!existsSync(source)) fail(`${source} does not exist`);
    if (config.databaseUrl) {
      // one transaction: a failed restore leaves the database as it was
      postgres('pg_restore', (url) => ['--clean', '--if-exists', '--no-owner', '--single-transaction', '--dbname', url, source]);
      console.log(JSON.stringify({ message: 'restored', file: source, store: 'postgres' }));
    } else {
      mkdirSync(backupsDir, { recursive: true, mode: 0o700 });
      const keptAside = await restoreSqlite(source);
      console.log(JSON.stringify({ message: 'restored', file: source, store: 'sqlite', previousDataKeptAt: keptAside }));
    }
    break;
  }
  default:
    fail('usage: node scripts/backup.ts backup [file] | restore <file>');
}
