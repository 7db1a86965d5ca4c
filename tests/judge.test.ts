import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { JudgeResponse } from '../backend/src/protocol.js';
import { httpRequest, subInstance, useRunbox } from './helpers/runbox.js';
import { killServerProcesses, startServerProcess, stopServerProcess, type ServerProcess } from './helpers/server-process.js';

/**
 * Judge mode with real compilers and sandboxed runs: every language accepted, a wrong
 * answer, a timeout on a hidden test, compile errors, and hidden tests kept hidden.
 */

const ADMIN_KEY = 'judge-admin-key-0123456789';
// the judge process below runs next to this server: each has a tag of its own
const server = useRunbox({ RUNBOX_ADMIN_KEY: ADMIN_KEY, RUNBOX_INSTANCE: subInstance(0) });

// doubling a number; the hidden tests are the large ones, which the "slow" programs never finish
const DOUBLE = {
  slug: 'double',
  title: 'Double it',
  statement: 'Print 2n.',
  timeLimitMs: 1000,
  memoryLimitMb: 128,
  tests: [
    { input: '2\n', expected: '4\n' },
    { input: '21\n', expected: '42\n' },
    { input: '5000\n', expected: '10000\n', hidden: true },
    { input: '123456\n', expected: '246912\n', hidden: true },
  ],
};

/** Programs by language: correct, off by one, and one that hangs on input over 100. */
const PROGRAMS: Record<string, { right: string; wrong: string; slowOnHidden: string; broken?: string }> = {
  python: {
    right: 'n = int(input())\nprint(2 * n)',
    wrong: 'n = int(input())\nprint(2 * n + 1)',
    slowOnHidden: 'n = int(input())\nwhile n > 100:\n    pass\nprint(2 * n)',
  },
  javascript: {
    right: 'const n = Number(require("fs").readFileSync(0, "utf8"));\nconsole.log(2 * n);',
    wrong: 'const n = Number(require("fs").readFileSync(0, "utf8"));\nconsole.log(2 * n + 1);',
    slowOnHidden: 'const n = Number(require("fs").readFileSync(0, "utf8"));\nwhile (n > 100) {}\nconsole.log(2 * n);',
  },
  cpp: {
    right: '#include <iostream>\nint main() { long long n; std::cin >> n; std::cout << 2 * n << "\\n"; }',
    wrong: '#include <iostream>\nint main() { long long n; std::cin >> n; std::cout << 2 * n + 1 << "\\n"; }',
    slowOnHidden: '#include <iostream>\nint main() { volatile long long n; long long m; std::cin >> m; n = m; while (n > 100) {} std::cout << 2 * n << "\\n"; }',
    broken: '#include <iostream>\nint main() { std::cout << undefined_name; }',
  },
  java: {
    right: 'import java.util.Scanner;\npublic class Main { public static void main(String[] a) { long n = new Scanner(System.in).nextLong(); System.out.println(2 * n); } }',
    wrong: 'import java.util.Scanner;\npublic class Main { public static void main(String[] a) { long n = new Scanner(System.in).nextLong(); System.out.println(2 * n + 1); } }',
    slowOnHidden: 'import java.util.Scanner;\npublic class Main { static volatile long n; public static void main(String[] a) { n = new Scanner(System.in).nextLong(); while (n > 100) {} System.out.println(2 * n); } }',
    broken: 'public class Main { public static void main(String[] a) { int x = "not a number"; } }',
  },
};

async function submit(language: string, code: string, headers: Record<string, string> = {}): Promise<JudgeResponse> {
  const reply = await server().request('POST', '/api/problems/double/submissions', { language, code }, headers);
  if (reply.status !== 200) throw new Error(`judge answered ${reply.status}: ${reply.text}`);
  return reply.json as JudgeResponse;
}

beforeAll(async () => {
  const created = await server().request('POST', '/api/problems', DOUBLE, { authorization: `Bearer ${ADMIN_KEY}` });
  expect(created.status).toBe(201);
});

