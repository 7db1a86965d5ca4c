import type { InputValidation, JudgeResponse, JudgeStatus, SolutionReport, VerifyReport } from '../protocol.js';
import type { CachedBuild } from '../runs/compile-cache.js';
import { judgeSubmission, type JudgeEnv } from '../judge/judge.js';
import type { Problem, Store } from '../store/store.js';
import type { LoadedPackage } from './load-package.js';
import { EXPECTED_STATUS } from './package-programs.js';

/**
 * A package checked the way problemtools' verifyproblem checks it: the time limit settled
 * (the package's .timelimit, or the slowest accepted solution's CPU time times
 * limits.time_multiplier, rounded up to a whole second), then every example submission
 * judged under it, each passing when its verdict is the one its folder names.
 */

export type { InputValidation, SolutionReport, VerifyReport } from '../protocol.js';

/** The loaded package as the judge takes it, under `timeLimitMs`. */
export function asProblem(loaded: LoadedPackage, timeLimitMs: number): Problem {
  const { problem } = loaded;
  const hidden = problem.tests.filter((t) => t.hidden).length;
  return { ...problem, timeLimitMs, sampleCount: problem.tests.length - hidden, hiddenCount: hidden };
}

/** An accepted solution judged to measure the limit: its answer, and its slowest test's CPU time. */
interface Measured {
  result: JudgeResponse;
  cpuMs: number;
}

/**
 * The time limit from the accepted solutions when the package gives none (problemtools'
 * rule), measured under the server's largest limit. An accepted solution not accepted
 * there is left out of the measure (and reported as failing), never the end of it.
 */
export async function settleTimeLimit(loaded: LoadedPackage, env: JudgeEnv): Promise<{ timeLimitMs: number; measured: Map<string, Measured> }> {
  const measured = new Map<string, Measured>();
  if (loaded.timeLimitMs !== null) return { timeLimitMs: loaded.timeLimitMs, measured };
  const generous = asProblem(loaded, env.config.runCpuMs);
  let slowest = 0;
  for (const solution of loaded.submissions.filter((s) => s.expected === 'accepted')) {
    let cpuMs = 0;
    const result = await judgeSubmission(generous, solution.language, solution.program, { ...env, onTestRun: (run) => (cpuMs = Math.max(cpuMs, run.cpuTimeMs ?? run.timeMs)) });
    measured.set(solution.path, { result, cpuMs });
    if (result.status === 'accepted') slowest = Math.max(slowest, cpuMs);
  }
  if (![...measured.values()].some((m) => m.result.status === 'accepted')) {
    const [path, first] = [...measured.entries()][0]!;
    throw new AcceptedRejectedError(path, first.result.status, env.config.runCpuMs);
  }
  const multiplier = loaded.metadata.limits.time_multiplier;
  const seconds = Math.max(1, Math.ceil((slowest * multiplier) / 1000));
  return { timeLimitMs: Math.min(seconds * 1000, env.config.runCpuMs), measured };
}

export async function verifyPackage(loaded: LoadedPackage, env: JudgeEnv, onSolution?: (report: SolutionReport) => void): Promise<VerifyReport> {
  const inputValidation = await validateInputs(loaded, env);
  const { timeLimitMs, measured } = await settleTimeLimit(loaded, env);
  const problem = asProblem(loaded, timeLimitMs);
  const solutions: SolutionReport[] = [];
  for (const solution of loaded.submissions) {
    // an accepted solution measured for the limit is not judged again (as problemtools): within the
    // limit its verdict stands, and judging it twice could only let timing noise flip it
    const earlier = measured.get(solution.path);
    const reuse = earlier && (earlier.result.status !== 'accepted' || earlier.cpuMs <= timeLimitMs);
    const result = reuse ? earlier.result : await judgeSubmission(problem, solution.language, solution.program, env);
    const expected = EXPECTED_STATUS[solution.expected]!;
    const report: SolutionReport = {
      path: solution.path,
      language: solution.language.id,
      expected: solution.expected,
      status: result.status,
      slowestMs: reuse ? earlier.cpuMs : result.timeMs,
      limitMs: timeLimitMs,
      passed: expected.includes(result.status),
      ...(result.score !== undefined ? { score: result.score } : {}),
    };
    solutions.push(report);
    onSolution?.(report);
  }
  if (problem.package?.type === 'scoring') scoreChecks(solutions);
  const passed = solutions.filter((s) => s.passed).length;
  return {
    slug: loaded.problem.slug,
    inputValidation,
    timeLimitMs,
    timeLimitFrom: loaded.problem.package.timeLimitFrom,
    solutions,
    passed,
    failed: solutions.length - passed,
    warnings: loaded.warnings,
  };
}

