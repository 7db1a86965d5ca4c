import { describe, expect, test } from '@jest/globals';
import piston from 'piston-client';
import { WebSocket } from 'ws';
import type { LanguageInfo } from '../backend/src/protocol.js';
import { useRunbox } from './helpers/runbox.js';

/**
 * The Piston v2 API (/api/v2/runtimes, /api/v2/execute, the /api/v2/connect WebSocket)
 * against a real runbox server: Piston's own client library with nothing changed but the
 * server's address, raw JSON as a bot in any language sends it, and the WebSocket protocol
 * end to end. Every answer is checked in Piston's shape.
 */

// a wall clock far above the CPU limits tested: on a loaded machine CPU time comes slowly
const server = useRunbox({ RUNBOX_LIVE_IDLE_MS: '20000', RUNBOX_RUN_TIME_MS: '20000' });
const client = () => piston({ server: server().url });

interface Stage {
  stdout: string;
  stderr: string;
  output: string;
  code: number | null;
  signal: string | null;
  message: string | null;
  status: string | null;
  memory: number | null;
  cpu_time: number | null;
  wall_time: number | null;
}

/** POST /api/v2/execute with a raw JSON body, as a Python bot's requests.post(json=...) does. */
async function execute(body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  // bytes, not a string: fetch would label a string text/plain itself
  const res = await fetch(`${server().url}/api/v2/execute`, { method: 'POST', headers, body: new TextEncoder().encode(text) });
  return { status: res.status, json: (await res.json()) as any };
}

const HELLO: Record<string, string> = {
  javascript: 'console.log("hello from " + process.argv.slice(2).join(","))',
  python: 'import sys\nprint("hello from " + ",".join(sys.argv[1:]))',
  'c++': '#include <iostream>\nint main(int argc, char** argv) { std::cout << "hello from " << argv[1] << "," << argv[2] << "," << argv[3] << std::endl; }',
  java: 'public class Hello { public static void main(String[] a) { System.out.println("hello from " + String.join(",", a)); } }',
};

/** Touches `argv[1]` MiB: a memory limit below that ends it, one above lets it print. */
const MEMORY_HOG = '#include <cstdio>\n#include <cstdlib>\n#include <vector>\nint main(int argc, char** argv) { std::vector<char> v(size_t(atoi(argv[1])) << 20, 1); std::printf("%zu\\n", v.size() >> 20); }';

