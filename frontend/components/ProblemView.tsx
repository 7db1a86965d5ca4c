'use client';

import dynamic from 'next/dynamic';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import Markdown from 'react-markdown';
import { ApiError, fetchLanguages, fetchProblem, isNotFound, submitSolution, type JudgeResponse, type LanguageInfo, type ProblemResponse } from '../lib/api';
import { compileDiagnostics, runtimeDiagnostics, type Diagnostic } from '../lib/diagnostics';
import { EDITOR, PLAIN_EDITOR } from '../lib/editors';
import { starterCode } from '../lib/starters';
import { useTheme } from '../lib/theme';
import { keepHistory, setKeepHistory, visitorKey } from '../lib/visitor';
import { formatLimits, formatTests } from './ProblemList';
import { SiteNav, ThemeButton } from './SiteNav';
import Verdict from './Verdict';

const CodeEditor = dynamic(() => import('./CodeEditor'), { ssr: false, loading: () => <div className="editor-loading">Loading editor…</div> });

const STORAGE_KEY = 'runbox.problems.v1';

/** The last language used on any problem, and each problem's code per language. */
interface Saved {
  language: string;
  code: Record<string, Record<string, string>>;
}

function loadSaved(): Saved {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as Saved | null;
    if (saved && typeof saved.language === 'string' && saved.code) return saved;
  } catch {
    // unreadable: start afresh
  }
  return { language: 'python', code: {} };
}

/** Where a verdict points in the code: the compiler's messages, or the first crashing test's trace. */
function diagnose(language: string, r: JudgeResponse): Diagnostic[] {
  if (r.status === 'compile_error') return compileDiagnostics(language, r.compile?.output ?? '');
  const crashed = r.tests.find((t) => t.status === 'runtime_error' && t.stderr);
  return crashed ? runtimeDiagnostics(language, crashed.stderr!) : [];
}

import '../lib/test-hooks';

/** One problem: its statement and samples, an editor, and the judge's verdict on a submission. */
export default function ProblemView({ slug }: { slug: string }) {
  const { theme, toggleTheme } = useTheme();
  const [problem, setProblem] = useState<ProblemResponse | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [languages, setLanguages] = useState<LanguageInfo[]>([]);
  const [language, setLanguage] = useState('python');
  const [code, setCode] = useState<Record<string, string>>({});
  const [restored, setRestored] = useState(false);
  const [keepRuns, setKeepRuns] = useState(true);
  const [submitting, setSubmitting] = useState(false);
  const [verdict, setVerdict] = useState<JudgeResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [diagnostics, setDiagnostics] = useState<Diagnostic[]>([]);
  const submittingRef = useRef(false);

  useEffect(() => {
    const saved = loadSaved();
    setLanguage(saved.language);
    setCode(saved.code[slug] ?? {});
    setKeepRuns(keepHistory());
    setRestored(true);
    let live = true;
    fetchProblem(slug).then(
      (p) => live && setProblem(p),
      (err: unknown) =>
        live &&
        setLoadError(isNotFound(err) ? 'There is no such problem. Pick one from the list of problems.' : err instanceof ApiError ? err.message : 'Could not load the problem.'),
    );
    fetchLanguages().then(
      (l) => live && setLanguages(l),
      (err: unknown) => live && setError(err instanceof ApiError ? err.message : 'Could not load the languages.'),
    );
    return () => {
      live = false;
    };
  }, [slug]);

  useEffect(() => {
    if (!restored) return;
    const saved = loadSaved();
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ language, code: { ...saved.code, [slug]: code } } satisfies Saved));
  }, [restored, slug, language, code]);

  const current = languages.find((l) => l.id === language);
  const source = code[language] ?? starterCode(language, problem?.title ?? slug, current?.template ?? '');
  const editor = EDITOR[language] ?? PLAIN_EDITOR;

  const setSource = useCallback((value: string) => setCode((c) => ({ ...c, [language]: value })), [language]);

  const submit = useCallback(async () => {
    if (submittingRef.current) return; // one submission at a time
    submittingRef.current = true;
    setSubmitting(true);
    setError(null);
    setVerdict(null);
    setDiagnostics([]);
    try {
      const r = await submitSolution(slug, { language, code: source }, keepRuns ? visitorKey() : null);
      setVerdict(r);
      setDiagnostics(diagnose(language, r));
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'Something went wrong while judging your code.');
    } finally {
      submittingRef.current = false;
      setSubmitting(false);
    }
  }, [slug, language, source, keepRuns]);

  useEffect(() => {
    window.runbox = { setCode: setSource, getCode: () => source };
  }, [setSource, source]);

  const changeKeepRuns = (on: boolean) => {
    setKeepHistory(on);
    setKeepRuns(on);
  };

  const languageOptions = useMemo(() => languages.map((l) => ({ id: l.id, label: l.version ? `${l.name} ${l.version}` : l.name })), [languages]);

  return (
    <div className="page">
      <header className="toolbar">
        <h1>runbox</h1>
        <SiteNav current="problems" />
        <ThemeButton theme={theme} onToggle={toggleTheme} />
      </header>
      {loadError && (
        <main className="content">
          <p className="error" role="alert" data-testid="load-error">
            {loadError}
          </p>
        </main>
      )}
      {!problem && !loadError && (
        <main className="content">
          <p className="placeholder">Loading the problem…</p>
        </main>
      )}
      {problem && (
        <main className="problem">
          <article className="statement" aria-label="Problem statement">
            <h2>{problem.title}</h2>
            <p className="meta" data-testid="limits">
              {formatLimits(problem)} · {formatTests(problem)}
            </p>
            <div className="markdown" data-testid="statement">
              {/* no raw HTML from a statement ever reaches the page; links are sanitised too */}
              {/* no images: the page fetches nothing from other hosts, and visitors' addresses stay here */}
              <Markdown skipHtml disallowedElements={['img']}>{problem.statement}</Markdown>
            </div>
            {problem.samples.length > 0 && (
              <section className="samples" aria-label="Sample tests">
                <h3>Sample tests</h3>
                {problem.samples.map((s, i) => (
                  <div className="io-grid" key={i}>
                    <div className="stream">
                      <h4>Sample {i + 1}: input</h4>
                      <pre data-testid="sample-input">{s.input}</pre>
                    </div>
                    <div className="stream">
                      <h4>Expected output</h4>
                      <pre data-testid="sample-expected">{s.expected}</pre>
                    </div>
                  </div>
                ))}
              </section>
            )}
          </article>
          <section className="solve" aria-label="Your solution">
            <div className="solve-bar">
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
              <button type="button" className="run" onClick={() => void submit()} disabled={submitting} aria-busy={submitting} aria-label="Submit">
                {submitting ? 'Judging…' : 'Submit'}
              </button>
              <label className="check">
                <input type="checkbox" checked={keepRuns} onChange={(e) => changeKeepRuns(e.target.checked)} />
                <span>Keep runs in history</span>
              </label>
            </div>
            <div className="editor-box">
              <CodeEditor
                path={`problems/${slug}/${editor.file}`}
                language={editor.monaco}
                value={source}
                theme={theme}
                diagnostics={diagnostics}
                onChange={setSource}
                onRun={() => void submit()}
              />
            </div>
            {error && (
              <p className="error" role="alert" data-testid="api-error">
                {error}
              </p>
            )}
            {submitting && <p className="placeholder">Running your program on every test…</p>}
            {verdict && <Verdict result={verdict} />}
            {!verdict && !submitting && !error && <p className="placeholder">Submit to run your program on the sample and hidden tests.</p>}
          </section>
        </main>
      )}
    </div>
  );
}
