import { describe, expect, test } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExecuteResponse } from '../backend/src/protocol.js';
import { LiveClient } from './helpers/live.js';
import { useRunbox } from './helpers/runbox.js';

/**
 * Live runs on a pseudo-terminal (`start` with `terminal`), through the real server, jail
 * and line discipline: what programs written for a terminal need (prompts before input,
 * isatty, the window size, Ctrl+C / Ctrl+D), and that the terminal is no way out of the
 * jail (the jail's own /dev/pts, no TIOCSTI) and holds up under a flood or a program that
 * never reads. Batch runs keep pipes.
 */

const server = useRunbox({ RUNBOX_LIVE_STDIN_BUFFER_KB: '64' });
const url = () => server().url;
const TERMINAL = { cols: 80, rows: 24 };

function onTerminal(language: string, code: string, extra: Record<string, unknown> = {}): Promise<LiveClient> {
  return LiveClient.start(url(), { language, code, terminal: TERMINAL, ...extra } as Parameters<typeof LiveClient.start>[1]);
}

describe('a live run on a terminal', () => {
  test('a C prompt without a newline shows before any input, and the typed answer is echoed', async () => {
    const code = '#include <stdio.h>\nint main(void) {\n  char name[64];\n  printf("Name? ");\n  if (scanf("%63s", name) != 1) return 1;\n  printf("Hello, %s!\\n", name);\n  return 0;\n}\n';
    const client = await onTerminal('c', code);
    await client.waitForOutput('Name? ', 60000);
    expect(client.text()).not.toContain('Hello');
    client.send({ type: 'stdin', data: 'Ada\r' });
    const exit = await client.exit(30000);
    expect(exit.result.status).toBe('ok');
    // the terminal's echo, then the reply, with a terminal's line ends
    expect(client.text('stdout')).toBe('Name? Ada\r\nHello, Ada!\r\n');
    expect(client.text('stderr')).toBe('');
  }, 90000);

  test("Node's readline question and close: the program exits", async () => {
    const code = "const rl = require('node:readline').createInterface({ input: process.stdin, output: process.stdout });\nrl.question('Your name? ', (name) => {\n  console.log(`Hi ${name}`);\n  rl.close();\n});\n";
    const client = await onTerminal('javascript', code);
    await client.waitForOutput('Your name? ');
    client.send({ type: 'stdin', data: 'Grace\r' });
    const exit = await client.exit(20000);
    expect(exit.result.status).toBe('ok');
    expect(client.text()).toContain('Hi Grace');
  }, 60000);

  test('isatty is true for stdin, stdout and stderr; TERM names a terminal; stderr comes through it', async () => {
    const code = 'import os, sys\nprint(sys.stdin.isatty(), sys.stdout.isatty(), sys.stderr.isatty(), os.environ.get("TERM"))\nprint("on stderr", file=sys.stderr)\nprint(os.ttyname(0))\n';
    const exit = await (await onTerminal('python', code)).exit();
    expect(exit.result.status).toBe('ok');
    expect(exit.result.stdout).toMatch(/^True True True xterm-256color\r\non stderr\r\n\/dev\/pts\/\d+\r\n$/);
    expect(exit.result.stderr).toBe('');
  }, 60000);

  test('the window size is the one asked for, and resize reaches the program as SIGWINCH', async () => {
    const code = 'import os, signal, sys, time\nsignal.signal(signal.SIGWINCH, lambda *_: print("resized", os.get_terminal_size(), flush=True))\nprint("size", os.get_terminal_size(), flush=True)\nsys.stdin.readline()\n';
    const client = await LiveClient.start(url(), { language: 'python', code, terminal: { cols: 100, rows: 30 } } as Parameters<typeof LiveClient.start>[1]);
    await client.waitForOutput('size os.terminal_size(columns=100, lines=30)');
    client.send({ type: 'resize', cols: 132, rows: 43 });
    await client.waitForOutput('resized os.terminal_size(columns=132, lines=43)');
    client.send({ type: 'stdin', data: '\r' });
    expect((await client.exit()).result.status).toBe('ok');
  }, 60000);

  test('Ctrl+C interrupts through the line discipline (SIGINT), and a program may catch it', async () => {
    const loop = await onTerminal('python', 'import time\nprint("looping", flush=True)\nwhile True:\n    time.sleep(0.1)\n');
    await loop.waitForOutput('looping');
    loop.send({ type: 'stdin', data: '\x03' });
    const exit = await loop.exit();
    // Python turns SIGINT into KeyboardInterrupt: a traceback and exit status 130... or the signal
    expect(loop.text()).toContain('KeyboardInterrupt');
    expect(exit.result.status).toBe('runtime_error');

    const c = await onTerminal('c', '#include <signal.h>\n#include <stdio.h>\n#include <unistd.h>\nint main(void) {\n  printf("waiting\\n");\n  fflush(stdout);\n  pause();\n  return 0;\n}\n');
    await c.waitForOutput('waiting', 60000);
    c.send({ type: 'stdin', data: '\x03' });
    const killed = await c.exit();
    expect(killed.result.signal).toBe('SIGINT');
  }, 120000);

  test('Ctrl+D (and stdin-eof) ends the input: a program reading to the end finishes', async () => {
    const code = 'import sys\nlines = sys.stdin.read().splitlines()\nprint("got", len(lines), "lines")\n';
    const typed = await onTerminal('python', code);
    await sleep(300);
    typed.send({ type: 'stdin', data: 'one\rtwo\r\x04' });
    expect((await typed.exit()).result.stdout).toContain('got 2 lines');

    const eof = await onTerminal('python', code);
    eof.send({ type: 'stdin', data: 'three\r' });
    eof.send({ type: 'stdin-eof' });
    expect((await eof.exit()).result.stdout).toContain('got 1 lines');
  }, 60000);

  test('the output a program wrote just before it exited is all there', async () => {
    // within the default 64 KiB output cap, in one write the program exits right after
    const exit = await (await onTerminal('python', 'import sys\nsys.stdout.write("x" * 60000 + "\\nend\\n")\n')).exit();
    expect(exit.result.status).toBe('ok');
    expect(exit.result.stdout.endsWith('end\r\n')).toBe(true);
    expect(exit.result.stdout.length).toBe(60000 + 2 + 5);
  }, 60000);
});

