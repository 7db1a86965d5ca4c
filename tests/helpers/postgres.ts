import { afterAll, beforeAll } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './net.js';

export interface TestPostgres {
  /** postgres://… of a fresh, empty database */
  url: string;
  /** a database of its own on the same server: one per store under test */
  createDatabase(name: string): string;
  stop(): void;
}

/** Debian's PostgreSQL server binaries (the test setup installs the `postgresql` package). */
function serverBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error('PostgreSQL server is not installed (apt-get install postgresql; scripts/test.sh does)');
  return path.join(root, newest, 'bin');
}

/**
 * A throwaway PostgreSQL server: its own cluster in a temporary directory, on a free
 * loopback port, run as the postgres user, removed by stop(). Nothing of the machine's
 * own clusters is touched.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const bin = serverBinDir();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runbox-pg-'));
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  chownSync(dir, uid, gid);
  const asPostgres = (tool: string, args: string[]) =>
    execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const data = path.join(dir, 'data');
  asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'runbox', '--no-sync', '-E', 'UTF8', '--locale', 'C']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=100`;
  asPostgres('pg_ctl', ['-D', data, '-o', options, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  const urlOf = (db: string) => `postgres://runbox@127.0.0.1:${port}/${db}`;
  return {
    url: urlOf('postgres'),
    createDatabase(name) {
      execFileSync(path.join(bin, 'psql'), [urlOf('postgres'), '-q', '-c', `CREATE DATABASE "${name}"`], { stdio: 'ignore' });
      return urlOf(name);
    },
    stop() {
      try {
        asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Where a test file's fresh databases come from: each call names a new, empty one. */
export interface TestDatabases {
  /** a SQLite file in the file's temporary directory (not made yet) */
  sqliteFile(): string;
  /** postgres://… of a new database on the file's throwaway PostgreSQL server */
  postgresUrl(): string;
  /** the file's temporary directory */
  dir: string;
}

/**
 * For a test file that runs on both databases: a throwaway PostgreSQL server and a
 * temporary directory for SQLite files, made by the file's beforeAll and removed by its afterAll.
 */
export function testDatabases(prefix: string): TestDatabases {
  const dir = mkdtempSync(path.join(os.tmpdir(), `runbox-${prefix}-`));
  let postgres: TestPostgres | undefined;
  let made = 0;
  beforeAll(async () => {
    postgres = await startTestPostgres();
  }, 120000);
  afterAll(() => {
    postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    sqliteFile: () => path.join(dir, `db-${++made}`, 'runbox.db'),
    postgresUrl: () => {
      if (!postgres) throw new Error('the PostgreSQL server starts in beforeAll');
      return postgres.createDatabase(`${prefix}_${++made}`);
    },
  };
}
