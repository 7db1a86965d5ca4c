import type { LanguageSet, LanguageSpec } from '../languages/registry.js';
import type { Program } from '../runs/program.js';
import { PackageError } from './package-error.js';
import { filesUnder, textOf, type PackageFiles } from './package-files.js';

/**
 * The programs of a package (its example submissions, its output validator): each a file,
 * or a folder of files, whose language is told by the files' endings. runbox runs them as
 * it runs any program of that language (a folder compiles every source in it).
 */

export interface PackageProgram {
  /** its path in the package: submissions/accepted/fast.cpp */
  path: string;
  language: LanguageSpec;
  program: Program;
}

/** Each program directly in `dir/`, in name order; `skipped` says which and why not. */
export function programsIn(pkg: PackageFiles, dir: string, languages: LanguageSet): { programs: PackageProgram[]; skipped: string[] } {
  const byProgram = new Map<string, [string, Buffer][]>();
  for (const [name, data] of filesUnder(pkg, dir)) {
    const slash = name.indexOf('/');
    const key = slash < 0 ? name : name.slice(0, slash);
    const inside = slash < 0 ? name : name.slice(slash + 1);
    byProgram.set(key, [...(byProgram.get(key) ?? []), [inside, data]]);
  }
  const programs: PackageProgram[] = [];
  const skipped: string[] = [];
  for (const [key, files] of [...byProgram.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const path = `${dir}/${key}`;
    if (files.some(([name]) => name === 'build' || name === 'run')) {
      skipped.push(`${path}: build and run scripts are not supported`);
      continue;
    }
    const found = languageOf(files.map(([name]) => name), languages);
    if (!found) {
      skipped.push(`${path}: no language runbox offers here has its files' endings`);
      continue;
    }
    const texts = files.map(([name, data]) => ({ name, content: textOf(`${path}${files.length > 1 || name !== key ? `/${name}` : ''}`, data) }));
    // the format tells Python 2 from 3 by the shebang; runbox runs Python 3 only
    if (found.sourceExtensions.includes('.py') && texts.some((f) => f.name.endsWith('.py') && /^#!.*python2/.test(f.content))) {
      skipped.push(`${path}: Python 2 (its shebang), which runbox does not run`);
      continue;
    }
    const entry = entryOf(found, texts, key);
    programs.push({ path, language: found, program: { files: [entry, ...texts.filter((f) => f !== entry)], entry } });
  }
  return { programs, skipped };
}

/** The one language whose source endings the files have (Python 2 is not offered: .py is Python 3). */
function languageOf(names: readonly string[], languages: LanguageSet): LanguageSpec | null {
  const matches = languages.all.filter((lang) => names.some((n) => lang.sourceExtensions.some((ext) => n.endsWith(ext))));
  // a C++ folder may hold .h headers, a C one too: the language with the most files wins
  const count = (lang: LanguageSpec) => names.filter((n) => lang.sourceExtensions.some((ext) => n.endsWith(ext))).length;
  return [...matches].sort((a, b) => count(b) - count(a))[0] ?? null;
}

/** The file the runtime starts: the one named like the program, else one with a main, else the first source. */
function entryOf(language: LanguageSpec, files: { name: string; content: string }[], key: string) {
  const sources = files.filter((f) => language.sourceExtensions.some((ext) => f.name.endsWith(ext)));
  const base = key.replace(/\.[^.]+$/, '');
  return (
    sources.find((f) => f.name.replace(/\.[^.]+$/, '') === base) ??
    sources.find((f) => /\bmain\s*\(|__name__\s*==|public\s+static\s+void\s+main|^fn main|^func main/m.test(f.content)) ??
    sources[0]!
  );
}

/** The runbox status a submissions/ folder expects. */
export const EXPECTED_STATUS: Record<string, readonly string[]> = {
  accepted: ['accepted'],
  partially_accepted: ['accepted'],
  wrong_answer: ['wrong_answer'],
  time_limit_exceeded: ['timeout'],
  // a crash, and (as Kattis counts it) running out of memory or output
  run_time_error: ['runtime_error', 'memory_limit', 'output_limit'],
};

export function submissionsOf(pkg: PackageFiles, languages: LanguageSet): { programs: (PackageProgram & { expected: string })[]; skipped: string[] } {
  const programs: (PackageProgram & { expected: string })[] = [];
  const skipped: string[] = [];
  for (const expected of Object.keys(EXPECTED_STATUS)) {
    const found = programsIn(pkg, `submissions/${expected}`, languages);
    programs.push(...found.programs.map((p) => ({ ...p, expected })));
    skipped.push(...found.skipped);
  }
  if (![...pkg.files.keys()].some((n) => n.startsWith('submissions/accepted/'))) throw new PackageError('submissions/accepted', 'is missing: a package needs at least one accepted solution');
  return { programs, skipped };
}
