import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import os from 'node:os';
import type { Config } from '../config.js';
import type { LanguageSet, LanguageSpec } from '../languages/registry.js';
import { singleFileProgram, type AnyProgram } from '../runs/program.js';
import type { Logger } from '../log.js';
import { QuotaExceededError, type Quotas, type RunTicket } from '../keys/quotas.js';
import type { KeyStore } from '../store/store.js';
import { callbackAttempted, submissionFinished } from '../observability/metrics.js';
import type { RunLimits } from '../runs/run.js';
import { QueueFullError, RunCancelledError, ShuttingDownError, type RunService } from '../runs/run-service.js';
import { OutputBytes } from '../runs/output-bytes.js';
import { IDEMPOTENCY_KEEP_MS } from '../store/idempotency-keys.js';
import type { ClaimedSubmission, SubmissionOutcome, SubmissionQueue, SubmissionRecord, StoredRequest } from '../store/submission-queue.js';
import type { CallbackPolicy } from './callback-address.js';
import { deliverCallback, type CallbackSecretLookup } from './callback-delivery.js';
import { callbackBody, hostOf, verdictOf } from './submission-view.js';

/**
 * How often a server looks for work queued through another server (its own submissions
 * and finished runs wake it at once): every 250 ms while there is work, slowing to once a
 * second when several looks in a row found nothing.
 */
const POLL_MS = 250;
const IDLE_POLL_MS = 1000;
/** Claims one submission may go through: a program that kills its server each time stops after this. */
export const MAX_ATTEMPTS = 3;
/** Callbacks being delivered at once by one server. */
const MAX_DELIVERIES = 8;
/** The first retry of a failed callback; each next one waits twice as long, up to RUNBOX_CALLBACK_BACKOFF_CAP_SECONDS. */
const CALLBACK_BACKOFF_MS = 1000;
/**
 * Each wait is up to this share shorter, at random: the receiver that failed a thousand
 * callbacks at once (it was down) does not get all their retries in the same second.
 */
const CALLBACK_JITTER = 0.2;
/** A queued submission whose key has every run slot taken is not claimed again before this. */
const HELD_BACK_MS = 500;

/** The wait before try `attempt + 1` of a callback whose try `attempt` failed. */
export function callbackRetryDelayMs(attempt: number, capSeconds: number, random = Math.random()): number {
  const capped = Math.min(capSeconds * 1000, CALLBACK_BACKOFF_MS * 2 ** Math.min(attempt - 1, 40));
  return Math.round(capped * (1 - CALLBACK_JITTER * random));
}

export interface SubmissionWorkerDeps {
  config: Config;
  runs: RunService;
  languages: LanguageSet;
  queue: SubmissionQueue;
  logger: Logger;
  callbackSecrets: CallbackSecretLookup;
  callbackPolicy: CallbackPolicy;
  /** A key's submission holds one of the key's run slots while it runs, and counts in its usage. */
  quotas: Quotas;
  keys: KeyStore;
  /**
   * Callbacks of submissions that came through another API than runbox's own (their
   * request's `format`: `judge0`), in that API's method and body; the others are runbox's.
   */
  callbackFormats?: Readonly<Record<string, CallbackFormat>>;
}

/** How an API other than runbox's calls a callback: its method and its body of the finished submission. */
export interface CallbackFormat {
  method: 'POST' | 'PUT';
  body(record: SubmissionRecord, attempt: number): string;
}

/**
 * Runs the store's queued submissions on this server and delivers their callbacks.
 *
 * It claims only as many as the run service has free slots, so queued submissions fill
 * idle capacity and /api/execute waits behind at most `concurrency` of them: both go
 * through the same slots. Its claims carry its name and a lease it renews while it works;
 * the claims of a server that died go back to the queue when their lease runs out (at
 * once for this server's own predecessor, found at start).
 */
export class SubmissionWorker {
  /** `<host>/<instance>/<pid>/<random>`: unique per server process; the first two name its predecessors. */
  readonly name: string;
  private readonly predecessorPrefix: string;
  private readonly inFlight = new Set<Promise<void>>();
  private running = 0;
  private delivering = 0;
  private stopped = false;
  private polling = false;
  private pollAgain = false;
  private emptyPolls = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private pollTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private readonly finished = new EventEmitter();
  private readonly deliveries = new AbortController();

