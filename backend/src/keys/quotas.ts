import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.js';
import type { ApiKeyInfo, QuotaName } from '../protocol.js';
import type { KeyStore } from '../store/store.js';

/**
 * Who is asking: the admin (the admin key: no quota), an API key, or an anonymous client,
 * named by its address (so each address has the anonymous quota to itself).
 */
export type Caller = { kind: 'admin' } | { kind: 'key'; key: ApiKeyInfo } | { kind: 'anonymous'; address: string };

/** The quotas a caller's runs count against; null where there is no limit. */
export interface QuotaPolicy {
  perMinute: number | null;
  perDay: number | null;
  concurrent: number | null;
}

export interface AnonymousQuota {
  /** false: every request needs a key */
  allowed: boolean;
  /** 0: no limit */
  perMinute: number;
  perDay: number;
  concurrent: number;
}

/** A time window's count after this run, for the RateLimit-* headers. */
export interface WindowState {
  window: 'minute' | 'day';
  limit: number;
  used: number;
  /** seconds until the window ends */
  resetSeconds: number;
}

export class QuotaExceededError extends Error {
  constructor(
    readonly quota: QuotaName,
    readonly limit: number,
    readonly retryAfterSeconds: number,
    /** every windowed quota of the caller, for RateLimit-Policy */
    readonly policy: QuotaPolicy,
    message: string,
  ) {
    super(message);
  }
}

/** A run let in: its counts are taken; `finish` gives its lease back and records its usage. */
export interface RunTicket {
  caller: Caller;
  policy: QuotaPolicy;
  windows: WindowState[];
  /** Idempotent; never throws (a failed release is logged, and its lease expires). */
  finish(result?: { cpuTimeMs: number | null } | null): Promise<void>;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** How long a refused run is told to wait for a slot of its own to free: runs are short. */
const CONCURRENCY_RETRY_SECONDS = 1;

/**
 * Quotas of runs, counted in the store so several replicas share them: a per-minute rate
 * and a daily count (fixed windows), and runs in flight (leases this process renews while
 * it lives, so a crashed replica's runs stop counting once their leases expire).
 */
export class Quotas {
  /** names this process's leases: renewing them is one statement */
  private readonly holder = randomUUID();
  private held = 0;
  private renewTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly keys: KeyStore,
    private readonly settings: { anonymous: AnonymousQuota; leaseMs: number },
    private readonly logger: Logger,
  ) {}

  get anonymousAllowed(): boolean {
    return this.settings.anonymous.allowed;
  }

  policyOf(caller: Caller): QuotaPolicy | null {
    if (caller.kind === 'admin') return null;
    if (caller.kind === 'key') return { perMinute: caller.key.ratePerMinute, perDay: caller.key.dailyRuns, concurrent: caller.key.maxConcurrent };
    const anon = this.settings.anonymous;
    return { perMinute: anon.perMinute || null, perDay: anon.perDay || null, concurrent: anon.concurrent || null };
  }

