import { randomUUID } from 'node:crypto';
import type { LanguageSpec } from '../languages/registry.js';
import type { ExecuteResponse, JudgeGroupResult, JudgeResponse, JudgeStatus, JudgeTestResult } from '../protocol.js';
import type { CachedBuild } from '../runs/compile-cache.js';
import type { Program } from '../runs/program.js';
import { RunCancelledError } from '../runs/run-service.js';
import type { StoredPackage } from '../problems/stored-package.js';
import type { PackageGroup } from '../problems/test-data.js';
import type { Problem, ProblemTest } from '../store/store.js';
import { judgeAnswer, testLimits, type JudgeEnv } from './judge-env.js';
import { OutputValidator, ValidatorUnavailableError, type Verdict } from './output-validator.js';

/**
 * Judging a problem imported from a package, as the format defines it: tests in the
 * package's order (samples first), each run's output judged by the package's validator
 * (or the default one with its flags); at the first rejection judging stops (a group's
 * `on_reject: break`, the default) or goes on (`continue`). Groups are graded by the
 * default grader: a verdict mode (worst_error, first_error, always_accept,
 * accept_if_any_accepted) and, for a scoring problem, a score mode (sum, avg, min, max).
 */
export async function judgePackaged(problem: Problem, pkg: StoredPackage, language: LanguageSpec, program: Program, env: JudgeEnv): Promise<JudgeResponse> {
  const { runs, config, signal } = env;
  const id = randomUUID();
  const limits = testLimits(problem, config);
  const validator = new OutputValidator(pkg, env);
  const groups = new Map(pkg.groups.map((g) => [g.path, g]));
  let build: CachedBuild | undefined;
  let compile: ExecuteResponse['compile'] = null;
  const tests: JudgeTestResult[] = [];
  /** groups (a scoring problem's) whose rest is skipped after a rejection in them */
  const skipped = new Set<string>();
  for (const [i, test] of problem.tests.entries()) {
    if (signal?.aborted) throw new RunCancelledError('the client went away');
    const group = groups.get(test.group ?? '');
    if ([...skipped].some((g) => test.group === g || test.group?.startsWith(`${g}/`))) continue;
    const request = { language, program, stdin: test.input, args: [], limits, build };
    const hooks = { onBuilt: (b: CachedBuild) => (build = b), signal };
    // the first test is admitted like any run; the others belong to the same submission
    const admitted = { admitted: i > 0 };
    let run: ExecuteResponse;
    let verdict: Verdict;
    try {
      if (validator.interactive) {
        ({ run, verdict } = await validator.interact(test, group, (stdin, onStdout, onStarted) =>
          runs.execute({ ...request, stdin }, { ...hooks, onStarted, onOutput: (chunk) => chunk.stream === 'stdout' && onStdout(chunk.text) }, admitted),
        ));
      } else {
        run = await runs.execute(request, hooks, admitted);
        verdict = run.status === 'ok' ? await validator.check(test, group, run.stdout) : { status: run.status === 'killed' ? 'internal_error' : run.status };
      }
    } catch (err) {
      if (!(err instanceof ValidatorUnavailableError)) throw err;
      env.logger.error('judge: the output validator cannot run', { problem: problem.slug, error: err.message });
      tests.push({ index: i + 1, hidden: test.hidden, status: 'internal_error', timeMs: 0, memoryKb: null, ...(test.group ? { group: test.group } : {}) });
      break;
    }
    env.onTestRun?.(run);
    compile ??= run.compile;
    if (run.status === 'compile_error') break;
    tests.push(testResult(i + 1, test, run, verdict, group, pkg));
    if (verdict.status !== 'accepted' && (group?.onReject ?? 'break') === 'break') {
      if (pkg.type === 'pass-fail') break;
      skipped.add(test.group ?? '');
    }
  }
  const graded = gradeGroups(pkg, problem.tests, tests);
  const failed = tests.find((t) => t.status !== 'accepted');
  const status: JudgeStatus = compile && compile.status !== 'ok' ? 'compile_error' : pkg.type === 'scoring' ? graded.status : (failed?.status ?? 'accepted');
  return {
    ...judgeAnswer(id, problem, language.id, status, compile, tests),
    groups: graded.groups,
    ...(pkg.type === 'scoring' && status !== 'compile_error' ? { score: graded.score } : {}),
  };
}

