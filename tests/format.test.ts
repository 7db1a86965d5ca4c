import { describe, expect, test } from '@jest/globals';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ApiKeyCreated } from '../backend/src/protocol.js';
import { findLeftovers } from './helpers/leftovers.js';
import { useRunbox } from './helpers/runbox.js';

/**
 * POST /api/format through a real server: each formatter the default install has (gofmt,
 * rustfmt, black, clang-format: scripts/setup.sh installs them) formats a messy program to
 * its text and refuses broken code with its own message and line; the refusals name the
 * field; and a format is a run like any other (a fresh run user in a jail, the run limits,
 * the caller's quotas, nothing left behind), shown with a "formatter" of our own that reports
 * where it runs.
 */

const ADMIN_KEY = 'format-test-admin-key-0123456789';
const SHIPPED = ['go', 'rust', 'python', 'c', 'cpp', 'java'];

/**
 * A language whose formatter is a shell script: it answers where it runs (`whoami`), runs
 * out the clock (`sleep`), leaves a process behind (`linger`), and passes anything else
 * through (the template, which is how it is probed at start).
 */
const SPY_FORMATTER = [
  'code=$(cat)',
  'case "$code" in',
  `  whoami) printf 'uid=%s\\nhome=%s\\npwd=%s\\nroot=%s\\nhomes=%s\\n' "$(id -u)" "$HOME" "$(pwd)" "$(ls / | tr '\\n' ' ')" "$(ls "$(dirname "$HOME")" | tr '\\n' ' ')" ;;`,
  '  sleep) sleep 600 ;;',
  "  linger) setsid sleep 600 >/dev/null 2>&1 & echo left ;;",
  `  *) printf '%s\\n' "$code" ;;`,
  'esac',
].join('\n');
const spy = {
  id: 'spy',
  name: 'Spy',
  monaco: 'shell',
  sourceFile: 'main.sh',
  run: ['sh', '{file}'],
  version: ['sh', '-c', 'echo 1.0.0'],
  toolchain: { commands: ['sh'] },
  template: 'echo hi\n',
  format: { command: ['sh', '-c', SPY_FORMATTER] },
};

function languagesDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runbox-format-languages-'));
  for (const id of SHIPPED) copyFileSync(path.join('backend/languages', `${id}.json`), path.join(dir, `${id}.json`));
  writeFileSync(path.join(dir, 'spy.json'), JSON.stringify(spy));
  return dir;
}

const server = useRunbox({ RUNBOX_LANGUAGES_DIR: languagesDir(), RUNBOX_ADMIN_KEY: ADMIN_KEY });
const format = (body: unknown, headers: Record<string, string> = {}) => server().request('POST', '/api/format', body, headers);

interface Case {
  formatter: string;
  messy: string;
  formatted: string;
  /** broken code, the formatter's words for it and the line it names (clang-format formats anything) */
  broken?: { code: string; message: RegExp; line: number };
}

const CASES: Record<string, Case> = {
  go: {
    formatter: 'gofmt',
    messy: 'package main\nimport "fmt"\nfunc main(){\nx:=[]int{1,2,3}\nfmt.Println( x )\n}\n',
    formatted: 'package main\n\nimport "fmt"\n\nfunc main() {\n\tx := []int{1, 2, 3}\n\tfmt.Println(x)\n}\n',
    broken: { code: 'package main\n\nfunc main() {\n\tx := 1 +\n}\n', message: /5:1: expected operand/, line: 5 },
  },
  rust: {
    formatter: 'rustfmt',
    messy: 'fn main(){let v=vec![1,2,3];for x in &v{println!("{}",x);}}\n',
    formatted: 'fn main() {\n    let v = vec![1, 2, 3];\n    for x in &v {\n        println!("{}", x);\n    }\n}\n',
    broken: { code: 'fn main() {\n    let x = 1 +;\n}\n', message: /expected expression/, line: 2 },
  },
  python: {
    formatter: 'black',
    messy: "def f(a,b):\n  return {'a':a,'b':b}\nprint(f(1,2))\n",
    formatted: 'def f(a, b):\n    return {"a": a, "b": b}\n\n\nprint(f(1, 2))\n',
    broken: { code: 'def f():\n    return 1 +\n', message: /Cannot parse: 2:/, line: 2 },
  },
  c: {
    formatter: 'clang-format',
    messy: '#include <stdio.h>\nint main(void){int x=1;if(x){printf("%d\\n",x);}return 0;}\n',
    formatted: '#include <stdio.h>\nint main(void) {\n    int x = 1;\n    if (x) {\n        printf("%d\\n", x);\n    }\n    return 0;\n}\n',
  },
  cpp: {
    formatter: 'clang-format',
    messy: '#include <iostream>\nint main(){std::cout<<6*7<<"\\n";}\n',
    formatted: '#include <iostream>\nint main() {\n    std::cout << 6 * 7 << "\\n";\n}\n',
  },
};

