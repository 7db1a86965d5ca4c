import { z } from 'zod';

/**
 * The wire protocol: every request body is a zod schema here, every response a type
 * here. The HTTP layer validates with these; clients and tests import the same types.
 */

export const RUN_STATUSES = ['ok', 'compile_error', 'runtime_error', 'timeout', 'memory_limit', 'output_limit', 'internal_error'] as const;
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

export function executeRequestSchema(maxima: LimitMaxima) {
  return z.strictObject({
    language: z.string({ error: 'is required and must be a string' }).min(1, 'must not be empty').max(64),
    code: z.string({ error: 'is required and must be a string' }),
    stdin: z.string({ error: 'must be a string' }).optional(),
    args: z
      .array(
        z
          .string({ error: 'must be a string' })
          .max(MAX_ARG_LENGTH, `must be at most ${MAX_ARG_LENGTH} characters`)
          .refine((s) => !s.includes('\0'), 'must not contain NUL characters'),
        { error: 'must be an array of strings' },
      )
      .max(MAX_ARGS, `must have at most ${MAX_ARGS} entries`)
      .optional(),
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

export interface CompileResult {
  status: 'ok' | 'compile_error' | 'timeout' | 'memory_limit' | 'output_limit';
  output: string;
  exitCode: number | null;
  timeMs: number;
  /** The build came from the compile cache: the compiler did not run this time. */
  cached: boolean;
}

export interface ExecuteResponse {
  id: string;
  language: string;
  status: RunStatus;
  /** stdout and stderr interleaved in arrival order */
  output: string;
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: string | null;
  timeMs: number;
  cpuTimeMs: number | null;
  memoryKb: number | null;
  truncated: boolean;
  compile: CompileResult | null;
}

export interface LanguageInfo {
  id: string;
  name: string;
  version: string | null;
  aliases: string[];
  compiled: boolean;
  template: string;
}

export interface HealthResponse {
  status: 'up' | 'shutting_down';
  instance: string;
  runs: { active: number; queued: number; concurrency: number; maxQueue: number; usersReady: number; cleanupsPending: number };
  isolation: IsolationReport;
}

export interface IsolationReport {
  runUserPerRun: true;
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
