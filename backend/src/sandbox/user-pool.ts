import { v4 as uuidv4 } from 'uuid';
import type { Logger } from '../log.js';
import { cleanupFailed, userCreatedInline, userPoolRefilled } from '../observability/metrics.js';
import type { RunAccounts } from './accounts.js';
import type { Jail } from './jail.js';
import type { RunUser } from './users.js';

export interface FreshUser {
  /** The run id the user was named after: the run that takes the user takes this id. */
  runId: string;
  user: RunUser;
  /** The user's first jail, already set up and waiting for a command (if a preparer was given). */
  jail: Jail | null;
}

/** Makes a jail for a new user's first phase. */
export type JailPreparer = (user: RunUser) => Promise<Jail>;

/**
 * Single-use run users made ahead of time, in batches, so that making them is off the
 * request path. Each user goes to exactly one run and is deleted after it (retire()); the
 * pool only ever holds users no process has run as. Each comes with its first jail
 * already built (namespaces, mounts, cgroup), parked before anything runs as the user.
 * When the pool is empty a run makes its own user inline. A crash leaves pooled users
 * behind; the start-up sweep removes them.
 */
export class RunUserPool {
  private readonly ready: FreshUser[] = [];
  private filling: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly size: number,
    private readonly accounts: RunAccounts,
    private readonly logger: Logger,
    private readonly prepareJail: JailPreparer | null = null,
  ) {}

  get available(): number {
    return this.ready.length;
  }

  /** Starts filling in the background. */
  start(): void {
    this.refill();
  }

  /**
   * Hands out a fresh user. Refilling waits for replenish() (called once the taker's
   * program has ended) so that making users does not compete with that program for the
   * CPU; an empty pool starts refilling at once.
   */
  async take(): Promise<FreshUser> {
    for (let pooled = this.ready.shift(); pooled; pooled = this.ready.shift()) {
      if (!pooled.jail || pooled.jail.usable) return pooled;
      void this.destroy(pooled); // its jail died waiting (the jail launcher was restarted)
    }
    this.refill();
    const [fresh] = await this.make(1);
    userCreatedInline();
    return { ...fresh!, jail: null };
  }

  /**
   * Tops the pool up in the background once half of it is gone: users are made in batches
   * of half the pool rather than one after every run, and a batch costs the accounts helper
   * about what one user does (the account files are rewritten once either way).
   */
  replenish(): void {
    if (this.ready.length * 2 > this.size) return;
    this.refill();
  }

  /** Deletes a user whose run is over (every process of it dead), in the next batch. */
  retire(user: RunUser): Promise<void> {
    return this.accounts.remove(user);
  }

  /** Stops refilling and deletes the users nobody took. */
  async drain(): Promise<void> {
    this.stopped = true;
    await this.filling;
    const left = this.ready.splice(0);
    await Promise.all(left.map((f) => this.destroy(f)));
    await this.accounts.settled();
  }

  private async make(count: number): Promise<FreshUser[]> {
    const runIds = Array.from({ length: count }, () => uuidv4());
    const users = await this.accounts.create(runIds);
    return users.map((user, i) => ({ runId: runIds[i]!, user, jail: null }));
  }

  private async warmUp(fresh: FreshUser): Promise<FreshUser> {
    if (!this.prepareJail) return fresh;
    try {
      return { ...fresh, jail: await this.prepareJail(fresh.user) };
    } catch (err) {
      await this.destroy(fresh);
      throw err;
    }
  }

  private async destroy(fresh: FreshUser): Promise<void> {
    try {
      await fresh.jail?.discard();
      await this.accounts.remove(fresh.user);
    } catch (err) {
      cleanupFailed('user');
      this.logger.error('cleanup failed', { user: fresh.user.name, error: (err as Error).message });
    }
  }

  private refill(): void {
    if (this.filling || this.stopped || this.ready.length >= this.size) return;
    this.filling = (async () => {
      let failed = false;
      while (!this.stopped && !failed && this.ready.length < this.size) {
        try {
          // one batch for everything missing; each jail is built as its user arrives
          const started = performance.now();
          const batch = await this.make(this.size - this.ready.length);
          userPoolRefilled((performance.now() - started) / 1000, batch.length);
          for (const fresh of batch) {
            if (this.stopped) {
              await this.destroy(fresh);
              continue;
            }
            const warm = await this.warmUp(fresh).catch((err: Error) => {
              this.logger.error('could not prepare a jail for a pooled run user', { error: err.message });
              return null;
            });
            if (!warm) {
              failed = true; // no retry loop: the next take() or replenish() tries again
              continue;
            }
            if (this.stopped) await this.destroy(warm);
            else this.ready.push(warm);
          }
        } catch (err) {
          this.logger.error('could not create pooled run users', { error: (err as Error).message });
          break; // the next take() tries again
        }
      }
    })().finally(() => {
      this.filling = null;
    });
  }
}
