import { afterAll, describe, expect, test } from '@jest/globals';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../backend/src/config.js';
import { DEFAULT_LANGUAGES_DIR, LanguageEntryError, loadLanguages } from '../backend/src/languages/load.js';
import { expandArgv } from '../backend/src/languages/templates.js';
import { probeLanguages } from '../backend/src/languages/toolchains.js';
import { useRunbox } from './helpers/runbox.js';
import { killServerProcesses, startFailingServerProcess } from './helpers/server-process.js';

/**
 * Language entries are data read at start: a bad one stops the server naming the file and
 * the field, and a language whose toolchain is not installed is not offered.
 */

const SANDBOX_PATH = loadConfig({}).sandboxPath;
const dirs: string[] = [];

function entriesDir(entries: Record<string, unknown>, withCore = false): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runbox-languages-'));
  dirs.push(dir);
  if (withCore) for (const id of ['javascript', 'python', 'cpp', 'java']) copyFileSync(path.join(DEFAULT_LANGUAGES_DIR, `${id}.json`), path.join(dir, `${id}.json`));
  for (const [file, entry] of Object.entries(entries)) writeFileSync(path.join(dir, file), typeof entry === 'string' ? entry : JSON.stringify(entry));
  return dir;
}

afterAll(async () => {
  await killServerProcesses();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const shipped = (id: string) => JSON.parse(readFileSync(path.join(DEFAULT_LANGUAGES_DIR, `${id}.json`), 'utf8')) as Record<string, unknown>;

/** A loadable entry for an interpreted language, run by sh. */
const shEntry = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: `Test ${id}`,
  monaco: 'shell',
  sourceFile: 'main.sh',
  run: ['sh', '{file}'],
  version: ['sh', '-c', 'echo 1.0.0'],
  toolchain: { commands: ['sh'] },
  template: 'echo "Hello, world!"\n',
  ...extra,
});

function loadError(entries: Record<string, unknown>): LanguageEntryError {
  try {
    loadLanguages(entriesDir(entries));
  } catch (err) {
    if (err instanceof LanguageEntryError) return err;
    throw err;
  }
  throw new Error('the entries loaded');
}

describe('the shipped entries', () => {
  test('load, and give the commands the server ran before they were data', () => {
    const languages = loadLanguages();
    expect(languages.ids).toEqual(expect.arrayContaining(['cpp', 'java', 'javascript', 'python']));
    const js = languages.find('node')!;
    expect(js.run({ file: 'main.js', code: '', memoryMb: 256 })).toEqual(['node', '--max-old-space-size=192', 'main.js']);
    const java = languages.find('java')!;
    const code = 'package a.b;\npublic class Solution { public static void main(String[] x) {} }';
    expect(java.sourceFile(code)).toBe('Solution.java');
    expect(java.run({ file: 'Solution.java', code, memoryMb: 256 })).toEqual(['java', '-Xmx153m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-XX:-UsePerfData', '-Xshare:auto', '-cp', '.', 'a.b.Solution']);
    // the archive's flags only when there is an archive
    expect(java.compile!({ file: 'Main.java', code, memoryMb: 1024, compilerArchive: null })).not.toContain('-J-Xlog:cds=off');
    expect(java.compile!({ file: 'Main.java', code, memoryMb: 1024, compilerArchive: '/a/j.jsa' }).slice(0, 3)).toEqual(['javac', '-J-XX:SharedArchiveFile=/a/j.jsa', '-J-Xlog:cds=off']);
    expect(java.outOfMemory!.test('Exception in thread "main" java.lang.OutOfMemoryError: Java heap space')).toBe(true);
  });

  test('a heap share never goes below 16 MiB, and doubled braces are literal', () => {
    expect(expandArgv(['-Xmx{memoryMb*0.5}m', '{{x}}'], { memoryMb: '20' })).toEqual(['-Xmx16m', '{x}']);
  });
});

