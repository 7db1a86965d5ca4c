'use client';

import dynamic from 'next/dynamic';
import Link from 'next/link';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  ApiError,
  createSnippet,
  execute,
  fetchHistoryItem,
  fetchLanguages,
  fetchSnippet,
  isNotFound,
  type ExecuteResponse,
  type HistoryEntry,
  type JudgeResponse,
  type LanguageInfo,
  type ProgramInput,
} from '../lib/api';
import { joinArgs, splitArgs } from '../lib/args';
import { compileDiagnostics, runtimeDiagnostics, type Diagnostic } from '../lib/diagnostics';
import { EDITOR, PLAIN_EDITOR } from '../lib/editors';
import { useTheme } from '../lib/theme';
import { keepHistory, setKeepHistory, visitorKey } from '../lib/visitor';
import HistoryPanel from './HistoryPanel';
import ResultPanel from './ResultPanel';
import { SiteNav, ThemeButton } from './SiteNav';
import Verdict from './Verdict';

const CodeEditor = dynamic(() => import('./CodeEditor'), { ssr: false, loading: () => <div className="editor-loading">Loading editor…</div> });

const STORAGE_KEY = 'runbox.playground.v1';

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

/** Where a shared snippet opens: this playground's own origin, wherever the API is. */
function snippetLink(id: string): string {
  return `${window.location.origin}${process.env.NEXT_PUBLIC_BASE_PATH ?? ''}/s/${encodeURIComponent(id)}`;
}

/** Copies when the browser lets us (secure origin, permission); false otherwise, never hangs. */
async function copyToClipboard(text: string): Promise<boolean> {
  if (!window.isSecureContext || !navigator.clipboard) return false;
  const giveUp = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2000));
  return Promise.race([navigator.clipboard.writeText(text).then(() => true, () => false), giveUp]);
}

function diagnose(language: string, r: ExecuteResponse): Diagnostic[] {
  if (r.status === 'compile_error') return compileDiagnostics(language, r.compile?.output ?? '');
  return r.status === 'ok' ? [] : runtimeDiagnostics(language, r.stderr);
}

const message = (err: unknown, fallback: string) => (err instanceof ApiError ? err.message : fallback);

type SnippetState = 'none' | 'loading' | 'loaded' | 'missing' | 'failed';

import '../lib/test-hooks';

