import type { ExecuteResponse, JudgeStatus } from '../protocol.js';
import type { RunLimits } from '../runs/run.js';
import type { CallbackState } from '../submission-protocol.js';
import { newId } from './ids.js';
import { IdempotencyKeys, LINK_SUBMISSION } from './idempotency-keys.js';
import type { SqlDatabase, SqlValue } from './sql.js';

/**
 * The queue of asynchronous submissions, in the store so it outlives a server and is
 * shared by every server on the same database.
 *
 * A server takes work by claiming rows: it writes its own name (`lease_owner`) and a
 * deadline (`lease_until`) it keeps pushing forward while it works (a heartbeat). On
 * PostgreSQL the claim skips rows another replica is claiming at the same moment
 * (`FOR UPDATE SKIP LOCKED`); SQLite has one writer at a time, so a claim is atomic as it
 * is. A claim that expires (its server died or stalled) goes back to the queue, at most
 * `maxAttempts` times; after that the submission ends as an internal error instead of
 * taking servers down forever. Callback deliveries are claimed the same way.
 */

/** What a run needs, resolved at submit time: the language's id and every limit. */
export interface StoredRequest {
  language: string;
  /** the program's code; of a program of several files, its entry file's */
  code: string;
  /** a program of several files: all of them, and which one is the entry (absent: one file, `code`); `base64`: a file of bytes, not text */
  files?: { name: string; content: string; encoding?: 'base64' }[];
  entry?: string;
  /** of several files, only the entry is compiled (Judge0's way: the other files are there to be included or read) */
  compileEntryOnly?: boolean;
  stdin: string;
  /** `base64`: stdin is bytes (not UTF-8 text), `stdin` their base64 */
  stdinEncoding?: 'base64';
  args: string[];
  limits: RunLimits;
  expectedOutput: string | null;
  /** flags added to the compile, for a language that takes them (its entry's {compilerOptions}) */
  compilerOptions?: string[];
  /** keep the output's bytes where its text lost some (invalid UTF-8): the outcome's `outputBytes` */
  keepOutputBytes?: boolean;
  /** `base64`: the native API's answer carries the output as base64 (of `outputBytes` where the text lost some); with keepOutputBytes */
  encoding?: 'base64';
  /**
   * The API it came through when not runbox's own (`judge0`): its callback is that API's
   * (SubmissionWorkerDeps.callbackFormats), and `formatData` is what that API keeps to show
   * the submission its own way again (opaque here).
   */
  format?: string;
  formatData?: unknown;
}

export interface NewQueuedSubmission {
  request: StoredRequest;
  callbackUrl: string | null;
  /** who submitted it (an API key, once there are keys): picks the callback's secret */
  owner: string | null;
}

/** How a submission ended: its run's result (or null when it never ran) and the verdict. */
export interface SubmissionOutcome {
  result: ExecuteResponse | null;
  language: string;
  verdict: JudgeStatus | null;
  message?: string;
  /** with `keepOutputBytes`: the streams' bytes (base64), each only where its text lost some (invalid UTF-8) */
  outputBytes?: { stdout?: string; stderr?: string; output?: string };
}

export interface SubmissionRecord {
  id: string;
  owner: string | null;
  request: StoredRequest;
  status: 'queued' | 'running' | 'done';
  outcome: SubmissionOutcome | null;
  attempts: number;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  callback: { url: string; state: CallbackState; attempts: number; lastError: string | null; deliveryId: string | null } | null;
}

/** Which submissions a listing shows (GET /api/submissions). */
export interface SubmissionFilter {
  owner?: string;
  states?: readonly SubmissionRecord['status'][];
  language?: string;
  createdFrom?: Date;
  createdBefore?: Date;
  beforeSeq?: number;
  limit: number;
}

export interface ClaimedSubmission {
  id: string;
  owner: string | null;
  request: StoredRequest;
  attempts: number;
}

export type CallbackSettlement = { state: 'delivered' } | { state: 'pending'; dueAt: number; error: string } | { state: 'failed'; error: string };

interface QueueRow {
  [column: string]: SqlValue;
  seq: number;
  id: string;
  owner: string | null;
  status: 'queued' | 'running' | 'done';
  request: string;
  result: string | null;
  attempts: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  callback_url: string | null;
  callback_state: CallbackState | null;
  callback_attempts: number;
  callback_error: string | null;
  callback_delivery: string | null;
}

const RECORD_COLUMNS = 'seq, id, owner, status, request, result, attempts, created_at, started_at, finished_at, callback_url, callback_state, callback_attempts, callback_error, callback_delivery';

export class SubmissionQueue {
  /** POST /api/submissions's Idempotency-Key: a retried request finds the submission its first try queued. */
  readonly idempotency: IdempotencyKeys;

