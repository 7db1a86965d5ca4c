/**
 * Where a run's CPU goes, phase by phase, each measured on its own for the whole machine
 * (/proc/stat, background taken off) with the server idle:
 *   - user admin: run users made and deleted through the accounts helper, in the pool's batches
 *   - jail: one jail built (forked from the template or bwrap's, namespaces, mounts, cgroup, filter), `true`
 *     run in it, torn down, next to `true` spawned bare
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
import { detectCgroups } from '../backend/dist/sandbox/cgroups.js';
import { openSandbox } from '../backend/dist/sandbox/sandbox-setup.js';
import { claimUidSlice } from '../backend/dist/sandbox/uid-slices.js';
import { loadLanguages } from '../backend/dist/languages/load.js';
import { probeLanguages } from '../backend/dist/languages/toolchains.js';
import { Jail } from '../backend/dist/sandbox/jail.js';
import { backgroundMsPerSecond, cpuSpentOn, type CpuSpent } from './system-cpu.ts';

export interface PhaseCosts {
  userAdminMs: number;
  jailMs: number;
  /** Wall time from Jail.prepare() called to the launcher waiting at its gate (a pooled jail's preparation). */
  jailPrepareP50Ms: number;
  /** How the jails were made (RUNBOX_JAIL, or bubblewrap where the template was refused). */
  jailKind: string;
}

const SAMPLE_MS = 1000;
const BATCH = 4; // the default user pool refills this many at once

export async function netPerItem(items: number, work: () => Promise<unknown>): Promise<number> {
  const before = await backgroundMsPerSecond(SAMPLE_MS);
  const spent: CpuSpent = await cpuSpentOn(work);
  const after = await backgroundMsPerSecond(SAMPLE_MS);
  return (spent.machineMs - spent.selfMs - (((before + after) / 2) * spent.wallMs) / 1000) / items;
}

const spawnTrue = () => new Promise<void>((resolve) => spawn('true', [], { stdio: 'ignore' }).on('close', () => resolve()));

/** Measures user admin and jail cost directly against the sandbox modules (as root). */
export async function measurePhases(count: number): Promise<PhaseCosts> {
  // a tag no server uses: the bench's own server sweeps only at its start
  const config = loadConfig({ ...process.env, RUNBOX_INSTANCE: 'be0' });
  const stateDir = path.join(config.stateDir, `bench-phases-${process.pid}`);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const cgroups = await detectCgroups(config.cgroup);
  const languages = await probeLanguages(loadLanguages(config.languagesDir), config.sandboxPath);
  // a uid slice of its own, as every server takes: the bench's server runs beside it
  const uids = claimUidSlice(config.uidSlicesDir, config.runUids);
  const { isolation, accounts } = await openSandbox(config, stateDir, languages.all, uids);
  const env = { config, cgroups, isolation };
  try {
    const userAdminMs = await netPerItem(count, async () => {
      for (let i = 0; i < count; i += BATCH) {
        const users = await accounts.create(Array.from({ length: BATCH }, () => uuidv4()));
        await Promise.all(users.map((u) => accounts.remove(u)));
      }
    });
    const [user] = await accounts.create([uuidv4()]);
    const prepares: number[] = [];
    const limits = { wallMs: 5000, cpuMs: 5000, memoryBytes: 256 * 2 ** 20, processes: 64, openFiles: 64, fileSizeBytes: 2 ** 20, outputBytes: 65536 };
    const once = async (phase: number) => {
      const started = performance.now();
      const jail = await Jail.prepare({ ...jailSetup(user!, 1, env), phaseName: `${user!.name}-b${phase}` });
      prepares.push(performance.now() - started);
      await jail.run({ command: ['true'], stdin: '', limits });
      await jail.discard();
    };
    for (let i = 0; i < 3; i++) await once(-i - 1); // warm-up
    prepares.length = 0;
    const jailed = await netPerItem(count, async () => {
      for (let i = 0; i < count; i++) await once(i);
    });
    const bare = await netPerItem(count, async () => {
      for (let i = 0; i < count; i++) await spawnTrue();
    });
    await accounts.removeNow([user!.name]);
    prepares.sort((a, b) => a - b);
    return { userAdminMs, jailMs: jailed - bare, jailKind: isolation.kind, jailPrepareP50Ms: prepares[Math.floor(prepares.length / 2)]! };
  } finally {
    await accounts.close();
    await isolation.launcher.stop();
    uids.release();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
