import type { ApiKeyInfo, ApiKeyRequest, KeyCaps, KeyUsageDay } from '../protocol.js';
import type { SqlDatabase, SqlQueries } from './sql.js';
import type { AdmissionOutcome, AdmissionRequest, CallbackSecrets, KeyStore, StoredApiKey } from './store.js';

interface KeyRow {
  [column: string]: string | number | null;
  id: string;
  name: string;
  key_hash: string;
  rate_per_minute: number | null;
  max_concurrent: number;
  daily_runs: number | null;
  max_time_ms: number | null;
  max_cpu_ms: number | null;
  max_memory_mb: number | null;
  max_processes: number | null;
  max_output_kb: number | null;
  created_at: number;
  revoked_at: number | null;
}

/** Each cap's column. */
const CAP_COLUMNS = { timeMs: 'max_time_ms', cpuTimeMs: 'max_cpu_ms', memoryMb: 'max_memory_mb', processes: 'max_processes', outputKb: 'max_output_kb' } as const;

/**
 * Counters and leases are written on every run: their commits do not wait for the disk
 * (a dead API process loses none of them; a power loss at worst forgets the last few runs'
 * counts, which a quota can afford better than every run paying an fsync twice).
 */
const QUOTA_WRITE = { durable: false };

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** Thrown inside an admission's transaction to undo what it counted so far. */
class Refused extends Error {
  constructor(readonly outcome: AdmissionOutcome) {
    super('refused');
  }
}

/**
 * Keys, usage, counters and leases in SQL both databases understand.
 *
 * Counting is fixed windows in the store, one conditional upsert per quota: the row of
 * (subject, window) goes up by one only while it is below the limit, and RETURNING says
 * whether it did. The database makes that atomic on both SQLite and PostgreSQL, so every
 * replica on the same store shares the count. (rate-limiter-flexible was the other choice:
 * its SQLite limiter speaks only to the sqlite3/better-sqlite3 packages, not to node:sqlite,
 * and it has no concurrency leases.)
 *
 * Runs in flight are leases on numbered slots, (subject, slot) being the primary key: a run
 * takes a slot that is free or whose lease expired, by an upsert that only overwrites an
 * expired lease. Two replicas racing for a slot cannot both win it, and a replica that
 * dies stops renewing its leases, so its slots come free when they expire.
 */
export class SqlKeyStore implements KeyStore {
  constructor(private readonly db: SqlDatabase) {}

  async createKey(id: string, hash: string, key: ApiKeyRequest, callbackSecret: string): Promise<StoredApiKey> {
    const caps = key.caps ?? {};
    const now = Date.now();
    await this.db.run(
      `INSERT INTO api_keys (id, name, key_hash, rate_per_minute, max_concurrent, daily_runs, max_time_ms, max_cpu_ms, max_memory_mb, max_processes, max_output_kb, created_at, revoked_at, callback_secret)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)`,
      [id, key.name, hash, key.ratePerMinute ?? null, key.maxConcurrent, key.dailyRuns ?? null, caps.timeMs ?? null, caps.cpuTimeMs ?? null, caps.memoryMb ?? null, caps.processes ?? null, caps.outputKb ?? null, now, callbackSecret],
    );
    return (await this.getKey(id))!;
  }

  async callbackSecrets(id: string, now = Date.now()): Promise<CallbackSecrets | null> {
    const row = await this.db.get<{ callback_secret: string | null; callback_secret_previous: string | null; callback_secret_previous_until: number | null }>(
      'SELECT callback_secret, callback_secret_previous, callback_secret_previous_until FROM api_keys WHERE id = ?',
      [id],
    );
    if (!row?.callback_secret) return null;
    const previousLive = row.callback_secret_previous !== null && Number(row.callback_secret_previous_until) > now;
    return { current: row.callback_secret, previous: previousLive ? row.callback_secret_previous : null };
  }

  async rotateCallbackSecret(id: string, secret: string, previousUntil: number): Promise<boolean> {
    // the secret being replaced keeps signing beside the new one until previousUntil; a key that had none gets its first
    const changed = await this.db.run(
      `UPDATE api_keys SET callback_secret_previous = callback_secret, callback_secret_previous_until = CASE WHEN callback_secret IS NULL THEN NULL ELSE CAST(? AS BIGINT) END, callback_secret = ?
        WHERE id = ?`,
      [previousUntil, secret, id],
    );
    return changed > 0;
  }

  async getKey(id: string): Promise<StoredApiKey | null> {
    const row = await this.db.get<KeyRow>('SELECT * FROM api_keys WHERE id = ?', [id]);
    return row ? { ...keyInfo(row), hash: row.key_hash } : null;
  }

  async listKeys(): Promise<ApiKeyInfo[]> {
    const rows = await this.db.all<KeyRow>('SELECT * FROM api_keys ORDER BY created_at, id');
    return rows.map(keyInfo);
  }

