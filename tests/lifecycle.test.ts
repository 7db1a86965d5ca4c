import { afterAll, afterEach, describe, expect, test } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { listRunUsers } from '../backend/src/sandbox/users.js';
import { findLeftovers, NOTHING_LEFT } from './helpers/leftovers.js';
import { httpRequest, startTestRunbox, subInstance } from './helpers/runbox.js';
import { killServerProcesses, startFailingServerProcess, startServerProcess, type ServerProcess } from './helpers/server-process.js';

// a test that failed with its server still up must not leave it holding the instance for the next test
afterEach(() => killServerProcesses());
afterAll(async () => {
  await killServerProcesses();
  expect(await findLeftovers()).toEqual(NOTHING_LEFT);
});

const sleeper = (seconds: number) => ({ language: 'python', code: `import time\ntime.sleep(${seconds})\nprint("finished")` });

describe('start-up sweep', () => {
  test('a crashed server’s user, home, process and cgroup are gone after the next start', async () => {
    const name = 'exec_0000000000000000000dead';
    const home = `/home/${name}`;
    execFileSync('useradd', ['--no-create-home', '--user-group', '--home-dir', home, '--shell', '/usr/sbin/nologin', name]);
    await mkdir(home);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'runbox-home', home]);
    const orphan = spawn('setpriv', [`--reuid=${name}`, `--regid=${name}`, '--clear-groups', 'setsid', 'sleep', '600'], { detached: true, stdio: 'ignore' });
    orphan.unref();
    const cgroupDir = '/sys/fs/cgroup/pids/runbox/exec_0000000000000000000dead-run';
    if (existsSync('/sys/fs/cgroup/pids/runbox')) await mkdir(cgroupDir);
    await new Promise((r) => setTimeout(r, 200));
    const before = await findLeftovers();
    expect(before.users).toContain(name);
    expect(before.processes.length).toBeGreaterThan(0);

    const box = await startTestRunbox();
    await box.shutdown();
    expect(await findLeftovers()).toEqual(NOTHING_LEFT);
  });

  test('kill -9 of the server mid-run: the next start cleans up what the run left', async () => {
    const server = await startServerProcess();
    const pending = httpRequest(`${server.url}/api/execute`, 'POST', sleeper(30)).catch(() => null);
    await new Promise((r) => setTimeout(r, 1000));
    const busy = await findLeftovers();
    expect(busy.processes.length).toBeGreaterThan(0);
    server.child.kill('SIGKILL');
    await server.exited;
    await pending;
    // nobody cleaned up: the crash case (the run's user and any pooled users remain)
    expect((await findLeftovers()).users.length).toBeGreaterThan(0);

    // no pool and no spare cgroups (its start-up probe's cgroup would be kept), so that every
    // exec_ user or cgroup seen now would be a leftover the sweep missed
    const next = await startServerProcess({ RUNBOX_USER_POOL: '0', RUNBOX_SPARE_CGROUPS: '0' });
    expect(next.logs()).toContain('removed leftovers of an earlier server');
    expect(await findLeftovers()).toEqual(NOTHING_LEFT);
    next.child.kill('SIGTERM');
    expect(await next.exited).toBe(0);
  });
});

describe('SIGTERM', () => {
  test('running work finishes, new work is refused, everything is cleaned, exit 0', async () => {
    const server = await startServerProcess();
    const inFlight = httpRequest(`${server.url}/api/execute`, 'POST', sleeper(1.5));
    await new Promise((r) => setTimeout(r, 600));
    server.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 100));
    const late = await httpRequest(`${server.url}/api/execute`, 'POST', sleeper(0)).catch(() => null);
    // either the listener is already closed or the server says it is shutting down
    expect(late === null || late.status === 503).toBe(true);
    const r = await inFlight;
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ status: 'ok', stdout: 'finished\n' });
    expect(await server.exited).toBe(0);
    expect(await findLeftovers()).toEqual(NOTHING_LEFT);
  });

  test('work that outlasts the grace time is killed and cleaned up, even after a second signal', async () => {
    const server = await startServerProcess({ RUNBOX_SHUTDOWN_GRACE_MS: '300' });
    const inFlight = httpRequest(`${server.url}/api/execute`, 'POST', sleeper(4));
    await new Promise((r) => setTimeout(r, 800));
    const started = Date.now();
    server.child.kill('SIGTERM');
    // Ctrl+C reaches every process of a group and launchers forward it again: a second
    // signal must not cut the cleanup short
    setTimeout(() => server.child.kill('SIGINT'), 100);
    const r = await inFlight;
    expect(r.json.status).toBe('internal_error');
    expect(await server.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await findLeftovers()).toEqual(NOTHING_LEFT);
  });
});

