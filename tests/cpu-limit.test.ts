import { describe, expect, test } from '@jest/globals';
import { useRunbox } from './helpers/runbox.js';

/**
 * The CPU limit is the run's total, all its processes and threads as its cgroup counts them,
 * to the millisecond: not RLIMIT_CPU's whole seconds per process. A run over it ends as
 * `timeout` with `timeLimit: "cpu"`, in every language, asynchronous and judged runs too.
 */

const server = useRunbox();
/** CPU a run may use past its limit before it is dead: the watchdog's step and the kill. */
const SLACK_MS = 60;

const BUSY: Record<string, string> = {
  python: 'while True:\n    pass',
  javascript: 'for (;;) {}',
  typescript: 'let n: number = 0;\nfor (;;) { n++; }',
  ruby: 'loop {}',
  bash: 'while :; do :; done',
  php: '<?php\nwhile (true) {}',
  c: 'int main(void) { volatile unsigned long x = 0; for (;;) x++; }',
  cpp: 'int main() { volatile unsigned long x = 0; for (;;) x++; }',
  java: 'public class Main { public static void main(String[] a) { long x = 0; while (true) { x++; } } }',
  go: 'package main\n\nfunc main() {\n\tfor {\n\t}\n}',
  rust: 'fn main() {\n    loop {}\n}',
};

function expectCpuTimeout(r: { status: string; timeLimit?: string; cpuTimeMs: number | null }, limitMs: number) {
  expect({ status: r.status, timeLimit: r.timeLimit }).toEqual({ status: 'timeout', timeLimit: 'cpu' });
  expect(r.cpuTimeMs).toBeGreaterThanOrEqual(limitMs);
  expect(r.cpuTimeMs).toBeLessThan(limitMs + SLACK_MS);
}

describe('the CPU limit, to the millisecond', () => {
  test('0.7 s of CPU under a 300 ms limit is a timeout at ~300 ms, not ok at 763', async () => {
    const code = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.7:\n    pass\nprint('done')";
    const r = await server().execute({ language: 'python', code, limits: { cpuTimeMs: 300 } });
    expectCpuTimeout(r, 300);
    expect(r.stdout).toBe('');
  });

  test('a 2500 ms limit ends at ~2500 ms, not at the next whole second', async () => {
    const r = await server().execute({ language: 'python', code: BUSY.python!, limits: { cpuTimeMs: 2500 } });
    expectCpuTimeout(r, 2500);
  });

  test('two processes that each stay under the limit are stopped at their total', async () => {
    const code = [
      'import os, time',
      'def burn(seconds):',
      '    t = time.process_time()',
      '    while time.process_time() - t < seconds:',
      '        pass',
      'if os.fork() == 0:',
      '    burn(0.7)',
      '    os._exit(0)',
      'burn(0.7)',
      'os.wait()',
      "print('both done')",
    ].join('\n');
    const r = await server().execute({ language: 'python', code, limits: { cpuTimeMs: 1000 } });
    expectCpuTimeout(r, 1000);
    expect(r.stdout).toBe('');
  });

  test('threads count too: two busy threads under a 400 ms limit', async () => {
    const code = '#include <thread>\nvoid burn() { volatile unsigned long x = 0; for (;;) x++; }\nint main() { std::thread a(burn), b(burn); a.join(); b.join(); }';
    const r = await server().execute({ language: 'cpp', code, limits: { cpuTimeMs: 400 } });
    expectCpuTimeout(r, 400);
  });

  test.each(Object.keys(BUSY))('%s: a busy loop ends at its CPU limit', async (language) => {
    const r = await server().execute({ language, code: BUSY[language]!, limits: { cpuTimeMs: 300 } });
    expectCpuTimeout(r, 300);
  }, 120000);

  test('a program that finishes under its limit is untouched', async () => {
    const r = await server().execute({ language: 'python', code: "print('quick')", limits: { cpuTimeMs: 300 } });
    expect(r).toMatchObject({ status: 'ok', stdout: 'quick\n' });
    expect(r.timeLimit).toBeUndefined();
  });

  test('with an expected output, a run over its CPU limit is a timeout, never accepted', async () => {
    const code = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.7:\n    pass\nprint('done')";
    const posted = await server().request('POST', '/api/submissions', { language: 'python', code, expectedOutput: 'done', limits: { cpuTimeMs: 300 } });
    expect(posted.status).toBe(202);
    const done = await server().request('GET', `/api/submissions/${posted.json.id}?wait=true`);
    expect(done.json).toMatchObject({ status: 'timeout', timeLimit: 'cpu', verdict: 'timeout' });
  });

  test("Piston's run_cpu_time is held to the millisecond too", async () => {
    const r = await server().request('POST', '/api/v2/execute', { language: 'python', version: '*', files: [{ content: BUSY.python }], run_cpu_time: 300 });
    expect(r.status).toBe(200);
    expect(r.json.run.cpu_time).toBeGreaterThanOrEqual(300);
    expect(r.json.run.cpu_time).toBeLessThan(300 + SLACK_MS);
  });
});
