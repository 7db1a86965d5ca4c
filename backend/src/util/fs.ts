import { access } from 'node:fs/promises';

/** Whether a path exists (and is reachable by us). */
export const pathExists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

/**
 * The parts of a relative path that stays below its base (`com/example/Main.class`), or
 * null for one that could leave it or name nothing: absolute, empty, a NUL, or a part that
 * is empty, `.` or `..`.
 */
export function partsInside(relPath: string): string[] | null {
  const parts = relPath.split('/');
  return relPath.includes('\0') || parts.some((p) => p === '' || p === '.' || p === '..') ? null : parts;
}
