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
