import { z } from 'zod';
import {
  compileResultSchema,
  executeResponseSchema,
  JUDGE_STATUSES,
  RUN_STATUSES,
  VISITOR_HEADER,
  VISITOR_KEY,
  type ApiKeyCreated,
  type CallbackSecretRotated,
  type ApiKeyInfo,
  type ApiKeyUsage,
  type ErrorResponse,
  type HealthResponse,
  type HistoryEntry,
  type HistoryItem,
  type IsolationReport,
  type JudgeResponse,
  type LanguageInfo,
  type ProblemResponse,
  type VerifyReport,
  type ProblemSummary,
  type ProgramFile,
  type SnippetCreated,
  type SnippetResponse,
} from '../../protocol.js';
import type { FinishedSubmission, PendingSubmission, SubmissionCallback } from '../../submission-protocol.js';
import { pistonExecuteSchema, type PistonExecuteResponse, type PistonServerMessage, type PistonStage } from '../piston/protocol.js';

/**
 * Zod schemas of the answers the API sends, for the OpenAPI document and for the tests
 * that check real answers against it. The request schemas are protocol.ts's own (the ones
 * the server validates with); answers are TypeScript types there, and each schema below is
 * held to its type in both directions at compile time (`Same` at the bottom), so the
 * document cannot drift from what the handlers are allowed to send.
 */

export const errorSchema = z
  .object({
    error: z.string().meta({ description: 'What went wrong, in a few words' }),
    field: z.string().optional().meta({ description: 'The request field (or header) at fault, as a dotted path' }),
    message: z.string().optional().meta({ description: 'What to do about it' }),
    quota: z.enum(['rate', 'concurrency', 'daily']).optional().meta({ description: 'A 429 of a quota: the one exceeded (runs per minute, runs in flight, runs per UTC day)' }),
    limit: z.number().int().optional().meta({ description: 'A 429 of a quota: its limit' }),
    retryAfter: z.number().int().optional().meta({ description: 'A 429 of a quota: seconds to wait, as in Retry-After' }),
    cap: z.number().int().optional().meta({ description: "A 403 over an API key's cap: the cap of the limit `field` names" }),
  })
  .catchall(z.unknown())
  .meta({ id: 'Error', description: 'Every error answer: JSON, never a stack trace' });

export const isolationSchema = z
  .object({
    runUserPerRun: z.boolean(),
    jail: z.enum(['bubblewrap', 'template']),
    rootfs: z.enum(['allowlist', 'host']),
    seccomp: z.boolean(),
    userNamespaces: z.enum(['blocked', 'allowed']),
    capabilities: z.enum(['none', 'some']),
    cgroup: z.enum(['v1', 'v2', 'none']),
    memoryLimit: z.boolean(),
    pidsLimit: z.boolean(),
    cpuAccounting: z.boolean(),
    pidNamespace: z.boolean(),
    mountNamespace: z.boolean(),
    networkNamespace: z.boolean(),
    privateTmp: z.boolean(),
    rlimits: z.boolean(),
  })
  .meta({ id: 'Isolation', description: 'What a jail probed at start really enforces on this host' });

export const healthSchema = z
  .object({
    status: z.enum(['up', 'shutting_down']),
    instance: z.string(),
    runs: z.object({
      active: z.number().int(),
      queued: z.number().int(),
      concurrency: z.number().int(),
      maxQueue: z.number().int(),
      usersReady: z.number().int(),
      cleanupsPending: z.number().int(),
      live: z.object({ active: z.number().int(), max: z.number().int() }),
    }),
    isolation: isolationSchema,
  })
  .meta({ id: 'Health' });

