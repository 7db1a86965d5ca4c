import type { Readable } from 'node:stream';
import type { z } from 'zod';
import type { Config } from '../config.js';
import type { LanguageSet, LanguageSpec } from '../languages/registry.js';
import type { ExecuteRequest, LimitMaxima } from '../protocol.js';
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
    const field = [...issue.path, ...keys.slice(0, 1)].join('.') || '(body)';
    const message = issue.code === 'unrecognized_keys' ? 'is not a known field' : issue.message;
    throw badField(field, message);
  }
  return parsed.data;
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
export function checkSizes(config: Config, fields: { code?: string; stdin?: string }): void {
  if (fields.code !== undefined && Buffer.byteLength(fields.code) > config.codeKb * 1024) throw badField('code', `must be at most ${config.codeKb} KiB`, 413);
  if (fields.stdin !== undefined && Buffer.byteLength(fields.stdin) > config.stdinKb * 1024) throw badField('stdin', `must be at most ${config.stdinKb} KiB`, 413);
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
export function runRequest(body: ExecuteRequest, language: LanguageSpec, stdin: string | Readable, maxima: LimitMaxima): RunRequest {
  const l = body.limits ?? {};
  return {
    language,
    code: body.code,
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
