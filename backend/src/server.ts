import { chmod, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.js';
import { createApp } from './http/app.js';
import { judge0CallbackFormat } from './http/judge0/view.js';
import { takeInstanceLock, type InstanceLock } from './instance-lock.js';
import { attachLiveSocket } from './http/live.js';
import { pistonSocketRoute } from './http/piston/connect.js';
import { prepareBuildCaches } from './languages/build-caches.js';
import { prepareCompilerArchives } from './languages/compiler-archives.js';
import { loadLanguages } from './languages/load.js';
import type { LanguageSet } from './languages/registry.js';
import { probeLanguages, type OfferedLanguages } from './languages/toolchains.js';
import { checkPortFree, listen } from './listen.js';
import type { Logger } from './log.js';
import type { IsolationReport } from './protocol.js';
import { CompileCache } from './runs/compile-cache.js';
import { jailSetup } from './runs/run.js';
import { RunService } from './runs/run-service.js';
import { Jail } from './sandbox/jail.js';
import { detectCgroups } from './sandbox/cgroups.js';
import { fallBackToBubblewrap, probeIsolation } from './sandbox/isolation.js';
import { openSandbox } from './sandbox/sandbox-setup.js';
import { claimUidSlice, type UidSlice } from './sandbox/uid-slices.js';
import { v4 as uuidv4 } from 'uuid';
import { sweepLeftovers } from './sandbox/sweep.js';
import { Quotas } from './keys/quotas.js';
import { openStore } from './store/open-store.js';
import { watchRuns, watchSubmissionQueue } from './observability/metrics.js';
import { countStoreErrors } from './observability/store-errors.js';
import type { Store } from './store/store.js';
import { RunUserPool } from './sandbox/user-pool.js';
import { importSeededPackages } from './problems/bundled.js';
import { callbackSecretLookup } from './submissions/callback-secrets.js';
import { CallbackPolicy } from './submissions/callback-address.js';
import { SubmissionWorker } from './submissions/submission-worker.js';

export interface Runbox {
  server: Server;
  url: string;
  runs: RunService;
  store: Store;
  isolation: IsolationReport;
  /** The languages offered: those whose toolchain was found at start. */
  languages: OfferedLanguages;
  /** Stops taking work, lets runs finish (or kills them after the grace time), closes. */
  shutdown(graceMs?: number): Promise<void>;
}

/**
 * Start-up in order: the language entries (a bad one stops here), the instance lock and
 * the port (nothing on the host is touched before both are ours), toolchains, sandbox
 * checks, sweep of leftovers, listen.
 */
export async function startRunbox(config: Config, logger: Logger): Promise<Runbox> {
  if (process.getuid?.() !== 0) throw new Error('runbox must run as root: it creates a Linux user per run');
  const entries = loadLanguages(config.languagesDir);
  const instanceLock = await takeInstanceLock(config.stateDir, config.instance);
  if (instanceLock.tookOverFrom !== null) logger.warn('took over the instance lock of a server that is gone', { pid: instanceLock.tookOverFrom });
  let uids: UidSlice | undefined;
  const lock = {
    release: async () => {
      uids?.release();
      await instanceLock.release();
    },
  };
  try {
    uids = claimUidSlice(config.uidSlicesDir, config.runUids);
    return await startLocked(config, logger, lock, entries, uids);
  } catch (err) {
    await lock.release();
    throw err;
  }
}

async function startLocked(config: Config, logger: Logger, lock: Pick<InstanceLock, 'release'>, entries: LanguageSet, uids: UidSlice): Promise<Runbox> {
  await checkPortFree(config.port, config.host);
  // only languages whose toolchain is installed are offered, and only their toolchains are bound into jails
  const languages = await probeLanguages(entries, config.sandboxPath, config.extraPackages);
  for (const { id, reason } of languages.missing) logger.warn('language not offered: toolchain not found', { language: id, reason });
  if (languages.all.length === 0) throw new Error(`no language's toolchain was found on the sandbox PATH (${config.sandboxPath})`);
  const cgroups = await detectCgroups(config.cgroup, config.spareCgroups);
  // servers sharing a host (RUNBOX_INSTANCE) keep their state and caches apart
  const ownDir = (dir: string) => path.join(dir, config.instance || 'main');
  const stateDir = ownDir(config.stateDir);
  await prepareStateDir(stateDir);
  const { isolation: isolationSettings, accounts } = await openSandbox(config, stateDir, languages.all, uids);
  if (isolationSettings.templateRefused !== undefined) logger.warn('RUNBOX_JAIL=template: the template cannot be built here, jails are bubblewrap\'s', { reason: isolationSettings.templateRefused });
  if (!cgroups) logger.warn('no usable cgroup: memory limits are not enforced and CPU/memory are not measured');

  const swept = await sweepLeftovers(config.homeRoot, cgroups, accounts, config.instance);
  if (swept.users + swept.homes + swept.cgroups > 0) logger.warn('removed leftovers of an earlier server', swept);
  for (const failure of swept.failures) logger.error('start-up sweep failed', { failure });

  const runEnvironment = { config, cgroups, isolation: isolationSettings };
  const probeUser = async () => {
    const [user] = await accounts.create([uuidv4()]);
    return { user: user!, destroy: () => accounts.removeNow([user!.name]) };
  };
  const probe = () => probeIsolation(isolationSettings, cgroups, probeUser, (user) => jailSetup(user, 1, runEnvironment), config.requiredLayers);
  const isolation = await probe().catch(async (err: Error) => {
    // the template built, but a jail from it does not work here (a syscall a container's profile refuses, say)
    if (isolationSettings.kind !== 'template') throw err;
    logger.warn("RUNBOX_JAIL=template: a jail from the template failed the start-up probe, jails are bubblewrap's", { reason: err.message });
    fallBackToBubblewrap(isolationSettings, err.message);
    return probe();
  });

  const compilerArchives = await prepareCompilerArchives(languages.all, languages.toolchains, config.archiveDir, config.sandboxPath);
  const buildCaches = await prepareBuildCaches(languages.all, languages.toolchains, config.archiveDir, config.sandboxPath);
  const compileCache = config.compileCacheMb > 0 ? await CompileCache.open(ownDir(config.cacheDir), config.compileCacheMb * 1024 * 1024) : null;

  const store = countStoreErrors(await openStore(config, logger));
  logger.info('store open', { kind: store.kind, ...(store.kind === 'sqlite' ? { dataDir: config.dataDir } : {}) });
  const pruneHistory = () =>
    Promise.all([
      store.pruneSubmissions(new Date(Date.now() - config.historyDays * DAY_MS)).then(
        (removed) => removed > 0 && logger.info('history pruned', { removed, olderThanDays: config.historyDays }),
        (err: Error) => logger.error('history pruning failed', { error: err.message }),
      ),
      config.snippetKeepDays > 0 &&
        store.pruneSnippets(new Date(Date.now() - config.snippetKeepDays * DAY_MS)).then(
          (removed) => removed > 0 && logger.info('snippets pruned', { removed, olderThanDays: config.snippetKeepDays }),
          (err: Error) => logger.error('snippet pruning failed', { error: err.message }),
        ),
    ]);
  const quotas = new Quotas(
    store.keys,
    {
      anonymous: { allowed: config.anonymous, perMinute: config.anonRunsPerMinute, perDay: config.anonRunsPerDay, concurrent: config.anonConcurrentRuns },
      leaseMs: config.runLeaseMs,
    },
    logger,
  );
  const pruneQuotas = () => quotas.prune().catch((err: Error) => logger.error('quota pruning failed', { error: err.message }));
  await Promise.all([pruneHistory(), pruneQuotas()]);
  // the seeded problems, still as seeded, become the packages they come from (problems/bundled.ts)
  await importSeededPackages(store, config, languages, logger).catch((err: Error) => logger.error('could not import the seeded problems\' packages', { error: err.message }));
  const pruneTimer = setInterval(() => void Promise.all([pruneHistory(), pruneQuotas()]), PRUNE_EVERY_MS).unref();

  const users = new RunUserPool(config.userPool, accounts, logger, (user) => Jail.prepare(jailSetup(user, 1, runEnvironment)));
  users.start();
  const runs = new RunService({ config, users, compileCache, compilerArchives, buildCaches, toolchains: languages.toolchains, cgroups, isolation: isolationSettings, logger });
  const unwatchRuns = watchRuns(runs, config.userPool);
  const unwatchQueue = watchSubmissionQueue(store.submissionQueue);
  const submissions = new SubmissionWorker({
    config,
    runs,
    languages,
    queue: store.submissionQueue,
    logger,
    callbackSecrets: callbackSecretLookup(store.keys, config.callbackSecret),
    callbackPolicy: new CallbackPolicy(config.callbackAllow),
    quotas,
    keys: store.keys,
    // submissions made through Judge0's API are called back Judge0's way (PUT, its attributes)
    callbackFormats: { judge0: judge0CallbackFormat },
  });
  const appDeps = { config, runs, store, languages, isolation, logger, submissions, quotas };
  const app = createApp(appDeps);
  const server = await listen(app, config.port, config.host).catch(async (err: Error) => {
    clearInterval(pruneTimer);
    unwatchRuns();
    unwatchQueue();
    await users.drain();
    await store.close();
    throw err;
  });
  // spare cgroups only once the server is up: a start that fails leaves none behind, shutdown sweeps them
  cgroups?.keepSpares(true);
  const live = attachLiveSocket(server, appDeps, [pistonSocketRoute(appDeps)]);
  await submissions.start();
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.info('runbox listening', { url, cgroup: isolation.cgroup, uids: `${uids.min}-${uids.max}`, concurrency: config.concurrency, languages: languages.info.map((l) => `${l.id} ${l.version}`) });

  let closing: Promise<void> | undefined;
  const shutdown = (graceMs = config.shutdownGraceMs) =>
    (closing ??= (async () => {
      try {
        const closed = new Promise<void>((r) => server.close(() => r()));
        submissions.stopClaiming();
        await runs.shutdown(graceMs);
        // the results of runs that finished within the grace are written before the store closes
        await submissions.drain();
        // live connections that never started a run; the others closed with their runs
        live.close();
        await users.drain();
        server.closeIdleConnections();
        await closed;
        clearInterval(pruneTimer);
        quotas.stop();
        unwatchRuns();
        unwatchQueue();
        // after the last request: a judge submission being kept still writes
        await store.close();
        cgroups?.keepSpares(false); // a cleanup still under way removes its cgroup
        const leftovers = await sweepLeftovers(config.homeRoot, cgroups, accounts, config.instance);
        for (const failure of leftovers.failures) logger.error('shutdown sweep failed', { failure });
        await Promise.all([accounts.close(), isolationSettings.launcher.stop()]);
        // the launcher's copy, the filter and the staged /etc: 2-3 MB of tmpfs a tag, which a
        // host that starts many tagged servers (the test suite) would otherwise keep until reboot
        await rm(stateDir, { recursive: true, force: true });
      } finally {
        // even after a failed cleanup: the next server sweeps what is left, if it may start
        await lock.release();
      }
    })());

  return { server, url, runs, store, isolation, languages, shutdown };
}

const DAY_MS = 24 * 60 * 60 * 1000;
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/** Root-only, and emptied at start: files in it belong to runs of an earlier server. */
async function prepareStateDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}
