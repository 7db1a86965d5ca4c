import type { Config } from '../../config.js';
import type { LimitMaxima } from '../../protocol.js';
import type { NewQueuedSubmission, StoredRequest } from '../../store/submission-queue.js';
import { MAX_CALLBACK_URL } from '../../submission-protocol.js';
import { HttpError } from '../errors.js';
import { programOf } from '../validate.js';
import type { Judge0Language } from './languages.js';
import { decode64, rubyFloat, shellWords, utf8OrNull } from './protocol.js';
import { unpackAdditionalFiles } from './zip.js';

/**
 * A Judge0 submission checked as Judge0 checks one (app/models/submission.rb: Rails'
 * validations, their messages and their order), then as runbox checks any run: the result is
 * a runbox queued submission, or Judge0's 422 body, `{ "field": ["message", ...] }`, every
 * field at fault with all its messages.
 *
 * Limits are Judge0's units (seconds, KB). Their maxima are runbox's, lowered to the API
 * key's caps: a limit asked above a key's cap is the same 422 as above the server's, with the
 * cap as the maximum. A limit left out (or null, or "") is that maximum, as on runbox's own
 * API; `/config_info` tells a caller the same numbers.
 */

/** What Judge0 keeps of a submission that runbox's stored request does not say: shown again by `fields`. */
export interface Judge0Data {
  language_id: number;
  /** stdin was given (Judge0 shows null, not "", when it was not) */
  has_stdin: boolean;
  /** the expected output's bytes (Base64) when they are not UTF-8 text */
  expected_output_bytes?: string;
  compiler_options: string | null;
  command_line_arguments: string | null;
  cpu_time_limit: number;
  cpu_extra_time: number;
  wall_time_limit: number;
  memory_limit: number;
  stack_limit: number;
  max_processes_and_or_threads: number;
  enable_per_process_and_thread_time_limit: boolean;
  enable_per_process_and_thread_memory_limit: boolean;
  max_file_size: number;
  redirect_stderr_to_stdout: boolean;
  number_of_runs: number;
  enable_network: boolean;
  /** the zip as sent (Base64) */
  additional_files: string | null;
}

export type Judge0Errors = Record<string, string[]>;

/** A 422 (or another status) with Judge0's body as it is: the field errors, or `{ error }`. */
export class Judge0Error extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body === 'object' && body && 'error' in body ? String((body as { error: unknown }).error) : `Judge0 error ${status}`);
  }
}

/** Judge0's own configuration values runbox has no setting for (app/helpers/config.rb defaults). */
export const JUDGE0_FIXED = {
  maxNumberOfRuns: 20,
  maxCpuExtraTime: 5,
  stackLimit: 64000,
  maxStackLimit: 128000,
  /** Judge0's minimum memory_limit (KB) */
  minMemoryLimit: 2048,
  maxOptionLength: 512,
} as const;

/** The limits one caller may ask for, in Judge0's units (/config_info and the 422s say these). */
export interface Judge0Maxima {
  cpuTimeLimit: number;
  wallTimeLimit: number;
  memoryLimit: number;
  maxProcesses: number;
  maxFileSize: number;
}

export function judge0Maxima(maxima: LimitMaxima): Judge0Maxima {
  return {
    cpuTimeLimit: maxima.cpuTimeMs / 1000,
    wallTimeLimit: maxima.timeMs / 1000,
    memoryLimit: maxima.memoryMb * 1024,
    maxProcesses: maxima.processes,
    maxFileSize: maxima.outputKb,
  };
}

export interface CheckContext {
  config: Config;
  languages: ReadonlyMap<number, Judge0Language>;
  /** runbox's maxima lowered to the caller's caps */
  maxima: LimitMaxima;
  /** `base64_encoded=true`: source_code, stdin and expected_output come Base64-encoded */
  base64: boolean;
  /** why this callback URL may not be used by this caller, or null */
  callbackProblem(url: string): Promise<string | null>;
  owner: string | null;
}

