import { describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { claimUidSlice, sliceRange, UidSlicesBusyError } from '../backend/src/sandbox/uid-slices.js';

/**
 * Servers on one kernel (API replicas on one host) never hand out the same uid: each holds a
 * slice of the range by a real flock(2), freed the moment its holder dies.
 */

const RANGE = { min: 700_000_000, max: 700_039_999 }; // four slices of 10,000

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'runbox-uid-slices-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Another process holding slice 0: a node that claims it and waits to be killed. */
async function holderProcess(dir: string) {
  const code = `import('${path.resolve('backend/dist/sandbox/uid-slices.js')}').then((m) => { const s = m.claimUidSlice(${JSON.stringify(dir)}, ${JSON.stringify(RANGE)}); console.log(s.index); setInterval(() => {}, 1000); })`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  return { child, index: Number(line.toString().trim()) };
}

describe('uid slices', () => {
  test('a range is cut into equal slices that cover it without overlap', () => {
    expect(sliceRange(RANGE)).toEqual({ count: 4, size: 10_000 });
    expect(sliceRange({ min: 700_000_000, max: 799_999_999 })).toEqual({ count: 64, size: 1_562_500 });
    expect(sliceRange({ min: 1000, max: 2000 })).toEqual({ count: 1, size: 1001 });
  });

  test('two servers get two different slices, and a released slice is taken again', () =>
    withDir(async (dir) => {
      const a = claimUidSlice(dir, RANGE);
      const b = claimUidSlice(dir, RANGE);
      expect([a.index, b.index]).toEqual([0, 1]);
      expect(b.min).toBe(a.max + 1);
      a.release();
      const c = claimUidSlice(dir, RANGE);
      expect(c.index).toBe(0);
      b.release();
      c.release();
    }));

  test('a slice held by another process is skipped, and freed when that process is killed -9', () =>
    withDir(async (dir) => {
      const holder = await holderProcess(dir);
      expect(holder.index).toBe(0);
      const mine = claimUidSlice(dir, RANGE);
      expect(mine.index).toBe(1);
      holder.child.kill('SIGKILL');
      await once(holder.child, 'exit');
      const next = claimUidSlice(dir, RANGE);
      expect(next.index).toBe(0);
      mine.release();
      next.release();
    }));

  test('when every slice is held the server is refused with a clear error', () =>
    withDir(async (dir) => {
      const held = [0, 1, 2, 3].map(() => claimUidSlice(dir, RANGE));
      expect(() => claimUidSlice(dir, RANGE)).toThrow(UidSlicesBusyError);
      expect(() => claimUidSlice(dir, RANGE)).toThrow(/all 4 uid slices/);
      for (const s of held) s.release();
    }));
});