export const languageSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    version: z.string().meta({ description: 'Read from the real toolchain at start (only languages whose toolchain was found are offered)' }),
    aliases: z.array(z.string()),
    compiled: z.boolean(),
    template: z.string().meta({ description: "The playground's hello world" }),
    starter: z.string().optional().meta({ description: "A problem's starting code; {title} stands for the problem's title" }),
    examples: z.array(z.object({ title: z.string(), code: z.string() })).meta({ description: "The playground's Examples menu: short programs in the language, by title" }),
    monaco: z.string().meta({ description: "Monaco's language id" }),
    sourceFile: z.string().meta({ description: "The source file's usual name" }),
    sourceExtensions: z.array(z.string()).meta({ description: 'How source files end: of a program of several files, the entry file must end so (and these are compiled)' }),
    packages: z.array(z.object({ name: z.string(), version: z.string().nullable() })).meta({ description: 'Packages installed for the language, with their versions (null: not installed)' }),
    formatter: z.string().optional().meta({ description: 'The formatter POST /api/format runs for the language (gofmt, rustfmt, black, clang-format), found at start; absent: no formatter here' }),
  })
  .meta({ id: 'Language' });

export const compileResult = compileResultSchema.meta({ id: 'CompileResult' });
export const executeResult = executeResponseSchema.meta({ id: 'RunResult', description: "A run's result: /api/execute's answer and a live run's exit message" });

export const snippetCreatedSchema = z
  .object({
    id: z.string(),
    url: z.string().meta({ description: 'The playground page that opens the snippet: <public url>/s/<id>' }),
    createdAt: z.string(),
  })
  .meta({ id: 'SnippetCreated' });

export const programFileSchema = z
  .object({ name: z.string(), content: z.string(), main: z.boolean().optional() })
  .meta({ id: 'ProgramFile', description: 'One file of a program given as several' });
const programFilesOut = z.array(programFileSchema).optional().meta({ description: 'A program given as several files: all of them, as given (code is then its entry file\'s)' });

export const snippetSchema = snippetCreatedSchema
  .extend({ language: z.string(), code: z.string(), files: programFilesOut, stdin: z.string(), args: z.array(z.string()) })
  .meta({ id: 'Snippet' });

const judgeStatus = z.enum(JUDGE_STATUSES);

export const judgeTestSchema = z
  .object({
    index: z.number().int(),
    hidden: z.boolean(),
    status: judgeStatus,
    timeMs: z.number(),
    memoryKb: z.number().nullable(),
    input: z.string().optional(),
    expected: z.string().optional(),
    stdout: z.string().optional(),
    stderr: z.string().optional(),
    group: z.string().optional().meta({ description: "A package's test: its group below data/ (sample, secret/group1)" }),
    name: z.string().optional().meta({ description: "A sample's name (sample/1)" }),
    message: z.string().optional().meta({ description: "What the output validator told the author (the default validator's on samples)" }),
    score: z.number().optional().meta({ description: "A scoring problem's score for this test" }),
  })
  .meta({ id: 'JudgeTest', description: 'Hidden tests carry only index, hidden, status, timeMs and memoryKb (and a group, message and score)' });

export const judgeGroupSchema = z
  .object({
    name: z.string().meta({ description: 'Below data/: sample, secret, secret/group1' }),
    status: judgeStatus,
    passed: z.number().int(),
    total: z.number().int().meta({ description: 'Tests in it, its subgroups included (fewer were judged when judging stopped at a rejection)' }),
    score: z.number().optional(),
  })
  .meta({ id: 'JudgeGroup' });

export const judgeResultSchema = z
  .object({
    id: z.string(),
    problem: z.string(),
    language: z.string(),
    status: judgeStatus,
    passed: z.number().int(),
    total: z.number().int(),
    timeMs: z.number(),
    memoryKb: z.number().nullable(),
    compile: compileResult.nullable(),
    tests: z.array(judgeTestSchema),
    groups: z.array(judgeGroupSchema).optional().meta({ description: "A package's problem: its test groups, in the order judged" }),
    score: z.number().optional().meta({ description: "A scoring problem's score" }),
    submissionId: z.string().optional(),
  })
  .meta({ id: 'JudgeResult' });