/** A checked submission, ready for the queue; or Judge0's field errors. */
export async function checkSubmission(raw: unknown, ctx: CheckContext): Promise<{ submission: NewQueuedSubmission } | { errors: Judge0Errors }> {
  const params = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  const errors: Judge0Errors = {};
  const add = (field: string, message: string) => void (errors[field] ??= []).push(message);
  const { config, maxima } = ctx;
  const max = judge0Maxima(maxima);

  // text: Base64 when asked (Ruby's lenient decode64), bytes either way
  const bytesOf = (field: string, base64: boolean): Buffer | null => {
    const text = railsString(params[field]);
    if (text === null) return null;
    return base64 ? decode64(text) : Buffer.from(text);
  };
  const source = bytesOf('source_code', ctx.base64);
  const stdin = bytesOf('stdin', ctx.base64);
  const expected = bytesOf('expected_output', ctx.base64);
  const sourceText = source === null ? null : utf8OrNull(source);
  const languageId = railsInteger(params.language_id);

  if (source === null || (sourceText !== null && /^\s*$/u.test(sourceText))) add('source_code', "can't be blank");
  if (languageId === null) add('language_id', "can't be blank");
  const numberOfRuns = numeric(params, 'number_of_runs', add, { gt: 0, lte: JUDGE0_FIXED.maxNumberOfRuns }, 1);
  const cpuTimeLimit = numeric(params, 'cpu_time_limit', add, { gte: 0, lte: max.cpuTimeLimit, float: true }, max.cpuTimeLimit);
  const cpuExtraTime = numeric(params, 'cpu_extra_time', add, { gte: 0, lte: JUDGE0_FIXED.maxCpuExtraTime, float: true }, 0);
  const wallTimeLimit = numeric(params, 'wall_time_limit', add, { gte: 1, lte: max.wallTimeLimit, float: true }, max.wallTimeLimit);
  const memoryLimit = numeric(params, 'memory_limit', add, { gte: JUDGE0_FIXED.minMemoryLimit, lte: max.memoryLimit }, max.memoryLimit);
  const stackLimit = numeric(params, 'stack_limit', add, { gte: 0, lte: JUDGE0_FIXED.maxStackLimit }, JUDGE0_FIXED.stackLimit);
  const maxProcesses = numeric(params, 'max_processes_and_or_threads', add, { gt: 0, lte: max.maxProcesses }, max.maxProcesses);
  const perProcessTime = railsBoolean(params.enable_per_process_and_thread_time_limit) ?? false;
  if (perProcessTime) add('enable_per_process_and_thread_time_limit', 'this option cannot be enabled');
  const perProcessMemory = railsBoolean(params.enable_per_process_and_thread_memory_limit) ?? false;
  if (perProcessMemory) add('enable_per_process_and_thread_memory_limit', 'this option cannot be enabled');
  const maxFileSize = numeric(params, 'max_file_size', add, { gte: 0, lte: max.maxFileSize }, max.maxFileSize);
  const compilerOptions = railsString(params.compiler_options);
  const commandLineArguments = railsString(params.command_line_arguments);
  for (const [field, value] of [['compiler_options', compilerOptions], ['command_line_arguments', commandLineArguments]] as const) {
    if (value !== null && [...value].length > JUDGE0_FIXED.maxOptionLength) add(field, `is too long (maximum is ${JUDGE0_FIXED.maxOptionLength} characters)`);
  }

  // Judge0's own checks of the attributes together, in its order
  const language = languageId === null ? undefined : ctx.languages.get(languageId);
  if (languageId !== null && !language) add('language_id', `language with id ${languageId} doesn't exist`);
  const options = compilerOptions === null || compilerOptions.trim() === '' ? null : shellWords(compilerOptions);
  if (options && language) {
    const rules = language.spec.compilerOptions;
    if (!language.spec.compile) add('compiler_options', 'setting compiler options is only allowed for compiled languages');
    else if (!rules) add('compiler_options', `setting compiler options is only allowed for ${compilerOptionLanguages(ctx.languages)}`);
    else if ('problem' in options) add('compiler_options', options.problem);
    else {
      const problem = rules.problem(options.words);
      if (problem) add('compiler_options', problem);
    }
  }
  const args = commandLineArguments === null ? { words: [] } : shellWords(commandLineArguments);
  if ('problem' in args) add('command_line_arguments', args.problem);
  else if (args.words.length > 64) add('command_line_arguments', 'must be at most 64 arguments');
  else if (args.words.some((a) => a.length > 4096)) add('command_line_arguments', 'must have no argument longer than 4096 characters');
  const callbackUrl = railsString(params.callback_url);
  if (callbackUrl !== null && callbackUrl !== '') {
    const problem = callbackUrl.length > MAX_CALLBACK_URL ? `is too long (maximum is ${MAX_CALLBACK_URL} characters)` : await ctx.callbackProblem(callbackUrl);
    if (problem) add('callback_url', problem);
  }
  const zipText = railsString(params.additional_files);
  const zip = zipText === null || zipText === '' ? null : decode64(zipText);
  const network = railsBoolean(params.enable_network) ?? config.allowNetwork;
  if (network && !config.allowNetwork) add('enable_network', 'enabling network is not allowed');
  const redirect = railsBoolean(params.redirect_stderr_to_stdout) ?? false;

  // runbox's own bounds, in Judge0's words
  if (source !== null && sourceText === null) add('source_code', 'is not valid UTF-8 text (runbox runs source code as text)');
  if (source !== null && source.length > config.codeKb * 1024) add('source_code', `is too long (maximum is ${config.codeKb} KiB)`);
  if (stdin !== null && stdin.length > config.stdinKb * 1024) add('stdin', `is too long (maximum is ${config.stdinKb} KiB)`);
  if (expected !== null && expected.length > maxima.outputKb * 1024) add('expected_output', `is too long (maximum is ${maxima.outputKb} KiB, the output cap)`);

  let files: StoredRequest['files'];
  let entry: string | undefined;
  if (zip && language && sourceText !== null && !errors.source_code) {
    const sourceFile = language.spec.sourceFile(sourceText);
    const unpacked = unpackAdditionalFiles(zip, config.codeKb * 1024 - source!.length, config.codeKb, sourceFile);
    if ('problem' in unpacked) add('additional_files', unpacked.problem);
    else if (unpacked.files.length > 0) {
      const all: { name: string; content: string | Buffer; main?: boolean }[] = [{ name: sourceFile, content: sourceText, main: true }, ...unpacked.files];
      try {
        const program = programOf(config, language.spec, { files: all });
        entry = program.entry.name;
        files = program.files.map((f) => {
          const text = typeof f.content === 'string' ? f.content : utf8OrNull(f.content);
          return text !== null ? { name: f.name, content: text } : { name: f.name, content: (f.content as Buffer).toString('base64'), encoding: 'base64' as const };
        });
      } catch (err) {
        if (!(err instanceof HttpError)) throw err;
        // runbox's message names the file by its place in the program: name it by its name
        const message = err.body.message ?? err.body.error;
        add('additional_files', message.replace(/^files\[(\d+)\](?:\.name)? /, (_, i: string) => `holds ${JSON.stringify(all[Number(i)]?.name)}, which `).replace(/^files /, 'with the source code '));
      }
    }
  }

  if (Object.keys(errors).length > 0) return { errors };
  const stdinText = stdin === null ? '' : utf8OrNull(stdin);
  const expectedText = expected === null ? null : utf8OrNull(expected);
  const data: Judge0Data = {
    language_id: languageId!,
    has_stdin: stdin !== null,
    ...(expected !== null && expectedText === null ? { expected_output_bytes: expected.toString('base64') } : {}),
    compiler_options: compilerOptions,
    command_line_arguments: commandLineArguments,
    cpu_time_limit: cpuTimeLimit,
    cpu_extra_time: cpuExtraTime,
    wall_time_limit: wallTimeLimit,
    memory_limit: Math.trunc(memoryLimit),
    stack_limit: Math.trunc(stackLimit),
    max_processes_and_or_threads: Math.trunc(maxProcesses),
    enable_per_process_and_thread_time_limit: perProcessTime,
    enable_per_process_and_thread_memory_limit: perProcessMemory,
    max_file_size: Math.trunc(maxFileSize),
    redirect_stderr_to_stdout: redirect,
    number_of_runs: Math.trunc(numberOfRuns),
    enable_network: network,
    additional_files: zip ? zip.toString('base64') : null,
  };
  // isolate's way with -t and -x: the program may run `cpu_extra_time` past its limit before
  // it is killed, and is Time Limit Exceeded if it used more than the limit (view.ts); never
  // past the maximum. A limit of 0 (no limit, to Judge0) is the maximum.
  const cpuMs = cpuTimeLimit === 0 ? maxima.cpuTimeMs : Math.ceil(cpuTimeLimit * 1000);
  const request: StoredRequest = {
    language: language!.spec.id,
    code: sourceText!,
    ...(files ? { files, entry, compileEntryOnly: true } : {}),
    ...(stdinText === null ? { stdin: stdin!.toString('base64'), stdinEncoding: 'base64' as const } : { stdin: stdinText }),
    args: 'words' in args ? args.words : [],
    limits: {
      timeMs: Math.min(maxima.timeMs, Math.ceil(wallTimeLimit * 1000)),
      cpuTimeMs: Math.min(maxima.cpuTimeMs, cpuMs + Math.ceil(cpuExtraTime * 1000)),
      memoryMb: Math.max(1, Math.min(maxima.memoryMb, Math.floor(memoryLimit / 1024))),
      processes: Math.min(maxima.processes, Math.trunc(maxProcesses)),
      outputKb: Math.min(maxima.outputKb, Math.trunc(maxFileSize)),
    },
    expectedOutput: expected === null ? null : (expectedText ?? expected.toString('latin1')),
    ...(options && 'words' in options && options.words.length ? { compilerOptions: options.words } : {}),
    keepOutputBytes: true,
    format: 'judge0',
    formatData: data,
  };
  return { submission: { owner: ctx.owner, callbackUrl: callbackUrl === null || callbackUrl === '' ? null : callbackUrl, request } };
}

