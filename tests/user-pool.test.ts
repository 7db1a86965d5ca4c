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
      await waitForPool(box, 3);
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