describe('a bad entry is refused, naming the file and the field', () => {
  test.each([
    ['a missing run command', { run: undefined }, 'run', /expected array/i],
    ['a misspelt field', { outOfMemmory: 'x' }, 'outOfMemmory', /is not a known field/],
    ['an unknown placeholder', { run: ['sh', '-e', '{fille}'] }, 'run[2]', /unknown placeholder \{fille\}/],
    ["a rule's placeholder without the rule", { run: ['java', '{mainClass}'] }, 'run[1]', /unknown placeholder \{mainClass\}/],
    ['a lone brace', { run: ['sh', '{file'] }, 'run[1]', /a lone "\{"/],
    ['a placeholder as the command', { run: ['{file}'] }, 'run[0]', /must start with a command name/],
    ['a placeholder in the version command', { version: ['sh', '{file}'] }, 'version[1]', /this field takes no placeholders/],
    ['an unknown source rule', { sourceRule: 'cobol-divisions' }, 'sourceRule', /./],
    ['an archive group without an archive', { compile: ['cc', { when: 'compilerArchive', args: ['-x'] }] }, 'compile[1].when', /needs a compilerArchive/],
    ['an invalid out-of-memory pattern', { outOfMemory: '(unclosed' }, 'outOfMemory', /valid regular expression/],
    ['an environment variable runbox sets', { env: { PATH: '/tmp' } }, 'env.PATH', /must not be one runbox sets/],
    ['an environment value with a run placeholder', { env: { CACHE: '{file}' } }, 'env.CACHE', /unknown placeholder \{file\}/],
    ['a writable dir outside the home', { writableDirs: ['../etc'] }, 'writableDirs[0]', /relative path below the home/],
    ['a toolchain path that is not absolute', { toolchain: { commands: ['sh'], paths: ['usr/lib/go'] } }, 'toolchain.paths[0]', /absolute/],
    ['a source file in a directory', { sourceFile: '../main.sh' }, 'sourceFile', /plain file name/],
  ])('%s', (_, change, field, message) => {
    const err = loadError({ 'shx.json': { ...shEntry('shx'), ...change } });
    expect(err.file).toMatch(/shx\.json$/);
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
    expect(err.message).toContain(`shx.json: ${field}: `);
  });

  test('an id that does not match its file name', () => {
    const err = loadError({ 'shy.json': shEntry('shx') });
    expect(err.message).toMatch(/shy\.json: id: "shx" does not match the file name/);
  });

  test('a name two entries claim', () => {
    const err = loadError({ 'sha.json': shEntry('sha', { aliases: ['shell'] }), 'shb.json': shEntry('shb', { aliases: ['shell'] }) });
    expect(err.message).toMatch(/shb\.json: aliases: "shell" is already a name of sha\.json/);
  });

  test('a file that is not JSON', () => {
    expect(loadError({ 'shx.json': '{ "id": "shx", ' }).message).toMatch(/shx\.json: not valid JSON/);
  });

  test('the server process refuses to start, saying which file and field', async () => {
    const dir = entriesDir({ 'shx.json': { ...shEntry('shx'), run: ['sh', '{fille}'] } }, true);
    const { code, logs } = await startFailingServerProcess({ RUNBOX_LANGUAGES_DIR: dir });
    expect(code).toBe(1);
    expect(logs).toContain(`${dir}/shx.json: run[1]: unknown placeholder {fille}`);
  });
});

