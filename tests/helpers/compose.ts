import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * The production path as a self-hoster takes it: the repository's docker-compose.yml, built
 * and started on this machine's Docker engine (started here if none runs, and stopped again),
 * with base images made locally where no registry answers. Compose v2 where the machine has
 * it, else v1 (Debian 12's docker-compose): the same file serves both.
 */

const run = promisify(execFile);
const MAX_BUFFER = 64 * 1024 * 1024;

/** `docker compose` (v2) or `docker-compose` (v1), whichever this machine has. */
export function composeCommand(): string[] {
  try {
    execFileSync('docker', ['compose', 'version'], { stdio: 'ignore' });
    return ['docker', 'compose'];
  } catch {
    return ['docker-compose'];
  }
}

export interface EngineHandle {
  /** Stops dockerd if this handle started it. */
  stop(): Promise<void>;
}

/** Installs and starts a Docker engine if needed, and makes the base images (scripts/). */
export async function ensureEngine(): Promise<EngineHandle> {
  const { stdout } = await run('bash', ['scripts/docker-engine.sh'], { maxBuffer: MAX_BUFFER });
  const started = /^started (\d+)$/m.exec(stdout)?.[1];
  await run('bash', ['scripts/docker-base-images.sh'], { maxBuffer: MAX_BUFFER });
  // a TLS-intercepting proxy's CA (this machine's own additions) for the image builds' npm
  const local = '/usr/local/share/ca-certificates';
  for (const name of readdirSafe(local).filter((n) => n.endsWith('.crt'))) copyFileSync(path.join(local, name), path.join('docker/ca-certificates', name));
  return {
    stop: async () => {
      if (started) await run('bash', ['scripts/docker-engine.sh', 'stop', started]);
    },
  };
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export class ComposeProject {
  private readonly command = composeCommand();

  constructor(
    /** compose's project name: containers, networks and volumes are named after it */
    readonly name: string,
    /** variables compose substitutes into the file (ports, keys, profiles' settings) */
    readonly env: Record<string, string>,
    readonly profiles: string[] = [],
  ) {}

  /** Runs a compose subcommand; throws with its output when it fails. */
  async compose(args: string[], timeoutMs = 30 * 60 * 1000): Promise<string> {
    const [file, ...pre] = this.command;
    const profileArgs = this.profiles.flatMap((p) => ['--profile', p]);
    try {
      const { stdout, stderr } = await run(file!, [...pre, '-p', this.name, '-f', 'docker-compose.yml', ...profileArgs, ...args], {
        env: { ...process.env, ...this.env, COMPOSE_PROJECT_NAME: this.name },
        maxBuffer: MAX_BUFFER,
        timeout: timeoutMs,
      });
      return stdout + stderr;
    } catch (err) {
      const e = err as Error & { stdout?: string; stderr?: string };
      throw new Error(`compose ${args.join(' ')} failed: ${e.message}\n${(e.stdout ?? '').slice(-4000)}\n${(e.stderr ?? '').slice(-4000)}`);
    }
  }

  /** Container ids of a service (running or not, with `all`). */
  async containers(service: string, all = false): Promise<string[]> {
    const { stdout } = await run('docker', ['ps', ...(all ? ['-a'] : []), '-q', '--no-trunc', '--filter', `label=com.docker.compose.project=${this.name}`, '--filter', `label=com.docker.compose.service=${service}`]);
    return stdout.split('\n').filter(Boolean);
  }

  /** Everything docker still has of this project: containers, volumes, networks. */
  async remains(): Promise<string[]> {
    const label = `label=com.docker.compose.project=${this.name}`;
    const lists = await Promise.all([
      run('docker', ['ps', '-a', '-q', '--filter', label]),
      run('docker', ['volume', 'ls', '-q', '--filter', label]),
      run('docker', ['network', 'ls', '-q', '--filter', label]),
    ]);
    return lists.flatMap((l, i) => l.stdout.split('\n').filter(Boolean).map((id) => `${['container', 'volume', 'network'][i]} ${id}`));
  }

  /** The CA nginx generated on its first start (what README tells a client to trust). */
  generatedCa(timeoutMs = 2 * 60_000): Promise<string> {
    return waitFor('the generated CA', () => this.compose(['exec', '-T', 'nginx', 'cat', '/etc/runbox/tls/ca.crt']).then((t) => t.includes('BEGIN CERTIFICATE') && t), timeoutMs);
  }

  /** `down -v --remove-orphans`: the project and its volumes are gone. */
  async destroy(): Promise<void> {
    await this.compose(['down', '-v', '--remove-orphans', '-t', '10']);
  }
}

export async function dockerLogs(container: string): Promise<string> {
  const { stdout, stderr } = await run('docker', ['logs', container], { maxBuffer: MAX_BUFFER });
  return stdout + stderr;
}

/** Polls until `probe` resolves truthy, or throws with the last error after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs: number, everyMs = 1000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