export const problemSummarySchema = z
  .object({
    slug: z.string(),
    title: z.string(),
    timeLimitMs: z.number().int(),
    memoryLimitMb: z.number().int(),
    sampleCount: z.number().int(),
    hiddenCount: z.number().int(),
  })
  .meta({ id: 'ProblemSummary' });

export const problemPackageViewSchema = z
  .object({
    statementHtml: z.string().meta({ description: "The statement as HTML (sanitised; math typeset by KaTeX, so the page needs KaTeX's stylesheet)" }),
    type: z.enum(['pass-fail', 'scoring']),
    interactive: z.boolean(),
    validation: z
      .union([z.object({ kind: z.literal('default'), flags: z.array(z.string()) }), z.object({ kind: z.literal('custom') })])
      .meta({ description: "How output is judged: the default validator's flags (float_tolerance 1e-6 ...), or the package's own validator" }),
    interactions: z.array(z.object({ name: z.string(), text: z.string() })).meta({ description: "An interactive problem's sample interaction protocols: lines starting > come from the program, < go to it" }),
    outputLimitKb: z.number().int(),
    groups: z.array(z.string()).meta({ description: 'Test groups below data/, in the order judged' }),
    source: z.string().nullable(),
    sourceUrl: z.string().nullable(),
    author: z.string().nullable(),
    license: z.string(),
  })
  .meta({ id: 'ProblemPackage', description: 'A problem imported from a problem package (Kattis format)' });

export const problemSchemaOut = problemSummarySchema
  .extend({
    statement: z.string().meta({ description: 'Markdown (a package\'s problem: see package.statementHtml)' }),
    package: problemPackageViewSchema.optional(),
    samples: z.array(z.object({ input: z.string(), expected: z.string() })),
    tests: z.array(z.object({ input: z.string(), expected: z.string(), hidden: z.boolean() })).optional().meta({ description: 'Only with the admin key: every test, hidden ones included' }),
  })
  .meta({ id: 'Problem' });

export const verifyReportSchema = z
  .object({
    slug: z.string(),
    inputValidation: z
      .object({
        validators: z.array(z.string()),
        checked: z.number().int(),
        failed: z.array(z.object({ test: z.string(), validator: z.string(), message: z.string() })),
      })
      .meta({ description: "The package's input validators on every test's input (each exits 42 for a valid one)" }),
    timeLimitMs: z.number().int(),
    timeLimitFrom: z.string().meta({ description: '.timelimit, or accepted submissions (measured)' }),
    solutions: z.array(
      z.object({
        path: z.string().meta({ description: 'submissions/accepted/fast.cpp' }),
        language: z.string(),
        expected: z.string().meta({ description: 'Its folder: accepted, wrong_answer, time_limit_exceeded, run_time_error, partially_accepted' }),
        status: judgeStatus,
        slowestMs: z.number(),
        limitMs: z.number(),
        passed: z.boolean(),
        score: z.number().optional(),
      }),
    ),
    passed: z.number().int(),
    failed: z.number().int(),
    warnings: z.array(z.string()).meta({ description: 'What was left out and why (programs in languages not offered, ...)' }),
  })
  .meta({ id: 'PackageVerifyReport' });

export const packageImportedSchema = z.object({ slug: z.string(), outcome: z.enum(['created', 'replaced']), report: verifyReportSchema }).meta({ id: 'PackageImported' });

export const problemListSchema = z.object({ problems: z.array(problemSummarySchema) }).meta({ id: 'ProblemList' });

export const historyEntrySchema = z
  .object({
    id: z.string(),
    kind: z.enum(['run', 'judge']),
    problem: z.string().nullable(),
    language: z.string(),
    status: z.enum([...RUN_STATUSES, ...JUDGE_STATUSES]),
    createdAt: z.string(),
  })
  .meta({ id: 'HistoryEntry' });

