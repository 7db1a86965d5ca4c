import { constants } from 'node:os';
import type { CompileResult, ExecuteResponse } from '../../protocol.js';
import type { PistonExecuteResponse, PistonStage } from './protocol.js';
import type { PistonRuntime } from './runtimes.js';

/**
 * runbox's result in Piston's shape. Piston reports each stage with isolate's status
 * letters: RE (exited non-zero), SG (died on a signal), TO (time limit), OL / EL (stdout /
 * stderr over the cap), XX (internal error); a stage killed at a limit has signal SIGKILL
 * and no exit code. runbox's statuses map onto those; the messages are runbox's words.
 */

export function pistonResult(runtime: PistonRuntime, result: ExecuteResponse, outputKb: number): PistonExecuteResponse {
  const compile = result.compile ? compileStage(result.compile) : undefined;
  // Piston answers a failed compile with the compile stage as `run` too: clients reading run.output see the errors
  const run = result.status === 'compile_error' && compile ? compile : runStage(result, outputKb);
  return { language: runtime.language, version: runtime.version, run, ...(compile ? { compile } : {}) };
}

export function runStage(r: ExecuteResponse, outputKb: number): PistonStage {
  const measured = { memory: r.memoryKb === null ? null : r.memoryKb * 1024, cpu_time: r.cpuTimeMs, wall_time: r.timeMs };
  const streams = { stdout: r.stdout, stderr: r.stderr, output: r.output };
  const killed = (status: string, message: string): PistonStage => ({ ...streams, code: null, signal: 'SIGKILL', status, message, ...measured });
  switch (r.status) {
    case 'ok':
      return { ...streams, code: r.exitCode, signal: null, status: null, message: null, ...measured };
    case 'timeout':
      return killed('TO', 'Time limit exceeded');
    case 'output_limit': {
      const stdoutFull = Buffer.byteLength(r.stdout) >= outputKb * 1024 - 4; // a split UTF-8 character may be dropped at the cap
      return killed(stdoutFull ? 'OL' : 'EL', stdoutFull ? 'stdout length exceeded' : 'stderr length exceeded');
    }
    case 'killed':
      return killed('SG', 'Killed on request');
    case 'memory_limit': {
      // killed by the cgroup (SIGKILL) or ended by its runtime's own heap limit (exit code)
      const exit = exitOf(r.exitCode, r.signal);
      return { ...streams, ...exit, status: exit.status ?? 'SG', message: 'Memory limit exceeded', ...measured };
    }
    case 'internal_error':
      return { ...streams, code: null, signal: null, status: 'XX', message: 'Internal error: the run failed inside the server', ...measured };
    case 'runtime_error':
    case 'compile_error':
      return { ...streams, ...exitOf(r.exitCode, r.signal), ...measured };
  }
}

export function compileStage(c: CompileResult): PistonStage {
  // runbox keeps the compiler's output as one stream: it is the compiler's diagnostics, so stderr
  const streams = { stdout: '', stderr: c.output, output: c.output };
  const measured = { memory: null, cpu_time: null, wall_time: c.timeMs };
  switch (c.status) {
    case 'ok':
      return { ...streams, code: c.exitCode ?? 0, signal: null, status: null, message: null, ...measured };
    case 'timeout':
      return { ...streams, code: null, signal: 'SIGKILL', status: 'TO', message: 'Time limit exceeded', ...measured };
    case 'output_limit':
      return { ...streams, code: null, signal: 'SIGKILL', status: 'OL', message: 'compiler output length exceeded', ...measured };
    case 'memory_limit':
      return { ...streams, code: null, signal: 'SIGKILL', status: 'SG', message: 'Memory limit exceeded', ...measured };
    case 'compile_error':
      // no exit code: runbox refused the source before compiling (the message says why)
      if (c.exitCode === null) return { ...streams, code: null, signal: null, status: 'RE', message: c.output.trim().split('\n')[0] ?? 'compile error', ...measured };
      return { ...streams, ...exitOf(c.exitCode, null), ...measured };
  }
}

/** Exit code or signal, with isolate's status and message for them. */
function exitOf(code: number | null, signal: string | null): Pick<PistonStage, 'code' | 'signal' | 'status' | 'message'> {
  if (signal) {
    const number = constants.signals[signal as keyof typeof constants.signals];
    return { code: null, signal, status: 'SG', message: `Caught fatal signal ${number ?? signal}` };
  }
  if (code === 0 || code === null) return { code, signal: null, status: null, message: null };
  return { code, signal: null, status: 'RE', message: `Exited with error status ${code}` };
}
