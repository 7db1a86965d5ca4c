/**
 * Finds where in the user's code a compiler error or a runtime crash points, so the
 * editor can mark the line. One rule set per language, as data.
 */
import type { ExecuteResponse, JudgeResponse } from './api.js';

export interface Diagnostic {
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
  // main.cpp:3:11: error: expected primary-expression before ';' token
  cpp: { compile: /^(?:.*\/)?main\.cpp:(?<line>\d+):(?<column>\d+): (?<severity>error|warning): (?<message>.*)$/gm, innermost: 'first' },
  // Main.java:3: error: incompatible types: String cannot be converted to int
  // at Main.main(Main.java:4)
  java: {
    compile: /^(?:.*\/)?\w+\.java:(?<line>\d+): (?<severity>error|warning): (?<message>.*)$/gm,
    runtimeFrame: /\bat [\w$.<>]+\(\w+\.java:(?<line>\d+)\)/g,
    innermost: 'first',
  },
  // File "/home/exec_.../main.py", line 2, in f
  python: { runtimeFrame: /File "[^"]*main\.py", line (?<line>\d+)/g, innermost: 'last' },
  // /home/exec_.../main.js:2   or   at f (/home/exec_.../main.js:2:9)
  javascript: { runtimeFrame: /main\.js:(?<line>\d+)(?::(?<column>\d+))?/g, innermost: 'first' },
  // main.c:2:11: error: expected expression before ';' token
  c: { compile: /^(?:.*\/)?main\.c:(?<line>\d+):(?<column>\d+): (?<severity>error|warning): (?<message>.*)$/gm, innermost: 'first' },
  // Node strips the types and runs: a syntax error is a crash too
  // file:///home/exec_.../main.ts:1   or   at f (/home/exec_.../main.ts:2:9)
  typescript: { runtimeFrame: /main\.ts:(?<line>\d+)(?::(?<column>\d+))?/g, innermost: 'first' },
  // ./main.go:5:2: undefined: y          panic: ... main.f(...)\n\t/home/exec_.../main.go:6
  go: {
    compile: /^(?:.*\/)?main\.go:(?<line>\d+):(?<column>\d+): (?<message>.*)$/gm,
    runtimeFrame: /main\.go:(?<line>\d+)/g,
    innermost: 'first',
  },
  // error[E0308]: mismatched types\n --> main.rs:2:18      panicked at 'boom', main.rs:3:20
  rust: {
    compile: /^(?<severity>error|warning)(?:\[\w+\])?: (?<message>.*)\n\s*--> (?:.*\/)?main\.rs:(?<line>\d+):(?<column>\d+)/gm,
    runtimeFrame: /main\.rs:(?<line>\d+):(?<column>\d+)/g,
    innermost: 'first',
  },
  // main.rb:4:in `f': boom (ArgumentError)      main.rb:2: syntax error, unexpected ...
  ruby: { runtimeFrame: /main\.rb:(?<line>\d+)/g, innermost: 'first' },
  // main.sh: line 4: nosuchcommand: command not found
  bash: { runtimeFrame: /main\.sh: line (?<line>\d+)/g, innermost: 'first' },
  // Fatal error: Uncaught RuntimeException: boom in /home/exec_.../main.php:4
  // Parse error: syntax error, unexpected token ";" in /home/exec_.../main.php on line 2
  php: { runtimeFrame: /main\.php(?::| on line )(?<line>\d+)/g, innermost: 'first' },
};

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

export function compileDiagnostics(language: string, output: string): Diagnostic[] {
  const rule = RULES[language]?.compile;
  if (!rule) return [];
  return [...output.matchAll(rule)].map((m) => ({
    line: Number(m.groups!.line),
    column: Number(m.groups!.column ?? 1),
    message: m.groups!.message!,
    severity: m.groups!.severity === 'warning' ? 'warning' : 'error',
  }));
}

export function runtimeDiagnostics(language: string, stderr: string): Diagnostic[] {
  const rules = RULES[language];
  if (!rules?.runtimeFrame) return [];
  const frames = [...stderr.matchAll(rules.runtimeFrame)];
  const frame = rules.innermost === 'last' ? frames.at(-1) : frames[0];
  if (!frame) return [];
  return [{ line: Number(frame.groups!.line), column: Number(frame.groups!.column ?? 1), message: crashSummary(stderr), severity: 'error' }];
}

/**
 * Where a run's or a verdict's failure points in the code: the compiler's messages, else the
 * crash trace (a run's stderr, or the first crashing test's for a verdict).
 */
export function diagnose(language: string, r: ExecuteResponse | JudgeResponse): Diagnostic[] {
  if (r.status === 'compile_error') return compileDiagnostics(language, r.compile?.output ?? '');
  if ('tests' in r) {
    const crashed = r.tests.find((t) => t.status === 'runtime_error' && t.stderr);
    return crashed?.stderr ? runtimeDiagnostics(language, crashed.stderr) : [];
  }
  return r.status === 'ok' ? [] : runtimeDiagnostics(language, r.stderr);
}
