import type { Config } from '../config.js';
import type { LanguageSet } from '../languages/registry.js';
import { SLUG } from '../protocol.js';
import type { ProblemTest, ProblemWrite } from '../store/store.js';
import { parseDefaultValidatorFlags } from './default-validator.js';
import { PackageError } from './package-error.js';
import { textOf, type PackageFiles } from './package-files.js';
import { programsIn, submissionsOf, type PackageProgram } from './package-programs.js';
import { flagsOf, readProblemYaml, validationMode, type ProblemMetadata } from './problem-yaml.js';
import { renderStatement } from './statement.js';
import type { OutputValidation, StoredPackage } from './stored-package.js';
import { readTestData } from './test-data.js';

/**
 * A package read and checked, all of it, before anything is stored: problem.yaml, the
 * statement, data/, the output validator and the example submissions. The time limit is
 * the package's `.timelimit` when it has one; otherwise it is measured from the accepted
 * submissions (time-limit.ts) before the problem is stored.
 */
export interface LoadedPackage {
  /** the problem to store, its time limit still to settle when `timeLimitMs` is null */
  problem: Omit<ProblemWrite, 'timeLimitMs'> & { package: StoredPackage };
  timeLimitMs: number | null;
  metadata: ProblemMetadata;
  submissions: (PackageProgram & { expected: string })[];
  /** input_validators/ programs runbox can run (checktestdata and VIVA files are not) */
  inputValidators: PackageProgram[];
  /** what was left out and why (programs in languages not offered, include/ files) */
  warnings: string[];
}

/** The most tests a package may have: each is a run of every submission. */
export const PACKAGE_MAX_TESTS = 2000;
const MIB = 1024;

export async function loadPackage(pkg: PackageFiles, config: Config, languages: LanguageSet): Promise<LoadedPackage> {
  const metadata = readProblemYaml(pkg.files.has('problem.yaml') ? textOf('problem.yaml', pkg.files.get('problem.yaml')!) : undefined);
  const slug = pkg.name.toLowerCase();
  if (!SLUG.test(slug)) throw new PackageError(pkg.name, 'the package\'s name must be lowercase letters and digits (it becomes the problem\'s slug)');
  const mode = validationMode(metadata);
  const statement = await renderStatement(pkg);
  const data = readTestData(pkg);
  if (data.tests.length > PACKAGE_MAX_TESTS) throw new PackageError('data/', `has ${data.tests.length} test cases; runbox takes at most ${PACKAGE_MAX_TESTS}`);
  const warnings: string[] = [];
  if ([...pkg.files.keys()].some((n) => n.startsWith('include/'))) warnings.push('include/: files added to submissions are not supported; they were left out');
  if (metadata.validation.includes('score') && !mode.custom) throw new PackageError('problem.yaml', 'validation "score" needs a custom validator');

  const validation = outputValidation(pkg, metadata, mode, languages);
  const limits = metadata.limits;
  const capped = (asked: number | undefined, fallback: number, max: number, what: string) => {
    const value = asked ?? fallback;
    if (asked !== undefined && value > max) warnings.push(`limits.${what} ${value} is over this server's maximum: ${max} is used`);
    return Math.min(value, max);
  };
  const memoryLimitMb = capped(limits.memory, 2048, config.runMemoryMb, 'memory');
  const outputLimitKb = Math.round(capped(limits.output, 8, 64, 'output') * MIB);
  const timeLimitMs = readTimeLimit(pkg, config, warnings);
  const { programs: submissions, skipped } = submissionsOf(pkg, languages);
  warnings.push(...skipped);
  const validators = ['input_validators', 'input_format_validators'].map((dir) => programsIn(pkg, dir, languages));
  for (const v of validators) warnings.push(...v.skipped.map((w) => `${w} (the input is not checked by it)`));
  if (!submissions.some((s) => s.expected === 'accepted')) throw new PackageError('submissions/accepted', 'has no solution in a language this server offers: the time limit and the package cannot be checked');

  const name = typeof metadata.name === 'object' ? (metadata.name.en ?? Object.values(metadata.name)[0]) : metadata.name;
  const tests: ProblemTest[] = data.tests.map((t) => ({
    input: t.input,
    expected: t.answer,
    // an interactive sample's files are the validator's: shown as its interaction protocol instead
    hidden: !t.sample || mode.interactive,
    group: t.group,
    name: t.name,
  }));
  const stored: StoredPackage = {
    format: 'kattis-legacy',
    name: pkg.name,
    type: metadata.type,
    statementHtml: statement.html,
    validation,
    groups: data.groups,
    outputLimitKb,
    validatorLimits: {
      timeMs: capped(limits.validation_time !== undefined ? limits.validation_time * 1000 : undefined, 60_000, config.runTimeMs, 'validation_time (ms)'),
      memoryMb: capped(limits.validation_memory, 2048, config.runMemoryMb, 'validation_memory'),
    },
    timeLimitFrom: timeLimitMs !== null ? '.timelimit' : 'accepted submissions',
    interactions: data.interactions,
    source: metadata.source ?? null,
    sourceUrl: metadata.source_url ?? null,
    author: metadata.author ?? null,
    license: metadata.license,
    rightsOwner: metadata.rights_owner ?? null,
  };
  return {
    problem: {
      slug,
      title: (name ?? statement.title ?? slug).slice(0, 200),
      // the JSON API's Markdown statement: a Markdown package's own text; the page shows statementHtml
      statement: statement.markdown ?? `${name ?? statement.title ?? slug}: see the statement (${statement.file})`,
      memoryLimitMb,
      tests,
      package: stored,
    },
    timeLimitMs,
    metadata,
    submissions,
    inputValidators: validators.flatMap((v) => v.programs),
    warnings,
  };
}

function outputValidation(pkg: PackageFiles, metadata: ProblemMetadata, mode: ReturnType<typeof validationMode>, languages: LanguageSet): OutputValidation {
  const flags = flagsOf(metadata.validator_flags);
  if (!mode.custom) {
    const parsed = parseDefaultValidatorFlags(flags);
    if (typeof parsed === 'string') throw new PackageError('problem.yaml', `validator_flags: ${parsed}`);
    return { kind: 'default', flags };
  }
  const { programs, skipped } = programsIn(pkg, 'output_validators', languages);
  if (programs.length === 0) {
    throw new PackageError('output_validators/', skipped.length ? `has no validator runbox can run (${skipped.join('; ')})` : 'is missing: validation is custom');
  }
  if (programs.length > 1) throw new PackageError('output_validators/', `has ${programs.length} validators; runbox runs one (${programs.map((p) => p.path).join(', ')})`);
  const [validator] = programs;
  return { kind: 'custom', interactive: mode.interactive, language: validator!.language.id, files: validator!.program.files.map((f) => ({ name: f.name, content: String(f.content) })), flags };
}

/** `.timelimit` (seconds of CPU, as DOMjudge and the ICPC archives write it), in ms; null without one. */
function readTimeLimit(pkg: PackageFiles, config: Config, warnings: string[]): number | null {
  const file = pkg.files.get('.timelimit');
  if (!file) return null;
  const seconds = Number(file.toString('utf8').trim());
  if (!Number.isFinite(seconds) || seconds <= 0) throw new PackageError('.timelimit', 'must hold a number of seconds');
  const asked = Math.round(seconds * 1000);
  if (asked > config.runCpuMs) warnings.push(`.timelimit ${seconds} s is over this server's CPU maximum: ${config.runCpuMs} ms is used (RUNBOX_RUN_CPU_MS)`);
  return Math.min(asked, config.runCpuMs);
}
