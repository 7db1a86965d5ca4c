'use client';

import Link from 'next/link';
import { useCallback, useEffect, useRef, useState, type CSSProperties } from 'react';
import {
  createSnippet,
  errorMessage,
  fetchHistoryItem,
  fetchLanguages,
  fetchSnippet,
  formatCode,
  FormatFailed,
  isNotFound,
  type ExecuteResponse,
  type HistoryEntry,
  type JudgeResponse,
  type LanguageInfo,
  type ProgramInput,
} from '../lib/api';
import { joinArgs, splitArgs } from '../lib/args';
import { diagnose, type Diagnostic } from '../lib/diagnostics';
import { oneFile, stockPrograms } from '../lib/examples';
import { useCodeTestHook, useSingleFlight } from '../lib/editor-hooks';
import { LiveRun } from '../lib/live';
import { defaultFileName, draftsOf, inFileNames, newFileName, programFields, sourceExtensions, type FileDraft } from '../lib/program-files';
import { useTheme } from '../lib/theme';
import { EDITOR_WIDTH, FONT_SIZE, useStoredNumber } from '../lib/view-prefs';
import { visitorForRun, visitorKey } from '../lib/visitor';
import DownloadButton from './DownloadButton';
import ExamplesMenu from './ExamplesMenu';
import FileTabs, { fileTabId } from './FileTabs';
import FontSizeControl from './FontSizeControl';
import HistoryPanel from './HistoryPanel';
import KeepHistoryToggle from './KeepHistoryToggle';
import LanguageSelect from './LanguageSelect';
import LiveConsole, { type ConsoleHandle } from './LiveConsole';
import type { CodeEditorHandle } from './CodeEditor';
import PaneSplitter from './PaneSplitter';
import ProgramEditor from './ProgramEditor';
import ResultPanel from './ResultPanel';
import Toolbar from './Toolbar';
import Verdict from './Verdict';

const STORAGE_KEY = 'runbox.playground.v1';

