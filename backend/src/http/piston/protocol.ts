import { z } from 'zod';
import { isBase64 } from '../../util/base64.js';

/**
 * Piston v2's wire format (engineer-man/piston, api/src/api/v2.js): the request of
 * POST /api/v2/execute and of the WebSocket's `init`, and the answers. Fields Piston does not
 * know are ignored, as Piston ignores them (its clients send whatever they were written
 * with). Errors are Piston's `{ message }`, each naming its field as Piston's do.
 */

/** `{field}` in a message becomes the field's path, e.g. files[0].content. */
const msg = (text: string) => ({ error: text });

const limit = (name: string) => z.number(msg(`If specified, ${name} must be a number`)).nullable().optional();

/**
 * How a file's content is written, Buffer.from's names as in Piston: utf8 (also when absent
 * or null) is the text itself, base64 and hex are the file's bytes. Piston reads a name it
 * does not know as utf8 and decodes whatever it is given; runbox refuses both, naming the
 * field: a typo would otherwise run data as code, or bytes cut short at the first bad digit.
 */
export const PISTON_ENCODINGS = ['utf8', 'base64', 'hex'] as const;

const HEX = /^(?:[0-9A-Fa-f]{2})*$/;

export const pistonFileSchema = z
  .object(
    {
      /** absent or "": Piston's file<i>.code (program.ts) */
      name: z.string(msg('{field} must be a string')).optional(),
      content: z.string(msg('{field} is required as a string')),
      encoding: z.enum(PISTON_ENCODINGS, msg('{field} must be utf8, base64 or hex')).nullable().optional(),
    },
    msg('{field} must be an object'),
  )
  .superRefine((file, ctx) => {
    if (file.encoding === 'base64' && !isBase64(file.content)) ctx.addIssue({ code: 'custom', path: ['content'], message: '{field} is not valid base64' });
    if (file.encoding === 'hex' && !HEX.test(file.content)) ctx.addIssue({ code: 'custom', path: ['content'], message: '{field} is not valid hex (two digits a byte)' });
  });
export type PistonFile = z.infer<typeof pistonFileSchema>;

export const pistonExecuteSchema = z.object({
  language: z.string(msg('language is required as a string')).min(1, 'language is required as a string').max(64, 'language must be at most 64 characters'),
  version: z.string(msg('version is required as a string')).min(1, 'version is required as a string').max(256, 'version must be at most 256 characters'),
  files: z.array(pistonFileSchema, msg('files is required as an array')),
  stdin: z.string(msg('stdin must be a string')).nullable().optional(),
  args: z.array(z.string(msg('{field} must be a string')), msg('args must be an array of strings')).nullable().optional(),
  compile_timeout: limit('compile_timeout'),
  run_timeout: limit('run_timeout'),
  compile_cpu_time: limit('compile_cpu_time'),
  run_cpu_time: limit('run_cpu_time'),
  compile_memory_limit: limit('compile_memory_limit'),
  run_memory_limit: limit('run_memory_limit'),
});
export type PistonExecuteRequest = z.infer<typeof pistonExecuteSchema>;

/** A request that breaks Piston's rules: answered `400 { message }` (or closes a WebSocket with it). */
export class PistonError extends Error {
  constructor(
    message: string,
    readonly status = 400,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Checks a body as Piston would; the first problem is the error, its field named. */
export function parsePistonRequest(raw: unknown): PistonExecuteRequest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new PistonError('the body must be a JSON object');
  const parsed = pistonExecuteSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
  throw new PistonError(issue.message.replace('{field}', field));
}

/** One stage of a Piston result (compile or run). */
export interface PistonStage {
  stdout: string;
  stderr: string;
  /** stdout and stderr in the order they came */
  output: string;
  /** null when `signal` is set */
  code: number | null;
  signal: string | null;
  /** what went wrong, in words; null when nothing did */
  message: string | null;
  /** Piston's (isolate's) status letters: RE, SG, TO, OL, EL, XX; null when the stage ended well */
  status: string | null;
  /** bytes, peak */
  memory: number | null;
  /** ms */
  cpu_time: number | null;
  /** ms */
  wall_time: number | null;
}

export interface PistonExecuteResponse {
  language: string;
  version: string;
  run: PistonStage;
  /** only for languages that compile */
  compile?: PistonStage;
}

export const PISTON_CONNECT_PATH = '/api/v2/connect';

/** What /api/v2/connect sends, Piston's messages (see connect.ts for their order). */
export type PistonServerMessage =
  | { type: 'runtime'; language: string; version: string }
  | { type: 'stage'; stage: 'compile' | 'run' }
  | { type: 'data'; stream: 'stdout' | 'stderr'; data: string }
  | { type: 'exit'; stage: 'compile' | 'run'; code: number | null; signal: string | null; status: string | null; message: string | null }
  | { type: 'error'; message: string };

/** WebSocket /api/v2/connect close codes, Piston's. */
export const PISTON_CLOSE = {
  jobCompleted: { code: 4999, reason: 'Job Completed' },
  alreadyInitialized: { code: 4000, reason: 'Already Initialized' },
  initializationTimeout: { code: 4001, reason: 'Initialization Timeout' },
  notifiedError: { code: 4002, reason: 'Notified Error' },
  notInitialized: { code: 4003, reason: 'Not yet initialized' },
  onlyStdin: { code: 4004, reason: 'Can only write to stdin' },
  invalidSignal: { code: 4005, reason: 'Invalid signal' },
} as const;
