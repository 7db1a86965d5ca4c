import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { pathExists } from '../util/fs.js';
import type { LanguageSpec } from './registry.js';

/** A prepared compiler cache: where it lies (root's, read-only) and where a run's copy goes below its home. */
export interface PreparedBuildCache {
  /** the home-relative directory the compiler uses as its cache */
  dir: string;
  /** the prepared tree: directories and regular files only */
  source: string;
  /** its directories that hold something, parents first, and its files: relative paths, listed once here rather than walked per run */
  dirs: readonly string[];
  files: readonly string[];
}

/**
 * Compiler caches made once per toolchain version (Go's build cache, which a first build
 * otherwise starts cold: ~100 ms more of every first Go run). The language's own compile
 * of its `buildCache.sample`, in a scratch home with the language's environment, fills
 * `buildCache.dir`; that tree is kept read-only beside the compiler archives, and each
 * compile gets a copy of it in its home (run.ts). A copy, not a shared mount: a run may
 * rewrite its cache as it likes, and no run ever reads what another could write. The
 * sample is the language file's own (trusted) code, compiled as it is in the image build.
 * A cache that cannot be made only costs speed.
 */
export async function prepareBuildCaches(
  languages: readonly LanguageSpec[],
  toolchains: Readonly<Record<string, string | null>>,
  dir: string,
  sandboxPath: string,
): Promise<Record<string, PreparedBuildCache | null>> {
  const caches: Record<string, PreparedBuildCache | null> = {};
  await mkdir(dir, { recursive: true, mode: 0o755 });
  for (const lang of languages) {
    const recipe = lang.buildCache;
    const banner = toolchains[lang.id];
    if (!recipe || !lang.compile || !banner) continue;
    const hash = createHash('sha256').update(banner).update('\0').update(recipe.sample).digest('hex').slice(0, 16);
    const target = path.join(dir, `${lang.id}-build-cache-${hash}`);
    if (await pathExists(target)) {
      caches[lang.id] = { dir: recipe.dir, source: target, ...(await listTree(target)) };
      continue;
    }
    const home = await mkdtemp(path.join(os.tmpdir(), 'runbox-build-cache-'));
    try {
      await writeFile(path.join(home, recipe.sampleFile), recipe.sample);
      const command = lang.compile({ file: recipe.sampleFile, code: recipe.sample, sources: [recipe.sampleFile], memoryMb: 1024 });
      const env = { PATH: sandboxPath, HOME: home, ...lang.env(home) };
      const result = await execa(command[0]!, command.slice(1), { cwd: home, env, extendEnv: false, reject: false, timeout: 120000 });
      const made = path.join(home, recipe.dir);
      if (result.exitCode !== 0 || !(await pathExists(made))) {
        caches[lang.id] = null;
        continue;
      }
      await sealTree(made);
      const partial = `${target}.partial-${process.pid}`;
      await rm(partial, { recursive: true, force: true });
      await rename(made, partial).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EXDEV') throw err;
        await execa('cp', ['-a', made, partial]); // the scratch home is on another filesystem
      });
      await rename(partial, target);
      caches[lang.id] = { dir: recipe.dir, source: target, ...(await listTree(target)) };
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  }
  return caches;
}

/** Leaves a tree of directories and regular files only (anything else is removed), root's and read-only to everyone else. */
async function sealTree(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const entry = path.join(dir, name);
    const stat = await lstat(entry);
    if (stat.isDirectory()) await sealTree(entry);
    else if (stat.isFile()) await chmod(entry, 0o444);
    else await rm(entry, { force: true });
  }
  await chmod(dir, 0o555);
}

/** The non-empty directories (parents first) and the regular files of a sealed tree, relative to it. */
async function listTree(root: string, below = ''): Promise<{ dirs: string[]; files: string[] }> {
  const dirs: string[] = [];
  const files: string[] = [];
  for (const entry of await readdir(path.join(root, below), { withFileTypes: true })) {
    const name = below ? `${below}/${entry.name}` : entry.name;
    if (entry.isFile()) files.push(name);
    else if (entry.isDirectory()) {
      const inner = await listTree(root, name);
      // an empty one is left to the compiler, which makes what it needs (go: its 256 buckets)
      if (inner.files.length === 0) continue;
      dirs.push(name, ...inner.dirs);
      files.push(...inner.files);
    }
  }
  return { dirs, files };
}