  constructor(private readonly db: SqlDatabase) {
    this.idempotency = new IdempotencyKeys(db);
  }

  /**
   * Queues submissions, all or none; resolves to their ids in the same order. With
   * `idempotencyKey` (claimed by the request, one submission) its row names the submission in
   * the same transaction: a server that dies after this commit leaves a key that replays it.
   */
  async enqueue(items: readonly NewQueuedSubmission[], now = Date.now(), idempotencyKey?: { scope: string; key: string }): Promise<string[]> {
    const ids = items.map(() => newId());
    await this.db.transaction(async (tx) => {
      if (idempotencyKey) await tx.run(LINK_SUBMISSION, [ids[0]!, idempotencyKey.scope, idempotencyKey.key]);
      for (const [i, item] of items.entries()) {
        await tx.run('INSERT INTO async_submissions (id, owner, status, language, request, created_at, callback_url) VALUES (?, ?, ?, ?, ?, ?, ?)', [
          ids[i]!,
          item.owner,
          'queued',
          item.request.language,
          // JSON escapes NUL and lone surrogates, which PostgreSQL's text would refuse
          JSON.stringify(item.request),
          now,
          item.callbackUrl,
        ]);
      }
    });
    return ids;
  }

  async countQueued(): Promise<number> {
    const row = await this.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM async_submissions WHERE status = 'queued'");
    return Number(row?.n ?? 0);
  }