describe('each formatter of the default install', () => {
  test('/api/languages names the formatter of each language that has one, and of no other', async () => {
    const languages = (await server().request('GET', '/api/languages')).json as { id: string; formatter?: string }[];
    expect(Object.fromEntries(languages.map((l) => [l.id, l.formatter ?? null]))).toEqual({
      c: 'clang-format',
      cpp: 'clang-format',
      go: 'gofmt',
      java: null,
      python: 'black',
      rust: 'rustfmt',
      spy: 'sh',
    });
  });

  test.each(Object.entries(CASES))('%s: a messy program comes back as its formatter writes it', async (language, c) => {
    const reply = await format({ language, code: c.messy });
    expect({ status: reply.status, body: reply.json }).toEqual({ status: 200, body: { code: c.formatted } });
    // formatted code is a fixed point
    expect((await format({ language, code: c.formatted })).json).toEqual({ code: c.formatted });
  });

  test.each(Object.keys(CASES))("%s: the playground's template and a problem's starter are formatted already", async (language) => {
    const entry = JSON.parse(readFileSync(path.join('backend/languages', `${language}.json`), 'utf8')) as { template: string; starter?: string };
    for (const code of [entry.template, entry.starter ?? entry.template]) expect((await format({ language, code })).json).toEqual({ code });
  });

  test.each(Object.entries(CASES).filter(([, c]) => c.broken))("%s: broken code is a 422 with the formatter's own message and the line it names", async (language, c) => {
    const reply = await format({ language, code: c.broken!.code });
    expect(reply.status).toBe(422);
    expect(reply.json).toEqual({ error: 'Cannot format', message: expect.stringMatching(c.broken!.message), line: c.broken!.line });
  });

  test('an alias names the language as it does for a run', async () => {
    expect((await format({ language: 'golang', code: CASES.go!.messy })).json).toEqual({ code: CASES.go!.formatted });
  });
});

describe('refusals name the field', () => {
  test('a language without a formatter is a 400 naming `language`, listing those that format', async () => {
    const reply = await format({ language: 'java', code: 'class Main {}' });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ error: 'No formatter', field: 'language', message: 'java has no formatter on this server' });
    expect([...reply.json.supported].sort()).toEqual(['c', 'cpp', 'go', 'python', 'rust', 'spy']);
  });

  test('an unknown language, a missing or non-string field and an unknown field are 400s naming the field', async () => {
    expect((await format({ language: 'cobol', code: 'x' })).json).toMatchObject({ error: 'Unsupported language', field: 'language' });
    expect((await format({ language: 'go' })).json).toMatchObject({ field: 'code', message: 'code is required and must be a string' });
    expect((await format({ language: 'go', code: 42 })).json).toMatchObject({ field: 'code' });
    expect((await format({ code: 'x' })).json).toMatchObject({ field: 'language' });
    const extra = await format({ language: 'go', code: 'package main\n', stdin: 'x' });
    expect({ status: extra.status, body: extra.json }).toMatchObject({ status: 400, body: { field: 'stdin', message: 'stdin is not a known field' } });
    expect((await format('not json', { 'content-type': 'application/json' })).status).toBe(400);
    expect((await format('language=go', { 'content-type': 'text/plain' })).status).toBe(415);
  });
});