export const historyListSchema = z.object({ entries: z.array(historyEntrySchema) }).meta({ id: 'HistoryList' });

export const historyItemSchema = historyEntrySchema
  .extend({ code: z.string(), files: programFilesOut, stdin: z.string(), args: z.array(z.string()), result: z.union([executeResult, judgeResultSchema]) })
  .meta({ id: 'HistoryItem' });

export const visitorHeader = z.object({
  [VISITOR_HEADER]: z.string().regex(VISITOR_KEY).optional().meta({ description: "The visitor's history key (at least 128 random bits); with it the submission is kept and answered with submissionId" }),
});
export const requiredVisitorHeader = z.object({
  [VISITOR_HEADER]: z.string().regex(VISITOR_KEY).meta({ description: 'The visitor key that names this history' }),
});


/* ---- API keys (the admin's) ---- */

const keyCapsSchema = z
  .object({ timeMs: z.number().int().optional(), cpuTimeMs: z.number().int().optional(), memoryMb: z.number().int().optional(), processes: z.number().int().optional(), outputKb: z.number().int().optional() })
  .meta({ id: 'KeyCaps', description: "Caps on the limits of the key's runs: each lowers the server's maximum (a request asking for more is a 403)" });

export const apiKeyInfoSchema = z
  .object({
    id: z.string().meta({ description: 'Public: the part of the key before the dot' }),
    name: z.string(),
    ratePerMinute: z.number().int().nullable().meta({ description: 'Runs per minute (fixed windows); null: no limit' }),
    maxConcurrent: z.number().int().meta({ description: 'Runs in flight at once, across every replica' }),
    dailyRuns: z.number().int().nullable().meta({ description: 'Runs per UTC day; null: no limit' }),
    caps: keyCapsSchema,
    createdAt: z.string(),
    revokedAt: z.string().nullable().meta({ description: 'Set once revoked: the key answers 401 from then on' }),
  })
  .meta({ id: 'ApiKey', description: 'A key as the admin sees it: never the key itself, nor its hash' });

export const apiKeyCreatedSchema = apiKeyInfoSchema
  .extend({
    key: z.string().meta({ description: 'The key (rbx_<id>.<secret>): shown in this answer only' }),
    callbackSecret: z.string().meta({ description: "Signs this key's submission callbacks (X-Runbox-Signature): shown in this answer only" }),
  })
  .meta({ id: 'ApiKeyCreated' });

export const callbackSecretRotatedSchema = z
  .object({
    id: z.string().meta({ description: "The key's id" }),
    callbackSecret: z.string().meta({ description: 'The new secret: it signs from now on, and is shown in this answer only' }),
    previousValidUntil: z.string().nullable().meta({ description: 'Until then the previous secret signs too (a second signature in the header); null when there was none' }),
  })
  .meta({ id: 'CallbackSecretRotated' });

export const apiKeyListSchema = z.object({ keys: z.array(apiKeyInfoSchema) }).meta({ id: 'ApiKeyList' });

export const apiKeyUsageSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    days: z.array(z.object({ day: z.string().meta({ description: 'UTC date, YYYY-MM-DD' }), runs: z.number().int(), cpuMs: z.number() })).meta({ description: 'Days with runs, oldest first' }),
    total: z.object({ runs: z.number().int(), cpuMs: z.number() }),
  })
  .meta({ id: 'ApiKeyUsage' });

/* ---- asynchronous submissions ---- */

const submissionCallbackSchema = z
  .object({
    url: z.string().optional().meta({ description: "Shown only to the API key that submitted and the admin: it may carry the receiver's tokens" }),
    host: z.string().meta({ description: 'The host it is delivered to' }),
    state: z.enum(['pending', 'delivering', 'delivered', 'failed']),
    deliveryId: z.string().nullable().meta({ description: "The current delivery's id (X-Runbox-Delivery): its retries share it, a redelivery gets a new one" }),
    attempts: z.number().int().meta({ description: 'Deliveries tried so far' }),
    lastError: z.string().nullable().meta({ description: "Why the last try failed (the receiver's status, a refused address, a timeout)" }),
  })
  .meta({ id: 'SubmissionCallback' });