  /** Where callbacks may go: the submit route checks URLs with the same rules. */
  get callbackPolicy(): CallbackPolicy {
    return this.deps.callbackPolicy;
  }

  get callbackSecrets(): CallbackSecretLookup {
    return this.deps.callbackSecrets;
  }

  constructor(private readonly deps: SubmissionWorkerDeps) {
    this.predecessorPrefix = `${os.hostname()}/${deps.config.instance || 'main'}/`;
    this.name = `${this.predecessorPrefix}${process.pid}/${randomBytes(4).toString('hex')}`;
    this.finished.setMaxListeners(0);
  }

  /** Takes back what a dead predecessor held, then starts polling, renewing and pruning. */
  async start(): Promise<void> {
    const { queue, config, logger } = this.deps;
    const recovered = await queue.recoverOwnedBy(this.predecessorPrefix, MAX_ATTEMPTS, failedOutcome);
    if (recovered.requeued + recovered.failed + recovered.callbacks > 0) logger.warn('took back submissions of a server that stopped', recovered);
    // given up after MAX_ATTEMPTS: finished too, without a run
    submissionFinished('internal_error', recovered.failed);
    const every = (ms: number, work: () => Promise<unknown>, what: string) => {
      const timer = setInterval(() => void work().catch((err: Error) => logger.error(`submission queue: ${what} failed`, { error: err.message })), ms);
      timer.unref();
      return timer;
    };
    const leaseMs = config.submissionLeaseMs;
    this.heartbeatTimer = every(Math.floor(leaseMs / 3), () => queue.renewLeases(this.name, leaseMs), 'renewing leases');
    this.timers.push(
      every(Math.max(1000, Math.floor(leaseMs / 3)), async () => {
        const r = await queue.recoverExpired(MAX_ATTEMPTS, failedOutcome);
        submissionFinished('internal_error', r.failed);
        if (r.requeued + r.failed + r.callbacks > 0) logger.warn('took back submissions whose server stopped renewing them', r);
      }, 'recovering expired claims'),
      every(Math.min(60_000, Math.max(1000, (config.submissionKeepSeconds * 1000) / 2)), async () => {
        const removed = await queue.prune(new Date(Date.now() - config.submissionKeepSeconds * 1000));
        if (removed > 0) logger.info('submissions pruned', { removed, olderThanSeconds: config.submissionKeepSeconds });
        // idempotency keys live a day, and no longer than their submission
        await queue.idempotency.prune(new Date(Date.now() - IDEMPOTENCY_KEEP_MS));
      }, 'pruning'),
    );
    this.kick();
  }