describe('hostile input', () => {
  const GO_HEADER = 'package main\n\nfunc main() {\n';

  test('a program at the code cap formats; one byte over is a 413 naming `code`', async () => {
    const cap = server().config.codeKb * 1024;
    const line = '        _ = 1   \n';
    const lines = Math.floor((cap - GO_HEADER.length - 2) / line.length);
    const code = `${GO_HEADER}${line.repeat(lines)}}\n`;
    expect(Buffer.byteLength(code)).toBeLessThanOrEqual(cap);
    const reply = await format({ language: 'go', code });
    expect({ status: reply.status, code: reply.json.code }).toEqual({ status: 200, code: `${GO_HEADER}${'\t_ = 1\n'.repeat(lines)}}\n` });
    const over = await format({ language: 'go', code: `${code}${'/'.repeat(cap - Buffer.byteLength(code) + 1)}` });
    expect({ status: over.status, body: over.json }).toMatchObject({ status: 413, body: { field: 'code', message: `code must be at most ${server().config.codeKb} KiB` } });
  });

  test('code the formatter would make longer than the output limit is a 422 saying so, never a cut program', async () => {
    // gofmt puts a space after each comma: 2 bytes an element become 3
    const elements = Math.ceil((server().config.outputKb * 1024) / 2.5);
    const reply = await format({ language: 'go', code: `package main\n\nvar x = []int{${'1,'.repeat(elements)}}\n` });
    expect(reply.status).toBe(422);
    expect(reply.json).toEqual({ error: 'Cannot format', message: `the formatted code is longer than the output limit (${server().config.outputKb} KiB)` });
  });

  test('NUL bytes in the code are the formatter’s error, with its line', async () => {
    const reply = await format({ language: 'go', code: 'package main\n\n\0\n' });
    expect(reply.status).toBe(422);
    expect(reply.json).toEqual({ error: 'Cannot format', message: expect.stringMatching(/3:1: illegal character NUL/), line: 3 });
    // black and rustfmt refuse them too, rather than pass them on
    expect((await format({ language: 'python', code: 'x = 1\0\n' })).status).toBe(422);
  });
});

describe('a format is a run', () => {
  test('the formatter runs as a fresh run user (never root) in its own home, inside a jail whose / holds only the toolchains', async () => {
    const reply = await format({ language: 'spy', code: 'whoami' });
    expect(reply.status).toBe(200);
    const seen = Object.fromEntries((reply.json.code as string).trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)));
    const { runUids, homeRoot } = server().config;
    expect(Number(seen.uid)).toBeGreaterThanOrEqual(runUids.min);
    expect(Number(seen.uid)).toBeLessThanOrEqual(runUids.max);
    expect(seen.home).toMatch(new RegExp(`^${homeRoot}/exec_`));
    expect(seen.pwd).toBe(seen.home);
    // the allowlisted root: none of the host's /root, /srv, /opt, /boot, nor the tree this server runs from (unless jails have its top anyway)
    const root = seen.root!.trim().split(' ');
    expect(root).toEqual(expect.arrayContaining(['usr', 'etc', 'tmp', 'proc']));
    const appTop = process.cwd().split('/')[1]!;
    const hidden = ['root', 'srv', 'opt', 'boot', ...(['home', 'usr', 'tmp'].includes(appTop) ? [] : [appTop])];
    expect(hidden.filter((dir) => root.includes(dir))).toEqual([]);
    expect(seen.homes!.trim()).toBe(path.basename(seen.home!));
    // a second format is another user
    const again = await format({ language: 'spy', code: 'whoami' });
    expect(again.json.code).not.toContain(`home=${seen.home}\n`);
  });

  test('a process the formatter leaves behind does not outlive its run', async () => {
    const reply = await format({ language: 'spy', code: 'linger' });
    expect(reply.json).toEqual({ code: 'left\n' });
    // (the server's pool of fresh users is there meanwhile: that no user is left is checked once it is shut down)
    const sleepers = async () => (await findLeftovers(server().config.homeRoot)).processes.filter((p) => p.endsWith(' sleep'));
    const deadline = Date.now() + 10_000;
    while ((await sleepers()).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await sleepers()).toEqual([]);
  });

  test("the caller's caps are the format's limits and its quotas count it: a time cap ends it, the day's runs run out", async () => {
    const created = await server().request('POST', '/api/admin/keys', { name: 'formatter', dailyRuns: 2, caps: { timeMs: 1000 } }, { authorization: `Bearer ${ADMIN_KEY}` });
    expect(created.status).toBe(201);
    const key = { authorization: `Bearer ${(created.json as ApiKeyCreated).key}` };
    const started = Date.now();
    const slow = await format({ language: 'spy', code: 'sleep' }, key);
    expect({ status: slow.status, body: slow.json }).toEqual({ status: 422, body: { error: 'Cannot format', message: "sh did not finish within the run's time limit (1 s)" } });
    expect(Date.now() - started).toBeLessThan(4000);
    const second = await format({ language: 'go', code: CASES.go!.messy }, key);
    expect(second.status).toBe(200);
    expect(second.headers.get('ratelimit-policy')).toBeTruthy();
    const third = await format({ language: 'go', code: CASES.go!.messy }, key);
    expect({ status: third.status, quota: third.json.quota }).toEqual({ status: 429, quota: 'daily' });
    // a refused request costs nothing: a language without a formatter is refused before the quota
    expect((await format({ language: 'java', code: 'x' }, key)).status).toBe(400);
  });
});
