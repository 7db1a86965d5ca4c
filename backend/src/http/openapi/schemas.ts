import { z } from 'zod';
import {
  compileResultSchema,
  executeResponseSchema,
  JUDGE_STATUSES,
  RUN_STATUSES,
  VISITOR_HEADER,
  VISITOR_KEY,
  type ErrorResponse,
  type HealthResponse,
  type HistoryEntry,
  type HistoryItem,
  type IsolationReport,
  type JudgeResponse,
  type LanguageInfo,
  type ProblemResponse,
  type ProblemSummary,
  type SnippetCreated,
  type SnippetResponse,
} from '../../protocol.js';

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
  })
  .catchall(z.unknown())
  .meta({ id: 'Error', description: 'Every error answer: JSON, never a stack trace' });

export const isolationSchema = z
  .object({
    runUserPerRun: z.boolean(),
    jail: z.literal('bubblewrap'),
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
    monaco: z.string().meta({ description: "Monaco's language id" }),
    sourceFile: z.string().meta({ description: "The source file's usual name" }),
    sourceExtensions: z.array(z.string()).meta({ description: 'How source files end: of a program of several files, the entry file must end so (and these are compiled)' }),
    packages: z.array(z.object({ name: z.string(), version: z.string().nullable() })).meta({ description: 'Packages installed for the language, with their versions (null: not installed)' }),
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

export const snippetSchema = snippetCreatedSchema
  .extend({ language: z.string(), code: z.string(), stdin: z.string(), args: z.array(z.string()) })
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
  })
  .meta({ id: 'JudgeTest', description: 'Hidden tests carry only index, hidden, status, timeMs and memoryKb' });

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

export const problemSchemaOut = problemSummarySchema
  .extend({
    statement: z.string().meta({ description: 'Markdown' }),
    samples: z.array(z.object({ input: z.string(), expected: z.string() })),
    tests: z.array(z.object({ input: z.string(), expected: z.string(), hidden: z.boolean() })).optional().meta({ description: 'Only with the admin key: every test, hidden ones included' }),
  })
  .meta({ id: 'Problem' });

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
  .extend({ code: z.string(), stdin: z.string(), args: z.array(z.string()), result: z.union([executeResult, judgeResultSchema]) })
  .meta({ id: 'HistoryItem' });

export const visitorHeader = z.object({
  [VISITOR_HEADER]: z.string().regex(VISITOR_KEY).optional().meta({ description: "The visitor's history key (at least 128 random bits); with it the submission is kept and answered with submissionId" }),
});
export const requiredVisitorHeader = z.object({
  [VISITOR_HEADER]: z.string().regex(VISITOR_KEY).meta({ description: 'The visitor key that names this history' }),
});

// ---- each schema is its protocol type, both ways: a field added to one and not the other fails to compile ----
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const same = <_T extends true>() => undefined;
same<Same<z.infer<typeof isolationSchema>, IsolationReport>>();
same<Same<z.infer<typeof healthSchema>, HealthResponse>>();
same<Same<z.infer<typeof languageSchema>, LanguageInfo>>();
same<Same<z.infer<typeof snippetCreatedSchema>, SnippetCreated>>();
same<Same<z.infer<typeof snippetSchema>, SnippetResponse>>();
same<Same<z.infer<typeof judgeResultSchema>, JudgeResponse>>();
same<Same<z.infer<typeof problemSummarySchema>, ProblemSummary>>();
same<Same<z.infer<typeof problemSchemaOut>, ProblemResponse>>();
same<Same<z.infer<typeof historyEntrySchema>, HistoryEntry>>();
same<Same<z.infer<typeof historyItemSchema>, HistoryItem>>();
same<Same<z.infer<typeof errorSchema>, ErrorResponse>>();
