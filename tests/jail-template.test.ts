import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { useRunbox } from './helpers/runbox.js';

/**
 * The jail built once (RUNBOX_JAIL=template, docs/jail-launcher.md): one test per point of
 * its threat model, through the real server. Each run is forked from a root the launcher
 * built at start and shares with every other run, so what must hold is that nothing of one
 * run reaches the template or another run, and nothing of the launcher reaches a run.
 */

/**
 * The compiler archives' directory is bound into every jail: this file gives it one of its
 * own with a mount inside (a volume under an allowlisted tree, as a host may have), made
 * before the server builds its template; and a mount elsewhere on the host, made then too,
 * that the template must not keep.
 */
const ARCHIVES = '/var/tmp/runbox-template-test-archives';
const VOLUME = `${ARCHIVES}/volume`;
const HOST_MOUNT = '/var/tmp/runbox-template-test-host-mount';
const hostMounts = () => readFileSync('/proc/self/mountinfo', 'utf8');
beforeAll(() => {
  for (const dir of [VOLUME, HOST_MOUNT]) {
    mkdirSync(dir, { recursive: true });
    if (!hostMounts().includes(` ${dir} `)) execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=1777', 'tmpfs', dir]);
  }
});
afterAll(() => {
  for (const dir of [VOLUME, HOST_MOUNT]) spawnSync('umount', ['-l', dir]);
});

const server = useRunbox({ RUNBOX_JAIL: 'template', RUNBOX_ARCHIVE_DIR: ARCHIVES });

/** The children of this process's jail launcher (`runbox-jail serve`): each running jail's monitor. */
function launcherChildren(): number[] {
  const parentOf = (pid: string) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
  const pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  const alive = (pid: string) => {
    try {
      return { pid, ppid: parentOf(pid), cmd: readFileSync(`/proc/${pid}/cmdline`, 'utf8') };
    } catch {
      return null;
    }
  };
  const serve = launcherServePid();
  return pids.map(alive).filter((p) => p !== null && p.ppid === serve).map((p) => Number(p!.pid));
}

/** This process's jail launcher (`runbox-jail serve`). */
function launcherServePid(): number {
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const ppid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (ppid === process.pid && cmd.includes('runbox-jail') && cmd.includes('\0serve')) return Number(pid);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error('no runbox-jail serve below this process');
}

