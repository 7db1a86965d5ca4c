import { readdir } from 'node:fs/promises';
import type { RunAccounts } from './accounts.js';
import type { CgroupDriver } from './cgroups.js';
import { killAllOfUid } from './proc.js';
import { isRunUserName, listRunUsers, RUN_USER_PREFIX } from './users.js';

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
 * that exists now is a leftover. This is the one place that walks /proc for a uid's
 * processes: during a run the jail's pid namespace and cgroup account for them.
 */
export async function sweepLeftovers(homeRoot: string, cgroups: CgroupDriver | null, accounts: RunAccounts, instance = ''): Promise<SweepReport> {
  const report: SweepReport = { users: 0, homes: 0, cgroups: 0, failures: [] };
  const users = await listRunUsers(instance);
  for (const user of users) {
    try {
      await killAllOfUid(user.uid);
    } catch (err) {
      report.failures.push(`user ${user.name}: ${(err as Error).message}`);
    }
  }
  try {
    report.cgroups = (await cgroups?.sweep(`${RUN_USER_PREFIX}${instance}`)) ?? 0;
  } catch (err) {
    report.failures.push(`cgroups: ${(err as Error).message}`);
  }
  const names = new Set(users.map((u) => u.name));
  const homes = (await readdir(homeRoot).catch(() => [] as string[])).filter((n) => isRunUserName(n, instance));
  for (const home of homes) names.add(home);
  try {
    await accounts.removeNow([...names]);
    report.users = users.length;
    report.homes = homes.length;
  } catch (err) {
    report.failures.push((err as Error).message);
  }
  return report;
}
