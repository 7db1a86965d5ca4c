import { constants } from 'node:os';
import type { ExecuteResponse } from '../../protocol.js';
import type { SubmissionRecord } from '../../store/submission-queue.js';
import type { CallbackFormat } from '../../submissions/submission-worker.js';
import type { Judge0Language } from './languages.js';
import { decimalString, DEFAULT_FIELDS, encode64, runtimeErrorBySignal, STATUS, statusOf, TEXT_FIELDS, tokenOf, utf8OrNull, type Judge0StatusId, type SubmissionField } from './protocol.js';
import { JUDGE0_FIXED, type Judge0Data } from './request.js';

/**
 * A runbox submission as Judge0 shows one: its attributes (the ones asked for, in the
 * serializer's order), the run's result in Judge0's statuses and isolate's messages. How
 * runbox's results map:
 *
 *   ok                         Accepted, or Wrong Answer against expected_output (compared as
 *                              Judge0 compares: trailing whitespace of each line and of the end
 *                              ignored); Time Limit Exceeded when it used more CPU than
 *                              cpu_time_limit within cpu_extra_time (isolate's -x)
 *   compile_error              Compilation Error, compile_output the compiler's words
 *                              ("Compilation time limit exceeded." when it ran out of time)
 *   runtime_error, exit code   Runtime Error (NZEC), "Exited with error status N"
 *   runtime_error, signal      by the signal: SIGSEGV 7, SIGFPE 9, SIGABRT 10, others 12
 *   timeout                    Time Limit Exceeded, "Time limit exceeded" (" (wall clock)")
 *   output_limit               Runtime Error (SIGXFSZ): Judge0's output is a file capped by
 *                              max_file_size, whose writer gets SIGXFSZ
 *   memory_limit               as isolate reports a cgroup's kill: signal 9, Runtime Error
 *                              (Other); a runtime that stopped at its own heap limit: NZEC
 *   internal_error, killed     Internal Error, message runbox's
 *
 * As in Judge0, an empty stdout, stderr or compile output is null, exit_code is 0 unless the
 * program exited with another code, time and wall_time are seconds (decimal strings, as
 * Rails writes Judge0's decimals), memory is KB.
 */

export interface ViewOptions {
  fields: readonly SubmissionField[];
  /** Base64 for the text attributes (Ruby's encode64: lines of 60 characters) */
  base64: boolean;
  /** the reader may see the callback URL (its submitter or the admin): null to others */
  callbackUrl: boolean;
  /** for `language` and for submissions made on runbox's own API */
  languages?: ReadonlyMap<number, Judge0Language>;
}

/**
 * The submission's asked attributes, or `convertible: false` when one of its text attributes
 * is not UTF-8 and Base64 was not asked for (Judge0 answers that with an error instead).
 */