describe('piston-client (Piston\'s own client library), only the server address changed', () => {
  test('runtimes: Piston\'s language names and aliases, versions of the real toolchains', async () => {
    const runtimes = await client().runtimes();
    const languages = (await server().request('GET', '/api/languages')).json as LanguageInfo[];
    const byLanguage = new Map(runtimes.map((r: any) => [r.language, r]));
    expect(byLanguage.get('javascript')).toMatchObject({ runtime: 'node', aliases: expect.arrayContaining(['node-javascript', 'node-js', 'js']) });
    expect(byLanguage.get('python')).toMatchObject({ aliases: expect.arrayContaining(['py', 'py3', 'python3']) });
    expect(byLanguage.get('c++')).toMatchObject({ runtime: 'gcc', aliases: expect.arrayContaining(['cpp', 'g++']) });
    expect(byLanguage.get('java')).toMatchObject({ aliases: expect.any(Array) });
    // each is a language of the registry, with the version /api/languages reports
    const runboxId: Record<string, string> = { javascript: 'javascript', python: 'python', 'c++': 'cpp', java: 'java' };
    for (const [name, id] of Object.entries(runboxId)) {
      const version = languages.find((l) => l.id === id)!.version!;
      expect((byLanguage.get(name) as any).version).toBe(version);
      expect(Object.keys(byLanguage.get(name) as object).sort()).toEqual(expect.arrayContaining(['aliases', 'language', 'version']));
    }
    expect(runtimes).toHaveLength(languages.filter((l) => l.version !== null).length);
  });

  test("Piston's aliases, the ones naming a version made from the toolchain's (python3.11, ts5); TypeScript's version is TypeScript's, not Node's", async () => {
    const runtimes = await client().runtimes();
    const byLanguage = new Map<string, { version: string; aliases: string[] }>(runtimes.map((r: any) => [r.language, r]));
    const major = (language: string) => byLanguage.get(language)!.version.split('.')[0];
    const python = byLanguage.get('python')!;
    const pythonMinor = python.version.split('.').slice(0, 2).join('.');
    expect(python.aliases).toEqual(expect.arrayContaining(['py', 'py3', 'python3', `python${pythonMinor}`]));
    // the aliases of Piston's package files (packages/*/*/metadata.json) for the languages this server has
    const piston: Record<string, () => string[]> = {
      javascript: () => ['node-javascript', 'node-js', 'javascript', 'js'],
      typescript: () => ['ts', 'node-ts', 'tsc', `typescript${major('typescript')}`, `ts${major('typescript')}`],
      c: () => ['gcc'],
      'c++': () => ['cpp', 'g++'],
      go: () => ['go', 'golang'],
      rust: () => ['rs'],
      ruby: () => [`ruby${major('ruby')}`, 'rb'],
      bash: () => ['sh'],
      php: () => [`php${major('php')}`],
    };
    for (const [language, aliases] of Object.entries(piston)) {
      if (byLanguage.has(language)) expect({ language, aliases: byLanguage.get(language)!.aliases }).toEqual({ language, aliases: expect.arrayContaining(aliases()) });
    }
    // Node runs TypeScript with its own type transform: the version is the TypeScript it implements (5.x), not Node's
    const typescript = byLanguage.get('typescript')!;
    expect(typescript.version).not.toBe(byLanguage.get('javascript')!.version);
    expect(typescript.version).toMatch(/^5\.\d+\.\d+$/);
    // a versioned alias picks its runtime, as on Piston
    const py = await client().execute(`python${pythonMinor}`, 'import sys\nprint(sys.version_info[:2])', { version: '*', args: [] });
    expect(py).toMatchObject({ language: 'python', run: { stdout: `(${pythonMinor.replace('.', ', ')})\n`, code: 0 } });
    const ts = await client().execute('ts5', 'const n: number = 6 * 7;\nconsole.log(n);', { version: '5', args: [] });
    expect(ts).toMatchObject({ language: 'typescript', version: typescript.version, run: { stdout: '42\n', code: 0 } });
  });

  test.each(Object.keys(HELLO))('%s runs, with the client\'s default arguments; compile only for compiled languages', async (language) => {
    const result = await client().execute(language, HELLO[language]!);
    expect(result).toMatchObject({ language, version: expect.any(String) });
    // the client sends args ["1", "2", "3"] unless told otherwise
    expect(result.run).toEqual({ stdout: 'hello from 1,2,3\n', stderr: '', output: 'hello from 1,2,3\n', code: 0, signal: null, message: null, status: null, memory: expect.any(Number), cpu_time: expect.any(Number), wall_time: expect.any(Number) });
    const compiled = language === 'c++' || language === 'java';
    expect('compile' in result).toBe(compiled);
    if (compiled) expect(result.compile).toMatchObject({ code: 0, signal: null, status: null, stdout: '', stderr: '' });
  });

  test('stdin and args reach the program; stdin gets a final newline as in Piston', async () => {
    const result = await client().execute('python', 'import sys\nprint(repr(sys.stdin.read()), sys.argv[1:])', { stdin: 'two\nlines', args: ['a b', '--flag'] });
    expect(result.run).toMatchObject({ stdout: "'two\\nlines\\n' ['a b', '--flag']\n", code: 0 });
    const empty = await client().execute('python', 'print(repr(input()))', { args: [] });
    expect(empty.run).toMatchObject({ stdout: "''\n", code: 0 });
  });

  test('a run over runTimeout is killed: TO, SIGKILL, no exit code', async () => {
    const result = await client().execute('javascript', 'while (true) {}', { runTimeout: 1000 });
    expect(result.run).toMatchObject({ code: null, signal: 'SIGKILL', status: 'TO', message: expect.stringMatching(/time limit/i) });
    expect(result.run.wall_time).toBeGreaterThanOrEqual(900);
    // its own 1 s, not the server's 20 s (generously: the machine may be loaded)
    expect(result.run.wall_time).toBeLessThan(10000);
  });

  test('runMemoryLimit -1 is the server\'s maximum, not unlimited; a lower limit in bytes holds', async () => {
    const maxMb = server().config.runMemoryMb;
    const fits = await client().execute('c++', MEMORY_HOG, { args: [String(Math.floor(maxMb / 3))], runMemoryLimit: -1 });
    expect(fits.run).toMatchObject({ stdout: `${Math.floor(maxMb / 3)}\n`, code: 0 });
    const overMax = await client().execute('c++', MEMORY_HOG, { args: [String(maxMb * 2)], runMemoryLimit: -1 });
    expect(overMax.run).toMatchObject({ message: 'Memory limit exceeded', stdout: '' });
    expect(overMax.run.code).not.toBe(0);
    // the same program that fits under the maximum is stopped by a limit of its own
    const lowered = await client().execute('c++', MEMORY_HOG, { args: [String(Math.floor(maxMb / 3))], runMemoryLimit: 48 * 1024 * 1024 });
    expect(lowered.run).toMatchObject({ message: 'Memory limit exceeded', stdout: '' });
  });

  test('a compile error: compile and run both carry the compiler\'s message and its exit code', async () => {
    const result = await client().execute('c++', 'int main() { return undefined_name; }');
    expect(result.compile).toMatchObject({ code: 1, signal: null, status: 'RE', stdout: '' });
    expect(result.compile.stderr).toMatch(/undefined_name/);
    expect(result.compile.output).toBe(result.compile.stderr);
    expect(result.run).toEqual(result.compile);
  });

  test('runtime errors: an exit code (RE) and a signal (SG, no exit code)', async () => {
    const thrown = await client().execute('python', 'raise ValueError("boom")');
    expect(thrown.run).toMatchObject({ code: 1, signal: null, status: 'RE', message: 'Exited with error status 1' });
    expect(thrown.run.stderr).toMatch(/ValueError: boom/);
    const segv = await client().execute('c++', '#include <csignal>\nint main() { std::raise(SIGSEGV); }');
    expect(segv.run).toMatchObject({ code: null, signal: 'SIGSEGV', status: 'SG', message: 'Caught fatal signal 11' });
  });

  test('an unknown language or version is answered as Piston answers it', async () => {
    expect(await client().execute('cobol', 'x', { version: '*' })).toEqual({ message: 'cobol-* runtime is unknown' });
    expect(await client().execute('python', 'x', { version: '2.7' })).toEqual({ message: 'python-2.7 runtime is unknown' });
    // the client picks the version only for a runtime's own name; an alias alone has none, as on Piston
    expect(await client().execute('py', 'print(1)')).toEqual({ message: 'version is required as a string' });
    expect((await client().execute('py', 'print(1)', { version: '3' })).run).toMatchObject({ stdout: '1\n' });
  });

  test('limits over the server\'s maxima are refused, naming the limit', async () => {
    const { runTimeMs, compileTimeMs } = server().config;
    expect(await client().execute('python', 'x', { runTimeout: runTimeMs + 1 })).toEqual({ message: `run_timeout cannot exceed the configured limit of ${runTimeMs}` });
    expect(await client().execute('python', 'x', { compileTimeout: compileTimeMs * 2 })).toEqual({ message: `compile_timeout cannot exceed the configured limit of ${compileTimeMs}` });
    const bytes = server().config.runMemoryMb * 1024 * 1024;
    expect(await client().execute('python', 'x', { runMemoryLimit: bytes + 1 })).toEqual({ message: `run_memory_limit cannot exceed the configured limit of ${bytes}` });
  });
});

