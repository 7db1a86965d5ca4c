import pLimit from 'p-limit';
import type { ExecuteResponse } from '../protocol.js';
import { queueWaited } from '../observability/metrics.js';
import { executeRun, type RunEnvironment, type RunHooks, type RunRequest } from './run.js';

export class QueueFullError extends Error {}
export class ShuttingDownError extends Error {}
export class RunCancelledError extends Error {}
export class LiveRunsFullError extends Error {}

/**
 * A live run's place, held from the moment its connection is let in until nothing of its
 * run is alive (or until it is given back unused).
 */
export interface LiveSlot {
  /** Runs the program at once, outside the queue; a slot runs one program. */
  execute(req: RunRequest, hooks?: RunHooks): Promise<ExecuteResponse>;
  /** Gives the place back without running anything (the client left before starting). */
  release(): void;
}

/**
 * Admission for runs. Batch runs (/api/execute, the judge) go through the queue: at most
 * `concurrency` at once, at most `maxQueue` waiting; beyond that callers are turned away at
 * once instead of piling up. Live runs mostly wait for a person typing, not for a CPU, so
 * they take no queue slot: they have their own cap (`liveMax`) and are refused, never
 * queued, beyond it. Shutdown drains both.
 */
export class RunService {
  private readonly limit;
  private readonly abort = new AbortController();
  private shuttingDown = false;
  private readonly cleanups = new Set<Promise<void>>();
  /** live slots handed out and not yet free */
  private liveHeld = 0;
  /** programs running outside the run slots (live runs, interactive validators): shutdown waits for them too */
  private unslottedRunning = 0;

  constructor(
    private readonly env: RunEnvironment,
    private readonly executor: typeof executeRun = executeRun,
  ) {
    this.limit = pLimit(env.config.concurrency);
  }

  get stats() {
    return {
      active: this.limit.activeCount,
      queued: this.limit.pendingCount,
      concurrency: this.env.config.concurrency,
      maxQueue: this.env.config.maxQueue,
      usersReady: this.env.users.available,
      cleanupsPending: this.cleanups.size,
      live: { active: this.liveHeld, max: this.env.config.liveMax },
    };
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Seconds a turned-away client should wait: about one run's time limit per queue round. */
  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(this.env.config.runTimeMs / 1000));
  }

  /**
   * Queues a run. `admitted` marks a later run of work that was let in already (a judge's
   * second and further tests): it is not turned away for a full queue or a shutdown, so
   * the work finishes whole (within the shutdown grace) instead of failing halfway.
   * `hooks.signal` cancels it (the client went away), as shutdown's deadline does.
   */
  execute(req: RunRequest, hooks: RunHooks = {}, { admitted = false } = {}): Promise<ExecuteResponse> {
    if (this.shuttingDown && !admitted) return Promise.reject(new ShuttingDownError('server is shutting down'));
    const slotsBusy = this.limit.activeCount + this.limit.pendingCount >= this.env.config.concurrency;
    if (!admitted && slotsBusy && this.limit.pendingCount >= this.env.config.maxQueue) {
      return Promise.reject(new QueueFullError('run queue is full'));
    }
    const signal = this.runSignal(hooks);
    const queuedAt = performance.now();
    return new Promise<ExecuteResponse>((resolve, reject) => {
      this.limit(async () => {
        queueWaited((performance.now() - queuedAt) / 1000);
        if (this.shuttingDown && !admitted) throw new ShuttingDownError('server is shutting down');
        if (signal.aborted) throw new RunCancelledError('the run was cancelled before it started');
        await this.run(req, { ...hooks, signal }, resolve);
      }).catch(reject);
    });
  }

  /**
   * Lets a live run in, or refuses it at once (too many live runs, or shutting down). The
   * slot counts from here, before the program is known, so connections waiting to start
   * cannot outnumber the cap.
   */
  admitLive(): LiveSlot {
    if (this.shuttingDown) throw new ShuttingDownError('server is shutting down');
    const max = this.env.config.liveMax;
    if (this.liveHeld >= max) throw new LiveRunsFullError(`${max} live runs are open, as many as this server allows; try again shortly`);
    this.liveHeld++;
    let state: 'held' | 'running' | 'free' = 'held';
    const free = () => {
      state = 'free';
      this.liveHeld--;
    };
    return {
      execute: (req, hooks = {}) => {
        if (state !== 'held') return Promise.reject(new Error('a live slot runs one program'));
        if (this.shuttingDown) {
          free();
          return Promise.reject(new ShuttingDownError('server is shutting down'));
        }
        state = 'running';
        this.unslottedRunning++;
        const signal = this.runSignal(hooks);
        return new Promise<ExecuteResponse>((resolve, reject) => {
          this.run(req, { ...hooks, signal }, resolve)
            .catch(reject)
            .finally(() => {
              this.unslottedRunning--;
              free();
            });
        });
      },
      release: () => {
        if (state === 'held') free();
      },
    };
  }

  /**
   * A run that belongs to another run already holding a slot (an interactive problem's
   * output validator, which talks with the submission over pipes): it starts at once,
   * beside it, never waiting for a slot of its own, so the pair cannot wait on each other.
   */
  executeCompanion(req: RunRequest, hooks: RunHooks = {}): Promise<ExecuteResponse> {
    const signal = this.runSignal(hooks);
    this.unslottedRunning++;
    return new Promise<ExecuteResponse>((resolve, reject) => {
      this.run(req, { ...hooks, signal }, resolve)
        .catch(reject)
        .finally(() => this.unslottedRunning--);
    });
  }

  /** The caller's signal joined with shutdown's: either one kills the run. */
  private runSignal(hooks: RunHooks): AbortSignal {
    return hooks.signal ? AbortSignal.any([this.abort.signal, hooks.signal]) : this.abort.signal;
  }

  /** Runs one program; hands its result over as soon as it has one, returns once nothing of it is alive. */
  private async run(req: RunRequest, hooks: RunHooks, deliver: (result: ExecuteResponse) => void): Promise<void> {
    const outcome = await this.executor(req, this.env, hooks);
    deliver(outcome.result);
    // The slot is free once nothing of the run is alive. Deleting its user happens
    // after, through the same queue as creating users, so a backlog of deletions slows
    // new runs down instead of growing without bound.
    this.cleanups.add(outcome.cleanedUp);
    void outcome.cleanedUp.finally(() => this.cleanups.delete(outcome.cleanedUp));
    await outcome.killed;
  }

  /**
   * Stops taking work; queued runs and live slots not yet started are refused; running
   * ones (live ones too) get `graceMs` to finish and are then killed. Resolves when every
   * run (and its cleanup) is over.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.shuttingDown = true;
    const deadline = Date.now() + graceMs;
    while (this.limit.activeCount + this.limit.pendingCount + this.unslottedRunning > 0) {
      if (Date.now() >= deadline) this.abort.abort();
      await new Promise((r) => setTimeout(r, 20));
    }
    await Promise.all(this.cleanups);
  }
}
