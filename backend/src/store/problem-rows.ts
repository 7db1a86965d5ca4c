import type { ProblemInput } from '../protocol.js';
import type { ProblemWrite } from './store.js';
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

/**
 * A problem's tests. Only a problem from a package has groups and names; a problem without
 * is written with the columns schema step 2 (the seeded problems) already had.
 */
export async function insertTests(tx: SqlQueries, p: ProblemInput | ProblemWrite): Promise<void> {
  let position = 0;
  const packaged = 'package' in p && p.package;
  for (const t of p.tests as ProblemWrite['tests']) {
    if (packaged) {
      await tx.run('INSERT INTO problem_tests (problem_slug, position, input, expected, hidden, group_name, name) VALUES (?, ?, ?, ?, ?, ?, ?)', [
        p.slug,
        ++position,
        encodeText(t.input),
        encodeText(t.expected),
        t.hidden ? 1 : 0,
        t.group ?? null,
        t.name ?? null,
      ]);
    } else {
      await tx.run('INSERT INTO problem_tests (problem_slug, position, input, expected, hidden) VALUES (?, ?, ?, ?, ?)', [p.slug, ++position, encodeText(t.input), encodeText(t.expected), t.hidden ? 1 : 0]);
    }
  }
}
