import { utf8Text } from '../../util/base64.js';

/**
 * Judge0 CE 1.13.1's wire format (judge0/judge0: app/models/submission.rb,
 * app/serializers/submission_serializer.rb, app/enumerations/status.rb, app/helpers/config.rb),
 * as runbox speaks it under /judge0: the statuses, the submission's attributes in the
 * serializer's order, Ruby's Base64 and Rails' way of reading a parameter. Request checks
 * live in request.ts, the answer in view.ts.
 */

/** Judge0's statuses, ids and descriptions exactly (GET /statuses). */
export const JUDGE0_STATUSES = [
  { id: 1, description: 'In Queue' },
  { id: 2, description: 'Processing' },
  { id: 3, description: 'Accepted' },
  { id: 4, description: 'Wrong Answer' },
  { id: 5, description: 'Time Limit Exceeded' },
  { id: 6, description: 'Compilation Error' },
  { id: 7, description: 'Runtime Error (SIGSEGV)' },
  { id: 8, description: 'Runtime Error (SIGXFSZ)' },
  { id: 9, description: 'Runtime Error (SIGFPE)' },
  { id: 10, description: 'Runtime Error (SIGABRT)' },
  { id: 11, description: 'Runtime Error (NZEC)' },
  { id: 12, description: 'Runtime Error (Other)' },
  { id: 13, description: 'Internal Error' },
  { id: 14, description: 'Exec Format Error' },
] as const;

export type Judge0StatusId = (typeof JUDGE0_STATUSES)[number]['id'];

export const STATUS = {
  queue: 1,
  process: 2,
  accepted: 3,
  wrongAnswer: 4,
  timeLimit: 5,
  compilationError: 6,
  sigsegv: 7,
  sigxfsz: 8,
  sigfpe: 9,
  sigabrt: 10,
  nzec: 11,
  other: 12,
  internalError: 13,
} as const satisfies Record<string, Judge0StatusId>;

export const statusOf = (id: Judge0StatusId): { id: Judge0StatusId; description: string } => JUDGE0_STATUSES[id - 1]!;

/** Judge0's Status.find_runtime_error_by_status_code: a program killed by this signal number. */
export function runtimeErrorBySignal(signal: number): Judge0StatusId {
  switch (signal) {
    case 11:
      return STATUS.sigsegv;
    case 25:
      return STATUS.sigxfsz;
    case 8:
      return STATUS.sigfpe;
    case 6:
      return STATUS.sigabrt;
    default:
      return STATUS.other;
  }
}

/**
 * Every attribute a submission has, in the serializer's order (the database's columns, then
 * `status` and `language`): what `fields=*` answers, and the order of any answer.
 */
export const SUBMISSION_FIELDS = [
  'source_code',
  'language_id',
  'stdin',
  'expected_output',
  'stdout',
  'status_id',
  'created_at',
  'finished_at',
  'time',
  'memory',
  'stderr',
  'token',
  'number_of_runs',
  'cpu_time_limit',
  'cpu_extra_time',
  'wall_time_limit',
  'memory_limit',
  'stack_limit',
  'max_processes_and_or_threads',
  'enable_per_process_and_thread_time_limit',
  'enable_per_process_and_thread_memory_limit',
  'max_file_size',
  'compile_output',
  'exit_code',
  'exit_signal',
  'message',
  'wall_time',
  'compiler_options',
  'command_line_arguments',
  'redirect_stderr_to_stdout',
  'callback_url',
  'additional_files',
  'enable_network',
  'status',
  'language',
] as const;

export type SubmissionField = (typeof SUBMISSION_FIELDS)[number];

/** What an answer holds without `fields` (and what a callback holds). */
export const DEFAULT_FIELDS: readonly SubmissionField[] = ['stdout', 'time', 'memory', 'stderr', 'token', 'compile_output', 'message', 'status'];

/** The text attributes `base64_encoded=true` encodes (`message` too, as the serializer does). */
export const TEXT_FIELDS: ReadonlySet<SubmissionField> = new Set(['source_code', 'stdin', 'expected_output', 'stdout', 'stderr', 'compile_output', 'message']);

/**
 * `fields` as Judge0 reads it: comma-separated (Ruby's split: no trimming, trailing empty
 * parts dropped), `*` for all; none given, the default eight. An unknown name is a 400
 * naming every unknown one: `invalid fields: [foo, bar]`.
 */
