import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { zipSync } from 'fflate';
import { compareOutput, parseDefaultValidatorFlags, type DefaultValidatorFlags } from '../backend/src/problems/default-validator.js';
import { renderStatement } from '../backend/src/problems/statement.js';
import { httpRequest, subInstance } from './helpers/runbox.js';
import { startServerProcess, stopServerProcess, tempDataDir, type ServerProcess } from './helpers/server-process.js';

/**
 * Problem packages (the Kattis format, legacy version) written for this suite, one per
 * feature: the default validator's float tolerance (floatavg), a custom validator in C++
 * (pairsum) and one in Python (divisor), an interactive problem (guess), scoring test groups
 * (subtasks), and a broken package. scripts/problems.ts verifies each (every solution's
 * verdict is its folder's); the admin API imports them as zips and the judge uses them.
 */

const run = promisify(execFile);
const PACKAGES = path.resolve('tests/packages');
const ADMIN_KEY = 'packages-admin-key-0123456789';
const admin = { authorization: `Bearer ${ADMIN_KEY}` };

/** The package folder as a zip holding its folder, as the format describes one. */
function zipPackage(dir: string, name = path.basename(dir)): Buffer {
  const files: Record<string, Uint8Array> = {};
  const walk = (at: string, rel: string) => {
    for (const entry of readdirSync(at)) {
      const full = path.join(at, entry);
      if (statSync(full).isDirectory()) walk(full, `${rel}/${entry}`);
      else files[`${rel}/${entry}`] = readFileSync(full);
    }
  };
  walk(dir, name);
  return Buffer.from(zipSync(files));
}

async function postZip(url: string, route: string, zip: Buffer, query = '') {
  const res = await fetch(`${url}/api/admin/problems/${route}${query}`, { method: 'POST', headers: { ...admin, 'content-type': 'application/zip' }, body: new Uint8Array(zip) });
  return { status: res.status, json: (await res.json()) as any };
}

