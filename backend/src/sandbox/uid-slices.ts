import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';

/**
 * uids belong to the kernel, not to a container: API replicas on one host each keep their own
 * /etc/passwd, but two runs given the same uid at once by two replicas could signal each other
 * and share the per-user process count. So every server takes one slice of RUNBOX_RUN_UIDS for
 * itself, with nothing set per replica: slice N is held by an exclusive flock(2) on file N in a
 * directory every server on the host shares (compose: the data volume). The lock lives as long
 * as the server's open file does, so a server that dies in any way (kill -9, `docker kill`)
 * frees its slice at once, and no file ever says otherwise.
 */

export class UidSlicesBusyError extends Error {}

export interface UidRange {
  min: number;
  max: number;
}

export interface UidSlice extends UidRange {
  index: number;
  count: number;
  /** Frees the slice for another server (closes the locked file). */
  release(): void;
}

/** At most this many servers share a host; a slice keeps at least MIN_SLICE uids. */
const MAX_SLICES = 64;
const MIN_SLICE = 10_000;

/** How a range is cut: equal slices, as many as fit up to MAX_SLICES. */
export function sliceRange(range: UidRange): { count: number; size: number } {
  const total = range.max - range.min + 1;
  const count = Math.max(1, Math.min(MAX_SLICES, Math.floor(total / MIN_SLICE)));
  return { count, size: Math.floor(total / count) };
}

export function claimUidSlice(dir: string, range: UidRange): UidSlice {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { count, size } = sliceRange(range);
  for (let index = 0; index < count; index++) {
    const min = range.min + index * size;
    const max = min + size - 1;
    const fd = openSync(path.join(dir, `${min}-${max}.lock`), 'a', 0o600);
    if (lockNow(fd)) return { index, count, min, max, release: () => closeSync(fd) };
    closeSync(fd);
  }
  throw new UidSlicesBusyError(`all ${count} uid slices of ${range.min}-${range.max} (RUNBOX_RUN_UIDS) are held by other runbox servers on this host (locks in ${dir})`);
}

const BUSY = 75;

/**
 * Node has no flock(2): util-linux's flock(1) takes the lock on the open file description
 * it is handed as fd 3, which is ours, so the lock stays with our fd after it exits.
 */
function lockNow(fd: number): boolean {
  const r = spawnSync('flock', ['--exclusive', '--nonblock', '--conflict-exit-code', String(BUSY), '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
  if (r.status === 0) return true;
  if (r.status === BUSY) return false;
  throw new Error(`flock(1) failed: ${r.error?.message ?? r.stderr.toString().trim()}`);
}