/** The playground; with snippetId (the /s/<id> page) it opens that shared snippet. */
export default function Playground({ snippetId }: { snippetId?: string }) {
  const [languages, setLanguages] = useState<LanguageInfo[]>([]);
  const [language, setLanguage] = useState('python');
  const [code, setCode] = useState<Record<string, string>>({});
  const [stdin, setStdin] = useState('');
  const [args, setArgs] = useState('');
  const [running, setRunning] = useState(false);
  const [result, setResult] = useState<ExecuteResponse | null>(null);
  /** a judged submission opened from the history */
  const [judged, setJudged] = useState<JudgeResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [diagnostics, setDiagnostics] = useState<Diagnostic[]>([]);
  const { theme, toggleTheme } = useTheme();
  const [restored, setRestored] = useState(false);
  /** A snippet someone shared is not this browser's own code until it is edited: it is saved only then. */
  const [keepLocal, setKeepLocal] = useState(!snippetId);
  const [snippet, setSnippet] = useState<SnippetState>(snippetId ? 'loading' : 'none');
  const [snippetError, setSnippetError] = useState<string | null>(null);
  const [keepRuns, setKeepRuns] = useState(true);
  const [historyOpen, setHistoryOpen] = useState(false);
  const [historyVersion, setHistoryVersion] = useState(0);
  const [shared, setShared] = useState<{ key: string; link: string; copied: boolean } | null>(null);
  const [sharing, setSharing] = useState(false);
  const [shareError, setShareError] = useState<string | null>(null);
  const runningRef = useRef(false);

  /** Puts a program (a snippet's, a history entry's) into the editor and the fields. */
  const loadProgram = useCallback((p: ProgramInput) => {
    setLanguage(p.language);
    setCode((c) => ({ ...c, [p.language]: p.code }));
    setStdin(p.stdin);
    setArgs(joinArgs(p.args));
  }, []);

  useEffect(() => {
    // this browser's own code first; a snippet, arriving later, goes over it
    const saved = loadSaved();
    if (saved) {
      setLanguage(saved.language);
      setCode(saved.code ?? {});
      setStdin(saved.stdin ?? '');
      setArgs(saved.args ?? '');
    }
    setKeepRuns(keepHistory());
    setRestored(true);
    fetchLanguages().then(setLanguages, (err: Error) => setError(err.message));
    if (!snippetId) return;
    let live = true;
    fetchSnippet(snippetId).then(
      (s) => {
        if (!live) return;
        loadProgram(s);
        setSnippet('loaded');
      },
      (err: unknown) => {
        if (!live) return;
        setSnippet(isNotFound(err) ? 'missing' : 'failed');
        setSnippetError(
          isNotFound(err) ? 'That snippet does not exist: check the link. This is the playground with your own code.' : `Could not open the snippet. ${message(err, '')}`,
        );
      },
    );
    return () => {
      live = false;
    };
  }, [snippetId, loadProgram]);

  useEffect(() => {
    if (restored && keepLocal) localStorage.setItem(STORAGE_KEY, JSON.stringify({ language, code, stdin, args } satisfies Saved));
  }, [restored, keepLocal, language, code, stdin, args]);

  const current = languages.find((l) => l.id === language);
  const source = code[language] ?? current?.template ?? '';
  const editor = EDITOR[language] ?? PLAIN_EDITOR;

  const setSource = useCallback(
    (value: string) => {
      setKeepLocal(true);
      setCode((c) => ({ ...c, [language]: value }));
    },
    [language],
  );

  const run = useCallback(async () => {
    if (runningRef.current) return; // one run at a time, however the button is pressed
    runningRef.current = true;
    setRunning(true);
    setError(null);
    setDiagnostics([]);
    try {
      const r = await execute({ language, code: source, stdin, args: splitArgs(args) }, keepRuns ? visitorKey() : null);
      setResult(r);
      setJudged(null);
      setDiagnostics(diagnose(language, r));
      if (r.submissionId) setHistoryVersion((v) => v + 1);
    } catch (err) {
      setResult(null);
      setError(message(err, 'Something went wrong while running your code.'));
    } finally {
      runningRef.current = false;
      setRunning(false);
    }
  }, [language, source, stdin, args, keepRuns]);

  // A snippet is immutable: the same code shares the same link, edited code gets a new one.
  const shareKey = JSON.stringify([language, source, stdin, args]);
  const share = async () => {
    if (sharing) return;
    setSharing(true);
    setShareError(null);
    try {
      const link = shared?.key === shareKey ? shared.link : snippetLink((await createSnippet({ language, code: source, stdin, args: splitArgs(args) })).id);
      setShared({ key: shareKey, link, copied: await copyToClipboard(link) });
    } catch (err) {
      setShareError(`Could not share: ${message(err, 'something went wrong.')}`);
    } finally {
      setSharing(false);
    }
  };

  const openEntry = async (entry: HistoryEntry) => {
    setError(null);
    try {
      const item = await fetchHistoryItem(visitorKey(), entry.id);
      setKeepLocal(true);
      loadProgram(item);
      if (item.kind === 'judge') {
        setResult(null);
        setJudged(item.result as JudgeResponse);
        setDiagnostics([]);
      } else {
        const r = item.result as ExecuteResponse;
        setJudged(null);
        setResult(r);
        setDiagnostics(diagnose(item.language, r));
      }
    } catch (err) {
      setError(isNotFound(err) ? 'That entry is no longer in your history.' : message(err, 'Could not open that entry.'));
    }
  };

  const changeKeepRuns = (on: boolean) => {
    setKeepHistory(on);
    setKeepRuns(on);
  };

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

  const languageOptions = useMemo(() => languages.map((l) => ({ id: l.id, label: l.version ? `${l.name} ${l.version}` : l.name })), [languages]);

  return (
    <div className="app" data-snippet={snippet}>
      <header className="toolbar">
        <h1>runbox</h1>
        <SiteNav current="playground" />
        <label className="field-inline">
          <span>Language</span>
          <select
            aria-label="Language"
            value={language}
            onChange={(e) => {
              setKeepLocal(true);
              setLanguage(e.target.value);
            }}
            disabled={languages.length === 0}
          >
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
        <button type="button" onClick={() => void share()} disabled={sharing} aria-busy={sharing} aria-label="Share">
          {sharing ? 'Sharing…' : 'Share'}
        </button>
        <button type="button" onClick={() => setHistoryOpen((o) => !o)} aria-expanded={historyOpen} aria-controls="history-panel" aria-label="History">
          History
        </button>
        <span className="hint">Ctrl/⌘+Enter runs · Ctrl+M (⌃⇧M on Mac) lets Tab leave the editor</span>
        <ThemeButton theme={theme} onToggle={toggleTheme} />
      </header>
      <main className="panes">
        <section className="editor-pane" aria-label="Editor">
          <CodeEditor path={editor.file} language={editor.monaco} value={source} theme={theme} diagnostics={diagnostics} onChange={setSource} onRun={() => void run()} />
        </section>
        <section className="io-pane">
          {historyOpen && <HistoryPanel id="history-panel" languages={languages} refresh={historyVersion} onOpen={(e) => void openEntry(e)} />}
          {snippet === 'loading' && <p className="placeholder">Opening the shared snippet…</p>}
          {snippet === 'loaded' && (
            <p className="info" data-testid="snippet-note">
              Opened a shared snippet. Edit and run it freely; Share again to link your version.
            </p>
          )}
          {snippetError && (
            <p className="error" role="alert" data-testid="load-error">
              {snippetError}
            </p>
          )}
          {(shared || shareError) && (
            <div className="share">
              {shared && (
                <>
                  <label className="field">
                    <span>Link to this code</span>
                    <input readOnly aria-label="Share link" data-testid="share-link" value={shared.link} onFocus={(e) => e.currentTarget.select()} />
                  </label>
                  <span className="share-status" role="status" data-testid="share-status">
                    {shared.key !== shareKey ? 'Edited since: Share again for a new link' : shared.copied ? 'Link copied' : 'Copy the link'}
                  </span>
                </>
              )}
              {shareError && (
                <p className="error" role="alert">
                  {shareError}
                </p>
              )}
            </div>
          )}
          <label className="field">
            <span>Input (stdin)</span>
            <textarea
              aria-label="Input (stdin)"
              value={stdin}
              onChange={(e) => {
                setKeepLocal(true);
                setStdin(e.target.value);
              }}
              rows={4}
              spellCheck={false}
            />
          </label>
          <label className="field">
            <span>Program arguments</span>
            <input
              aria-label="Program arguments"
              value={args}
              onChange={(e) => {
                setKeepLocal(true);
                setArgs(e.target.value);
              }}
              placeholder='e.g. 10 "two words"'
              spellCheck={false}
            />
          </label>
          <label className="check">
            <input type="checkbox" checked={keepRuns} onChange={(e) => changeKeepRuns(e.target.checked)} />
            <span>Keep runs in history</span>
          </label>
          {error && (
            <p className="error" role="alert" data-testid="api-error">
              {error}
            </p>
          )}
          {result && <ResultPanel result={result} />}
          {judged && (
            <>
              <p className="info">
                A submission to <Link href={`/problems/${encodeURIComponent(judged.problem)}`}>{judged.problem}</Link>, judged:
              </p>
              <Verdict result={judged} />
            </>
          )}
          {!result && !judged && !error && <p className="placeholder">Run your code to see its output here.</p>}
        </section>
      </main>
    </div>
  );
}