describe('raw Piston JSON, as bots in other languages send it', () => {
  test('every field of a v2 request is honoured; fields Piston does not know are ignored', async () => {
    const { status, json } = await execute({
      language: 'py',
      version: '>=3 <4',
      files: [{ name: 'bot.py', content: 'import sys\nprint(input()[::-1], *sys.argv[1:])', encoding: 'utf8' }],
      stdin: 'piston\n',
      args: ['x', 'y'],
      compile_timeout: 10000,
      run_timeout: 3000,
      compile_cpu_time: 10000,
      run_cpu_time: 3000,
      compile_memory_limit: -1,
      run_memory_limit: 128 * 1024 * 1024,
      client_extra: 'ignored',
    });
    expect(status).toBe(200);
    expect(json).toEqual({
      language: 'python',
      version: expect.stringMatching(/^3\.\d+\.\d+$/),
      run: { stdout: 'notsip x y\n', stderr: '', output: 'notsip x y\n', code: 0, signal: null, message: null, status: null, memory: expect.any(Number), cpu_time: expect.any(Number), wall_time: expect.any(Number) },
    });
  });

  test('version ranges: "*", "x", an exact listed version, a range that matches none', async () => {
    const runtimes = (await (await fetch(`${server().url}/api/v2/runtimes`)).json()) as { language: string; version: string }[];
    const cpp = runtimes.find((r) => r.language === 'c++')!;
    const major = cpp.version.split('.')[0];
    for (const version of ['*', `${major}.x`, cpp.version, `^${cpp.version}`]) {
      const { status, json } = await execute({ language: 'g++', version, files: [{ content: 'int main() { return 0; }' }] });
      expect({ version, status }).toEqual({ version, status: 200 });
      expect(json).toMatchObject({ language: 'c++', version: cpp.version, run: { code: 0 }, compile: { code: 0 } });
    }
    expect(await execute({ language: 'cpp', version: `>${cpp.version}`, files: [{ content: 'int main() {}' }] })).toEqual({ status: 400, json: { message: `cpp->${cpp.version} runtime is unknown` } });
    expect(await execute({ language: 'cpp', version: 'not a version', files: [{ content: 'int main() {}' }] })).toEqual({ status: 400, json: { message: 'cpp-not a version runtime is unknown' } });
  });

  test('run_cpu_time stops a busy program at its CPU time; compile_timeout stops a compiler', async () => {
    const busy = await execute({ language: 'python', version: '*', files: [{ content: 'while True: pass' }], run_cpu_time: 800, run_timeout: 20000 });
    expect(busy.json.run).toMatchObject({ code: null, signal: 'SIGKILL', status: 'TO' });
    // the CPU limit ended it, not the wall clock
    expect(busy.json.run.cpu_time).toBeGreaterThanOrEqual(700);
    expect(busy.json.run.wall_time).toBeLessThan(19000);
    // fresh code (no cached build): g++ takes far longer than 50 ms to compile and link anything
    const fresh = `#include <iostream>\nint main() { std::cout << ${Date.now()} << std::endl; }`;
    const slow = await execute({ language: 'c++', version: '*', files: [{ content: fresh }], compile_timeout: 50 });
    expect(slow.json.compile).toMatchObject({ code: null, signal: 'SIGKILL', status: 'TO' });
    expect(slow.json.run).toEqual(slow.json.compile);
    // g++ cannot work in 4 MiB; the same code compiles under compile_memory_limit -1 (the maximum)
    const starved = await execute({ language: 'c++', version: '*', files: [{ content: fresh }], compile_memory_limit: 4 * 1024 * 1024 });
    expect(starved.json.compile.status).not.toBeNull();
    expect(starved.json.compile.code).not.toBe(0);
    const fed = await execute({ language: 'c++', version: '*', files: [{ content: fresh }], compile_memory_limit: -1 });
    expect(fed.json.compile).toMatchObject({ code: 0, status: null });
    expect(fed.json.run.stdout).toMatch(/^\d+\n$/);
  });

  test('output past the cap: OL for stdout, EL for stderr, SIGKILL', async () => {
    const { json } = await execute({ language: 'python', version: '*', files: [{ content: 'while True: print("x" * 1000)' }] });
    expect(json.run).toMatchObject({ code: null, signal: 'SIGKILL', status: 'OL', message: 'stdout length exceeded' });
    const errors = await execute({ language: 'python', version: '*', files: [{ content: 'import sys\nprint("some")\nwhile True: print("e" * 1000, file=sys.stderr)' }] });
    expect(errors.json.run).toMatchObject({ code: null, signal: 'SIGKILL', status: 'EL', message: 'stderr length exceeded', stdout: 'some\n' });
  });

  test('files: the first utf8 one is the entry, the others are written beside it; bad names are refused; base64 alone is no program', async () => {
    const two = await execute({ language: 'python', version: '*', files: [{ name: 'main.py', content: 'import util\nprint(util.x)' }, { name: 'util.py', content: 'x = 41 + 1' }] });
    expect(two.status).toBe(200);
    expect(two.json.run).toMatchObject({ stdout: '42\n', code: 0 });
    const unnamedEntry = await execute({ language: 'c++', version: '*', files: [{ content: '#include "add.h"\n#include <cstdio>\nint main() { std::printf("%d\\n", add(2, 3)); }' }, { name: 'add.h', content: 'inline int add(int a, int b) { return a + b; }' }] });
    expect(unnamedEntry.json.run).toMatchObject({ stdout: '5\n', code: 0 });
    const escaping = await execute({ language: 'python', version: '*', files: [{ name: 'main.py', content: 'print(1)' }, { name: '../x.py', content: 'x = 1' }] });
    expect(escaping.status).toBe(400);
    expect(escaping.json.message).toMatch(/^files\[1\]\.name /);
    const binaryOnly = await execute({ language: 'python', version: '*', files: [{ content: Buffer.from('print(1)').toString('base64'), encoding: 'base64' }] });
    expect(binaryOnly).toEqual({ status: 400, json: { message: 'files must include at least one utf8 encoded file' } });
    expect(await execute({ language: 'python', version: '*', files: [] })).toEqual({ status: 400, json: { message: 'files must include at least one utf8 encoded file' } });
  });

  test('unnamed files among several (name "" or none, aiopyston\'s default) are file0.code, file1.code... as Piston names them; the entry gets the language\'s name', async () => {
    const readsOthers = 'import os, sys\nprint(sorted(f for f in os.listdir(".") if not f.startswith(".")), os.path.basename(sys.argv[0]), open("file1.code").read(), open("file2.code").read())';
    const unnamed = await execute({ language: 'python', version: '*', files: [{ name: '', content: readsOthers }, { name: '', content: 'one' }, { content: 'two' }] });
    expect(unnamed).toMatchObject({ status: 200, json: { run: { stdout: "['file1.code', 'file2.code', 'main.py'] main.py one two\n", stderr: '', code: 0 } } });
    // a compiled language: the entry is compiled under its language's name, the other unnamed files are beside it
    const cpp = await execute({ language: 'c++', version: '*', files: [{ name: '', content: '#include <fstream>\n#include <iostream>\nint main() { std::ifstream f("file1.code"); std::string s; f >> s; std::cout << s << std::endl; }' }, { name: '', content: 'beside' }] });
    expect(cpp).toMatchObject({ status: 200, json: { compile: { code: 0 }, run: { stdout: 'beside\n', code: 0 } } });
    // a named file may not take the name an unnamed one gets
    const clash = await execute({ language: 'python', version: '*', files: [{ name: 'main.py', content: 'print(1)' }, { name: '', content: 'x' }, { name: 'file1.code', content: 'y' }] });
    expect(clash).toEqual({ status: 400, json: { message: 'files[2].name repeats files[1].name' } });
  });

  test('encoding base64 and hex: the file holds the decoded bytes; the entry is the first utf8 file, as on Piston; bad encodings and contents are refused naming the field', async () => {
    const bytes = Buffer.from([0, 1, 0x7f, 0x80, 0xfe, 0xff]); // not UTF-8: only an encoding carries these
    const printBytes = 'print(list(open("a.bin", "rb").read()), list(open("b.bin", "rb").read()))';
    const files = [
      { name: 'a.bin', content: bytes.toString('base64'), encoding: 'base64' },
      { name: 'main.py', content: printBytes, encoding: 'utf8' },
      { name: 'b.bin', content: bytes.toString('hex').toUpperCase(), encoding: 'hex' },
    ];
    const decoded = await execute({ language: 'python', version: '*', files });
    expect(decoded).toMatchObject({ status: 200, json: { run: { stdout: `${JSON.stringify([...bytes]).replace(/,/g, ', ')} ${JSON.stringify([...bytes]).replace(/,/g, ', ')}\n`, code: 0 } } });
    // unnamed: a data file is file<i>.code like any other, the first utf8 file the entry
    const unnamed = await execute({ language: 'python', version: '*', files: [{ content: Buffer.from('data').toString('base64'), encoding: 'base64' }, { content: 'print(open("file0.code").read())', encoding: null }] });
    expect(unnamed).toMatchObject({ status: 200, json: { run: { stdout: 'data\n', code: 0 } } });
    // URL-safe base64 without padding, as some encoders write it, is base64 too
    const urlSafe = await execute({ language: 'python', version: '*', files: [{ content: 'print(list(open("d", "rb").read()))' }, { name: 'd', content: Buffer.from([0xfb, 0xff]).toString('base64url'), encoding: 'base64' }] });
    expect(urlSafe.json.run).toMatchObject({ stdout: '[251, 255]\n', code: 0 });
    const code = { name: 'main.py', content: 'print(1)' };
    const refused: [unknown, string][] = [
      [{ name: 'd', content: 'AAEC', encoding: 'base32' }, 'files[1].encoding must be utf8, base64 or hex'],
      [{ name: 'd', content: 'AAEC', encoding: 7 }, 'files[1].encoding must be utf8, base64 or hex'],
      [{ name: 'd', content: 'not base64!', encoding: 'base64' }, 'files[1].content is not valid base64'],
      [{ name: 'd', content: 'AAECA', encoding: 'base64' }, 'files[1].content is not valid base64'],
      [{ name: 'd', content: 'AA=A', encoding: 'base64' }, 'files[1].content is not valid base64'],
      [{ name: 'd', content: 'abc', encoding: 'hex' }, 'files[1].content is not valid hex (two digits a byte)'],
      [{ name: 'd', content: '0g', encoding: 'hex' }, 'files[1].content is not valid hex (two digits a byte)'],
    ];
    for (const [file, message] of refused) expect(await execute({ language: 'python', version: '*', files: [code, file] })).toEqual({ status: 400, json: { message } });
    // the decoded bytes count against the code cap
    const cap = server().config.codeKb * 1024;
    const big = await execute({ language: 'python', version: '*', files: [code, { name: 'd', content: Buffer.alloc(cap).toString('base64'), encoding: 'base64' }] });
    expect(big).toEqual({ status: 413, json: { message: `files must total at most ${server().config.codeKb} KiB` } });
  });

  test('malformed requests get Piston\'s 400 { message }, naming the field', async () => {
    const base = { language: 'python', version: '*', files: [{ content: 'print(1)' }] };
    const cases: [unknown, string][] = [
      [{ ...base, language: undefined }, 'language is required as a string'],
      [{ ...base, language: 3 }, 'language is required as a string'],
      [{ ...base, version: undefined }, 'version is required as a string'],
      [{ ...base, files: 'print(1)' }, 'files is required as an array'],
      [{ ...base, files: [{ content: 'ok' }, { content: 5 }] }, 'files[1].content is required as a string'],
      [{ ...base, run_timeout: '1000' }, 'If specified, run_timeout must be a number'],
      [{ ...base, compile_cpu_time: -5 }, 'compile_cpu_time must be non-negative'],
      [{ ...base, run_memory_limit: -2 }, "run_memory_limit must be -1 (the server's maximum) or a number of bytes"],
      [{ ...base, args: [1, 2] }, 'args[0] must be a string'],
      [{ ...base, stdin: 42 }, 'stdin must be a string'],
      [[base], 'the body must be a JSON object'],
    ];
    for (const [body, message] of cases) expect(await execute(body)).toEqual({ status: 400, json: { message } });
    expect(await execute('{"language": "python",')).toEqual({ status: 400, json: { message: 'the body is not valid JSON' } });
    const huge = await execute({ ...base, files: [{ content: 'x'.repeat(server().config.codeKb * 1024 + 1) }] });
    expect(huge).toEqual({ status: 413, json: { message: `files must total at most ${server().config.codeKb} KiB` } });
  });

  test('content types: JSON, or text/plain and none from non-browsers (piston-client posts text/plain); never a form', async () => {
    const body = { language: 'js', version: '*', files: [{ content: 'console.log(6 * 7)' }] };
    expect((await execute(body, { 'content-type': 'text/plain;charset=UTF-8' })).json.run.stdout).toBe('42\n');
    expect((await execute(body, {})).json.run.stdout).toBe('42\n');
    expect(await execute(body, { 'content-type': 'application/x-www-form-urlencoded' })).toEqual({ status: 415, json: { message: 'requests must be of type application/json' } });
    // a page of another site may post text/plain without a CORS preflight: it may not run code that way
    expect(await execute(body, { 'content-type': 'text/plain', origin: 'https://evil.example.net' })).toEqual({ status: 415, json: { message: 'requests must be of type application/json' } });
  });

  test('other paths under /api/v2 answer Piston\'s 404; /api/v2/connect without an upgrade says it is a WebSocket', async () => {
    const missing = await fetch(`${server().url}/api/v2/packages`);
    expect({ status: missing.status, json: await missing.json() }).toEqual({ status: 404, json: { message: 'Not Found' } });
    const connect = await fetch(`${server().url}/api/v2/connect`);
    expect(connect.status).toBe(426);
    expect(((await connect.json()) as { message: string }).message).toMatch(/WebSocket/);
  });
});

