'use client';

import { useEffect, useState } from 'react';
import { errorMessage, execute, fetchLanguages, fetchProblem, isNotFound, submitSolution, type JudgeResponse, type LanguageInfo, type ProblemResponse } from '../lib/api';
import { diagnose, type Diagnostic } from '../lib/diagnostics';
import { useCodeTestHook, useSingleFlight } from '../lib/editor-hooks';
import { checkSample } from '../lib/sample-check';
import { starterCode } from '../lib/starters';
import { defaultFileName, newFileName, programFields, type FileDraft } from '../lib/program-files';
import { useTheme } from '../lib/theme';
import { visitorForRun } from '../lib/visitor';
import FileTabs from './FileTabs';
import KeepHistoryToggle from './KeepHistoryToggle';
import LanguageSelect from './LanguageSelect';
import ProblemStatement from './ProblemStatement';
import ProgramEditor from './ProgramEditor';
import SampleRuns, { type SampleRun } from './SampleRuns';
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

/** What the page runs the program on: each sample with its answer, or the visitor's own input. */
interface RunInput {
  label: string;
  input: string;
  expected: string | null;
}

/** One problem: its statement and samples, an editor, runs on the samples or custom input, and the judge's verdict on a submission. */
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
  /** one thing at a time: a submission, or runs on the samples or custom input */
  const [busy, startTask] = useSingleFlight();
  const [task, setTask] = useState<'submit' | 'run' | null>(null);
  const submitting = busy && task === 'submit';
  const running = busy && task === 'run';
  const [verdict, setVerdict] = useState<JudgeResponse | null>(null);
  const [runs, setRuns] = useState<{ done: SampleRun[]; pending: number } | null>(null);
  const [customInput, setCustomInput] = useState('');
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
    startTask(async () => {
      setTask('submit');
      setError(null);
      setVerdict(null);
      setRuns(null);
      setDiagnostics([]);
      try {
        const r = await submitSolution(slug, { language, ...programFields(current, files) }, visitorForRun());
        setVerdict(r);
        setDiagnostics(diagnose(language, r, files.map((f) => f.name)));
      } catch (err) {
        setError(errorMessage(err, 'Something went wrong while judging your code.'));
      }
    });

  /**
   * A run, not a submission: the program runs through /api/execute on each input in turn
   * (under the problem's time and memory limits), nothing is judged and nothing is kept.
   */
  const runOn = (inputs: RunInput[]) =>
    startTask(async () => {
      if (!problem || inputs.length === 0) return;
      setTask('run');
      setError(null);
      setVerdict(null);
      setDiagnostics([]);
      const done: SampleRun[] = [];
      setRuns({ done, pending: inputs.length });
      const limits = { timeMs: problem.timeLimitMs, cpuTimeMs: problem.timeLimitMs, memoryMb: problem.memoryLimitMb };
      try {
        for (const [i, { label, input, expected }] of inputs.entries()) {
          const result = await execute({ language, ...programFields(current, files), stdin: input, args: [], limits });
          const check = expected !== null && result.status === 'ok' ? checkSample(result.stdout, expected, problem.package) : null;
          done.push({ label, input, expected, result, check });
          const over = result.status === 'compile_error';
          setRuns({ done: [...done], pending: over ? 0 : inputs.length - i - 1 });
          if (over) break;
        }
      } catch (err) {
        setRuns((r) => (r ? { ...r, pending: 0 } : r));
        setError(errorMessage(err, 'Something went wrong while running your code.'));
      }
      const failed = done.find((r) => r.result.status !== 'ok');
      if (failed) setDiagnostics(diagnose(language, failed.result, files.map((f) => f.name)));
    });
  const interactive = problem?.package?.interactive ?? false;
  const runSamples = () => void runOn((problem?.samples ?? []).map((s, i) => ({ label: `Sample ${i + 1}`, input: s.input, expected: s.expected })));
  const runCustom = () => void runOn([{ label: 'Your input', input: customInput, expected: null }]);

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
          <ProblemStatement problem={problem} />
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
              <button type="button" className="run" onClick={() => void submit()} disabled={busy} aria-busy={submitting} aria-label="Submit">
                {submitting ? 'Judging…' : 'Submit'}
              </button>
              {!interactive && problem.samples.length > 0 && (
                <button type="button" className="run-samples" onClick={runSamples} disabled={busy} aria-busy={running}>
                  {running ? 'Running…' : 'Run on samples'}
                </button>
              )}
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
            <details className="custom-input" open={interactive || undefined}>
              <summary>Custom input</summary>
              {interactive && (
                <p className="meta" id="interactive-note">
                  This problem is interactive: its samples are conversations with the judge&rsquo;s program, so they cannot be run here. Type what the
                  judge would send, run, and read what your program answers; Submit to be judged.
                </p>
              )}
              <label className="field">
                <span>Input for your program (stdin)</span>
                <textarea rows={4} value={customInput} onChange={(e) => setCustomInput(e.target.value)} spellCheck={false} data-testid="custom-input" />
              </label>
              <button type="button" onClick={runCustom} disabled={busy} aria-busy={running}>
                Run on this input
              </button>
            </details>
            {error && (
              <p className="error" role="alert" data-testid="api-error">
                {error}
              </p>
            )}
            {submitting && <p className="placeholder">Running your program on every test…</p>}
            {verdict && <Verdict result={verdict} />}
            {runs && <SampleRuns runs={runs.done} pending={runs.pending} ownValidator={problem.package?.validation.kind === 'custom'} />}
            {!verdict && !runs && !busy && !error && (
              <p className="placeholder">Run on the samples (or on your own input) to try your program; Submit to have it judged on the sample and hidden tests.</p>
            )}
          </section>
        </main>
      )}
    </div>
  );
}