export function judge0View(record: SubmissionRecord, options: ViewOptions): { body: Record<string, unknown>; convertible: boolean } {
  const data = dataOf(record, options.languages);
  const result = resultOf(record, data);
  const language = options.languages?.get(data.language_id);
  const { request } = record;
  const stdin = !data.has_stdin ? null : request.stdinEncoding === 'base64' ? Buffer.from(request.stdin, 'base64') : Buffer.from(request.stdin);
  const expected = request.expectedOutput === null ? null : data.expected_output_bytes ? Buffer.from(data.expected_output_bytes, 'base64') : Buffer.from(request.expectedOutput);
  const text: Record<string, Buffer | null> = {
    source_code: Buffer.from(request.code),
    stdin,
    expected_output: expected,
    stdout: result.stdout,
    stderr: result.stderr,
    compile_output: result.compileOutput === null ? null : Buffer.from(result.compileOutput),
    message: result.message === null ? null : Buffer.from(result.message),
  };
  const attribute = (field: SubmissionField): unknown => {
    switch (field) {
      case 'language_id':
        return data.language_id;
      case 'status_id':
        return result.status;
      case 'created_at':
        return record.createdAt.toISOString();
      case 'finished_at':
        return record.status === 'done' ? (record.finishedAt?.toISOString() ?? null) : null;
      case 'time':
        return result.timeMs === null ? null : decimalString(result.timeMs / 1000);
      case 'wall_time':
        return result.wallMs === null ? null : decimalString(result.wallMs / 1000);
      case 'memory':
        return result.memoryKb;
      case 'token':
        return tokenOf(record.id);
      case 'exit_code':
        return result.exitCode;
      case 'exit_signal':
        return result.exitSignal;
      case 'cpu_time_limit':
      case 'cpu_extra_time':
      case 'wall_time_limit':
        return decimalString(data[field]);
      case 'number_of_runs':
      case 'memory_limit':
      case 'stack_limit':
      case 'max_processes_and_or_threads':
      case 'max_file_size':
      case 'enable_per_process_and_thread_time_limit':
      case 'enable_per_process_and_thread_memory_limit':
      case 'redirect_stderr_to_stdout':
      case 'enable_network':
      case 'compiler_options':
      case 'command_line_arguments':
        return data[field];
      case 'callback_url':
        return options.callbackUrl ? (record.callback?.url ?? null) : null;
      case 'additional_files':
        return data.additional_files === null ? null : encode64(Buffer.from(data.additional_files, 'base64'));
      case 'status':
        return statusOf(result.status);
      case 'language':
        return { id: data.language_id, name: language?.name ?? null };
      default:
        return undefined;
    }
  };
  const body: Record<string, unknown> = {};
  let convertible = true;
  for (const field of options.fields) {
    if (!TEXT_FIELDS.has(field)) {
      body[field] = attribute(field);
      continue;
    }
    const bytes = text[field] ?? null;
    if (bytes === null) body[field] = null;
    else if (options.base64) body[field] = encode64(bytes);
    else {
      const decoded = utf8OrNull(bytes);
      if (decoded === null) convertible = false;
      body[field] = decoded;
    }
  }
  return { body, convertible };
}

/** Judge0's callback: PUT of the default attributes, Base64-encoded whatever the submission asked (isolate_job.rb's call_callback). */
export const judge0CallbackFormat: CallbackFormat = {
  method: 'PUT',
  body: (record) => JSON.stringify(judge0View(record, { fields: DEFAULT_FIELDS, base64: true, callbackUrl: false }).body),
};

/** What Judge0 would have stored: the submission's own, or (made on runbox's API) worked out from its request. */
function dataOf(record: SubmissionRecord, languages: ReadonlyMap<number, Judge0Language> | undefined): Judge0Data {
  if (record.request.format === 'judge0' && record.request.formatData) return record.request.formatData as Judge0Data;
  const { request } = record;
  const canonical = [...(languages?.values() ?? [])].find((l) => l.canonical && l.spec.id === request.language);
  return {
    language_id: canonical?.id ?? 0,
    has_stdin: request.stdin !== '',
    compiler_options: null,
    command_line_arguments: request.args.length ? request.args.join(' ') : null,
    cpu_time_limit: request.limits.cpuTimeMs / 1000,
    cpu_extra_time: 0,
    wall_time_limit: request.limits.timeMs / 1000,
    memory_limit: request.limits.memoryMb * 1024,
    stack_limit: JUDGE0_FIXED.stackLimit,
    max_processes_and_or_threads: request.limits.processes,
    enable_per_process_and_thread_time_limit: false,
    enable_per_process_and_thread_memory_limit: false,
    max_file_size: request.limits.outputKb,
    redirect_stderr_to_stdout: false,
    number_of_runs: 1,
    enable_network: false,
    additional_files: null,
  };
}

interface Judge0Result {
  status: Judge0StatusId;
  stdout: Buffer | null;
  stderr: Buffer | null;
  compileOutput: string | null;
  message: string | null;
  exitCode: number | null;
  exitSignal: number | null;
  timeMs: number | null;
  wallMs: number | null;
  memoryKb: number | null;
}

const NOTHING = { stdout: null, stderr: null, compileOutput: null, message: null, exitCode: null, exitSignal: null, timeMs: null, wallMs: null, memoryKb: null };

