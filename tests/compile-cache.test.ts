import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { collectArtifacts, CompileCache, compileCacheKey } from '../backend/src/runs/compile-cache.js';
import { findLeftovers, NOTHING_LEFT } from './helpers/leftovers.js';
import { startTestRunbox, type TestRunbox } from './helpers/runbox.js';

let box: TestRunbox;
let cacheDir: string;
beforeAll(async () => {
  cacheDir = await mkdtemp(path.join(os.tmpdir(), 'runbox-cache-test-'));
  box = await startTestRunbox({ RUNBOX_CACHE_DIR: cacheDir });
});
afterAll(async () => {
  await box.shutdown();
  await rm(cacheDir, { recursive: true, force: true });
  expect(await findLeftovers()).toEqual(NOTHING_LEFT);
});

const unique = () => Math.random().toString(36).slice(2);

/** A build of one 1000-byte file of `n`s. */
const smallBuild = (n: number) => ({ artifacts: [{ name: 'main', mode: 0o700, data: Buffer.alloc(1000, n) }], compile: { status: 'ok' as const, output: '', exitCode: 0, timeMs: 1 } });

/** A cache of `budget` bytes in a temporary directory, and three keys for it. */
async function withSmallCache(budget: number, use: (cache: CompileCache, keys: string[], dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'runbox-cache-'));
  try {
    await use(await CompileCache.open(dir, budget), ['a', 'b', 'c'].map((x) => x.repeat(64)), dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('compile cache through the API', () => {
  test.each([
    ['cpp', (tag: string) => `#include <cstdio>\n// ${tag}\nint main() { puts("cached?"); }`],
    ['java', (tag: string) => `// ${tag}\npublic class Solution { public static void main(String[] a) { System.out.println("cached?"); } }`],
  ])('a repeat %s run skips the compiler and says so, nothing else changes', async (language, source) => {
    const code = source(unique());
    const first = await box.execute({ language, code });
    const second = await box.execute({ language, code });
    // no compiler chatter either (a stale class-data archive would print warnings here)
    expect(first.compile).toMatchObject({ status: 'ok', cached: false, output: '' });
    expect(second.compile).toMatchObject({ status: 'ok', cached: true, output: first.compile!.output, exitCode: 0 });
    expect([first.status, first.stdout]).toEqual(['ok', 'cached?\n']);
    expect([second.status, second.stdout]).toEqual(['ok', 'cached?\n']);
    expect(second.id).not.toBe(first.id);
  });

  test('a run that overwrites its binary does not poison the cache', async () => {
    const code = `#include <cstdio>\n#include <fstream>\n// ${unique()}\nint main(int argc, char**) {\n  std::ofstream("main", std::ios::trunc) << "#!/bin/sh\\necho poisoned\\n";\n  puts("honest");\n}`;
    const first = await box.execute({ language: 'cpp', code });
    const second = await box.execute({ language: 'cpp', code });
    const third = await box.execute({ language: 'cpp', code });
    expect([first.stdout, second.stdout, third.stdout]).toEqual(['honest\n', 'honest\n', 'honest\n']);
    expect(third.compile!.cached).toBe(true);
  });

  test('a compile error is not cached', async () => {
    const code = `int main() { return nope_${unique()}; }`;
    const first = await box.execute({ language: 'cpp', code });
    const second = await box.execute({ language: 'cpp', code });
    expect(first.status).toBe('compile_error');
    expect(second.compile).toMatchObject({ status: 'compile_error', cached: false });
  });

  test('compiler startup archives are read-only and readable by run users', async () => {
    const { readdir } = await import('node:fs/promises');
    const files = await readdir(box.config.archiveDir);
    expect(files.some((f) => f.startsWith('java-') && f.endsWith('.jsa'))).toBe(true);
    for (const f of files) {
      // a prepared build cache is a tree (Go's): its directories read-only too
      const info = await stat(path.join(box.config.archiveDir, f));
      expect(info.mode & 0o777).toBe(info.isDirectory() ? 0o555 : 0o444);
    }
  });

  test('the cache directory is root-only', async () => {
    expect((await stat(cacheDir)).mode & 0o777).toBe(0o700);
  });
});

describe('compile cache unit', () => {
  test('the key changes with any of language, toolchain, flags, and any file\'s name or content', () => {
    const main = { name: 'main.cpp', content: '#include "a.h"\nint main(){}' };
    const header = { name: 'a.h', content: 'int a();' };
    const base = { language: 'cpp', toolchain: 'g++ 12.2.0', command: ['g++', '-O2'], files: [main] };
    const keys = new Set([
      compileCacheKey(base),
      compileCacheKey({ ...base, language: 'c' }),
      compileCacheKey({ ...base, toolchain: 'g++ 13.1.0' }),
      compileCacheKey({ ...base, command: ['g++', '-O0'] }),
      compileCacheKey({ ...base, files: [{ ...main, name: 'x.cpp' }] }),
      compileCacheKey({ ...base, files: [{ ...main, content: 'int main(){ }' }] }),
      compileCacheKey({ ...base, files: [main, header] }),
      compileCacheKey({ ...base, files: [main, { ...header, content: 'int a(void);' }] }),
      compileCacheKey({ ...base, files: [main, { ...header, name: 'b.h' }] }),
      // the same bytes split differently between name and content
      compileCacheKey({ ...base, files: [main, { name: 'a.hi', content: 'nt a();' }] }),
    ]);
    expect(keys.size).toBe(10);
    expect(compileCacheKey(base)).toBe(compileCacheKey({ ...base }));
  });

  test('a build is collected from package directories too, never through a symlink, and not past the budget', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'runbox-artifacts-'));
    try {
      // the program's own files, as given, are not the build; one the compile changed is
      const own = [
        { name: 'Main.java', content: 'source' },
        { name: 'com/example/Util.java', content: 'another source' },
        { name: 'main', content: 'a data file the compiler overwrote' },
      ];
      await writeFile(path.join(home, 'Main.java'), 'source');
      await writeFile(path.join(home, 'main'), 'a binary');
      await mkdir(path.join(home, 'com', 'example'), { recursive: true });
      await writeFile(path.join(home, 'com', 'example', 'Main.class'), 'main', { mode: 0o600 });
      await writeFile(path.join(home, 'com', 'example', 'Util.java'), 'another source');
      await writeFile(path.join(home, 'com', 'example', 'Main$Inner.class'), 'inner', { mode: 0o640 });
      await symlink('/etc/passwd', path.join(home, 'com', 'example', 'passwd.class'));
      await symlink('/etc', path.join(home, 'etc'));
      const artifacts = await collectArtifacts(home, own, 1000);
      expect(artifacts!.map((a) => [a.name, a.data.toString(), a.mode]).sort()).toEqual([
        ['com/example/Main$Inner.class', 'inner', 0o640],
        ['com/example/Main.class', 'main', 0o600],
        ['main', 'a binary', 0o644],
      ]);
      expect(await collectArtifacts(home, own, 8)).toBeNull();
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  test('artifact names that would leave the cache entry are neither written nor read', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'runbox-escape-'));
    try {
      const cache = await CompileCache.open(path.join(dir, 'cache'), 1000);
      const compile = { status: 'ok' as const, output: '', exitCode: 0, timeMs: 1 };
      // from an entry's files/ directory, three levels up is `dir`
      for (const name of ['../../../escaped', '/escaped', 'com/../../../../escaped']) {
        const key = compileCacheKey({ language: 'java', toolchain: null, command: [], files: [{ name: 'Main.java', content: name }] });
        await cache.put(key, { artifacts: [{ name, mode: 0o600, data: Buffer.from('x') }], compile });
        expect(await cache.get(key)).toBeNull();
      }
      expect(await readdir(dir)).toEqual(['cache']);
      expect(await readdir(path.join(dir, 'cache'))).toEqual([]);
      expect(cache.size).toEqual({ entries: 0, bytes: 0 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('an entry whose files a run is copying is not evicted until it is released', () =>
    withSmallCache(1500, async (cache, [a, b, c]) => {
      await cache.put(a!, smallBuild(1));
      const copying = (await cache.get(a!))!;
      await cache.put(b!, smallBuild(2)); // over budget: a is older, but pinned
      expect((await readFile(copying.artifacts[0]!.file))[0]).toBe(1);
      copying.release();
      copying.release(); // twice is once
      await cache.put(c!, smallBuild(3)); // now a goes (least recently used, not pinned)
      expect(await cache.get(a!)).toBeNull();
      expect(cache.size.entries).toBeLessThanOrEqual(2);
    }));

  test('least recently used entries go first when the budget is exceeded', () =>
    withSmallCache(2500, async (cache, [a, b, c], dir) => {
      await cache.put(a!, smallBuild(1));
      await new Promise((r) => setTimeout(r, 5));
      await cache.put(b!, smallBuild(2));
      await new Promise((r) => setTimeout(r, 5));
      (await cache.get(a!))!.release(); // a is now the most recently used
      await cache.put(c!, smallBuild(3));
      expect(await cache.get(b!)).toBeNull();
      const found = (await cache.get(a!))!;
      expect((await readFile(found.artifacts[0]!.file))[0]).toBe(1);
      found.release();
      (await cache.get(c!))!.release();
      expect(cache.size).toEqual({ entries: 2, bytes: 2000 });
      const reopened = await CompileCache.open(dir, 2500);
      expect(reopened.size).toEqual({ entries: 2, bytes: 2000 });
    }));
});
