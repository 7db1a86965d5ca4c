import { accessSync, chmodSync, constants, cpSync, lstatSync, mkdirSync, readdirSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The run's `/`, as bubblewrap arguments. It is built from nothing: read-only binds of
 * what the toolchains need, a staged /etc (below) with synthetic passwd, group and hosts, a minimal
 * /dev, /proc of the run's own pid namespace, size-capped /tmp and /dev/shm, and the run's
 * own home. Nothing else of the host exists inside: other homes, /var, /srv, /opt, the
 * app, the database, host sockets and /sys are simply not there.
 *
 * The host paths are found once at start (toolchains resolved from the sandbox PATH);
 * per jail only the home, the account files and the sizes change.
 */

/** Top-level entries the dynamic loader and every toolchain live under (dirs or merged-/usr links). */
const ROOT_ENTRIES = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
/** What of /etc toolchains read: loader cache (glibc, musl), certificates, timezone, Debian's alternatives, JDK and Python config. */
const ETC_ENTRIES = ['alternatives', 'ld.so.cache', 'ld.so.conf', 'ld.so.conf.d', 'ssl', 'ca-certificates', 'localtime', 'nsswitch.conf'];
const ETC_PATTERNS = [/^java-\d+/, /^python3(\.\d+)?$/, /^ld-musl-.*\.path$/];

/**
 * Where each jail's passwd and group are, on the jail's own root: bwrap writes them there
 * from pipes (--file), so a jail costs no file on the host and no bind mount for them.
 */
export const ACCOUNT_FILES = { passwd: '/run/runbox/passwd', group: '/run/runbox/group' } as const;
/** The fds the launcher hands bwrap the account files on (JailSpawn.files, in this order). */
export const ACCOUNT_FDS = { passwd: 6, group: 7 } as const;

/** Where the launcher appears inside every jail. */
export const LAUNCHER_IN_JAIL = '/run/runbox-jail';
/** The fd on which `runbox-jail enter` hands bwrap the syscall filter. */
export const SECCOMP_FD = 5;

/**
 * The jail's /etc: a copy, made once at start, of the /etc entries toolchains read (modes
 * kept, symlinks as they are, only what any user may read), the hosts file, and passwd
 * and group as links to the jail's own (written into each jail by bwrap). One bind
 * instead of one per entry: bubblewrap rereads the mount table after every bind, which
 * made the dozen /etc binds ~0.8 ms of every jail's launch. The price: a change to those
 * host files reaches runs at the next server start.
 */
export function stageEtc(target: string, hosts: string, options: { extraReadOnly?: readonly string[] } = {}): void {
  const source = '/etc';
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  chmodSync(target, 0o755);
  const names = new Set(ETC_ENTRIES);
  for (const name of safeReaddir(source)) if (ETC_PATTERNS.some((re) => re.test(name))) names.add(name);
  // a toolchain's own config under /etc (PHP's /etc/php) is staged with the rest
  for (const extra of options.extraReadOnly ?? []) if (extra !== '/etc' && isInside(extra, '/etc')) names.add(path.relative('/etc', extra));
  for (const name of names) {
    const from = path.join(source, name);
    const k = kind(from);
    if (!k) continue;
    mkdirSync(path.dirname(path.join(target, name)), { recursive: true, mode: 0o755 });
    if (k === 'link') symlinkSync(readlinkSync(from), path.join(target, name));
    else cpSync(from, path.join(target, name), { recursive: true, verbatimSymlinks: true, preserveTimestamps: true, filter: readableByOthers });
  }
  writeFileSync(path.join(target, 'hosts'), hosts, { mode: 0o644 });
  // each jail's own, written by bwrap into the jail's root (jailRootArgs)
  symlinkSync(ACCOUNT_FILES.passwd, path.join(target, 'passwd'));
  symlinkSync(ACCOUNT_FILES.group, path.join(target, 'group'));
}

/** What a run user could not read on the host (/etc/ssl/private, say) is not copied at all. */
function readableByOthers(file: string): boolean {
  const st = lstatSync(file);
  if (st.isSymbolicLink()) return true;
  return (st.mode & (st.isDirectory() ? 0o005 : 0o004)) === (st.isDirectory() ? 0o005 : 0o004);
}

export interface JailRootPlan {
  /** bwrap arguments every jail shares: namespaces and the read-only allowlist. */
  readonly shared: readonly string[];
  /** Host paths bound read-only (for the health report and tests). */
  readonly binds: readonly string[];
}

export interface JailRootOptions {
  /** Commands whose install directories must be visible (resolved through sandboxPath). */
  toolchainCommands: readonly string[];
  sandboxPath: string;
  /** Extra host directories runs read (e.g. compiler startup archives); skipped if absent. */
  extraReadOnly: readonly string[];
  /** Host paths no run may see, even inside an allowlisted tree. */
  hiddenPaths: readonly string[];
  network: boolean;
  /** Host paths: the launcher binary, and the staged /etc (stageEtc). */
  launcher: string;
  etcDir: string;
}

export interface JailRootInstance {
  home: string;
  tmpBytes: number;
}

const isInside = (child: string, parent: string) => child === parent || child.startsWith(parent === '/' ? '/' : `${parent}/`);

function kind(p: string): 'dir' | 'file' | 'link' | null {
  try {
    const st = lstatSync(p);
    return st.isSymbolicLink() ? 'link' : st.isDirectory() ? 'dir' : 'file';
  } catch {
    return null;
  }
}

/** The directory a command is installed in: /opt/node/bin/node -> /opt/node. */
export function installRoot(command: string, sandboxPath: string): string | null {
  for (const dir of sandboxPath.split(':').filter(Boolean)) {
    const candidate = path.join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      const real = realpathSync(candidate);
      const binDir = path.dirname(real);
      return path.basename(binDir) === 'bin' ? path.dirname(binDir) : binDir;
    } catch {
      // not in this PATH entry
    }
  }
  return null;
}

