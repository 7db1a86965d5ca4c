'use client';

import Link from 'next/link';
import { useEffect, useState } from 'react';
import { errorMessage, fetchProblems, type ProblemSummary } from '../lib/api';
import { formatLimits, formatTests } from '../lib/format';
import { useTheme } from '../lib/theme';
import Toolbar from './Toolbar';

/** Every problem the judge has, with its limits and how many tests it runs. */
export default function ProblemList() {
  const { theme, toggleTheme } = useTheme();
  const [problems, setProblems] = useState<ProblemSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    fetchProblems().then(setProblems, (err: unknown) => setError(errorMessage(err, 'Could not load the problems.')));
  }, []);

  return (
    <div className="page">
      <Toolbar current="problems" theme={theme} onToggleTheme={toggleTheme} />
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
