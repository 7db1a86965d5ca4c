/**
 * Finds where in the user's code a compiler error or a runtime crash points, so the
 * editor can mark the line. One rule set per language, as data.
 */
import type { ExecuteResponse, JudgeResponse } from './api.js';

export interface Diagnostic {
  /** the program's file (its tab) the diagnostic is in */
  file: string;
  line: number;
  column: number;
  message: string;
  severity: 'error' | 'warning';
}

interface Rules {
  /** Compiler messages: every match is a diagnostic. */
  compile?: RegExp;
  /** Runtime traces: the frame in the user's file that is closest to the crash. */
  runtimeFrame?: RegExp;
  /** Which frame to take when several match: the innermost call is last in Python, first elsewhere. */
  innermost: 'first' | 'last';
}

const RULES: Record<string, Rules> = {
  // main.cpp:3:11: error: expected primary-expression before ';' token   (or text/strings.h:2:1: ...)
  cpp: { compile: /^(?<file>[^\s:][^:\n]*):(?<line>\d+):(?<column>\d+): (?<severity>error|warning): (?<message>.*)$/gm, innermost: 'first' },
  // Main.java:3: error: incompatible types: String cannot be converted to int
  // at Main.main(Main.java:4)
  java: {
    compile: /^(?<file>[^\s:][^:\n]*\.java):(?<line>\d+): (?<severity>error|warning): (?<message>.*)$/gm,
    runtimeFrame: /\bat [\w$.<>]+\((?<file>[\w$]+\.java):(?<line>\d+)\)/g,
    innermost: 'first',
  },
  // File "main.py", line 2, in f
  python: { runtimeFrame: /File "(?<file>[^"]*)", line (?<line>\d+)/g, innermost: 'last' },
  // main.js:2   or   at f (main.js:2:9)   or   at file:///home/exec_.../main.mjs:2:9 (a result kept from before)
  javascript: { runtimeFrame: /(?:file:\/\/)?(?<file>[\w./-]+\.[cm]?js):(?<line>\d+)(?::(?<column>\d+))?/g, innermost: 'first' },
  // main.c:2:11: error: expected expression before ';' token
  c: { compile: /^(?<file>[^\s:][^:\n]*):(?<line>\d+):(?<column>\d+): (?<severity>error|warning): (?<message>.*)$/gm, innermost: 'first' },
  // Node strips the types and runs: a syntax error is a crash too
  // main.ts:1   or   at f (main.ts:2:9)   (file:///home/exec_.../main.ts:1 in a result kept from before)
  typescript: { runtimeFrame: /(?:file:\/\/)?(?<file>[\w./-]+\.[cm]?ts):(?<line>\d+)(?::(?<column>\d+))?/g, innermost: 'first' },
  // ./main.go:5:2: undefined: y          panic: ... main.f(...)\n\tmain.go:6 +0x1d
  go: {
    compile: /^(?<file>[^\s:][^:\n]*\.go):(?<line>\d+):(?<column>\d+): (?<message>.*)$/gm,
    runtimeFrame: /(?<file>[\w./-]+\.go):(?<line>\d+)/g,
    innermost: 'first',
  },
  // error[E0308]: mismatched types\n --> main.rs:2:18      panicked at 'boom', main.rs:3:20
  rust: {
    compile: /^(?<severity>error|warning)(?:\[\w+\])?: (?<message>.*)\n\s*--> (?<file>[^\s:][^:\n]*\.rs):(?<line>\d+):(?<column>\d+)/gm,
    runtimeFrame: /(?<file>[\w./-]+\.rs):(?<line>\d+):(?<column>\d+)/g,
    innermost: 'first',
  },
  // main.rb:4:in `f': boom (ArgumentError)      main.rb:2: syntax error, unexpected ...
  ruby: { runtimeFrame: /(?<file>[\w./-]+\.rb):(?<line>\d+)/g, innermost: 'first' },
  // main.sh: line 4: nosuchcommand: command not found
  bash: { runtimeFrame: /(?<file>[\w./-]+\.sh): line (?<line>\d+)/g, innermost: 'first' },
  // Fatal error: Uncaught RuntimeException: boom in main.php:4
  // Parse error: syntax error, unexpected token ";" in main.php on line 2
  php: { runtimeFrame: /(?<file>[\w./-]+\.php)(?::| on line )(?<line>\d+)/g, innermost: 'first' },
};

