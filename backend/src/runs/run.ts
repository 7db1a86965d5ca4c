import type { Readable } from 'node:stream';
import { v4 as uuidv4 } from 'uuid';
import type { Config } from '../config.js';
import type { PreparedBuildCache } from '../languages/build-caches.js';
import type { LanguageSpec } from '../languages/registry.js';
import type { Logger } from '../log.js';
import type { CompileResult, ExecuteResponse, RunStatus } from '../protocol.js';
import type { CgroupDriver } from '../sandbox/cgroups.js';
import { Jail, type JailIsolation, type JailLimits, type JailResult, type JailSetup } from '../sandbox/jail.js';
import { HomeRelativeOutput, withoutHome, type OutputChunk } from '../sandbox/output.js';
import { killAllOfUid } from '../sandbox/proc.js';
import type { RunUserPool } from '../sandbox/user-pool.js';
import { collectArtifacts, compileCacheKey, type CachedBuild, type CompileCache } from './compile-cache.js';
import { compiledSources, programBytes, type AnyProgram } from './program.js';
import type { RunUser } from '../sandbox/users.js';
import { TerminalInput } from '../sandbox/terminal-input.js';
import { copyWorkspaceFile, copyWorkspaceTree, makeWorkspaceDir, readWorkspaceFiles, removeWorkspaceFile, writeWorkspaceFile } from '../sandbox/workspace.js';
import { cleanupFailed, compileCacheLookup, runFinished } from '../observability/metrics.js';

/**
 * One run, start to end, in the order it happens:
 *   take a fresh user -> write files -> compile -> run -> kill all, delete user.
 * Every step is a function below; the sandbox modules do the work.
 */

export interface RunLimits {
  timeMs: number;
  cpuTimeMs: number;
  memoryMb: number;
  processes: number;
  outputKb: number;
}

/** The compile phase's limits, when a request asks for less than the server's (Piston's compile_timeout and the like). */
export interface CompileLimits {
  timeMs: number;
  cpuTimeMs: number;
  memoryMb: number;
}

export interface RunRequest {
  language: LanguageSpec;
  program: AnyProgram;
  /**
   * Input given in advance (text or bytes), or a stream fed while the program runs (a live
   * run), or a terminal's input (a live run on a pseudo-terminal; the compile keeps pipes).
   */
  stdin: string | Buffer | Readable | TerminalInput;
  args: readonly string[];
  limits: RunLimits;
  /** Lower compile limits than the server's; each missing one is the server's. */
  compileLimits?: Partial<CompileLimits>;
  /** The build of this same code from an earlier run (a judge's first test): not compiled again. */
  build?: CachedBuild;
  /**
   * Files the program reads when it runs, not part of its build (an output validator's test
   * input and answer): written after the compile, never in the compile cache's key, so the
   * same validator compiles once for every test.
   */
  dataFiles?: readonly { name: string; content: string | Buffer }[];
  /**
   * A directory made in the home before the program runs (a validator's feedback
   * directory); its regular files come back through `hooks.onCollected` once it ended.
   */
  collectDir?: string;
}

export interface RunEnvironment {
  config: Config;
  users: RunUserPool;
  compileCache: CompileCache | null;
  /** Compiler startup archives by language id. */
  compilerArchives: Readonly<Record<string, string | null>>;
  /** Prepared compiler caches by language id (build-caches.ts): each compile starts from a copy. */
  buildCaches?: Readonly<Record<string, PreparedBuildCache | null>>;
  /** Toolchain banners by language id: part of the compile cache key. */
  toolchains: Readonly<Record<string, string | null>>;
  cgroups: CgroupDriver | null;
  isolation: JailIsolation;
  logger: Logger;
}

export interface RunHooks {
  /** The run has its id and its user; compiling or running comes next. */
  onStarted?: (id: string) => void;
  /** The compile's result (compiled languages), before the program runs. */
  onCompiled?: (compile: CompileResult) => void;
  /** Program output as it arrives (the run phase only). */
  onOutput?: (chunk: OutputChunk) => void;
  /** The same output's bytes, up to the cap: what UTF-8 decoding lost (binary output) is there. */
  onOutputBytes?: (stream: OutputChunk['stream'], data: Buffer) => void;
  /** A successful compile's artifacts, for runs of the same code that follow (`build`). */
  onBuilt?: (build: CachedBuild) => void;
  /** The files the program left in `collectDir` (each cut at COLLECTED_FILE_BYTES), before the home is deleted. */
  onCollected?: (files: Record<string, string>) => void;
  /** Aborting kills the run: with a RunStop as the reason the run ends with its status, else as internal_error. */
  signal?: AbortSignal;
}

