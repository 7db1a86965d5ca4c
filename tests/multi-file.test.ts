import { describe, expect, test } from '@jest/globals';
import { MAX_FILES, MAX_NAME_BYTES, MAX_NAME_DEPTH } from '../backend/src/file-names.js';
import type { ExecuteResponse, JudgeResponse, ProgramFile } from '../backend/src/protocol.js';
import { LiveClient } from './helpers/live.js';
import { useRunbox } from './helpers/runbox.js';

/**
 * Programs of more than one file (`files`), through the real API: each core language with
 * its own way of splitting a program (Python modules, Node requires, C++ headers and
 * translation units, Java classes and packages), every kind of bad file name, the compile
 * cache over all files, streamed and live runs, snippets, history and the judge.
 */

const ADMIN_KEY = 'multi-file-admin-key-0123456789';
const server = useRunbox({ RUNBOX_ADMIN_KEY: ADMIN_KEY });
const visitor = { 'x-runbox-visitor': 'multi-file-visitor-0123456789ab' };

async function execute(body: Record<string, unknown>): Promise<ExecuteResponse> {
  return server().execute(body);
}

const PYTHON: ProgramFile[] = [
  { name: 'main.py', content: 'import sys\nfrom shapes.square import area\nimport helpers\nprint(helpers.shout(input()), area(int(sys.argv[1])))\n' },
  { name: 'helpers.py', content: 'def shout(s):\n    return s.upper() + "!"\n' },
  { name: 'shapes/__init__.py', content: '' },
  { name: 'shapes/square.py', content: 'def area(n):\n    return n * n\n' },
];

const JAVASCRIPT: ProgramFile[] = [
  { name: 'lib/math.js', content: 'exports.triple = (n) => 3 * n;\n' },
  { name: 'data/words.txt', content: 'alpha beta gamma\n' },
  {
    name: 'index.js',
    content: 'const { triple } = require("./lib/math");\nconst words = require("fs").readFileSync(__dirname + "/data/words.txt", "utf8").trim().split(" ");\nconsole.log(triple(words.length), words.at(-1));\n',
    main: true,
  },
];

const CPP: ProgramFile[] = [
  { name: 'main.cpp', content: '#include <iostream>\n#include "geometry.h"\n#include "text/strings.h"\nint main() { std::cout << area(6, 7) << " " << shout("hi") << "\\n"; }\n' },
  { name: 'geometry.h', content: '#pragma once\nint area(int w, int h);\n' },
  { name: 'geometry.cpp', content: '#include "geometry.h"\nint area(int w, int h) { return w * h; }\n' },
  { name: 'text/strings.h', content: '#pragma once\n#include <string>\nstd::string shout(const std::string& s);\n' },
  { name: 'text/strings.cpp', content: '#include "strings.h"\nstd::string shout(const std::string& s) { return s + "!"; }\n' },
];

// the entry is marked, not first; a package in its folder; classes in files of their own
const JAVA: ProgramFile[] = [
  { name: 'Util.java', content: 'public class Util {\n  public static int twice(int n) { return 2 * n; }\n}\n' },
  { name: 'com/example/Greeter.java', content: 'package com.example;\npublic class Greeter {\n  public static String greet(String who) { return "Hello, " + who; }\n}\n' },
  {
    name: 'App.java',
    content: 'import com.example.Greeter;\npublic class App {\n  public static void main(String[] args) {\n    System.out.println(Greeter.greet(args[0]) + " " + Util.twice(21));\n  }\n}\n',
    main: true,
  },
];

