import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { pathExists } from '../util/fs.js';
import type { LanguageSpec } from './registry.js';

/**
 * Startup archives for compilers that run on a VM, recorded once per toolchain version.
 * Run users read them (the JVM maps the file), so they live in a world-readable directory
 * and are read-only; a stale or missing archive only costs speed.
 */
export async function prepareCompilerArchives(
  languages: readonly LanguageSpec[],
  toolchains: Readonly<Record<string, string | null>>,
  dir: string,
  sandboxPath: string,
): Promise<Record<string, string | null>> {
  const archives: Record<string, string | null> = {};
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await chmod(dir, 0o755);
  for (const lang of languages) {
    const recipe = lang.compilerArchive;
    const banner = toolchains[lang.id];
    if (!recipe || !banner) continue;
    const archive = path.join(dir, `${lang.id}-${createHash('sha256').update(banner).digest('hex').slice(0, 16)}.jsa`);
    if (await pathExists(archive)) {
      archives[lang.id] = archive;
      continue;
    }
    const work = await mkdtemp(path.join(os.tmpdir(), 'runbox-archive-'));
    try {
      await writeFile(path.join(work, recipe.sampleFile), recipe.sample);
      const partial = `${archive}.partial-${process.pid}`;
      const result = await execa(recipe.command(partial)[0]!, recipe.command(partial).slice(1), { cwd: work, env: { PATH: sandboxPath }, extendEnv: false, reject: false, timeout: 120000 });
      if (result.exitCode !== 0 || !(await pathExists(partial))) {
        archives[lang.id] = null;
        continue;
      }
      await chmod(partial, 0o444);
      await rename(partial, archive);
      archives[lang.id] = archive;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
  return archives;
}
