import { describe, expect, test } from '@jest/globals';
import { useRunbox } from './helpers/runbox.js';

const server = useRunbox();

interface Programs {
  hello: string;
  echoStdin: string;
  printArgs: string;
  runtimeError: string;
  runtimeErrorText: RegExp;
  crashBySignal: string;
  /** The signal the crash reports, when not SIGSEGV. */
  crashSignal?: string;
}

const programs: Record<string, Programs> = {
  python: {
    hello: 'print("Hello, world!")',
    echoStdin: 'import sys\nsys.stdout.write(sys.stdin.read().upper())',
    printArgs: 'import sys\nprint(",".join(sys.argv[1:]))',
    runtimeError: 'def f():\n    raise ValueError("boom")\nf()',
    runtimeErrorText: /ValueError: boom/,
    crashBySignal: 'import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)',
  },
  javascript: {
    hello: 'console.log("Hello, world!")',
    echoStdin: 'let s = ""; process.stdin.on("data", (d) => (s += d)); process.stdin.on("end", () => process.stdout.write(s.toUpperCase()));',
    printArgs: 'console.log(process.argv.slice(2).join(","))',
    runtimeError: 'function f() { throw new TypeError("boom"); }\nf();',
    runtimeErrorText: /TypeError: boom/,
    crashBySignal: 'process.kill(process.pid, "SIGSEGV")',
  },
  cpp: {
    hello: '#include <iostream>\nint main() { std::cout << "Hello, world!" << std::endl; }',
    echoStdin:
      '#include <iostream>\n#include <string>\n#include <cctype>\nint main() { std::string line; bool first = true;\n' +
      ' while (std::getline(std::cin, line)) { for (auto& c : line) c = std::toupper(c); std::cout << (first ? "" : "\\n") << line; first = false; } }',
    printArgs: '#include <iostream>\nint main(int argc, char** argv) { for (int i = 1; i < argc; i++) std::cout << (i > 1 ? "," : "") << argv[i]; std::cout << "\\n"; }',
    runtimeError: '#include <stdexcept>\nint main() { throw std::runtime_error("boom"); }',
    runtimeErrorText: /boom/,
    crashBySignal: 'int main() { volatile int* p = nullptr; *p = 1; return 0; }',
  },
  java: {
    hello: 'public class Main { public static void main(String[] a) { System.out.println("Hello, world!"); } }',
    echoStdin:
      'import java.io.*;\npublic class Main { public static void main(String[] a) throws IOException {\n' +
      ' System.out.print(new String(System.in.readAllBytes()).toUpperCase()); } }',
    printArgs: 'public class Main { public static void main(String[] a) { System.out.println(String.join(",", a)); } }',
    runtimeError: 'public class Main { public static void main(String[] a) { throw new IllegalStateException("boom"); } }',
    runtimeErrorText: /IllegalStateException: boom/,
    // the JVM turns SIGSEGV into its own crash report and abort(): SIGKILL is the signal Java cannot handle
    crashBySignal: 'public class Main { public static void main(String[] a) throws Exception {\n' +
      ' new ProcessBuilder("kill", "-KILL", String.valueOf(ProcessHandle.current().pid())).start().waitFor(); Thread.sleep(5000); } }',
    crashSignal: 'SIGKILL',
  },
};