describe('a program of several files runs in each core language', () => {
  test('python: a module and a package imported from the entry file', async () => {
    const r = await execute({ language: 'python', files: PYTHON, stdin: 'hey\n', args: ['5'] });
    expect(r).toMatchObject({ status: 'ok', stdout: 'HEY! 25\n' });
  });

  test('javascript: a required module and a data file; the entry marked main', async () => {
    const r = await execute({ language: 'javascript', files: JAVASCRIPT });
    expect(r).toMatchObject({ status: 'ok', stdout: '9 gamma\n' });
  });

  test('cpp: headers and two translation units, one in a folder', async () => {
    const r = await execute({ language: 'cpp', files: CPP });
    expect(r).toMatchObject({ status: 'ok', stdout: '42 hi!\n' });
    expect(r.compile).toMatchObject({ status: 'ok' });
  });

  test('java: a class per file, a package in its folder, main in the marked entry', async () => {
    const r = await execute({ language: 'java', files: JAVA, args: ['Ada'] });
    expect(r).toMatchObject({ status: 'ok', stdout: 'Hello, Ada 42\n' });
  });

  test('java: an entry file in a package runs its class by its full name', async () => {
    const files = [
      { name: 'app/Main.java', content: 'package app;\nimport app.model.Item;\npublic class Main {\n  public static void main(String[] a) { System.out.println(new Item("pkg").name()); }\n}\n' },
      { name: 'app/model/Item.java', content: 'package app.model;\npublic record Item(String name) {}\n' },
    ];
    expect(await execute({ language: 'java', files })).toMatchObject({ status: 'ok', stdout: 'pkg\n' });
  });

  test('java: an entry file with no main is a compile error before compiling', async () => {
    const r = await execute({ language: 'java', files: [{ name: 'Util.java', content: JAVA[0]!.content }, { name: 'App.java', content: JAVA[2]!.content }] });
    expect(r.status).toBe('compile_error');
    expect(r.compile).toMatchObject({ timeMs: 0 });
    expect(r.output).toMatch(/^Util\.java \(the entry file\): no class declares/);
  });

  test('a compile error in the second file names that file', async () => {
    const files = [CPP[0]!, CPP[1]!, { name: 'geometry.cpp', content: '#include "geometry.h"\nint area(int w, int h) { return w * ; }\n' }, CPP[3]!, CPP[4]!];
    const r = await execute({ language: 'cpp', files });
    expect(r.status).toBe('compile_error');
    expect(r.output).toMatch(/geometry\.cpp:2:\d+: error/);
  });

  test('a runtime error in an imported module', async () => {
    const r = await execute({ language: 'python', files: [{ name: 'main.py', content: 'import bad\n' }, { name: 'bad.py', content: 'raise ValueError("from bad")\n' }] });
    expect(r.status).toBe('runtime_error');
    expect(r.stderr).toMatch(/bad\.py", line 1[\s\S]*ValueError: from bad/);
  });

  test('one file given as files runs like code', async () => {
    const r = await execute({ language: 'python', files: [{ name: 'solution.py', content: 'print("one")' }] });
    expect(r).toMatchObject({ status: 'ok', stdout: 'one\n' });
  });
});

describe('the compile cache keys on every file', () => {
  test('the same files are built once; a changed header is built again', async () => {
    const files = CPP.map((f) => (f.name === 'main.cpp' ? { ...f, content: `${f.content}// ${Date.now()}\n` } : f));
    const first = await execute({ language: 'cpp', files });
    const second = await execute({ language: 'cpp', files });
    expect(first.compile).toMatchObject({ status: 'ok', cached: false });
    expect(second.compile).toMatchObject({ status: 'ok', cached: true });
    expect(second.stdout).toBe('42 hi!\n');
    const header = files.map((f) => (f.name === 'text/strings.h' ? { ...f, content: `${f.content}#define EXTRA 1\n` } : f));
    expect((await execute({ language: 'cpp', files: header })).compile).toMatchObject({ status: 'ok', cached: false });
    // an unchanged program restored from the cache still has its data files next to the build
    const withData = [...files, { name: 'notes.txt', content: 'x' }];
    await execute({ language: 'cpp', files: withData });
    expect((await execute({ language: 'cpp', files: withData })).compile).toMatchObject({ cached: true });
  });

  test('a file the compile overwrites (named like the binary) is the build, from the cache too', async () => {
    const files = [{ name: 'main.cpp', content: `#include <cstdio>\nint main() { puts("built ${Date.now()}"); }\n` }, { name: 'main', content: 'not a program' }];
    const first = await execute({ language: 'cpp', files });
    const second = await execute({ language: 'cpp', files });
    expect(first).toMatchObject({ status: 'ok', stdout: expect.stringMatching(/^built/), compile: { cached: false } });
    expect(second).toMatchObject({ status: 'ok', stdout: first.stdout, compile: { cached: true } });
  });
});

describe('bad file names and file lists: 400 naming the file', () => {
  const main = { name: 'main.py', content: 'print(1)' };
  const named = (name: unknown) => ({ language: 'python', files: [main, { name, content: '' }] });
  const cases: [string, Record<string, unknown>, string][] = [
    ['an empty name', named(''), 'files[1].name'],
    ['an absolute path', named('/etc/passwd'), 'files[1].name'],
    ['a parent folder', named('../escape.py'), 'files[1].name'],
    ['a parent folder inside', named('lib/../../escape.py'), 'files[1].name'],
    ['a . part', named('./lib.py'), 'files[1].name'],
    ['a . part inside', named('lib/./x.py'), 'files[1].name'],
    ['an empty part', named('lib//x.py'), 'files[1].name'],
    ['a trailing slash', named('lib/'), 'files[1].name'],
    ['a backslash', named('lib\\x.py'), 'files[1].name'],
    ['a NUL', named('x\u0000.py'), 'files[1].name'],
    ['a line break', named('x\n.py'), 'files[1].name'],
    ['an escape character', named('x\u001b[31m.py'), 'files[1].name'],
    ['DEL', named('x\u007f.py'), 'files[1].name'],
    ['a bidi override', named('x\u202eyp.py'), 'files[1].name'],
    ['a zero-width space', named('x\u200b.py'), 'files[1].name'],
    ['a lone surrogate', named('x\ud800.py'), 'files[1].name'],
    ['a line separator', named('x\u2028.py'), 'files[1].name'],
    ['an option-like name', named('-o'), 'files[1].name'],
    ['a javac @file', named('@opts'), 'files[1].name'],
    ['a leading space', named(' x.py'), 'files[1].name'],
    ['a trailing space in a folder', named('lib /x.py'), 'files[1].name'],
    ['a name too long', named('x'.repeat(MAX_NAME_BYTES + 1)), 'files[1].name'],
    ['a name too long in bytes', named('é'.repeat(MAX_NAME_BYTES / 2 + 1)), 'files[1].name'],
    ['folders too deep', named(`${'d/'.repeat(MAX_NAME_DEPTH)}x.py`), 'files[1].name'],
    ['a name that is not a string', named(7), 'files[1].name'],
    ['a name missing', { language: 'python', files: [main, { content: '' }] }, 'files[1].name'],
    ['content missing', { language: 'python', files: [main, { name: 'x.py' }] }, 'files[1].content'],
    ['content not a string', { language: 'python', files: [main, { name: 'x.py', content: 1 }] }, 'files[1].content'],
    ['an unknown key in a file', { language: 'python', files: [main, { name: 'x.py', content: '', mode: 755 }] }, 'files[1].mode'],
    ['main not a boolean', { language: 'python', files: [{ ...main, main: 'yes' }] }, 'files[0].main'],
    ['a file that is not an object', { language: 'python', files: [main, 'x.py'] }, 'files[1]'],
    ['a duplicate', { language: 'python', files: [main, { name: 'a.py', content: '' }, { name: 'a.py', content: '' }] }, 'files[2].name'],
    ['a duplicate but for case', { language: 'python', files: [main, { name: 'Main.PY', content: '' }] }, 'files[1].name'],
    ['a file inside a file', { language: 'python', files: [main, { name: 'lib', content: '' }, { name: 'lib/x.py', content: '' }] }, 'files[2].name'],
    ['a file where a folder is', { language: 'python', files: [main, { name: 'lib/x.py', content: '' }, { name: 'LIB', content: '' }] }, 'files[2].name'],
    ['two entries', { language: 'python', files: [{ ...main, main: true }, { name: 'b.py', content: '', main: true }] }, 'files[1].main'],
    ['no files', { language: 'python', files: [] }, 'files'],
    ['too many files', { language: 'python', files: Array.from({ length: MAX_FILES + 1 }, (_, i) => ({ name: `f${i}.py`, content: '' })) }, 'files'],
    ['files not an array', { language: 'python', files: { 'main.py': 'print(1)' } }, 'files'],
    ['both code and files', { language: 'python', code: 'print(1)', files: [main] }, 'files'],
    ['neither code nor files', { language: 'python' }, 'code'],
    ['an entry that is not a source of the language', { language: 'python', files: [{ name: 'data.txt', content: '' }, main] }, 'files[0].name'],
    ['a marked entry that is not a source', { language: 'java', files: [{ name: 'Main.java', content: 'class Main {}' }, { name: 'notes.md', content: '', main: true }] }, 'files[1].name'],
  ];
  test.each(cases)('%s', async (_name, body, field) => {
    const reply = await server().request('POST', '/api/execute', body);
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ error: 'Invalid request', field });
    expect(reply.json.message).toContain(field);
  });

  test('names at the caps are fine', async () => {
    const deep = `${'d/'.repeat(MAX_NAME_DEPTH - 1)}x.py`;
    const files = [main, { name: deep, content: '' }, { name: 'x'.repeat(MAX_NAME_BYTES - 3) + '.py', content: '' }, { name: 'ünï côdé/名前.py', content: '' }];
    files.push(...Array.from({ length: MAX_FILES - files.length }, (_, i) => ({ name: `more/f${i}.py`, content: '' })));
    expect(await execute({ language: 'python', files })).toMatchObject({ status: 'ok', stdout: '1\n' });
  });

  test('files over the code cap in total are 413 naming files', async () => {
    const half = 'x'.repeat((server().config.codeKb * 1024) / 2);
    const reply = await server().request('POST', '/api/execute', { language: 'python', files: [main, { name: 'a.txt', content: half }, { name: 'b.txt', content: half }] });
    expect(reply.status).toBe(413);
    expect(reply.json).toMatchObject({ field: 'files' });
  });

  test.each([
    ['/api/snippets', {}],
    ['/api/execute/stream', {}],
    ['/api/problems/multi-sum/submissions', {}],
  ])('%s checks names the same way', async (path) => {
    const reply = await server().request('POST', path, named('../x.py'));
    expect(reply.status).toBe(400);
    expect(reply.json.field).toBe('files[1].name');
  });

  test('a live run refuses a bad name with an error naming the file', async () => {
    const client = await LiveClient.start(server().url, { language: 'python', files: [main, { name: 'a/../../b.py', content: '' }] });
    const error = await client.waitFor((m) => m.type === 'error');
    expect(error.message).toMatchObject({ type: 'error', field: 'files[1].name' });
    expect((await client.closed).code).toBe(1008);
  });
});