/** Verified, then stored (all or nothing): a package whose accepted solutions are not all accepted never goes live. */
export async function importVerified(loaded: LoadedPackage, env: JudgeEnv & { store: Store }, onSolution?: (report: SolutionReport) => void) {
  const report = await verifyPackage(loaded, env, onSolution);
  if (report.inputValidation.failed.length > 0) {
    const [first] = report.inputValidation.failed;
    return { report, outcome: null, refused: `${report.inputValidation.failed.length} test inputs are not valid (${first!.test}: ${first!.validator}: ${first!.message})` };
  }
  const rejected = report.solutions.filter((s) => s.expected === 'accepted' && !s.passed);
  if (rejected.length > 0) return { report, outcome: null, refused: `accepted solutions not accepted: ${rejected.map((s) => `${s.path} (${s.status})`).join(', ')}` };
  const problem = asProblem(loaded, report.timeLimitMs);
  const { sampleCount: _s, hiddenCount: _h, ...write } = problem;
  const outcome = await env.store.putProblem(write);
  return { report, outcome, refused: null };
}

/** An accepted solution that is not accepted even under the server's largest time limit. */
export class AcceptedRejectedError extends Error {
  constructor(
    readonly path: string,
    readonly status: JudgeStatus,
    limitMs: number,
  ) {
    super(`no accepted solution is accepted, even under ${limitMs} ms of CPU (the server's largest limit): ${path} was ${status}`);
  }
}

/**
 * A scoring problem's folders say more than a verdict: accepted/ solutions all reach the
 * best score any of them gets, partially_accepted/ ones are accepted below it.
 */
function scoreChecks(solutions: SolutionReport[]): void {
  const best = Math.max(...solutions.filter((s) => s.expected === 'accepted').map((s) => s.score ?? 0));
  for (const s of solutions) {
    if (s.expected === 'accepted' && s.passed && (s.score ?? 0) < best) s.passed = false;
    if (s.expected === 'partially_accepted' && s.passed && (s.score ?? 0) >= best) s.passed = false;
  }
}

/** Each input validator on every test's input, as problemtools checks test data: it exits 42 for a valid input. */
async function validateInputs(loaded: LoadedPackage, env: JudgeEnv): Promise<InputValidation> {
  const failed: InputValidation['failed'] = [];
  let checked = 0;
  const { limits } = loaded.metadata;
  for (const validator of loaded.inputValidators) {
    let build: CachedBuild | undefined;
    for (const test of loaded.problem.tests) {
      const result = await env.runs.execute(
        {
          language: validator.language,
          program: validator.program,
          stdin: test.input,
          args: [],
          limits: {
            timeMs: Math.min((limits.validation_time ?? 60) * 1000, env.config.runTimeMs),
            cpuTimeMs: Math.min((limits.validation_time ?? 60) * 1000, env.config.runCpuMs),
            memoryMb: Math.min(limits.validation_memory ?? 2048, env.config.runMemoryMb),
            processes: env.config.runProcesses,
            outputKb: env.config.outputKb,
          },
          build,
        },
        { onBuilt: (b) => (build = b) },
      );
      checked++;
      if (result.compile && result.compile.status !== 'ok') {
        failed.push({ test: `data/${test.name}.in`, validator: validator.path, message: `does not compile: ${result.compile.output.slice(0, 500)}` });
        break;
      }
      if (result.exitCode !== 42) {
        const said = (result.stdout + result.stderr).trim().slice(0, 500);
        failed.push({ test: `data/${test.name}.in`, validator: validator.path, message: `exited ${result.exitCode ?? result.status}${said ? `: ${said}` : ''}` });
      }
    }
  }
  return { validators: loaded.inputValidators.map((v) => v.path), checked, failed };
}
