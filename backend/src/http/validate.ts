import type { z } from 'zod';
import type { Config } from '../config.js';
import type { LanguageSet, LanguageSpec } from '../languages/registry.js';
import type { ExecuteRequest, LimitMaxima, ProgramFile } from '../protocol.js';
import { singleFileProgram, type AnyProgram, type Program, type RunFile } from '../runs/program.js';
import type { RunRequest } from '../runs/run.js';
import { badField, HttpError } from './errors.js';

/** Checks a JSON body against its schema; the first problem becomes a 400 naming the field. */
export function parseBody<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new HttpError(400, { error: 'Invalid request', message: 'the body must be a JSON object' });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const field = fieldPath([...issue.path, ...keys.slice(0, 1)]);
    const message = issue.code === 'unrecognized_keys' ? 'is not a known field' : issue.message;
    throw badField(field, message);
  }
  return parsed.data;
}

/** A field's path as a client writes it: `limits.timeMs`, `files[2].name`. */
function fieldPath(path: readonly PropertyKey[]): string {
  const text = path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`)).join('');
  return text || '(body)';
}

/** A language this server offers, by id or alias; anything else is a 400 listing the offered ones. */
export function resolveLanguage(languages: LanguageSet, name: string): LanguageSpec {
  const language = languages.find(name);
  if (!language) {
    throw new HttpError(400, {
      error: 'Unsupported language',
      field: 'language',
      message: `language "${name.slice(0, 64)}" is not supported`,
      supported: languages.ids,
    });
  }
  return language;
}

/** Code and stdin have their own caps (413), below the body limit. */
export function checkSizes(config: Config, fields: { code?: string; stdin?: string | Buffer }): void {
  if (fields.code !== undefined && Buffer.byteLength(fields.code) > config.codeKb * 1024) throw badField('code', `must be at most ${config.codeKb} KiB`, 413);
  if (fields.stdin !== undefined && Buffer.byteLength(fields.stdin) > config.stdinKb * 1024) throw badField('stdin', `must be at most ${config.stdinKb} KiB`, 413);
}

/** A request's program part: `code` or `files`, exactly one. Files are text, or bytes from Piston's API (program.ts). */
export interface ProgramFields<C extends string | Buffer = string> {
  code?: string;
  files?: readonly (RunFile<C> & Pick<ProgramFile, 'main'>)[];
}

/**
 * The program a request gives, checked: exactly one of `code` and `files`, within the code
 * cap (413), and of several files the entry (the one with `main`, else the first) must be a
 * source file of the language (the language's own rule: a Python program starts in a .py).
 */
export function programOf<C extends string | Buffer = string>(config: Config, language: LanguageSpec, fields: ProgramFields<C>): Program<C | string> {
  const capBytes = config.codeKb * 1024;
  if (fields.code !== undefined && fields.files !== undefined) throw badField('files', 'cannot come with code: give one file as code or several as files, not both');
  if (fields.files === undefined) {
    if (fields.code === undefined) throw badField('code', 'is required (or files, for a program of several files)');
    if (Buffer.byteLength(fields.code) > capBytes) throw badField('code', `must be at most ${config.codeKb} KiB`, 413);
    return singleFileProgram(language, fields.code);
  }
  const files = fields.files.map(({ name, content }) => ({ name, content }));
  if (files.reduce((n, f) => n + Buffer.byteLength(f.content), 0) > capBytes) throw badField('files', `must total at most ${config.codeKb} KiB`, 413);
  // the language's own per-run directories (build caches) are made next to the files
  for (const [i, f] of files.entries()) {
    const dir = language.writableDirs.find((d) => f.name === d || f.name.startsWith(`${d}/`) || d.startsWith(`${f.name}/`));
    if (dir) throw badField(`files[${i}].name`, `clashes with ${dir}, where ${language.id} keeps its own files during a run`);
  }
  const entryIndex = Math.max(0, fields.files.findIndex((f) => f.main === true));
  const entry = files[entryIndex]!;
  const role = fields.files[entryIndex]!.main ? 'is the entry file (main)' : 'is the entry file (the first; mark another with main: true)';
  if (!language.sourceExtensions.some((ext) => entry.name.endsWith(ext))) {
    throw badField(`files[${entryIndex}].name`, `${role}, so it must end in ${language.sourceExtensions.join(', ')} for ${language.id}`);
  }
  const { name, content } = entry;
  if (typeof content !== 'string') throw badField(`files[${entryIndex}]`, `${role}, so it must be text`);
  return { files, entry: { name, content } };
}

/** JSON bodies may carry code and stdin at their caps, plus escaping overhead and the rest. */
export function bodyLimitBytes(config: Config): number {
  return (config.codeKb + config.stdinKb) * 1024 * 2 + 64 * 1024;
}

/** The most a request may ask for; `timeMs` is the wall clock allowed (a live run's is its budget). */
export function limitMaxima(config: Config, timeMs = config.runTimeMs): LimitMaxima {
  return { timeMs, cpuTimeMs: config.runCpuMs, memoryMb: config.runMemoryMb, processes: config.runProcesses, outputKb: config.outputKb };
}

/** A checked request as a run: each limit the request's own, else the maximum. */
export function runRequest(body: ExecuteRequest, language: LanguageSpec, program: AnyProgram, stdin: RunRequest['stdin'], maxima: LimitMaxima): RunRequest {
  const l = body.limits ?? {};
  return {
    language,
    program,
    stdin,
    args: body.args ?? [],
    limits: {
      timeMs: l.timeMs ?? maxima.timeMs,
      cpuTimeMs: l.cpuTimeMs ?? maxima.cpuTimeMs,
      memoryMb: l.memoryMb ?? maxima.memoryMb,
      processes: l.processes ?? maxima.processes,
      outputKb: l.outputKb ?? maxima.outputKb,
    },
  };
}