  /**
   * Lets a run in or throws QuotaExceededError naming the quota it is over.
   * `hold: false`: work that waits in a queue counts against the windows but holds no slot
   * (`units` runs at once, all or none: a batch). `windows: false`: the slot alone, for
   * queued work starting to run (its windows were counted when it was queued).
   */
  async admit(caller: Caller, { hold = true, windows: counted = true, units = 1 }: { hold?: boolean; windows?: boolean; units?: number } = {}): Promise<RunTicket> {
    const found = this.policyOf(caller);
    const policy = found && { perMinute: counted ? found.perMinute : null, perDay: counted ? found.perDay : null, concurrent: hold ? found.concurrent : null };
    if (!policy || (policy.perMinute === null && policy.perDay === null && policy.concurrent === null)) {
      return { caller, policy: policy ?? { perMinute: null, perDay: null, concurrent: null }, windows: [], finish: async () => undefined };
    }
    const subject = caller.kind === 'key' ? `key:${caller.key.id}` : `anon:${(caller as { address: string }).address}`;
    const now = Date.now();
    const leaseId = policy.concurrent === null ? null : randomUUID();
    const outcome = await this.keys.admit({
      subject,
      now,
      perMinute: policy.perMinute,
      perDay: policy.perDay,
      lease: leaseId === null ? null : { max: policy.concurrent!, id: leaseId, holder: this.holder, expiresAt: now + this.settings.leaseMs },
      units,
    });
    const minuteReset = secondsLeft(now, MINUTE_MS);
    const dayReset = secondsLeft(now, DAY_MS);
    if (!outcome.admitted) throw this.refusal(caller, outcome.exceeded, policy, { minute: minuteReset, day: dayReset }, units);

    const windows: WindowState[] = [];
    if (policy.perMinute !== null) windows.push({ window: 'minute', limit: policy.perMinute, used: outcome.minuteUsed!, resetSeconds: minuteReset });
    if (policy.perDay !== null) windows.push({ window: 'day', limit: policy.perDay, used: outcome.dayUsed!, resetSeconds: dayReset });
    if (leaseId) this.leaseTaken();
    let finished = false;
    return {
      caller,
      policy,
      windows,
      finish: async (result) => {
        if (finished) return;
        finished = true;
        if (leaseId) this.leaseGiven();
        const usage = caller.kind === 'key' && result ? { keyId: caller.key.id, day: new Date().toISOString().slice(0, 10), cpuMs: result.cpuTimeMs ?? 0 } : null;
        await this.keys.finishRun(subject, leaseId, usage).catch((err: Error) => this.logger.error('could not release a run lease', { subject: subjectForLog(caller), error: err.message }));
      },
    };
  }

  /** Old counter windows and long-expired leases go (hourly, with the history). */
  prune(now = Date.now()): Promise<void> {
    return this.keys.pruneQuotas(now - 2 * DAY_MS);
  }

  stop(): void {
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = null;
  }

  private refusal(caller: Caller, quota: QuotaName, policy: QuotaPolicy, resets: { minute: number; day: number }, units: number): QuotaExceededError {
    const who = caller.kind === 'key' ? 'this API key' : 'anonymous clients (each address)';
    // a batch is let in whole or not at all: say that its size is what did not fit
    const these = units > 1 ? `; these ${units} runs do not all fit in what is left` : '';
    const [limit, retry, message] =
      quota === 'rate'
        ? [policy.perMinute!, resets.minute, `${who} may start ${policy.perMinute} runs per minute${these}`]
        : quota === 'daily'
          ? [policy.perDay!, resets.day, `${who} may start ${policy.perDay} runs per day (UTC)${these}`]
          : [policy.concurrent!, CONCURRENCY_RETRY_SECONDS, `${who} may have ${policy.concurrent} runs in flight at once`];
    this.logger.info('quota exceeded', { caller: subjectForLog(caller), quota, limit });
    return new QuotaExceededError(quota, limit, retry, policy, `${message}; try again in ${retry} s`);
  }

  /** Renews this process's leases while it holds any: its runs go on, they must keep counting. */
  private leaseTaken(): void {
    this.held++;
    if (this.renewTimer) return;
    const every = Math.max(250, Math.floor(this.settings.leaseMs / 3));
    this.renewTimer = setInterval(() => {
      this.keys.renewLeases(this.holder, Date.now() + this.settings.leaseMs).catch((err: Error) => this.logger.warn('could not renew run leases', { error: err.message }));
    }, every);
    this.renewTimer.unref();
  }

  private leaseGiven(): void {
    this.held--;
    if (this.held === 0) this.stop();
  }
}

function secondsLeft(now: number, windowMs: number): number {
  return Math.max(1, Math.ceil((windowMs - (now % windowMs)) / 1000));
}

/** A caller as a log line may name it: a key by its id (never the key), an address. */
export function subjectForLog(caller: Caller): string {
  return caller.kind === 'key' ? `key:${caller.key.id}` : caller.kind === 'anonymous' ? `anonymous:${caller.address}` : 'admin';
}
