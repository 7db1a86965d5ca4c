'use client';

import '@xterm/xterm/css/xterm.css';
import type { FitAddon } from '@xterm/addon-fit';
import type { Terminal } from '@xterm/xterm';
import { useEffect, useImperativeHandle, useRef, type Ref } from 'react';
import { LineJoiner, type Stream } from '../lib/console-lines';
import type { Theme } from '../lib/theme';
import '../lib/test-hooks';

/** What the playground does with the console. */
export interface ConsoleHandle {
  clear(): void;
  /** Program output: stderr is drawn in red; a line is drawn once it is whole (see LineJoiner). */
  write(stream: 'stdout' | 'stderr', text: string): void;
  /** Draws the unfinished lines still held (the run is over). */
  flush(): void;
  focus(): void;
  /** The console's window in characters (a terminal run starts with it), once xterm has loaded. */
  size(): TerminalSize | null;
}

export interface TerminalSize {
  cols: number;
  rows: number;
}

export interface LiveConsoleProps {
  ref?: Ref<ConsoleHandle>;
  theme: Theme;
  /** The program runs: Ctrl+C stops it. */
  running: boolean;
  /** Its input is open: what is typed goes to it. */
  inputOpen: boolean;
  /** A line the visitor finished with Enter (ending in \n), or the part typed before Ctrl+D. */
  onInput(text: string): void;
  /** Ctrl+D: the end of the input. */
  onEndOfInput(): void;
  /** Ctrl+C without a selection: stop the program. */
  onInterrupt(): void;
  /**
   * The program runs on a pseudo-terminal: every key goes to it as it is pressed (the
   * terminal's line discipline echoes, edits lines, makes Ctrl+C an interrupt and Ctrl+D an
   * end of input), and output is drawn as a terminal draws it (stderr is in it, uncoloured).
   */
  terminal: boolean;
  /** Keys for the terminal (terminal runs). */
  onKeys(data: string): void;
  /** The console's window changed size (terminal runs follow it). */
  onResize(size: TerminalSize): void;
  /** Its text size in px (the window is refitted: more or fewer characters). */
  fontSize?: number;
}

const COLORS: Record<Theme, { background: string; foreground: string; cursor: string; red: string; selectionBackground: string }> = {
  light: { background: '#ffffff', foreground: '#1d1d20', cursor: '#1d1d20', red: '#b91c1c', selectionBackground: '#bfdbfe' },
  dark: { background: '#1e1f23', foreground: '#e8e8ea', cursor: '#e8e8ea', red: '#f87171', selectionBackground: '#1e3a8a' },
};
const RED = 1; // palette index of the stderr colour
const STDERR_ON = `\x1b[3${RED}m`;
const DEFAULT_FG = '\x1b[39m';
/**
 * How long an unfinished line waits for the rest of it before it is drawn alone: short
 * while the program may be asking for input (a prompt), longer when its input is closed.
 */
const HOLD_MS = { inputOpen: 100, inputClosed: 1000 };
/** The id of the console's help text, which its input names (aria-describedby). */
const HELP_ID = 'console-keys';
const FONT_SIZE = 13;

/**
 * A terminal-like console (xterm.js): program output as it arrives, stdout and stderr apart,
 * and a line discipline of its own, as a terminal's: typed characters are echoed, Backspace
 * takes one back, Enter sends the line to the program's stdin, Ctrl+D ends the input and
 * Ctrl+C stops the program.
 */