describe('the terminal is no way out', () => {
  test("the jail's /dev/pts holds only this run's terminal, the run user's alone", async () => {
    // another run with a terminal at the same time: its pts is not in this jail
    const other = await onTerminal('bash', 'echo started; read line');
    await other.waitForOutput('started');
    const exit = await (await onTerminal('bash', 'ls /dev/pts; stat -c "%U %a" "$(tty)"')).exit();
    expect(exit.result.status).toBe('ok');
    const [list, owner] = exit.result.stdout.trim().split('\r\n');
    expect(list!.split(/\s+/).sort()).toEqual(['0', 'ptmx']);
    expect(owner).toMatch(/^exec_\w+ 600$/);
    other.send({ type: 'stdin', data: '\r' });
    expect((await other.exit()).result.status).toBe('ok');
  }, 60000);

  test('TIOCSTI (pushing keystrokes into the terminal) and TIOCSETD (another line discipline) are refused', async () => {
    const code =
      'import fcntl, struct, termios\nfor name, arg in (("TIOCSTI", b"x"), ("TIOCSETD", struct.pack("i", 0))):\n    try:\n        fcntl.ioctl(0, getattr(termios, name), arg)\n        print(name, "done")\n    except OSError as e:\n        print(name, "refused", e.errno)\n';
    const exit = await (await onTerminal('python', code)).exit();
    expect(exit.result.stdout).toBe('TIOCSTI refused 1\r\nTIOCSETD refused 1\r\n');
  }, 60000);

  test('nothing of the run outlives it: a background process holding the terminal is killed with the jail', async () => {
    const client = await onTerminal('bash', '(sleep 600 > /dev/tty &) ; echo bye');
    const exit = await client.exit(30000);
    expect(exit.result.status).toBe('ok');
    expect(exit.result.timeMs).toBeLessThan(10000);
    expect(exit.result.stdout).toContain('bye');
  }, 60000);

  test('a background process writing on after the program exited is killed with the jail, not waited for', async () => {
    const exit = await (await onTerminal('bash', '(trap "" HUP; while true; do printf .; sleep 0.01; done) & sleep 0.2; echo bye')).exit(30000);
    expect(exit.result).toMatchObject({ status: 'ok', exitCode: 0 });
    expect(exit.result.timeMs).toBeLessThan(5000);
    expect(exit.result.stdout).toContain('bye');
  }, 60000);

  test('a program that closes its terminal and opens /dev/tty again is still heard and still read', async () => {
    const code = 'exec 0<&- 1>&- 2>&-\nsleep 0.5\nexec </dev/tty >/dev/tty 2>&1\necho again\nread line\necho "got $line"\n';
    const client = await onTerminal('bash', code);
    await client.waitForOutput('again', 10000);
    client.send({ type: 'stdin', data: 'more\r' });
    const exit = await client.exit(10000);
    expect(exit.result.status).toBe('ok');
    expect(client.text()).toContain('got more');
  }, 60000);

  test('no pseudo-terminal of its own: ptmx is closed to the program, with a terminal or pipes', async () => {
    const code = 'try:\n    open("/dev/ptmx", "rb+")\n    print("opened")\nexcept OSError as e:\n    print("refused", e.errno)\n';
    expect((await (await onTerminal('python', code)).exit()).result.stdout).toBe('refused 13\r\n');
    expect((await server().execute({ language: 'python', code })).stdout).toBe('refused 13\n');
  }, 60000);

  test('a program flooding its terminal ends at the output cap, the server unharmed', async () => {
    const client = await onTerminal('bash', 'yes flood');
    const exit = await client.exit(30000);
    expect(exit.result.status).toBe('output_limit');
    expect((await server().request('GET', '/api/health')).status).toBe(200);
  }, 60000);

  test('input to a program that never reads waits in the client; the program reads it later, whole', async () => {
    // raw mode: no echo, no line limit; the program takes nothing for 3 s, then reads it all
    const code = 'import sys, time, tty\ntty.setraw(0)\nprint("raw", flush=True)\ntime.sleep(3)\ntotal = 0\nwhile total < 300000:\n    total += len(sys.stdin.buffer.read1(65536))\nprint("read", total, flush=True)\n';
    const client = await onTerminal('python', code);
    await client.waitForOutput('raw');
    for (let i = 0; i < 30; i++) client.send({ type: 'stdin', data: 'y'.repeat(10000) });
    const exit = await client.exit(60000);
    expect(exit.result.status).toBe('ok');
    expect(exit.result.stdout).toContain('read 300000');
  }, 90000);
});

