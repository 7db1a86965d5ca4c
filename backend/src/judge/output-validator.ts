import { PassThrough } from 'node:stream';
import type { Config } from '../config.js';
import type { LanguageSet, LanguageSpec } from '../languages/registry.js';
import type { ExecuteResponse, JudgeStatus } from '../protocol.js';
import type { CachedBuild } from '../runs/compile-cache.js';
import type { Program } from '../runs/program.js';
import type { RunLimits, RunRequest } from '../runs/run.js';
import type { RunService } from '../runs/run-service.js';
import { compareOutput, parseDefaultValidatorFlags } from '../problems/default-validator.js';
import type { OutputValidation, StoredPackage } from '../problems/stored-package.js';
import type { PackageGroup } from '../problems/test-data.js';
import type { ProblemTest } from '../store/store.js';

/**
 * A package's output validation, test by test: the default validator (a token diff with the
 * package's flags), or the package's own validator program run in a jail of its own, as the
 * format invokes it:
 *
 *   validator judge_input judge_answer feedback/ [flags] < submission's output
 *
 * exit 42: accepted, 43: wrong answer, anything else: the validator failed (a judge error).
 * It is compiled once per judging (its build reused for every test). An interactive
 * validator runs beside the submission, their stdin and stdout joined by pipes.
 */

export interface Verdict {
  status: JudgeStatus;
  /** for the author: the validator's teammessage.txt, or the default validator's diff */
  message?: string;
  /** for the problem's admins (verify): judgemessage.txt, or why the validator failed */
  judgeMessage?: string;
  /** score.txt of a scoring problem's validator */
  score?: number;
}

export interface ValidatorEnv {
  runs: RunService;
  config: Config;
  languages: LanguageSet;
  signal?: AbortSignal;
}

const INPUT_FILE = 'judge_input';
const ANSWER_FILE = 'judge_answer';
const FEEDBACK_DIR = 'feedback';
const ACCEPTED = 42;
const WRONG_ANSWER = 43;

export class OutputValidator {
  private build: CachedBuild | undefined;
  private readonly custom: Extract<OutputValidation, { kind: 'custom' }> | null;
  private readonly language: LanguageSpec | null;

  constructor(
    private readonly pkg: StoredPackage,
    private readonly env: ValidatorEnv,
  ) {
    this.custom = pkg.validation.kind === 'custom' ? pkg.validation : null;
    this.language = this.custom ? (env.languages.find(this.custom.language) ?? null) : null;
  }

  get interactive(): boolean {
    return this.custom?.interactive ?? false;
  }

  /** The submission's output for `test`, judged. */
  async check(test: ProblemTest, group: PackageGroup | undefined, output: string): Promise<Verdict> {
    if (!this.custom) return this.defaultCheck(test, group, output);
    const { result, feedback } = await this.runValidator(test, group, output);
    return this.verdictOf(result, feedback);
  }

  /**
   * An interactive test: the submission and the validator started together, each one's
   * stdout the other's stdin. `startSubmission` gets the submission's stdin and the hook
   * that passes its output on; it resolves to the submission's run.
   */
  async interact(
    test: ProblemTest,
    group: PackageGroup | undefined,
    startSubmission: (stdin: PassThrough, onStdout: (text: string) => void, onStarted: () => void) => Promise<ExecuteResponse>,
  ): Promise<{ run: ExecuteResponse; verdict: Verdict }> {
    const toSubmission = new PassThrough();
    const toValidator = new PassThrough();
    let validatorDone: Promise<{ result: ExecuteResponse; feedback: Record<string, string> }> | null = null;
    // which ended first: each one's input is closed only once the other has ended, so the order is sure
    let submissionEnded = false;
    let validatorFirst = false;
    const startValidator = () =>
      (validatorDone ??= this.runValidator(test, group, toValidator, (text) => toSubmission.write(text)).finally(() => {
        if (!submissionEnded) validatorFirst = true;
        toSubmission.end();
      }));
    let run: ExecuteResponse;
    try {
      run = await startSubmission(toSubmission, (text) => toValidator.write(text), () => void startValidator());
    } finally {
      submissionEnded = true;
      toValidator.end();
    }
    const { result, feedback } = await startValidator();
    // as problemtools decides: the validator's word when it failed, or rejected before the submission
    // ended (which may then wait or crash on its closed input); else the submission's own failure
    // (a limit, a crash); else the validator's word
    const verdict = this.verdictOf(result, feedback);
    if (verdict.status === 'internal_error' || (verdict.status === 'wrong_answer' && validatorFirst)) return { run, verdict };
    if (run.status !== 'ok') return { run, verdict: { status: run.status === 'killed' ? 'internal_error' : run.status } };
    return { run, verdict };
  }

