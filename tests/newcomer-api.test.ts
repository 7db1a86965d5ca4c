import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { HomeRelativeOutput, withoutHome, type OutputChunk } from '../backend/src/sandbox/output.js';
import type { ExecuteResponse } from '../backend/src/protocol.js';
import { diagnose } from '../frontend/lib/diagnostics.js';
import { LiveClient } from './helpers/live.js';
import { startTestRunbox, subInstance, useRunbox, type TestRunbox } from './helpers/runbox.js';

/**
 * What a newcomer meets first on the API server (runbox issue #22), through a real runbox:
 * its own address answers where everything is, the document says how many languages this
 * server offers (its examples are held to their schemas and run by tests/client.test.ts), a trace names the user's files
 * (main.py, not the run's home) with the editor's marker still on the right line in every
 * language, and a time-limit result says which limit it hit and how large it was.
 */

type Json = Record<string, any>;

// a tag of its own: the server with a playground address below runs beside it
const server = useRunbox({ RUNBOX_INSTANCE: subInstance(0), RUNBOX_USER_POOL: '2' });

const HOME_PATH = /\/home\/exec_/;

describe("the API server's own address", () => {
  test('GET / answers a JSON index (name, version, languages, links), not Express\'s "Cannot GET /"', async () => {
    const reply = await server().request('GET', '/');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    expect(reply.text).not.toMatch(/Cannot GET/);
    const doc = (await server().request('GET', '/api/openapi.json')).json as Json;
    expect(reply.json).toEqual({
      name: 'runbox API',
      version: doc.info.version,
      description: expect.stringContaining(`${server().languages.info.length} languages`),
      languages: server().languages.info.length,
      // no playground address configured: none is claimed
      links: { docs: '/api/docs', openapi: '/api/openapi.json', health: '/api/health', languages: '/api/languages' },
    });
    // every link leads somewhere real
    for (const href of Object.values(reply.json.links as Record<string, string>)) {
      expect({ href, status: (await server().request('GET', href)).status }).toEqual({ href, status: 200 });
    }
  });

  test('a browser (Accept: text/html) gets a page with the same links', async () => {
    const reply = await server().request('GET', '/', undefined, { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/^text\/html/);
    expect(reply.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    for (const href of ['/api/docs', '/api/openapi.json', '/api/health', '/api/languages']) expect(reply.text).toContain(`href="${href}"`);
    expect(reply.text).toContain(`${server().languages.info.length} languages`);
  });

  test('other unknown paths off /api are still a 404', async () => {
    expect((await server().request('GET', '/no-such-page')).status).toBe(404);
    expect((await server().request('GET', '/api/no-such-route')).status).toBe(404);
  });
});

describe('the API document', () => {
  let doc: Json;
  beforeAll(async () => {
    doc = (await server().request('GET', '/api/openapi.json')).json;
  });

  test("names this server's languages and their real number (not a fixed four)", () => {
    const names = server().languages.info.map((l) => l.name);
    expect(names.length).toBeGreaterThan(4);
    expect(doc.info.description).toContain(`in ${names.length} languages (`);
    for (const name of names) expect(doc.info.description).toContain(name);
    expect(doc.info.description).not.toMatch(/JavaScript, Python, C\+\+ and Java in/);
  });

  test("POST /api/execute's optional visitor key has no example: Try it out keeps runs in nobody's history (a history route's required key keeps its own)", () => {
    const param = (p: string, method: string) => (doc.paths[p][method].parameters as Json[]).find((x) => x.name === 'X-Runbox-Visitor')!;
    const optional = param('/api/execute', 'post');
    expect(optional.required ?? false).toBe(false);
    expect(optional.example ?? optional.schema.example).toBeUndefined();
    const history = param('/api/history', 'get');
    expect(history.required).toBe(true);
    expect(history.example ?? history.schema.example).toEqual(expect.any(String));
  });

  test('documents GET / as open to everyone, answering JSON or HTML', () => {
    const root = doc.paths['/']?.get;
    expect(root).toMatchObject({ operationId: 'getApiIndex', security: [] });
    expect(Object.keys(root.responses['200'].content).sort()).toEqual(['application/json', 'text/html']);
  });
});

describe('the docs page', () => {
  test('links back to the playground: / (the playground, where the docs are reached through it)', async () => {
    const page = await server().request('GET', '/api/docs');
    expect(page.text).toMatch(/<a href="\/" data-testid="playground-link">[^<]*Back to the playground<\/a>/);
  });

  describe('on a server that knows the playground\'s address (RUNBOX_PUBLIC_URL)', () => {
    let other: TestRunbox;
    beforeAll(async () => {
      other = await startTestRunbox({ RUNBOX_INSTANCE: subInstance(1), RUNBOX_USER_POOL: '0', RUNBOX_PUBLIC_URL: 'https://play.example.com' });
    });
    afterAll(async () => {
      await other?.shutdown();
    });

    test('the docs page and the index link to that address', async () => {
      expect((await other.request('GET', '/api/docs')).text).toContain('<a href="https://play.example.com/" data-testid="playground-link">');
      expect((await other.request('GET', '/')).json.links.playground).toBe('https://play.example.com/');
    });
  });
});

/** Every language's crash, the file the user wrote it in, and the line the editor should mark. */
const crashes: { language: string; files: { name: string; content: string }[]; file: string; line: number; names: RegExp }[] = [
  { language: 'python', files: [{ name: 'main.py', content: 'def f():\n    return 1 / 0\n\nf()\n' }], file: 'main.py', line: 2, names: /File "main\.py", line 2, in f/ },
  {
    language: 'python',
    files: [
      { name: 'main.py', content: 'from lib import helpers\nhelpers.go()\n' },
      { name: 'lib/helpers.py', content: 'def go():\n    raise ValueError("boom")\n' },
    ],
    file: 'lib/helpers.py',
    line: 2,
    names: /File "lib\/helpers\.py", line 2, in go/,
  },
  { language: 'javascript', files: [{ name: 'main.js', content: 'function f() {\n  throw new TypeError("boom");\n}\nf();\n' }], file: 'main.js', line: 2, names: /at f \(main\.js:2:9\)/ },
  {
    // an ES module's frames are file:// URLs: the home goes from those too
    language: 'javascript',
    files: [
      { name: 'main.js', content: "import('./lib.mjs');\n" },
      { name: 'lib.mjs', content: 'export const x = 1;\nthrow new Error("esm boom");\n' },
    ],
    file: 'lib.mjs',
    line: 2,
    names: /^lib\.mjs:2$/m,
  },
  { language: 'typescript', files: [{ name: 'main.ts', content: 'function f(n: number): never {\n  throw new RangeError("boom " + n);\n}\nf(1);\n' }], file: 'main.ts', line: 2, names: /at f \(main\.ts:2:9\)/ },
  { language: 'go', files: [{ name: 'main.go', content: 'package main\n\nimport "os"\n\nfunc at(a []int) int {\n\treturn a[len(os.Args)+2]\n}\n\nfunc main() {\n\tprintln(at([]int{1}))\n}\n' }], file: 'main.go', line: 6, names: /^\tmain\.go:6$/m },
  { language: 'rust', files: [{ name: 'main.rs', content: 'fn at(v: &[i32], i: usize) -> i32 {\n    v[i]\n}\n\nfn main() {\n    let n = std::env::args().count() + 2;\n    println!("{}", at(&[1], n));\n}\n' }], file: 'main.rs', line: 2, names: /main\.rs:2:5/ },
  { language: 'ruby', files: [{ name: 'main.rb', content: 'def f\n  raise ArgumentError, "boom"\nend\n\nf\n' }], file: 'main.rb', line: 2, names: /^main\.rb:2:in/m },
  { language: 'bash', files: [{ name: 'main.sh', content: 'set -e\nf() {\n  nosuchcommand_runbox\n}\nf\n' }], file: 'main.sh', line: 3, names: /^main\.sh: line 3:/m },
  { language: 'php', files: [{ name: 'main.php', content: '<?php\nfunction f() {\n    throw new RuntimeException("boom");\n}\nf();\n' }], file: 'main.php', line: 3, names: /boom in main\.php:3/ },
  { language: 'java', files: [{ name: 'Main.java', content: 'public class Main {\n  static void f() { throw new IllegalStateException("boom"); }\n  public static void main(String[] a) { f(); }\n}\n' }], file: 'Main.java', line: 2, names: /at Main\.f\(Main\.java:2\)/ },
  { language: 'c', files: [{ name: 'main.c', content: '#include <stdio.h>\nint main(void) {\n  int x = ;\n  return 0;\n}\n' }], file: 'main.c', line: 3, names: /^main\.c:3:11: error/m },
  { language: 'cpp', files: [{ name: 'main.cpp', content: '#include <cstdio>\nint main() {\n  int x = ;\n  return 0;\n}\n' }], file: 'main.cpp', line: 3, names: /^main\.cpp:3:\d+: error/m },
];

describe("a run's messages name the user's files, not the run's home", () => {
  test.each(crashes.map((c) => [`${c.language} ${c.file}`, c] as const))('%s: the trace says the file as the user named it; the marker is on its line', async (_name, c) => {
    const reply = await server().request('POST', '/api/execute', { language: c.language, files: c.files, args: ['x'] });
    expect(reply.status).toBe(200);
    const r = reply.json as ExecuteResponse;
    expect(r.status).not.toBe('ok');
    const text = r.status === 'compile_error' ? r.compile!.output : r.stderr;
    expect(text).toMatch(c.names);
    for (const field of [r.stderr, r.output, r.compile?.output ?? '']) expect(field).not.toMatch(HOME_PATH);
    expect(diagnose(c.language, r, c.files.map((f) => f.name))[0]).toMatchObject({ file: c.file, line: c.line });
  });

  test("a compiler's message from the compile cache names the file as the user did, though another run's home compiled it", async () => {
    // a warning gcc gives whatever its flags: the build succeeds and its messages are cached with it
    const code = `#warning "look here"\nint main(void) { return 0; } /* ${Math.random()} */\n`;
    const first = (await server().request('POST', '/api/execute', { language: 'c', code })).json as ExecuteResponse;
    const second = (await server().request('POST', '/api/execute', { language: 'c', code })).json as ExecuteResponse;
    expect([first.compile?.cached, second.compile?.cached]).toEqual([false, true]);
    expect(first.compile!.output).toMatch(/^main\.c:1:2: warning: #warning "look here"/m);
    expect(second.compile!.output).toBe(first.compile!.output);
  });

  test("a program's own stdout through a pipe is its data: a path it prints is left as it printed it", async () => {
    const r = await server().execute({ language: 'python', code: 'import os, sys\nprint(os.path.abspath("data.txt"))\nprint(os.path.abspath("data.txt"), file=sys.stderr)\n' });
    expect(r.stdout).toMatch(/^\/home\/exec_\w+\/data\.txt\n$/);
    expect(r.stderr).toBe('data.txt\n');
  });

  test('streamed (NDJSON) messages name the file as the result does', async () => {
    const reply = await server().request('POST', '/api/execute/stream', { language: 'python', code: 'import sys\nsys.stderr.write("about to fail\\n")\nsys.stderr.flush()\n1 / 0\n' });
    const lines = reply.text.trim().split('\n').map((l) => JSON.parse(l) as Json);
    const streamed = lines.filter((l) => l.type === 'stderr').map((l) => l.data).join('');
    const exit = lines.find((l) => l.type === 'exit')!;
    expect(streamed).toMatch(/File "main\.py", line 4/);
    expect(streamed).not.toMatch(HOME_PATH);
    expect(exit.result.stderr).toBe(streamed);
  });

  test("a live run on a terminal: the one stream's trace names main.py, as it comes and in the result", async () => {
    const live = await LiveClient.start(server().url, { language: 'python', code: 'print("hi", flush=True)\ndef f():\n    return 1 / 0\nf()\n', terminal: { cols: 80, rows: 24 } } as Parameters<typeof LiveClient.start>[1]);
    const exit = await live.exit();
    live.close();
    const shown = live.text('stdout');
    expect(shown).toMatch(/File "main\.py", line 3, in f/);
    expect(shown).not.toMatch(HOME_PATH);
    expect(exit.result.stdout).toBe(shown);
    expect(diagnose('python', exit.result, ['main.py'])[0]).toMatchObject({ file: 'main.py', line: 3 });
  });
});

describe('output as it comes: a path in the home split between two reads', () => {
  const home = '/home/exec_0123456789abcdef01234567';
  const text = `Traceback:\n  File "${home}/main.py", line 2\n  at f (file://${home}/lib.mjs:3:1)\nprompt /`;

  test('with nobody watching, every split gives exactly what the whole text gives', () => {
    const whole = withoutHome(text, home);
    expect(whole).toBe('Traceback:\n  File "main.py", line 2\n  at f (lib.mjs:3:1)\nprompt /');
    for (let a = 0; a <= text.length; a += 3) {
      for (let b = a; b <= text.length; b += 7) {
        const out = new HomeRelativeOutput(home, new Set(['stderr']));
        for (const piece of [text.slice(0, a), text.slice(a, b), text.slice(b)]) out.push({ stream: 'stderr', text: piece });
        out.release();
        expect({ a, b, stderr: out.stderr }).toEqual({ a, b, stderr: whole });
      }
    }
  });

  test("another run's home is a run home too (a cached Go binary keeps the path it was built in), also split between reads", () => {
    const other = '/home/exec_fedcba9876543210fedcba98';
    const trace = `main.at(...)\n\t${other}/main.go:6\n`;
    expect(withoutHome(trace, home)).toBe('main.at(...)\n\tmain.go:6\n');
    for (let cut = 0; cut <= trace.length; cut++) {
      const out = new HomeRelativeOutput(home, new Set(['stderr']));
      out.push({ stream: 'stderr', text: trace.slice(0, cut) });
      out.push({ stream: 'stderr', text: trace.slice(cut) });
      out.release();
      expect({ cut, stderr: out.stderr }).toEqual({ cut, stderr: 'main.at(...)\n\tmain.go:6\n' });
    }
    // a directory beside the homes that is not a run's is left alone
    expect(withoutHome('/home/exec_notahome/x', home)).toBe('/home/exec_notahome/x');
  });

  test('only the streams given are rewritten; their interleaving is kept', () => {
    const out = new HomeRelativeOutput(home, new Set(['stderr']));
    out.push({ stream: 'stdout', text: `${home}/out.txt\n` });
    out.push({ stream: 'stderr', text: `${home}/err.txt\n` });
    out.release();
    expect([out.stdout, out.stderr, out.output]).toEqual([`${home}/out.txt\n`, 'err.txt\n', `${home}/out.txt\nerr.txt\n`]);
  });

  test('with someone watching, a chunk ending like the start of a path (a prompt ending in "/") is passed on within moments', async () => {
    const seen: OutputChunk[] = [];
    const out = new HomeRelativeOutput(home, new Set(['stdout', 'stderr']), (c) => seen.push(c));
    out.push({ stream: 'stdout', text: 'Save to /' });
    expect(seen).toEqual([{ stream: 'stdout', text: 'Save to ' }]);
    await new Promise((r) => setTimeout(r, 100));
    expect(seen.map((c) => c.text).join('')).toBe('Save to /');
    // and a path split between two chunks in quick succession is still found
    out.push({ stream: 'stderr', text: `File "${home.slice(0, 9)}` });
    out.push({ stream: 'stderr', text: `${home.slice(9)}/main.py"\n` });
    out.release();
    expect(out.stderr).toBe('File "main.py"\n');
  });
});

describe('a time limit says which one it was, and its size', () => {
  test('a CPU-bound program: timeLimit cpu, timeLimitMs the CPU limit asked for', async () => {
    const r = await server().execute({ language: 'python', code: 'while True:\n    pass\n', limits: { cpuTimeMs: 700, timeMs: 4000 } });
    expect(r).toMatchObject({ status: 'timeout', timeLimit: 'cpu', timeLimitMs: 700 });
  });

  test('a sleeping program: timeLimit wall, timeLimitMs the wall-clock limit asked for', async () => {
    const r = await server().execute({ language: 'python', code: 'import time\ntime.sleep(30)\n', limits: { timeMs: 800 } });
    expect(r).toMatchObject({ status: 'timeout', timeLimit: 'wall', timeLimitMs: 800 });
  });

  test('a run that ended otherwise carries neither', async () => {
    const r = await server().execute({ language: 'python', code: 'print(1)' });
    expect(r.status).toBe('ok');
    expect(r).not.toHaveProperty('timeLimit');
    expect(r).not.toHaveProperty('timeLimitMs');
  });
});
