import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ISOLATION_LAYERS } from './protocol.js';

/**
 * Every runbox setting in one table: environment variable, default, validation and a
 * one-line description. README's configuration section mirrors this table.
 */

const positiveInt = z.coerce.number().int().positive();
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** An IPv4 or IPv6 address, optionally with a prefix length in range. */
function isCidr(text: string): boolean {
  const [address = '', bits, extra] = text.split('/');
  const family = isIP(address);
  if (!family || extra !== undefined) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

/**
 * "python:numpy==1.26 requests; ruby:json" -> { python: ["numpy", "requests"], ruby: ["json"] }.
 * pip-style extras and version pins are dropped: the language's check reports the version installed.
 */
const packageLists = z.string().transform((value, ctx) => {
  const byLanguage: Record<string, string[]> = {};
  for (const part of value.split(';').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([a-z][a-z0-9]*):([\s\S]*)$/.exec(part);
    const names = (m?.[2] ?? '')
      .split(/[\s,]+/)
      .filter(Boolean)
      .map((spec) => /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?(?:[=<>!~@].*)?$/.exec(spec)?.[1]);
    if (!m || names.length === 0 || names.some((n) => n === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'must be <language>:<package> <package>..., languages separated by ;' });
      return z.NEVER;
    }
    (byLanguage[m[1]!] ??= []).push(...(names as string[]));
  }
  return byLanguage;
});

