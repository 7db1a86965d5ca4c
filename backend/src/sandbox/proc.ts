import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Reads the process table straight from /proc. No `ps` fork: a fork bomb can leave
 * no pid free to start one, and this must still work then.
 */
export async function pidsOwnedBy(uid: number): Promise<number[]> {
  const wanted = String(uid);
  const entries = await readdir('/proc');
  const found: number[] = [];
  await Promise.all(
    entries.map(async (name) => {
      if (!/^\d+$/.test(name)) return;
      let status: string;
      try {
        status = await readFile(`/proc/${name}/status`, 'utf8');
      } catch {
        return; // exited while we looked
      }
      // a zombie holds nothing but its pid and cannot be killed; its parent or init reaps it
      if (/^State:\s+Z/m.test(status)) return;
      const uids = /^Uid:\s+(.*)$/m.exec(status)?.[1]?.split(/\s+/) ?? [];
      // real, effective, saved and filesystem uid: any of them makes it the run's process
      if (uids.includes(wanted)) found.push(Number(name));
    }),
  );
  return found;
}

function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}


/**
 * Kills every process of a uid: stop them all first so none can fork a replacement
 * while we kill, then kill, and repeat until none is left. Returns how many rounds it took;
 * throws if processes survive.
 */
export async function killAllOfUid(uid: number, maxRounds = 100): Promise<number> {
  for (let round = 0; round < maxRounds; round++) {
    const pids = await pidsOwnedBy(uid);
    if (pids.length === 0) return round;
    signalAll(pids, 'SIGSTOP');
    signalAll(pids, 'SIGKILL');
    await sleep(round < 5 ? 2 : 20);
  }
  const left = await pidsOwnedBy(uid);
  if (left.length === 0) return maxRounds;
  throw new Error(`processes of uid ${uid} survived killing: ${left.join(',')}`);
}
