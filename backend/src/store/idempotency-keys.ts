import type { SqlDatabase, SqlQueries } from './sql.js';

/**
 * Idempotency keys of POST /api/submissions (draft-ietf-httpapi-idempotency-key-header):
 * a client that retries a request with the same key (and the same body) gets the first
 * answer instead of a second submission. Keys are per caller (`scope`: an API key, the
 * admin, an anonymous address) and kept a day.
 *
 * A key's life: the first request `claim`s it (its row says in flight until `locked_until`:
 * a server that died holding it lets it go then), the submission is queued in the same
 * transaction that writes its id to the row (`LINK_SUBMISSION`, run by SubmissionQueue), and
 * the answer's status is `answer`ed. A request that fails before queueing anything
 * `release`s the key, so the client's retry is a new try.
 */

export type KeyClaim =
  /** the key is this request's: go on (queue, then answer) */
  | { state: 'claimed' }
  /** a request with this key was answered (or queued, its server gone before answering): answer the same */
  | { state: 'replay'; submissionId: string; status: number }
  /** a request with this key is being answered right now */
  | { state: 'in_flight' }
  /** this key was used with another body */
  | { state: 'mismatch' };

interface KeyRow {
  [column: string]: string | number | null;
  fingerprint: string;
  submission_id: string | null;
  status: number | null;
  locked_until: number;
}

/** How long a key is kept: the draft's usual 24 h. */
export const IDEMPOTENCY_KEEP_MS = 24 * 60 * 60 * 1000;

/** Parameters: the submission's id, the key's scope and key. Run inside the transaction that queues the submission. */
export const LINK_SUBMISSION = 'UPDATE idempotency_keys SET submission_id = ? WHERE scope = ? AND idem_key = ?';

export class IdempotencyKeys {
  constructor(private readonly db: SqlDatabase) {}

  /**
   * Takes `key` for a request whose body has `fingerprint`, or says why not. `holdMs` is how
   * long the request may take at most: past it, a key still in flight without a submission is
   * taken over (its server died), and one with a submission is replayed as queued (202).
   */
  async claim(scope: string, key: string, fingerprint: string, holdMs: number, now = Date.now()): Promise<KeyClaim> {
    // each step is one statement, atomic on its own: the insert or the takeover decides who has the key
    const inserted = await this.db.run(
      'INSERT INTO idempotency_keys (scope, idem_key, fingerprint, locked_until, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (scope, idem_key) DO NOTHING',
      [scope, key, fingerprint, now + holdMs, now],
    );
    if (inserted > 0) return { state: 'claimed' };
    const row = await this.db.get<KeyRow>('SELECT fingerprint, submission_id, status, locked_until FROM idempotency_keys WHERE scope = ? AND idem_key = ?', [scope, key]);
    if (!row) return { state: 'in_flight' }; // pruned this instant: the client tries again
    if (row.fingerprint !== fingerprint) return { state: 'mismatch' };
    if (row.submission_id !== null && row.status !== null) return { state: 'replay', submissionId: row.submission_id, status: Number(row.status) };
    if (Number(row.locked_until) > now) return { state: 'in_flight' };
    if (row.submission_id !== null) return { state: 'replay', submissionId: row.submission_id, status: 202 };
    // its first request died before it queued anything: this one takes the key over, unless another retry just did
    const taken = await this.db.run(
      'UPDATE idempotency_keys SET locked_until = ?, created_at = ? WHERE scope = ? AND idem_key = ? AND submission_id IS NULL AND locked_until <= ?',
      [now + holdMs, now, scope, key, now],
    );
    return taken > 0 ? { state: 'claimed' } : { state: 'in_flight' };
  }

  /** Records the status the first request was answered with. */
  async answer(scope: string, key: string, status: number): Promise<void> {
    await this.db.run('UPDATE idempotency_keys SET status = ? WHERE scope = ? AND idem_key = ?', [status, scope, key]);
  }

  /** Lets the key go when its request queued nothing (refused, or failed): a retry is a new try. */
  async release(scope: string, key: string): Promise<void> {
    await this.db.run('DELETE FROM idempotency_keys WHERE scope = ? AND idem_key = ? AND submission_id IS NULL', [scope, key]);
  }

  /** Deletes keys older than `before`, and those whose submission is gone (deleted, or pruned sooner); resolves to how many. */
  async prune(before: Date): Promise<number> {
    const old = await this.db.run('DELETE FROM idempotency_keys WHERE created_at < ?', [before.getTime()]);
    const orphaned = await this.db.run(
      'DELETE FROM idempotency_keys WHERE submission_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM async_submissions s WHERE s.id = idempotency_keys.submission_id)',
    );
    return old + orphaned;
  }

  /** The keys of a submission that is being deleted (inside its transaction): nothing of it stays. */
  static forget(tx: SqlQueries, submissionId: string): Promise<number> {
    return tx.run('DELETE FROM idempotency_keys WHERE submission_id = ?', [submissionId]);
  }
}
