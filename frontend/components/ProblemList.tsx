'use client';

import Link from 'next/link';
import { useEffect, useState } from 'react';
import { ApiError, fetchProblems, type ProblemSummary } from '../lib/api';
import { useTheme } from '../lib/theme';
import { SiteNav, ThemeButton } from './SiteNav';

export const formatLimits = (p: ProblemSummary) => `${p.timeLimitMs >= 1000 ? `${p.timeLimitMs / 1000} s` : `${p.timeLimitMs} ms`} · ${p.memoryLimitMb} MB`;

export const formatTests = (p: ProblemSummary) =>
  `${p.sampleCount} sample${p.sampleCount === 1 ? '' : 's'} · ${p.hiddenCount} hidden test${p.hiddenCount === 1 ? '' : 's'}`;

/** Every problem the judge has, with its limits and how many tests it runs. */
export default function ProblemList() {
  const { theme, toggleTheme } = useTheme();
  const [problems, setProblems] = useState<ProblemSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    fetchProblems().then(setProblems, (err: unknown) => setError(err instanceof ApiError ? err.message : 'Could not load the problems.'));
  }, []);

  return (
    <div className="page">
      <header className="toolbar">
        <h1>runbox</h1>
        <SiteNav current="problems" />
        <ThemeButton theme={theme} onToggle={toggleTheme} />
      </header>
      <main className="content">
        <h2>Problems</h2>
        <p className="placeholder">Write a program that reads the input and prints the answer; the judge runs it on sample and hidden tests.</p>
        {error && (
          <p className="error" role="alert" data-testid="api-error">
            {error}
          </p>
        )}
        {!problems && !error && <p className="placeholder">Loading…</p>}
        {problems?.length === 0 && <p className="placeholder">No problems yet.</p>}
        {problems && problems.length > 0 && (
          <ul className="problem-list" data-testid="problem-list">
            {problems.map((p) => (
              <li key={p.slug}>
                <Link href={`/problems/${encodeURIComponent(p.slug)}`}>{p.title}</Link>
                <span className="meta">{formatLimits(p)}</span>
                <span className="meta">{formatTests(p)}</span>
              </li>
            ))}
          </ul>
        )}
      </main>
    </div>
  );
}
