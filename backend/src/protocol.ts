import { z } from 'zod';
import { fileNameProblem, fileNamesClash, MAX_FILES } from './file-names.js';

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

/** One file of a program given as several (`files`); its name is a path below the run's home. */
const programFile = () =>
  z.strictObject(
    {
      name: z.string({ error: 'is required and must be a string' }).superRefine((name, ctx) => {
        const problem = fileNameProblem(name);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
      content: z.string({ error: 'is required and must be a string' }),
      /** the entry point (the file run, or whose main class runs); else the first file is */
      main: z.boolean({ error: 'must be true or false' }).optional(),
    },
    { error: 'must be an object { name, content, main? }' },
  );

/**
 * A program of several files. Names are checked one by one (file-names.ts), then together:
 * no two alike (nor alike but for case), no file where another has a folder, one entry at most.
 * Their total size is checked with the code cap (413), where the language is known.
 */
const files = () =>
  z
    .array(programFile(), { error: 'must be an array of { name, content } objects' })
    .min(1, 'must have at least one file')
    .max(MAX_FILES, `must have at most ${MAX_FILES} files`)
    .superRefine((list, ctx) => {
      const clash = fileNamesClash(list.map((f) => f.name));
      if (clash) ctx.addIssue({ code: 'custom', path: [clash.index, 'name'], message: clash.message });
      const mains = list.flatMap((f, i) => (f.main ? [i] : []));
      if (mains.length > 1) ctx.addIssue({ code: 'custom', path: [mains[1]!, 'main'], message: `makes a second entry file: files[${mains[0]}] has main already` });
    });
export type ProgramFile = z.infer<ReturnType<typeof programFile>>;

/**
 * The program: `code` (one file, named by the language) or `files` (several; the first, or
 * the one with `main`, is the entry). Exactly one of the two: checked where the request
 * becomes a program (http/validate.ts), since a refined object cannot be extended.
 */
const program = () => ({
  code: z.string({ error: 'must be a string' }).optional(),
  files: files().optional(),
});

export function executeRequestSchema(maxima: LimitMaxima) {
  return z.strictObject({
    language: language(),
    ...program(),
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

/** POST /api/format: one file of code to format (its size is checked with the code cap, 413). */
export const formatRequestSchema = z.strictObject({
  language: language(),
  code: z.string({ error: 'is required and must be a string' }),
});
export type FormatRequest = z.infer<typeof formatRequestSchema>;

/** POST /api/format's answer: the code as the language's formatter writes it. */
export const formatResponseSchema = z.object({ code: z.string() });
export type FormatResponse = z.infer<typeof formatResponseSchema>;

/**
 * `encoding` of /api/execute's and /api/submissions' requests, as integrators know it from
 * Judge0's `base64_encoded` and Piston's file `encoding`: `base64` means every content field
 * of the request (code, files[].content, stdin, expectedOutput) is base64 of its bytes, and
 * the answer's output (stdout, stderr, output, compile.output) is base64 of the bytes the
 * program wrote, so binary output comes back exactly instead of as U+FFFD. `utf8` (the
 * default) is text both ways. Decoded in http/content-encoding.ts.
 */
export const CONTENT_ENCODINGS = ['utf8', 'base64'] as const;
export type ContentEncoding = (typeof CONTENT_ENCODINGS)[number];

export const encodingField = () =>
  z
    .enum(CONTENT_ENCODINGS, { error: 'must be utf8 or base64' })
    .optional()
    .meta({
      description:
        'base64: code, files[].content, stdin and expectedOutput are base64 (standard or URL-safe alphabet, padding and line breaks optional), and so are ' +
        "the answer's stdout, stderr, output and compile.output (of the bytes the program wrote: binary output comes back exactly). " +
        'utf8 (the default): text both ways, invalid UTF-8 in the output becoming U+FFFD.',
    });

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
  /**
   * With status `timeout`: which limit ended the run, `cpu` (the CPU time of all its
   * processes and threads, `limits.cpuTimeMs`) or `wall` (`limits.timeMs`).
   */
  timeLimit: z.enum(['cpu', 'wall']).optional(),
  /** With `timeLimit`: that limit, in ms (what the playground says: "CPU time, 2 s"). */
  timeLimitMs: z.number().int().optional(),
  compile: compileResultSchema.nullable(),
  /** set when the run was kept in the visitor's history (the request carried X-Runbox-Visitor) */
  submissionId: z.string().optional(),
  /**
   * `base64` when the request asked for it: stdout, stderr, output and compile.output are then
   * base64 of their bytes (the program's bytes exactly, binary output included).
   */
  encoding: z.literal('base64').optional(),
});
export type ExecuteResponse = z.infer<typeof executeResponseSchema>;

export interface PackageInfo {
  name: string;
  version: string | null;
}

/** A short program of the playground's Examples menu. */
export interface LanguageExample {
  title: string;
  code: string;
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
  /** The playground's Examples menu: short programs in the language, by title. */
  examples: LanguageExample[];
  /** Monaco's language id. */
  monaco: string;
  /** The source file's usual name (the editor's model). */
  sourceFile: string;
  /** How source files end: of a program of several files, the entry file must end so (and these are compiled). */
  sourceExtensions: string[];
  /** Packages installed for the language (e.g. numpy), with their versions. */
  packages: PackageInfo[];
  /** The formatter POST /api/format runs for the language ("gofmt"); absent: the language has none here. */
  formatter?: string;
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
  /** bubblewrap per run, or runbox's launcher forking each jail from a root built once (RUNBOX_JAIL) */
  jail: 'bubblewrap' | 'template';
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
  /** a quota's 429: which quota, its limit, and the seconds to wait (as Retry-After) */
  quota?: QuotaName;
  limit?: number;
  retryAfter?: number;
  /** a 403 over an API key's cap: the cap of the limit `field` names */
  cap?: number;
  [extra: string]: unknown;
}

/* ---------- snippets, history, problems: the stored side ---------- */

export { VISITOR_HEADER, VISITOR_KEY } from './visitor-key.js';

export const snippetRequestSchema = z.strictObject({
  language: language(),
  ...program(),
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
  /** the program's code; for a program of several files, its entry file's */
  code: string;
  /** a program given as several files: all of them, as given */
  files?: ProgramFile[];
  stdin: string;
  args: string[];
}

export const JUDGE_STATUSES = ['accepted', 'wrong_answer', 'compile_error', 'runtime_error', 'timeout', 'memory_limit', 'output_limit', 'internal_error'] as const;
export type JudgeStatus = (typeof JUDGE_STATUSES)[number];

export const judgeRequestSchema = z.strictObject({
  language: language(),
  ...program(),
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
  /** a package's test: its group below data/ (sample, secret/group1) */
  group?: string;
  /** a sample's name (sample/1); hidden tests' names are not shown */
  name?: string;
  /** what the output validator told the author (its teammessage.txt; the default validator's on samples) */
  message?: string;
  /** a scoring problem's score for this test */
  score?: number;
}

/** A package's test group, as judged: accepted when every test (and subgroup) judged in it is. */
export interface JudgeGroupResult {
  /** below data/: sample, secret, secret/group1 */
  name: string;
  status: JudgeStatus;
  passed: number;
  /** tests in it (its subgroups' included); fewer were judged when judging stopped early */
  total: number;
  /** a scoring problem's score of the group (its grader's sum, min, max or average) */
  score?: number;
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
  /** a package's problem: its test groups, in the order judged */
  groups?: JudgeGroupResult[];
  /** a scoring problem's score */
  score?: number;
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

/** What a problem imported from a package shows beside its Markdown-less statement. */
export interface ProblemPackageView {
  /** the statement as HTML (pandoc's, sanitised; math typeset by KaTeX: the page needs KaTeX's stylesheet) */
  statementHtml: string;
  type: 'pass-fail' | 'scoring';
  interactive: boolean;
  /** how output is judged: the default validator's flags (float_tolerance 1e-6 ...), or the package's own validator */
  validation: { kind: 'default'; flags: string[] } | { kind: 'custom' };
  /** an interactive problem's sample interaction protocols (lines starting > from the program, < to it) */
  interactions: { name: string; text: string }[];
  outputLimitKb: number;
  /** the test groups below data/, in the order judged */
  groups: string[];
  source: string | null;
  sourceUrl: string | null;
  author: string | null;
  license: string;
}

/** One example solution of a package, judged (POST /api/admin/problems/verify, scripts/problems.ts). */
export interface SolutionReport {
  /** submissions/accepted/fast.cpp */
  path: string;
  language: string;
  /** its folder: accepted, wrong_answer, time_limit_exceeded, run_time_error, partially_accepted */
  expected: string;
  status: JudgeStatus;
  /** its slowest test, against the limit */
  slowestMs: number;
  limitMs: number;
  /** its verdict is the one its folder names */
  passed: boolean;
  /** a scoring problem's score */
  score?: number;
}

/** The package's input validators run on every test's input (each must exit 42). */
export interface InputValidation {
  validators: string[];
  /** inputs checked, by each validator */
  checked: number;
  failed: { test: string; validator: string; message: string }[];
}

/** A package checked the way problemtools' verifyproblem checks it. */
export interface VerifyReport {
  slug: string;
  inputValidation: InputValidation;
  timeLimitMs: number;
  /** .timelimit, or accepted submissions (measured) */
  timeLimitFrom: string;
  solutions: SolutionReport[];
  passed: number;
  failed: number;
  /** what was left out and why (programs in languages not offered, include/ files) */
  warnings: string[];
}

export interface ProblemResponse extends ProblemSummary {
  statement: string;
  /** a problem imported from a package */
  package?: ProblemPackageView;
  samples: { input: string; expected: string }[];
  /** Only for a request with the admin key: every test, hidden ones included. */
  tests?: { input: string; expected: string; hidden: boolean }[];
}

/* ---------- API keys: the admin API (/api/admin/keys) and scripts/keys.ts ---------- */

/** The limits a key may cap; each cap lowers the server's maximum for that key's runs. */
export const CAPPABLE_LIMITS = ['timeMs', 'cpuTimeMs', 'memoryMb', 'processes', 'outputKb'] as const;
export type KeyCaps = Partial<Record<(typeof CAPPABLE_LIMITS)[number], number>>;

const count = (max: number) => z.number({ error: 'must be a number' }).int('must be a whole number').positive('must be greater than 0').max(max, `must be at most ${max}`);

export const apiKeyRequestSchema = z.strictObject({
  name: z.string({ error: 'is required and must be a string' }).trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters').refine(noNul, 'must not contain NUL characters'),
  /** runs the key may start per minute (fixed one-minute windows); null or absent: no limit */
  ratePerMinute: count(1_000_000).nullable().optional(),
  /** runs of the key in flight at once, across every replica */
  maxConcurrent: count(10_000).default(4),
  /** runs the key may start per UTC day; null or absent: no limit */
  dailyRuns: count(100_000_000).nullable().optional(),
  caps: z
    .strictObject(
      {
        timeMs: count(2 ** 31 - 1).optional(),
        cpuTimeMs: count(2 ** 31 - 1).optional(),
        memoryMb: count(2 ** 31 - 1).optional(),
        processes: count(2 ** 31 - 1).optional(),
        outputKb: count(2 ** 31 - 1).optional(),
      },
      { error: 'must be an object' },
    )
    .optional(),
});
export type ApiKeyRequest = z.output<typeof apiKeyRequestSchema>;

/** A key as the admin sees it: never the key itself, nor its hash. */
export interface ApiKeyInfo {
  id: string;
  name: string;
  ratePerMinute: number | null;
  maxConcurrent: number;
  dailyRuns: number | null;
  caps: KeyCaps;
  createdAt: string;
  revokedAt: string | null;
}

/** The answer to creating a key: the only time `key` (and its first callback secret) is ever shown. */
export interface ApiKeyCreated extends ApiKeyInfo {
  key: string;
  /** signs this key's submission callbacks (X-Runbox-Signature) */
  callbackSecret: string;
}

/** A new callback secret; the previous one keeps signing beside it until `previousValidUntil` (null: there was none). */
export interface CallbackSecretRotated {
  id: string;
  callbackSecret: string;
  previousValidUntil: string | null;
}

export interface KeyUsageDay {
  /** UTC date, YYYY-MM-DD */
  day: string;
  runs: number;
  cpuMs: number;
}

export interface ApiKeyUsage {
  id: string;
  name: string;
  days: KeyUsageDay[];
  total: { runs: number; cpuMs: number };
}

/** What a 429 names: the per-minute rate, runs in flight, or the daily quota. */
export type QuotaName = 'rate' | 'concurrency' | 'daily';

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
  /** the program's code; for a program of several files, its entry file's */
  code: string;
  /** a program given as several files: all of them, as given */
  files?: ProgramFile[];
  stdin: string;
  args: string[];
  result: ExecuteResponse | JudgeResponse;
}