async function cli(command: 'verify' | 'import', target: string, env: Record<string, string> = {}) {
  const result = await run(process.execPath, ['scripts/problems.ts', command, target], {
    env: { ...process.env, RUNBOX_INSTANCE: subInstance(3), RUNBOX_DATA_DIR: tempDataDir(), ...env },
    timeout: 240_000,
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
  return result;
}

describe('scripts/problems.ts verify: every solution of every test package gets its folder\'s verdict', () => {
  const expected: Record<string, number> = { floatavg: 5, pairsum: 4, divisor: 4, guess: 4, subtasks: 3 };
  for (const [name, solutions] of Object.entries(expected)) {
    test(name, async () => {
      const { code, stdout, stderr } = await cli('verify', path.join(PACKAGES, name));
      expect(stderr).not.toMatch(/problems:/);
      const lines = stdout.split('\n').filter((l) => /^(PASS|FAIL) /.test(l));
      expect(lines).toHaveLength(solutions);
      expect(lines.every((l) => l.startsWith('PASS '))).toBe(true);
      expect(stdout.trim().split('\n').at(-1)).toBe(`${solutions} passed, 0 failed`);
      expect(code).toBe(0);
    }, 240_000);
  }

  test('the problems a fresh install ships with are packages too (problems/), each verified', async () => {
    for (const name of readdirSync(path.resolve('problems'))) {
      const { code, stdout } = await cli('verify', path.resolve('problems', name));
      expect(stdout).toMatch(/time limit \d+ ms \(from \.timelimit\)/);
      expect(stdout.trim().split('\n').at(-1)).toMatch(/^[1-9]\d* passed, 0 failed$/);
      expect(code).toBe(0);
    }
  }, 240_000);

  test('a broken package is refused naming the file and the line; a failing solution fails the verification', async () => {
    const broken = await cli('verify', path.join(PACKAGES, 'broken'));
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('problem.yaml:3: unknown key time_limit');

    // the accepted solution of a copy made wrong: reported FAIL, counted, exit status 1
    const copy = path.join(mkdtempSync(path.join(os.tmpdir(), 'runbox-pkg-')), 'pairsum');
    cpSync(path.join(PACKAGES, 'pairsum'), copy, { recursive: true });
    writeFileSync(path.join(copy, 'submissions/wrong_answer/really_right.py'), 'n = int(input())\nprint(1, n - 1)\n');
    // Python 2, told by its shebang as the format says: left out with a warning, not judged as Python 3
    writeFileSync(path.join(copy, 'submissions/accepted/old.py'), '#!/usr/bin/env python2\nn = input()\nprint 1, n - 1\n');
    const failing = await cli('verify', copy);
    expect(failing.stderr).toMatch(/warning: submissions\/accepted\/old\.py: Python 2/);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(/^FAIL submissions\/wrong_answer\/really_right\.py \(python\): expected wrong_answer, got accepted/m);
    expect(failing.stdout.trim().split('\n').at(-1)).toBe('4 passed, 1 failed');
    rmSync(path.dirname(copy), { recursive: true, force: true });

    // test data its input validator refuses: reported, and the package fails
    const invalid = path.join(mkdtempSync(path.join(os.tmpdir(), 'runbox-pkg-')), 'floatavg');
    cpSync(path.join(PACKAGES, 'floatavg'), invalid, { recursive: true });
    // n = 101: over the statement's bound, which the solutions would not notice
    writeFileSync(path.join(invalid, 'data/secret/4.in'), `101\n${Array(101).fill(1).join(' ')}\n`);
    writeFileSync(path.join(invalid, 'data/secret/4.ans'), '1\n');
    const refused = await cli('verify', invalid);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^FAIL data\/secret\/4\.in: input_validators\/validate\.py exited 1/m);
    expect(refused.stdout).toContain('input validators: input_validators/validate.py: 4 of 5 inputs valid');
    rmSync(path.dirname(invalid), { recursive: true, force: true });
  }, 240_000);
});

describe('the admin API imports packages and the judge judges by them', () => {
  let server: ServerProcess;
  let url: string;
  beforeAll(async () => {
    server = await startServerProcess({ RUNBOX_INSTANCE: subInstance(1), RUNBOX_ADMIN_KEY: ADMIN_KEY, RUNBOX_DATA_DIR: tempDataDir(), RUNBOX_USER_POOL: '2' });
    url = server.url;
  }, 60_000);
  afterAll(async () => {
    if (server) await stopServerProcess(server);
  });
  const judge = (slug: string, code: string, language = 'python', headers: Record<string, string> = {}) =>
    httpRequest(`${url}/api/problems/${slug}/submissions`, 'POST', { language, code }, headers);

  test('a fresh install\'s problems were seeded and then imported from their packages: HTML statement, groups, every test judged', async () => {
    const problem = (await httpRequest(`${url}/api/problems/a-plus-b`, 'GET')).json;
    expect(problem).toMatchObject({ title: 'A + B', timeLimitMs: 2000, memoryLimitMb: 256, sampleCount: 2, hiddenCount: 4 });
    expect(problem.statement).toMatch(/^Read two integers and print their sum/);
    expect(problem.package).toMatchObject({ groups: ['sample', 'secret'], license: 'cc0' });
    expect(problem.package.statementHtml).toMatch(/<h2[^>]*>Input<\/h2>/);
    // on_reject: continue, as the seeded problems were always judged
    const wrong = await judge('a-plus-b', 'print(3)');
    expect(wrong.json).toMatchObject({ status: 'wrong_answer', passed: 1, total: 6 });
    expect(wrong.json.tests).toHaveLength(6);
  }, 60_000);

  test('import creates the problem: its statement as HTML with typeset math, samples, limits, groups; the judge applies the float tolerance', async () => {
    const imported = await postZip(url, 'import', zipPackage(path.join(PACKAGES, 'floatavg')));
    expect(imported.status).toBe(201);
    expect(imported.json).toMatchObject({ slug: 'floatavg', outcome: 'created', report: { passed: 5, failed: 0, timeLimitFrom: 'accepted submissions' } });
    const problem = (await httpRequest(`${url}/api/problems/floatavg`, 'GET')).json;
    expect(problem).toMatchObject({ slug: 'floatavg', title: 'Average', memoryLimitMb: 256, timeLimitMs: 1000, sampleCount: 1, hiddenCount: 3 });
    expect(problem.samples).toEqual([{ input: '3\n1 2 4\n', expected: '2.333333333\n' }]);
    expect(problem.package).toMatchObject({ type: 'pass-fail', interactive: false, groups: ['sample', 'secret'], license: 'cc0', source: 'runbox test suite' });
    expect(problem.package.statementHtml).toContain('class="katex"');
    expect(problem.package.statementHtml).toMatch(/<h2[^>]*>Input<\/h2>/);

    // 2.3333333 is within 1e-6 of the answer; 2.33 is not
    const close = await judge('floatavg', 'n = int(input())\na = list(map(int, input().split()))\nprint(round(sum(a) / n, 7))');
    expect(close.json).toMatchObject({ status: 'accepted', passed: 4, total: 4 });
    expect(close.json.groups).toEqual([
      { name: 'sample', status: 'accepted', passed: 1, total: 1 },
      { name: 'secret', status: 'accepted', passed: 3, total: 3 },
    ]);
    const far = await judge('floatavg', 'n = int(input())\na = list(map(int, input().split()))\nprint(round(sum(a) / n, 2))');
    expect(far.json.status).toBe('wrong_answer');
    // judging stops at the first rejection (on_reject: break); the sample's diff is shown, being a sample
    expect(far.json.tests).toHaveLength(1);
    expect(far.json.tests[0]).toMatchObject({ group: 'sample', name: 'sample/1', status: 'wrong_answer', message: expect.stringContaining('2.33') });
  }, 180_000);

  test("a custom validator's message reaches the author, a hidden test's answer never does; re-importing keeps earlier results", async () => {
    expect((await postZip(url, 'import', zipPackage(path.join(PACKAGES, 'pairsum')))).status).toBe(201);
    const visitor = { 'X-Runbox-Visitor': 'packages-visitor-0123456789abcdef' };
    const wrong = await judge('pairsum', 'n = int(input())\nprint(n // 2, n // 2 + 5 if n > 5 else n - n // 2)', 'python', visitor);
    expect(wrong.json.status).toBe('wrong_answer');
    const failed = wrong.json.tests.find((t: { status: string }) => t.status === 'wrong_answer');
    expect(failed).toMatchObject({ hidden: true, message: 'the two numbers do not add up to n' });
    expect(failed).not.toHaveProperty('expected');
    expect(JSON.stringify(wrong.json)).not.toContain('instead of'); // the judge's message stays with the judge
    const again = await postZip(url, 'import', zipPackage(path.join(PACKAGES, 'pairsum')));
    expect(again.status).toBe(200);
    expect(again.json.outcome).toBe('replaced');
    const kept = await httpRequest(`${url}/api/history/${wrong.json.submissionId}`, 'GET', undefined, visitor);
    expect(kept.json.result).toMatchObject({ status: 'wrong_answer', problem: 'pairsum' });
  }, 180_000);

  test('an interactive problem: the validator and the program talk over pipes; its samples are shown as the interaction', async () => {
    expect((await postZip(url, 'import', zipPackage(path.join(PACKAGES, 'guess')))).status).toBe(201);
    const problem = (await httpRequest(`${url}/api/problems/guess`, 'GET')).json;
    expect(problem.package.interactive).toBe(true);
    expect(problem.samples).toEqual([]);
    expect(problem.package.interactions[0].text).toMatch(/^> \? 500\n< <\n/);
    const binary = readFileSync(path.join(PACKAGES, 'guess/submissions/accepted/binary.cpp'), 'utf8');
    expect((await judge('guess', binary, 'cpp')).json).toMatchObject({ status: 'accepted', passed: 5, total: 5 });
    const linear = await judge('guess', readFileSync(path.join(PACKAGES, 'guess/submissions/wrong_answer/linear.py'), 'utf8'));
    expect(linear.json.status).toBe('wrong_answer');
    expect(linear.json.tests.at(-1).message).toBe('more than 10 questions');
  }, 180_000);

  test('scoring groups: a partial solution is accepted with the score of the groups it passes', async () => {
    const imported = await postZip(url, 'import', zipPackage(path.join(PACKAGES, 'subtasks')));
    expect(imported.status).toBe(201);
    const partial = await judge('subtasks', readFileSync(path.join(PACKAGES, 'subtasks/submissions/partially_accepted/loop.py'), 'utf8'));
    expect(partial.json).toMatchObject({ status: 'accepted', score: 30 });
    expect(partial.json.groups).toEqual(
      expect.arrayContaining([
        { name: 'secret/1-small', status: 'accepted', passed: 2, total: 2, score: 30 },
        expect.objectContaining({ name: 'secret/2-large', status: 'wrong_answer', score: 0 }),
      ]),
    );
  }, 180_000);

  test('a package that breaks the format is a 422 naming the file and line, and nothing is stored; so is one whose accepted solution fails', async () => {
    const broken = await postZip(url, 'import', zipPackage(path.join(PACKAGES, 'broken')));
    expect(broken.status).toBe(422);
    expect(broken.json).toMatchObject({ error: 'Invalid package', field: 'problem.yaml', line: 3, message: expect.stringContaining('unknown key time_limit') });
    expect((await httpRequest(`${url}/api/problems/broken`, 'GET')).status).toBe(404);

    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'runbox-pkg-')), 'nogood');
    cpSync(path.join(PACKAGES, 'divisor'), dir, { recursive: true });
    rmSync(path.join(dir, 'data/secret/2.ans'));
    const missing = await postZip(url, 'verify', zipPackage(dir));
    expect(missing.status).toBe(422);
    expect(missing.json).toMatchObject({ field: 'data/secret/2.in', message: expect.stringContaining('has no 2.ans beside it') });

    writeFileSync(path.join(dir, 'data/secret/2.ans'), '999983\n');
    writeFileSync(path.join(dir, 'submissions/accepted/wrong.py'), 'print(1)\n');
    const refused = await postZip(url, 'import', zipPackage(dir));
    expect(refused.status).toBe(422);
    expect(refused.json.message).toMatch(/submissions\/accepted\/wrong\.py/);
    expect((await httpRequest(`${url}/api/problems/nogood`, 'GET')).status).toBe(404);
    rmSync(path.dirname(dir), { recursive: true, force: true });
  }, 240_000);

  test('only the admin imports or verifies', async () => {
    const zip = zipPackage(path.join(PACKAGES, 'broken'));
    const res = await fetch(`${url}/api/admin/problems/import`, { method: 'POST', headers: { 'content-type': 'application/zip' }, body: new Uint8Array(zip) });
    expect(res.status).toBe(401);
  });
});

