import type { Readable } from 'node:stream';
import type { Config } from '../../config.js';
import type { LimitMaxima } from '../../protocol.js';
import type { CompileLimits, RunRequest } from '../../runs/run.js';
import { programBytes } from '../../runs/program.js';
import { pistonProgram } from './program.js';
import { PistonError, type PistonExecuteRequest } from './protocol.js';
import { findPistonRuntime, type PistonRuntime } from './runtimes.js';

/**
 * A checked Piston request as a runbox run. Piston's limits are milliseconds and bytes; a
 * missing one (absent, null or 0, as Piston reads them) is the server's maximum, and so is
 * a memory limit of -1, which Piston clients send for "no limit of my own": runbox never
 * runs anything unlimited. A limit above the server's maximum is refused, in Piston's words.
 */

const MIB = 1024 * 1024;

export interface PistonJob {
  runtime: PistonRuntime;
  run: RunRequest;
}

export function pistonJob(
  body: PistonExecuteRequest,
  runtimes: readonly PistonRuntime[],
  config: Config,
  maxima: LimitMaxima,
  stdin: string | Readable,
): PistonJob {
  const runtime = findPistonRuntime(runtimes, body.language, body.version);
  if (!runtime) throw new PistonError(`${body.language}-${body.version} runtime is unknown`);
  const program = pistonProgram(body.files, runtime.spec, config);
  if (programBytes(program) > config.codeKb * 1024) throw new PistonError(`files must total at most ${config.codeKb} KiB`, 413);
  if (typeof stdin === 'string' && Buffer.byteLength(stdin) > config.stdinKb * 1024) throw new PistonError(`stdin must be at most ${config.stdinKb} KiB`, 413);
  const args = body.args ?? [];
  if (args.length > 64) throw new PistonError('args must have at most 64 entries');
  for (const [i, arg] of args.entries()) {
    if (arg.length > 4096 || arg.includes('\0')) throw new PistonError(`args[${i}] must be at most 4096 characters, without NUL`);
  }

  const compile: Partial<CompileLimits> = {
    timeMs: milliseconds(body, 'compile_timeout', config.compileTimeMs),
    cpuTimeMs: milliseconds(body, 'compile_cpu_time', config.compileTimeMs),
    memoryMb: mebibytes(body, 'compile_memory_limit', config.compileMemoryMb),
  };
  return {
    runtime,
    run: {
      language: runtime.spec,
      program,
      stdin,
      args,
      limits: {
        timeMs: milliseconds(body, 'run_timeout', maxima.timeMs) ?? maxima.timeMs,
        cpuTimeMs: milliseconds(body, 'run_cpu_time', maxima.cpuTimeMs) ?? maxima.cpuTimeMs,
        memoryMb: mebibytes(body, 'run_memory_limit', maxima.memoryMb) ?? maxima.memoryMb,
        processes: maxima.processes,
        outputKb: maxima.outputKb,
      },
      compileLimits: compile,
    },
  };
}

/** Piston stdin: it ends with a newline, added when missing (an empty stdin is "\n"), as Piston does. */
export function pistonStdin(stdin: string | null | undefined): string {
  const text = stdin ?? '';
  return text.endsWith('\n') ? text : `${text}\n`;
}

type TimeField = 'compile_timeout' | 'compile_cpu_time' | 'run_timeout' | 'run_cpu_time';
type MemoryField = 'compile_memory_limit' | 'run_memory_limit';

/** A time limit in ms, or undefined for the maximum. */
function milliseconds(body: PistonExecuteRequest, field: TimeField, maxMs: number): number | undefined {
  const value = body[field];
  if (!value) return undefined;
  if (value < 0) throw new PistonError(`${field} must be non-negative`);
  if (value > maxMs) throw new PistonError(`${field} cannot exceed the configured limit of ${maxMs}`);
  return Math.ceil(value);
}

/** A memory limit given in bytes, as whole MiB (never more than asked), or undefined for the maximum. */
function mebibytes(body: PistonExecuteRequest, field: MemoryField, maxMb: number): number | undefined {
  const value = body[field];
  if (!value || value === -1) return undefined;
  if (value < 0) throw new PistonError(`${field} must be -1 (the server's maximum) or a number of bytes`);
  if (value > maxMb * MIB) throw new PistonError(`${field} cannot exceed the configured limit of ${maxMb * MIB}`);
  if (value < MIB) throw new PistonError(`${field} must be at least ${MIB} bytes (1 MiB)`);
  return Math.floor(value / MIB);
}