describe('streamed and live runs', () => {
  test('/api/execute/stream runs files', async () => {
    const res = await fetch(`${server().url}/api/execute/stream`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ language: 'cpp', files: CPP }) });
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.at(-1)).toMatchObject({ type: 'exit', result: { status: 'ok', stdout: '42 hi!\n' } });
  });

  test('a live run of several files takes input while it runs', async () => {
    const files = [
      { name: 'main.py', content: 'from ask import ask\nprint("hello", ask("name? "))\n' },
      { name: 'ask.py', content: 'def ask(prompt):\n    return input(prompt).strip().title()\n' },
    ];
    const client = await LiveClient.start(server().url, { language: 'python', files });
    await client.waitForOutput('name? ');
    client.send({ type: 'stdin', data: 'ada lovelace\n' });
    const exit = await client.exit();
    expect(exit.result).toMatchObject({ status: 'ok', stdout: 'name? hello Ada Lovelace\n' });
  });
});

describe('snippets and history keep the files', () => {
  test('a snippet of several files reads back exactly; code is the entry file', async () => {
    const body = { language: 'java', files: JAVA, stdin: '', args: ['Ada'] };
    const created = await server().request('POST', '/api/snippets', body);
    expect(created.status).toBe(201);
    const loaded = await server().request('GET', `/api/snippets/${created.json.id}`);
    expect(loaded.json).toMatchObject({ language: 'java', files: JAVA, code: JAVA[2]!.content, args: ['Ada'] });
    // what a snippet holds runs as it is
    expect(await execute({ language: loaded.json.language, files: loaded.json.files, args: loaded.json.args })).toMatchObject({ status: 'ok', stdout: 'Hello, Ada 42\n' });
  });

  test('a snippet given as code has no files', async () => {
    const created = await server().request('POST', '/api/snippets', { language: 'python', code: 'print(2)' });
    const loaded = await server().request('GET', `/api/snippets/${created.json.id}`);
    expect(loaded.json.code).toBe('print(2)');
    expect(loaded.json).not.toHaveProperty('files');
  });

  test('runs kept in history keep their files: /api/execute, the stream and a live run', async () => {
    const run = await server().request('POST', '/api/execute', { language: 'python', files: PYTHON, stdin: 'x\n', args: ['2'] }, visitor);
    expect(run.json).toMatchObject({ status: 'ok', submissionId: expect.any(String) });
    const item = await server().request('GET', `/api/history/${run.json.submissionId}`, undefined, visitor);
    expect(item.json).toMatchObject({ kind: 'run', files: PYTHON, code: PYTHON[0]!.content, stdin: 'x\n', args: ['2'], result: { stdout: 'X! 4\n' } });

    const streamed = await fetch(`${server().url}/api/execute/stream`, { method: 'POST', headers: { 'content-type': 'application/json', ...visitor }, body: JSON.stringify({ language: 'javascript', files: JAVASCRIPT }) });
    const exit = JSON.parse((await streamed.text()).trim().split('\n').at(-1)!);
    const streamedItem = await server().request('GET', `/api/history/${exit.result.submissionId}`, undefined, visitor);
    expect(streamedItem.json).toMatchObject({ files: JAVASCRIPT, code: JAVASCRIPT[2]!.content });

    const client = await LiveClient.start(server().url, { language: 'cpp', files: CPP, visitor: visitor['x-runbox-visitor'] });
    const live = await client.exit();
    const liveItem = await server().request('GET', `/api/history/${live.result.submissionId}`, undefined, visitor);
    expect(liveItem.json).toMatchObject({ files: CPP, result: { stdout: '42 hi!\n' } });
  });
});