/** The languages whose compile takes flags, as Judge0 names the list: "C and C++". */
function compilerOptionLanguages(languages: ReadonlyMap<number, Judge0Language>): string {
  const names = [...new Set([...languages.values()].filter((l) => l.canonical && l.spec.compilerOptions).map((l) => l.name.replace(/ \(.*$/, '')))];
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : (names[0] ?? 'no language on this server');
}

interface NumericRule {
  gt?: number;
  gte?: number;
  lte: number;
  /** a decimal attribute: its maximum (Judge0's configuration, a Float) prints as Ruby prints a float */
  float?: boolean;
}

/**
 * A number attribute as Rails validates `numericality`: absent, null or "" is the default
 * (Judge0 fills defaults before validating); a value that is not a number is "is not a
 * number"; else each bound it breaks, in Rails' words.
 */
function numeric(params: Record<string, unknown>, field: string, add: (field: string, message: string) => void, rule: NumericRule, fallback: number): number {
  const raw = params[field];
  // Rails' permit drops what is not a scalar: an object or an array is as absent
  if (raw === undefined || raw === null || raw === '' || typeof raw === 'object') return fallback;
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw.trim()) : NaN;
  if (!Number.isFinite(value)) {
    add(field, 'is not a number');
    return fallback;
  }
  // the lower bounds are the model's integer literals; the upper ones Judge0's configuration, floats for the decimal attributes
  if (rule.gt !== undefined && !(value > rule.gt)) add(field, `must be greater than ${rule.gt}`);
  if (rule.gte !== undefined && !(value >= rule.gte)) add(field, `must be greater than or equal to ${rule.gte}`);
  if (!(value <= rule.lte)) add(field, `must be less than or equal to ${rule.float ? rubyFloat(rule.lte) : rule.lte}`);
  return value;
}

/** A string attribute as Rails casts a permitted parameter: scalars become text, anything else nothing. */
function railsString(raw: unknown): string | null {
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  return null;
}

/** An integer attribute as Rails casts it (Ruby's to_i: "71" and 71.0 are 71, "abc" is 0); null when absent. */
function railsInteger(raw: unknown): number | null {
  if (raw === undefined || raw === null || raw === '') return null;
  if (typeof raw === 'number') return Number.isFinite(raw) ? Math.trunc(raw) : null;
  if (typeof raw === 'boolean') return raw ? 1 : 0;
  if (typeof raw === 'string') return Number(/^\s*[+-]?\d+/.exec(raw)?.[0] ?? 0);
  return null;
}

const FALSE_VALUES = new Set(['false', '0', 'f', 'F', 'FALSE', 'off', 'OFF']);

/** A boolean attribute as Rails casts it: null when absent or "", false for Rails' false values, else true. */
function railsBoolean(raw: unknown): boolean | null {
  if (raw === undefined || raw === null || raw === '' || typeof raw === 'object') return null;
  if (raw === false || raw === 0) return false;
  if (typeof raw === 'string' && FALSE_VALUES.has(raw)) return false;
  return true;
}
