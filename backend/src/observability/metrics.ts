import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ExecuteResponse, JudgeStatus, QuotaName, RunStatus } from '../protocol.js';

/**
 * Every Prometheus metric runbox exports, and the small hooks the rest of the server calls
 * to move them. Labels are only ever drawn from small fixed sets (language ids, statuses,
 * route patterns, reasons): never a run id, a visitor key, a slug or a raw URL, so a busy or
 * hostile day cannot blow up the number of series.
 *
 * One registry per process (prom-client's convention): servers started in one test process
 * add up, which is what a scrape of that process should say anyway.
 */

export const registry = new Registry();
collectDefaultMetrics({ register: registry });
// prom-client's nodejs_active_{handles,requests,resources}_total are gauges named like
// counters, which `promtool check metrics` rejects (and OpenMetrics reads _total as a
// counter). Each only repeats the sum of its per-type gauge, sum(nodejs_active_handles), so
// they go; the per-type gauges stay.
for (const kind of ['handles', 'requests', 'resources']) registry.removeSingleMetric(`nodejs_active_${kind}_total`);

/** Seconds: from a hello world (~10 ms) to a run at the wall limit and a slow compile. */
const RUN_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
/** Seconds: jails and user batches take milliseconds; a loaded host takes longer. */
const SETUP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Seconds: a health check or a snippet (about a millisecond) up to an execute with a slow compile, or a long-polled submission. */
const HTTP_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