/** Why a run was stopped from outside, given as its signal's abort reason. */
export class RunStop extends Error {
  constructor(
    readonly status: Extract<RunStatus, 'timeout' | 'killed'>,
    message: string,
  ) {
    super(message);
  }
}

/** The status of a run its signal stopped: what the RunStop says, else the server's own failure. */
function stoppedStatus(signal: AbortSignal | undefined): RunStatus {
  return signal?.reason instanceof RunStop ? signal.reason.status : 'internal_error';
}

const MB = 1024 * 1024;
/** The most read of each file a run leaves in its `collectDir`: feedback is a message, not data. */
export const COLLECTED_FILE_BYTES = 64 * 1024;

export interface RunOutcome {
  result: ExecuteResponse;
  /** Resolves once no process of the run is left: its jails are gone, its uid has none. */
  killed: Promise<void>;
  /** Resolves once the run's home is unmounted and its user deleted as well. */
  cleanedUp: Promise<void>;
}

/**
 * The result is handed back as soon as the program has ended. Killing what is left and
 * deleting the user (a batched removal in the accounts helper) go on after it, off the
 * caller's latency.
 */
export async function executeRun(req: RunRequest, env: RunEnvironment, hooks: RunHooks = {}): Promise<RunOutcome> {
  let id = uuidv4(); // until a user comes with the run id it was named after
  let userCreateMs = 0;
  let user: RunUser | null = null;
  const jails: Promise<Jail>[] = []; // every jail built for this run, to discard at the end
  let result: ExecuteResponse;
  try {
    const started = performance.now();
    const fresh = await env.users.take();
    ({ runId: id, user } = fresh);
    userCreateMs = Math.round(performance.now() - started);
    hooks.onStarted?.(id);
    const firstJail = fresh.jail ? Promise.resolve(fresh.jail) : Jail.prepare(jailSetup(user, 1, env));
    jails.push(firstJail);
    firstJail.catch(() => undefined); // awaited below or discarded in cleanup; never unhandled
    for (const f of req.program.files) writeWorkspaceFile(user, f.name, f.content);
    for (const dir of req.language.writableDirs) makeWorkspaceDir(user, dir);
    const built = req.language.compile ? await buildProgram(user, firstJail, jails, req, env, hooks) : { compile: null, jail: firstJail };
    if (built.compile) hooks.onCompiled?.(built.compile);
    if (hooks.signal?.aborted) result = notRun(id, req, stoppedStatus(hooks.signal), built.compile);
    else if (built.compile && built.compile.status !== 'ok') result = compileFailed(id, req, built.compile);
    else {
      for (const f of req.dataFiles ?? []) writeWorkspaceFile(user, f.name, f.content);
      if (req.collectDir) makeWorkspaceDir(user, req.collectDir);
      result = await runPhase(id, user, await built.jail, req, env, hooks, built.compile);
      if (req.collectDir) hooks.onCollected?.(readWorkspaceFiles(user, req.collectDir, COLLECTED_FILE_BYTES));
    }
  } catch (err) {
    env.logger.error('run failed inside the server', { id, language: req.language.id, error: (err as Error).message });
    result = internalError(id, req);
  }
  const finalResult = result;
  runFinished(finalResult);
  const owner = user;
  const started = performance.now();
  const killed = owner ? killEverything(id, owner, jails, env) : Promise.resolve();
  void killed.then(() => env.users.replenish());
  const cleanedUp = (async () => {
    await killed;
    if (owner) await deleteUser(id, owner, env);
    logRun(env.logger, finalResult, req, { userCreateMs, userDeleteMs: Math.round(performance.now() - started) });
  })();
  return { result: finalResult, killed, cleanedUp };
}

/**
 * Compiles, or restores the build of identical code from the cache. Returns the compile
 * result and the jail the program should run in. Source the language rejects up front
 * (`sourceError`) is a compile error without a compile, and nothing of it is cached.
 */