const submissionFields = {
  id: z.string().meta({ description: "The submission's id (its run's own id is runId)" }),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  attempts: z.number().int().meta({ description: 'Times a server took it; more than 1 after a server died while running it' }),
  callback: submissionCallbackSchema.nullable(),
};

export const pendingSubmissionSchema = z
  .object({ ...submissionFields, status: z.enum(['queued', 'running']) })
  .meta({ id: 'PendingSubmission', description: 'Not run yet: waiting in the queue, or running on a server' });

export const finishedSubmissionSchema = executeResponseSchema
  .omit({ id: true, submissionId: true })
  .extend({
    ...submissionFields,
    runId: z.string().nullable().meta({ description: "The run's id; null when it ended without a run (its servers kept dying)" }),
    verdict: z.enum(JUDGE_STATUSES).nullable().meta({ description: 'With expectedOutput: accepted, wrong_answer, or the run\'s status when it did not end ok; else null' }),
    message: z.string().optional().meta({ description: 'Why it ended without running' }),
  })
  .meta({ id: 'FinishedSubmission', description: "Run: /api/execute's result (status is the run's) with the submission's own fields" });

export const submissionSchema = z.union([pendingSubmissionSchema, finishedSubmissionSchema]).meta({ id: 'Submission' });
export const callbackRedeliverySchema = z
  .object({ id: z.string().meta({ description: "The submission's id" }), deliveryId: z.string().meta({ description: 'The new delivery (X-Runbox-Delivery)' }) })
  .meta({ id: 'CallbackRedelivery' });
export const submissionCreatedSchema = z.object({ id: z.string() }).meta({ id: 'SubmissionCreated' });
export const submissionBatchCreatedSchema = z.object({ ids: z.array(z.string()).meta({ description: 'In the order of the request' }) }).meta({ id: 'SubmissionBatchCreated' });
export const submissionListSchema = z
  .object({
    submissions: z
      .array(submissionSchema.nullable())
      .meta({ description: 'With ids: in their order, null for an id no submission has (or one deleted); without: a page of them, newest first' }),
    nextCursor: z
      .string()
      .nullable()
      .optional()
      .meta({ description: 'Without ids: the cursor of the next page (pass it as cursor, with the same filters); null on the last page' }),
  })
  .meta({ id: 'SubmissionList' });

/* ---- Piston v2 ---- */

export const pistonErrorSchema = z
  .object({ message: z.string().meta({ description: 'What is wrong, naming the field as Piston does' }) })
  .meta({ id: 'PistonError', description: "Piston's error answer" });

export const pistonRuntimeSchema = z
  .object({
    language: z.string().meta({ description: "Piston's name of the language" }),
    version: z.string().meta({ description: "The toolchain's version as semver, read at start" }),
    aliases: z.array(z.string()),
    runtime: z.string().optional().meta({ description: 'The package providing it, where Piston names one (gcc, node)' }),
  })
  .meta({ id: 'PistonRuntime' });

export const pistonStageSchema = z
  .object({
    stdout: z.string(),
    stderr: z.string(),
    output: z.string().meta({ description: 'stdout and stderr in the order they came' }),
    code: z.number().int().nullable().meta({ description: 'null when signal is set' }),
    signal: z.string().nullable(),
    message: z.string().nullable(),
    status: z.string().nullable().meta({ description: "isolate's letters: RE, SG, TO, OL, EL, XX; null when the stage ended well" }),
    memory: z.number().nullable().meta({ description: 'Bytes, peak' }),
    cpu_time: z.number().nullable().meta({ description: 'ms' }),
    wall_time: z.number().nullable().meta({ description: 'ms' }),
  })
  .meta({ id: 'PistonStage' });

