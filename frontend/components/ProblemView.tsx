'use client';

import { useCallback, useEffect, useState } from 'react';
import Markdown from 'react-markdown';
import { errorMessage, fetchLanguages, fetchProblem, isNotFound, submitSolution, type JudgeResponse, type LanguageInfo, type ProblemResponse } from '../lib/api';
import { diagnose, type Diagnostic } from '../lib/diagnostics';
import { useCodeTestHook, useSingleFlight } from '../lib/editor-hooks';
import { formatLimits, formatTests } from '../lib/format';
import { starterCode } from '../lib/starters';
import { useTheme } from '../lib/theme';
import { visitorForRun } from '../lib/visitor';
import KeepHistoryToggle from './KeepHistoryToggle';
import LanguageSelect from './LanguageSelect';
import ProgramEditor from './ProgramEditor';
import Toolbar from './Toolbar';
import Verdict from './Verdict';

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

/** One problem: its statement and samples, an editor, and the judge's verdict on a submission. */
export default function ProblemView({ slug }: { slug: string }) {
  const { theme, toggleTheme } = useTheme();
  const [problem, setProblem] = useState<ProblemResponse | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [languages, setLanguages] = useState<LanguageInfo[]>([]);
  const [language, setLanguage] = useState('python');
  const [code, setCode] = useState<Record<string, string>>({});
  const [restored, setRestored] = useState(false);
  const [submitting, startSubmit] = useSingleFlight();
  const [verdict, setVerdict] = useState<JudgeResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [diagnostics, setDiagnostics] = useState<Diagnostic[]>([]);

  useEffect(() => {
    const saved = loadSaved();
    setLanguage(saved.language);
    setCode(saved.code[slug] ?? {});
    setRestored(true);
    let live = true;
    fetchProblem(slug).then(
      (p) => live && setProblem(p),
      (err: unknown) =>
        live &&
        setLoadError(isNotFound(err) ? 'There is no such problem. Pick one from the list of problems.' : errorMessage(err, 'Could not load the problem.')),
    );
    fetchLanguages().then(
      (l) => live && setLanguages(l),
      (err: unknown) => live && setError(errorMessage(err, 'Could not load the languages.')),
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
  const source = code[language] ?? starterCode(current, problem?.title ?? slug);
  const setSource = useCallback((value: string) => setCode((c) => ({ ...c, [language]: value })), [language]);
  useCodeTestHook(source, setSource);

  const submit = () =>
    startSubmit(async () => {
      setError(null);
      setVerdict(null);
      setDiagnostics([]);
      try {
        const r = await submitSolution(slug, { language, code: source }, visitorForRun());
        setVerdict(r);
        setDiagnostics(diagnose(language, r));
      } catch (err) {
        setError(errorMessage(err, 'Something went wrong while judging your code.'));
      }
    });

  return (
    <div className="page">
      <Toolbar current="problems" theme={theme} onToggleTheme={toggleTheme} />
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
              <LanguageSelect languages={languages} value={language} onChange={setLanguage} />
              <button type="button" className="run" onClick={() => void submit()} disabled={submitting} aria-busy={submitting} aria-label="Submit">
                {submitting ? 'Judging…' : 'Submit'}
              </button>
              <KeepHistoryToggle />
            </div>
            <div className="editor-box">
              <ProgramEditor
                language={language}
                languages={languages}
                folder={`problems/${slug}`}
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