export default function LiveConsole({ ref, theme, fontSize = FONT_SIZE, ...props }: LiveConsoleProps) {
  const box = useRef<HTMLDivElement>(null);
  const terminal = useRef<Terminal | null>(null);
  const fitter = useRef<FitAddon | null>(null);
  /** the text size when xterm finishes loading */
  const fontSizeNow = useRef(fontSize);
  fontSizeNow.current = fontSize;
  /** output written before xterm finished loading */
  const pending = useRef<string[]>([]);
  const line = useRef('');
  const latest = useRef(props);
  latest.current = props;
  /** the theme when xterm finishes loading, which may be after the page found the visitor's */
  const themeNow = useRef(theme);
  themeNow.current = theme;

  const write = (data: string) => {
    if (terminal.current) terminal.current.write(data);
    else pending.current.push(data);
  };
  const joiner = useRef(new LineJoiner((stream, text) => write(stream === 'stderr' ? `${STDERR_ON}${text}${DEFAULT_FG}` : text)));
  /** per stream, the timer that draws its unfinished line alone */
  const holdTimers = useRef<Partial<Record<Stream, ReturnType<typeof setTimeout>>>>({});
  const stopTimers = () => {
    for (const timer of Object.values(holdTimers.current)) clearTimeout(timer);
    holdTimers.current = {};
  };

  useImperativeHandle(ref, () => ({
    clear() {
      pending.current = [];
      line.current = '';
      stopTimers();
      joiner.current.reset();
      terminal.current?.reset();
    },
    write(stream, text) {
      // a terminal has drawn its lines already, whole or not, and has no colour for stderr
      if (latest.current.terminal) return write(text);
      joiner.current.add(stream, text);
      clearTimeout(holdTimers.current[stream]);
      if (joiner.current.holds(stream)) {
        const wait = latest.current.inputOpen ? HOLD_MS.inputOpen : HOLD_MS.inputClosed;
        holdTimers.current[stream] = setTimeout(() => joiner.current.flush(stream), wait);
      }
    },
    flush() {
      stopTimers();
      joiner.current.flush('stdout');
      joiner.current.flush('stderr');
    },
    focus() {
      terminal.current?.focus();
    },
    size() {
      return terminal.current ? { cols: terminal.current.cols, rows: terminal.current.rows } : null;
    },
  }));

  useEffect(() => {
    let disposed = false;
    let observer: ResizeObserver | null = null;
    // xterm touches the DOM as it loads: only ever in the browser
    void Promise.all([import('@xterm/xterm'), import('@xterm/addon-fit')]).then(([{ Terminal }, { FitAddon }]) => {
      if (disposed || !box.current) return;
      const term = new Terminal({
        convertEol: true,
        cursorBlink: true,
        fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace",
        fontSize: fontSizeNow.current,
        scrollback: 5000,
        theme: COLORS[themeNow.current],
      });
      const fit: FitAddon = new FitAddon();
      term.loadAddon(fit);
      fitter.current = fit;
      term.open(box.current);
      term.textarea?.setAttribute('aria-describedby', HELP_ID);
      fit.fit();
      observer = new ResizeObserver(() => fit.fit());
      observer.observe(box.current);
      // Escape, then Tab or Shift+Tab, moves the focus out (as VS Code's terminal does); Tab alone is the program's
      let escaped = false;
      term.attachCustomKeyEventHandler((e) => {
        if (e.type === 'keydown' && !['Shift', 'Control', 'Alt', 'Meta'].includes(e.key)) {
          const leave = escaped && e.key === 'Tab';
          escaped = e.key === 'Escape';
          if (leave) return false; // not the terminal's: the browser moves the focus
        }
        // Ctrl/Cmd+Enter runs (the page handles it); Ctrl+C with a selection copies
        if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) return false;
        if (e.type === 'keydown' && e.key === 'c' && e.ctrlKey && term.hasSelection()) return false;
        return true;
      });
      term.onData((data) => typed(term, data));
      // the event carries more than the size (colsChanged...): the protocol takes only the size
      term.onResize(({ cols, rows }) => latest.current.onResize({ cols, rows }));
      terminal.current = term;
      for (const data of pending.current.splice(0)) term.write(data);
      window.runboxConsole = {
        text: () => screenText(term),
        stderr: () => screenText(term, RED),
        size: () => ({ cols: term.cols, rows: term.rows }),
        drawn: () => new Promise<void>((resolve) => term.write('', resolve)),
      };
    });
    return () => {
      disposed = true;
      stopTimers();
      observer?.disconnect();
      terminal.current?.dispose();
      terminal.current = null;
      fitter.current = null;
    };
    // once: the terminal lives as long as the component, and reads props through refs
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    if (terminal.current) terminal.current.options.theme = COLORS[theme];
  }, [theme]);

  // another text size: as many characters as now fit (a terminal run is told the new size)
  useEffect(() => {
    if (!terminal.current || terminal.current.options.fontSize === fontSize) return;
    terminal.current.options.fontSize = fontSize;
    fitter.current?.fit();
  }, [fontSize]);

  // a terminal's output has its own \r\n line ends, and a bare \n moves down only (full-screen programs rely on it)
  useEffect(() => {
    if (terminal.current) terminal.current.options.convertEol = !props.terminal;
  }, [props.terminal]);

  /** The line discipline: what a keystroke (or a paste) does. */
  function typed(term: Terminal, data: string) {
    const { running, inputOpen, onInput, onEndOfInput, onInterrupt } = latest.current;
    if (latest.current.terminal) {
      if (running) latest.current.onKeys(data);
      return;
    }
    if (data.startsWith('\x1b')) return; // arrows, function keys: no line editing beyond Backspace
    if (!running) return;
    for (const ch of data) {
      if (ch === '\x03') {
        term.write('^C\r\n');
        joiner.current.lineEnded();
        line.current = '';
        return onInterrupt();
      } else if (!inputOpen) {
        continue;
      } else if (ch === '\r' || ch === '\n') {
        term.write('\r\n');
        joiner.current.lineEnded();
        onInput(`${line.current}\n`);
        line.current = '';
      } else if (ch === '\x04') {
        if (line.current) onInput(line.current);
        line.current = '';
        return onEndOfInput();
      } else if (ch === '\x7f' || ch === '\b') {
        const chars = [...line.current];
        if (chars.length === 0) continue;
        line.current = chars.slice(0, -1).join('');
        term.write('\b \b');
      } else if (ch >= ' ' || ch === '\t') {
        line.current += ch;
        term.write(ch);
      }
    }
  }

  return (
    <>
      <p id={HELP_ID} className="visually-hidden">
        Keys typed here go to the running program, Tab included (the program runs in a terminal unless input is given in the Input box). To leave the console press Esc, then Tab (or Shift+Tab).
      </p>
      <div className="console" ref={box} data-testid="console" aria-label="Console" />
    </>
  );
}

/** The console's text as shown, lines joined where they only wrapped; with `color`, only what is drawn in it. */
function screenText(term: Terminal, color?: number): string {
  const buffer = term.buffer.active;
  const cell = buffer.getNullCell();
  let text = '';
  for (let y = 0; y < buffer.length; y++) {
    const row = buffer.getLine(y);
    if (!row) continue;
    if (y > 0 && !row.isWrapped) text += '\n';
    if (color === undefined) {
      text += row.translateToString(true);
      continue;
    }
    for (let x = 0; x < row.length; x++) {
      row.getCell(x, cell);
      if (cell.isFgPalette() && cell.getFgColor() === color) text += cell.getChars();
    }
  }
  // in one colour, the lines without it are empty
  return color === undefined ? text.replace(/\n+$/, '') : text.replace(/\n{2,}/g, '\n').replace(/^\n|\n$/g, '');
}
