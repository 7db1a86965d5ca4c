/**
 * Where a run's CPU goes, phase by phase, each measured on its own for the whole machine
 * (/proc/stat, background taken off) with the server idle:
 *   - user admin: run users made and deleted through the accounts helper, in the pool's batches
 *   - jail: one jail built (forked from the template or bwrap's, namespaces, mounts, cgroup, filter), `true`
 *     run in it, torn down, next to `true` spawned bare; the server's side of it (cgroup files,
 *     the launcher's protocol) included, as this process does it
 *   - HTTP and bookkeeping: what is left of a run through the API once the bare program,
 *     the user admin and the jail are taken off
 * So the next regression shows where it is.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { v4 as uuidv4 } from 'uuid';
import { loadConfig } from '../backend/dist/config.js';
import { jailSetup } from '../backend/dist/runs/run.js';
import { detectCgroups, type CgroupDriver } from '../backend/dist/sandbox/cgroups.js';
import { openSandbox } from '../backend/dist/sandbox/sandbox-setup.js';
import { claimUidSlice } from '../backend/dist/sandbox/uid-slices.js';
import { RUN_USER_PREFIX } from '../backend/dist/sandbox/users.js';
import { loadLanguages } from '../backend/dist/languages/load.js';
import { probeLanguages } from '../backend/dist/languages/toolchains.js';
import { Jail } from '../backend/dist/sandbox/jail.js';
import { backgroundMsPerSecond, cpuSpentOn, type CpuSpent } from './system-cpu.ts';

export interface PhaseCosts {
  userAdminMs: number;
  jailMs: number;
  /** The jail again with a fresh cgroup made and removed per phase (RUNBOX_SPARE_CGROUPS=0); null without cgroups. */
  jailFreshCgroupsMs: number | null;
  /** RUNBOX_SPARE_CGROUPS the jail row was measured with. */
  spareCgroups: number;
  /** Wall time from Jail.prepare() called to the launcher waiting at its gate (a pooled jail's preparation). */
  jailPrepareP50Ms: number;
  /** How the jails were made (RUNBOX_JAIL, or bubblewrap where the template was refused). */
  jailKind: string;
}

const SAMPLE_MS = 1000;

/** Whole-machine CPU per item, background taken off; this process's own CPU left out unless `withSelf` (it does the server's side of a jail). */
export async function netPerItem(items: number, work: () => Promise<unknown>, withSelf = false): Promise<number> {
  const before = await backgroundMsPerSecond(SAMPLE_MS);
  const spent: CpuSpent = await cpuSpentOn(work);
  const after = await backgroundMsPerSecond(SAMPLE_MS);
  return (spent.machineMs - (withSelf ? 0 : spent.selfMs) - (((before + after) / 2) * spent.wallMs) / 1000) / items;
}

const spawnTrue = () => new Promise<void>((resolve) => spawn('true', [], { stdio: 'ignore' }).on('close', () => resolve()));

/** Measures user admin and jail cost directly against the sandbox modules (as root). */
export async function measurePhases(count: number): Promise<PhaseCosts> {
  // a tag no server uses: the bench's own server sweeps only at its start
  const config = loadConfig({ ...process.env, RUNBOX_INSTANCE: 'be0' });
  const stateDir = path.join(config.stateDir, `bench-phases-${process.pid}`);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const cgroups = await detectCgroups(config.cgroup, config.spareCgroups);
  cgroups?.keepSpares(true); // as a server does once it is up
  const languages = await probeLanguages(loadLanguages(config.languagesDir), config.sandboxPath);
  // a uid slice of its own, as every server takes: the bench's server runs beside it
  const uids = claimUidSlice(config.uidSlicesDir, config.runUids);
  const { isolation, accounts } = await openSandbox(config, stateDir, languages.all, uids);
  // the pool refills once half of it is gone: half the pool a batch
  const batch = Math.max(1, Math.ceil(config.userPool / 2));
  try {
    const userAdminMs = await netPerItem(count, async () => {
      for (let i = 0; i < count; i += batch) {
        const users = await accounts.create(Array.from({ length: batch }, () => uuidv4()));
        await Promise.all(users.map((u) => accounts.remove(u)));
      }
    });
    const [user] = await accounts.create([uuidv4()]);
    const prepares: number[] = [];
    const limits = { wallMs: 5000, cpuMs: 5000, memoryBytes: 256 * 2 ** 20, processes: 64, openFiles: 64, fileSizeBytes: 2 ** 20, outputBytes: 65536 };
    let phase = 0;
    const once = async (drivers: CgroupDriver | null) => {
      const started = performance.now();
      const jail = await Jail.prepare({ ...jailSetup(user!, 1, { config, cgroups: drivers, isolation }), phaseName: `${user!.name}-b${phase++}` });
      prepares.push(performance.now() - started);
      await jail.run({ command: ['true'], stdin: '', limits });
      await jail.discard();
    };
    const jailNet = (drivers: CgroupDriver | null) =>
      netPerItem(
        count,
        async () => {
          for (let i = 0; i < count; i++) await once(drivers);
        },
        true,
      );
    for (let i = 0; i < 3; i++) await once(cgroups); // warm-up
    prepares.length = 0;
    // the server's setting and, for comparison, a fresh cgroup per phase: alternately, twice
    const freshCgroups = cgroups && (await detectCgroups(config.cgroup, 0));
    const [jailed, jailedFresh] = [[] as number[], [] as number[]];
    for (let round = 0; round < 2; round++) {
      jailed.push(await jailNet(cgroups));
      jailedFresh.push(await jailNet(freshCgroups));
    }
    const bare = await netPerItem(
      count,
      async () => {
        for (let i = 0; i < count; i++) await spawnTrue();
      },
      true,
    );
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    await accounts.removeNow([user!.name]);
    prepares.sort((a, b) => a - b);
    return {
      userAdminMs,
      jailMs: mean(jailed) - bare,
      jailFreshCgroupsMs: cgroups ? mean(jailedFresh) - bare : null,
      spareCgroups: cgroups ? config.spareCgroups : 0,
      jailKind: isolation.kind,
      jailPrepareP50Ms: prepares[Math.floor(prepares.length / 2)]!,
    };
  } finally {
    cgroups?.keepSpares(false);
    await cgroups?.sweep(`${RUN_USER_PREFIX}${config.instance}`);
    await accounts.close();
    await isolation.launcher.stop();
    uids.release();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