function resultOf(record: SubmissionRecord, data: Judge0Data): Judge0Result {
  const outcome = record.outcome;
  if (record.status === 'queued') return { status: STATUS.queue, ...NOTHING };
  if (record.status !== 'done' || !outcome) return { status: STATUS.process, ...NOTHING };
  const r = outcome.result;
  if (!r) return { status: STATUS.internalError, ...NOTHING, message: outcome.message ?? 'the submission ended without running' };
  const compileOutput = r.compile?.output ? r.compile.output : null;
  if (r.status === 'compile_error') {
    return { status: STATUS.compilationError, ...NOTHING, compileOutput: r.compile?.status === 'timeout' ? 'Compilation time limit exceeded.' : compileOutput };
  }
  const bytes = (stream: 'stdout' | 'stderr' | 'output') => {
    const lost = outcome.outputBytes?.[stream];
    const all = lost !== undefined ? Buffer.from(lost, 'base64') : Buffer.from(r[stream]);
    return all.length ? all : null;
  };
  const streams = data.redirect_stderr_to_stdout ? { stdout: bytes('output'), stderr: null } : { stdout: bytes('stdout'), stderr: bytes('stderr') };
  const measured = { timeMs: r.cpuTimeMs, wallMs: r.timeMs, memoryKb: r.memoryKb, compileOutput };
  const killedBy = (signal: number, status: Judge0StatusId = runtimeErrorBySignal(signal)): Judge0Result => ({
    status,
    ...streams,
    ...measured,
    message: `Caught fatal signal ${signal}`,
    exitCode: 0,
    exitSignal: signal,
  });
  const exited = (code: number): Judge0Result => ({ status: STATUS.nzec, ...streams, ...measured, message: `Exited with error status ${code}`, exitCode: code, exitSignal: null });
  switch (r.status) {
    case 'ok': {
      // isolate: a program that finished within its extra time but used more than its limit
      if (data.cpu_time_limit > 0 && r.cpuTimeMs !== null && r.cpuTimeMs > data.cpu_time_limit * 1000) {
        return { status: STATUS.timeLimit, ...streams, ...measured, message: 'Time limit exceeded', exitCode: 0, exitSignal: null };
      }
      return { status: verdict(streams.stdout, record, data), ...streams, ...measured, message: null, exitCode: 0, exitSignal: null };
    }
    case 'timeout':
      return { status: STATUS.timeLimit, ...streams, ...measured, message: r.timeLimit === 'wall' ? 'Time limit exceeded (wall clock)' : 'Time limit exceeded', exitCode: 0, exitSignal: null };
    case 'output_limit':
      return killedBy(constants.signals.SIGXFSZ);
    case 'memory_limit':
      if (r.exitCode !== null && r.signal === null) return exited(r.exitCode);
      return killedBy(signalNumber(r.signal) ?? constants.signals.SIGKILL);
    case 'runtime_error': {
      const signal = signalNumber(r.signal);
      if (signal !== null) return killedBy(signal);
      return exited(r.exitCode ?? 1);
    }
    case 'internal_error':
    case 'killed':
      return { status: STATUS.internalError, ...streams, ...measured, message: outcome.message ?? 'the run failed inside the server', exitCode: null, exitSignal: null };
  }
}

const signalNumber = (name: ExecuteResponse['signal']): number | null => (name === null ? null : (constants.signals[name as keyof typeof constants.signals] ?? null));

/** Accepted without an expected output, else as Judge0's `strip` compares: trailing whitespace of lines and the end ignored; an empty stdout is nil, never equal. */
function verdict(stdout: Buffer | null, record: SubmissionRecord, data: Judge0Data): Judge0StatusId {
  const { expectedOutput } = record.request;
  if (expectedOutput === null) return STATUS.accepted;
  const expected = data.expected_output_bytes ? Buffer.from(data.expected_output_bytes, 'base64') : Buffer.from(expectedOutput);
  if (stdout === null) return STATUS.wrongAnswer;
  return rubyStrip(expected.toString('latin1')) === rubyStrip(stdout.toString('latin1')) ? STATUS.accepted : STATUS.wrongAnswer;
}

/** Judge0's strip: each line's trailing whitespace (Ruby's rstrip: NUL, \t \n \v \f \r and space), then the end's. Bytes as latin1, one character each. */
function rubyStrip(text: string): string {
  const rstrip = (s: string) => s.replace(/[\0\t\n\v\f\r ]+$/, '');
  return rstrip(text.split('\n').map(rstrip).join('\n'));
}
