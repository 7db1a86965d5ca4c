import { afterAll, describe, expect, test } from '@jest/globals';
import { findLeftovers, NOTHING_LEFT } from './helpers/leftovers.js';
import { startTestRunbox, type TestRunbox } from './helpers/runbox.js';

afterAll(async () => {
  expect(await findLeftovers()).toEqual(NOTHING_LEFT);
});

const whoami = 'import os\nprint(os.environ["USER"], os.getuid())';

async function waitForPool(box: TestRunbox, size: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if ((await box.request('GET', '/api/health')).json.runs.usersReady >= size) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the user pool did not fill');
}

describe('user pool', () => {
  test('every run gets its own user, named after its run id, used once', async () => {
    const box = await startTestRunbox({ RUNBOX_USER_POOL: '3' });
    try {
      await waitForPool(box, 3);
      const runs = [];
      for (let i = 0; i < 5; i++) runs.push(await box.execute({ language: 'python', code: whoami }));
      const names = runs.map((r) => r.stdout.split(' ')[0]);
      expect(new Set(names).size).toBe(5);
      runs.forEach((r, i) => expect(names[i]).toBe(`exec_${r.id.replace(/-/g, '').slice(0, 24)}`));
      // a used user is gone once its run's cleanup is over; only fresh ones wait in the pool
      // (topped up once half of it is used: at least 2 of 3)
      await waitForPool(box, 2);
      for (let i = 0; i < 300 && (await box.request('GET', '/api/health')).json.runs.cleanupsPending > 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const passwd = (await findLeftovers()).users;
      for (const name of names) expect(passwd).not.toContain(name);
    } finally {
      await box.shutdown();
    }
  });

  test('without a pool, runs create their user inline', async () => {
    const box = await startTestRunbox({ RUNBOX_USER_POOL: '0' });
    try {
      const r = await box.execute({ language: 'python', code: whoami });
      expect(r.status).toBe('ok');
      expect((await box.request('GET', '/api/health')).json.runs.usersReady).toBe(0);
      const cpp = await box.execute({ language: 'cpp', code: '#include <cstdio>\nint main() { puts("inline"); }' });
      expect(cpp.stdout).toBe('inline\n');
    } finally {
      await box.shutdown();
    }
  });

  test('shutdown deletes users still waiting in the pool', async () => {
    const box = await startTestRunbox({ RUNBOX_USER_POOL: '4' });
    await waitForPool(box, 4);
    expect((await findLeftovers()).users.length).toBeGreaterThanOrEqual(4);
    await box.shutdown();
    expect(await findLeftovers()).toEqual(NOTHING_LEFT);
  });
});

describe('account files shared with the host', () => {
  test("users an admin adds with useradd while runs come and go are never lost", async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const { readFile } = await import('node:fs/promises');
    const run = promisify(execFile);
    const box = await startTestRunbox({ RUNBOX_USER_POOL: '2' });
    const admins = Array.from({ length: 6 }, (_, i) => `rbadmin${i}${Date.now() % 100000}`);
    try {
      const runs = Promise.all(Array.from({ length: 16 }, () => box.execute({ language: 'python', code: 'print(1)' })));
      // useradd waits for the locks runbox holds (and runbox for useradd's): both finish
      for (const name of admins) await run('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', name]);
      for (const r of await runs) expect(r.status).toBe('ok');
      const passwd = await readFile('/etc/passwd', 'utf8');
      const shadow = await readFile('/etc/shadow', 'utf8');
      for (const name of admins) {
        expect(passwd).toMatch(new RegExp(`^${name}:`, 'm'));
        expect(shadow).toMatch(new RegExp(`^${name}:`, 'm'));
      }
    } finally {
      for (const name of admins) await run('userdel', [name]).catch(() => undefined);
      await box.shutdown();
    }
  });
});
