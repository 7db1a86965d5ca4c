import { v4 as uuidv4 } from 'uuid';
import type { Logger } from '../log.js';
import { destroyRunUser, provisionRunUser } from './run-user.js';
import type { RunUser } from './users.js';

export interface FreshUser {
  /** The run id the user was named after: the run that takes the user takes this id. */
  runId: string;
  user: RunUser;
}

/**
 * Single-use run users made ahead of time, so that useradd (about 20 ms, serialized) is
 * off the request path. Each user goes to exactly one run and is deleted after it; the
 * pool only ever holds users no process has run as. When it is empty a run makes its
 * own user inline. A crash leaves pooled users behind; the start-up sweep removes them.
 */
export class RunUserPool {
  private readonly ready: FreshUser[] = [];
  private filling: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly size: number,
    private readonly homeRoot: string,
    private readonly workspaceMb: number,
    private readonly logger: Logger,
  ) {}

  get available(): number {
    return this.ready.length;
  }

  /** Starts filling in the background. */
  start(): void {
    this.refill();
  }

  async take(): Promise<FreshUser> {
    const pooled = this.ready.shift();
    this.refill();
    if (pooled) return pooled;
    return this.make();
  }

  /** Stops refilling and deletes the users nobody took. */
  async drain(): Promise<void> {
    this.stopped = true;
    await this.filling;
    const left = this.ready.splice(0);
    await Promise.all(left.map((f) => destroyRunUser(f.user).catch((err: Error) => this.logger.error('cleanup failed', { user: f.user.name, error: err.message }))));
  }

  private async make(): Promise<FreshUser> {
    const runId = uuidv4();
    return { runId, user: await provisionRunUser(runId, this.homeRoot, this.workspaceMb) };
  }

  private refill(): void {
    if (this.filling || this.stopped || this.ready.length >= this.size) return;
    this.filling = (async () => {
      while (!this.stopped && this.ready.length < this.size) {
        try {
          const fresh = await this.make();
          if (this.stopped) {
            await destroyRunUser(fresh.user);
            break;
          }
          this.ready.push(fresh);
        } catch (err) {
          this.logger.error('could not create a pooled run user', { error: (err as Error).message });
          break; // the next take() tries again
        }
      }
    })().finally(() => {
      this.filling = null;
    });
  }
}