  private defaultCheck(test: ProblemTest, group: PackageGroup | undefined, output: string): Verdict {
    const flags = parseDefaultValidatorFlags([...(this.pkg.validation as { flags: string[] }).flags, ...(group?.outputValidatorFlags ?? [])]);
    if (typeof flags === 'string') return { status: 'internal_error', judgeMessage: `validator flags: ${flags}` };
    const compared = compareOutput(output, test.expected, flags);
    return compared.accepted ? { status: 'accepted' } : { status: 'wrong_answer', message: compared.message, judgeMessage: compared.message };
  }

  private async runValidator(
    test: ProblemTest,
    group: PackageGroup | undefined,
    stdin: string | PassThrough,
    onStdout?: (text: string) => void,
  ): Promise<{ result: ExecuteResponse; feedback: Record<string, string> }> {
    const custom = this.custom!;
    if (!this.language) throw new ValidatorUnavailableError(`the output validator's language (${custom.language}) is not offered by this server`);
    const [entry] = custom.files;
    const program: Program = { files: custom.files, entry: entry! };
    const { config } = this.env;
    const limits: RunLimits = {
      timeMs: this.pkg.validatorLimits.timeMs,
      cpuTimeMs: this.pkg.validatorLimits.timeMs,
      memoryMb: this.pkg.validatorLimits.memoryMb,
      processes: config.runProcesses,
      outputKb: Math.max(config.outputKb, this.pkg.outputLimitKb),
    };
    let feedback: Record<string, string> = {};
    const request: RunRequest = {
      language: this.language,
      program,
      stdin,
      args: [INPUT_FILE, ANSWER_FILE, `${FEEDBACK_DIR}/`, ...custom.flags, ...(group?.outputValidatorFlags ?? [])],
      limits,
      build: this.build,
      dataFiles: [
        { name: INPUT_FILE, content: test.input },
        { name: ANSWER_FILE, content: test.expected },
      ],
      collectDir: FEEDBACK_DIR,
    };
    const hooks = {
      onBuilt: (b: CachedBuild) => (this.build = b),
      onCollected: (files: Record<string, string>) => (feedback = files),
      signal: this.env.signal,
      ...(onStdout ? { onOutput: (chunk: { stream: string; text: string }) => chunk.stream === 'stdout' && onStdout(chunk.text) } : {}),
    };
    // an interactive validator runs beside the submission's slot; a plain one takes its turn like any run of the submission
    const result = onStdout ? await this.env.runs.executeCompanion(request, hooks) : await this.env.runs.execute(request, hooks, { admitted: true });
    if (result.compile && result.compile.status !== 'ok') {
      throw new ValidatorUnavailableError(`the output validator does not compile: ${result.compile.output.slice(0, 2000)}`);
    }
    return { result, feedback };
  }

  private verdictOf(result: ExecuteResponse, feedback: Record<string, string>): Verdict {
    const message = feedback['teammessage.txt']?.trim() || undefined;
    const judgeMessage = feedback['judgemessage.txt']?.trim() || undefined;
    const scoreText = feedback['score.txt']?.trim();
    const score = scoreText !== undefined && scoreText !== '' && Number.isFinite(Number(scoreText)) ? Number(scoreText) : undefined;
    if (result.exitCode === ACCEPTED && result.status !== 'timeout') return { status: 'accepted', message, judgeMessage, ...(score !== undefined ? { score } : {}) };
    if (result.exitCode === WRONG_ANSWER && result.status !== 'timeout') return { status: 'wrong_answer', message, judgeMessage };
    const why = result.status === 'ok' || result.status === 'runtime_error' ? `exited with ${result.exitCode ?? `signal ${result.signal}`}` : `ended with ${result.status}`;
    return { status: 'internal_error', judgeMessage: `the output validator ${why} (42 accepts, 43 rejects)${result.stderr ? `: ${result.stderr.slice(0, 1000)}` : ''}` };
  }
}

/** The package's validator cannot run here (does not compile, or its language is not offered): every submission would be a judge error. */
export class ValidatorUnavailableError extends Error {}