describe('what the terminal leaves alone', () => {
  test('a live run without terminal keeps pipes, and resize there is refused with a notice', async () => {
    const client = await LiveClient.start(url(), { language: 'python', code: 'import sys\nprint(sys.stdin.isatty(), sys.stdout.isatty())\nsys.stdin.readline()\n' });
    await client.waitForOutput('False False');
    client.send({ type: 'resize', cols: 90, rows: 20 });
    const notice = await client.waitFor((m) => m.type === 'error');
    expect(notice.message).toMatchObject({ field: 'type' });
    client.send({ type: 'stdin', data: '\n' });
    expect((await client.exit()).result.status).toBe('ok');
  }, 60000);

  test('/api/execute keeps pipes', async () => {
    const res = await server().request('POST', '/api/execute', { language: 'python', code: 'import sys\nprint(sys.stdin.isatty(), sys.stdout.isatty())' });
    expect((res.json as ExecuteResponse).stdout).toBe('False False\n');
  }, 30000);

  test.each([
    [{ cols: 0, rows: 24 }, 'terminal.cols'],
    [{ cols: 80, rows: 1001 }, 'terminal.rows'],
    [{ cols: 80 }, 'terminal.rows'],
    [{ cols: 80, rows: 24, colour: true }, 'terminal.colour'],
    ['80x24', 'terminal'],
  ])('a bad terminal %j is refused naming %s', async (terminal, field) => {
    const client = await LiveClient.start(url(), { language: 'python', code: 'print(1)', terminal } as unknown as Parameters<typeof LiveClient.start>[1]);
    const error = await client.waitFor((m) => m.type === 'error');
    expect(error.message).toMatchObject({ field });
    expect((await client.closed).code).toBe(1008);
  });
});
