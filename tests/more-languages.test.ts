import { describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { diagnose } from '../frontend/lib/diagnostics.js';
import type { ExecuteResponse } from '../backend/src/protocol.js';
import { LiveClient } from './helpers/live.js';
import { useRunbox } from './helpers/runbox.js';

/**
 * The languages beyond the core four, each through the real API in a real jail: what a
 * program sees (stdin, args), how it fails (the compiler's or the runtime's message, and the
 * line the playground marks for it), that a memory bomb ends as `memory_limit`, and that
 * compiled languages come from the compile cache the second time. Every toolchain here is
 * installed by scripts/setup.sh by default.
 */

const server = useRunbox();

interface Failure {
  code: string;
  status: 'compile_error' | 'runtime_error';
  /** What the compiler or runtime says, in `output`. */
  text: RegExp;
  /** Where the playground's marker goes: null when the failure carries no line (a C abort). */
  line: number | null;
  column?: number;
}

interface Programs {
  /** Upper-cases all of stdin to stdout. */
  echoStdin: string;
  /** Prints its arguments joined by commas, and a newline. */
  printArgs: string;
  /** A compile error for compiled languages; for interpreted ones a syntax error, caught as the program starts. */
  badSource: Failure;
  runtimeError: Failure;
  /** Allocates and touches memory until something stops it. */
  memoryBomb: string;
  compiled: boolean;
}

const programs: Record<string, Programs> = {
  c: {
    echoStdin: '#include <ctype.h>\n#include <stdio.h>\nint main(void) { int c; while ((c = getchar()) != EOF) putchar(toupper(c)); return 0; }\n',
    printArgs: '#include <stdio.h>\nint main(int argc, char **argv) {\n  for (int i = 1; i < argc; i++) printf("%s%s", i > 1 ? "," : "", argv[i]);\n  printf("\\n");\n  return 0;\n}\n',
    badSource: { code: '#include <stdio.h>\nint main(void) {\n  int x = ;\n  return 0;\n}\n', status: 'compile_error', text: /main\.c:3:11: error: expected expression/, line: 3, column: 11 },
    runtimeError: { code: '#include <stdio.h>\n#include <stdlib.h>\nint main(void) {\n  fprintf(stderr, "boom\\n");\n  abort();\n}\n', status: 'runtime_error', text: /boom/, line: null },
    memoryBomb: '#include <stdlib.h>\n#include <string.h>\nint main(void) {\n  for (;;) { char *p = malloc(1 << 24); if (!p) return 3; memset(p, 1, 1 << 24); }\n}\n',
    compiled: true,
  },
  typescript: {
    echoStdin: 'const input: string = require("fs").readFileSync(0, "utf8");\nprocess.stdout.write(input.toUpperCase());\n',
    printArgs: 'const args: string[] = process.argv.slice(2);\nconsole.log(args.join(","));\n',
    badSource: { code: 'const x: number = 1;\nconst y: number = ;\n', status: 'runtime_error', text: /SyntaxError/, line: 2 },
    runtimeError: { code: 'function f(n: number): never {\n  throw new RangeError("boom " + n);\n}\nf(1);\n', status: 'runtime_error', text: /RangeError: boom 1/, line: 2 },
    memoryBomb: 'const keep: string[][] = [];\nfor (;;) keep.push(new Array(1e6).fill("x" + Math.random()));\n',
    compiled: false,
  },
  go: {
    echoStdin: 'package main\n\nimport (\n\t"io"\n\t"os"\n\t"strings"\n)\n\nfunc main() {\n\tb, _ := io.ReadAll(os.Stdin)\n\tos.Stdout.WriteString(strings.ToUpper(string(b)))\n}\n',
    printArgs: 'package main\n\nimport (\n\t"fmt"\n\t"os"\n\t"strings"\n)\n\nfunc main() {\n\tfmt.Println(strings.Join(os.Args[1:], ","))\n}\n',
    badSource: { code: 'package main\n\nfunc main() {\n\tvar x int = "no"\n\t_ = x\n}\n', status: 'compile_error', text: /main\.go:4:14: cannot use "no"/, line: 4, column: 14 },
    runtimeError: {
      code: 'package main\n\nimport "os"\n\nfunc at(a []int) int {\n\treturn a[len(os.Args)+2]\n}\n\nfunc main() {\n\tprintln(at([]int{1}))\n}\n',
      status: 'runtime_error',
      text: /panic: runtime error: index out of range \[4\] with length 1/,
      line: 6,
    },
    memoryBomb: 'package main\n\nfunc main() {\n\tvar keep [][]byte\n\tfor {\n\t\tb := make([]byte, 16<<20)\n\t\tfor i := range b {\n\t\t\tb[i] = 1\n\t\t}\n\t\tkeep = append(keep, b)\n\t}\n}\n',
    compiled: true,
  },
  rust: {
    echoStdin: 'use std::io::Read;\n\nfn main() {\n    let mut s = String::new();\n    std::io::stdin().read_to_string(&mut s).unwrap();\n    print!("{}", s.to_uppercase());\n}\n',
    printArgs: 'fn main() {\n    let args: Vec<String> = std::env::args().skip(1).collect();\n    println!("{}", args.join(","));\n}\n',
    badSource: { code: 'fn main() {\n    let x: i32 = "no";\n    println!("{}", x);\n}\n', status: 'compile_error', text: /error\[E0308\]: mismatched types\n\s*--> main\.rs:2:18/, line: 2, column: 18 },
    runtimeError: {
      code: 'fn at(v: &[i32], i: usize) -> i32 {\n    v[i]\n}\n\nfn main() {\n    let n = std::env::args().count() + 2;\n    println!("{}", at(&[1], n));\n}\n',
      status: 'runtime_error',
      text: /panicked at .*index out of bounds: the len is 1 but the index is 4/s,
      line: 2,
      column: 5,
    },
    memoryBomb: 'fn main() {\n    let mut keep: Vec<Vec<u8>> = Vec::new();\n    loop {\n        keep.push(vec![7u8; 16 << 20]);\n    }\n}\n',
    compiled: true,
  },
  ruby: {
    echoStdin: 'print STDIN.read.upcase\n',
    printArgs: 'puts ARGV.join(",")\n',
    badSource: { code: 'puts "never"\nputs(1 +)\n', status: 'runtime_error', text: /main\.rb:2: syntax error/, line: 2 },
    runtimeError: { code: 'def f\n  raise ArgumentError, "boom"\nend\n\nf\n', status: 'runtime_error', text: /main\.rb:2:in `f': boom \(ArgumentError\)/, line: 2 },
    memoryBomb: 'keep = []\nloop { keep << ("x" * (16 << 20)) }\n',
    compiled: false,
  },
  bash: {
    echoStdin: 'IFS= read -r -d "" input\nprintf "%s" "${input^^}"\n',
    printArgs: 'IFS=,\necho "$*"\n',
    badSource: { code: 'echo one\nfi\n', status: 'runtime_error', text: /main\.sh: line 2: syntax error near unexpected token `fi'/, line: 2 },
    runtimeError: { code: 'set -e\nf() {\n  nosuchcommand_runbox\n}\nf\necho never\n', status: 'runtime_error', text: /main\.sh: line 3: nosuchcommand_runbox: command not found/, line: 3 },
    memoryBomb: 's=xxxxxxxxxxxxxxxx\nwhile :; do s=$s$s; done\n',
    compiled: false,
  },
  php: {
    echoStdin: '<?php\necho strtoupper(stream_get_contents(STDIN));\n',
    printArgs: '<?php\necho implode(",", array_slice($argv, 1)), "\\n";\n',
    badSource: { code: '<?php\n$x = 1;\n$y = ;\n', status: 'runtime_error', text: /Parse error: syntax error, unexpected token ";" in \S*main\.php on line 3/, line: 3 },
    runtimeError: { code: '<?php\nfunction f() {\n    throw new RuntimeException("boom");\n}\nf();\n', status: 'runtime_error', text: /Uncaught RuntimeException: boom in \S*main\.php:3/, line: 3 },
    memoryBomb: '<?php\n$keep = [];\nwhile (true) { $keep[] = str_repeat("x", 1 << 24); }\n',
    compiled: false,
  },
};

/** A comment that makes the source new to the compile cache. */
function fresh(language: string): string {
  const nonce = `a build not cached yet: ${Math.random().toString(36).slice(2)}`;
  return language === 'bash' || language === 'ruby' ? `# ${nonce}\n` : `// ${nonce}\n`;
}

/** What the playground would mark in the editor for this result. */
// a one-file program: whatever its file is called, the markers are in it
const markers = (language: string, r: ExecuteResponse) => diagnose(language, r, ['the-program']);

describe('every added language is offered, with its real version', () => {
  test('/api/languages lists them, each template prints Hello, world!', async () => {
    const reply = await server().request('GET', '/api/languages');
    expect(reply.status).toBe(200);
    const offered = reply.json as { id: string; version: string | null; compiled: boolean; template: string }[];
    for (const [language, p] of Object.entries(programs)) {
      const entry = offered.find((l) => l.id === language);
      expect(entry).toMatchObject({ compiled: p.compiled, version: expect.stringMatching(/^\d+\.\d+/) });
      const r = await server().execute({ language, code: entry!.template });
      expect(r).toMatchObject({ language, status: 'ok', exitCode: 0, stdout: 'Hello, world!\n', stderr: '' });
    }
  });
});

describe.each(Object.entries(programs))('%s', (language, p) => {
  test('stdin reaches the program', async () => {
    const r = await server().execute({ language, code: p.echoStdin, stdin: 'abc\nxyz' });
    expect(r).toMatchObject({ status: 'ok', stdout: 'ABC\nXYZ' });
  });

  test('args reach the program', async () => {
    const r = await server().execute({ language, code: p.printArgs, args: ['one', 'two words', '--three'] });
    expect(r).toMatchObject({ status: 'ok', stdout: 'one,two words,--three\n' });
  });

  test(`bad source is a ${p.badSource.status} that the editor marks on its line`, async () => {
    const r = await server().execute({ language, code: p.badSource.code });
    expect(r.status).toBe(p.badSource.status);
    expect(r.output).toMatch(p.badSource.text);
    if (p.compiled) expect(r.compile).toMatchObject({ status: 'compile_error', cached: false });
    const [first] = markers(language, r);
    expect(first).toMatchObject({ line: p.badSource.line, severity: 'error', ...(p.badSource.column ? { column: p.badSource.column } : {}) });
  });

  test('a runtime error is a runtime_error with the message and its line', async () => {
    const r = await server().execute({ language, code: p.runtimeError.code, args: ['x'] });
    expect(r.status).toBe('runtime_error');
    expect(r.exitCode === null ? r.signal : r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(p.runtimeError.text);
    const found = markers(language, r);
    if (p.runtimeError.line === null) expect(found).toEqual([]);
    else expect(found[0]).toMatchObject({ line: p.runtimeError.line, ...(p.runtimeError.column ? { column: p.runtimeError.column } : {}) });
  });

  test('a memory bomb ends as memory_limit', async () => {
    const r = await server().execute({ language, code: p.memoryBomb, limits: { memoryMb: 64 } });
    expect(r.status).toBe('memory_limit');
    // the peak as the cgroup counts it may pass the limit by a page or so (as in attacks.test)
    expect(r.memoryKb).toBeLessThanOrEqual(64 * 1024 + 1024);
  });

  if (p.compiled) {
    test('the same code again comes from the compile cache', async () => {
      const code = fresh(language) + p.printArgs;
      const first = await server().execute({ language, code, args: ['a'] });
      const second = await server().execute({ language, code, args: ['b'] });
      expect(first).toMatchObject({ status: 'ok', stdout: 'a\n', compile: { status: 'ok', cached: false } });
      expect(second).toMatchObject({ status: 'ok', stdout: 'b\n', compile: { status: 'ok', cached: true } });
    });
  }
});

describe('language specifics', () => {
  test('typescript: enums and namespaces run (types are transformed, not only stripped)', async () => {
    const code = 'enum Color { Red, Green }\nnamespace Shapes { export const sides = 4; }\ninterface P { c: Color }\nconst p: P = { c: Color.Green };\nconsole.log(p.c, Color[p.c], Shapes.sides);\n';
    const r = await server().execute({ language: 'typescript', code });
    expect(r).toMatchObject({ status: 'ok', stdout: '1 Green 4\n', stderr: '' });
  });

  test('typescript: a type error does not stop the run (the editor shows it; Node only strips types)', async () => {
    const r = await server().execute({ language: 'ts', code: 'const n: number = "not a number" as any;\nconsole.log(n);\n' });
    expect(r).toMatchObject({ status: 'ok', language: 'typescript', stdout: 'not a number\n' });
  });

  test('go: the language’s variables reach the program', async () => {
    const code =
      fresh('go') +
      'package main\n\nimport (\n\t"fmt"\n\t"os"\n\t"strings"\n)\n\n' +
      'func main() {\n\tfmt.Println(os.Getenv("GOTOOLCHAIN"), os.Getenv("GOTELEMETRY"), strings.TrimPrefix(os.Getenv("GOCACHE"), os.Getenv("HOME")))\n}\n';
    const r = await server().execute({ language: 'go', code });
    expect(r).toMatchObject({ status: 'ok', stdout: 'local off /.cache/go-build\n' });
  });

  test('go: each compile starts from its own copy of the build cache prepared at start; a run that wrecks its copy harms no other run', async () => {
    const prepared = server().config.archiveDir;
    const source = readdirSync(prepared).find((name) => name.startsWith('go-build-cache-'));
    expect(source).toBeDefined();
    const tree = path.join(prepared, source!);
    const snapshot = () => {
      const files: Record<string, string> = {};
      const walk = (dir: string) => {
        for (const e of readdirSync(dir, { withFileTypes: true })) {
          const p = path.join(dir, e.name);
          if (e.isDirectory()) walk(p);
          else files[path.relative(tree, p)] = `${statSync(p).mode.toString(8)} ${statSync(p).uid} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
        }
      };
      walk(tree);
      return files;
    };
    const before = snapshot();
    expect(Object.keys(before).length).toBeGreaterThan(10);
    // root's and read-only: nothing a run could write even if it reached the tree
    for (const info of Object.values(before)) expect(info).toMatch(/^100444 0 /);
    // the run's copy is its own: it empties every file of it and removes the rest
    const wreck =
      fresh('go') +
      'package main\n\nimport (\n\t"fmt"\n\t"io/fs"\n\t"os"\n\t"path/filepath"\n)\n\n' +
      'func main() {\n\tn := 0\n\tfilepath.WalkDir(os.Getenv("GOCACHE"), func(p string, d fs.DirEntry, err error) error {\n\t\tif err == nil && !d.IsDir() && os.WriteFile(p, []byte("x"), 0o600) == nil {\n\t\t\tn++\n\t\t}\n\t\treturn nil\n\t})\n\tfmt.Println("overwrote", n > 10)\n}\n';
    expect(await server().execute({ language: 'go', code: wreck })).toMatchObject({ status: 'ok', stdout: 'overwrote true\n' });
    expect(snapshot()).toEqual(before);
    const next = await server().execute({ language: 'go', code: fresh('go') + 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("fine")\n}\n' });
    expect(next).toMatchObject({ status: 'ok', stdout: 'fine\n' });
  });

  test('go: the go command’s caches are the run’s own, fresh for every run and never part of the cached build', async () => {
    const code =
      fresh('go') +
      'package main\n\nimport (\n\t"fmt"\n\t"io/fs"\n\t"os"\n\t"path/filepath"\n)\n\n' +
      'func main() {\n\tentries, _ := os.ReadDir(".")\n\tfor _, e := range entries {\n\t\tfmt.Print(e.Name(), " ")\n\t}\n' +
      '\tfiles := 0\n\tfilepath.WalkDir(".cache", func(p string, d fs.DirEntry, err error) error {\n\t\tif err == nil && !d.IsDir() {\n\t\t\tfiles++\n\t\t}\n\t\treturn nil\n\t})\n' +
      '\tfmt.Println("cached files:", files > 0)\n}\n';
    // compiled: the build cache holds what this compile put there
    const first = await server().execute({ language: 'go', code });
    expect(first).toMatchObject({ status: 'ok', stdout: '.cache main main.go cached files: true\n', compile: { status: 'ok', cached: false } });
    // restored from the compile cache: the binary only, and an empty cache of its own
    const second = await server().execute({ language: 'go', code });
    expect(second).toMatchObject({ status: 'ok', stdout: '.cache main main.go cached files: false\n', compile: { status: 'ok', cached: true } });
  });

  test('php: its own memory_limit follows the run’s and reports a memory_limit', async () => {
    const r = await server().execute({ language: 'php', code: programs.php!.memoryBomb, limits: { memoryMb: 64 } });
    expect(r.status).toBe('memory_limit');
    expect(r.stderr).toMatch(/Allowed memory size of \d+ bytes exhausted/);
  });

  test('aliases reach the added languages', async () => {
    for (const [alias, id] of [['golang', 'go'], ['rs', 'rust'], ['rb', 'ruby'], ['sh', 'bash'], ['ts', 'typescript'], ['gcc', 'c']] as const) {
      const r = await server().request('POST', '/api/execute', { language: alias, code: 'x' });
      expect({ alias, status: r.status, language: r.json.language }).toEqual({ alias, status: 200, language: id });
    }
  });
});

describe('live runs: a prompt shows before the input it asks for', () => {
  // as a program written for a terminal would ask; C and Rust flush as they must on a pipe
  const prompts: Record<keyof typeof programs, string> = {
    c: '#include <stdio.h>\nint main(void) {\n  char name[64];\n  printf("name? ");\n  fflush(stdout);\n  if (!fgets(name, sizeof name, stdin)) return 1;\n  printf("hello %s", name);\n  return 0;\n}\n',
    typescript: 'import * as readline from "node:readline";\nconst rl = readline.createInterface({ input: process.stdin, output: process.stdout });\nrl.question("name? ", (name: string) => { console.log(`hello ${name}`); rl.close(); });\n',
    go: 'package main\n\nimport (\n\t"bufio"\n\t"fmt"\n\t"os"\n\t"strings"\n)\n\nfunc main() {\n\tfmt.Print("name? ")\n\tname, _ := bufio.NewReader(os.Stdin).ReadString(\'\\n\')\n\tfmt.Printf("hello %s\\n", strings.TrimSpace(name))\n}\n',
    rust: 'use std::io::{self, Write};\n\nfn main() {\n    print!("name? ");\n    io::stdout().flush().unwrap();\n    let mut name = String::new();\n    io::stdin().read_line(&mut name).unwrap();\n    println!("hello {}", name.trim());\n}\n',
    // Ruby holds output on a pipe back unless STDOUT is in sync mode, which its entry sets
    ruby: 'print "name? "\nname = STDIN.gets.chomp\nputs "hello #{name}"\n',
    bash: 'printf "name? "\nread -r name\necho "hello $name"\n',
    php: '<?php\necho "name? ";\n$name = trim(fgets(STDIN));\necho "hello $name\\n";\n',
  };
  test.each(Object.entries(prompts))('%s', async (language, code) => {
    const live = await LiveClient.start(server().url, { language, code });
    try {
      await live.waitForOutput('name? ', 60000);
      live.send({ type: 'stdin', data: 'Ada\n' });
      await live.waitForOutput('hello Ada\n');
      live.send({ type: 'stdin-eof' });
      expect((await live.exit()).result).toMatchObject({ status: 'ok', stdout: 'name? hello Ada\n' });
    } finally {
      live.close();
    }
  });
});

describe('the judge', () => {
  // the seeded A + B: sums past 32 bits, hidden tests among them
  const aPlusB: Record<keyof typeof programs, string> = {
    c: '#include <stdio.h>\nint main(void) { long long a, b; scanf("%lld %lld", &a, &b); printf("%lld\\n", a + b); return 0; }\n',
    typescript: 'const [a, b]: number[] = require("fs").readFileSync(0, "utf8").trim().split(" ").map(Number);\nconsole.log(a + b);\n',
    go: 'package main\n\nimport "fmt"\n\nfunc main() {\n\tvar a, b int64\n\tfmt.Scan(&a, &b)\n\tfmt.Println(a + b)\n}\n',
    rust: 'use std::io::Read;\n\nfn main() {\n    let mut s = String::new();\n    std::io::stdin().read_to_string(&mut s).unwrap();\n    let n: Vec<i64> = s.split_whitespace().map(|w| w.parse().unwrap()).collect();\n    println!("{}", n[0] + n[1]);\n}\n',
    ruby: 'a, b = STDIN.read.split.map(&:to_i)\nputs a + b\n',
    bash: 'read -r a b\necho $((a + b))\n',
    php: '<?php\n[$a, $b] = array_map("intval", explode(" ", trim(fgets(STDIN))));\necho $a + $b, "\\n";\n',
  };
  test.each(Object.entries(aPlusB))('%s: a right answer is accepted on every test', async (language, code) => {
    const reply = await server().request('POST', '/api/problems/a-plus-b/submissions', { language, code });
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ language, status: 'accepted' });
    expect(reply.json.passed).toBe(reply.json.total);
  });
});

describe('starters', () => {
  test('every added language’s problem starter runs as it is', async () => {
    const offered = (await server().request('GET', '/api/languages')).json as { id: string; starter?: string }[];
    for (const language of Object.keys(programs)) {
      const starter = offered.find((l) => l.id === language)?.starter;
      expect({ language, starter: typeof starter }).toEqual({ language, starter: 'string' });
      const r = await server().execute({ language, code: starter!.replaceAll('{title}', 'A plus B'), stdin: '1 2\n' });
      expect(r).toMatchObject({ language, status: 'ok' });
    }
  });
});

describe('python packages', () => {
  test('numpy is listed by /api/languages with its version', async () => {
    const offered = (await server().request('GET', '/api/languages')).json as { id: string; packages?: { name: string; version: string | null }[] }[];
    const python = offered.find((l) => l.id === 'python');
    expect(python?.packages).toEqual(expect.arrayContaining([{ name: 'numpy', version: expect.stringMatching(/^\d+\.\d+/) }]));
  });

  test('numpy is importable', async () => {
    const r = await server().execute({ language: 'python', code: 'import numpy as np\nprint(np.arange(6).reshape(2, 3).sum(axis=0).tolist())\n' });
    expect(r).toMatchObject({ status: 'ok', stdout: '[3, 5, 7]\n', stderr: '' });
  });
});