async function buildProgram(
  user: RunUser,
  firstJail: Promise<Jail>,
  jails: Promise<Jail>[],
  req: RunRequest,
  env: RunEnvironment,
  hooks: RunHooks,
): Promise<{ compile: CompileResult; jail: Promise<Jail> }> {
  const { program, language } = req;
  const found = language.sourceError?.(program.entry.content);
  // of several files, the rule read the entry file only: say which one that was
  const sourceError = found && program.files.length > 1 ? `${program.entry.name} (the entry file): ${found}` : found;
  if (sourceError) return { compile: { status: 'compile_error', output: `${sourceError}\n`, exitCode: null, timeMs: 0, cached: false }, jail: firstJail };
  const limits = compileLimits(req, env.config);
  const command = language.compile!({
    file: program.entry.name,
    code: program.entry.content,
    sources: compiledSources(language, program),
    memoryMb: limits.memoryMb,
    compilerArchive: env.compilerArchives[language.id],
  });
  const cache = env.compileCache;
  // every file is part of the key: a header or a data file the compiler reads changes the build
  const key = cache && compileCacheKey({ language: language.id, toolchain: env.toolchains[language.id] ?? null, command, files: program.files });
  const stored = !req.build && key ? await cache!.get(key) : null;
  const cached = req.build ?? stored;
  if (key) compileCacheLookup(req.language.id, cached !== null);
  if (cached) {
    const given = new Set(program.files.map((f) => f.name));
    try {
      for (const a of cached.artifacts) {
        if (given.has(a.name)) removeWorkspaceFile(user, a.name); // the compile overwrote it
        if ('file' in a) copyWorkspaceFile(user, a.name, a.file, a.mode);
        else writeWorkspaceFile(user, a.name, a.data, a.mode);
      }
    } finally {
      stored?.release();
    }
    return { compile: { ...cached.compile, cached: true }, jail: firstJail };
  }
  // the run's jail is built while the compiler works
  const runJail = Jail.prepare(jailSetup(user, 2, env));
  jails.push(runJail);
  runJail.catch(() => undefined); // awaited by the caller or discarded in cleanup
  const prepared = env.buildCaches?.[language.id];
  if (prepared) copyWorkspaceTree(user, prepared.dir, prepared.source, prepared);
  const compile = await compilePhase(await firstJail, command, user.home, language.env(user.home), limits, env, hooks);
  if (compile.status === 'ok' && (key || hooks.onBuilt)) {
    // taken before the program runs: what the run does to its home never reaches the cache
    // a language's per-run caches (writableDirs) are the compiler's, not the build's
    const artifacts = await collectArtifacts(user.home, program.files, env.config.workspaceMb * MB, language.writableDirs);
    if (artifacts && key) void cache!.put(key, { artifacts, compile });
    if (artifacts) hooks.onBuilt?.({ artifacts, compile });
  }
  return { compile, jail: runJail };
}

function programEnv(user: RunUser, config: Config): Record<string, string> {
  return {
    PATH: config.sandboxPath,
    HOME: user.home,
    USER: user.name,
    LOGNAME: user.name,
    LANG: 'C.UTF-8',
    TMPDIR: '/tmp',
  };
}

/** Phase 1 is the compile (or the only) phase, phase 2 the run after a compile. */
export function jailSetup(user: RunUser, phase: 1 | 2, env: Pick<RunEnvironment, 'config' | 'cgroups' | 'isolation'>): JailSetup {
  return {
    user,
    env: programEnv(user, env.config),
    isolation: env.isolation,
    cgroups: env.cgroups,
    phaseName: `${user.name}-${phase}`,
    tmpBytes: env.config.tmpMb * MB,
  };
}

function jailLimits(
  env: Pick<RunEnvironment, 'config' | 'cgroups'>,
  phase: { wallMs: number; cpuMs: number; memoryMb: number; processes: number; outputKb: number },
): JailLimits {
  const { config } = env;
  return {
    wallMs: phase.wallMs,
    cpuMs: phase.cpuMs,
    memoryBytes: phase.memoryMb * MB,
    processes: phase.processes,
    openFiles: config.openFiles,
    fileSizeBytes: config.fileSizeMb * MB,
    outputBytes: phase.outputKb * 1024,
  };
}