/** A status line's value (CapEff, NoNewPrivs...) of a process. */
const statusOf = (pid: number, key: string) => new RegExp(`^${key}:\\s*(\\S+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
const py = (code: string, extra: Record<string, unknown> = {}) => server().execute({ language: 'python', code, ...extra });

/** A run's mounts as `mountpoint options` lines, from its own mountinfo. */
const MOUNTS = [
  'mounts = []',
  'for line in open("/proc/self/mountinfo"):',
  '    f = line.split()',
  '    mounts.append((f[4], f[5]))',
].join('\n');

/** What a run may write below: its own mounts, each made for it alone. */
const RUN_OWN = /^(\/tmp|\/dev\/shm|\/run\/runbox|\/dev|\/dev\/pts|\/proc|\/home|\/home\/exec_[0-9a-f]+)$/;

describe('the jail built once: its threat model, a test per point', () => {
  test('the server reports the template launcher in /api/health', async () => {
    const health = await server().request('GET', '/api/health');
    expect(health.json.isolation.jail).toBe('template');
  });

  test('1. mounts never propagate: a run sees only its own home, the host none of the template', async () => {
    // two runs at once: each one's home parent is a tmpfs of its own, holding its home alone
    const code = `${MOUNTS}\nimport os, time\nhomes = [m for m, _ in mounts if m.startswith("/home/")]\nprint(len(homes), homes[0] == os.getcwd(), os.listdir("/home") == [os.path.basename(os.getcwd())])\ntime.sleep(0.6)`;
    const [a, b] = await Promise.all([py(code), py(code)]);
    expect(a).toMatchObject({ status: 'ok', stdout: '1 True True\n' });
    expect(b).toMatchObject({ status: 'ok', stdout: '1 True True\n' });
    // the template's namespace is the launcher's: nothing of it in the host's mount table
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toMatch(/ \/run\/runbox-template[ /]/);
  });

  test('2. the shared root cannot be changed: every mount but the run\'s own is read-only, writes fail', async () => {
    const code = [
      MOUNTS,
      'import re',
      `own = re.compile(${JSON.stringify(RUN_OWN.source)})`,
      'writable = [m for m, o in mounts if "rw" in o.split(",") and not own.match(m)]',
      'print("writable:", writable)',
      'print("root:", [o for m, o in mounts if m == "/"][0].split(",")[0])',
      'for target in ["/x", "/usr/x", "/etc/x", "/run/x", "/home/x", "/dev/x"]:',
      '    try:',
      '        open(target, "w")',
      '        print(target, "written")',
      '    except OSError as e:',
      '        print(target, e.strerror)',
    ].join('\n');
    const r = await py(code);
    expect(r.status).toBe('ok');
    const lines = r.stdout.trim().split('\n');
    expect(lines.slice(0, 2)).toEqual(['writable: []', 'root: ro']);
    for (const line of lines.slice(2)) expect(line).toMatch(/ (Read-only file system|Permission denied)$/);
  });

  test('3. files another run wrote are not there: /tmp, /dev/shm, /run/runbox and the home are each run\'s own', async () => {
    const write = 'import os\nfor d in ["/tmp", "/dev/shm", "/run/runbox", "."]:\n    try:\n        open(os.path.join(d, "left-by-a"), "w").write("a")\n    except OSError:\n        pass\nprint(sorted(os.listdir("/tmp")), sorted(os.listdir("/dev/shm")))';
    const look = 'import os\nfound = [d for d in ["/tmp", "/dev/shm", "/run/runbox", "."] if os.path.exists(os.path.join(d, "left-by-a"))]\nprint(found, sorted(os.listdir("/run/runbox")))';
    const a = await py(write);
    expect(a.stdout).toBe("['left-by-a'] ['left-by-a']\n");
    // after it, and beside a run that has written and still runs
    const after = await py(look);
    const writer = py(`${write}\nimport time\ntime.sleep(1)`);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const beside = await py(look);
    expect((await writer).status).toBe('ok');
    for (const r of [after, beside]) expect(r.stdout).toBe("[] ['group', 'passwd']\n");
  });

  test('4. the launcher\'s processes are not in the run\'s /proc: its pid 1 is the jail\'s own init', async () => {
    const code = [
      'import os',
      'pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())',
      'print(len(pids) <= 4 and max(pids) < 16 or pids, 1 in pids)',
      'print(os.getppid() != 0, open("/proc/1/status").read().split("PPid:")[1].split()[0])',
    ].join('\n');
    const r = await py(code);
    // pid 1 has no parent in the namespace: whatever forked it (serve) is outside
    expect(r).toMatchObject({ status: 'ok', stdout: 'True True\nTrue 0\n' });
  });

  test('5. no fd of the launcher reaches the program: 0-2 only, no namespace among them, pid 1\'s closed to it', async () => {
    const code = [
      'import os',
      'fds = sorted(int(f) for f in os.listdir("/proc/self/fd"))',
      'links = [os.readlink(f"/proc/self/fd/{f}") for f in fds if os.path.exists(f"/proc/self/fd/{f}")]',
      'print(fds[:3], [l for l in links if l.startswith("mnt:") or "runbox-template" in l])',
      'try:',
      '    print(os.listdir("/proc/1/fd"))',
      'except OSError as e:',
      '    print(e.strerror)',
      'try:',
      '    open("/proc/1/ns/mnt")',
      '    print("opened")',
      'except OSError as e:',
      '    print(e.strerror)',
    ].join('\n');
    const r = await py(code);
    expect(r).toMatchObject({ status: 'ok', stdout: '[0, 1, 2] []\nPermission denied\nPermission denied\n' });
    // (listing /proc/self/fd opens one more: the program has 0-2 and that directory)
  });

  test('6. the run user cannot signal the jail\'s init or the launcher: kill 1 and kill -1 leave the run reported', async () => {
    const code = 'import os, signal\ntry:\n    os.kill(1, signal.SIGKILL)\n    print("killed 1")\nexcept OSError as e:\n    print(e.strerror)\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept OSError as e:\n    print("-1", e.strerror)\nprint("still here")';
    const r = await py(code);
    // kill(-1) takes the program itself (its own uid) and nothing else: the result still comes
    expect(r.stdout.startsWith('Operation not permitted\n')).toBe(true);
    expect(r.status).toMatch(/^(ok|runtime_error)$/);
    const next = await py('print("next")');
    expect(next).toMatchObject({ status: 'ok', stdout: 'next\n' });
  });

  test('7. ptrace of the jail\'s init is refused', async () => {
    const code = 'import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\nr = libc.ptrace(16, 1, 0, 0)\nprint(r, os.strerror(ctypes.get_errno()))';
    const r = await py(code);
    expect(r.stdout).toMatch(/^-1 (Operation not permitted|Function not implemented)\n$/);
  });

  test('9. nothing of a run outlives it: a double-forked setsid sleeper is gone with its jail', async () => {
    const code = 'import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(60)\n    os._exit(0)\ntime.sleep(0.1)\nprint("parent done")';
    const r = await py(code);
    expect(r).toMatchObject({ status: 'ok', stdout: 'parent done\n' });
    // the suite's leftover check (useRunbox's afterAll) finds no process, user or home after the file
  });
});

describe('what the review of the launcher found (docs/jail-launcher.md), each kept from coming back', () => {
  test('a mount inside an allowlisted tree is read-only, nosuid and nodev in the jail, as bubblewrap makes it', async () => {
    const code = `import os\nline = [l.split() for l in open("/proc/self/mountinfo") if l.split()[4] == "${VOLUME}"]\nprint(sorted(set(line[0][5].split(",")) & {"ro", "rw", "nosuid", "nodev"}))\ntry:\n    open("${VOLUME}/x", "w")\n    print("written")\nexcept OSError as e:\n    print(e.strerror)`;
    const r = await py(code);
    expect(r).toMatchObject({ status: 'ok', stdout: "['nodev', 'nosuid', 'ro']\nRead-only file system\n" });
  });

  test('the home is a private mount in the jail: nothing mounted under it propagates in or out', async () => {
    const r = await py('import os\nhome = os.getcwd()\nline = [l.split() for l in open("/proc/self/mountinfo") if l.split()[4] == home][0]\nprint([f for f in line[6:] if f.startswith(("shared:", "master:"))])');
    expect(r).toMatchObject({ status: 'ok', stdout: '[]\n' });
  });

  test("the template's namespace holds its root alone: no host mount made before it (a run's home, another filesystem) is kept by it", () => {
    // the launcher keeps the namespace by an fd: read its mount table through that fd
    const serve = launcherServePid();
    const nsFd = readdirSync(`/proc/${serve}/fd`).find((fd) => readlinkSync(`/proc/${serve}/fd/${fd}`).startsWith('mnt:'));
    expect(nsFd).toBeDefined();
    // (the template has no /proc of its own: a copy of it gets one, to read its table by)
    const table = execFileSync('nsenter', [`--mount=/proc/${serve}/fd/${nsFd}`, 'unshare', '--mount-proc', 'cat', '/proc/self/mountinfo'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter((l) => l.split(' ')[4] !== '/proc')
      .join('\n');
    const points = table.split('\n').map((l) => l.split(' ')[4]!);
    expect(points).toContain('/');
    expect(points).toContain(VOLUME);
    for (const kept of [HOST_MOUNT, '/sys', '/run/runbox-template']) expect(points).not.toContain(kept);
    expect(points.filter((p) => p.startsWith('/home/'))).toEqual([]);
    // every mount in it is read-only
    expect(table.split('\n').filter((l) => l.split(' ')[5]!.split(',')[0] !== 'ro')).toEqual([]);
  });

  test("a jail's monitor (outside its pid namespace, root's) holds no capability and no new privileges", async () => {
    const running = py('import time\ntime.sleep(1.5)\nprint("done")');
    await new Promise((resolve) => setTimeout(resolve, 700));
    const monitors = launcherChildren();
    expect(monitors.length).toBeGreaterThan(0);
    for (const pid of monitors) expect([statusOf(pid, 'CapEff'), statusOf(pid, 'CapPrm'), statusOf(pid, 'NoNewPrivs')]).toEqual(['0000000000000000', '0000000000000000', '1']);
    expect((await running).stdout).toBe('done\n');
  });

  test('/proc/sys, sysrq-trigger, irq and bus are read-only in the jail', async () => {
    const r = await py('import os\nfor p in ["/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus"]:\n    line = [l.split() for l in open("/proc/self/mountinfo") if l.split()[4] == p]\n    print(p, line[0][5].split(",")[0] if line else "absent")');
    for (const line of r.stdout.trim().split('\n')) expect(line).toMatch(/ (ro|absent)$/);
    expect(r.stdout).toContain('/proc/sys ro');
  });
});

describe('the template is checked before it is used', () => {
  const launcher = () => path.join(server().config.nativeDir, 'runbox-jail');

  test('a plan the kernel refuses is reported, naming the step, and the server would use bubblewrap', () => {
    const r = spawnSync(launcher(), ['template-check', '--ro-bind', '/nonexistent-runbox-path', '/x'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/template: .*bind \/nonexistent-runbox-path/);
  });

  test('a plan that builds is accepted and leaves no mount on the host', () => {
    const r = spawnSync(launcher(), ['template-check', '--ro-bind', '/usr', '/usr', '--dir', '/home'], { encoding: 'utf8' });
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toMatch(/ \/run\/runbox-template[ /]/);
  });
});
