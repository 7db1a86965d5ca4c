'use client';

import Link from 'next/link';
import { useEffect, useId, useState } from 'react';
import { errorMessage, PackageRefused, sendPackage, type PackageAction, type PackageOutcome, type VerifyReport } from '../lib/api';
import { useSingleFlight } from '../lib/editor-hooks';
import { JUDGE_STATUS } from '../lib/status';
import { useTheme } from '../lib/theme';
import Toolbar from './Toolbar';

/** The admin key lives in this tab's sessionStorage only: gone when the tab closes, never in localStorage. */
const KEY_STORAGE = 'runbox.adminKey';

/** A solution's folder in submissions/, in words. */
const EXPECTED: Record<string, string> = {
  accepted: 'Accepted',
  wrong_answer: 'Wrong answer',
  time_limit_exceeded: 'Time limit exceeded',
  run_time_error: 'Runtime error',
  partially_accepted: 'Partially accepted',
};

const SLUG = /^[a-z0-9]{1,64}$/;

/**
 * For admins: a problem package (Kattis format, a zip) verified (every solution in its
 * submissions/ judged against the verdict its folder names; nothing stored) or imported
 * (verified, then created or replaced). Shows the report, or the file and line of what is
 * wrong with the package.
 */
export default function PackageAdmin() {
  const { theme, toggleTheme } = useTheme();
  const ids = useId();
  const [key, setKey] = useState('');
  const [zip, setZip] = useState<File | null>(null);
  const [name, setName] = useState('');
  const [busy, start] = useSingleFlight();
  const [action, setAction] = useState<PackageAction | null>(null);
  const [outcome, setOutcome] = useState<PackageOutcome | null>(null);
  const [refused, setRefused] = useState<PackageRefused | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => setKey(sessionStorage.getItem(KEY_STORAGE) ?? ''), []);
  const keep = (value: string) => {
    setKey(value);
    if (value) sessionStorage.setItem(KEY_STORAGE, value);
    else sessionStorage.removeItem(KEY_STORAGE);
  };

  const send = (what: PackageAction) =>
    start(async () => {
      setError(null);
      setRefused(null);
      setOutcome(null);
      if (!key.trim()) return setError('Paste the admin key first (RUNBOX_ADMIN_KEY of this server).');
      if (!zip) return setError('Choose the package’s zip first.');
      if (name && !SLUG.test(name)) return setError('The slug is 1-64 lowercase letters and digits.');
      setAction(what);
      try {
        setOutcome(await sendPackage(what, zip, key.trim(), name));
      } catch (err) {
        if (err instanceof PackageRefused) setRefused(err);
        else setError(errorMessage(err, 'Something went wrong while sending the package.'));
      }
    });

  return (
    <div className="page">
      <Toolbar current="admin" theme={theme} onToggleTheme={toggleTheme} />
      <main className="content">
        <h2>Problem packages</h2>
        <p className="placeholder">
          A problem package in the Kattis format, as a zip of its folder. <strong>Verify</strong> judges every solution in its <code>submissions/</code> and
          stores nothing; <strong>Import</strong> does the same, then creates the problem (or replaces it, keeping earlier submissions&rsquo; results) when
          every accepted solution is accepted.
        </p>
        <form className="admin-form" onSubmit={(e) => e.preventDefault()} aria-label="Package">
          <label className="field">
            <span>Admin key</span>
            <input type="password" autoComplete="off" spellCheck={false} value={key} onChange={(e) => keep(e.target.value)} aria-describedby={`${ids}-key`} />
          </label>
          <p className="hint-text" id={`${ids}-key`}>
            Kept in this tab only (sessionStorage) until it is closed.{' '}
            {key && (
              <button type="button" onClick={() => keep('')}>
                Forget the key
              </button>
            )}
          </p>
          <label className="field">
            <span>Package (.zip, up to 128 MB)</span>
            <input type="file" accept=".zip,application/zip" onChange={(e) => setZip(e.target.files?.[0] ?? null)} data-testid="package-file" />
          </label>
          <label className="field">
            <span>Slug (only for a zip of the package&rsquo;s files rather than its folder)</span>
            <input value={name} onChange={(e) => setName(e.target.value.trim())} spellCheck={false} autoComplete="off" placeholder="from the folder's name" />
          </label>
          <div className="actions">
            <button type="button" className="run" onClick={() => void send('verify')} disabled={busy} aria-busy={busy && action === 'verify'}>
              {busy && action === 'verify' ? 'Verifying…' : 'Verify'}
            </button>
            <button type="button" onClick={() => void send('import')} disabled={busy} aria-busy={busy && action === 'import'}>
              {busy && action === 'import' ? 'Importing…' : 'Import'}
            </button>
          </div>
        </form>
        <div aria-live="polite">
          {busy && <p className="placeholder">Judging every solution in the package: this can take a minute or more.</p>}
        </div>
        {error && (
          <p className="error" role="alert" data-testid="admin-error">
            {error}
          </p>
        )}
        {refused && (
          <div className="error" role="alert" data-testid="package-error">
            <strong>{action === 'import' ? 'Not imported' : 'Not verified'}: the package is not valid.</strong>{' '}
            {refused.file && (
              <span data-testid="package-error-where">
                <code>{refused.file}</code>
                {refused.line !== null && `, line ${refused.line}`}:{' '}
              </span>
            )}
            {refused.message}
          </div>
        )}
        {refused?.report && <Report title="Its solutions, as judged" report={refused.report} />}
        {outcome?.action === 'verify' && <Report title="Verified: nothing was stored" report={outcome.report} />}
        {outcome?.action === 'import' && (
          <Report title={outcome.outcome === 'created' ? `Imported as a new problem: ${outcome.slug}` : `Imported: ${outcome.slug} replaced`} report={outcome.report} slug={outcome.slug} />
        )}
      </main>
    </div>
  );
}

