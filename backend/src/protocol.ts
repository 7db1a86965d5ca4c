import { z } from 'zod';

/**
 * The wire protocol: every request body is a zod schema here, every response a type
 * here. The HTTP layer validates with these; clients and tests import the same types.
 */

/** `killed`: the client stopped the run (a live run's kill, or its connection closed). */
export const RUN_STATUSES = ['ok', 'compile_error', 'runtime_error', 'timeout', 'memory_limit', 'output_limit', 'internal_error', 'killed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** The server's maxima: a request may lower each, never raise it. */
export interface LimitMaxima {
  timeMs: number;
  cpuTimeMs: number;
  memoryMb: number;
  processes: number;
  outputKb: number;
}

const MAX_ARGS = 64;
const MAX_ARG_LENGTH = 4096;

function limit(max: number, unit: string) {
  return z
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .positive('must be greater than 0')
    .max(max, `must be at most ${max} ${unit} (the server maximum)`);
}

const language = () => z.string({ error: 'is required and must be a string' }).min(1, 'must not be empty').max(64);
const args = () =>
  z
    .array(
      z
        .string({ error: 'must be a string' })
        .max(MAX_ARG_LENGTH, `must be at most ${MAX_ARG_LENGTH} characters`)
        .refine((s) => !s.includes('\0'), 'must not contain NUL characters'),
      { error: 'must be an array of strings' },
    )
    .max(MAX_ARGS, `must have at most ${MAX_ARGS} entries`);

export function executeRequestSchema(maxima: LimitMaxima) {
  return z.strictObject({
    language: language(),
    code: z.string({ error: 'is required and must be a string' }),
    stdin: z.string({ error: 'must be a string' }).optional(),
    args: args().optional(),
    limits: z
      .strictObject(
        {
          timeMs: limit(maxima.timeMs, 'ms').optional(),
          cpuTimeMs: limit(maxima.cpuTimeMs, 'ms').optional(),
          memoryMb: limit(maxima.memoryMb, 'MB').optional(),
          processes: limit(maxima.processes, 'processes').optional(),
          outputKb: limit(maxima.outputKb, 'KB').optional(),
        },
        { error: 'must be an object' },
      )
      .optional(),
  });
}

export type ExecuteRequest = z.infer<ReturnType<typeof executeRequestSchema>>;

export const compileResultSchema = z.object({
  status: z.enum(['ok', 'compile_error', 'timeout', 'memory_limit', 'output_limit']),
  output: z.string(),
  exitCode: z.number().nullable(),
  timeMs: z.number(),
  /** The build came from the compile cache: the compiler did not run this time. */
  cached: z.boolean(),
});
export type CompileResult = z.infer<typeof compileResultSchema>;

/** A run's result: /api/execute's answer, a live run's `exit` message. Clients ignore fields they do not know. */
export const executeResponseSchema = z.object({
  id: z.string(),
  language: z.string(),
  status: z.enum(RUN_STATUSES),
  /** stdout and stderr interleaved in arrival order */
  output: z.string(),
  stdout: z.string(),
  stderr: z.string(),
  exitCode: z.number().nullable(),
  signal: z.string().nullable(),
  timeMs: z.number(),
  cpuTimeMs: z.number().nullable(),
  memoryKb: z.number().nullable(),
  truncated: z.boolean(),
  /**
   * The program was refused a process or thread: it reached `processLimit`. Its status stays
   * what its exit says (a program may handle the refusal), so this is the only sign of it.
   * Always false without a cgroup (RUNBOX_CGROUP=none): nothing counts the refusals then.
   */
  processLimitHit: z.boolean(),
  /** Processes and threads the program could have at once. */
  processLimit: z.number(),
  compile: compileResultSchema.nullable(),
  /** set when the run was kept in the visitor's history (the request carried X-Runbox-Visitor) */
  submissionId: z.string().optional(),
});
export type ExecuteResponse = z.infer<typeof executeResponseSchema>;

export interface PackageInfo {
  name: string;
  version: string | null;
}

/** A language this server offers (its toolchain was found at start). */
export interface LanguageInfo {
  id: string;
  name: string;
  version: string;
  aliases: string[];
  compiled: boolean;
  /** The playground's hello world. */
  template: string;
  /** A problem's starting code; `{title}` stands for the problem's title. */
  starter?: string;
  /** Monaco's language id. */
  monaco: string;
  /** The source file's usual name (the editor's model). */
  sourceFile: string;
  /** Packages installed for the language (e.g. numpy), with their versions. */
  packages: PackageInfo[];
}

export interface HealthResponse {
  status: 'up' | 'shutting_down';
  instance: string;
  runs: {
    active: number;
    queued: number;
    concurrency: number;
    maxQueue: number;
    usersReady: number;
    cleanupsPending: number;
    /** Live runs (/api/live) hold no run slot: they have their own cap. `active` counts open connections admitted. */
    live: { active: number; max: number };
  };
  isolation: IsolationReport;
}

/** Layers an operator can require (RUNBOX_REQUIRED_LAYERS): the server will not start without them. */
export const ISOLATION_LAYERS = ['seccomp', 'userNamespacesBlocked', 'allowlistRoot', 'cgroup', 'networkNamespace'] as const;
export type IsolationLayer = (typeof ISOLATION_LAYERS)[number];

/** What a jail probed at start really enforces. */
export interface IsolationReport {
  runUserPerRun: boolean;
  jail: 'bubblewrap';
  /** allowlist: the run's / holds only what toolchains need; host: the host's tree is visible. */
  rootfs: 'allowlist' | 'host';
  seccomp: boolean;
  userNamespaces: 'blocked' | 'allowed';
  capabilities: 'none' | 'some';
  cgroup: 'v1' | 'v2' | 'none';
  memoryLimit: boolean;
  pidsLimit: boolean;
  cpuAccounting: boolean;
  pidNamespace: boolean;
  mountNamespace: boolean;
  networkNamespace: boolean;
  privateTmp: boolean;
  rlimits: boolean;
}

export interface ErrorResponse {
  error: string;
  field?: string;
  message?: string;
  [extra: string]: unknown;
}

/* ---------- snippets, history, problems: the stored side ---------- */

export { VISITOR_HEADER, VISITOR_KEY } from './visitor-key.js';

export const snippetRequestSchema = z.strictObject({
  language: language(),
  code: z.string({ error: 'is required and must be a string' }),
  stdin: z.string({ error: 'must be a string' }).optional(),
  args: args().optional(),
});
export type SnippetRequest = z.infer<typeof snippetRequestSchema>;

/** POST /api/snippets answers 201 with this; GET /api/snippets/:id with the full snippet. */
export interface SnippetCreated {
  id: string;
  /** The playground page that opens the snippet: <public url>/s/<id>. */
  url: string;
  createdAt: string;
}

export interface SnippetResponse extends SnippetCreated {
  language: string;
  code: string;
  stdin: string;
  args: string[];
}

export const JUDGE_STATUSES = ['accepted', 'wrong_answer', 'compile_error', 'runtime_error', 'timeout', 'memory_limit', 'output_limit', 'internal_error'] as const;
export type JudgeStatus = (typeof JUDGE_STATUSES)[number];

export const judgeRequestSchema = z.strictObject({
  language: language(),
  code: z.string({ error: 'is required and must be a string' }),
});
export type JudgeRequest = z.infer<typeof judgeRequestSchema>;

export interface JudgeTestResult {
  /** 1-based, in the problem's order (samples first). */
  index: number;
  hidden: boolean;
  status: JudgeStatus;
  timeMs: number;
  memoryKb: number | null;
  /** Sample tests only: hidden tests never carry input, expected or actual output. */
  input?: string;
  expected?: string;
  stdout?: string;
  stderr?: string;
}

export interface JudgeResponse {
  id: string;
  problem: string;
  language: string;
  /** accepted when every test is; else the status of the first test that is not */
  status: JudgeStatus;
  passed: number;
  total: number;
  /** the slowest test and the largest memory of any test */
  timeMs: number;
  memoryKb: number | null;
  compile: CompileResult | null;
  tests: JudgeTestResult[];
  /** set when the submission was kept in the visitor's history */
  submissionId?: string;
}

export const SLUG = /^[a-z0-9][a-z0-9-]{0,63}$/;
export const MAX_TESTS = 100;
/** Worst case of one submission (every test at its time limit), under nginx's 120 s proxy timeout. */
export const JUDGE_BUDGET_MS = 90_000;

const noNul = (s: string) => !s.includes('\0');

/** A test's input is capped like stdin, its expected output like a run's output. */
export function problemSchema(maxima: Pick<LimitMaxima, 'timeMs' | 'memoryMb'>, caps: { inputKb: number; expectedKb: number }) {
  const testText = (kb: number) =>
    z.string({ error: 'must be a string' }).refine((s) => Buffer.byteLength(s) <= kb * 1024, `must be at most ${kb} KiB`);
  return z.strictObject({
    slug: z.string({ error: 'is required and must be a string' }).regex(SLUG, 'must be 1-64 lowercase letters, digits or dashes, starting with a letter or digit'),
    title: z.string({ error: 'is required and must be a string' }).trim().min(1, 'must not be empty').max(200).refine(noNul, 'must not contain NUL characters'),
    statement: z
      .string({ error: 'is required and must be a string' })
      .refine((text) => Buffer.byteLength(text) <= 64 * 1024, 'must be at most 64 KiB')
      .refine(noNul, 'must not contain NUL characters'),
    timeLimitMs: limit(maxima.timeMs, 'ms'),
    memoryLimitMb: limit(maxima.memoryMb, 'MB'),
    tests: z
      .array(
        z.strictObject({ input: testText(caps.inputKb), expected: testText(caps.expectedKb), hidden: z.boolean({ error: 'must be true or false' }).default(false) }, { error: 'must be an object' }),
        { error: 'must be an array' },
      )
      .min(1, 'must have at least one test')
      .max(MAX_TESTS, `must have at most ${MAX_TESTS} tests`),
  }).refine((p) => p.tests.length * p.timeLimitMs <= JUDGE_BUDGET_MS, {
    path: ['tests'],
    message: `times timeLimitMs must be at most ${JUDGE_BUDGET_MS / 1000} s: a submission that times out on every test must still be judged before proxies give up`,
  });
}
export type ProblemInput = z.output<ReturnType<typeof problemSchema>>;

export interface ProblemSummary {
  slug: string;
  title: string;
  timeLimitMs: number;
  memoryLimitMb: number;
  sampleCount: number;
  hiddenCount: number;
}

export interface ProblemResponse extends ProblemSummary {
  statement: string;
  samples: { input: string; expected: string }[];
  /** Only for a request with the admin key: every test, hidden ones included. */
  tests?: { input: string; expected: string; hidden: boolean }[];
}

export interface HistoryEntry {
  id: string;
  kind: 'run' | 'judge';
  /** the problem's slug for a judge submission */
  problem: string | null;
  language: string;
  status: RunStatus | JudgeStatus;
  createdAt: string;
}

export interface HistoryItem extends HistoryEntry {
  code: string;
  stdin: string;
  args: string[];
  result: ExecuteResponse | JudgeResponse;
}
