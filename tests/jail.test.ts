import { describe, expect, test } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { useRunbox } from './helpers/runbox.js';
import { singleFileProgram } from '../backend/src/runs/program.js';

/**
 * Jail v2, one property per test: the run's root is an allowlist, a syscall filter is in
 * force, user namespaces cannot be made, and ordinary programs (threads, workers,
 * multiprocessing) still work. Every refusal is an ordinary result for the program.
 */

const server = useRunbox();
const py = (code: string, extra: Record<string, unknown> = {}) => server().execute({ language: 'python', code, ...extra });
const cpp = (code: string, extra: Record<string, unknown> = {}) => server().execute({ language: 'cpp', code, ...extra });

// raw syscalls through libc, so the filter (not a missing tool) is what answers
const SYSCALL_PRELUDE = [
  'import ctypes, os',
  'libc = ctypes.CDLL(None, use_errno=True)',
  'def call(nr, *args):',
  '    r = libc.syscall(nr, *[ctypes.c_long(a) for a in args])',
  '    return "ok" if r >= 0 else os.strerror(ctypes.get_errno())',
].join('\n');

describe('user namespaces', () => {
  test('unshare -Ur is refused', async () => {
    const r = await py('import subprocess\np = subprocess.run(["unshare", "-Ur", "id"], capture_output=True, text=True)\nprint(p.returncode != 0, "uid=0" in p.stdout)');
    expect(r).toMatchObject({ status: 'ok', stdout: 'True False\n' });
  });

  test('the unshare, clone and setns syscalls cannot make a namespace, but fork and threads still work', async () => {
    const code = [
      SYSCALL_PRELUDE,
      'CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWNET, SIGCHLD = 0x10000000, 0x20000, 0x40000000, 17',
      'print("unshare user", call(272, CLONE_NEWUSER))',
      'print("unshare mount", call(272, CLONE_NEWNS))',
      'print("clone user", call(56, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0))',
      'print("clone net", call(56, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0))',
      'print("setns", call(308, 0, 0))',
      'print("clone3", call(435, 0, 0))',
      'import threading',
      't = threading.Thread(target=lambda: None); t.start(); t.join()',
      'pid = os.fork()',
      'if pid == 0: os._exit(0)',
      'os.waitpid(pid, 0)',
      'print("fork and threads fine")',
    ].join('\n');
    const r = await py(code);
    expect(r.stdout).toBe(
      [
        'unshare user Operation not permitted',
        'unshare mount Operation not permitted',
        'clone user Operation not permitted',
        'clone net Operation not permitted',
        'setns Operation not permitted',
        'clone3 Function not implemented',
        'fork and threads fine',
        '',
      ].join('\n'),
    );
  });
});