describe.each(Object.entries(programs))('%s', (language, p) => {
  test('hello world prints and exits 0', async () => {
    const r = await server().execute({ language, code: p.hello });
    expect(r).toMatchObject({ status: 'ok', language, exitCode: 0, signal: null, stdout: 'Hello, world!\n', stderr: '', truncated: false });
    expect(r.output).toBe('Hello, world!\n');
    expect(r.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.timeMs).toBeGreaterThan(0);
    expect(r.cpuTimeMs).toBeGreaterThan(0);
    expect(r.memoryKb).toBeGreaterThan(0);
  });

  test('stdin reaches the program', async () => {
    const r = await server().execute({ language, code: p.echoStdin, stdin: 'abc\nxyz' });
    expect(r.status).toBe('ok');
    expect(r.stdout).toBe('ABC\nXYZ');
  });

  test('args reach the program', async () => {
    const r = await server().execute({ language, code: p.printArgs, args: ['one', 'two words', '--three'] });
    expect(r.status).toBe('ok');
    expect(r.stdout).toBe('one,two words,--three\n');
  });

  test('an uncaught error is a runtime_error with the message on stderr', async () => {
    const r = await server().execute({ language, code: p.runtimeError });
    expect(r.status).toBe('runtime_error');
    expect(r.exitCode === null ? r.signal : r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(p.runtimeErrorText);
  });

  test('a crash by signal reports the signal', async () => {
    const r = await server().execute({ language, code: p.crashBySignal });
    expect(r.status).toBe('runtime_error');
    expect(r.signal).toBe(p.crashSignal ?? 'SIGSEGV');
    expect(r.exitCode).toBeNull();
  });
});

describe('compile errors', () => {
  test('cpp: the compiler message names the line', async () => {
    const r = await server().execute({ language: 'cpp', code: '#include <iostream>\nint main() {\n  int x = ;\n}\n' });
    expect(r.status).toBe('compile_error');
    expect(r.compile).toMatchObject({ status: 'compile_error' });
    expect(r.compile!.exitCode).not.toBe(0);
    expect(r.compile!.output).toMatch(/main\.cpp:3:\d+: error/);
    expect(r.output).toBe(r.compile!.output);
  });

  test('java: the compiler message names the line', async () => {
    const r = await server().execute({ language: 'java', code: 'public class Main {\n  public static void main(String[] a) {\n    int x = "no";\n  }\n}\n' });
    expect(r.status).toBe('compile_error');
    expect(r.compile!.output).toMatch(/Main\.java:3: error: incompatible types/);
  });

  test('a successful compile is reported alongside the run', async () => {
    const r = await server().execute({ language: 'cpp', code: programs.cpp!.hello });
    expect(r.compile).toMatchObject({ status: 'ok', exitCode: 0, output: '' });
    expect(r.compile!.timeMs).toBeGreaterThan(0);
  });
});

describe('java class names', () => {
  test('a public class with any name runs', async () => {
    const r = await server().execute({ language: 'java', code: 'public class Solution {\n  public static void main(String[] a) { System.out.println("solved"); }\n}\n' });
    expect(r).toMatchObject({ status: 'ok', stdout: 'solved\n' });
  });

  test('main in a non-public class next to helpers runs', async () => {
    const code = '// class Decoy is only a comment\nclass Helper { static int two() { return 2; } }\nclass App {\n  public static void main(String[] a) { System.out.println(Helper.two()); }\n}\n';
    const r = await server().execute({ language: 'java', code });
    expect(r).toMatchObject({ status: 'ok', stdout: '2\n' });
  });

  test('a contest Solution with nested classes declared before main runs Solution', async () => {
    const code = [
      'import java.util.*;',
      'public class Solution {',
      '  static class Node { final int id; Node(int id) { this.id = id; } }',
      '  static class Event implements Comparable<Event> {',
      '    final int time; final Node node;',
      '    Event(int time, Node node) { this.time = time; this.node = node; }',
      '    public int compareTo(Event o) { return Integer.compare(time, o.time); }',
      '  }',
      '  record Pair<A, B>(A first, B second) {}',
      '  public static void main(String[] args) {',
      '    PriorityQueue<Event> q = new PriorityQueue<>();',
      '    Scanner in = new Scanner(System.in);',
      '    for (int i = 0; in.hasNextInt(); i++) q.add(new Event(in.nextInt(), new Node(i)));',
      '    StringBuilder order = new StringBuilder();',
      '    while (!q.isEmpty()) order.append(q.poll().node.id);',
      '    System.out.println(new Pair<>("order", order));',
      '  }',
      '}',
    ].join('\n');
    const r = await server().execute({ language: 'java', code, stdin: '30 10 20' });
    expect(r).toMatchObject({ status: 'ok', stdout: 'Pair[first=order, second=120]\n', stderr: '' });
  });

  test('a program in a package runs, and runs the same from the compile cache', async () => {
    const code = [
      `// ${Math.random().toString(36).slice(2)}: a build not cached yet`,
      'package com.example;',
      '',
      'class Greeter { static String greet(String who) { return "hello from " + who; } }',
      '',
      'public class Main {',
      '  static class Inner { String where() { return Main.class.getName(); } }',
      '  public static void main(String[] args) { System.out.println(Greeter.greet(new Inner().where())); }',
      '}',
    ].join('\n');
    const first = await server().execute({ language: 'java', code });
    const second = await server().execute({ language: 'java', code });
    expect(first).toMatchObject({ status: 'ok', stdout: 'hello from com.example.Main\n', stderr: '', compile: { status: 'ok', cached: false } });
    expect(second).toMatchObject({ status: 'ok', stdout: 'hello from com.example.Main\n', stderr: '', compile: { status: 'ok', cached: true } });
  });

  test('code without main is a compile_error that says so, and javac never runs', async () => {
    const code = 'public class Main {\n  // public static void main(String[] args) {}\n  static int helper() { return 1; }\n}\n';
    // twice: a rejected source is never cached as a build
    for (let attempt = 0; attempt < 2; attempt++) {
      const r = await server().execute({ language: 'java', code });
      expect(r.status).toBe('compile_error');
      expect(r.compile).toMatchObject({ status: 'compile_error', exitCode: null, cached: false });
      expect(r.compile!.output).toMatch(/no class declares `public static void main\(String\[\] args\)`/);
      expect(r.output).toBe(r.compile!.output);
      expect(r.exitCode).toBeNull();
    }
  });

  test('a public class named past what a file name may hold is a compile_error that says so, not an internal error', async () => {
    const name = `C${'x'.repeat(299)}`;
    const code = `public class ${name} {\n  public static void main(String[] a) { System.out.println("never"); }\n}\n`;
    const r = await server().execute({ language: 'java', code });
    expect(r).toMatchObject({ status: 'compile_error', exitCode: null, stdout: '', compile: { status: 'compile_error', exitCode: null, cached: false } });
    expect(r.compile!.output).toMatch(/^public class Cx+… has a name of 300 bytes, too long for its files: .*a file name may be at most 255 bytes \(a class name at most 249\)$/m);
    // the same code in a program of several files, the class in a file the user named
    const several = await server().execute({ language: 'java', files: [{ name: 'Main.java', content: code }, { name: 'Util.java', content: 'class Util {}' }] });
    expect(several).toMatchObject({ status: 'compile_error', compile: { status: 'compile_error', exitCode: null } });
    expect(several.compile!.output).toMatch(/^Main\.java \(the entry file\): public class Cx+… has a name of 300 bytes/);
  });
});

describe('aliases and output', () => {
  test.each([
    ['py', 'python'],
    ['js', 'javascript'],
    ['node', 'javascript'],
    ['c++', 'cpp'],
    ['Python3', 'python'],
  ])('%s runs as %s', async (alias, id) => {
    const code = id === 'python' ? 'print(1)' : id === 'javascript' ? 'console.log(1)' : '#include <cstdio>\nint main(){puts("1");}';
    const r = await server().execute({ language: alias, code });
    expect(r).toMatchObject({ status: 'ok', language: id, stdout: '1\n' });
  });

  test('stdout and stderr keep their arrival order in output', async () => {
    // two pipes: writes within the same instant may be read in either order, so space them out
    const r = await server().execute({ language: 'python', code: 'import sys, time\nprint("a")\ntime.sleep(0.05)\nprint("b", file=sys.stderr)\ntime.sleep(0.05)\nprint("c")' });
    expect(r.output).toBe('a\nb\nc\n');
    expect(r.stdout).toBe('a\nc\n');
    expect(r.stderr).toBe('b\n');
  });

  test('invalid UTF-8 output is replaced, not a crash', async () => {
    const r = await server().execute({ language: 'python', code: 'import sys\nsys.stdout.buffer.write(b"ok \\xff\\xfe end\\n")' });
    expect(r.status).toBe('ok');
    expect(r.stdout).toBe('ok \uFFFD\uFFFD end\n');
  });

  test('unicode in code, stdin and output round-trips', async () => {
    const r = await server().execute({ language: 'javascript', code: 'console.log("héllo ✓ " + require("fs").readFileSync(0, "utf8"))', stdin: '日本' });
    expect(r.stdout).toBe('héllo ✓ 日本\n');
  });
});

/**
 * Thread-heavy programs, each holding `n` threads alive at once: every thread waits until
 * the last one has started. On a refused thread the C++ program says how many it got and
 * exits 0 (the case only `processLimitHit` tells apart); the JVM throws and exits 1 (daemon
 * threads: the ones started do not keep it alive).
 */
const manyThreads = {
  cpp:
    '#include <cstdio>\n#include <cstdlib>\n#include <latch>\n#include <system_error>\n#include <thread>\n#include <vector>\n' +
    'int main(int argc, char** argv) {\n' +
    '  std::latch release(1);\n' +
    '  std::vector<std::thread> threads;\n' +
    '  try {\n' +
    '    for (int i = 0; i < std::atoi(argv[1]); i++) threads.emplace_back([&] { release.wait(); });\n' +
    '  } catch (const std::system_error&) {\n' +
    '    std::printf("refused after %zu\\n", threads.size());\n' +
    '  }\n' +
    '  release.count_down();\n' +
    '  for (auto& t : threads) t.join();\n' +
    '  std::printf("%zu threads alive at once\\n", threads.size());\n' +
    '}\n',
  java:
    'import java.util.*;\nimport java.util.concurrent.CountDownLatch;\n' +
    'public class Main { public static void main(String[] a) throws Exception {\n' +
    '  CountDownLatch release = new CountDownLatch(1);\n' +
    '  List<Thread> threads = new ArrayList<>();\n' +
    '  for (int i = 0; i < Integer.parseInt(a[0]); i++) {\n' +
    '    Thread t = new Thread(() -> { try { release.await(); } catch (InterruptedException e) { } });\n' +
    '    t.setDaemon(true);\n' +
    '    t.start();\n' +
    '    threads.add(t);\n' +
    '  }\n' +
    '  release.countDown();\n' +
    '  for (Thread t : threads) t.join();\n' +
    '  System.out.println(threads.size() + " threads alive at once");\n' +
    '} }\n',
};

describe('threads', () => {
  test.each(Object.entries(manyThreads))('%s: 300 threads alive at once run under the default limits', async (language, code) => {
    const r = await server().execute({ language, code, args: ['300'] });
    expect(r).toMatchObject({ status: 'ok', stdout: '300 threads alive at once\n', processLimitHit: false, processLimit: server().config.runProcesses });
  });

  test('cpp: a program may have exactly `limits.processes` threads, the sandbox launcher not counted', async () => {
    const fits = await server().execute({ language: 'cpp', code: manyThreads.cpp, args: ['19'], limits: { processes: 20 } });
    expect(fits).toMatchObject({ status: 'ok', stdout: '19 threads alive at once\n', processLimitHit: false });
    const over = await server().execute({ language: 'cpp', code: manyThreads.cpp, args: ['50'], limits: { processes: 20 } });
    // main + 19 threads: the 20th thread is refused; the program copes and exits 0
    expect(over).toMatchObject({ status: 'ok', stdout: 'refused after 19\n19 threads alive at once\n', processLimitHit: true, processLimit: 20 });
  });

  test('java: a refused thread is reported as the process limit, not as memory_limit', async () => {
    const r = await server().execute({ language: 'java', code: manyThreads.java, args: ['50'], limits: { processes: 20 } });
    expect(r.stderr).toMatch(/unable to create native thread/);
    expect(r).toMatchObject({ status: 'runtime_error', processLimitHit: true, processLimit: 20 });
  });
});