  /** Looks for work now (a submission was just queued, or a slot or a callback came free). */
  kick(): void {
    if (this.stopped) return;
    this.emptyPolls = 0;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => void this.poll(), 0);
  }

  /**
   * Resolves when this server finishes the submission or after `ms`, whichever is first
   * (another server may finish it: callers read the store again either way).
   */
  changed(id: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.finished.off(id, done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.finished.on(id, done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** Shutdown, first step: claims nothing more; deliveries under way are cut short. */
  stopClaiming(): void {
    this.stopped = true;
    clearTimeout(this.pollTimer);
    for (const t of this.timers) clearInterval(t);
    this.deliveries.abort();
  }

  /** Shutdown, second step (after the run service drained): the last results are written. */
  async drain(): Promise<void> {
    this.stopClaiming();
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
    clearInterval(this.heartbeatTimer);
  }

  private async poll(): Promise<void> {
    if (this.stopped) return;
    this.polling = true;
    this.pollAgain = false;
    try {
      const found = (await this.claimRuns()) + (await this.claimCallbacks());
      this.emptyPolls = found > 0 ? 0 : this.emptyPolls + 1;
    } catch (err) {
      this.deps.logger.error('submission queue: polling failed', { error: (err as Error).message });
    } finally {
      this.polling = false;
      const wait = this.pollAgain ? 0 : Math.min(IDLE_POLL_MS, POLL_MS * 2 ** Math.max(0, this.emptyPolls - 4));
      if (!this.stopped) this.pollTimer = setTimeout(() => void this.poll(), wait);
    }
  }

  /** Resolves to how many it took. */
  private async claimRuns(): Promise<number> {
    const { runs, queue, config } = this.deps;
    const stats = runs.stats;
    const free = Math.min(stats.concurrency - this.running, stats.concurrency - stats.active - stats.queued);
    if (free <= 0 || runs.isShuttingDown) return 0;
    const claimed = await queue.claim(this.name, free, config.submissionLeaseMs);
    for (const submission of claimed) this.track(this.runOne(submission));
    return claimed.length;
  }

  private async claimCallbacks(): Promise<number> {
    const free = MAX_DELIVERIES - this.delivering;
    if (free <= 0) return 0;
    const claimed = await this.deps.queue.claimCallbacks(this.name, free, this.deps.config.submissionLeaseMs);
    for (const record of claimed) this.track(this.deliver(record));
    return claimed.length;
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async runOne(claimed: ClaimedSubmission): Promise<void> {
    const { runs, queue, logger } = this.deps;
    const { request } = claimed;
    this.running++;
    // one line per claim: the tests count them to prove no submission runs twice
    logger.info('submission claimed', { id: claimed.id, worker: this.name, attempt: claimed.attempts });
    let ticket: RunTicket | null = null;
    try {
      const slot = await this.slotOf(claimed.owner);
      if (slot === 'busy') {
        // every run slot of its key is taken (by its synchronous runs or other submissions): it waits its turn
        await queue.release(claimed.id, this.name, Date.now() + HELD_BACK_MS);
        return;
      }
      ticket = slot;
      const language = this.deps.languages.find(request.language);
      let outcome: SubmissionOutcome;
      if (!language) {
        outcome = { result: null, language: request.language, verdict: null, message: `language ${request.language} is no longer supported by this server` };
      } else {
        const limits = withinMaxima(request.limits, this.deps.config);
        const output = request.keepOutputBytes ? new OutputBytes() : null;
        const result = await runs.execute(
          { language: withCompilerOptions(language, request), program: storedProgram(language, request), stdin: storedStdin(request), args: request.args, limits },
          output ? { onOutputBytes: output.push } : {},
        );
        if (result.status === 'internal_error' && runs.isShuttingDown) {
          // killed by this server's shutdown, not by anything of its own: it runs again later
          await queue.release(claimed.id, this.name);
          return;
        }
        // in the key's usage as a synchronous run is
        await ticket?.finish(result);
        const outputBytes = output?.lostIn(result);
        outcome = { result, language: language.id, verdict: verdictOf(result, request.expectedOutput), ...(outputBytes ? { outputBytes } : {}) };
      }
      if (await queue.finish(claimed.id, this.name, outcome)) {
        submissionFinished(outcome.result?.status ?? 'internal_error');
        logger.info('submission finished', { id: claimed.id, runId: outcome.result?.id ?? null, status: outcome.result?.status ?? 'internal_error', verdict: outcome.verdict });
      } else {
        logger.warn('submission finished after its claim expired: another server has it now', { id: claimed.id });
      }
    } catch (err) {
      if (err instanceof QueueFullError || err instanceof ShuttingDownError || err instanceof RunCancelledError) {
        await queue.release(claimed.id, this.name).catch((e: Error) => logger.error('submission queue: could not release a claim', { id: claimed.id, error: e.message }));
      } else {
        // the lease runs out and the submission is tried again (up to MAX_ATTEMPTS claims)
        logger.error('submission failed inside the server', { id: claimed.id, error: (err as Error).message });
      }
    } finally {
      await ticket?.finish();
      this.running--;
      this.finished.emit(claimed.id);
      this.kick();
    }
  }

  /**
   * One of the owner key's run slots (counted across replicas, as its synchronous runs),
   * 'busy' when all are taken, null for work of no key. Its windows were counted when it
   * was queued. A key unknown here (it cannot be deleted, only revoked) holds nothing.
   */
  private async slotOf(owner: string | null): Promise<RunTicket | 'busy' | null> {
    if (owner === null) return null;
    const stored = await this.deps.keys.getKey(owner);
    if (!stored) return null;
    const { hash: _hash, ...key } = stored;
    try {
      return await this.deps.quotas.admit({ kind: 'key', key }, { windows: false });
    } catch (err) {
      if (err instanceof QuotaExceededError) return 'busy';
      throw err;
    }
  }

  private async deliver(record: SubmissionRecord): Promise<void> {
    const { queue, logger, config, callbackSecrets, callbackPolicy } = this.deps;
    const callback = record.callback!;
    this.delivering++;
    const attempt = callback.attempts + 1;
    try {
      const secrets = await callbackSecrets(record.owner);
      const target = { submissionId: record.id, deliveryId: callback.deliveryId ?? record.id, attempt };
      const format = record.request.format === undefined ? undefined : this.deps.callbackFormats?.[record.request.format];
      const body = format ? format.body(record, attempt) : callbackBody(record, attempt);
      const delivery =
        secrets.length > 0
          ? await deliverCallback(callback.url, target, body, secrets, callbackPolicy, { signal: this.deliveries.signal, method: format?.method ?? 'POST' })
          : ({ ok: false, permanent: true, error: 'no callback secret is configured' } as const);
      const host = hostOf(callback.url);
      if (delivery.ok) {
        await queue.settleCallback(record.id, this.name, { state: 'delivered' });
        callbackAttempted('delivered');
        logger.info('callback delivered', { id: record.id, host, attempt, status: delivery.status });
      } else if (this.deliveries.signal.aborted) {
        // shutting down: tried again soon, by the next server
        await queue.settleCallback(record.id, this.name, { state: 'pending', dueAt: Date.now(), error: 'the server shut down during the delivery' });
      } else if (delivery.permanent || attempt >= config.callbackAttempts) {
        await queue.settleCallback(record.id, this.name, { state: 'failed', error: delivery.error });
        callbackAttempted('failed');
        logger.warn('callback given up', { id: record.id, host, attempt, error: delivery.error });
      } else {
        const dueAt = Date.now() + callbackRetryDelayMs(attempt, config.callbackBackoffCapSeconds);
        await queue.settleCallback(record.id, this.name, { state: 'pending', dueAt, error: delivery.error });
        callbackAttempted('retry');
        logger.info('callback failed; will retry', { id: record.id, host, attempt, error: delivery.error, retryInMs: dueAt - Date.now() });
      }
    } catch (err) {
      logger.error('callback delivery failed inside the server', { id: record.id, error: (err as Error).message });
    } finally {
      this.delivering--;
    }
  }
}

/**
 * The limits a submission asked for, under this server's maxima: the server running it may
 * have lower ones than the server that took it (another replica, or restarted with new
 * settings).
 */
function withinMaxima(limits: RunLimits, config: Config): RunLimits {
  return {
    timeMs: Math.min(limits.timeMs, config.runTimeMs),
    cpuTimeMs: Math.min(limits.cpuTimeMs, config.runCpuMs),
    memoryMb: Math.min(limits.memoryMb, config.runMemoryMb),
    processes: Math.min(limits.processes, config.runProcesses),
    outputKb: Math.min(limits.outputKb, config.outputKb),
  };
}

/** What a submission ends with when every server that took it died while running it. */
function failedOutcome(language: string, attempts: number): SubmissionOutcome {
  return {
    result: null,
    language,
    verdict: null,
    message: `the server running this submission stopped during the run ${attempts} times; it is not tried again`,
  };
}

/** The program a stored request carries: its files (entry named; `base64` ones are bytes), or one file of `code`. */
function storedProgram(language: LanguageSpec, request: StoredRequest): AnyProgram {
  const entry = request.files?.find((f) => f.name === request.entry);
  if (!request.files || !entry) return singleFileProgram(language, request.code);
  const files = request.files.map((f) => ({ name: f.name, content: f.encoding === 'base64' ? Buffer.from(f.content, 'base64') : f.content }));
  return { files, entry: { name: entry.name, content: entry.content }, ...(request.compileEntryOnly ? { sources: [entry.name] } : {}) };
}

const storedStdin = (request: StoredRequest): string | Buffer => (request.stdinEncoding === 'base64' ? Buffer.from(request.stdin, 'base64') : request.stdin);

/** The language compiling with the request's own flags, where it takes some (checked when it was submitted). */
function withCompilerOptions(language: LanguageSpec, request: StoredRequest): LanguageSpec {
  return request.compilerOptions?.length && language.compilerOptions ? language.compilerOptions.with(request.compilerOptions) : language;
}
