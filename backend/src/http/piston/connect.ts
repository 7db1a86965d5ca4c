import type { PassThrough } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import type { CompileResult, ExecuteResponse } from '../../protocol.js';
import { RunStop } from '../../runs/run.js';
import { ShuttingDownError, type LiveSlot } from '../../runs/run-service.js';
import type { AppDeps } from '../app.js';
import { cappedMaxima } from '../api-keys.js';
import { keepAlive, sendOpen, stopIfNotReading, type LiveAdmission, type LiveSocketRoute } from '../live.js';
import { LiveStdin } from '../live-stdin.js';
import { limitMaxima } from '../validate.js';
import { parsePistonRequest, PISTON_CLOSE, PISTON_CONNECT_PATH, PistonError, type PistonServerMessage } from './protocol.js';
import { pistonJob, type PistonJob } from './request.js';
import { compileStage, runStage } from './result.js';
import { pistonRuntimes, type PistonRuntime } from './runtimes.js';

/**
 * Piston's interactive WebSocket, /api/v2/connect, on runbox's live runs (the same slots,
 * cap, origin check and limits as /api/live). Messages are JSON, `{ type, ... }`:
 *
 *   client -> server: `init` (the fields of /api/v2/execute; its stdin is ignored, as
 *   Piston's is), `data { stream: "stdin", data }`, `signal { signal: "SIGKILL" }`.
 *   server -> client: `runtime { language, version }`, `stage { stage }` ("compile", "run"),
 *   `data { stream, data }`, `exit { stage, code, signal }` after each stage, and
 *   `error { message }` right before a 4002 close.
 *
 * The socket closes 4999 "Job Completed" after the last stage, or with Piston's codes for
 * a broken protocol (4000 a second init, 4001 no init in time, 4003 a message before init,
 * 4004 data for a stream other than stdin, 4005 an unknown signal). Stdin stays open, as in
 * Piston: there is no end-of-input message. runbox cannot deliver a signal into the jail, so
 * a signal that would end a process ends the run (as `kill` on /api/live); the others
 * (SIGCHLD, SIGCONT, SIGSTOP, ...) are accepted and change nothing.
 */