  /** The submissions with these ids that exist (in no particular order). */
  async find(ids: readonly string[]): Promise<SubmissionRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.all<QueueRow>(`SELECT ${RECORD_COLUMNS} FROM async_submissions WHERE id IN (${ids.map(() => '?').join(', ')})`, ids);
    return rows.map(toRecord);
  }

  /**
   * Submissions newest first, `limit` of them after skipping `offset`, with how many there
   * are in all: those of one owner (an API key's id), or every one (`owner` undefined).
   */
  async page({ owner, offset, limit }: { owner?: string; offset: number; limit: number }): Promise<{ records: SubmissionRecord[]; total: number }> {
    const where = owner === undefined ? '' : 'WHERE owner = ?';
    const params = owner === undefined ? [] : [owner];
    const rows = await this.db.all<QueueRow>(`SELECT ${RECORD_COLUMNS} FROM async_submissions ${where} ORDER BY seq DESC LIMIT ? OFFSET ?`, [...params, limit, offset]);
    const count = await this.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM async_submissions ${where}`, params);
    return { records: rows.map(toRecord), total: Number(count?.n ?? 0) };
  }

  /** Takes up to `limit` queued submissions, oldest first, for `worker`. */
  async claim(worker: string, limit: number, leaseMs: number, now = Date.now()): Promise<ClaimedSubmission[]> {
    const rows = await this.db.all<{ seq: number; id: string; owner: string | null; request: string; attempts: number }>(
      `UPDATE async_submissions SET status = 'running', lease_owner = ?, lease_until = ?, started_at = ?, attempts = attempts + 1
        WHERE id IN (SELECT id FROM async_submissions WHERE status = 'queued' AND (not_before IS NULL OR not_before <= ?) ORDER BY seq LIMIT ?${this.skipLocked})
        RETURNING seq, id, owner, request, attempts`,
      [worker, now + leaseMs, now, now, limit],
    );
    return rows
      .sort((a, b) => Number(a.seq) - Number(b.seq))
      .map((r) => ({ id: r.id, owner: r.owner, request: JSON.parse(r.request) as StoredRequest, attempts: Number(r.attempts) }));
  }

  /** The heartbeat: every claim `worker` holds (runs and callbacks) lasts `leaseMs` more. */
  renewLeases(worker: string, leaseMs: number, now = Date.now()): Promise<number> {
    return this.db.run("UPDATE async_submissions SET lease_until = ? WHERE lease_owner = ? AND (status = 'running' OR callback_state = 'delivering')", [now + leaseMs, worker]);
  }

  /**
   * Records how a submission ended, if `worker` still holds it (false: its claim expired
   * and the submission is someone else's now). A callback becomes due at once.
   */
  async finish(id: string, worker: string, outcome: SubmissionOutcome, now = Date.now()): Promise<boolean> {
    const changed = await this.db.run(
      `UPDATE async_submissions SET status = 'done', result = ?, finished_at = ?, lease_owner = NULL, lease_until = NULL, ${CALLBACK_DUE}
        WHERE id = ? AND status = 'running' AND lease_owner = ?`,
      [JSON.stringify(outcome), now, now, newId(), id, worker],
    );
    return changed > 0;
  }

  /**
   * Puts a claimed submission back, as if never taken (this server could not run it now);
   * with `notBefore`, no server claims it again before then (its key had no run slot free).
   */
  async release(id: string, worker: string, notBefore: number | null = null): Promise<void> {
    await this.db.run(
      "UPDATE async_submissions SET status = 'queued', lease_owner = NULL, lease_until = NULL, started_at = NULL, attempts = attempts - 1, not_before = ? WHERE id = ? AND status = 'running' AND lease_owner = ?",
      [notBefore, id, worker],
    );
  }

  /**
   * Delivers a finished submission's callback once more, as a new delivery (a new id, its
   * tries counted from 0): 'started', or why not ('none': no such finished submission with
   * a callback; 'busy': a delivery of it is still under way).
   */
  async redeliver(id: string, now = Date.now()): Promise<{ state: 'started'; deliveryId: string } | { state: 'none' | 'busy' }> {
    const deliveryId = newId();
    const changed = await this.db.run(
      `UPDATE async_submissions SET callback_state = 'pending', callback_due_at = ?, callback_attempts = 0, callback_error = NULL, callback_delivery = ?
        WHERE id = ? AND status = 'done' AND callback_url IS NOT NULL AND callback_state IN ('delivered', 'failed')`,
      [now, deliveryId, id],
    );
    if (changed > 0) return { state: 'started', deliveryId };
    const row = await this.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM async_submissions WHERE id = ? AND status = 'done' AND callback_url IS NOT NULL", [id]);
    return { state: Number(row?.n ?? 0) > 0 ? 'busy' : 'none' };
  }

  /** Claims whose heartbeat stopped: their server died or stalled. */
  recoverExpired(maxAttempts: number, failure: (language: string, attempts: number) => SubmissionOutcome, now = Date.now()) {
    return this.recover('lease_until < ?', [now], maxAttempts, failure, now);
  }

  /**
   * Claims of servers whose names begin with `prefix`: at start, the claims of this
   * server's dead predecessor (same host and instance tag, which only one live server
   * may hold), taken back at once instead of when their leases run out.
   */
  recoverOwnedBy(prefix: string, maxAttempts: number, failure: (language: string, attempts: number) => SubmissionOutcome, now = Date.now()) {
    return this.recover('substr(lease_owner, 1, ?) = ?', [prefix.length, prefix], maxAttempts, failure, now);
  }

  private async recover(
    condition: string,
    params: SqlValue[],
    maxAttempts: number,
    failure: (language: string, attempts: number) => SubmissionOutcome,
    now: number,
  ): Promise<{ requeued: number; failed: number; callbacks: number }> {
    const requeued = await this.db.run(
      `UPDATE async_submissions SET status = 'queued', lease_owner = NULL, lease_until = NULL, started_at = NULL
        WHERE status = 'running' AND attempts < ? AND ${condition}`,
      [maxAttempts, ...params],
    );
    const doomed = await this.db.all<{ id: string; language: string; attempts: number }>(
      `SELECT id, language, attempts FROM async_submissions WHERE status = 'running' AND ${condition}`,
      params,
    );
    let failed = 0;
    for (const row of doomed) {
      const outcome = failure(row.language, Number(row.attempts));
      failed += await this.db.run(
        `UPDATE async_submissions SET status = 'done', result = ?, finished_at = ?, lease_owner = NULL, lease_until = NULL, ${CALLBACK_DUE}
          WHERE id = ? AND status = 'running' AND ${condition}`,
        [JSON.stringify(outcome), now, now, newId(), row.id, ...params],
      );
    }
    const callbacks = await this.db.run(
      `UPDATE async_submissions SET callback_state = 'pending', lease_owner = NULL, lease_until = NULL WHERE callback_state = 'delivering' AND ${condition}`,
      params,
    );
    return { requeued, failed, callbacks };
  }

  /** Takes up to `limit` callbacks that are due, for `worker`. */
  async claimCallbacks(worker: string, limit: number, leaseMs: number, now = Date.now()): Promise<SubmissionRecord[]> {
    const rows = await this.db.all<QueueRow>(
      `UPDATE async_submissions SET callback_state = 'delivering', lease_owner = ?, lease_until = ?
        WHERE id IN (SELECT id FROM async_submissions WHERE callback_state = 'pending' AND callback_due_at <= ? ORDER BY callback_due_at LIMIT ?${this.skipLocked})
        RETURNING ${RECORD_COLUMNS}`,
      [worker, now + leaseMs, now, limit],
    );
    return rows.map(toRecord);
  }

  /** Records a delivery attempt, if `worker` still holds the callback. */
  async settleCallback(id: string, worker: string, settlement: CallbackSettlement): Promise<boolean> {
    const dueAt = settlement.state === 'pending' ? settlement.dueAt : null;
    const error = settlement.state === 'delivered' ? null : settlement.error;
    const changed = await this.db.run(
      `UPDATE async_submissions SET callback_state = ?, callback_due_at = ?, callback_error = ?, callback_attempts = callback_attempts + 1, lease_owner = NULL, lease_until = NULL
        WHERE id = ? AND callback_state = 'delivering' AND lease_owner = ?`,
      [settlement.state, dueAt, error, id, worker],
    );
    return changed > 0;
  }

  /** Deletes submissions finished before `before` whose callback is settled; resolves to how many. */
  prune(before: Date): Promise<number> {
    return this.db.run("DELETE FROM async_submissions WHERE status = 'done' AND finished_at < ? AND (callback_state IS NULL OR callback_state IN ('delivered', 'failed'))", [
      before.getTime(),
    ]);
  }

  /**
   * Submissions newest first, a page of them: those of `owner` (an API key's id; undefined:
   * every one), in `states`, of `language`, made in [createdFrom, createdBefore), older than
   * the row `beforeSeq` (the cursor a previous page ended with). `nextSeq` is the cursor of
   * the next page, null when this one is the last.
   */
  async list(filter: SubmissionFilter): Promise<{ records: SubmissionRecord[]; nextSeq: number | null }> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    const add = (condition: string, ...values: SqlValue[]) => {
      where.push(condition);
      params.push(...values);
    };
    if (filter.owner !== undefined) add('owner = ?', filter.owner);
    if (filter.states?.length) add(`status IN (${filter.states.map(() => '?').join(', ')})`, ...filter.states);
    if (filter.language !== undefined) add('language = ?', filter.language);
    if (filter.createdFrom !== undefined) add('created_at >= ?', filter.createdFrom.getTime());
    if (filter.createdBefore !== undefined) add('created_at < ?', filter.createdBefore.getTime());
    if (filter.beforeSeq !== undefined) add('seq < ?', filter.beforeSeq);
    // one more than asked: whether there is a next page
    const rows = await this.db.all<QueueRow>(
      `SELECT ${RECORD_COLUMNS} FROM async_submissions ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`,
      [...params, filter.limit + 1],
    );
    const page = rows.slice(0, filter.limit);
    return { records: page.map(toRecord), nextSeq: rows.length > filter.limit ? Number(page.at(-1)!.seq) : null };
  }

  /**
   * Deletes a finished submission and every trace of it in the store: its row (request,
   * result, callback) and its idempotency keys. On SQLite the deleted bytes are overwritten
   * (secure_delete, sqlite.ts) and the write-ahead log, which still holds the row's earlier
   * pages, is checkpointed and truncated. 'gone' when no submission has the id, 'unfinished'
   * while it is queued or running.
   */
  async erase(id: string): Promise<'erased' | 'gone' | 'unfinished'> {
    const outcome = await this.db.transaction(async (tx) => {
      if ((await tx.run("DELETE FROM async_submissions WHERE id = ? AND status = 'done'", [id])) > 0) {
        await IdempotencyKeys.forget(tx, id);
        return 'erased' as const;
      }
      return (await tx.get('SELECT id FROM async_submissions WHERE id = ?', [id])) ? ('unfinished' as const) : ('gone' as const);
    });
    if (outcome === 'erased' && this.db.dialect === 'sqlite') await this.db.all('PRAGMA wal_checkpoint(TRUNCATE)');
    return outcome;
  }

  /** PostgreSQL: replicas claiming at the same moment take different rows instead of waiting. */
  private get skipLocked(): string {
    return this.db.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
  }
}

/** A finished submission's callback (if it has one) is due at once, as a new delivery: parameters due time, delivery id. */
const CALLBACK_DUE = "callback_state = CASE WHEN callback_url IS NULL THEN NULL ELSE 'pending' END, callback_due_at = ?, callback_delivery = CASE WHEN callback_url IS NULL THEN NULL ELSE ? END";

const date = (ms: number | null) => (ms === null ? null : new Date(Number(ms)));

function toRecord(row: QueueRow): SubmissionRecord {
  return {
    id: row.id,
    owner: row.owner,
    request: JSON.parse(row.request) as StoredRequest,
    status: row.status,
    outcome: row.result === null ? null : (JSON.parse(row.result) as SubmissionOutcome),
    attempts: Number(row.attempts),
    createdAt: new Date(Number(row.created_at)),
    startedAt: date(row.started_at),
    finishedAt: date(row.finished_at),
    callback:
      row.callback_url === null
        ? null
        : { url: row.callback_url, state: row.callback_state ?? 'pending', attempts: Number(row.callback_attempts), lastError: row.callback_error, deliveryId: row.callback_delivery },
  };
}