describe.each(Object.keys(PROGRAMS))('%s', (language) => {
  const programs = PROGRAMS[language]!;

  test('a correct solution is accepted on every test, with time and memory per test', async () => {
    const result = await submit(language, programs.right);
    expect(result).toMatchObject({ problem: 'double', language, status: 'accepted', passed: 4, total: 4 });
    expect(result.tests.map((t) => [t.index, t.hidden, t.status])).toEqual([
      [1, false, 'accepted'],
      [2, false, 'accepted'],
      [3, true, 'accepted'],
      [4, true, 'accepted'],
    ]);
    for (const t of result.tests) {
      expect(t.timeMs).toBeGreaterThan(0);
      expect(t.memoryKb).toBeGreaterThan(0);
    }
    expect(result.tests[0]).toMatchObject({ input: '2\n', expected: '4\n', stdout: '4\n' });
    if (language === 'cpp' || language === 'java') expect(result.compile).toMatchObject({ status: 'ok' });
  });

  test('a wrong answer is wrong_answer on every test, samples showing what was printed', async () => {
    const result = await submit(language, programs.wrong);
    expect(result.status).toBe('wrong_answer');
    expect(result.passed).toBe(0);
    expect(result.tests.every((t) => t.status === 'wrong_answer')).toBe(true);
    expect(result.tests[1]).toMatchObject({ expected: '42\n', stdout: '43\n' });
  });

  test('a program too slow for the hidden tests passes the samples and times out on the hidden ones', async () => {
    const result = await submit(language, programs.slowOnHidden);
    expect(result.status).toBe('timeout');
    expect(result.tests.map((t) => t.status)).toEqual(['accepted', 'accepted', 'timeout', 'timeout']);
    expect(result.tests[2]!.timeMs).toBeGreaterThanOrEqual(900);
  });

  if (programs.broken) {
    test('a compile error is reported once, with the compiler message, and no test runs', async () => {
      const result = await submit(language, programs.broken!);
      expect(result).toMatchObject({ status: 'compile_error', passed: 0, total: 4, tests: [] });
      expect(result.compile!.status).toBe('compile_error');
      expect(result.compile!.output).toMatch(/error/);
    });
  }
});

describe('java builds reused across tests', () => {
  test('a solution in a package is accepted on every test: its classes under com/example/ reach each run', async () => {
    const code = `// ${Math.random().toString(36).slice(2)}\npackage com.example;\nimport java.util.Scanner;\n` +
      'public class Main { static class Twice { long of(long n) { return 2 * n; } }\n' +
      '  public static void main(String[] a) { System.out.println(new Twice().of(new Scanner(System.in).nextLong())); } }';
    const result = await submit('java', code);
    expect(result).toMatchObject({ status: 'accepted', passed: 4, total: 4, compile: { status: 'ok', cached: false } });
  });
});

describe('hidden tests stay hidden', () => {
  test('hidden tests carry only verdict, time and memory, even when the program prints its input', async () => {
    const leak = 'import sys\ndata = sys.stdin.read()\nprint(data)\nprint("LEAK:" + data, file=sys.stderr)\nsys.exit(3)';
    const reply = await server().request('POST', '/api/problems/double/submissions', { language: 'python', code: leak });
    const result = reply.json as JudgeResponse;
    expect(result.status).toBe('runtime_error');
    for (const t of result.tests.filter((t) => t.hidden)) expect(Object.keys(t).sort()).toEqual(['hidden', 'index', 'memoryKb', 'status', 'timeMs']);
    expect(reply.text).not.toContain('123456');
    expect(reply.text).not.toContain('246912');
    expect(reply.text).toContain('LEAK:2'); // a sample's own input may be shown
  });

  test('a judge submission with a visitor key is kept in history, hidden data still absent', async () => {
    const visitor = { 'x-runbox-visitor': 'judge-visitor-0123456789abcdef' };
    const result = await submit('python', PROGRAMS.python!.right, visitor);
    expect(result.submissionId).toMatch(/^[A-Za-z0-9_-]{16}$/);
    const item = await server().request('GET', `/api/history/${result.submissionId}`, undefined, visitor);
    expect(item.json).toMatchObject({ kind: 'judge', problem: 'double', language: 'python', status: 'accepted', code: PROGRAMS.python!.right, result: { status: 'accepted', passed: 4 } });
    expect(item.text).not.toContain('123456');
  });

  test('output is compared as Judge0 does: trailing spaces and a missing final newline are fine', async () => {
    const result = await submit('python', 'n = int(input())\nprint(str(2 * n) + "   ", end="")');
    expect(result.status).toBe('accepted');
    const leading = await submit('python', 'n = int(input())\nprint(" " + str(2 * n))');
    expect(leading.status).toBe('wrong_answer');
  });
});