const runs = new Counter({
  name: 'runbox_runs_total',
  help: 'Runs finished, by language and status (every sandbox run: execute, stream, live and each judge test)',
  labelNames: ['language', 'status'] as const,
  registers: [registry],
});
const runSeconds = new Histogram({
  name: 'runbox_run_duration_seconds',
  help: "Wall time of a run's program (the run phase), by language",
  labelNames: ['language'] as const,
  buckets: RUN_BUCKETS,
  registers: [registry],
});
const compileSeconds = new Histogram({
  name: 'runbox_compile_duration_seconds',
  help: 'Wall time of a compile that really ran (cache hits excluded), by language',
  labelNames: ['language'] as const,
  buckets: RUN_BUCKETS,
  registers: [registry],
});
const queueWait = new Histogram({
  name: 'runbox_queue_wait_seconds',
  help: 'Time a batch run (execute, stream, judge test) waited for a run slot',
  buckets: RUN_BUCKETS,
  registers: [registry],
});
const compileCache = new Counter({
  name: 'runbox_compile_cache_lookups_total',
  help: 'Compile cache lookups by language and result (hit: the compiler did not run)',
  labelNames: ['language', 'result'] as const,
  registers: [registry],
});
const poolRefill = new Histogram({
  name: 'runbox_user_pool_refill_seconds',
  help: 'Time to create one batch of pooled run users',
  buckets: SETUP_BUCKETS,
  registers: [registry],
});
const usersCreated = new Counter({
  name: 'runbox_run_users_created_total',
  help: 'Run users created, by how (pool: ahead of time; inline: a run found the pool empty)',
  labelNames: ['how'] as const,
  registers: [registry],
});
const jailPrepare = new Histogram({
  name: 'runbox_jail_prepare_seconds',
  help: 'Time to build a jail (namespaces, mounts, cgroup) up to its gate',
  buckets: SETUP_BUCKETS,
  registers: [registry],
});
const cleanupFailures = new Counter({
  name: 'runbox_cleanup_failures_total',
  help: 'Cleanup steps that failed (kill: processes or jails of a run; user: deleting a run user)',
  labelNames: ['step'] as const,
  registers: [registry],
});
const storeErrors = new Counter({
  name: 'runbox_store_errors_total',
  help: 'Store (SQLite/PostgreSQL) operations that failed, by operation',
  labelNames: ['operation'] as const,
  registers: [registry],
});
const judgeVerdicts = new Counter({
  name: 'runbox_judge_submissions_total',
  help: 'Judge submissions by language and overall verdict',
  labelNames: ['language', 'verdict'] as const,
  registers: [registry],
});
const refusals = new Counter({
  name: 'runbox_requests_refused_total',
  help: 'Requests turned away before any work: rate_limited (429), queue_full and shutting_down (503), live_full (live run cap)',
  labelNames: ['reason'] as const,
  registers: [registry],
});
const quotaRefusals = new Counter({
  name: 'runbox_quota_refusals_total',
  help: "Runs refused (429) for a quota of their API key or of anonymous clients, by quota: rate (per minute), daily, concurrency (in flight). Never by key",
  labelNames: ['quota'] as const,
  registers: [registry],
});
const submissionsQueued = new Counter({
  name: 'runbox_submissions_queued_total',
  help: 'Asynchronous submissions queued (POST /api/submissions and /api/submissions/batch) by this server',
  registers: [registry],
});
const submissionsFinished = new Counter({
  name: 'runbox_submissions_finished_total',
  help: "Asynchronous submissions this server finished, by the run's status (internal_error also for one given up after its servers kept dying)",
  labelNames: ['status'] as const,
  registers: [registry],
});
const callbacks = new Counter({
  name: 'runbox_submission_callbacks_total',
  help: 'Callback deliveries of finished submissions by outcome: delivered, retry (failed, tried again later), failed (given up)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});
const httpRequests = new Counter({
  name: 'runbox_http_requests_total',
  help: 'HTTP requests answered, by method, route pattern (unmatched for anything else) and status code',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [registry],
});
// by status class, not code: the buckets multiply every series, so the label set is kept small
const httpSeconds = new Histogram({
  name: 'runbox_http_request_duration_seconds',
  help: 'Time from a request to the end of its answer, by method, route pattern (unmatched for anything else) and status class (2xx, 4xx, ...)',
  labelNames: ['method', 'route', 'status_class'] as const,
  buckets: HTTP_BUCKETS,
  registers: [registry],
});

/** What the gauges read at scrape time: the run service's own counts. */
export interface RunStatsSource {
  readonly stats: {
    active: number;
    queued: number;
    usersReady: number;
    cleanupsPending: number;
    live: { active: number; max: number };
  };
}

let source: RunStatsSource | null = null;
let poolTarget = 0;

function gauge(name: string, help: string, read: (s: RunStatsSource['stats']) => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(source ? read(source.stats) : 0);
    },
  });
}
gauge('runbox_runs_active', 'Batch runs holding a run slot now', (s) => s.active);
gauge('runbox_runs_queued', 'Batch runs waiting for a run slot now', (s) => s.queued);
gauge('runbox_live_runs_open', 'Live runs (/api/live) admitted and not yet over', (s) => s.live.active);
gauge('runbox_live_runs_max', 'Live runs allowed at once (RUNBOX_LIVE_MAX)', (s) => s.live.max);
gauge('runbox_user_pool_ready', 'Fresh run users waiting in the pool, each with its first jail', (s) => s.usersReady);
gauge('runbox_cleanups_pending', 'Finished runs whose user is not yet deleted', (s) => s.cleanupsPending);
new Gauge({
  name: 'runbox_user_pool_size',
  help: 'Run users the pool keeps ready (RUNBOX_USER_POOL)',
  registers: [registry],
  collect() {
    this.set(source ? poolTarget : 0);
  },
});

/** The server whose queue, pool and live runs the gauges show (the latest started in this process). */
export function watchRuns(runService: RunStatsSource, userPoolSize: number): () => void {
  source = runService;
  poolTarget = userPoolSize;
  return () => {
    if (source === runService) source = null;
  };
}

/** What the waiting-submissions gauge reads: the store's queue (store/submission-queue.ts). */
export interface WaitingSubmissionsSource {
  countQueued(): Promise<number>;
}

let waitingSource: WaitingSubmissionsSource | null = null;
/** How long a scrape waits for the store's count: a slow database must not hold up every other metric. */
const WAITING_COUNT_TIMEOUT_MS = 1000;

