import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { CgroupDriver } from './cgroups.js';
import { destroyRunUser } from './run-user.js';
import { isRunUserName, listRunUsers, RUN_USER_PREFIX } from './users.js';
import { removeWorkspace } from './workspace.js';

export interface SweepReport {
  users: number;
  homes: number;
  cgroups: number;
  failures: string[];
}

/**
 * Start-up sweep: whatever a crashed or killed server left (users, their processes,
 * mounted homes, cgroups) is removed before the first run. Run users are never reused and
 * the caller holds the instance lock (no other live server has these users), so anything
 * that exists now is a leftover.
 */
export async function sweepLeftovers(homeRoot: string, cgroups: CgroupDriver | null, instance = ''): Promise<SweepReport> {
  const report: SweepReport = { users: 0, homes: 0, cgroups: 0, failures: [] };
  for (const user of await listRunUsers(instance)) {
    try {
      await destroyRunUser(user);
      report.users++;
    } catch (err) {
      report.failures.push(`user ${user.name}: ${(err as Error).message}`);
    }
  }
  const entries = await readdir(homeRoot).catch(() => [] as string[]);
  for (const name of entries.filter((n) => isRunUserName(n, instance))) {
    try {
      await removeWorkspace(path.join(homeRoot, name));
      report.homes++;
    } catch (err) {
      report.failures.push(`home ${name}: ${(err as Error).message}`);
    }
  }
  try {
    report.cgroups = (await cgroups?.sweep(`${RUN_USER_PREFIX}${instance}`)) ?? 0;
  } catch (err) {
    report.failures.push(`cgroups: ${(err as Error).message}`);
  }
  return report;
}