/**
 * The program's file a compiler or a trace names: the path as given (text/strings.h, and
 * lib/math.js: the server shows paths in the run's home as the user's own), under the run's
 * home (/home/exec_.../lib/math.js, in results kept from before it did), or a bare name
 * Java's traces use (Greeter.java for com/example/Greeter.java). A one-file program's is its
 * file whatever it is called (Java names it after the public class). Null for a file not the
 * program's (a library's frame, named by its absolute path).
 */
function programFile(named: string, files: readonly string[]): string | null {
  const inHome = /^\/home\/[^/]+\//.test(named);
  const relative = named.replace(/^\/home\/[^/]+\//, '').replace(/^\.\//, '');
  if (files.includes(relative)) return relative;
  const bySuffix = files.filter((f) => f.endsWith(`/${relative}`));
  if (bySuffix.length === 1) return bySuffix[0]!;
  // a one-file program: whatever the compiler or the run's home calls it, it is that file
  const ours = inHome || !/^[/<]/.test(named);
  return files.length === 1 && ours ? files[0]! : null;
}

/**
 * The line of a trace that says what went wrong: "ValueError: boom", "panic: ...", Ruby's
 * "main.rb:4:in `f': boom (ArgumentError)", PHP's "Fatal error: ...", else the last one.
 */
const CRASH_LINE = /^(Exception in thread|[\w.$]*(Error|Exception)\b|panic: |thread '.*' panicked|(Fatal|Parse) error: )|\(\w*(Error|Exception)\)$/;

function crashSummary(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const named = lines.find((l) => CRASH_LINE.test(l));
  return named ?? lines.at(-1) ?? 'runtime error';
}

export function compileDiagnostics(language: string, output: string, files: readonly string[]): Diagnostic[] {
  const rule = RULES[language]?.compile;
  if (!rule) return [];
  return [...output.matchAll(rule)].flatMap((m) => {
    const file = programFile(m.groups!.file!, files);
    return file ? [{ file, line: Number(m.groups!.line),
    column: Number(m.groups!.column ?? 1),
    message: m.groups!.message!,
    severity: m.groups!.severity === 'warning' ? ('warning' as const) : ('error' as const) }] : [];
  });
}

export function runtimeDiagnostics(language: string, stderr: string, files: readonly string[]): Diagnostic[] {
  const rules = RULES[language];
  if (!rules?.runtimeFrame) return [];
  // frames in the program's own files only: the innermost of those is where it went wrong
  const frames = [...stderr.matchAll(rules.runtimeFrame)].flatMap((m) => {
    const file = programFile(m.groups!.file!, files);
    return file ? [{ file, m }] : [];
  });
  const innermost = rules.innermost === 'last' ? frames.at(-1) : frames[0];
  if (!innermost) return [];
  const frame = innermost.m;
  return [{ file: innermost.file, line: Number(frame.groups!.line), column: Number(frame.groups!.column ?? 1), message: crashSummary(stderr), severity: 'error' }];
}

/**
 * Where a run's or a verdict's failure points in the code: the compiler's messages, else the
 * crash trace (a run's stderr, or its stdout on a terminal, or the first crashing test's for a verdict).
 */
export function diagnose(language: string, r: ExecuteResponse | JudgeResponse, files: readonly string[]): Diagnostic[] {
  if (r.status === 'compile_error') return compileDiagnostics(language, r.compile?.output ?? '', files);
  if ('tests' in r) {
    const crashed = r.tests.find((t) => t.status === 'runtime_error' && t.stderr);
    return crashed?.stderr ? runtimeDiagnostics(language, crashed.stderr, files) : [];
  }
  // a run on a terminal has one stream: its trace is in stdout, with a terminal's line ends
  return r.status === 'ok' ? [] : runtimeDiagnostics(language, r.stderr || r.stdout.replace(/\r\n/g, '\n'), files);
}