function compileLimits(req: RunRequest, config: Config): CompileLimits {
  const asked = req.compileLimits ?? {};
  return {
    timeMs: Math.min(asked.timeMs ?? config.compileTimeMs, config.compileTimeMs),
    cpuTimeMs: Math.min(asked.cpuTimeMs ?? config.compileTimeMs, config.compileTimeMs),
    memoryMb: Math.min(asked.memoryMb ?? config.compileMemoryMb, config.compileMemoryMb),
  };
}

/**
 * `languageEnv` (Go's caches in the home, say) goes to the launcher with the command: the
 * jail's own environment is fixed before the language is known (pooled users come with a
 * jail ready), and the compile cache key stays free of the home. The compiler's messages
 * name the files as the user did (withoutHome), so a cached build's messages fit any run.
 */
async function compilePhase(jail: Jail, command: string[], home: string, languageEnv: Record<string, string>, limits: CompileLimits, env: RunEnvironment, hooks: RunHooks): Promise<CompileResult> {
  const { config } = env;
  const result = await jail.run({
    command,
    env: languageEnv,
    stdin: '',
    limits: jailLimits(env, {
      wallMs: limits.timeMs,
      cpuMs: limits.cpuTimeMs,
      memoryMb: limits.memoryMb,
      processes: config.compileProcesses,
      outputKb: config.outputKb,
    }),
    signal: hooks.signal,
  });
  return {
    status: compileStatus(result),
    output: withoutHome(result.output, home),
    exitCode: result.exitCode,
    timeMs: result.wallMs,
    cached: false,
  };
}

async function runPhase(
  id: string,
  user: RunUser,
  jail: Jail,
  req: RunRequest,
  env: RunEnvironment,
  hooks: RunHooks,
  compile: CompileResult | null,
): Promise<ExecuteResponse> {
  const { limits, program, language } = req;
  const context = { file: program.entry.name, code: program.entry.content, sources: compiledSources(language, program), memoryMb: limits.memoryMb };
  // traces name the user's files as they did (main.py, not <home>/main.py): in stderr, and in
  // the one stream of a terminal; a program's stdout through a pipe is its data, left as written
  const shown = new HomeRelativeOutput(user.home, new Set(req.stdin instanceof TerminalInput ? ['stdout', 'stderr'] : ['stderr']), hooks.onOutput);
  let result: JailResult;
  try {
    result = await jail.run({
      command: [...language.run(context), ...req.args],
      env: language.env(user.home),
      stdin: req.stdin,
      limits: jailLimits(env, { wallMs: limits.timeMs, cpuMs: limits.cpuTimeMs, memoryMb: limits.memoryMb, processes: limits.processes, outputKb: limits.outputKb }),
      onOutput: shown.push,
      // base64 answers carry the bytes exactly as the program wrote them
      onOutputBytes: hooks.onOutputBytes,
      signal: hooks.signal,
    });
  } finally {
    shown.release();
  }
  const { processLimitHit } = result;
  const status = runStatus(result, req, processLimitHit, hooks.signal);
  const timeLimit = status === 'timeout' ? timeLimitHit(result, req.limits.cpuTimeMs) : undefined;
  return {
    id,
    language: req.language.id,
    status,
    output: shown.output,
    stdout: shown.stdout,
    stderr: shown.stderr,
    exitCode: result.exitCode,
    signal: result.signal,
    timeMs: result.wallMs,
    cpuTimeMs: result.cpuMs,
    memoryKb: result.memoryKb,
    truncated: result.truncated,
    processLimitHit,
    processLimit: limits.processes,
    ...(timeLimit ? { timeLimit, timeLimitMs: timeLimit === 'cpu' ? limits.cpuTimeMs : limits.timeMs } : {}),
    compile,
  };
}

/**
 * Which time limit ended a run, if one did: the wall clock, or the CPU of the whole run (the
 * cgroup's watchdog), or RLIMIT_CPU, the backstop (its SIGXCPU, or the SIGKILL of its hard
 * limit one second later), which is all there is without a cgroup.
 */