  async revokeKey(id: string): Promise<'revoked' | 'already' | 'unknown'> {
    if ((await this.db.run('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [Date.now(), id])) > 0) return 'revoked';
    return (await this.db.get('SELECT id FROM api_keys WHERE id = ?', [id])) ? 'already' : 'unknown';
  }

  async usage(id: string, sinceDay: string): Promise<KeyUsageDay[]> {
    const rows = await this.db.all<{ day: string; runs: number; cpu_ms: number }>('SELECT day, runs, cpu_ms FROM key_usage WHERE key_id = ? AND day >= ? ORDER BY day', [id, sinceDay]);
    return rows.map((r) => ({ day: r.day, runs: Number(r.runs), cpuMs: Number(r.cpu_ms) }));
  }

  async admit(request: AdmissionRequest): Promise<AdmissionOutcome> {
    const { subject, now, perMinute, perDay, lease, units = 1 } = request;
    if (lease && units !== 1) throw new Error('a lease is one run slot: admit several runs without one');
    try {
      return await this.db.transaction(async (tx) => {
        // the rate first: a run refused for any reason counts against nothing (the transaction rolls back)
        const minuteUsed = perMinute === null ? null : await countInWindow(tx, subject, 'minute', now - (now % MINUTE_MS), perMinute, units);
        if (minuteUsed === 0) throw new Refused({ admitted: false, exceeded: 'rate' });
        if (lease && !(await claimSlot(tx, subject, lease, now))) throw new Refused({ admitted: false, exceeded: 'concurrency' });
        const dayUsed = perDay === null ? null : await countInWindow(tx, subject, 'day', now - (now % DAY_MS), perDay, units);
        if (dayUsed === 0) throw new Refused({ admitted: false, exceeded: 'daily' });
        return { admitted: true, minuteUsed, dayUsed };
      }, QUOTA_WRITE);
    } catch (err) {
      if (err instanceof Refused) return err.outcome;
      throw err;
    }
  }

  async finishRun(subject: string, leaseId: string | null, usage: { keyId: string; day: string; cpuMs: number } | null): Promise<void> {
    if (!leaseId && !usage) return;
    await this.db.transaction(async (tx) => {
      if (leaseId) await tx.run('DELETE FROM run_leases WHERE subject = ? AND lease_id = ?', [subject, leaseId]);
      if (usage) {
        await tx.run(
          `INSERT INTO key_usage (key_id, day, runs, cpu_ms) VALUES (?, ?, 1, ?)
           ON CONFLICT (key_id, day) DO UPDATE SET runs = key_usage.runs + 1, cpu_ms = key_usage.cpu_ms + excluded.cpu_ms`,
          [usage.keyId, usage.day, Math.max(0, Math.round(usage.cpuMs))],
        );
      }
    }, QUOTA_WRITE);
  }

  async renewLeases(holder: string, expiresAt: number): Promise<void> {
    await this.db.run('UPDATE run_leases SET expires_at = ? WHERE holder = ?', [expiresAt, holder]);
  }

  async pruneQuotas(before: number): Promise<void> {
    await this.db.run('DELETE FROM quota_counters WHERE window_start < ?', [before]);
    await this.db.run('DELETE FROM run_leases WHERE expires_at < ?', [before]);
  }
}

/**
 * `units` more runs in the subject's current window, if that stays within `limit`: resolves
 * to the window's new count, or 0 when they do not all fit (and then nothing changed).
 */
async function countInWindow(tx: SqlQueries, subject: string, kind: 'minute' | 'day', windowStart: number, limit: number, units: number): Promise<number> {
  if (units > limit) return 0;
  const row = await tx.get<{ used: number }>(
    `INSERT INTO quota_counters (subject, window_kind, window_start, used) VALUES (?, ?, ?, ?)
     ON CONFLICT (subject, window_kind, window_start) DO UPDATE SET used = quota_counters.used + excluded.used WHERE quota_counters.used + excluded.used <= ?
     RETURNING used`,
    [subject, kind, windowStart, units, limit],
  );
  return row ? Number(row.used) : 0;
}

/** Takes a free (or expired) slot of the subject's `max`; false when every slot is held. */
async function claimSlot(tx: SqlQueries, subject: string, lease: NonNullable<AdmissionRequest['lease']>, now: number): Promise<boolean> {
  // another replica may take the slot we saw free between the read and the claim: look again
  for (let attempt = 0; attempt <= lease.max; attempt++) {
    const held = await tx.all<{ slot: number }>('SELECT slot FROM run_leases WHERE subject = ? AND expires_at > ?', [subject, now]);
    const taken = new Set(held.map((r) => Number(r.slot)));
    let free = -1;
    for (let slot = 0; slot < lease.max; slot++) {
      if (!taken.has(slot)) {
        free = slot;
        break;
      }
    }
    if (free < 0) return false;
    const claimed = await tx.run(
      `INSERT INTO run_leases (subject, slot, lease_id, holder, expires_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (subject, slot) DO UPDATE SET lease_id = excluded.lease_id, holder = excluded.holder, expires_at = excluded.expires_at
       WHERE run_leases.expires_at <= ?`,
      [subject, free, lease.id, lease.holder, lease.expiresAt, now],
    );
    if (claimed > 0) return true;
  }
  return false;
}

function keyInfo(row: KeyRow): ApiKeyInfo {
  const caps: KeyCaps = {};
  for (const [name, column] of Object.entries(CAP_COLUMNS) as [keyof KeyCaps, keyof KeyRow][]) {
    if (row[column] !== null) caps[name] = Number(row[column]);
  }
  return {
    id: row.id,
    name: row.name,
    ratePerMinute: row.rate_per_minute === null ? null : Number(row.rate_per_minute),
    maxConcurrent: Number(row.max_concurrent),
    dailyRuns: row.daily_runs === null ? null : Number(row.daily_runs),
    caps,
    createdAt: new Date(Number(row.created_at)).toISOString(),
    revokedAt: row.revoked_at === null ? null : new Date(Number(row.revoked_at)).toISOString(),
  };
}
