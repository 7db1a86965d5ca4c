import { link, mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * One live server per instance tag on a host. A second copy started by mistake would
 * otherwise sweep the first one's pooled users and empty its state directory, and the
 * first would then fail every run.
 *
 * The lock is a file naming its holder by pid and process start time: the start time tells
 * a live holder from a dead one whose pid was reused. kill -9 leaves the file behind; the
 * next server sees its holder is gone and takes it over.
 */

export class InstanceBusyError extends Error {}

export interface InstanceLock {
  /** The pid of a dead server whose lock was taken over, if any. */
  tookOverFrom: number | null;
  release(): Promise<void>;
}

interface Holder {
  pid: number;
  startTime: string;
  instance: string;
}

/**
 * Takes the lock of `instance` in `dir`, or throws InstanceBusyError naming the live server
 * that has it. Tags overlap when one begins with the other (the empty tag begins every tag):
 * a server sweeps every user whose name starts with its tag, so those exclude each other too.
 */
export async function takeInstanceLock(dir: string, instance: string): Promise<InstanceLock> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = lockFile(dir, instance);
  const me: Holder = { pid: process.pid, startTime: (await readStat(process.pid)).startTime, instance };
  // written in full first and then linked into place: nobody ever reads a half-written lock
  const draft = `${file}.${process.pid}.draft`;
  await writeFile(draft, JSON.stringify(me), { mode: 0o600 });
  let tookOverFrom: number | null = null;
  try {
    for (let attempt = 0; ; attempt++) {
      if (await linkIfAbsent(draft, file)) break;
      const holder = await readHolder(file);
      if (holder && (await isAlive(holder))) throw busy(holder, instance);
      if (attempt >= 5) throw new InstanceBusyError(`could not take the lock ${file} (servers starting at the same moment?)`);
      if (await removeIfUnchanged(file, holder)) tookOverFrom = holder?.pid ?? null;
    }
  } finally {
    await unlink(draft).catch(() => undefined);
  }
  const release = async () => {
    const holder = await readHolder(file);
    if (holder && sameHolder(holder, me)) await unlink(file).catch(() => undefined);
  };
  try {
    // after our own lock is in place, so of two overlapping servers starting together at least one sees the other
    const overlapping = await findOverlappingHolder(dir, instance);
    if (overlapping) throw busy(overlapping, instance);
  } catch (err) {
    await release();
    throw err;
  }
  return { tookOverFrom, release };
}

function lockFile(dir: string, instance: string): string {
  return path.join(dir, `${instance || 'main'}.lock`);
}

function busy(holder: Holder, instance: string): InstanceBusyError {
  const owns = `another runbox server (pid ${holder.pid}) owns instance ${label(holder.instance)} on this host`;
  return new InstanceBusyError(holder.instance === instance ? owns : `${owns}; its tag and ${label(instance)} overlap, so each would sweep the other's run users`);
}

const label = (instance: string) => (instance ? `'${instance}'` : "'' (every run user)");

async function linkIfAbsent(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/**
 * Removes a dead holder's lock. Moved aside first, then checked: if a new server took the
 * lock between our read and the move, the move took its lock, so it goes straight back.
 */
async function removeIfUnchanged(file: string, seen: Holder | null): Promise<boolean> {
  const aside = `${file}.${process.pid}.stale`;
  try {
    await rename(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  const moved = await readHolder(aside);
  const unchanged = moved === null || (seen !== null && sameHolder(moved, seen));
  if (!unchanged) await linkIfAbsent(aside, file);
  await unlink(aside).catch(() => undefined);
  return unchanged;
}

async function findOverlappingHolder(dir: string, instance: string): Promise<Holder | null> {
  for (const name of await readdir(dir)) {
    if (!name.endsWith('.lock') || name === path.basename(lockFile(dir, instance))) continue;
    const holder = await readHolder(path.join(dir, name));
    if (!holder || !(holder.instance.startsWith(instance) || instance.startsWith(holder.instance))) continue;
    if (await isAlive(holder)) return holder;
  }
  return null;
}

/** null when missing or unreadable: such a file cannot name a live holder. */
async function readHolder(file: string): Promise<Holder | null> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<Holder>;
    if (typeof parsed.pid !== 'number' || typeof parsed.startTime !== 'string' || typeof parsed.instance !== 'string') return null;
    return { pid: parsed.pid, startTime: parsed.startTime, instance: parsed.instance };
  } catch {
    return null;
  }
}

const sameHolder = (a: Holder, b: Holder) => a.pid === b.pid && a.startTime === b.startTime;

/** A killed server stays a zombie until reaped: it holds nothing any more. */
async function isAlive(holder: Holder): Promise<boolean> {
  const stat = await readStat(holder.pid).catch(() => null);
  return stat !== null && stat.startTime === holder.startTime && stat.state !== 'Z' && stat.state !== 'X';
}

/** Fields 3 (state) and 22 (start time, in clock ticks since boot) of /proc/<pid>/stat. */
async function readStat(pid: number): Promise<{ state: string; startTime: string }> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // the command name (field 2) is in parentheses and may itself hold spaces or ')'
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [state, startTime] = [fields[3 - 3], fields[22 - 3]];
  if (!state || !startTime) throw new Error(`cannot read /proc/${pid}/stat`);
  return { state, startTime };
}