// Read from the store at scrape time (one indexed COUNT), so it is the queue every replica
// shares: each reports the same number, and a dashboard takes the max, never the sum. A store
// that fails or is slow reads as NaN (unknown), never as an empty queue, and the scrape still
// answers; a failure counts in runbox_store_errors_total{operation="countQueued"}.
// Not named runbox_submissions_queued: that is the family name of runbox_submissions_queued_total.
new Gauge({
  name: 'runbox_submissions_waiting',
  help: 'Asynchronous submissions queued in the store and not yet claimed by any server on the database (NaN: the store did not answer)',
  registers: [registry],
  async collect() {
    this.set(waitingSource ? await countWaiting(waitingSource) : 0);
  },
});

async function countWaiting(queue: WaitingSubmissionsSource): Promise<number> {
  const counted = queue.countQueued().catch(() => {
    storeFailed('countQueued');
    return NaN;
  });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<number>((resolve) => (timer = setTimeout(resolve, WAITING_COUNT_TIMEOUT_MS, NaN)));
  try {
    return await Promise.race([counted, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The queue the waiting-submissions gauge counts (the latest server's to start in this process). */
export function watchSubmissionQueue(queue: WaitingSubmissionsSource): () => void {
  waitingSource = queue;
  return () => {
    if (waitingSource === queue) waitingSource = null;
  };
}

/** A run is over (its result known; cleanup may still be going on). */
export function runFinished(result: ExecuteResponse): void {
  runs.inc({ language: result.language, status: result.status });
  if (result.compile && !result.compile.cached && result.compile.timeMs > 0) compileSeconds.observe({ language: result.language }, result.compile.timeMs / 1000);
  // a run whose program never started (compile error, refused source) has no run phase to time
  if (result.status !== 'compile_error' && result.timeMs > 0) runSeconds.observe({ language: result.language }, result.timeMs / 1000);
}

export const queueWaited = (seconds: number): void => queueWait.observe(seconds);
export const compileCacheLookup = (language: string, hit: boolean): void => compileCache.inc({ language, result: hit ? 'hit' : 'miss' });
export const userPoolRefilled = (seconds: number, users: number): void => {
  poolRefill.observe(seconds);
  usersCreated.inc({ how: 'pool' }, users);
};
export const userCreatedInline = (): void => usersCreated.inc({ how: 'inline' });
export const jailPrepared = (seconds: number): void => jailPrepare.observe(seconds);
export const cleanupFailed = (step: 'kill' | 'user'): void => cleanupFailures.inc({ step });
export const storeFailed = (operation: string): void => storeErrors.inc({ operation });
export const judged = (language: string, verdict: JudgeStatus): void => judgeVerdicts.inc({ language, verdict });

const REFUSAL_REASONS = ['rate_limited', 'queue_full', 'shutting_down', 'live_full'] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];
export const refused = (reason: RefusalReason): void => refusals.inc({ reason });

const QUOTAS = ['rate', 'daily', 'concurrency'] as const satisfies readonly QuotaName[];
export const quotaRefused = (quota: QuotaName): void => quotaRefusals.inc({ quota });

export const submissionsEnqueued = (count: number): void => submissionsQueued.inc(count);
/** A submission's run is over and its result stored; internal_error also for one that ended without a run. */
export const submissionFinished = (status: RunStatus, count = 1): void => {
  if (count > 0) submissionsFinished.inc({ status }, count);
};
const CALLBACK_OUTCOMES = ['delivered', 'retry', 'failed'] as const;
export const callbackAttempted = (outcome: (typeof CALLBACK_OUTCOMES)[number]): void => callbacks.inc({ outcome });

// series that exist from the start at 0, so rate() and alerts see them before the first event
for (const reason of REFUSAL_REASONS) refusals.inc({ reason }, 0);
for (const quota of QUOTAS) quotaRefusals.inc({ quota }, 0);
for (const outcome of CALLBACK_OUTCOMES) callbacks.inc({ outcome }, 0);
for (const step of ['kill', 'user'] as const) cleanupFailures.inc({ step }, 0);

export const httpAnswered = (method: string, route: string, status: number, seconds: number): void => {
  httpRequests.inc({ method, route, status: String(status) });
  httpSeconds.observe({ method, route, status_class: `${Math.floor(status / 100)}xx` }, seconds);
};
