import { afterAll, beforeAll, expect } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { API_NODE_FLAGS, API_PROCESS_ENV } from '../../backend/src/api-process.js';
import { findLeftovers, NOTHING_LEFT } from './leftovers.js';
import { startTestPostgres, type TestPostgres } from './postgres.js';
import { UNLIMITED_ANONYMOUS } from './anonymous.js';

const MAIN = path.resolve('backend/dist/main.js');

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  logs: () => string;
  exited: Promise<number | null>;
}

const spawned: ChildProcess[] = [];
const dataDirs: string[] = [];

/** A data directory for server processes of this test file; removed by killServerProcesses. */
export function tempDataDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runbox-test-data-'));
  dataDirs.push(dir);
  return dir;
}

/**
 * The real server binary as a separate process, the way `npm start` runs it. Its database
 * is in a temporary directory unless `env` names RUNBOX_DATA_DIR.
 */
export async function startServerProcess(env: Record<string, string> = {}): Promise<ServerProcess> {
  const { child, logs, exited } = spawnServer(env);
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    const url = /"url":"(http:[^"]+)"/.exec(logs())?.[1];
    if (url) return { child, url, logs, exited };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`server did not start: ${logs()}`);
}

/** A server process expected to refuse to start: its exit code and what it said. */
export async function startFailingServerProcess(env: Record<string, string> = {}): Promise<{ code: number | null; logs: string }> {
  const { child, logs, exited } = spawnServer(env);
  // 'exit' may come before the last output: 'close' waits for the pipes too
  const closed = new Promise((r) => child.once('close', r));
  const timeout = setTimeout(() => child.kill('SIGKILL'), 30000);
  const code = await exited;
  await closed;
  clearTimeout(timeout);
  if (/"url":"http:/.test(logs())) throw new Error(`server started although it should have refused: ${logs()}`);
  return { code, logs: logs() };
}

function spawnServer(env: Record<string, string>): Omit<ServerProcess, 'url'> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
  const child = spawn(process.execPath, [...API_NODE_FLAGS, MAIN], {
    env: { ...process.env, ...API_PROCESS_ENV, PORT: '0', LOG_LEVEL: 'info', ...UNLIMITED_ANONYMOUS, RUNBOX_DATA_DIR: env.RUNBOX_DATA_DIR ?? tempDataDir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  spawned.push(child);
  let logs = '';
  child.stdout!.on('data', (d) => (logs += d));
  child.stderr!.on('data', (d) => (logs += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, logs: () => logs, exited };
}

/** SIGTERM, as an operator stops it: the server drains and deletes its pooled users. */
export async function stopServerProcess(proc: ServerProcess): Promise<number | null> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return proc.child.exitCode;
  proc.child.kill('SIGTERM');
  return proc.exited;
}

/** For afterAll: a failed assertion must not leave a server running for the rest of the suite. */
export async function killServerProcesses(): Promise<void> {
  await Promise.all(
    spawned.map((child) => {
      if (child.exitCode !== null || child.signalCode !== null) return undefined;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      return gone;
    }),
  );
  for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * For test files that start server processes against both stores: a throwaway PostgreSQL
 * for the file, and at the end no server, cluster or run artifact left. Returns a getter.
 */
export function useServerProcessesAndPostgres(): () => TestPostgres {
  let postgres: TestPostgres | undefined;
  beforeAll(async () => {
    postgres = await startTestPostgres();
  }, 120000);
  afterAll(async () => {
    await killServerProcesses();
    postgres?.stop();
    expect(await findLeftovers()).toEqual(NOTHING_LEFT);
  });
  return () => postgres!;
}
