'use client';

import { useEffect, useState } from 'react';
import { deleteHistoryItem, errorMessage, fetchHistory, isNotFound, type HistoryEntry, type LanguageInfo } from '../lib/api';
import { statusOf } from '../lib/status';
import { visitorKey } from '../lib/visitor';

export interface HistoryPanelProps {
  id: string;
  languages: LanguageInfo[];
  /** changes whenever a new run may have been kept: the list is read again */
  refresh: number;
  onOpen(entry: HistoryEntry): void;
}

const when = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });

/** This browser's recent runs and submissions, newest first; a click loads one back, ✕ deletes it. */
export default function HistoryPanel({ id, languages, refresh, onOpen }: HistoryPanelProps) {
  const [entries, setEntries] = useState<HistoryEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    fetchHistory(visitorKey()).then(
      (list) => {
        if (!live) return;
        setEntries(list);
        setError(null);
      },
      (err: unknown) => live && setError(errorMessage(err, 'Could not read your history.')),
    );
    return () => {
      live = false;
    };
  }, [refresh]);

  const languageName = (lang: string) => languages.find((l) => l.id === lang)?.name ?? lang;

  const remove = async (entry: HistoryEntry) => {
    setError(null);
    try {
      await deleteHistoryItem(visitorKey(), entry.id);
    } catch (err) {
      // already gone is what was asked for
      if (!isNotFound(err)) {
        setError(errorMessage(err, 'Could not delete that entry.'));
        return;
      }
    }
    setEntries((list) => list?.filter((e) => e.id !== entry.id) ?? null);
  };

  return (
    <section className="history" id={id} aria-label="History" data-testid="history-panel">
      <h2>History</h2>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {!entries && !error && <p className="placeholder">Loading…</p>}
      {entries?.length === 0 && <p className="placeholder">Nothing kept yet: runs and submissions appear here while “Keep runs in history” is on.</p>}
      {entries && entries.length > 0 && (
        <ol className="history-list">
          {entries.map((e) => {
            const status = statusOf(e.kind, e.status);
            return (
              <li key={e.id}>
                <button type="button" className="history-entry" data-testid="history-entry" data-kind={e.kind} onClick={() => onOpen(e)}>
                  <time dateTime={e.createdAt}>{when(e.createdAt)}</time>
                  <span>{languageName(e.language)}</span>
                  <span>{e.kind === 'judge' ? `Problem ${e.problem ?? '?'}` : 'Run'}</span>
                  <span className={`tone-${status.tone}`}>{status.label}</span>
                </button>
                <button
                  type="button"
                  className="history-delete"
                  data-testid="history-delete"
                  aria-label={`Delete ${when(e.createdAt)} ${languageName(e.language)} entry`}
                  title="Delete from history"
                  onClick={() => void remove(e)}
                >
                  ✕
                </button>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
