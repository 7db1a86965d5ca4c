import pLimit from 'p-limit';
import type { ExecuteResponse } from '../protocol.js';
import { executeRun, type RunEnvironment, type RunHooks, type RunRequest } from './run.js';

export class QueueFullError extends Error {}
export class ShuttingDownError extends Error {}
export class RunCancelledError extends Error {}

/**
 * The run queue: at most `concurrency` runs at once, at most `maxQueue` waiting; beyond
 * that callers are turned away at once instead of piling up.
 */
export class RunService {
  private readonly limit;
  private readonly abort = new AbortController();
  private shuttingDown = false;
  private readonly cleanups = new Set<Promise<void>>();

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
    const signal = hooks.signal ? AbortSignal.any([this.abort.signal, hooks.signal]) : this.abort.signal;
    return new Promise<ExecuteResponse>((resolve, reject) => {
      this.limit(async () => {
        if (this.shuttingDown && !admitted) throw new ShuttingDownError('server is shutting down');
        if (signal.aborted) throw new RunCancelledError('the run was cancelled before it started');
        const outcome = await this.executor(req, this.env, { ...hooks, signal });
        resolve(outcome.result);
        // The slot is free once nothing of the run is alive. Deleting its user happens
        // after, through the same queue as creating users, so a backlog of deletions slows
        // new runs down instead of growing without bound.
        this.cleanups.add(outcome.cleanedUp);
        void outcome.cleanedUp.finally(() => this.cleanups.delete(outcome.cleanedUp));
        await outcome.killed;
      }).catch(reject);
    });
  }

  /**
   * Stops taking work; queued runs are refused; running ones get `graceMs` to finish and
   * are then killed. Resolves when every run (and its cleanup) is over.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.shuttingDown = true;
    const deadline = Date.now() + graceMs;
    while (this.limit.activeCount + this.limit.pendingCount > 0) {
      if (Date.now() >= deadline) this.abort.abort();
      await new Promise((r) => setTimeout(r, 20));
    }
    await Promise.all(this.cleanups);
  }
}