const seconds = (ms: number) => (ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);

/** Each example solution: where it is, its language, the verdict its folder names and the one it got, its slowest test against the limit. */
function Report({ title, report, slug }: { title: string; report: VerifyReport; slug?: string }) {
  return (
    <section className="result report" aria-labelledby="report-title" data-testid="package-report">
      <h3 id="report-title">{title}</h3>
      <p data-testid="report-summary">
        {report.passed} passed, {report.failed} failed · time limit {seconds(report.timeLimitMs)} ({report.timeLimitFrom === 'default' ? 'the default' : `from ${report.timeLimitFrom}`})
      </p>
      {slug && (
        <p>
          <Link href={`/problems/${encodeURIComponent(slug)}`}>Open the problem</Link>
        </p>
      )}
      <div className="table-wrap">
        <table className="verdict-table report-table" data-testid="report-table">
          <thead>
            <tr>
              <th scope="col">Solution</th>
              <th scope="col">Language</th>
              <th scope="col">Expected</th>
              <th scope="col">Verdict</th>
              <th scope="col">Slowest test</th>
              <th scope="col">Limit</th>
              <th scope="col">Result</th>
            </tr>
          </thead>
          <tbody>
            {report.solutions.map((s) => {
              const got = JUDGE_STATUS[s.status] ?? { label: s.status, tone: 'warn' as const };
              return (
                <tr key={s.path} data-testid="report-row" data-passed={String(s.passed)}>
                  <td>
                    <code>{s.path}</code>
                  </td>
                  <td>{s.language}</td>
                  <td>{EXPECTED[s.expected] ?? s.expected}</td>
                  <td className={`tone-${got.tone}`}>
                    {got.label}
                    {s.score !== undefined && ` (score ${s.score})`}
                  </td>
                  <td>{s.slowestMs} ms</td>
                  <td>{s.limitMs} ms</td>
                  <td className={s.passed ? 'tone-good' : 'tone-bad'}>{s.passed ? 'Pass' : 'Fail'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {report.warnings.length > 0 && (
        <>
          <h4>Warnings</h4>
          <ul data-testid="report-warnings">
            {report.warnings.map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
