import type { ProblemInput } from '../protocol.js';
import { bundledSeeds } from '../problems/bundled.js';

/**
 * The classic problems a fresh install ships with, read from their problem packages in the
 * repository's problems/ folder (problems/bundled.ts). They are inserted once, by a schema
 * migration: an admin who edits or deletes them keeps the change.
 */
export function seedProblems(): ProblemInput[] {
  return bundledSeeds();
}