/** A client of /api/v2/connect: every message kept, in order. */
class PistonSocket {
  readonly messages: Record<string, any>[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private wake: () => void = () => undefined;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.messages.push(JSON.parse(data.toString()));
      this.wake();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    void this.closed.then(() => this.wake());
  }

  static async open(): Promise<PistonSocket> {
    const ws = new WebSocket(`${server().url.replace(/^http/, 'ws')}/api/v2/connect`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return new PistonSocket(ws);
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  /** Resolves with the first message `match` accepts, waiting for it if need be. */
  async waitFor(match: (m: Record<string, any>) => boolean, ms = 30000): Promise<Record<string, any>> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.messages.find(match);
      if (found) return found;
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`closed before the message came: ${JSON.stringify(this.messages)}`);
      if (Date.now() > deadline) throw new Error(`timed out; messages so far: ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 200);
      });
    }
  }

  /** Waits until the program's stdout so far contains `text` (output may come in any pieces). */
  async waitForStdout(text: string): Promise<void> {
    await this.waitFor(() => this.stdout().includes(text));
  }

  stdout(): string {
    return this.messages.filter((m) => m.type === 'data' && m.stream === 'stdout').map((m) => m.data).join('');
  }
}

describe('the /api/v2/connect WebSocket, Piston\'s interactive protocol', () => {
  test('interactive: runtime, stage, output as it comes, input while it runs; a signal ends it; 4999', async () => {
    const socket = await PistonSocket.open();
    socket.send({ type: 'init', language: 'python', version: '3', files: [{ content: 'name = input("name? ")\nprint("hello", name, flush=True)\ninput()' }] });
    await socket.waitForStdout('name? ');
    socket.send({ type: 'data', stream: 'stdin', data: 'piston\n' });
    await socket.waitForStdout('hello piston');
    // a signal that does not end a process changes nothing; SIGTERM ends the run
    socket.send({ type: 'signal', signal: 'SIGWINCH' });
    socket.send({ type: 'signal', signal: 'SIGTERM' });
    const exit = await socket.waitFor((m) => m.type === 'exit');
    expect(exit).toMatchObject({ type: 'exit', stage: 'run', code: null, signal: 'SIGKILL' });
    expect(await socket.closed).toEqual({ code: 4999, reason: 'Job Completed' });
    const runtimes = (await (await fetch(`${server().url}/api/v2/runtimes`)).json()) as { language: string; version: string }[];
    expect(socket.messages[0]).toEqual({ type: 'runtime', language: 'python', version: runtimes.find((r) => r.language === 'python')!.version });
    expect(socket.messages[1]).toEqual({ type: 'stage', stage: 'run' });
    expect(socket.stdout()).toBe('name? hello piston\n');
  });

  test('a compiled language: compile stage and its exit, then the run stage and its exit', async () => {
    const socket = await PistonSocket.open();
    socket.send({ type: 'init', language: 'cpp', version: '*', files: [{ content: '#include <iostream>\nint main(int argc, char** argv) { std::string s; std::cin >> s; std::cout << s << argv[1] << std::endl; return 4; }' }], args: ['!'] });
    await socket.waitFor((m) => m.type === 'stage' && m.stage === 'run');
    socket.send({ type: 'data', stream: 'stdin', data: 'compiled\n' });
    await socket.waitFor((m) => m.type === 'exit' && m.stage === 'run');
    expect((await socket.closed).code).toBe(4999);
    const flow = socket.messages.filter((m) => m.type !== 'data').map((m) => (m.type === 'exit' ? { type: 'exit', stage: m.stage, code: m.code, signal: m.signal } : m));
    expect(flow).toEqual([
      { type: 'runtime', language: 'c++', version: expect.any(String) },
      { type: 'stage', stage: 'compile' },
      { type: 'exit', stage: 'compile', code: 0, signal: null },
      { type: 'stage', stage: 'run' },
      { type: 'exit', stage: 'run', code: 4, signal: null },
    ]);
    expect(socket.stdout()).toBe('compiled!\n');
  });

  test('a compile error ends the job at the compile stage, its message as stderr data', async () => {
    const socket = await PistonSocket.open();
    socket.send({ type: 'init', language: 'java', version: '*', files: [{ content: 'class Main { public static void main(String[] a) { int x = "no"; } }' }] });
    const exit = await socket.waitFor((m) => m.type === 'exit');
    expect(exit).toMatchObject({ stage: 'compile', code: 1, signal: null });
    expect((await socket.closed).code).toBe(4999);
    expect(socket.messages.find((m) => m.type === 'data')).toMatchObject({ stream: 'stderr', data: expect.stringMatching(/incompatible types/) });
    expect(socket.messages.some((m) => m.type === 'stage' && m.stage === 'run')).toBe(false);
  });

  test('a signal during the compile stage ends the job there', async () => {
    const socket = await PistonSocket.open();
    // fresh code, so javac really runs (no cached build)
    socket.send({ type: 'init', language: 'java', version: '*', files: [{ content: `public class Main { public static void main(String[] a) { System.out.println(${Date.now()}L); } }` }] });
    await socket.waitFor((m) => m.type === 'stage' && m.stage === 'compile');
    socket.send({ type: 'signal', signal: 'SIGKILL' });
    expect((await socket.closed).code).toBe(4999);
    const exits = socket.messages.filter((m) => m.type === 'exit');
    expect(exits).toHaveLength(1);
    expect(exits[0]).toMatchObject({ stage: 'compile', code: null, signal: 'SIGKILL', status: 'SG' });
    expect(socket.stdout()).toBe('');
  });

  test('run_timeout holds on a live job: TO, SIGKILL', async () => {
    const socket = await PistonSocket.open();
    socket.send({ type: 'init', language: 'javascript', version: '*', files: [{ content: 'setInterval(() => {}, 1000)' }], run_timeout: 1500 });
    const exit = await socket.waitFor((m) => m.type === 'exit');
    expect(exit).toMatchObject({ stage: 'run', code: null, signal: 'SIGKILL', status: 'TO' });
    expect((await socket.closed).code).toBe(4999);
  });

  test('protocol errors close with Piston\'s codes', async () => {
    const beforeInit = await PistonSocket.open();
    beforeInit.send({ type: 'data', stream: 'stdin', data: 'x' });
    expect(await beforeInit.closed).toEqual({ code: 4003, reason: 'Not yet initialized' });

    const init = { type: 'init', language: 'python', version: '*', files: [{ content: 'input()' }] };
    const twice = await PistonSocket.open();
    twice.send(init);
    await twice.waitFor((m) => m.type === 'stage');
    twice.send(init);
    expect(await twice.closed).toEqual({ code: 4000, reason: 'Already Initialized' });

    const stdout = await PistonSocket.open();
    stdout.send(init);
    await stdout.waitFor((m) => m.type === 'stage');
    stdout.send({ type: 'data', stream: 'stdout', data: 'x' });
    expect(await stdout.closed).toEqual({ code: 4004, reason: 'Can only write to stdin' });

    const badSignal = await PistonSocket.open();
    badSignal.send(init);
    await badSignal.waitFor((m) => m.type === 'stage');
    badSignal.send({ type: 'signal', signal: 'SIGNOPE' });
    expect(await badSignal.closed).toEqual({ code: 4005, reason: 'Invalid signal' });

    const unknown = await PistonSocket.open();
    unknown.send({ ...init, language: 'cobol' });
    expect(await unknown.closed).toEqual({ code: 4002, reason: 'Notified Error' });
    expect(unknown.messages).toEqual([{ type: 'error', message: 'cobol-* runtime is unknown' }]);

    const notJson = await PistonSocket.open();
    notJson.ws.send('{not json');
    expect(await notJson.closed).toEqual({ code: 4002, reason: 'Notified Error' });
    expect(notJson.messages).toEqual([{ type: 'error', message: 'the message is not valid JSON' }]);
  });

  test('every connection gave its live slot back', async () => {
    const deadline = Date.now() + 15000;
    let live = -1;
    while (Date.now() < deadline) {
      live = ((await server().request('GET', '/api/health')).json as { runs: { live: { active: number } } }).runs.live.active;
      if (live === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(live).toBe(0);
  });
});