describe('limits of a judge submission', () => {
  test('a problem whose worst case (tests × time limit) is over 90 s is refused', async () => {
    const tests = Array.from({ length: 19 }, () => ({ input: '1\n', expected: '2\n' }));
    const reply = await server().request('POST', '/api/problems', { ...DOUBLE, slug: 'too-slow', timeLimitMs: 5000, tests }, { authorization: `Bearer ${ADMIN_KEY}` });
    expect(reply.status).toBe(400);
    expect(reply.json.field).toBe('tests');
  });

  test('a client that hangs up stops the judging of its submission', async () => {
    const slow = { ...DOUBLE, slug: 'hang-up', timeLimitMs: 3000, tests: Array.from({ length: 8 }, () => ({ input: '1\n', expected: '2\n' })) };
    expect((await server().request('POST', '/api/problems', slow, { authorization: `Bearer ${ADMIN_KEY}` })).status).toBe(201);
    const gone = new AbortController();
    const started = Date.now();
    const pending = fetch(`${server().url}/api/problems/hang-up/submissions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ language: 'python', code: 'import time\ntime.sleep(2.5)\nprint(2)' }),
      signal: gone.signal,
    }).catch(() => 'aborted');
    await new Promise((r) => setTimeout(r, 1000));
    gone.abort();
    expect(await pending).toBe('aborted');
    // 8 tests of 2.5 s would take 20 s; the running test is killed and no other starts
    for (;;) {
      const health = await server().request('GET', '/api/health');
      if (health.json.runs.active === 0 && health.json.runs.queued === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('a judge process, watched from outside', () => {
  let proc: ServerProcess;
  beforeAll(async () => {
    // no compile cache: only the judge's own reuse of the build can skip the compiler
    proc = await startServerProcess({ RUNBOX_ADMIN_KEY: ADMIN_KEY, RUNBOX_COMPILE_CACHE_MB: '0', RUNBOX_USER_POOL: '1', RUNBOX_INSTANCE: subInstance(1) });
    const created = await httpRequest(`${proc.url}/api/problems`, 'POST', DOUBLE, { authorization: `Bearer ${ADMIN_KEY}` });
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    if (proc) await stopServerProcess(proc);
    await killServerProcesses();
    // nothing-left is checked once the file's own server has stopped too (useRunbox)
  });

  test('compiles once for all tests, and the log holds verdicts, never hidden inputs or outputs', async () => {
    const reply = await httpRequest(`${proc.url}/api/problems/double/submissions`, 'POST', { language: 'cpp', code: PROGRAMS.cpp!.right });
    expect(reply.json.status).toBe('accepted');
    await new Promise((r) => setTimeout(r, 500)); // the last run's log line follows its cleanup
    const lines = proc
      .logs()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const runs = lines.filter((l) => l.message === 'run' && l.language === 'cpp');
    expect(runs).toHaveLength(4);
    expect(runs.filter((l) => l.compileCached === false)).toHaveLength(1);
    expect(runs.filter((l) => l.compileCached === true)).toHaveLength(3);
    expect(lines.find((l) => l.message === 'judge')).toMatchObject({ problem: 'double', language: 'cpp', status: 'accepted', passed: 4, total: 4 });
    expect(proc.logs()).not.toContain('123456');
    expect(proc.logs()).not.toContain('246912');
  });

  test('SIGTERM during a judge submission lets it finish whole, then the server exits', async () => {
    const judging = httpRequest(`${proc.url}/api/problems/double/submissions`, 'POST', { language: 'python', code: 'import time\ntime.sleep(0.3)\nprint(2 * int(input()))' });
    await new Promise((r) => setTimeout(r, 400));
    proc.child.kill('SIGTERM');
    const reply = await judging;
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ status: 'accepted', passed: 4, total: 4 });
    expect(await proc.exited).toBe(0);
  });
});
