import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config.js';
import type { LanguageSet } from '../languages/registry.js';
import type { Logger } from '../log.js';
import type { ProblemInput } from '../protocol.js';
import type { Problem, Store } from '../store/store.js';
import { loadPackage } from './load-package.js';
import { readOwnPackageSync, textOf } from './package-files.js';
import { readProblemYaml } from './problem-yaml.js';
import { readTestData } from './test-data.js';

/**
 * The problems a fresh install ships with: problem packages in the repository's problems/
 * folder. The schema's seed step (migrations.ts, step 2) inserts them as it always did, in
 * the JSON API's shape (their Markdown statement, their tests); at start, each one still as
 * seeded (no admin changed it) is imported from its package the way any package is, which
 * gives it its HTML statement, groups and validator. An admin's edit or deletion stays.
 */

export const BUNDLED_PROBLEMS_DIR = fileURLToPath(new URL('../../../problems/', import.meta.url));

function bundledNames(dir = BUNDLED_PROBLEMS_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** A bundled package as the seed step inserts it (no pandoc, no runs: plain reading). */
function seedOf(name: string, dir: string): ProblemInput {
  const pkg = readOwnPackageSync(path.join(dir, name));
  const metadata = readProblemYaml(textOf('problem.yaml', pkg.files.get('problem.yaml')!));
  const statement = textOf('problem_statement/problem.en.md', pkg.files.get('problem_statement/problem.en.md')!).replace(/^#\s+.+\n+/, '').trimEnd();
  return {
    slug: name,
    title: String(metadata.name),
    statement,
    timeLimitMs: Math.round(Number(pkg.files.get('.timelimit')!.toString().trim()) * 1000),
    memoryLimitMb: metadata.limits.memory!,
    tests: readTestData(pkg).tests.map((t) => ({ input: t.input, expected: t.answer, hidden: !t.sample })),
  };
}

export function bundledSeeds(dir = BUNDLED_PROBLEMS_DIR): ProblemInput[] {
  return bundledNames(dir).map((name) => seedOf(name, dir));
}

/** Each bundled problem still exactly as seeded, imported from its package (see the top of this file). */
export async function importSeededPackages(store: Store, config: Config, languages: LanguageSet, logger: Logger, dir = BUNDLED_PROBLEMS_DIR): Promise<string[]> {
  const imported: string[] = [];
  for (const seed of bundledSeeds(dir)) {
    const stored = await store.getProblem(seed.slug);
    if (!stored || stored.package !== null || !asSeeded(stored, seed)) continue;
    const loaded = await loadPackage(readOwnPackageSync(path.join(dir, seed.slug)), config, languages);
    await store.putProblem({ ...loaded.problem, timeLimitMs: loaded.timeLimitMs ?? seed.timeLimitMs });
    imported.push(seed.slug);
  }
  if (imported.length) logger.info('seeded problems imported from their packages', { problems: imported });
  return imported;
}

function asSeeded(stored: Problem, seed: ProblemInput): boolean {
  return (
    stored.title === seed.title &&
    stored.statement === seed.statement &&
    stored.timeLimitMs === seed.timeLimitMs &&
    stored.memoryLimitMb === seed.memoryLimitMb &&
    stored.tests.length === seed.tests.length &&
    stored.tests.every((t, i) => t.input === seed.tests[i]!.input && t.expected === seed.tests[i]!.expected && t.hidden === seed.tests[i]!.hidden)
  );
}