export function requestedFields(param: unknown): { fields: readonly SubmissionField[] } | { invalid: string } {
  const text = param === undefined || param === null ? '' : String(param);
  const names = rubySplit(text, ',');
  const known = new Set<string>(SUBMISSION_FIELDS);
  const invalid = names.filter((n) => n !== '*' && !known.has(n));
  if (invalid.length) return { invalid: `invalid fields: [${invalid.join(', ')}]` };
  if (names.includes('*')) return { fields: SUBMISSION_FIELDS };
  const asked = new Set(names);
  return { fields: asked.size ? SUBMISSION_FIELDS.filter((f) => asked.has(f)) : DEFAULT_FIELDS };
}

/** Ruby's String#split(sep): trailing empty strings are dropped. */
export function rubySplit(text: string, separator: string): string[] {
  const parts = text.split(separator);
  while (parts.length && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** Ruby's Base64.encode64: the standard alphabet in lines of 60 characters, each ending in a newline. */
export function encode64(bytes: Buffer | string): string {
  const b64 = (typeof bytes === 'string' ? Buffer.from(bytes) : bytes).toString('base64');
  let out = '';
  for (let i = 0; i < b64.length; i += 60) out += `${b64.slice(i, i + 60)}\n`;
  return out;
}

/** Ruby's Base64.decode64, as lenient: characters outside the alphabet (line breaks) are skipped. */
export function decode64(text: string): Buffer {
  return Buffer.from(text.replace(/[^A-Za-z0-9+/]/g, ''), 'base64');
}

/** The text of UTF-8 bytes (a byte order mark kept), or null when they are not valid UTF-8. */
export const utf8OrNull = (bytes: Buffer): string | null => utf8Text(bytes);

/**
 * A submission's id (96 random bits) as a Judge0 token: a version-4 UUID, as Judge0's tokens
 * are (clients may hold them in UUID types: the Python SDK does), whose random bits carry the
 * id's 12 bytes (bytes 0-5, 7, 9, 10-13; bytes 14-15 zero), so a token names its submission
 * without a table of its own.
 */
export function tokenOf(id: string): string {
  const bytes = Buffer.from(id, 'base64url');
  const uuid = Buffer.alloc(16);
  bytes.copy(uuid, 0, 0, 6);
  uuid[6] = 0x40;
  uuid[7] = bytes[6]!;
  uuid[8] = 0x80;
  uuid[9] = bytes[7]!;
  bytes.copy(uuid, 10, 8, 12);
  const hex = uuid.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The submission id a token carries, or null when it is not one tokenOf made. */
export function idOf(token: string): string | null {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-40[0-9a-f]{2}-80[0-9a-f]{2}-[0-9a-f]{8}0000$/i.test(token)) return null;
  const uuid = Buffer.from(token.replaceAll('-', ''), 'hex');
  return Buffer.concat([uuid.subarray(0, 6), uuid.subarray(7, 8), uuid.subarray(9, 14)]).toString('base64url');
}

/** `wait`, `base64_encoded`: Judge0 takes only the string "true" as true. */
export const isTrue = (value: unknown): boolean => value === 'true' || value === true;

/**
 * A decimal attribute as Judge0's JSON shows it: Rails writes a BigDecimal as a string,
 * `"0.002"`, `"5.0"` (Ruby's way: a whole number keeps its `.0`).
 */
export function decimalString(value: number): string {
  const text = String(Math.round(value * 1000) / 1000);
  return /^-?\d+$/.test(text) ? `${text}.0` : text;
}

/** A limit as Ruby prints the configuration's number in a message: floats keep their `.0`. */
export const rubyFloat = (value: number): string => (Number.isInteger(value) ? `${value}.0` : String(value));

/**
 * A string of words as the bash script Judge0 runs reads it (`compile_cmd % compiler_options`,
 * `run_cmd command_line_arguments`): Judge0 first drops `$ & ; < > | \``, then bash splits on
 * blanks, honours '...' and "..." and backslashes, and a word starting with # begins a
 * comment. Globs and ~ are not expanded (runbox runs no shell); an unclosed quote is an error.
 */
export function shellWords(raw: string): { words: string[] } | { problem: string } {
  const text = raw.replace(/[$&;<>|`\0]/g, '').trim();
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < text.length && '"\\\n'.includes(text[i + 1]!)) word += text[++i] === '\n' ? '' : text[i];
      else word += c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\') {
      const next = text[++i];
      if (next !== undefined && next !== '\n') word += next;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (c === '#' && !inWord) {
      break;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) return { problem: `has an unclosed ${quote === '"' ? 'double' : 'single'} quote` };
  if (inWord) words.push(word);
  return { words };
}
