import { describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { findLeftovers, NOTHING_LEFT } from './helpers/leftovers.js';
import { useRunbox } from './helpers/runbox.js';

/**
 * The threat model, one attack per test. Every program here is hostile; each test asserts
 * what the attacker could observe or change, and that nothing outlives the run.
 */

const server = useRunbox();

const py = (code: string, extra: Record<string, unknown> = {}) => server().execute({ language: 'python', code, ...extra });

describe('time', () => {
  test('an infinite loop is killed at the wall-clock limit', async () => {
    const r = await py('while True: pass', { limits: { timeMs: 1500 } });
    expect(r.status).toBe('timeout');
    expect(r.timeMs).toBeGreaterThanOrEqual(1400);
    expect(r.timeMs).toBeLessThan(3000);
  });

  test('a CPU burner is stopped by the CPU limit even when wall time is left', async () => {
    const r = await server().execute({ language: 'cpp', code: 'int main() { volatile unsigned long x = 0; for (;;) x++; }', limits: { cpuTimeMs: 1000, timeMs: 5000 } });
    // the run's cgroup watchdog ends it at its CPU limit (RLIMIT_CPU's SIGXCPU is only a backstop)
    expect(r).toMatchObject({ status: 'timeout', timeLimit: 'cpu' });
    expect(r.cpuTimeMs).toBeGreaterThanOrEqual(1000);
    expect(r.cpuTimeMs).toBeLessThan(1100);
    expect(r.timeMs).toBeLessThan(3500);
  });

  test('a sleeping program is killed at the wall-clock limit', async () => {
    const r = await py('import time\ntime.sleep(60)', { limits: { timeMs: 1000 } });
    expect(r).toMatchObject({ status: 'timeout', timeLimit: 'wall' });
    expect(r.timeMs).toBeLessThan(2500);
  });

  test('output written before a timeout is still returned', async () => {
    const r = await py('import time\nprint("before", flush=True)\ntime.sleep(60)', { limits: { timeMs: 1000 } });
    expect(r.status).toBe('timeout');
    expect(r.stdout).toBe('before\n');
  });
});

describe('processes', () => {
  test('a fork bomb is contained and the server stays responsive', async () => {
    const bomb = server().execute({ language: 'cpp', code: '#include <unistd.h>\nint main() { for (;;) fork(); }', limits: { timeMs: 3000 } });
    await new Promise((r) => setTimeout(r, 1500)); // let it compile and start forking
    const started = Date.now();
    const health = await server().request('GET', '/api/health');
    expect(health.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1000);
    const r = await bomb;
    // 1024 small processes come close to 256 MB: whichever cap is met first contains it
    expect(['timeout', 'runtime_error', 'memory_limit']).toContain(r.status);
    expect(r.processLimitHit || r.status === 'memory_limit').toBe(true);
    expect((await findLeftovers()).processes).toEqual([]);
  });

  test('a shell fork bomb is contained', async () => {
    // dash takes no ':' as a function name: the classic bomb, spelled so sh really runs it
    const r = await py('import os\nos.execv("/bin/sh", ["sh", "-c", "exec 2>/dev/null; b() { b | b & }; b; sleep 5"])', { limits: { timeMs: 2000 } });
    expect(r.stderr).not.toMatch(/Syntax error/);
    expect(['timeout', 'ok', 'runtime_error', 'memory_limit']).toContain(r.status);
    expect(r.processLimitHit || r.status === 'memory_limit').toBe(true);
    expect((await findLeftovers()).processes).toEqual([]);
  });

  test('a setsid double-forked sleeper does not outlive its run', async () => {
    const code = [
      'import os, time',
      'if os.fork() == 0:',
      '    os.setsid()',
      '    if os.fork() == 0:',
      '        time.sleep(120)',
      '    os._exit(0)',
      'print("parent done")',
    ].join('\n');
    const r = await py(code);
    expect(r.status).toBe('ok');
    expect(r.stdout).toBe('parent done\n');
    // the sleeper holds stdout open: the run must still end when the parent does
    expect(r.timeMs).toBeLessThan(2000);
    expect((await findLeftovers()).processes).toEqual([]);
  });

  test('the server process cannot be seen or killed', async () => {
    const code = [
      'import os, sys',
      'try:',
      '    os.kill(int(sys.argv[1]), 9)',
      '    print("killed")',
      'except Exception as e:',
      '    print(type(e).__name__)',
      'print(sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))',
      'os.kill(-1, 9)',
    ].join('\n');
    const r = await py(code, { args: [String(process.pid)] });
    expect(r.stdout).toMatch(/^(ProcessLookupError|PermissionError)\n/);
    // a private pid namespace: only the jail's init, the run's supervisor and the program itself
    expect(r.stdout.split('\n')[1]).toMatch(/^\[1, 2, \d+\]$/);
    expect((await server().request('GET', '/api/health')).status).toBe(200);
  });

  test('a run cannot become root', async () => {
    const code = [
      'import os',
      'print(open("/proc/self/status").read().split("NoNewPrivs:")[1].split()[0])',
      'try:',
      '    os.setuid(0)',
      '    print("root!")',
      'except PermissionError:',
      '    print("denied")',
      'print(os.getuid() != 0, os.getgroups() == [os.getgid()] or os.getgroups() == [])',
    ].join('\n');
    const r = await py(code);
    expect(r.stdout).toBe('1\ndenied\nTrue True\n');
  });
});

describe('memory', () => {
  const bombs: Record<string, string> = {
    python: 'a = []\nwhile True:\n    a.append(b"x" * 10_000_000)',
    javascript: 'const a = [];\nwhile (true) a.push(new Array(1e6).fill(1.5));',
    cpp: '#include <cstring>\n#include <vector>\nint main() { std::vector<char*> v; for (;;) { char* p = new char[1 << 20]; std::memset(p, 1, 1 << 20); v.push_back(p); } }',
    java: 'import java.util.*;\npublic class Main { public static void main(String[] a) { List<long[]> l = new ArrayList<>(); while (true) l.add(new long[1 << 17]); } }',
  };
  test.each(Object.entries(bombs))('a %s memory bomb ends as memory_limit', async (language, code) => {
    const r = await server().execute({ language, code, limits: { memoryMb: 128 } });
    expect(r.status).toBe('memory_limit');
    expect(r.memoryKb).toBeLessThanOrEqual(128 * 1024 + 1024);
  });

  test('a program within its memory limit is not flagged', async () => {
    const r = await py('a = b"x" * 50_000_000\nprint(len(a))', { limits: { memoryMb: 128 } });
    expect(r.status).toBe('ok');
    expect(r.memoryKb).toBeGreaterThan(40_000);
  });
});

describe('output', () => {
  test('endless stdout is cut at the cap and marked output_limit', async () => {
    const r = await py('while True:\n    print("x" * 1000)', { limits: { outputKb: 16 } });
    expect(r.status).toBe('output_limit');
    expect(r.truncated).toBe(true);
    expect(r.stdout.length).toBe(16 * 1024);
  });

  test('endless stderr is cut at the cap too', async () => {
    const r = await server().execute({ language: 'javascript', code: 'for (;;) process.stderr.write("e".repeat(4096));', limits: { outputKb: 8 } });
    expect(r.status).toBe('output_limit');
    expect(r.stderr.length).toBe(8 * 1024);
  });
});

describe('files', () => {
  test('filling the disk hits the workspace cap, not the host disk', async () => {
    const code = [
      'import os',
      'for d in [os.path.expanduser("~"), "/tmp", "/dev/shm"]:',
      '    try:',
      '        for i in range(1000):',
      '            with open(f"{d}/fill{i}", "wb") as f:',
      '                for _ in range(8): f.write(b"\\0" * 1_000_000)',
      '        print(d, "unbounded")',
      '    except OSError as e:',
      '        print(d, e.strerror)',
    ].join('\n');
    const r = await py(code, { limits: { memoryMb: 256 } });
    for (const line of r.stdout.trim().split('\n')) expect(line).toMatch(/(No space left on device|File too large)$/);
    expect(r.stdout.trim().split('\n')).toHaveLength(3);
  });

  test('a single file cannot exceed the file size limit', async () => {
    const r = await py('f = open("big", "wb")\ntry:\n    f.write(b"\\0" * 20_000_000); f.flush()\nexcept OSError as e:\n    print(e.strerror)');
    expect(r.stdout).toBe('File too large\n');
  });

  test('/etc/shadow does not exist inside a run', async () => {
    const r = await py('try:\n    print(open("/etc/shadow").read())\nexcept FileNotFoundError:\n    print("absent")');
    expect(r.stdout).toBe('absent\n');
  });

  test('the database (snippets, history, hidden tests) cannot be read or listed', async () => {
    const dir = server().config.dataDir;
    expect(existsSync(`${dir}/runbox.db`)).toBe(true);
    const r = await py(`import os\nfor f in [${JSON.stringify(`${dir}/runbox.db`)}, ${JSON.stringify(`${dir}/runbox.db-wal`)}]:\n    try:\n        print(len(open(f, "rb").read()))\n    except OSError as e:\n        print(type(e).__name__)\ntry:\n    print(os.listdir(${JSON.stringify(dir)}))\nexcept OSError as e:\n    print(type(e).__name__)`);
    expect(r.stdout).not.toMatch(/^\d+$/m);
    expect(r.stdout).not.toContain('runbox.db');
  });

  test("the server's own code and environment are out of reach", async () => {
    const code = [
      'import os, sys',
      'for p in sys.argv[1:]:',
      '    try:',
      '        print(p, os.listdir(p))',
      '    except OSError as e:',
      '        print(p, "denied")',
      'print(sorted(os.environ))',
    ].join('\n');
    const r = await py(code, { args: [...server().config.hiddenPaths] });
    const lines = r.stdout.trim().split('\n');
    for (const line of lines.slice(0, -1)) expect(line).toMatch(/ (denied|\[\])$/);
    expect(lines.at(-1)).toBe("['HOME', 'LANG', 'LOGNAME', 'PATH', 'PWD', 'TMPDIR', 'USER']");
  });

  test('nothing written to /tmp or /dev/shm reaches the next run or the host', async () => {
    const name = `runbox-canary-${randomBytes(6).toString('hex')}`;
    const dirs = ['/tmp', '/dev/shm'];
    const write = await py(`import sys\nfor d in sys.argv[1:]:\n    open(d + "/${name}", "w").write("x")\nprint("written")`, { args: dirs });
    expect(write.stdout).toBe('written\n');
    const read = await py(`import os, sys\nprint([os.path.exists(d + "/${name}") for d in sys.argv[1:]])`, { args: dirs });
    expect(read.stdout).toBe('[False, False]\n');
    for (const d of dirs) expect(existsSync(`${d}/${name}`)).toBe(false);
  });

  test("another live run's home is out of reach, even when it opens it up", async () => {
    const secret = `SECRET-${randomBytes(8).toString('hex')}`;
    const victim = py(
      [
        'import os, time',
        `open("secret.txt", "w").write("${secret}")`,
        'os.chmod("secret.txt", 0o666)',
        'os.chmod(os.path.expanduser("~"), 0o777)',
        'print("ready", flush=True)',
        'time.sleep(4)',
      ].join('\n'),
      { limits: { timeMs: 5000 } },
    );
    await new Promise((r) => setTimeout(r, 1500));
    // passwd inside a run names no other run: the attacker is handed every live home instead
    const liveHomes = (await readdir('/home')).filter((n) => n.startsWith('exec_')).map((n) => `/home/${n}`);
    const attacker = await py(
      [
        'import os, sys',
        'me = os.path.expanduser("~")',
        'homes = sys.argv[1:]',
        'print("others listed:", [h for h in os.listdir("/home") if "/home/" + h != me])',
        'for h in homes:',
        '    if h == me: continue',
        '    try:',
        '        print(open(h + "/secret.txt").read())',
        '    except OSError as e:',
        '        print("blocked", e.strerror)',
      ].join('\n'),
      { args: liveHomes },
    );
    const v = await victim;
    expect(v.stdout).toBe('ready\n');
    expect(attacker.stdout).not.toContain(secret);
    expect(attacker.stdout).toMatch(/^others listed: \[\]\n(blocked .*\n)+$/);
  });

  test('symlinks planted in the home are never followed by cleanup', async () => {
    const canaryDir = `/var/lib/runbox-canary-${randomBytes(6).toString('hex')}`;
    await mkdir(canaryDir, { recursive: true });
    await writeFile(`${canaryDir}/keep.txt`, 'keep');
    const passwdBefore = await readFile('/etc/passwd', 'utf8');
    try {
      const code = [
        'import os, sys',
        'os.symlink("/etc/passwd", "passwd")',
        'os.symlink("/etc", "etc")',
        'os.symlink(sys.argv[1], "canary")',
        'os.symlink(sys.argv[1] + "/keep.txt", "keep.txt")',
        'os.remove("main.py")',
        'os.symlink("/etc/shadow", "main.py")',
        'print("planted")',
      ].join('\n');
      const r = await py(code, { args: [canaryDir] });
      expect(r.stdout).toBe('planted\n');
      expect(await readFile(`${canaryDir}/keep.txt`, 'utf8')).toBe('keep');
      expect(existsSync('/etc/shadow')).toBe(true);
      const rootLine = (s: string) => s.split('\n').find((l) => l.startsWith('root:'));
      expect(rootLine(await readFile('/etc/passwd', 'utf8'))).toBe(rootLine(passwdBefore));
    } finally {
      await rm(canaryDir, { recursive: true, force: true });
    }
  });
});

describe('network', () => {
  test('a run cannot reach the API, another loopback service or any interface', async () => {
    const other = net.createServer((s) => s.end('hello from the host\n'));
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
    const otherPort = (other.address() as net.AddressInfo).port;
    const apiPort = new URL(server().url).port;
    try {
      const code = [
        'import os, socket, sys',
        'for host, port in [("127.0.0.1", int(sys.argv[1])), ("127.0.0.1", int(sys.argv[2])), ("::1", int(sys.argv[1]))]:',
        '    try:',
        '        socket.create_connection((host, port), timeout=2).recv(100)',
        '        print("connected", host, port)',
        '    except OSError as e:',
        '        print("refused")',
        'try:',
        '    socket.getaddrinfo("localhost.runbox-test.invalid", 80)',
        '    print("resolved")',
        'except OSError:',
        '    print("no dns")',
        'print([name for _, name in socket.if_nameindex()], [l.split(":")[0].strip() for l in open("/proc/net/dev").readlines()[2:]])',
      ].join('\n');
      const r = await py(code, { args: [apiPort, String(otherPort)] });
      expect(r.stdout).toBe("refused\nrefused\nrefused\nno dns\n['lo'] ['lo']\n");
    } finally {
      other.close();
    }
  });
});
