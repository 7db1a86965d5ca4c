'use client';

import dynamic from 'next/dynamic';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiError, execute, fetchLanguages, type ExecuteResponse, type LanguageInfo } from '../lib/api';
import { splitArgs } from '../lib/args';
import { compileDiagnostics, runtimeDiagnostics, type Diagnostic } from '../lib/diagnostics';
import ResultPanel from './ResultPanel';

const CodeEditor = dynamic(() => import('./CodeEditor'), { ssr: false, loading: () => <div className="editor-loading">Loading editor…</div> });

const STORAGE_KEY = 'runbox.playground.v1';
const THEME_KEY = 'runbox.theme';

/** Monaco's language ids and the file each language's model stands for. */
const EDITOR: Record<string, { monaco: string; file: string }> = {
  javascript: { monaco: 'javascript', file: 'main.js' },
  python: { monaco: 'python', file: 'main.py' },
  cpp: { monaco: 'cpp', file: 'main.cpp' },
  java: { monaco: 'java', file: 'Main.java' },
};

interface Saved {
  language: string;
  code: Record<string, string>;
  stdin: string;
  args: string;
}

function loadSaved(): Saved | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as Saved) : null;
  } catch {
    return null;
  }
}

import '../lib/test-hooks';

export default function Playground() {
  const [languages, setLanguages] = useState<LanguageInfo[]>([]);
  const [language, setLanguage] = useState('python');
  const [code, setCode] = useState<Record<string, string>>({});
  const [stdin, setStdin] = useState('');
  const [args, setArgs] = useState('');
  const [running, setRunning] = useState(false);
  const [result, setResult] = useState<ExecuteResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [diagnostics, setDiagnostics] = useState<Diagnostic[]>([]);
  const [theme, setTheme] = useState<'light' | 'dark'>('light');
  const [restored, setRestored] = useState(false);
  const runningRef = useRef(false);

  // theme: the saved choice, else the system's
  useEffect(() => {
    const saved = localStorage.getItem(THEME_KEY);
    const system = window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
    setTheme(saved === 'dark' || saved === 'light' ? saved : system);
  }, []);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);

  useEffect(() => {
    const saved = loadSaved();
    if (saved) {
      setLanguage(saved.language);
      setCode(saved.code ?? {});
      setStdin(saved.stdin ?? '');
      setArgs(saved.args ?? '');
    }
    setRestored(true);
    fetchLanguages().then(setLanguages, (err: Error) => setError(err.message));
  }, []);

  useEffect(() => {
    if (restored) localStorage.setItem(STORAGE_KEY, JSON.stringify({ language, code, stdin, args } satisfies Saved));
  }, [restored, language, code, stdin, args]);

  const current = languages.find((l) => l.id === language);
  const source = code[language] ?? current?.template ?? '';
  const editor = EDITOR[language] ?? { monaco: 'plaintext', file: 'main.txt' };

  const setSource = useCallback((value: string) => setCode((c) => ({ ...c, [language]: value })), [language]);

  const run = useCallback(async () => {
    if (runningRef.current) return; // one run at a time, however the button is pressed
    runningRef.current = true;
    setRunning(true);
    setError(null);
    setDiagnostics([]);
    try {
      const r = await execute({ language, code: source, stdin, args: splitArgs(args) });
      setResult(r);
      setDiagnostics(
        r.status === 'compile_error' ? compileDiagnostics(language, r.compile?.output ?? '') : r.status === 'ok' ? [] : runtimeDiagnostics(language, r.stderr),
      );
    } catch (err) {
      setResult(null);
      setError(err instanceof ApiError ? err.message : 'Something went wrong while running your code.');
    } finally {
      runningRef.current = false;
      setRunning(false);
    }
  }, [language, source, stdin, args]);

  useEffect(() => {
    window.runbox = { setCode: setSource, getCode: () => source };
  }, [setSource, source]);

  // Ctrl/Cmd+Enter anywhere on the page (inside the editor Monaco handles it itself)
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        void run();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [run]);

  const toggleTheme = () => {
    const next = theme === 'dark' ? 'light' : 'dark';
    localStorage.setItem(THEME_KEY, next);
    setTheme(next);
  };

  const languageOptions = useMemo(() => languages.map((l) => ({ id: l.id, label: l.version ? `${l.name} ${l.version}` : l.name })), [languages]);

  return (
    <div className="app">
      <header className="toolbar">
        <h1>runbox</h1>
        <label className="field-inline">
          <span>Language</span>
          <select aria-label="Language" value={language} onChange={(e) => setLanguage(e.target.value)} disabled={languages.length === 0}>
            {languageOptions.length === 0 && <option value={language}>{language}</option>}
            {languageOptions.map((o) => (
              <option key={o.id} value={o.id}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="run" onClick={() => void run()} disabled={running} aria-busy={running} aria-label={running ? 'Running' : 'Run code'}>
          {running ? 'Running…' : 'Run ▶'}
        </button>
        <span className="hint">Ctrl/⌘+Enter runs · Ctrl+M (⌃⇧M on Mac) lets Tab leave the editor</span>
        <button type="button" className="theme" onClick={toggleTheme} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}>
          {theme === 'dark' ? '☀ Light' : '☾ Dark'}
        </button>
      </header>
      <main className="panes">
        <section className="editor-pane" aria-label="Editor">
          <CodeEditor path={editor.file} language={editor.monaco} value={source} theme={theme} diagnostics={diagnostics} onChange={setSource} onRun={() => void run()} />
        </section>
        <section className="io-pane">
          <label className="field">
            <span>Input (stdin)</span>
            <textarea aria-label="Input (stdin)" value={stdin} onChange={(e) => setStdin(e.target.value)} rows={4} spellCheck={false} />
          </label>
          <label className="field">
            <span>Program arguments</span>
            <input aria-label="Program arguments" value={args} onChange={(e) => setArgs(e.target.value)} placeholder='e.g. 10 "two words"' spellCheck={false} />
          </label>
          {error && (
            <p className="error" role="alert" data-testid="api-error">
              {error}
            </p>
          )}
          {result && <ResultPanel result={result} />}
          {!result && !error && <p className="placeholder">Run your code to see its output here.</p>}
        </section>
      </main>
    </div>
  );
}
