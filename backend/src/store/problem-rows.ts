import type { ProblemInput } from '../protocol.js';
import type { SqlQueries } from './sql.js';

/** Writes a problem and its tests; the caller holds the transaction. */
export async function insertProblem(tx: SqlQueries, p: ProblemInput, now: number): Promise<void> {
  await tx.run('INSERT INTO problems (slug, title, statement, time_limit_ms, memory_limit_mb, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
    p.slug,
    p.title,
    p.statement,
    p.timeLimitMs,
    p.memoryLimitMb,
    now,
    now,
  ]);
  await insertTests(tx, p);
}

export async function insertTests(tx: SqlQueries, p: ProblemInput): Promise<void> {
  let position = 0;
  for (const t of p.tests) {
    await tx.run('INSERT INTO problem_tests (problem_slug, position, input, expected, hidden) VALUES (?, ?, ?, ?, ?)', [p.slug, ++position, t.input, t.expected, t.hidden ? 1 : 0]);
  }
}