describe('toolchains found at start', () => {
  test('a language whose command is not installed, or whose version command fails, is not offered', async () => {
    const dir = entriesDir({
      'ghost.json': shEntry('ghost', { toolchain: { commands: ['sh', 'runbox-no-such-compiler'] } }),
      'mute.json': shEntry('mute', { version: ['false'] }),
      'here.json': shEntry('here'),
    });
    const offered = await probeLanguages(loadLanguages(dir), SANDBOX_PATH);
    expect(offered.ids).toEqual(['here']);
    expect(offered.find('ghost')).toBeUndefined();
    expect(offered.info).toEqual([expect.objectContaining({ id: 'here', version: '1.0.0', monaco: 'shell', sourceFile: 'main.sh', packages: [] })]);
    expect(offered.missing).toEqual([
      { id: 'ghost', reason: 'not on the sandbox PATH: runbox-no-such-compiler' },
      { id: 'mute', reason: '`false` did not report a version' },
    ]);
  });

  test('packages are listed only when their check finds them, with the version it prints', async () => {
    const check = ['sh', '-c', 'case "$1" in present) echo 2.5.1 ;; *) exit 1 ;; esac', 'sh', '{package}'];
    const dir = entriesDir({ 'pk.json': shEntry('pk', { packages: { names: ['present', 'absent'], check } }) });
    const offered = await probeLanguages(loadLanguages(dir), SANDBOX_PATH, { pk: ['present', 'also-absent'] });
    expect(offered.info[0]!.packages).toEqual([{ name: 'present', version: '2.5.1' }]);
  });

  test("python's check finds a package of the standard installation and not a made-up one", async () => {
    const python = shipped('python');
    const dir = entriesDir({ 'python.json': { ...python, packages: { ...(python.packages as object), names: ['runbox-no-such-package'] } } });
    const offered = await probeLanguages(loadLanguages(dir), SANDBOX_PATH, { python: ['pip'] });
    const packages = offered.info[0]!.packages;
    expect(packages.map((p) => p.name)).not.toContain('runbox-no-such-package');
    // pip ships with Debian's and Alpine's python3 only as a separate package: when present, it has a version
    for (const p of packages) expect(p.version).toMatch(/^\d+\.\d+/);
  });
});

describe('a server with entries of its own', () => {
  const cacheProbe = shEntry('cachy', {
    compile: ['sh', '-c', 'cp "$1" prog.sh && echo built > "$RUNBOX_PROBE_CACHE/junk"', 'sh', '{file}'],
    run: ['sh', 'prog.sh'],
    env: { RUNBOX_PROBE_CACHE: '{home}/.cache/probe' },
    writableDirs: ['.cache/probe'],
    template: 'echo "Hello, world!"\n',
  });
  const dir = entriesDir({ 'ghost.json': shEntry('ghost', { toolchain: { commands: ['runbox-no-such-compiler'] } }), 'cachy.json': cacheProbe }, true);
  const server = useRunbox({ RUNBOX_LANGUAGES_DIR: dir });

  test('/api/languages leaves out the language whose toolchain is missing, and runs of it are refused', async () => {
    const list = (await server().request('GET', '/api/languages')).json as { id: string }[];
    expect(list.map((l) => l.id)).toEqual(expect.arrayContaining(['cachy', 'cpp', 'java', 'javascript', 'python']));
    expect(list.map((l) => l.id)).not.toContain('ghost');
    const reply = await server().request('POST', '/api/execute', { language: 'ghost', code: 'echo hi' });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ error: 'Unsupported language', field: 'language' });
    expect(reply.json.supported).not.toContain('ghost');
  });

  test("an entry's environment and writable dirs reach the run, and the dirs are never part of the cached build", async () => {
    const code = `# ${Math.random()}: not built before\nprintf '%s\\n' "$RUNBOX_PROBE_CACHE"\nls "$RUNBOX_PROBE_CACHE"\n`;
    const first = await server().execute({ language: 'cachy', code });
    expect(first).toMatchObject({ status: 'ok', compile: { status: 'ok', cached: false } });
    const [cacheDir, listing] = first.stdout.split('\n');
    expect(cacheDir).toMatch(/^\/.+\/\.cache\/probe$/);
    expect(listing).toBe('junk');
    // the same code again: the build comes from the cache, without what the compiler left in its cache dir
    const second = await server().execute({ language: 'cachy', code });
    expect(second).toMatchObject({ status: 'ok', compile: { status: 'ok', cached: true } });
    expect(second.stdout).toMatch(/^\/.+\/\.cache\/probe\n$/);
    // per run, never shared: each run's cache dir is in its own home
    expect(second.stdout.trim()).not.toBe(cacheDir);
  });
});