function timeLimitHit(r: JailResult, cpuLimitMs: number): 'wall' | 'cpu' | undefined {
  if (r.end === 'timeout') return 'wall';
  if (r.end === 'cpu_limit' || r.signal === 'SIGXCPU') return 'cpu';
  if (r.signal === 'SIGKILL' && r.cpuMs !== null && r.cpuMs >= cpuLimitMs) return 'cpu';
  return undefined;
}

function runStatus(r: JailResult, req: RunRequest, processLimitHit: boolean, signal: AbortSignal | undefined): RunStatus {
  if (r.end === 'aborted') return stoppedStatus(signal);
  if (r.end === 'output_limit') return 'output_limit';
  if (timeLimitHit(r, req.limits.cpuTimeMs)) return 'timeout';
  if (r.oomKilled) return 'memory_limit';
  if (r.exitCode === 0) return 'ok';
  // the JVM reports a refused thread as an OutOfMemoryError ("unable to create native thread")
  if (!processLimitHit && req.language.outOfMemory?.test(r.stderr)) return 'memory_limit';
  return 'runtime_error';
}

function compileStatus(r: JailResult): CompileResult['status'] {
  if (r.end === 'output_limit') return 'output_limit';
  if (r.end === 'timeout' || r.end === 'cpu_limit' || r.signal === 'SIGXCPU') return 'timeout';
  if (r.oomKilled) return 'memory_limit';
  return r.exitCode === 0 && r.end === 'exit' ? 'ok' : 'compile_error';
}

/** A result for a run whose program never ran. */
function notRun(id: string, req: RunRequest, status: RunStatus, compile: CompileResult | null): ExecuteResponse {
  // on a failed compile the compiler's message is what a client reading only `output` needs
  const message = compile?.output ?? '';
  return {
    id,
    language: req.language.id,
    status,
    output: message,
    stdout: '',
    stderr: message,
    exitCode: null,
    signal: null,
    timeMs: 0,
    cpuTimeMs: null,
    memoryKb: null,
    truncated: false,
    processLimitHit: false,
    processLimit: req.limits.processes,
    compile,
  };
}

const compileFailed = (id: string, req: RunRequest, compile: CompileResult) => notRun(id, req, 'compile_error', compile);
const internalError = (id: string, req: RunRequest) => notRun(id, req, 'internal_error', null);

/**
 * Discards the run's jails (a failed compile leaves the run's unused). Removing a jail's
 * cgroup succeeds only once no process is left in it, and every process of the run lives
 * in one (joined before bubblewrap starts), so no /proc walk is needed; without cgroups,
 * the uid's processes are hunted in /proc.
 */
async function killEverything(id: string, user: RunUser, jails: Promise<Jail>[], env: RunEnvironment): Promise<void> {
  try {
    for (const settled of await Promise.allSettled(jails)) if (settled.status === 'fulfilled') await settled.value.discard();
    if (!env.cgroups) await killAllOfUid(user.uid);
  } catch (err) {
    cleanupFailed('kill');
    env.logger.error('cleanup failed', { id, user: user.name, error: (err as Error).message });
  }
}

async function deleteUser(id: string, user: RunUser, env: RunEnvironment): Promise<void> {
  try {
    await env.users.retire(user);
  } catch (err) {
    cleanupFailed('user');
    env.logger.error('cleanup failed', { id, user: user.name, error: (err as Error).message });
  }
}

function logRun(logger: Logger, r: ExecuteResponse, req: RunRequest, timings: { userCreateMs: number; userDeleteMs: number }): void {
  // never the code or stdin: only their sizes
  logger.info('run', {
    id: r.id,
    language: r.language,
    status: r.status,
    exitCode: r.exitCode,
    signal: r.signal,
    timeMs: r.timeMs,
    cpuTimeMs: r.cpuTimeMs,
    memoryKb: r.memoryKb,
    compileMs: r.compile?.timeMs ?? null,
    compileCached: r.compile?.cached ?? null,
    files: req.program.files.length,
    codeBytes: programBytes(req.program),
    stdinBytes: typeof req.stdin === 'string' || Buffer.isBuffer(req.stdin) ? Buffer.byteLength(req.stdin) : null,
    terminal: req.stdin instanceof TerminalInput,
    outputBytes: Buffer.byteLength(r.output),
    truncated: r.truncated,
    processLimitHit: r.processLimitHit,
    ...timings,
  });
}