describe('the judge takes files', () => {
  const problem = {
    slug: 'multi-sum',
    title: 'Sum',
    statement: 'Print a + b.',
    timeLimitMs: 2000,
    memoryLimitMb: 256,
    tests: [
      { input: '1 2\n', expected: '3\n' },
      { input: '40 2\n', expected: '42\n', hidden: true },
    ],
  };

  test('submissions of several files are judged and kept with their files', async () => {
    const admin = { authorization: `Bearer ${ADMIN_KEY}` };
    expect((await server().request('PUT', '/api/problems/multi-sum', problem, admin)).status).toBeLessThan(300);
    const submissions: [string, ProgramFile[]][] = [
      ['python', [{ name: 'main.py', content: 'from calc import add\nprint(add(*map(int, input().split())))\n' }, { name: 'calc.py', content: 'def add(a, b):\n    return a + b\n' }]],
      [
        'java',
        [
          { name: 'calc/Calc.java', content: 'package calc;\npublic class Calc { public static long add(long a, long b) { return a + b; } }\n' },
          { name: 'Main.java', content: 'import java.util.Scanner;\nimport calc.Calc;\npublic class Main { public static void main(String[] x) { Scanner s = new Scanner(System.in); System.out.println(Calc.add(s.nextLong(), s.nextLong())); } }\n', main: true },
        ],
      ],
    ];
    for (const [language, files] of submissions) {
      const reply = await server().request('POST', '/api/problems/multi-sum/submissions', { language, files }, visitor);
      const verdict = reply.json as JudgeResponse;
      expect(verdict).toMatchObject({ status: 'accepted', passed: 2, total: 2 });
      const item = await server().request('GET', `/api/history/${verdict.submissionId}`, undefined, visitor);
      expect(item.json).toMatchObject({ kind: 'judge', problem: 'multi-sum', files });
    }
  });

  test('a compile error in one file of a submission is the verdict', async () => {
    const files = [CPP[0]!, CPP[1]!, { name: 'geometry.cpp', content: 'int area(int w, int h) { return w * }' }, CPP[3]!, CPP[4]!];
    const reply = await server().request('POST', '/api/problems/multi-sum/submissions', { language: 'cpp', files });
    expect(reply.json).toMatchObject({ status: 'compile_error', passed: 0 });
  });
});