export const pistonExecuteResponseSchema = z
  .object({ language: z.string(), version: z.string(), run: pistonStageSchema, compile: pistonStageSchema.optional().meta({ description: 'Only for languages that compile' }) })
  .meta({ id: 'PistonExecuteResponse' });

const pistonStageName = z.enum(['compile', 'run']);

/** /api/v2/connect's messages: the client's (init is /api/v2/execute's body, its stdin ignored) and the server's. */
export const pistonClientMessageSchema = z
  .union([
    pistonExecuteSchema.extend({ type: z.literal('init') }),
    z.object({ type: z.literal('data'), stream: z.literal('stdin'), data: z.string() }),
    z.object({ type: z.literal('signal'), signal: z.string().meta({ description: 'SIGKILL, SIGTERM, ...: one that would end a process ends the run; SIGCHLD, SIGCONT and the like change nothing' }) }),
  ])
  // rendered as a request: fields Piston does not know are ignored, not refused
  .meta({ id: 'PistonClientMessage', unusedIO: 'input' });

export const pistonServerMessageSchema = z
  .union([
    z.object({ type: z.literal('runtime'), language: z.string(), version: z.string() }),
    z.object({ type: z.literal('stage'), stage: pistonStageName }),
    z.object({ type: z.literal('data'), stream: z.enum(['stdout', 'stderr']), data: z.string() }),
    z.object({ type: z.literal('exit'), stage: pistonStageName, code: z.number().int().nullable(), signal: z.string().nullable(), status: z.string().nullable(), message: z.string().nullable() }),
    z.object({ type: z.literal('error'), message: z.string() }),
  ])
  .meta({ id: 'PistonServerMessage' });

// ---- each schema is its protocol type, both ways: a field added to one and not the other fails to compile ----
// (identical, not merely assignable: an optional field one side lacks is assignable both ways, so would pass unseen)
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const same = <_T extends true>() => undefined;
same<Same<z.infer<typeof isolationSchema>, IsolationReport>>();
same<Same<z.infer<typeof healthSchema>, HealthResponse>>();
same<Same<z.infer<typeof languageSchema>, LanguageInfo>>();
same<Same<z.infer<typeof snippetCreatedSchema>, SnippetCreated>>();
same<Same<z.infer<typeof snippetSchema>, SnippetResponse>>();
same<Same<z.infer<typeof judgeResultSchema>, JudgeResponse>>();
same<Same<z.infer<typeof problemSummarySchema>, ProblemSummary>>();
same<Same<z.infer<typeof problemSchemaOut>, ProblemResponse>>();
same<Same<z.infer<typeof verifyReportSchema>, VerifyReport>>();
same<Same<z.infer<typeof historyEntrySchema>, HistoryEntry>>();
same<Same<z.infer<typeof historyItemSchema>, HistoryItem>>();
same<Same<z.infer<typeof errorSchema>, ErrorResponse>>();
same<Same<z.infer<typeof programFileSchema>, ProgramFile>>();
same<Same<z.infer<typeof apiKeyInfoSchema>, ApiKeyInfo>>();
same<Same<z.infer<typeof apiKeyCreatedSchema>, ApiKeyCreated>>();
same<Same<z.infer<typeof callbackSecretRotatedSchema>, CallbackSecretRotated>>();
same<Same<z.infer<typeof apiKeyUsageSchema>, ApiKeyUsage>>();
same<Same<z.infer<typeof submissionCallbackSchema>, SubmissionCallback>>();
same<Same<z.infer<typeof pendingSubmissionSchema>, PendingSubmission>>();
same<Same<z.infer<typeof finishedSubmissionSchema>, FinishedSubmission>>();
same<Same<z.infer<typeof pistonStageSchema>, PistonStage>>();
same<Same<z.infer<typeof pistonExecuteResponseSchema>, PistonExecuteResponse>>();
same<Same<z.infer<typeof pistonServerMessageSchema>, PistonServerMessage>>();