describe('its log reader going away', () => {
  test('the server keeps serving when its stdout pipe closes, and still cleans up on SIGTERM', async () => {
    const server = await startServerProcess();
    server.child.stdout!.destroy();
    server.child.stderr!.destroy();
    const r = await httpRequest(`${server.url}/api/execute`, 'POST', { language: 'python', code: 'print("still here")' });
    expect(r.json.stdout).toBe('still here\n');
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(await findLeftovers()).toEqual(NOTHING_LEFT);
  });
});

describe('a second server started on the same host', () => {
  const instance = subInstance(0);
  const POOL = 4;

  /** A server with a full pool, and its pool's users once settled (a finished run's user deleted, its replacement made). */
  async function startFirst(): Promise<{ first: ServerProcess; pool: () => Promise<string[]> }> {
    const first = await startServerProcess({ RUNBOX_INSTANCE: instance, RUNBOX_USER_POOL: String(POOL) });
    const pool = async () => {
      const deadline = Date.now() + 20000;
      let seen: string[] = [];
      for (;;) {
        await new Promise((r) => setTimeout(r, 300));
        const now = (await listRunUsers(instance)).map((u) => u.name).sort();
        if ((now.length === POOL && now.join() === seen.join()) || Date.now() > deadline) break;
        seen = now;
      }
      expect(seen).toHaveLength(POOL);
      return seen;
    };
    return { first, pool };
  }

  async function expectRunsCode(server: ServerProcess): Promise<void> {
    const r = await httpRequest(`${server.url}/api/execute`, 'POST', { language: 'python', code: 'print("still mine")' });
    expect(r.json).toMatchObject({ status: 'ok', stdout: 'still mine\n' });
  }

  test('with the same instance it exits non-zero naming the owner, and the first keeps its users and runs code', async () => {
    const { first, pool } = await startFirst();
    const before = await pool();
    const second = await startFailingServerProcess({ RUNBOX_INSTANCE: instance });
    expect(second.code).not.toBe(0);
    expect(second.logs).toContain(`another runbox server (pid ${first.child.pid}) owns instance '${instance}' on this host`);
    expect(await pool()).toEqual(before);
    await expectRunsCode(first);
  });

  test('on the same port it exits non-zero saying so, and the first keeps its users and runs code', async () => {
    const { first, pool } = await startFirst();
    const before = await pool();
    const port = new URL(first.url).port;
    const second = await startFailingServerProcess({ RUNBOX_INSTANCE: subInstance(1), PORT: port });
    expect(second.code).not.toBe(0);
    expect(second.logs).toContain(`port ${port} is in use`);
    expect(await pool()).toEqual(before);
    await expectRunsCode(first);
  });

  test('after kill -9 of the first, a new server takes over its stale lock and port', async () => {
    const { first } = await startFirst();
    const port = new URL(first.url).port;
    first.child.kill('SIGKILL');
    await first.exited;
    const next = await startServerProcess({ RUNBOX_INSTANCE: instance, PORT: port });
    expect(next.logs()).toContain('took over the instance lock of a server that is gone');
    await expectRunsCode(next);
    next.child.kill('SIGTERM');
    expect(await next.exited).toBe(0);
  });
});