interface Saved {
  language: string;
  /** each language's program as tabs, the entry first */
  files?: Record<string, FileDraft[]>;
  /** before tabs: each language's one file of code, kept until that language's program is edited */
  code?: Record<string, string>;
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

/** The saved programs of tabs (a broken entry is left out). */
function savedPrograms(saved: Saved): Record<string, FileDraft[]> {
  const programs: Record<string, FileDraft[]> = {};
  for (const [lang, files] of Object.entries(saved.files ?? {})) if (Array.isArray(files) && files.length > 0) programs[lang] = files;
  return programs;
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

/**
 * What a snippet is: the same program (language, code, input, arguments as typed) is the same
 * snippet, so it shares the same link; an edit makes another.
 */
const programKey = (language: string, files: readonly FileDraft[], stdin: string, args: string) => JSON.stringify([language, files, stdin, args]);

type SnippetState = 'none' | 'loading' | 'loaded' | 'declined' | 'missing' | 'failed';

/**
 * Whether code coming in (a snippet's, a history entry's, an example) would replace code of
 * the visitor's own: `mine` is what the visitor has in that language (undefined: nothing of
 * theirs), and what the language comes with (`stock`: its template, an example) unchanged is
 * nothing of theirs either.
 */
function replacesOwnCode(mine: readonly FileDraft[] | undefined, incoming: readonly FileDraft[], stock: readonly (readonly FileDraft[])[]): boolean {
  const same = (a: readonly FileDraft[], b: readonly FileDraft[]) => JSON.stringify(a) === JSON.stringify(b);
  return mine !== undefined && !same(mine, incoming) && !stock.some((s) => same(mine, s));
}

const replaceQuestion = (languageName: string, what: string) => `Replace your current ${languageName} code with ${what}? Your code in the editor will be lost.`;

/** Where a live run is: from Run to its result. */
type RunPhase = 'idle' | 'starting' | 'compiling' | 'running';

function phaseText(phase: Exclude<RunPhase, 'idle'>, inputOpen: boolean, onTerminal: boolean): string {
  if (phase === 'starting') return 'Starting…';
  if (phase === 'compiling') return 'Compiling…';
  if (onTerminal) return 'Running in a terminal: type in the console when the program asks (Enter sends a line, Ctrl+D ends the input, Ctrl+C interrupts, Stop ends it).';
  if (inputOpen) return 'Running: type in the console when the program asks for input (Enter sends a line, Ctrl+D ends the input, Ctrl+C stops).';
  return 'Running (its input is closed: empty the Input box to type input in the console instead). Ctrl+C in the console stops it.';
}

/** The playground; with snippetId (the /s/<id> page) it opens that shared snippet. */
export default function Playground({ snippetId }: { snippetId?: string }) {
  const [languages, setLanguages] = useState<LanguageInfo[]>([]);
  const [language, setLanguage] = useState('python');
  /** each language's program as tabs (the entry first); a language not here shows its template */
  const [programs, setPrograms] = useState<Record<string, FileDraft[]>>({});
  /**
   * code saved before tabs existed, per language: shown as one tab (named once the server
   * says what the language's file is called) until edited, and kept saved until then
   */
  const [legacyCode, setLegacyCode] = useState<Record<string, string>>({});
  /** the tab shown, per language */
  const [activeTab, setActiveTab] = useState<Record<string, number>>({});
  /** the tab whose name is being typed */
  const [editingTab, setEditingTab] = useState<number | null>(null);
  const [stdin, setStdin] = useState('');
  const [args, setArgs] = useState('');
  const [phase, setPhase] = useState<RunPhase>('idle');
  /** whether what the visitor types in the console goes to the running program */
  const [inputOpen, setInputOpen] = useState(false);
  /** the run going on has a terminal (no input given in advance): keys go to it as typed */
  const [onTerminal, setOnTerminal] = useState(false);
  /** the live run going on: Stop, input typed into the console */
  const liveRun = useRef<LiveRun | null>(null);
  const consoleRef = useRef<ConsoleHandle>(null);
  const consoleBox = useRef<HTMLDivElement>(null);
  /** runs finished on this page, for the browser tests to wait on */
  const [finishedRuns, setFinishedRuns] = useState(0);
  const [result, setResult] = useState<ExecuteResponse | null>(null);
  /** why the server stopped the last run, when it did (idle, the budget) */
  const [stopReason, setStopReason] = useState<string | null>(null);
  /** input the server refused while the run went on */
  const [inputNotice, setInputNotice] = useState<string | null>(null);
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
  const [historyOpen, setHistoryOpen] = useState(false);
  const [historyVersion, setHistoryVersion] = useState(0);
  /** every program this page knows a link for (by programKey): shared from here, or the snippet it opened */
  const [links, setLinks] = useState<Record<string, string>>({});
  const [shared, setShared] = useState<{ key: string; link: string; copied: boolean } | null>(null);
  const [sharing, startShare] = useSingleFlight();
  const [shareError, setShareError] = useState<string | null>(null);
  /** the visitor's text size (editor; the console's a pixel less) and the editor's share of the width */
  const [fontSize, setFontSize] = useStoredNumber(FONT_SIZE);
  const [editorWidth, setEditorWidth] = useStoredNumber(EDITOR_WIDTH);
  const panes = useRef<HTMLElement>(null);
  /** the console takes the page below the toolbar */
  const [consoleMax, setConsoleMax] = useState(false);
  /** the editor's undoable edits (Format's) */
  const editorHandle = useRef<CodeEditorHandle | null>(null);
  const [formatting, startFormat] = useSingleFlight();
  /** why the last Format did not format: what happened, and the formatter's own words; shown while its file is */
  const [formatError, setFormatError] = useState<{ language: string; file: string; summary: string; detail?: string } | null>(null);

  /** Puts a program (a snippet's, a history entry's) into the editor and the fields. */
  const loadProgram = useCallback((p: ProgramInput & { code: string }, known: readonly LanguageInfo[]) => {
    setLanguage(p.language);
    setPrograms((c) => ({ ...c, [p.language]: draftsOf(known.find((l) => l.id === p.language), p) }));
    setActiveTab((t) => ({ ...t, [p.language]: 0 }));
    setEditingTab(null);
    setStdin(p.stdin);
    setArgs(joinArgs(p.args));
  }, []);

  useEffect(() => {
    // this browser's own code first; a snippet, arriving later, goes over it
    const saved = loadSaved();
    if (saved) {
      setLanguage(saved.language);
      setPrograms(savedPrograms(saved));
      setLegacyCode(saved.code ?? {});
      setStdin(saved.stdin ?? '');
      setArgs(saved.args ?? '');
    }
    setRestored(true);
    const known = fetchLanguages();
    known.then(setLanguages, (err: Error) => setError(err.message));
    if (!snippetId) return;
    let live = true;
    // a snippet's one file is named as its language names it: the languages first
    Promise.all([fetchSnippet(snippetId), known.catch(() => [] as LanguageInfo[])]).then(
      ([s, languageList]) => {
        if (!live) return;
        const info = languageList.find((l) => l.id === s.language);
        const drafts = draftsOf(info, s);
        // as the history does: the visitor's own saved code is not replaced without asking
        const legacy = saved?.code?.[s.language];
        const mine = (saved ? savedPrograms(saved)[s.language] : undefined) ?? (legacy !== undefined ? [{ name: defaultFileName(info), content: legacy }] : undefined);
        if (replacesOwnCode(mine, drafts, stockPrograms(info)) && !window.confirm(replaceQuestion(info?.name ?? s.language, 'the shared snippet'))) {
          setSnippet('declined');
          return;
        }
        loadProgram(s, languageList);
        // its own link is this program's link: sharing it unchanged makes no new snippet
        setLinks((l) => ({ ...l, [programKey(s.language, drafts, s.stdin, joinArgs(s.args))]: snippetLink(snippetId) }));
        setSnippet('loaded');
      },
      (err: unknown) => {
        if (!live) return;
        setSnippet(isNotFound(err) ? 'missing' : 'failed');
        setSnippetError(
          isNotFound(err) ? 'That snippet does not exist: check the link. This is the playground with your own code.' : `Could not open the snippet. ${errorMessage(err, '')}`,
        );
      },
    );
    return () => {
      live = false;
    };
  }, [snippetId, loadProgram]);

  useEffect(() => {
    if (restored && keepLocal) localStorage.setItem(STORAGE_KEY, JSON.stringify({ language, files: programs, code: legacyCode, stdin, args } satisfies Saved));
  }, [restored, keepLocal, language, programs, legacyCode, stdin, args]);

  const infoOf = (lang: string) => languages.find((l) => l.id === lang);
  const templateOf = (lang: string) => infoOf(lang)?.template ?? '';
  const programOf = (lang: string): FileDraft[] => programs[lang] ?? [{ name: defaultFileName(infoOf(lang)), content: legacyCode[lang] ?? templateOf(lang) }];
  const files = programOf(language);
  const active = Math.min(activeTab[language] ?? 0, files.length - 1);
  const source = files[active]!.content;

  /** Changes the shown language's tabs (the template made a real tab first). */
  const editFiles = (change: (files: FileDraft[]) => FileDraft[]) => {
    setKeepLocal(true);
    setPrograms((p) => ({ ...p, [language]: change(p[language] ?? files) }));
  };
  const setSource = (value: string) => editFiles((fs) => fs.map((f, i) => (i === active ? { ...f, content: value } : f)));
  const selectTab = (index: number) => setActiveTab((t) => ({ ...t, [language]: index }));
  const addTab = () => {
    const name = newFileName(infoOf(language), files.map((f) => f.name));
    editFiles((fs) => [...fs, { name, content: '' }]);
    selectTab(files.length);
    setEditingTab(files.length);
  };
  const renameTab = (index: number, name: string) => editFiles((fs) => fs.map((f, i) => (i === index ? { ...f, name } : f)));
  /** The file that runs becomes this one: it moves to the front, where the entry is. */
  const makeEntry = (index: number) => {
    editFiles((fs) => [fs[index]!, ...fs.filter((_, i) => i !== index)]);
    selectTab(0);
  };
  const deleteTab = (index: number) => {
    const file = files[index]!;
    if (file.content.trim() !== '' && !window.confirm(`Delete ${file.name}? Its code will be lost.`)) return;
    editFiles((fs) => fs.filter((_, i) => i !== index));
    if (active >= index && active > 0) selectTab(active - 1);
  };
  useCodeTestHook(source, setSource);

  /** Stops the program running, once the visitor agrees; true when nothing runs any more. */
  const stopFirst = async (question: string): Promise<boolean> => {
    const current = liveRun.current;
    if (!current) return true;
    if (!window.confirm(question)) return false;
    current.kill();
    await current.done.catch(() => undefined);
    // and its own Run has wound up (its last lines drawn, the slot let go): that comes a few
    // promise turns after `done`, so wait one task for it
    await new Promise((resolve) => setTimeout(resolve, 0));
    return true;
  };

  const stop = () => liveRun.current?.kill();
  // leaving the page (to the problems, say) stops the program it started
  useEffect(() => () => liveRun.current?.kill(), []);

  /** Runs the editor's program live: output into the console as it comes, the result at the end. */
  const run = async () => {
    if (!(await stopFirst('A program is still running. Stop it and run this code?'))) return;
    if (liveRun.current) return; // another Run got in while that one stopped
    const ranLanguage = language;
    const compiled = languages.find((l) => l.id === ranLanguage)?.compiled ?? false;
    setError(null);
    setDiagnostics([]);
    setResult(null);
    setJudged(null);
    setStopReason(null);
    setInputNotice(null);
    setPhase('starting');
    // input given in advance is all of it; else the console is the input
    setInputOpen(stdin === '');
    // input given in advance goes through a pipe, byte for byte, as on /api/execute; a run
    // the visitor types into gets a terminal, as programs that ask for input expect
    const terminal = stdin === '' ? (consoleRef.current?.size() ?? { cols: 80, rows: 24 }) : undefined;
    setOnTerminal(terminal !== undefined);
    consoleRef.current?.clear();
    consoleRef.current?.focus();
    // the output is where the eyes go next, also on a phone where it sits below the editor
    consoleBox.current?.scrollIntoView({ block: 'nearest' });
    const ranFiles = files.map((f) => f.name);
    const current = new LiveRun({ language: ranLanguage, ...programFields(infoOf(ranLanguage), files), stdin, args: splitArgs(args) }, visitorForRun(), {
      onStarted: () => setPhase(compiled ? 'compiling' : 'running'),
      onCompiled: () => setPhase('running'),
      onOutput: (stream, text) => consoleRef.current?.write(stream, text),
      onNotice: setInputNotice,
    }, terminal);
    liveRun.current = current;
    try {
      const { result: r, reason } = await current.done.finally(() => consoleRef.current?.flush());
      setResult(r);
      setStopReason(reason ?? null);
      setDiagnostics(diagnose(ranLanguage, r, ranFiles));
      if (r.submissionId) setHistoryVersion((v) => v + 1);
    } catch (err) {
      setError(inFileNames(errorMessage(err, 'Something went wrong while running your code.'), ranFiles));
    } finally {
      liveRun.current = null;
      setPhase('idle');
      setFinishedRuns((n) => n + 1);
    }
  };

  // A snippet is immutable: the same program shares the same link, an edited one gets a new one.
  const shareKey = programKey(language, files, stdin, args);
  const share = () =>
    startShare(async () => {
      setShareError(null);
      try {
        const link = links[shareKey] ?? snippetLink((await createSnippet({ language, ...programFields(infoOf(language), files), stdin, args: splitArgs(args) })).id);
        setLinks((l) => ({ ...l, [shareKey]: link }));
        setShared({ key: shareKey, link, copied: await copyToClipboard(link) });
      } catch (err) {
        setShareError(`Could not share: ${inFileNames(errorMessage(err, 'something went wrong.'), files.map((f) => f.name))}`);
      }
    });

  /** The language's formatter (found by the server), for its source files: Format and Shift+Alt+F. */
  const formatter = infoOf(language)?.formatter;
  const formattable = formatter !== undefined && sourceExtensions(infoOf(language)).some((ext) => files[active]!.name.endsWith(ext));
  /** Formats the open tab as an edit Ctrl+Z undoes; the formatter's error (a syntax error) is shown, its line marked. */
  const format = () =>
    startFormat(async () => {
      const [lang, file, code] = [language, files[active]!.name, source];
      setFormatError(null);
      try {
        const formatted = await formatCode(lang, code);
        if (!editorHandle.current?.replaceCode(code, formatted)) return setFormatError({ language: lang, file, summary: `${file} changed while it was being formatted: Format it again.` });
        // the lines moved: an earlier run's markers would point at the wrong ones
        if (formatted !== code) setDiagnostics([]);
      } catch (err) {
        if (!(err instanceof FormatFailed)) return setFormatError({ language: lang, file, summary: `Could not format ${file}: ${errorMessage(err, 'something went wrong.')}` });
        setFormatError({ language: lang, file, summary: `${formatter ?? 'The formatter'} could not format ${file}${err.line ? ` (line ${err.line})` : ''}:`, detail: err.message });
        if (err.line) setDiagnostics([{ file, line: err.line, column: 1, message: err.message, severity: 'error' }]);
      }
    });

  /** Whether loading code over the editor's may go ahead: asks first when that would lose the visitor's own code. */
  const mayReplace = (lang: string, incoming: FileDraft[], what = "this entry's") => {
    const mine = programs[lang] ?? (lang in legacyCode ? programOf(lang) : undefined);
    if (!replacesOwnCode(mine, incoming, stockPrograms(infoOf(lang)))) return true;
    return window.confirm(replaceQuestion(infoOf(lang)?.name ?? lang, what));
  };

  /** The editor's program becomes one the language comes with (an example, the template), once the visitor agrees. */
  const loadStock = (code: string, what: string) => {
    const incoming = oneFile(infoOf(language), code);
    if (!mayReplace(language, incoming, what)) return;
    setKeepLocal(true);
    setPrograms((p) => ({ ...p, [language]: incoming }));
    selectTab(0);
    setEditingTab(null);
    setDiagnostics([]);
  };

  const openEntry = async (entry: HistoryEntry) => {
    setError(null);
    try {
      const item = await fetchHistoryItem(visitorKey(), entry.id);
      const drafts = draftsOf(infoOf(item.language), item);
      if (!mayReplace(item.language, drafts)) return;
      if (!(await stopFirst('A program is still running. Stop it and open this entry?'))) return;
      setKeepLocal(true);
      loadProgram(item, languages);
      const ran = item.kind === 'judge' ? null : (item.result as ExecuteResponse);
      setResult(ran);
      setStopReason(null);
      setInputNotice(null);
      setJudged(item.kind === 'judge' ? (item.result as JudgeResponse) : null);
      setDiagnostics(diagnose(item.language, item.result, drafts.map((f) => f.name)));
      // a kept run's output, in the console where a run's output goes (the two streams one after the other)
      consoleRef.current?.clear();
      if (ran) {
        consoleRef.current?.write('stdout', ran.stdout);
        consoleRef.current?.write('stderr', ran.stderr);
        consoleRef.current?.flush();
      }
    } catch (err) {
      setError(isNotFound(err) ? 'That entry is no longer in your history.' : errorMessage(err, 'Could not open that entry.'));
    }
  };

  // Escape puts a maximised console back, except where Escape is another's: in the console
  // while a program runs it is the program's key, and an open menu closes itself first
  useEffect(() => {
    if (!consoleMax) return;
    const onKey = (e: KeyboardEvent) => {
      const at = e.target instanceof Element ? e.target : null;
      if (e.key !== 'Escape' || at?.closest('[data-own-escape]') || (liveRun.current && at?.closest('[data-testid="console"]'))) return;
      setConsoleMax(false);
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [consoleMax]);

  // Ctrl/Cmd+Enter anywhere on the page (inside the editor Monaco handles it itself)
  const runRef = useRef(run);
  runRef.current = run;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        void runRef.current();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <div className={consoleMax ? 'app console-max' : 'app'} data-snippet={snippet} data-runs-finished={finishedRuns}>
      <Toolbar current="playground" theme={theme} onToggleTheme={toggleTheme}>
        <LanguageSelect
          languages={languages}
          value={language}
          onChange={(id) => {
            setKeepLocal(true);
            setLanguage(id);
            setEditingTab(null);
          }}
        />
        <ExamplesMenu
          language={infoOf(language)}
          onChoose={(example) => loadStock(example.code, `the example “${example.title}”`)}
          onReset={() => loadStock(templateOf(language), 'the template')}
        />
        <button type="button" className="run" onClick={() => void run()} aria-label="Run code">
          Run ▶
        </button>
        <button type="button" className="stop" onClick={stop} disabled={phase === 'idle'} aria-label="Stop" title="Stop the program (Ctrl+C in the console)">
          Stop ■
        </button>
        {formatter && (
          <button
            type="button"
            onClick={() => void format()}
            disabled={formatting || !formattable}
            aria-busy={formatting}
            aria-label="Format"
            title={formattable ? `Format this file with ${formatter} (Shift+Alt+F); Ctrl+Z undoes it` : `${formatter} formats ${sourceExtensions(infoOf(language)).join(', ')} files`}
          >
            {formatting ? 'Formatting…' : 'Format'}
          </button>
        )}
        <button type="button" onClick={() => void share()} disabled={sharing} aria-busy={sharing} aria-label="Share">
          {sharing ? 'Sharing…' : 'Share'}
        </button>
        <button type="button" onClick={() => setHistoryOpen((o) => !o)} aria-expanded={historyOpen} aria-controls="history-panel" aria-label="History">
          History
        </button>
        <FontSizeControl size={fontSize} min={FONT_SIZE.min} max={FONT_SIZE.max} onChange={setFontSize} />
        <span className="hint">Ctrl/⌘+Enter runs · Ctrl+C in the console stops · Esc then Tab leaves the console · Ctrl+M (⌃⇧M on Mac): Tab leaves the editor</span>
      </Toolbar>
      <main className="panes" ref={panes} style={{ '--editor-width': `${editorWidth}%` } as CSSProperties}>
        <section className="editor-pane" id="editor-pane" aria-label="Editor">
          <div className="editor-head">
            <FileTabs
              files={files}
              active={active}
              onSelect={selectTab}
              onAdd={addTab}
              onRename={renameTab}
              onDelete={deleteTab}
              editing={editingTab}
              onEditing={setEditingTab}
              onMakeEntry={makeEntry}
              entryExtensions={sourceExtensions(infoOf(language))}
              panelId="file-panel"
              diagnostics={diagnostics}
            />
            <DownloadButton files={files} language={language} />
          </div>
          <div className="editor-body" role="tabpanel" id="file-panel" aria-labelledby={fileTabId(active)}>
            <ProgramEditor
              language={language}
              languages={languages}
              file={files[active]!.name}
              value={source}
              theme={theme}
              diagnostics={diagnostics.filter((d) => d.file === files[active]!.name)}
              onChange={setSource}
              onRun={() => void run()}
              onFormat={formattable ? () => void format() : undefined}
              handle={editorHandle}
              fontSize={fontSize}
            />
          </div>
          {formatError?.language === language && formatError.file === files[active]!.name && (
            <div className="error" role="alert" data-testid="format-error">
              {formatError.summary}
              {formatError.detail && <pre>{formatError.detail}</pre>}
            </div>
          )}
        </section>
        <PaneSplitter
          value={editorWidth}
          min={EDITOR_WIDTH.min}
          max={EDITOR_WIDTH.max}
          fallback={EDITOR_WIDTH.fallback}
          onChange={setEditorWidth}
          container={panes}
          controls="editor-pane"
          label="Width of the editor"
        />
        <section className="io-pane" aria-labelledby="io-heading">
          <h2 id="io-heading" className="visually-hidden">
            Input and output
          </h2>
          {historyOpen && <HistoryPanel id="history-panel" languages={languages} refresh={historyVersion} onOpen={(e) => void openEntry(e)} />}
          {snippet === 'loading' && <p className="placeholder">Opening the shared snippet…</p>}
          {snippet === 'loaded' && (
            <p className="info" data-testid="snippet-note">
              Opened a shared snippet. Edit and run it freely; Share again to link your version.
            </p>
          )}
          {snippet === 'declined' && (
            <p className="info" data-testid="snippet-declined">
              Kept your own code: the shared snippet was not opened. Open its link again to see it.
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
            <span>Input (stdin) given in advance; leave it empty to type input in the console</span>
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
          <KeepHistoryToggle />
          {error && (
            <p className="error" role="alert" data-testid="api-error">
              {error}
            </p>
          )}
          {phase !== 'idle' && (
            <p className="live-status" role="status" data-testid="live-status">
              {phaseText(phase, inputOpen, onTerminal)}
            </p>
          )}
          {inputNotice && (
            <p className="notice" role="note" data-testid="input-notice">
              {inputNotice}
            </p>
          )}
          {result && <ResultPanel result={result} stopReason={stopReason} />}
          {judged && (
            <>
              <p className="info">
                A submission to <Link href={`/problems/${encodeURIComponent(judged.problem)}`}>{judged.problem}</Link>, judged:
              </p>
              <Verdict result={judged} />
            </>
          )}
          <div className="stream" ref={consoleBox}>
            <div className="stream-head">
              <h3 id="console-label">Console: output as it happens; type here when the program asks for input</h3>
              <button
                type="button"
                className="console-max-toggle"
                aria-label={consoleMax ? 'Restore console' : 'Maximise console'}
                title={consoleMax ? 'Back to the editor and the output (Esc)' : 'The console takes the page (Esc comes back)'}
                onClick={() => setConsoleMax((m) => !m)}
              >
                <span aria-hidden="true">{consoleMax ? '⤡' : '⤢'}</span> {consoleMax ? 'Restore' : 'Maximise'}
              </button>
            </div>
            <LiveConsole
              ref={consoleRef}
              theme={theme}
              running={phase !== 'idle'}
              inputOpen={phase !== 'idle' && inputOpen}
              onInput={(text) => liveRun.current?.write(text)}
              onEndOfInput={() => {
                setInputOpen(false);
                liveRun.current?.endInput();
              }}
              onInterrupt={stop}
              terminal={phase !== 'idle' && onTerminal}
              onKeys={(data) => liveRun.current?.write(data)}
              onResize={(size) => liveRun.current?.resize(size)}
              fontSize={fontSize - 1}
            />
          </div>
        </section>
      </main>
    </div>
  );
}