describe('syscall filter', () => {
  test('Seccomp is in force for the program', async () => {
    const r = await py('print([l.split()[1] for l in open("/proc/self/status") if l.startswith("Seccomp:")][0])');
    expect(r.stdout).toBe('2\n');
  });

  test.each([
    ['io_uring_setup', 425, [8, 0]],
    ['bpf', 321, [0, 0, 0]],
    ['perf_event_open', 298, [0, 0, -1, -1, 0]],
    ['userfaultfd', 323, [0]],
    ['keyctl', 250, [0, 0]],
    ['add_key', 248, [0, 0, 0, 0, 0]],
    ['ptrace', 101, [16, 1, 0, 0]],
    ['process_vm_readv', 310, [1, 0, 0, 0, 0, 0]],
    ['mount', 165, [0, 0, 0, 0, 0]],
    ['pivot_root', 155, [0, 0]],
    ['init_module', 175, [0, 0, 0]],
    ['kexec_load', 246, [0, 0, 0, 0]],
    ['reboot', 169, [0, 0, 0, 0]],
    ['syslog', 103, [3, 0, 0]],
    ['clock_settime', 227, [0, 0]],
  ])('%s is refused with EPERM', async (name, nr, args) => {
    const r = await py(`${SYSCALL_PRELUDE}\nprint(call(${nr}, ${(args as number[]).join(', ')}))`);
    expect({ name, out: r.stdout }).toEqual({ name, out: 'Operation not permitted\n' });
  });

  test('sockets are limited to unix, inet, inet6 and netlink routes', async () => {
    const code = [
      'import socket',
      'def try_socket(family, kind, proto=0):',
      '    try:',
      '        socket.socket(family, kind, proto).close()',
      '        return "ok"',
      '    except OSError as e:',
      '        return e.strerror',
      'print("unix", try_socket(socket.AF_UNIX, socket.SOCK_STREAM))',
      'print("inet", try_socket(socket.AF_INET, socket.SOCK_DGRAM))',
      'print("inet6", try_socket(socket.AF_INET6, socket.SOCK_DGRAM))',
      'print("netlink route", try_socket(socket.AF_NETLINK, socket.SOCK_RAW, 0))',
      'print("netlink uevent", try_socket(socket.AF_NETLINK, socket.SOCK_RAW, 15))',
      'print("packet", try_socket(17, socket.SOCK_RAW))',
      'print("alg", try_socket(38, socket.SOCK_SEQPACKET))',
      'print("vsock", try_socket(40, socket.SOCK_STREAM))',
    ].join('\n');
    const r = await py(code);
    expect(r.stdout).toBe(
      [
        'unix ok',
        'inet ok',
        'inet6 ok',
        'netlink route ok',
        'netlink uevent Protocol not supported',
        'packet Address family not supported by protocol',
        'alg Address family not supported by protocol',
        'vsock Address family not supported by protocol',
        '',
      ].join('\n'),
    );
  });

  test('socketpair makes unix sockets only', async () => {
    const r = await py('import socket\nfor fam in (socket.AF_UNIX, 17, 40):\n    try:\n        socket.socketpair(fam, socket.SOCK_STREAM if fam != 17 else socket.SOCK_RAW)\n        print("ok")\n    except OSError as e:\n        print(e.strerror)');
    expect(r.stdout).toBe('ok\nAddress family not supported by protocol\nAddress family not supported by protocol\n');
  });

  test('TIOCSTI cannot push keystrokes', async () => {
    const r = await py('import fcntl, termios, os\nfd = os.open("/dev/tty", os.O_RDWR) if False else 0\ntry:\n    fcntl.ioctl(0, termios.TIOCSTI, b"x")\n    print("pushed")\nexcept OSError as e:\n    print(e.strerror)');
    expect(r.stdout).toBe('Operation not permitted\n');
  });

  test('a 32-bit syscall (int 0x80) cannot get past the filter: SIGSYS, or SIGSEGV where the kernel has no 32-bit ABI', async () => {
    // i386 unshare(CLONE_NEWUSER): number 310 on that ABI; without the filter it succeeds
    const program = (nr: number, arg: string) =>
      ['#include <cstdio>', 'int main() {', '  long ret;', `  asm volatile("int $0x80" : "=a"(ret) : "a"(${nr}L), "b"(${arg}L) : "memory");`, '  std::printf("survived %ld\\n", ret);', '}'].join('\n');
    const r = await cpp(program(310, '0x10000000'));
    // what this kernel does with int 0x80 outside any jail (i386 getpid, harmless): kernels
    // built or booted without IA32 emulation kill the caller with SIGSEGV, jail or not
    const dir = await mkdtemp(path.join(os.tmpdir(), 'runbox-int80-'));
    try {
      await writeFile(path.join(dir, 'probe.cpp'), program(20, '0'));
      execFileSync('g++', ['-o', path.join(dir, 'probe'), path.join(dir, 'probe.cpp')]);
      const bare = spawnSync(path.join(dir, 'probe'), { encoding: 'utf8' });
      const expected = bare.signal === 'SIGSEGV' ? 'SIGSEGV' : 'SIGSYS';
      expect(bare.signal === 'SIGSEGV' || bare.stdout.startsWith('survived')).toBe(true);
      expect(r).toMatchObject({ status: 'runtime_error', signal: expected, stdout: '' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('allowlisted root', () => {
  test('the program holds only its three streams: nothing the server had open leaks in', async () => {
    // listdir itself opens the directory: that is the one more fd
    const r = await py('import os\nprint(sorted(int(f) for f in os.listdir("/proc/self/fd")))');
    expect(r.stdout).toBe('[0, 1, 2, 3]\n');
  });

  test("the run's root supervisor keeps only CAP_KILL, and the program none in any set (inheritable, permitted, bounding, ambient)", async () => {
    const r = await py('for pid in ("2", "self"):\n    print([l.split()[1] for l in open(f"/proc/{pid}/status") if l.startswith("CapEff")][0])\nprint([l.split()[1] for l in open("/proc/self/status") if l.startswith(("CapBnd", "CapPrm", "CapInh", "CapAmb"))])');
    expect(r.stdout).toBe(`0000000000000020\n0000000000000000\n${JSON.stringify(Array(4).fill('0000000000000000')).replaceAll('"', "'").replaceAll(',', ', ')}\n`);
  });

  test('an exit code above 128 is an exit code, not a signal', async () => {
    expect(await py('import sys\nsys.exit(152)')).toMatchObject({ status: 'runtime_error', exitCode: 152, signal: null });
    expect(await py('import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)')).toMatchObject({ status: 'runtime_error', exitCode: null, signal: 'SIGSEGV' });
  });

  test('/dev holds only the minimal device set', async () => {
    const r = await py('import os\nprint(sorted(os.listdir("/dev")))');
    const names = JSON.parse(r.stdout.replace(/'/g, '"')) as string[];
    const allowed = ['console', 'core', 'fd', 'full', 'null', 'ptmx', 'pts', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero'];
    expect(names.filter((n) => !allowed.includes(n))).toEqual([]);
    for (const needed of ['null', 'zero', 'urandom', 'shm', 'fd']) expect(names).toContain(needed);
  });

  test('files planted on the host outside the allowlist are invisible', async () => {
    const tag = randomBytes(6).toString('hex');
    const planted = [`/srv/runbox-canary-${tag}`, `/opt/runbox-canary-${tag}`, `/var/lib/runbox-canary-${tag}`, `/root/runbox-canary-${tag}`, `/home/runbox-canary-${tag}`];
    for (const dir of planted) {
      await mkdir(dir, { recursive: true, mode: 0o755 });
      await writeFile(`${dir}/secret.txt`, 'host secret', { mode: 0o644 });
    }
    try {
      const r = await py('import os, sys\nfor d in sys.argv[1:]:\n    print(os.path.exists(d), os.path.exists(d + "/secret.txt"))', { args: planted });
      expect(r.stdout).toBe('False False\n'.repeat(planted.length));
      const top = await py('import os\nprint(sorted(os.listdir("/")))');
      // /opt and /var appear only as parents of a bound toolchain or the compiler archives
      for (const hostOnly of ['srv', 'root', 'sys', 'mnt', 'media', 'boot', 'work']) expect(top.stdout).not.toContain(`'${hostOnly}'`);
    } finally {
      for (const dir of planted) await rm(dir, { recursive: true, force: true });
    }
  });

  test('/etc holds only what toolchains read (a staged copy): host files beside it and unreadable ones are absent', async () => {
    const code = [
      'import os',
      'print(sorted(os.listdir("/etc")))',
      'print(os.path.exists("/etc/shadow"), os.path.exists("/etc/ssl/private"), os.path.exists("/etc/ssl/certs/ca-certificates.crt"))',
      'print(open("/etc/hosts").read().split()[:2])',
    ].join('\n');
    const r = await py(code);
    const [names, checks, hosts] = r.stdout.trim().split('\n');
    for (const expected of ['group', 'hosts', 'ld.so.cache', 'passwd', 'python3', 'ssl']) expect(names).toContain(`'${expected}'`);
    for (const hostOnly of ['shadow', 'gshadow', 'sudoers', 'crontab', 'hostname', 'machine-id']) expect(names).not.toContain(`'${hostOnly}'`);
    expect(checks).toBe('False False True');
    expect(hosts).toBe("['127.0.0.1', 'localhost']");
  });

  test('a unix socket listening on the host cannot be reached', async () => {
    const dir = await mkdtemp(path.join('/run', 'runbox-sock-'));
    await chmod(dir, 0o755);
    const socketPath = path.join(dir, 'service.sock');
    const service = net.createServer((s) => s.end('host service\n'));
    await new Promise<void>((r) => service.listen(socketPath, () => r()));
    await chmod(socketPath, 0o777);
    try {
      const r = await py('import socket, sys\ns = socket.socket(socket.AF_UNIX)\ntry:\n    s.connect(sys.argv[1]); print("connected", s.recv(100))\nexcept OSError as e:\n    print(type(e).__name__)', { args: [socketPath] });
      expect(r.stdout).toBe('FileNotFoundError\n');
    } finally {
      service.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('passwd and group name only root, nobody and the run itself', async () => {
    const r = await py('import os, pwd\nprint(sorted(p.pw_name for p in pwd.getpwall()), pwd.getpwuid(os.getuid()).pw_name == os.environ["USER"])\nprint(len(open("/etc/group").read().splitlines()))');
    const [users, groups] = r.stdout.trim().split('\n');
    expect(users).toMatch(/^\['exec_[0-9a-f]+', 'nobody', 'root'\] True$/);
    expect(groups).toBe('3');
  });

  test('nothing outside the home, /tmp and /dev/shm is writable', async () => {
    const code = [
      'import os',
      'dirs = ["/", "/etc", "/usr", "/usr/local", "/usr/lib", "/bin", "/run", "/run/runbox", "/dev", "/proc", "/home", os.path.expanduser("~"), "/tmp", "/dev/shm"]',
      'for d in dirs:',
      '    try:',
      '        open(os.path.join(d, "w"), "w").close()',
      '        print(d, "writable")',
      '    except OSError:',
      '        pass',
    ].join('\n');
    const r = await py(code);
    const writable = r.stdout.trim().split('\n').map((l) => l.replace(/ writable$/, ''));
    expect(writable).toEqual([expect.stringMatching(/^\/home\/exec_/), '/tmp', '/dev/shm']);
  });
});

describe('ordinary programs still work', () => {
  test('python: threads and multiprocessing', async () => {
    const code = [
      'import multiprocessing, threading',
      'def sq(x): return x * x',
      'if __name__ == "__main__":',
      '    with multiprocessing.Pool(2) as p: print(sum(p.map(sq, range(10))))',
      '    out = []',
      '    ts = [threading.Thread(target=out.append, args=(i,)) for i in range(8)]',
      '    [t.start() for t in ts]; [t.join() for t in ts]',
      '    print(len(out))',
    ].join('\n');
    expect(await py(code)).toMatchObject({ status: 'ok', stdout: '285\n8\n' });
  });

  test('javascript: worker threads and a child process', async () => {
    const code = [
      "const { Worker } = require('node:worker_threads');",
      "const { execFileSync } = require('node:child_process');",
      "const w = new Worker('require(\"node:worker_threads\").parentPort.postMessage(6 * 7)', { eval: true });",
      "w.on('message', (m) => { console.log(m); console.log(execFileSync('echo', ['child']).toString().trim()); });",
    ].join('\n');
    expect(await server().execute({ language: 'javascript', code })).toMatchObject({ status: 'ok', stdout: '42\nchild\n' });
  });

  test('java: threads and an executor', async () => {
    const code = [
      'import java.util.concurrent.*;',
      'public class Main {',
      '  public static void main(String[] a) throws Exception {',
      '    ExecutorService ex = Executors.newFixedThreadPool(4);',
      '    Future<Integer> f = ex.submit(() -> 6 * 7);',
      '    System.out.println(f.get());',
      '    ex.shutdown();',
      '  }',
      '}',
    ].join('\n');
    expect(await server().execute({ language: 'java', code })).toMatchObject({ status: 'ok', stdout: '42\n' });
  });

  test('c++: std::thread and fork', async () => {
    const code = [
      '#include <thread>',
      '#include <vector>',
      '#include <atomic>',
      '#include <cstdio>',
      '#include <unistd.h>',
      '#include <sys/wait.h>',
      'int main() {',
      '  std::atomic<int> n{0};',
      '  std::vector<std::thread> ts;',
      '  for (int i = 0; i < 8; i++) ts.emplace_back([&] { n++; });',
      '  for (auto &t : ts) t.join();',
      '  pid_t p = fork();',
      '  if (p == 0) _exit(3);',
      '  int st; waitpid(p, &st, 0);',
      '  std::printf("%d %d\\n", n.load(), WEXITSTATUS(st));',
      '}',
    ].join('\n');
    expect(await cpp(code)).toMatchObject({ status: 'ok', stdout: '8 3\n' });
  });

  test.each([
    ['javascript', "console.log(require('fs').readFileSync('/dev/stdin', 'utf8').trim().split(' ').map(Number).reduce((a, b) => a + b))"],
    ['python', 'print(sum(map(int, open("/dev/stdin").read().split())))'],
    ['cpp', '#include <fstream>\n#include <iostream>\nint main() { std::ifstream in("/dev/stdin"); long a, b; in >> a >> b; std::cout << a + b << "\\n"; }'],
    ['java', 'import java.io.*;\nimport java.util.*;\npublic class Main { public static void main(String[] x) throws Exception { Scanner s = new Scanner(new FileInputStream("/dev/stdin")); System.out.println(s.nextLong() + s.nextLong()); } }'],
  ])('%s reads its input by opening /dev/stdin', async (language, code) => {
    expect(await server().execute({ language, code, stdin: '20 22\n' })).toMatchObject({ status: 'ok', stdout: '42\n' });
  });

  test('a program may write to /dev/stdout and /dev/stderr by path', async () => {
    const r = await py('open("/dev/stdout", "w").write("out\\n")\nopen("/dev/stderr", "w").write("err\\n")');
    expect(r).toMatchObject({ status: 'ok', stdout: 'out\n', stderr: 'err\n' });
  });

  test('a program given /dev/stdin as an argument reads it like a file', async () => {
    const r = await py('import sys\nprint(open(sys.argv[1]).read().upper(), end="")', { args: ['/dev/stdin'], stdin: 'shout\n' });
    expect(r).toMatchObject({ status: 'ok', stdout: 'SHOUT\n' });
  });
});

describe('input that streams in', () => {
  test('a program reads streamed input through a real pipe, answer by answer', async () => {
    const { PassThrough } = await import('node:stream');
    const input = new PassThrough();
    const seen: string[] = [];
    let sent = 0;
    const code = [
      'import os, stat, sys',
      'print("fifo" if stat.S_ISFIFO(os.fstat(0).st_mode) else "not a pipe", flush=True)',
      'for line in open("/dev/stdin"):',
      '    print("got", line.strip(), flush=True)',
    ].join('\n');
    const c = server().config;
    const running = server().runs.execute(
      { language: server().languages.find('python')!, program: singleFileProgram(server().languages.find('python')!, code), stdin: input, args: [], limits: { timeMs: 10000, cpuTimeMs: 5000, memoryMb: 128, processes: 16, outputKb: 64 } },
      {
        onOutput: (chunk) => {
          seen.push(chunk.text);
          const all = seen.join('');
          // answer only after the program has spoken: the input really streams
          if (sent === 0 && all.includes('fifo\n')) input.write(`${++sent}\n`);
          else if (sent === 1 && all.includes('got 1')) input.end(`${++sent}\n`);
        },
      },
    );
    const r = await running;
    expect(c.runProcesses).toBeGreaterThan(16);
    expect(r).toMatchObject({ status: 'ok', stdout: 'fifo\ngot 1\ngot 2\n' });
  });
});

describe('helpers beside the server', () => {
  /** The pids of our own children running `runbox-jail serve` or `runbox-accounts serve`. */
  async function helperPids(name: string): Promise<number[]> {
    const { readdir, readFile } = await import('node:fs/promises');
    const pids: number[] = [];
    for (const pid of (await readdir('/proc')).filter((n) => /^\d+$/.test(n))) {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      const ppid = Number(stat.split(') ')[1]?.split(' ')[1]);
      if (ppid === process.pid && cmdline.split('\0')[0]?.endsWith(name) && cmdline.includes('serve')) pids.push(Number(pid));
    }
    return pids;
  }

  /** Whether a process named `name` runs below `ancestor` (its parent, or its parent's, ...). */
  async function runsBelow(ancestor: number, name: string): Promise<boolean> {
    const { readdir, readFile } = await import('node:fs/promises');
    const parents = new Map<number, { ppid: number; comm: string }>();
    for (const pid of (await readdir('/proc')).filter((n) => /^\d+$/.test(n))) {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      const comm = /\((.*)\)/.exec(stat)?.[1] ?? '';
      parents.set(Number(pid), { ppid: Number(stat.split(') ')[1]?.split(' ')[1]), comm });
    }
    return [...parents].some(([pid, p]) => {
      if (p.comm !== name) return false;
      for (let up = parents.get(pid)?.ppid; up; up = parents.get(up)?.ppid) if (up === ancestor) return true;
      return false;
    });
  }

  test('the jail launcher killed mid-run: the run ends as internal_error, nothing is left, the next run works', async () => {
    await py('print("warm")');
    const running = py('import time\nprint("started", flush=True)\ntime.sleep(30)');
    const [launcher] = await helperPids('runbox-jail');
    expect(launcher).toBeDefined();
    // killed once the program runs in one of its jails (a loaded machine may take a while to get there)
    for (let i = 0; i < 200 && !(await runsBelow(launcher!, 'python3')); i++) await new Promise((r) => setTimeout(r, 50));
    process.kill(launcher!, 'SIGKILL');
    const r = await running;
    expect(r.status).toBe('internal_error');
    const next = await py('print("after")');
    expect(next).toMatchObject({ status: 'ok', stdout: 'after\n' });
  });

  test('the accounts helper killed: the next run still gets a fresh user', async () => {
    await py('print("warm")');
    const [accounts] = await helperPids('runbox-accounts');
    expect(accounts).toBeDefined();
    process.kill(accounts!, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 3; i++) {
      const r = await py('print("fine")');
      expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 'ok', stdout: 'fine\n', stderr: '' });
    }
  });
});
