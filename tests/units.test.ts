import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { configTable, ConfigError, loadConfig } from '../backend/src/config.js';
import { javaMainClass, javaSourceFile } from '../backend/src/languages/java-names.js';
import { accountFiles, jailRootArgs, planJailRoot } from '../backend/src/sandbox/jail-root.js';
import { loadLanguages } from '../backend/src/languages/load.js';
import { forksRefused } from '../backend/src/sandbox/cgroups.js';
import { OutputCollector } from '../backend/src/sandbox/output.js';
import { TerminalInput } from '../backend/src/sandbox/terminal-input.js';
import { isRunUserName, runUserName } from '../backend/src/sandbox/users.js';
import { ID_PATTERN, newId } from '../backend/src/store/ids.js';
import { partsInside } from '../backend/src/util/fs.js';

const languages = loadLanguages();
const findLanguage = (name: string) => languages.find(name);

describe('config', () => {
  test('README documents every variable', () => {
    const readme = readFileSync('README.md', 'utf8');
    for (const { env } of configTable()) expect(readme).toContain(`| \`${env}\` |`);
  });
  test('defaults match the documented ones', () => {
    const c = loadConfig({});
    expect(loadConfig({ RUNBOX_TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toEqual(['loopback', '10.0.0.0/8']);
    expect(loadConfig({ RUNBOX_PUBLIC_URL: 'https://play.example.com/' }).publicUrl).toBe('https://play.example.com');
    expect(loadConfig({ RUNBOX_EXTRA_PACKAGES: 'python:numpy==1.26 requests[socks],scipy; ruby:json' }).extraPackages).toEqual({ python: ['numpy', 'requests', 'scipy'], ruby: ['json'] });
    expect(c.extraPackages).toEqual({});
    expect(c).toMatchObject({ liveMax: 4 * os.availableParallelism(), liveTimeMs: 300000, liveIdleMs: 60000 });
    expect(c).toMatchObject({ host: '127.0.0.1', port: 3000, runTimeMs: 5000, runCpuMs: 5000, runMemoryMb: 256, runProcesses: 1024, openFiles: 256, fileSizeMb: 16, compileTimeMs: 15000, compileMemoryMb: 1024, codeKb: 64, stdinKb: 1024, outputKb: 64, allowNetwork: false });
  });
  test.each([
    ['PORT', 'abc'],
    ['RUNBOX_RUN_TIME_MS', '0'],
    ['RUNBOX_RUN_MEMORY_MB', '-1'],
    ['RUNBOX_CONCURRENCY', '1.5'],
    ['RUNBOX_LIVE_MAX', '0'],
    ['RUNBOX_LIVE_IDLE_MS', 'soon'],
    ['RUNBOX_ALLOW_NETWORK', 'maybe'],
    ['RUNBOX_CGROUP', 'v3'],
    ['RUNBOX_EXTRA_PACKAGES', 'numpy'],
    ['RUNBOX_EXTRA_PACKAGES', 'python:'],
    ['RUNBOX_EXTRA_PACKAGES', 'python:$(reboot)'],
    ['RUNBOX_TRUST_PROXY', 'true'],
    ['RUNBOX_TRUST_PROXY', '1'],
    ['RUNBOX_ADMIN_KEY', 'short'],
    ['DATABASE_URL', 'mysql://x'],
    ['RUNBOX_PUBLIC_URL', 'ftp://example.com'],
  ])('%s=%s is refused with the variable named', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });
});

describe('ids', () => {
  test('ids are 16 URL-safe characters and never begin with "-" (a command line would read an option)', () => {
    const ids = Array.from({ length: 3000 }, newId);
    expect(ids.every((id) => ID_PATTERN.test(id))).toBe(true);
    expect(ids.filter((id) => id.startsWith('-'))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe("a terminal's input frames", () => {
  /** The frames written so far: [type, payload]. */
  function frames(input: TerminalInput): [string, Buffer][] {
    const all: Buffer[] = [];
    let chunk: Buffer | null;
    while ((chunk = input.stream.read() as Buffer | null) !== null) all.push(chunk);
    const bytes = Buffer.concat(all);
    const out: [string, Buffer][] = [];
    for (let at = 0; at < bytes.length; ) {
      const length = bytes.readUInt32BE(at + 1);
      out.push([bytes.toString('latin1', at, at + 1), bytes.subarray(at + 5, at + 5 + length)]);
      at += 5 + length;
    }
    return out;
  }

  test('input goes in frames of at most 64 KiB, whole and in order', () => {
    const input = new TerminalInput({ cols: 80, rows: 24 }, 1024 * 1024);
    const typed = Buffer.alloc(200 * 1024, 'abc');
    input.write(typed);
    const got = frames(input);
    expect(got.map(([type, data]) => [type, data.length])).toEqual([['d', 65536], ['d', 65536], ['d', 65536], ['d', 8192]]);
    expect(Buffer.concat(got.map(([, data]) => data)).equals(typed)).toBe(true);
  });

  test('resizes while input waits unread hold only the latest size, sent once the input is taken', async () => {
    const input = new TerminalInput({ cols: 80, rows: 24 }, 16);
    expect(input.write('x'.repeat(100_000))).toBe(false); // past the readable side's 16 KiB too
    const waiting = input.stream.writableLength;
    for (let i = 1; i <= 10000; i++) input.resize({ cols: (i % 900) + 1, rows: 40 });
    expect(input.stream.writableLength).toBe(waiting);
    const got = frames(input);
    await new Promise((resolve) => setImmediate(resolve)); // 'drain' comes once the data was read
    got.push(...frames(input));
    const sizes = got.filter(([type]) => type === 'w').map(([, data]) => [data.readUInt16BE(0), data.readUInt16BE(2)]);
    expect(sizes).toEqual([[(10000 % 900) + 1, 40]]);
  });
});

describe('output collector', () => {
  test('a character split across chunks is joined', () => {
    const c = new OutputCollector(1024);
    const bytes = Buffer.from('é✓');
    c.push('stdout', bytes.subarray(0, 1));
    c.push('stdout', bytes.subarray(1, 4));
    c.push('stdout', bytes.subarray(4));
    c.finish();
    expect(c.stdout).toBe('é✓');
  });
  test('the cap is per stream and in bytes', () => {
    const c = new OutputCollector(4);
    expect(c.push('stdout', Buffer.from('abc'))).toBe(true);
    expect(c.push('stdout', Buffer.from('def'))).toBe(false);
    expect(c.push('stderr', Buffer.from('1234'))).toBe(true);
    c.finish();
    expect([c.stdout, c.stderr, c.truncated]).toEqual(['abcd', '1234', true]);
    expect(c.output).toBe('abcd1234');
  });
});

describe('pids.events', () => {
  test('refused forks are read from the "max" line of v1 and v2 alike', () => {
    expect(forksRefused('max 0\n')).toBe(0);
    expect(forksRefused('max 17\n')).toBe(17);
    // only the "max" line counts: a line that merely starts with it is another counter
    expect(forksRefused('max.other 3\nmax 2\n')).toBe(2);
  });
  test('a missing file (an old kernel) reads as nothing refused', () => {
    expect(forksRefused(null)).toBe(0);
  });
});

describe('java names', () => {
  const textBlock = '"""\n    class Block { public static void main(String[] a) {\n    """';
  test.each([
    ['a public class with any name names the file and runs', 'public class Solution { public static void main(String[] a) {} }', 'Solution.java', 'Solution'],
    ['a top-level helper class before the main class does not run', 'class A {}\nclass B { public static void main(String[] a) {} }', 'Main.java', 'B'],
    ['a package-private main class runs', 'class app {\n  public static void main(String[] args) {}\n}\n', 'Main.java', 'app'],
    [
      'nested static classes declared before main do not run (the contest Solution)',
      'public class Solution {\n  static class Node { int v; Node next; }\n  static class Event implements Comparable<Event> { public int compareTo(Event o) { return 0; } }\n  public static void main(String[] a) {}\n}\n',
      'Solution.java',
      'Solution',
    ],
    [
      'nested interfaces, enums, records and generic classes declared before main do not run',
      'public class Main {\n  interface Shape { double area(); }\n  enum Color { RED, GREEN; }\n  record Point(int x, int y) {}\n  static class Pair<A, B> { A first; B second; }\n  public static void main(String[] args) {}\n}\n',
      'Main.java',
      'Main',
    ],
    [
      'anonymous and local classes (in a helper or in main) do not run',
      'class Runner {\n  static void helper() { new Thread() { public void run() {} }.start(); class Local {} }\n  public static void main(String[] a) { Runnable r = new Runnable() { public void run() {} }; class InMain {} }\n}\n',
      'Main.java',
      'Runner',
    ],
    [
      'a main in a nested class is not the top-level class’s',
      'class Outer {\n  static class Inner { public static void main(String[] a) {} }\n}\nclass Runs { public static void main(String[] a) {} }\n',
      'Main.java',
      'Runs',
    ],
    [
      '"class X" and braces in strings, char literals, text blocks and comments are ignored',
      `/* public class Fake { */\npublic final class Real {\n  static String s = "class X { \\" }";\n  static char open = '{', quote = '"';\n  static String t = ${textBlock};\n  // class Commented {\n  public static void main(String[] a) {}\n}\n`,
      'Real.java',
      'Real',
    ],
    [
      'a package declaration makes the name fully qualified',
      '// the IDE wrote this\npackage com.example.tools;\n\nimport java.util.*;\n\npublic class Main {\n  public static void main(String[] a) {}\n}\n',
      'Main.java',
      'com.example.tools.Main',
    ],
  ])('%s', (_, code, file, main) => {
    expect(javaSourceFile(code)).toBe(file);
    expect(javaMainClass(code)).toBe(main);
  });

  test('code without main is reported before compiling; main in a comment or string does not count', () => {
    const java = findLanguage('java')!;
    expect(java.sourceError!('public class Main { static void helper() {} }')).toMatch(/no class declares `public static void main\(String\[\] args\)`/);
    expect(java.sourceError!('public class Main {\n  // public static void main(String[] a) {}\n  String s = "static void main(";\n}\n')).not.toBeNull();
    expect(java.sourceError!('class app { public static void main(String[] args) {} }')).toBeNull();
    expect(java.sourceError!('class app { static public final void main(String... args) {} }')).toBeNull();
  });
});

describe('paths inside a directory', () => {
  test('relative paths below it are split into parts; absolute, empty, "." and ".." are refused', () => {
    expect(partsInside('Main.class')).toEqual(['Main.class']);
    expect(partsInside('com/example/Main.class')).toEqual(['com', 'example', 'Main.class']);
    for (const escape of ['../etc/passwd', 'com/../../x', '/etc/passwd', '', 'a//b', './a', 'a/', 'a\0b']) expect(partsInside(escape)).toBeNull();
  });
});

describe('names', () => {
  test('run user names fit useradd and come from the run id', () => {
    const name = runUserName('0f63557e-1b71-4dd5-9340-fc588633ad03');
    expect(name).toBe('exec_0f63557e1b714dd59340fc58');
    expect(name.length).toBeLessThanOrEqual(32);
    expect(isRunUserName(name)).toBe(true);
    expect(isRunUserName('exec_../../etc')).toBe(false);
    expect(() => runUserName('not-a-uuid')).toThrow();
  });
  test('aliases are case-insensitive and unknown names are not guessed', () => {
    expect(findLanguage('C++')?.id).toBe('cpp');
    expect(findLanguage('JS')?.id).toBe('javascript');
    expect(findLanguage('cobol')).toBeUndefined();
    expect(findLanguage('__proto__')).toBeUndefined();
  });
});

describe('jail root', () => {
  const plan = () =>
    planJailRoot({
      toolchainCommands: ['sh'],
      sandboxPath: '/usr/bin:/bin',
      extraReadOnly: ['/nonexistent-runbox-dir'],
      hiddenPaths: ['/usr/share/doc', '/', '/srv'],
      network: false,
      launcher: '/run/runbox/main/runbox-jail',
      etcDir: '/run/runbox/main/etc',
    });

  test('the root is built from read-only binds, and a hidden path inside one is covered', () => {
    const args = plan().shared.join(' ');
    expect(args).toContain('--ro-bind /usr /usr');
    expect(args).toContain('--ro-bind /run/runbox/main/etc /etc');
    expect(args).not.toMatch(/--ro-bind \/etc/);
    expect(args).toContain('--unshare-net');
    expect(args).toContain('--seccomp 5');
    expect(args).not.toContain('/nonexistent-runbox-dir');
    expect(args).toContain('--tmpfs /usr/share/doc --remount-ro /usr/share/doc');
    expect(args).not.toMatch(/--tmpfs \/ |--tmpfs \/srv/);
    expect(args).not.toMatch(/--bind \/ /);
  });

  test("a jail's home gets 0755 parents before its bind, and the launcher comes last", () => {
    const args = jailRootArgs(plan(), { home: '/var/lib/homes/exec_ab', tmpBytes: 1024 });
    const joined = args.join(' ');
    expect(joined).toContain('--perms 0755 --dir /var --perms 0755 --dir /var/lib --perms 0755 --dir /var/lib/homes --bind /var/lib/homes/exec_ab /var/lib/homes/exec_ab');
    expect(joined).toContain('--perms 1777 --size 1024 --tmpfs /tmp');
    expect(joined).toContain('--perms 0444 --file 6 /run/runbox/passwd --perms 0444 --file 7 /run/runbox/group');
    expect(args.slice(-3)).toEqual(['--', '/run/runbox-jail', 'inside']);
  });

  test('account files hold root, nobody and the run user only', () => {
    const { passwd, group } = accountFiles({ name: 'exec_ab', uid: 1234, gid: 1235, home: '/home/exec_ab' });
    expect(passwd.trim().split('\n').map((l) => l.split(':')[0])).toEqual(['root', 'nobody', 'exec_ab']);
    expect(group).toContain('exec_ab:x:1235:');
  });
});

describe('instances sharing a host', () => {
  test('an instance tag goes into the user name, and each instance recognises only its own', () => {
    const name = runUserName('0f63557e-1b71-4dd5-9340-fc588633ad03', 'a1');
    expect(name).toBe('exec_a10f63557e1b714dd59340fc');
    expect(name.length).toBeLessThanOrEqual(32);
    expect(isRunUserName(name, 'a1')).toBe(true);
    expect(isRunUserName(name, 'b')).toBe(false);
    expect(isRunUserName(runUserName('0f63557e-1b71-4dd5-9340-fc588633ad03', 'b'), 'a1')).toBe(false);
    expect(() => loadConfig({ RUNBOX_INSTANCE: 'xyz' })).toThrow('RUNBOX_INSTANCE');
  });
});

describe('playground error markers', () => {
  test('compiler and runtime messages point at the user’s line', async () => {
    const { compileDiagnostics, runtimeDiagnostics } = await import('../frontend/lib/diagnostics.js');
    expect(compileDiagnostics('cpp', "main.cpp: In function 'int main()':\nmain.cpp:3:11: error: expected primary-expression before ';' token\n", ['main.cpp'])).toEqual([
      { file: 'main.cpp', line: 3, column: 11, message: "expected primary-expression before ';' token", severity: 'error' },
    ]);
    // Java names a one-file program after its public class: the marker is still the one file's
    expect(compileDiagnostics('java', 'Solution.java:4: error: incompatible types: String cannot be converted to int\n        int x = "no";\n', ['Main.java'])[0]).toMatchObject({ file: 'Main.java', line: 4, severity: 'error' });
    expect(runtimeDiagnostics('python', 'Traceback (most recent call last):\n  File "/home/exec_1/main.py", line 4, in <module>\n    f()\n  File "/home/exec_1/main.py", line 2, in f\n    return 1 / 0\nZeroDivisionError: division by zero\n', ['main.py'])).toEqual([
      { file: 'main.py', line: 2, column: 1, message: 'ZeroDivisionError: division by zero', severity: 'error' },
    ]);
    expect(runtimeDiagnostics('javascript', '/home/exec_1/main.js:2\n  throw new TypeError("boom");\n  ^\n\nTypeError: boom\n    at f (/home/exec_1/main.js:2:9)\n', ['main.js'])[0]).toMatchObject({ line: 2, message: 'TypeError: boom' });
    expect(runtimeDiagnostics('java', 'Exception in thread "main" java.lang.IllegalStateException: boom\n\tat Main.f(Main.java:7)\n\tat Main.main(Main.java:3)\n', ['Main.java'])[0]).toMatchObject({ line: 7 });
    expect(runtimeDiagnostics('cpp', 'terminate called after throwing an instance of std::runtime_error', ['main.cpp'])).toEqual([]);
  });

  test('in a program of several files, each marker goes to the file it names', async () => {
    const { compileDiagnostics, runtimeDiagnostics } = await import('../frontend/lib/diagnostics.js');
    const cpp = ['main.cpp', 'text/strings.h', 'text/strings.cpp'];
    const output = 'In file included from text/strings.cpp:1:\ntext/strings.h:2:1: error: expected unqualified-id\nmain.cpp:5:3: warning: unused variable\n/usr/include/c++/12/string:9:1: error: not ours\n';
    expect(compileDiagnostics('cpp', output, cpp).map((d) => [d.file, d.line])).toEqual([
      ['text/strings.h', 2],
      ['main.cpp', 5],
    ]);
    // a Python trace through a library module: the innermost frame in the program's own files
    const trace = 'Traceback (most recent call last):\n  File "/home/exec_1/main.py", line 3, in <module>\n    helpers.go()\n  File "/home/exec_1/lib/helpers.py", line 7, in go\n    json.loads("x")\n  File "/usr/lib/python3.11/json/__init__.py", line 346, in loads\njson.decoder.JSONDecodeError: Expecting value\n';
    expect(runtimeDiagnostics('python', trace, ['main.py', 'lib/helpers.py'])).toMatchObject([{ file: 'lib/helpers.py', line: 7 }]);
    // Java's traces name the file without its package folder
    const java = 'Exception in thread "main" java.lang.RuntimeException\n\tat com.example.Greeter.greet(Greeter.java:4)\n\tat App.main(App.java:3)\n';
    expect(runtimeDiagnostics('java', java, ['App.java', 'com/example/Greeter.java'])).toMatchObject([{ file: 'com/example/Greeter.java', line: 4 }]);
    expect(runtimeDiagnostics('javascript', 'x\n    at f (/home/exec_1/lib/math.js:2:9)\n    at Object.<anonymous> (/home/exec_1/index.js:1:1)\n', ['index.js', 'lib/math.js'])).toMatchObject([{ file: 'lib/math.js', line: 2, column: 9 }]);
  });
});

describe('programs of several files', () => {
  test('file names: plain relative paths pass; anything a path, a shell or a compiler would read otherwise does not', async () => {
    const { fileNameProblem, fileNamesClash } = await import('../backend/src/file-names.js');
    for (const ok of ['main.py', 'com/example/Util.java', 'ünï côdé/名前.py', 'a.b.c', '.hidden', 'x-y_z+1.cpp']) expect(fileNameProblem(ok)).toBeNull();
    for (const bad of ['', '/abs', '../x', 'a/../b', './a', 'a/.', 'a//b', 'a/', 'a\\b', 'a\0b', 'a\tb', 'a\u202eb', 'a\u2029b', '-o', '@argfile', ' a', 'a /b']) {
      expect([bad, fileNameProblem(bad)]).toEqual([bad, expect.any(String)]);
    }
    expect(fileNamesClash(['a.py', 'b.py', 'lib/c.py', 'lib/d/e.py'])).toBeNull();
    expect(fileNamesClash(['a.py', 'A.PY'])).toEqual({ index: 1, message: expect.stringMatching(/only in case/) });
    expect(fileNamesClash(['lib/x.py', 'lib'])).toEqual({ index: 1, message: expect.stringMatching(/folder/) });
    expect(fileNamesClash(['lib', 'Lib/x.py'])).toEqual({ index: 1, message: expect.stringMatching(/which is a file/) });
  });

  test('{sources} is every translation unit, one argument each; it must be an argument of its own', async () => {
    const { languageEntrySchema } = await import('../backend/src/languages/entry-schema.js');
    const { languageFromEntry } = await import('../backend/src/languages/registry.js');
    const { compiledSources } = await import('../backend/src/runs/program.js');
    const entry = {
      id: 'c',
      name: 'C',
      monaco: 'c',
      sourceFile: 'main.c',
      sourceExtensions: ['.c'],
      compile: ['gcc', '-o', 'main', '{sources}'],
      run: ['./main'],
      version: ['gcc', '--version'],
      toolchain: { commands: ['gcc'] },
      template: 'x',
    };
    const c = languageFromEntry(languageEntrySchema.parse(entry), 'c.json');
    const files = [{ name: 'main.c', content: '' }, { name: 'util.h', content: '' }, { name: 'lib/util.c', content: '' }, { name: 'notes.txt', content: '' }];
    const sources = compiledSources(c, { files, entry: files[0]! });
    expect(sources).toEqual(['main.c', 'lib/util.c']);
    expect(c.compile!({ file: 'main.c', code: '', sources, memoryMb: 64 })).toEqual(['gcc', '-o', 'main', 'main.c', 'lib/util.c']);
    const embedded = languageEntrySchema.safeParse({ ...entry, compile: ['gcc', '-o', 'main', 'x{sources}'] });
    expect(embedded.error?.issues[0]).toMatchObject({ path: ['compile', 3], message: expect.stringMatching(/argument of its own/) });
    const notOwnEnding = languageEntrySchema.safeParse({ ...entry, sourceExtensions: ['.cc'] });
    expect(notOwnEnding.error?.issues[0]).toMatchObject({ path: ['sourceExtensions'] });
    // without sourceExtensions, the ending of sourceFile
    const { sourceExtensions, ...plain } = entry;
    expect(sourceExtensions).toEqual(['.c']);
    expect(languageFromEntry(languageEntrySchema.parse(plain), 'c.json').sourceExtensions).toEqual(['.c']);
  });
});

describe('optional toolchains (scripts/toolchain-packages.sh)', () => {
  const packages = (...args: string[]) => {
    const r = spawnSync('sh', ['scripts/toolchain-packages.sh', ...args], { encoding: 'utf8' });
    return { status: r.status, list: r.stdout.split('\n').filter(Boolean), stderr: r.stderr };
  };
  const CORE = ['javascript', 'python', 'cpp', 'java'];

  test('every language entry beyond the core four has its Debian packages (host and image), and the default installs them all', () => {
    const optional = loadLanguages().ids.filter((id) => !CORE.includes(id));
    expect(optional.length).toBeGreaterThan(0);
    for (const id of optional) expect({ id, status: packages('debian', id).status }).toEqual({ id, status: 0 });
    const sorted = (list: string[]) => [...new Set(list)].sort();
    // and the core languages' formatters (the playground's Format: black, clang-format)
    expect(sorted(packages('debian', 'default').list)).toEqual(sorted(packages('debian', `${optional.join(' ')} formatters`).list));
    expect(packages('debian', 'formatters').list).toEqual(['black', 'clang-format']);
    expect(packages('debian', 'go rust').list).toEqual(['golang-go', 'rustc', 'gcc', 'rustfmt']);
    expect(packages('debian', 'none').list).toEqual([]);
    // no Alpine image is built or tested any more: no Alpine column either
    expect(packages('alpine', 'c').status).toBe(2);
  });

  test('a toolchain or Python package name it does not know is an error, never silently skipped', () => {
    expect(packages('debian', 'c gooo')).toMatchObject({ status: 2, stderr: expect.stringContaining("unknown toolchain 'gooo'") });
    expect(packages('debian', 'none', 'numpy; rm -rf /')).toMatchObject({ status: 2, stderr: expect.stringContaining('bad Python package name') });
    expect(packages('debian', 'none', 'numpy Scikit_Image').list).toEqual(['python3-numpy', 'python3-scikit-image']);
    expect(packages('ubuntu', 'c').status).toBe(2);
  });
});
