import { randomUUID } from 'node:crypto';
import type { LanguageSpec } from '../languages/registry.js';
import type { CompileResult, ExecuteResponse, JudgeResponse, JudgeStatus, JudgeTestResult } from '../protocol.js';
import type { CachedBuild } from '../runs/compile-cache.js';
import type { Program } from '../runs/program.js';
import { RunCancelledError } from '../runs/run-service.js';
import type { Problem, ProblemTest } from '../store/store.js';
import { judged } from '../observability/metrics.js';
import { outputsMatch } from './compare.js';
import { judgePackaged } from './package-judge.js';
import { judgeAnswer, testLimits, type JudgeEnv } from './judge-env.js';

export type { JudgeEnv } from './judge-env.js';

/**
 * Judges code against every test of a problem: the first test's run compiles, the others
 * reuse that build; each test is a fresh sandbox run (own user, own jail) under the
 * problem's limits. Tests run one after another so one submission holds one slot (two at a
 * time measured slower on 2 cores: the runs then compete with creating their users).
 */
export async function judgeSubmission(problem: Problem, language: LanguageSpec, program: Program, env: JudgeEnv): Promise<JudgeResponse> {
  const response = problem.package ? await judgePackaged(problem, problem.package, language, program, env) : await judgePlain(problem, language, program, env);
  judged(language.id, response.status);
  // verdicts and sizes only: hidden tests' contents never reach the log
  env.logger.info('judge', { id: response.id, problem: problem.slug, language: language.id, status: response.status, passed: response.passed, total: response.total, timeMs: response.timeMs, memoryKb: response.memoryKb, ...(response.score !== undefined ? { score: response.score } : {}) });
  return response;
}

/** A problem made through the JSON API: every test judged, output compared as the judge always has. */
async function judgePlain(problem: Problem, language: LanguageSpec, program: Program, env: JudgeEnv): Promise<JudgeResponse> {
  const { runs, config, signal } = env;
  const id = randomUUID();
  const limits = testLimits(problem, config);
  let build: CachedBuild | undefined;
  let compile: CompileResult | null = null;
  const tests: JudgeTestResult[] = [];
  for (const [i, test] of problem.tests.entries()) {
    // the first test is admitted like any run; the others belong to the same submission
    if (signal?.aborted) throw new RunCancelledError('the client went away');
    const run = await runs.execute({ language, program, stdin: test.input, args: [], limits, build }, { onBuilt: (b) => (build = b), signal }, { admitted: i > 0 });
    env.onTestRun?.(run);
    compile ??= run.compile;
    if (run.status === 'compile_error') break;
    tests.push(testResult(i + 1, test, run));
  }
  const failed = tests.find((t) => t.status !== 'accepted');
  return judgeAnswer(id, problem, language.id, compile && compile.status !== 'ok' ? 'compile_error' : (failed?.status ?? 'accepted'), compile, tests);
}

function testResult(index: number, test: ProblemTest, run: ExecuteResponse): JudgeTestResult {
  // the judge never stops its runs with a RunStop, so none ends as `killed`
  const status: JudgeStatus = run.status === 'ok' ? (outputsMatch(run.stdout, test.expected) ? 'accepted' : 'wrong_answer') : run.status === 'killed' ? 'internal_error' : run.status;
  const measured = { index, hidden: test.hidden, status, timeMs: run.timeMs, memoryKb: run.memoryKb };
  if (test.hidden) return measured;
  return { ...measured, input: test.input, expected: test.expected, stdout: run.stdout, stderr: run.stderr };
}