function testResult(index: number, test: ProblemTest, run: ExecuteResponse, verdict: Verdict, group: PackageGroup | undefined, pkg: StoredPackage): JudgeTestResult {
  const score = pkg.type === 'scoring' ? (verdict.status === 'accepted' ? (verdict.score ?? group?.acceptScore ?? 1) : (group?.rejectScore ?? 0)) : undefined;
  const measured: JudgeTestResult = {
    index,
    hidden: test.hidden,
    status: verdict.status,
    timeMs: run.timeMs,
    memoryKb: run.memoryKb,
    ...(test.group ? { group: test.group } : {}),
    ...(score !== undefined ? { score } : {}),
  };
  // a hidden test's answer never reaches the author: only what a custom validator chose to tell (teammessage.txt)
  const message = test.hidden ? (pkg.validation.kind === 'custom' ? verdict.message : undefined) : verdict.message;
  if (message) measured.message = message;
  if (test.hidden) return measured;
  // an interactive sample's files are the validator's, not the author's to see
  const shown = pkg.validation.kind === 'custom' && pkg.validation.interactive ? {} : { input: test.input, expected: test.expected };
  return { ...measured, ...(test.name ? { name: test.name } : {}), ...shown, stdout: run.stdout, stderr: run.stderr };
}

/** The default grader's verdict priority (worst_error): the first of these found wins. */
const WORST_FIRST: JudgeStatus[] = ['internal_error', 'runtime_error', 'memory_limit', 'timeout', 'output_limit', 'wrong_answer', 'compile_error'];

interface Graded {
  status: JudgeStatus;
  score: number;
  judged: number;
}

/** Every group's verdict and score from its tests and subgroups, bottom up; the root's is the submission's (scoring problems). */
function gradeGroups(pkg: StoredPackage, all: readonly ProblemTest[], results: readonly JudgeTestResult[]): { status: JudgeStatus; score: number; groups: JudgeGroupResult[] } {
  const byIndex = new Map(results.map((r) => [r.index, r]));
  const out: JudgeGroupResult[] = [];
  const totals = new Map<string, { passed: number; total: number }>();
  const grade = (path: string): Graded => {
    const group = pkg.groups.find((g) => g.path === path);
    const flags = group?.graderFlags ?? [];
    // the direct items, in name order: tests of this folder and its subfolders
    const items: Graded[] = [];
    const children = pkg.groups.filter((g) => g.path !== path && g.path.startsWith(path ? `${path}/` : '') && !g.path.slice(path ? path.length + 1 : 0).includes('/'));
    const direct = all.map((t, i) => ({ t, i })).filter(({ t }) => (t.group ?? '') === path);
    const entries: { key: string; grade: () => Graded | null }[] = [
      ...direct.map(({ t, i }) => ({
        key: t.name ?? String(i),
        grade: () => {
          const r = byIndex.get(i + 1);
          return r ? { status: r.status, score: r.score ?? 0, judged: 1 } : null;
        },
      })),
      ...children.map((g) => ({ key: g.path, grade: () => grade(g.path) })),
    ].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const entry of entries) {
      const graded = entry.grade();
      if (graded && graded.judged > 0) items.push(graded);
    }
    const inside = all.filter((t) => (t.group ?? '') === path || (t.group ?? '').startsWith(path ? `${path}/` : ''));
    totals.set(path, { passed: results.filter((r) => inside.some((t) => all.indexOf(t) + 1 === r.index) && r.status === 'accepted').length, total: inside.length });
    const considered = path === '' && flags.includes('ignore_sample') ? items.slice(1) : items;
    const result = { status: verdictOf(considered, flags), score: scoreOf(considered, flags), judged: items.reduce((n, g) => n + g.judged, 0) };
    if (path !== '' && result.judged > 0) out.push({ name: path, status: result.status, ...totals.get(path)!, ...(pkg.type === 'scoring' ? { score: result.score } : {}) });
    return result;
  };
  const root = grade('');
  // groups in the order judged: parents before their subgroups, as the package lists them
  const order = new Map(pkg.groups.map((g, i) => [g.path, i]));
  out.sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0));
  return { status: root.status, score: root.score, groups: out };
}

function verdictOf(items: readonly Graded[], flags: readonly string[]): JudgeStatus {
  if (items.length === 0) return 'accepted';
  const mode = [...flags].reverse().find((f) => f === 'worst_error' || f === 'first_error' || f === 'always_accept') ?? 'worst_error';
  if (mode === 'always_accept') return 'accepted';
  if (flags.includes('accept_if_any_accepted') && items.some((i) => i.status === 'accepted')) return 'accepted';
  const rejected = items.filter((i) => i.status !== 'accepted');
  if (rejected.length === 0) return 'accepted';
  if (mode === 'first_error') return rejected[0]!.status;
  return WORST_FIRST.find((s) => rejected.some((i) => i.status === s)) ?? rejected[0]!.status;
}

function scoreOf(items: readonly Graded[], flags: readonly string[]): number {
  if (items.length === 0) return 0;
  const mode = [...flags].reverse().find((f) => f === 'sum' || f === 'avg' || f === 'min' || f === 'max') ?? 'sum';
  const scores = items.map((i) => i.score);
  if (mode === 'min') return Math.min(...scores);
  if (mode === 'max') return Math.max(...scores);
  const sum = scores.reduce((a, b) => a + b, 0);
  return mode === 'avg' ? sum / scores.length : sum;
}
