'use client';

import { useEffect, useState } from 'react';
import Markdown from 'react-markdown';
import { errorMessage, fetchLanguages, fetchProblem, isNotFound, submitSolution, type JudgeResponse, type LanguageInfo, type ProblemResponse } from '../lib/api';
import { diagnose, type Diagnostic } from '../lib/diagnostics';
import { useCodeTestHook, useSingleFlight } from '../lib/editor-hooks';
import { formatLimits, formatTests } from '../lib/format';
import { starterCode } from '../lib/starters';
import { defaultFileName, newFileName, programFields, type FileDraft } from '../lib/program-files';
import { useTheme } from '../lib/theme';
import { visitorForRun } from '../lib/visitor';
import FileTabs from './FileTabs';
import KeepHistoryToggle from './KeepHistoryToggle';
import LanguageSelect from './LanguageSelect';
import ProgramEditor from './ProgramEditor';
import Toolbar from './Toolbar';
import Verdict from './Verdict';

const STORAGE_KEY = 'runbox.problems.v1';

/** The last language used on any problem, and each problem's code per language. */
interface Saved {
  language: string;
  /** one file of code per problem and language (as before tabs; kept until that program is edited) */
  code: Record<string, Record<string, string>>;
  /** per problem and language, the program as tabs, the entry first */
  files?: Record<string, Record<string, FileDraft[]>>;
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
  /** this problem's programs as tabs, per language; a language not here is one tab of `code` or the starter */
  const [programs, setPrograms] = useState<Record<string, FileDraft[]>>({});
  const [activeTab, setActiveTab] = useState<Record<string, number>>({});
  const [editingTab, setEditingTab] = useState<number | null>(null);
  const [restored, setRestored] = useState(false);
  const [submitting, startSubmit] = useSingleFlight();
  const [verdict, setVerdict] = useState<JudgeResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [diagnostics, setDiagnostics] = useState<Diagnostic[]>([]);

  useEffect(() => {
    const saved = loadSaved();
    setLanguage(saved.language);
    setCode(saved.code[slug] ?? {});
    setPrograms(saved.files?.[slug] ?? {});
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
    const next: Saved = { language, code: { ...saved.code, [slug]: code }, files: { ...saved.files, [slug]: programs } };
    localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
  }, [restored, slug, language, code, programs]);

  const current = languages.find((l) => l.id === language);
  const files = programs[language] ?? [{ name: defaultFileName(current), content: code[language] ?? starterCode(current, problem?.title ?? slug) }];
  const active = Math.min(activeTab[language] ?? 0, files.length - 1);
  const source = files[active]!.content;
  const editFiles = (change: (files: FileDraft[]) => FileDraft[]) => setPrograms((p) => ({ ...p, [language]: change(p[language] ?? files) }));
  const setSource = (value: string) => editFiles((fs) => fs.map((f, i) => (i === active ? { ...f, content: value } : f)));
  const selectTab = (index: number) => setActiveTab((t) => ({ ...t, [language]: index }));
  const addTab = () => {
    editFiles((fs) => [...fs, { name: newFileName(current, fs.map((f) => f.name)), content: '' }]);
    selectTab(files.length);
    setEditingTab(files.length);
  };
  const deleteTab = (index: number) => {
    const file = files[index]!;
    if (file.content.trim() !== '' && !window.confirm(`Delete ${file.name}? Its code will be lost.`)) return;
    editFiles((fs) => fs.filter((_, i) => i !== index));
    if (active >= index && active > 0) selectTab(active - 1);
  };
  useCodeTestHook(source, setSource);

  const submit = () =>
    startSubmit(async () => {
      setError(null);
      setVerdict(null);
      setDiagnostics([]);
      try {
        const r = await submitSolution(slug, { language, ...programFields(current, files) }, visitorForRun());
        setVerdict(r);
        setDiagnostics(diagnose(language, r, files.map((f) => f.name)));
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
              <LanguageSelect
                languages={languages}
                value={language}
                onChange={(id) => {
                  setLanguage(id);
                  setEditingTab(null);
                }}
              />
              <button type="button" className="run" onClick={() => void submit()} disabled={submitting} aria-busy={submitting} aria-label="Submit">
                {submitting ? 'Judging…' : 'Submit'}
              </button>
              <KeepHistoryToggle />
            </div>
            <FileTabs
              files={files}
              active={active}
              onSelect={selectTab}
              onAdd={addTab}
              onRename={(index, name) => editFiles((fs) => fs.map((f, i) => (i === index ? { ...f, name } : f)))}
              onDelete={deleteTab}
              editing={editingTab}
              onEditing={setEditingTab}
            />
            <div className="editor-box">
              <ProgramEditor
                language={language}
                languages={languages}
                file={files[active]!.name}
                folder={`problems/${slug}`}
                value={source}
                theme={theme}
                diagnostics={diagnostics.filter((d) => d.file === files[active]!.name)}
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
