import { afterAll, describe, expect, test } from '@jest/globals';
import { findLeftovers, NOTHING_LEFT } from './helpers/leftovers.js';
import { startTestRunbox } from './helpers/runbox.js';

afterAll(async () => {
  expect(await findLeftovers()).toEqual(NOTHING_LEFT);
});

describe('concurrency', () => {
  test('20 mixed runs at once all come back correct', async () => {
    const box = await startTestRunbox();
    try {
      const jobs = Array.from({ length: 20 }, (_, i) => {
        switch (i % 4) {
          case 0:
            return { body: { language: 'python', code: 'import sys\nprint(int(sys.stdin.read()) * 2)', stdin: String(i) }, want: `${i * 2}\n` };
          case 1:
            return { body: { language: 'javascript', code: 'console.log(process.argv[2] + "!")', args: [`js${i}`] }, want: `js${i}!\n` };
          case 2:
            return { body: { language: 'cpp', code: `#include <cstdio>\nint main() { printf("%d\\n", ${i} * 3); }` }, want: `${i * 3}\n` };
          default:
            return { body: { language: 'java', code: `public class Main { public static void main(String[] a) { System.out.println(${i} + 1); } }` }, want: `${i + 1}\n` };
        }
      });
      const results = await Promise.all(jobs.map((j) => box.execute(j.body)));
      results.forEach((r, i) => {
        expect({ i, status: r.status, stdout: r.stdout }).toEqual({ i, status: 'ok', stdout: jobs[i]!.want });
      });
      expect(new Set(results.map((r) => r.id)).size).toBe(20);
    } finally {
      await box.shutdown();
    }
  }, 180000);

  test('a full queue turns callers away with 503 and Retry-After', async () => {
    const box = await startTestRunbox({ RUNBOX_CONCURRENCY: '1', RUNBOX_MAX_QUEUE: '1' });
    try {
      const slow = { language: 'python', code: 'import time\ntime.sleep(1.5)\nprint("done")' };
      const running = box.request('POST', '/api/execute', slow);
      await new Promise((r) => setTimeout(r, 200));
      const queued = box.request('POST', '/api/execute', slow);
      await new Promise((r) => setTimeout(r, 200));
      const refused = await box.request('POST', '/api/execute', slow);
      expect(refused.status).toBe(503);
      expect(refused.json.error).toBe('Server busy');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      const health = await box.request('GET', '/api/health');
      expect(health.json.runs).toMatchObject({ active: 1, queued: 1 });
      expect((await running).json.stdout).toBe('done\n');
      expect((await queued).json.stdout).toBe('done\n');
    } finally {
      await box.shutdown();
    }
  });
});