/** The signal names Piston accepts (Linux's, by number 1-31 and the real-time ones). */
const SIGNALS = new Set([
  ...['HUP', 'INT', 'QUIT', 'ILL', 'TRAP', 'ABRT', 'BUS', 'FPE', 'KILL', 'USR1', 'SEGV', 'USR2', 'PIPE', 'ALRM', 'TERM', 'STKFLT'],
  ...['CHLD', 'CONT', 'STOP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'XCPU', 'XFSZ', 'VTALRM', 'PROF', 'WINCH', 'IO', 'PWR', 'SYS'],
  ...['RTMIN', ...Array.from({ length: 15 }, (_, i) => `RTMIN+${i + 1}`), ...Array.from({ length: 14 }, (_, i) => `RTMAX-${14 - i}`), 'RTMAX'],
].map((name) => `SIG${name}`));

/** Signals whose default action does not end a process: nothing happens to the run. */
const HARMLESS_SIGNALS = new Set(['SIGCHLD', 'SIGCONT', 'SIGSTOP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGWINCH']);

export function pistonSocketRoute(deps: AppDeps): LiveSocketRoute {
  const context: PistonContext = { deps, runtimes: pistonRuntimes(deps.languages) };
  return { path: PISTON_CONNECT_PATH, open: (ws, slot, admission) => new PistonSession(ws, slot, context, admission) };
}

interface PistonContext {
  deps: AppDeps;
  runtimes: PistonRuntime[];
}

type Stage = 'compile' | 'run';

/**
 * One Piston connection and its one job, in order: wait for `init` -> `runtime` -> stages
 * (each `stage`, output as `data`, `exit`) -> close. Whatever ends it first (the program, a
 * signal, a broken message, idleness, the client leaving or not reading) ends the run, and
 * the live slot frees once nothing of the run is alive.
 */
class PistonSession {
  private phase: 'waiting' | 'running' | 'over' = 'waiting';
  private stage: Stage | null = null;
  private readonly input: LiveStdin;
  private inputBytes = 0;
  private readonly stop = new AbortController();
  private readonly initTimer: NodeJS.Timeout;
  private readonly idleTimer: NodeJS.Timeout;
  /** stops the keep-alive pings */
  private readonly stopPinging: () => void;

  constructor(
    private readonly ws: WebSocket,
    private readonly slot: LiveSlot,
    private readonly context: PistonContext,
    private readonly admission: LiveAdmission,
  ) {
    ws.on('message', (data) => this.receive(data));
    ws.on('error', () => undefined); // a broken connection ends in 'close' as well
    ws.on('close', () => this.abandon());
    this.input = new LiveStdin(ws, context.deps.config.liveStdinBufferKb);
    // Piston closes a connection without init after 1 s; runbox allows a slow client longer
    this.initTimer = setTimeout(() => this.phase === 'waiting' && this.end(PISTON_CLOSE.initializationTimeout), context.deps.config.liveStartTimeoutMs);
    // the idle limit of live runs: no input and no output for this long ends the run
    this.idleTimer = setTimeout(() => this.idle(), context.deps.config.liveIdleMs);
    this.stopPinging = keepAlive(ws);
  }

  private receive(data: RawData): void {
    if (this.phase === 'over') return;
    let message: Record<string, unknown>;
    try {
      // Piston parses binary messages as JSON too
      const parsed: unknown = JSON.parse(data.toString());
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new PistonError('a message must be a JSON object');
      message = parsed as Record<string, unknown>;
    } catch (err) {
      return this.fail(err instanceof PistonError ? err.message : 'the message is not valid JSON');
    }
    switch (message.type) {
      case 'init':
        if (this.phase !== 'waiting') return this.end(PISTON_CLOSE.alreadyInitialized);
        return this.init(message);
      case 'data':
        if (this.phase === 'waiting') return this.end(PISTON_CLOSE.notInitialized);
        if (message.stream !== 'stdin') return this.end(PISTON_CLOSE.onlyStdin);
        if (typeof message.data !== 'string') return this.fail('data must be a string');
        return this.feed(message.data);
      case 'signal':
        if (this.phase === 'waiting') return this.end(PISTON_CLOSE.notInitialized);
        if (typeof message.signal !== 'string' || !SIGNALS.has(message.signal)) return this.end(PISTON_CLOSE.invalidSignal);
        this.idleTimer.refresh();
        if (!HARMLESS_SIGNALS.has(message.signal)) this.stop.abort(new RunStop('killed', `${message.signal} from the client`));
        return;
      // Piston ignores messages of other types
    }
  }

  private init(message: Record<string, unknown>): void {
    const { deps, runtimes } = this.context;
    let job: PistonJob;
    try {
      const body = parsePistonRequest(message);
      // a key's caps lower the maxima: a limit asked above them is refused as one above the server's
      job = pistonJob(body, runtimes, deps.config, cappedMaxima(this.admission.caller, limitMaxima(deps.config, deps.config.liveTimeMs)), this.input.input as PassThrough) // Piston's runs have pipes, never a terminal;
    } catch (err) {
      return this.fail(err instanceof PistonError ? err.message : 'the run failed inside the server');
    }
    this.phase = 'running';
    clearTimeout(this.initTimer);
    this.idleTimer.refresh();
    this.send({ type: 'runtime', language: job.runtime.language, version: job.runtime.version });
    void this.run(job);
  }

  private async run(job: PistonJob): Promise<void> {
    const outputKb = this.context.deps.config.outputKb;
    let result: ExecuteResponse;
    try {
      result = await this.slot.execute(job.run, {
        // waiting for a user and compiling are the server's time, not the program's idling
        onStarted: () => {
          this.idleTimer.refresh();
          this.enter(job.run.language.compile ? 'compile' : 'run');
        },
        onCompiled: (compile) => {
          this.idleTimer.refresh();
          this.compiled(compile);
        },
        onOutput: (chunk) => {
          this.idleTimer.refresh();
          this.send({ type: 'data', stream: chunk.stream, data: chunk.text });
          stopIfNotReading(this.ws, this.stop);
        },
        signal: this.stop.signal,
      });
    } catch (err) {
      await this.admission.ticket.finish();
      if (err instanceof ShuttingDownError) return this.fail('the server is restarting; try again shortly');
      this.context.deps.logger.error('piston live run failed', { error: (err as Error)?.message });
      return this.fail('the run failed inside the server');
    }
    await this.admission.ticket.finish(result);
    // a failed compile had its exit already (compiled()); a job stopped before its compile
    // finished ends that stage here; a job stopped before its user came had no stage at all
    if (this.stage === 'run') this.exitStage('run', runStage(result, outputKb));
    else if (this.stage === 'compile' && result.compile === null) this.exitStage('compile', runStage(result, outputKb));
    this.end(PISTON_CLOSE.jobCompleted);
  }

  private enter(stage: Stage): void {
    this.stage = stage;
    this.send({ type: 'stage', stage });
  }

  /** The compile stage's output and exit, then the run stage if the program compiled. */
  private compiled(compile: CompileResult): void {
    if (compile.output) this.send({ type: 'data', stream: 'stderr', data: compile.output });
    // a compiler stopped by a signal or the idle limit did not fail: it was killed
    const stopped = this.stop.signal.reason;
    if (stopped instanceof RunStop) {
      const timedOut = stopped.status === 'timeout';
      return this.exitStage('compile', { code: null, signal: 'SIGKILL', status: timedOut ? 'TO' : 'SG', message: timedOut ? 'Time limit exceeded' : 'Killed on request' });
    }
    this.exitStage('compile', compileStage(compile));
    if (compile.status === 'ok') this.enter('run');
  }

  private exitStage(stage: Stage, result: { code: number | null; signal: string | null; status: string | null; message: string | null }): void {
    this.send({ type: 'exit', stage, code: result.code, signal: result.signal, status: result.status, message: result.message });
  }

  /** Passes input on to the program, within the stdin cap. */
  private feed(data: string): void {
    const capKb = this.context.deps.config.stdinKb;
    this.inputBytes += Buffer.byteLength(data);
    if (this.inputBytes > capKb * 1024) return this.fail(`stdin may total at most ${capKb} KiB`);
    this.idleTimer.refresh();
    this.input.write(data);
  }

  private idle(): void {
    if (this.phase !== 'running') return;
    const seconds = Number((this.context.deps.config.liveIdleMs / 1000).toFixed(1));
    this.stop.abort(new RunStop('timeout', `no input and no output for ${seconds} s`));
  }

  private send(message: PistonServerMessage): void {
    sendOpen(this.ws, message);
  }

  /** Piston's way out of any error: an `error` message, then close 4002. */
  private fail(message: string): void {
    this.send({ type: 'error', message });
    this.end(PISTON_CLOSE.notifiedError);
  }

  /** Closes the connection; a run still going is killed. */
  private end(close: { code: number; reason: string }): void {
    this.abandon();
    this.ws.close(close.code, close.reason);
  }

  /** Nobody will read this run any more: kill it (or give the slot back if it never started). */
  private abandon(): void {
    if (this.phase === 'over') return;
    if (this.phase === 'waiting') {
      this.slot.release();
      void this.admission.ticket.finish();
    }
    this.phase = 'over';
    clearTimeout(this.initTimer);
    clearTimeout(this.idleTimer);
    this.stopPinging();
    if (!this.stop.signal.aborted) this.stop.abort(new RunStop('killed', 'the client went away'));
    this.input.close();
  }
}