describe('statements and the default validator', () => {
  test('a statement cannot carry script, raw HTML or javascript: links; figures are inlined and math typeset', async () => {
    const tex = String.raw`\problemname{Safe}
Value $x^2$. \href{javascript:alert(1)}{click} \href{https://icpc.global}{icpc}
\begin{rawhtml}<script>alert(1)</script>\end{rawhtml}
\illustration{0.3}{fig.png}{A figure}`;
    const md = '# Safe too\n\n<img src=x onerror="alert(1)">\n\n[a](javascript:alert(1)) [b]{onclick="alert(1)"} $y$\n';
    const files = new Map([
      ['problem_statement/problem.en.tex', Buffer.from(tex)],
      ['problem_statement/fig.png', Buffer.from('not really a png')],
    ]);
    const latex = await renderStatement({ name: 'safe', files });
    expect(latex.title).toBe('Safe');
    // no element or attribute of theirs survives; their text may, escaped
    expect(latex.html).not.toMatch(/<script|href="javascript:/i);
    expect(latex.html).toContain('href="https://icpc.global"');
    expect(latex.html).toContain(`src="data:image/png;base64,${Buffer.from('not really a png').toString('base64')}"`);
    expect(latex.html).toContain('class="katex"');
    const markdown = await renderStatement({ name: 'safe', files: new Map([['problem_statement/problem.md', Buffer.from(md)]]) });
    expect(markdown.title).toBe('Safe too');
    expect(markdown.html).not.toMatch(/<img[^>]*onerror|<[^>]+onclick|href="javascript:/i);
    expect(markdown.html).toContain('&lt;img src=x');
    expect(markdown.html).toContain('class="katex"');
  });

  test('the default validator: case-insensitive and whitespace-blind by default, its flags as the format defines them', () => {
    const flags = (...args: string[]) => parseDefaultValidatorFlags(args) as DefaultValidatorFlags;
    expect(compareOutput('YES\n', 'yes', flags()).accepted).toBe(true);
    expect(compareOutput('YES\n', 'yes', flags('case_sensitive')).accepted).toBe(false);
    expect(compareOutput('1   2\n\n', '1 2\n', flags()).accepted).toBe(true);
    expect(compareOutput('1   2\n', '1 2\n', flags('space_change_sensitive')).accepted).toBe(false);
    expect(compareOutput('1 2\n', '1 2\n', flags('space_change_sensitive')).accepted).toBe(true);
    expect(compareOutput('3.14000000e-2', '0.0314', flags('float_tolerance', '1e-9')).accepted).toBe(true);
    expect(compareOutput('0.0315', '0.0314', flags('float_absolute_tolerance', '1e-3')).accepted).toBe(true);
    expect(compareOutput('0.0315', '0.0314', flags('float_absolute_tolerance', '1e-5')).accepted).toBe(false);
    expect(compareOutput('1000001', '1000000', flags('float_relative_tolerance', '1e-5')).accepted).toBe(true);
    expect(compareOutput('1.5', '1.50', flags()).accepted).toBe(false);
    expect(compareOutput('abc', '1.0', flags('float_tolerance', '1')).accepted).toBe(false);
    expect(compareOutput('1 2 3', '1 2', flags()).message).toMatch(/after the end/);
    expect(parseDefaultValidatorFlags(['float_tolerance'])).toMatch(/needs a non-negative number/);
    expect(parseDefaultValidatorFlags(['ignore_case'])).toMatch(/no flag "ignore_case"/);
  });
});
