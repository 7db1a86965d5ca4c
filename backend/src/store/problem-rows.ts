import type { ProblemInput } from '../protocol.js';
import type { SqlQueries } from './sql.js';
import { encodeText } from './text.js';

/**
 * Writes a problem and its tests unless its slug exists (then nothing, and false). The
 * caller holds the transaction.
 */
export async function insertProblemIfNew(tx: SqlQueries, p: ProblemInput, now: number): Promise<boolean> {
  const inserted = await tx.run('INSERT INTO problems (slug, title, statement, time_limit_ms, memory_limit_mb, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (slug) DO NOTHING', [
    p.slug,
    p.title,
    p.statement,
    p.timeLimitMs,
    p.memoryLimitMb,
    now,
    now,
  ]);
  if (inserted === 0) return false;
  await insertTests(tx, p);
  return true;
}

export async function insertTests(tx: SqlQueries, p: ProblemInput): Promise<void> {
  let position = 0;
  for (const t of p.tests) {
    await tx.run('INSERT INTO problem_tests (problem_slug, position, input, expected, hidden) VALUES (?, ?, ?, ?, ?)', [p.slug, ++position, encodeText(t.input), encodeText(t.expected), t.hidden ? 1 : 0]);
  }
}
