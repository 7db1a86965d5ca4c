import type { Config } from '../config.js';
import type { LanguageSet } from '../languages/registry.js';
import type { Logger } from '../log.js';
import type { CompileResult, ExecuteResponse, JudgeResponse, JudgeStatus, JudgeTestResult } from '../protocol.js';
import type { RunLimits } from '../runs/run.js';
import type { RunService } from '../runs/run-service.js';
import type { Problem } from '../store/store.js';

/** What judging needs of the server. */
export interface JudgeEnv {
  runs: RunService;
  config: Config;
  logger: Logger;
  languages: LanguageSet;
  signal?: AbortSignal;
  onTestRun?: (run: ExecuteResponse) => void;
}

/** A problem's limits for one test run, under the server's maxima (a package's output limit may be above the API's). */
export function testLimits(problem: Problem, config: Config): RunLimits {
  // a package's time limit is CPU time, as Kattis and DOMjudge judge it; the wall clock
  // only stops a program that sleeps or waits (twice the limit, at least a second more)
  const wallMs = problem.package ? Math.max(2 * problem.timeLimitMs, problem.timeLimitMs + 1000) : problem.timeLimitMs;
  return {
    timeMs: Math.min(wallMs, config.runTimeMs),
    cpuTimeMs: Math.min(problem.timeLimitMs, config.runCpuMs),
    memoryMb: Math.min(problem.memoryLimitMb, config.runMemoryMb),
    processes: config.runProcesses,
    outputKb: problem.package ? problem.package.outputLimitKb : config.outputKb,
  };
}


/** A judge answer's common part: the tests judged, counted and measured (the slowest, the largest). */
export function judgeAnswer(
  id: string,
  problem: Problem,
  language: string,
  status: JudgeStatus,
  compile: CompileResult | null,
  tests: JudgeTestResult[],
): JudgeResponse {
  const memory = tests.map((t) => t.memoryKb).filter((m): m is number => m !== null);
  return {
    id,
    problem: problem.slug,
    language,
    status,
    passed: tests.filter((t) => t.status === 'accepted').length,
    total: problem.tests.length,
    timeMs: Math.max(0, ...tests.map((t) => t.timeMs)),
    memoryKb: memory.length ? Math.max(...memory) : null,
    compile,
    tests,
  };
}