const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const entries = {
  host: { env: 'HOST', schema: z.string().min(1), default: '127.0.0.1', doc: 'Address the API listens on' },
  port: { env: 'PORT', schema: z.coerce.number().int().min(0).max(65535), default: '3000', doc: 'Port the API listens on' },
  logLevel: {
    env: 'LOG_LEVEL',
    schema: z.enum(['error', 'warn', 'info', 'debug', 'silent']),
    default: 'info',
    doc: 'winston log level; "silent" turns logging off',
  },
  concurrency: {
    env: 'RUNBOX_CONCURRENCY',
    schema: positiveInt,
    default: String(os.availableParallelism()),
    doc: 'Runs executing at once (default: CPU count)',
  },
  maxQueue: { env: 'RUNBOX_MAX_QUEUE', schema: z.coerce.number().int().min(0), default: '64', doc: 'Runs waiting for a slot before new ones get 503' },
  instance: {
    env: 'RUNBOX_INSTANCE',
    schema: z.string().regex(/^[0-9a-f]{0,4}$/, 'must be 0 to 4 lowercase hex digits'),
    default: '',
    doc: 'Tag (hex) for servers sharing one host: each names, sweeps and keeps state apart (empty: owns the host)',
  },
  liveMax: {
    env: 'RUNBOX_LIVE_MAX',
    schema: positiveInt,
    // a live run mostly waits for a person, so it holds no run slot; this caps how many wait
    default: String(4 * os.availableParallelism()),
    doc: 'Live runs (/api/live and Piston\'s /api/v2/connect) open at once; more are refused at the upgrade (default: 4 x CPU count)',
  },
  liveTimeMs: {
    env: 'RUNBOX_LIVE_TIME_MS',
    schema: positiveInt,
    default: '300000',
    doc: "Live run: total wall-clock budget (ms), the maximum a start message may ask for; its CPU limit is RUNBOX_RUN_CPU_MS",
  },
  liveIdleMs: {
    env: 'RUNBOX_LIVE_IDLE_MS',
    schema: positiveInt,
    default: '60000',
    doc: 'Live run: ended as a timeout after this long with no input and no output',
  },
  liveStartTimeoutMs: {
    env: 'RUNBOX_LIVE_START_TIMEOUT_MS',
    schema: positiveInt,
    // a connection holds a live slot from its upgrade on: one that never starts must give it back soon
    default: '5000',
    doc: "Live run: a connection that has not sent its start message (Piston's init) this long after opening is closed, freeing its live slot",
  },
  liveStdinBufferKb: {
    env: 'RUNBOX_LIVE_STDIN_BUFFER_KB',
    schema: positiveInt,
    default: '256',
    doc: 'Live run: input the program has not read yet that the server holds for it (KiB); past it the server stops reading the connection until the program catches up',
  },
  userPool: {
    env: 'RUNBOX_USER_POOL',
    schema: z.coerce.number().int().min(0),
    default: '8',
    doc: 'Fresh run users created ahead of time (each used once); 0 creates them per request',
  },
  runTimeMs: { env: 'RUNBOX_RUN_TIME_MS', schema: positiveInt, default: '5000', doc: 'Run phase: wall-clock limit (ms), the maximum a request may ask for' },
  runCpuMs: { env: 'RUNBOX_RUN_CPU_MS', schema: positiveInt, default: '5000', doc: 'Run phase: CPU time limit (ms)' },
  runMemoryMb: { env: 'RUNBOX_RUN_MEMORY_MB', schema: positiveInt, default: '256', doc: 'Run phase: memory limit (MiB, cgroup)' },
  runProcesses: {
    env: 'RUNBOX_RUN_PROCESSES',
    schema: positiveInt,
    // room for programs that start hundreds of threads (a JVM adds about 20 of its own); a
    // fork bomb is stopped by this count and the memory limit, not by a small number
    default: '1024',
    doc: 'Run phase: processes and threads the program may have at once (the maximum a request may ask for)',
  },
  openFiles: { env: 'RUNBOX_OPEN_FILES', schema: positiveInt, default: '256', doc: 'Open files per process (both phases)' },
  fileSizeMb: { env: 'RUNBOX_FILE_SIZE_MB', schema: positiveInt, default: '16', doc: 'Largest file a run may write (MiB)' },
  outputKb: { env: 'RUNBOX_OUTPUT_KB', schema: positiveInt, default: '64', doc: 'Cap on stdout and on stderr, each (KiB); past it the run is killed' },
  compileTimeMs: { env: 'RUNBOX_COMPILE_TIME_MS', schema: positiveInt, default: '15000', doc: 'Compile phase: wall-clock and CPU limit (ms)' },
  compileMemoryMb: { env: 'RUNBOX_COMPILE_MEMORY_MB', schema: positiveInt, default: '1024', doc: 'Compile phase: memory limit (MiB)' },
  compileProcesses: { env: 'RUNBOX_COMPILE_PROCESSES', schema: positiveInt, default: '128', doc: 'Compile phase: processes and threads the compiler may have at once' },
  codeKb: { env: 'RUNBOX_CODE_KB', schema: positiveInt, default: '64', doc: 'Largest accepted source code (KiB)' },
  stdinKb: { env: 'RUNBOX_STDIN_KB', schema: positiveInt, default: '1024', doc: 'Largest accepted stdin (KiB)' },
  workspaceMb: { env: 'RUNBOX_WORKSPACE_MB', schema: positiveInt, default: '64', doc: "Size of a run's home (a private tmpfs)" },
  tmpMb: { env: 'RUNBOX_TMP_MB', schema: positiveInt, default: '32', doc: "Size of a run's private /tmp and /dev/shm" },
  runUids: {
    env: 'RUNBOX_RUN_UIDS',
    schema: z
      .string()
      .regex(/^\d+-\d+$/, 'must be MIN-MAX')
      .transform((s) => {
        const [min, max] = s.split('-').map(Number) as [number, number];
        return { min, max };
      })
      .refine((r) => r.min >= 1000 && r.max >= r.min + 1000 && r.max < 2 ** 31, 'must be a range of at least 1000 uids from 1000 up'),
    default: '700000000-799999999',
    doc: 'uids (and gids) run users take, in turn; apart from the ones useradd hands out and from subordinate uids (subuid)',
  },
  uidSlicesDir: {
    env: 'RUNBOX_UID_SLICES_DIR',
    schema: z.string().startsWith('/'),
    default: '/var/lib/runbox/uid-slices',
    doc: 'Directory every runbox server on one kernel shares (compose: the data volume): each locks its own slice of RUNBOX_RUN_UIDS there',
  },
  homeRoot: { env: 'RUNBOX_HOME_ROOT', schema: z.string().startsWith('/'), default: '/home', doc: 'Where run users get their homes' },
  jail: {
    env: 'RUNBOX_JAIL',
    schema: z.enum(['template', 'bubblewrap']),
    default: 'template',
    doc: 'How jails are made: `template`, runbox-jail builds the allowlisted root once and forks each jail from it (docs/jail-launcher.md), falling back to bubblewrap where this kernel refuses a step; or `bubblewrap` launched per jail',
  },
  stateDir: { env: 'RUNBOX_STATE_DIR', schema: z.string().startsWith('/'), default: '/run/runbox', doc: 'Root-only directory for per-run sandbox files' },
  cacheDir: { env: 'RUNBOX_CACHE_DIR', schema: z.string().startsWith('/'), default: '/var/cache/runbox', doc: 'Root-only directory of the compile cache' },
  archiveDir: {
    env: 'RUNBOX_ARCHIVE_DIR',
    schema: z.string().startsWith('/'),
    default: '/var/lib/runbox/archives',
    doc: 'World-readable directory of compiler startup archives (javac class-data sharing)',
  },
  compileCacheMb: {
    env: 'RUNBOX_COMPILE_CACHE_MB',
    schema: z.coerce.number().int().min(0),
    default: '256',
    doc: 'Disk budget of the compile cache (least recently used out first); 0 turns it off',
  },
  corsOrigins: {
    env: 'RUNBOX_CORS_ORIGINS',
    schema: z.string().transform((s) => s.split(',').map((o) => o.trim()).filter(Boolean)),
    default: '',
    doc: 'Comma-separated browser origins allowed to call the API from another host (a playground deployed apart)',
  },
  allowNetwork: { env: 'RUNBOX_ALLOW_NETWORK', schema: bool, default: 'false', doc: 'Let runs use the host network (off: own namespace, no interfaces up)' },
  cgroup: {
    env: 'RUNBOX_CGROUP',
    schema: z.enum(['auto', 'v1', 'v2', 'none']),
    default: 'auto',
    doc: 'cgroup mode for memory/pids/CPU accounting; auto detects v2, then v1',
  },
  spareCgroups: {
    env: 'RUNBOX_SPARE_CGROUPS',
    schema: z.coerce.number().int().min(0).max(256),
    default: '16',
    doc: "Ended phases' cgroups kept, reset, for the next phases instead of made and removed each time (only those left nearly empty; v2 needs kernel 6.12+ to reset the memory peak); 0 makes a fresh one per phase",
  },
  hiddenPaths: {
    env: 'RUNBOX_HIDDEN_PATHS',
    schema: z.string().transform((s) => s.split(':').filter(Boolean)),
    default: appRoot,
    doc: 'Colon-separated paths a run sees as empty (default: the app itself)',
  },
  requiredLayers: {
    env: 'RUNBOX_REQUIRED_LAYERS',
    schema: z
      .string()
      .transform((s) => s.split(',').map((p) => p.trim()).filter(Boolean))
      .pipe(z.array(z.enum(ISOLATION_LAYERS))),
    default: 'seccomp,userNamespacesBlocked,allowlistRoot',
    doc: `Isolation the server refuses to start without, probed in a real jail (any of ${ISOLATION_LAYERS.join(', ')})`,
  },
  nativeDir: {
    env: 'RUNBOX_NATIVE_DIR',
    schema: z.string().startsWith('/'),
    default: path.join(appRoot, 'backend/native/build'),
    doc: 'Where scripts/build-native.sh put the jail launcher and the syscall filter exporter',
  },
  sandboxPath: {
    env: 'RUNBOX_SANDBOX_PATH',
    schema: z.string().min(1),
    default: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    doc: 'PATH inside runs; toolchains are looked up here',
  },
  languagesDir: {
    env: 'RUNBOX_LANGUAGES_DIR',
    schema: z.string().startsWith('/'),
    default: path.join(appRoot, 'backend/languages'),
    doc: 'Directory of the language entries (<id>.json, docs/languages.md); a bad entry stops the server',
  },
  extraPackages: {
    env: 'RUNBOX_EXTRA_PACKAGES',
    schema: packageLists,
    default: '',
    doc: 'Packages installed beyond a language entry\'s own list, to check and list in /api/languages (e.g. "python:requests scipy")',
  },
  dataDir: {
    env: 'RUNBOX_DATA_DIR',
    schema: z.string().startsWith('/'),
    default: '/var/lib/runbox/data',
    doc: 'Root-only directory of the SQLite database (snippets, history, problems); back it up',
  },
  databaseUrl: {
    env: 'DATABASE_URL',
    schema: z.string().regex(/^(postgres|postgresql):\/\//, 'must be a postgres:// URL'),
    default: '',
    doc: 'PostgreSQL instead of SQLite, for several API replicas: postgres://user:password@host:5432/db',
    optional: true,
  },
  adminKey: {
    env: 'RUNBOX_ADMIN_KEY',
    schema: z.string().min(16, 'must be at least 16 characters'),
    default: '',
    doc: 'Bearer key for creating, editing and deleting judge problems and API keys; empty turns the admin API off',
    optional: true,
  },
  anonymous: {
    env: 'RUNBOX_ANONYMOUS',
    schema: bool,
    default: 'true',
    doc: 'Requests without an API key are let in, under the RUNBOX_ANON_* quotas per client address (false: every request but /api/health needs a key, else 401)',
  },
  anonRunsPerMinute: {
    env: 'RUNBOX_ANON_RUNS_PER_MINUTE',
    schema: z.coerce.number().int().min(0),
    default: '60',
    doc: 'Runs an anonymous client address may start per minute (0: no limit)',
  },
  anonConcurrentRuns: {
    env: 'RUNBOX_ANON_CONCURRENT_RUNS',
    schema: z.coerce.number().int().min(0),
    default: '4',
    doc: 'Runs an anonymous client address may have in flight at once, live runs included (0: no limit)',
  },
  anonRunsPerDay: {
    env: 'RUNBOX_ANON_RUNS_PER_DAY',
    schema: z.coerce.number().int().min(0),
    default: '0',
    doc: 'Runs an anonymous client address may start per UTC day (0: no limit)',
  },
  runLeaseMs: {
    env: 'RUNBOX_RUN_LEASE_MS',
    schema: z.coerce.number().int().min(1000),
    default: '30000',
    doc: "A run's hold on its caller's concurrency quota, renewed while it runs: how long a crashed replica's runs go on counting",
  },
  publicUrl: {
    env: 'RUNBOX_PUBLIC_URL',
    schema: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).transform((u) => u.replace(/\/+$/, '')),
    default: '',
    doc: 'Origin of the playground in share links (e.g. https://runbox.example.com); empty: the host the request came to',
    optional: true,
  },
  historyMax: { env: 'RUNBOX_HISTORY_MAX', schema: positiveInt, default: '100', doc: "Submissions kept per visitor (oldest dropped first)" },
  historyDays: { env: 'RUNBOX_HISTORY_DAYS', schema: positiveInt, default: '30', doc: 'Days a submission is kept in history' },
  snippetKeepDays: {
    env: 'RUNBOX_SNIPPET_KEEP_DAYS',
    schema: z.coerce.number().int().min(0),
    default: '365',
    doc: 'Days a shared snippet (a share link) is kept after it was saved; 0 keeps them for ever. Saving one counts as a run of the caller\'s rate and daily quotas',
  },
  trustProxy: {
    env: 'RUNBOX_TRUST_PROXY',
    schema: z
      .string()
      .transform((s) => s.split(',').map((p) => p.trim()).filter(Boolean))
      .refine(
        (parts) => parts.length > 0 && parts.every((p) => ['loopback', 'linklocal', 'uniquelocal'].includes(p) || /^[0-9a-f.:]+(\/\d{1,3})?$/i.test(p) && /[.:]/.test(p)),
        'must be a comma-separated list of loopback, linklocal, uniquelocal or IP addresses/CIDRs',
      ),
    default: 'loopback',
    doc: "Proxies whose X-Forwarded-* headers are believed (share links' scheme and host, the client address anonymous quotas count by); compose sets loopback,uniquelocal",
  },
  submissionBatchMax: { env: 'RUNBOX_SUBMISSION_BATCH_MAX', schema: positiveInt, default: '20', doc: 'Submissions one POST /api/submissions/batch may carry (and ids one GET /api/submissions may ask for)' },
  submissionQueueMax: {
    env: 'RUNBOX_SUBMISSION_QUEUE_MAX',
    schema: positiveInt,
    default: '1000',
    doc: 'Asynchronous submissions waiting in the store before new ones get 503',
  },
  submissionWaitMs: {
    env: 'RUNBOX_SUBMISSION_WAIT_MS',
    schema: positiveInt,
    default: '30000',
    doc: 'Longest a ?wait=true holds before it answers: GET /api/submissions/:id (the current state then), POST /api/submissions (202 with the id then)',
  },
  submissionKeepSeconds: {
    env: 'RUNBOX_SUBMISSION_KEEP_SECONDS',
    schema: positiveInt,
    default: '86400',
    doc: 'Seconds a finished asynchronous submission (code, input, result) is kept before it is deleted',
  },
  submissionLeaseMs: {
    env: 'RUNBOX_SUBMISSION_LEASE_MS',
    schema: z.coerce.number().int().min(1000),
    default: '30000',
    doc: "How long a server's claim on a submission (or a callback) lasts without its heartbeat; then another server takes it over",
  },
  callbackSecret: {
    env: 'RUNBOX_CALLBACK_SECRET',
    schema: z.string().min(16, 'must be at least 16 characters'),
    default: '',
    doc: 'Key of the HMAC-SHA256 signature on callbacks of anonymous submissions (API keys sign with their own secret); empty turns those callbacks off',
    optional: true,
  },
  callbackAllow: {
    env: 'RUNBOX_CALLBACK_ALLOW',
    schema: z
      .string()
      .transform((s) => s.split(',').map((p) => p.trim().toLowerCase()).filter(Boolean))
      .refine((parts) => parts.every((p) => /^[0-9a-f.:]+(\/\d{1,3})?$/.test(p) || /^[a-z0-9.-]+$/.test(p)), 'must be a comma-separated list of IP addresses, CIDRs or host names'),
    default: '',
    doc: 'Callback targets allowed although private, loopback or link-local: comma-separated IPs, CIDRs or host names',
  },
  callbackAttempts: {
    env: 'RUNBOX_CALLBACK_ATTEMPTS',
    schema: positiveInt,
    default: '18',
    doc: 'Tries to deliver a callback before it is given up: 1 s, 2 s, 4 s, ... apart up to RUNBOX_CALLBACK_BACKOFF_CAP_SECONDS, each wait 0-20 % shorter at random (the default 18 covers more than an hour)',
  },
  callbackBackoffCapSeconds: {
    env: 'RUNBOX_CALLBACK_BACKOFF_CAP_SECONDS',
    schema: positiveInt,
    default: '600',
    doc: 'Longest wait between two tries of a callback',
  },
  callbackSecretOverlapSeconds: {
    env: 'RUNBOX_CALLBACK_SECRET_OVERLAP_SECONDS',
    schema: z.coerce.number().int().min(0),
    default: '86400',
    doc: "After a key's callback secret is rotated, how long the previous one still signs beside the new one (a second signature)",
  },
  metricsNetworks: {
    env: 'RUNBOX_METRICS_NETWORKS',
    schema: z
      .string()
      .transform((s) => s.split(',').map((p) => p.trim()).filter(Boolean))
      .refine((parts) => parts.every((p) => isCidr(p)), 'must be a comma-separated list of IP addresses or CIDRs (10.0.0.0/8, fd00::/8)'),
    default: '127.0.0.0/8,::1',
    doc: 'Networks (CIDRs) whose direct connections may read GET /metrics (default: loopback); compose adds its monitoring network',
  },
  metricsToken: {
    env: 'RUNBOX_METRICS_TOKEN',
    schema: z.string().min(16, 'must be at least 16 characters'),
    default: '',
    doc: 'Bearer token that may read GET /metrics from any address (at least 16 characters); empty: none',
    optional: true,
  },
  shutdownGraceMs: {
    env: 'RUNBOX_SHUTDOWN_GRACE_MS',
    schema: z.coerce.number().int().min(0),
    default: '30000',
    doc: 'On SIGTERM: how long running work may finish before it is killed',
  },
} as const;

type Entries = typeof entries;
export type Config = { [K in keyof Entries]: z.output<Entries[K]['schema']> };


export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const out: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(entries)) {
    // an empty variable (as compose passes `VAR: ${VAR:-}`) means "use the default"
    const raw = env[entry.env] || entry.default;
    // optional settings are off when empty; their schema checks only a given value
    if (raw === '' && 'optional' in entry) {
      out[key] = '';
      continue;
    }
    const parsed = entry.schema.safeParse(raw);
    if (!parsed.success) {
      throw new ConfigError(`${entry.env}=${JSON.stringify(raw)} is invalid: ${parsed.error.issues[0]?.message ?? 'bad value'}`);
    }
    out[key] = parsed.data;
  }
  return Object.freeze(out) as Config;
}

/** The table README documents, generated from the same entries. */
export function configTable(): { env: string; default: string; doc: string }[] {
  return Object.values(entries).map((e) => ({ env: e.env, default: e.default, doc: e.doc }));
}