/** bwrap makes missing parents 0700 (0.8): every parent is made 0755 first. */
class Args {
  readonly list: string[] = [];
  private readonly made = new Set<string>(['/']);

  dirs(p: string, perms = '0755'): this {
    for (const dir of ancestorsAndSelf(p)) {
      if (this.made.has(dir)) continue;
      this.made.add(dir);
      this.list.push('--perms', perms, '--dir', dir);
    }
    return this;
  }

  parents(p: string): this {
    return this.dirs(path.dirname(p));
  }

  add(...args: string[]): this {
    this.list.push(...args);
    return this;
  }

  mark(p: string): this {
    this.made.add(p);
    return this;
  }
}

function ancestorsAndSelf(p: string): string[] {
  const out: string[] = [];
  for (let dir = p; dir !== '/'; dir = path.dirname(dir)) out.unshift(dir);
  return out;
}

export function planJailRoot(options: JailRootOptions): JailRootPlan {
  const args = new Args();
  const binds: string[] = [];
  args.add('--die-with-parent', '--new-session', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try', '--hostname', 'runbox');
  // the launcher inside needs only these (hand pipes over, drop to the run user, drop the
  // bounding set, and its supervisor to kill what the run left); nothing else of root's
  args.add('--cap-drop', 'ALL', ...['CAP_CHOWN', 'CAP_SETUID', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_KILL'].flatMap((c) => ['--cap-add', c]));
  if (!options.network) args.add('--unshare-net');

  const bindReadOnly = (p: string) => {
    if (binds.some((b) => isInside(p, b))) return;
    args.parents(p).add('--ro-bind', p, p).mark(p);
    binds.push(p);
  };
  for (const entry of ROOT_ENTRIES) {
    const k = kind(entry);
    if (k === 'link') args.add('--symlink', readlinkSync(entry), entry).mark(entry);
    else if (k === 'dir') bindReadOnly(entry);
  }
  args.add('--ro-bind', options.etcDir, '/etc').mark('/etc');
  for (const command of options.toolchainCommands) {
    const root = installRoot(command, options.sandboxPath);
    if (root && root !== '/') bindReadOnly(root);
  }
  // those under /etc are in the staged /etc already
  for (const dir of options.extraReadOnly) if (!isInside(dir, '/etc') && kind(dir) === 'dir') bindReadOnly(dir);
  // a hidden path inside an allowlisted tree (an app installed under /usr/local, say) is covered
  for (const hidden of options.hiddenPaths) {
    if (hidden !== '/' && binds.some((b) => isInside(hidden, b) && hidden !== b) && kind(hidden) === 'dir') {
      args.add('--perms', '0000', '--size', '4096', '--tmpfs', hidden, '--remount-ro', hidden);
    }
  }
  args.add('--dev', '/dev', '--proc', '/proc').mark('/dev').mark('/proc');
  args.dirs('/run').add('--ro-bind', options.launcher, LAUNCHER_IN_JAIL);
  args.add('--seccomp', String(SECCOMP_FD));
  return { shared: args.list, binds };
}

/** The arguments for one jail: sized scratch space, its account files (fds 6 and 7), its home; then the launcher. */
export function jailRootArgs(plan: JailRootPlan, jail: JailRootInstance): string[] {
  const args = new Args();
  for (const made of ['/etc', '/run', '/dev', '/proc']) args.mark(made);
  args.add(...plan.shared);
  args.add('--perms', '1777', '--size', String(jail.tmpBytes), '--tmpfs', '/tmp');
  args.add('--perms', '1777', '--size', String(jail.tmpBytes), '--tmpfs', '/dev/shm');
  args.dirs(path.dirname(ACCOUNT_FILES.passwd));
  args.add('--perms', '0444', '--file', String(ACCOUNT_FDS.passwd), ACCOUNT_FILES.passwd);
  args.add('--perms', '0444', '--file', String(ACCOUNT_FDS.group), ACCOUNT_FILES.group);
  // no --chdir: bwrap would enter the 0700 home with the capabilities already dropped; the
  // program enters it as its owner
  args.parents(jail.home).add('--bind', jail.home, jail.home);
  args.add('--', LAUNCHER_IN_JAIL, 'inside');
  return args.list;
}

/**
 * The arguments for one jail forked from the template (runbox-jail's `@template`, the
 * launcher built once: docs/jail-launcher.md): only what is the run's own, on a root whose
 * mount points exist already and which is read-only. Its scratch space, /run/runbox for the
 * account files, the home's parent as a tmpfs of its own (the template cannot hold a
 * directory per run), the home bound there; then the launcher.
 */
export function templateRunArgs(jail: JailRootInstance): string[] {
  return [
    '--perms', '1777', '--size', String(jail.tmpBytes), '--tmpfs', '/tmp',
    '--perms', '1777', '--size', String(jail.tmpBytes), '--tmpfs', '/dev/shm',
    '--perms', '0755', '--size', '65536', '--tmpfs', path.dirname(ACCOUNT_FILES.passwd),
    '--perms', '0444', '--file', String(ACCOUNT_FDS.passwd), ACCOUNT_FILES.passwd,
    '--perms', '0444', '--file', String(ACCOUNT_FDS.group), ACCOUNT_FILES.group,
    '--perms', '0755', '--size', '4096', '--tmpfs', path.dirname(jail.home),
    '--perms', '0700', '--dir', jail.home,
    '--bind', jail.home, jail.home,
    '--', LAUNCHER_IN_JAIL, 'inside',
  ];
}

/** The template's arguments: the shared plan, and the directories a run mounts over that the plan does not make. */
export function templateArgs(plan: JailRootPlan, homeRoot: string): string[] {
  const args = new Args();
  for (const made of ['/etc', '/run', '/dev', '/proc']) args.mark(made);
  args.add(...plan.shared);
  args.dirs(homeRoot);
  return args.list;
}

const BASE_PASSWD = 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n';
const BASE_GROUP = 'root:x:0:\nnogroup:x:65534:\n';

/** /etc/passwd and /etc/group of a jail: root, nobody and the run's own user, nobody else. */
export function accountFiles(user: { name: string; uid: number; gid: number; home: string }): { passwd: string; group: string } {
  return {
    passwd: `${BASE_PASSWD}${user.name}:x:${user.uid}:${user.gid}::${user.home}:/sbin/nologin\n`,
    group: `${BASE_GROUP}${user.name}:x:${user.gid}:\n`,
  };
}

export const HOSTS_FILE = '127.0.0.1\tlocalhost runbox\n::1\tlocalhost ip6-localhost ip6-loopback\n';

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
