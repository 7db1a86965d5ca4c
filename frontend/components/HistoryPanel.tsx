'use client';

import { useEffect, useRef, useState } from 'react';
import { deleteHistoryItem, errorMessage, fetchHistory, fetchHistoryItem, isNotFound, type HistoryEntry, type LanguageInfo } from '../lib/api';
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

/** The most of a line a row shows (the rest is cut with an ellipsis). */
const PREVIEW_CHARS = 80;

/**
 * The lines of a program that tell it from the others: its first two non-empty lines that
 * are not its language's template's (`int main() {`, `public class Main {` are in every C++ or
 * Java program) nor brackets alone; a program that is all template shows its first two.
 */
export function codePreview(code: string, template = ''): string[] {
  const lines = code.split('\n').map((l) => l.trim()).filter(Boolean);
  const boilerplate = new Set(template.split('\n').map((l) => l.trim()));
  const own = lines.filter((l) => !boilerplate.has(l) && !/^[{}()[\];,]+$/.test(l));
  return (own.length > 0 ? own : lines).slice(0, 2).map((l) => (l.length > PREVIEW_CHARS ? `${l.slice(0, PREVIEW_CHARS - 1)}…` : l));
}

/**
 * Entries' code as read from the server, by id: the list comes without code, and an entry
 * never changes, so each is read once, when its row is first seen.
 */
const codeRead = new Map<string, Promise<string>>();

function readCode(id: string): Promise<string> {
  let code = codeRead.get(id);
  if (!code) {
    code = fetchHistoryItem(visitorKey(), id).then((item) => item.code);
    codeRead.set(id, code);
    code.catch(() => codeRead.delete(id));
  }
  return code;
}

/** The first lines of an entry's code, read once its row scrolls into view. */
function CodePreview({ id, template }: { id: string; template?: string }) {
  const ref = useRef<HTMLElement>(null);
  const [lines, setLines] = useState<string[] | null>(null);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    let live = true;
    const seen = new IntersectionObserver((changes) => {
      if (!changes.some((c) => c.isIntersecting)) return;
      seen.disconnect();
      readCode(id).then(
        (code) => live && setLines(codePreview(code, template)),
        () => undefined, // no preview: the row still opens the entry, which says what went wrong
      );
    });
    seen.observe(element);
    return () => {
      live = false;
      seen.disconnect();
    };
  }, [id, template]);
  return (
    <code ref={ref} className={`history-code${lines?.length === 0 ? ' empty' : ''}`} data-testid="history-code">
      {lines === null ? '\u00a0' : lines.length === 0 ? '(no code)' : lines.join('\n')}
    </code>
  );
}

/**
 * This browser's recent runs and submissions, newest first, each with the first lines of its
 * code; a click loads one back, ✕ deletes it.
 */
export default function HistoryPanel({ id, languages, refresh, onOpen }: HistoryPanelProps) {
  const [entries, setEntries] = useState<HistoryEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const panel = useRef<HTMLElement>(null);

  // opened after a run, the output pane is scrolled down to the console: show the panel asked for
  useEffect(() => panel.current?.scrollIntoView({ block: 'nearest' }), []);

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
  const templateOf = (lang: string) => languages.find((l) => l.id === lang)?.template;

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
    <section ref={panel} className="history" id={id} aria-label="History" data-testid="history-panel">
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
                  <CodePreview id={e.id} template={templateOf(e.language)} />
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
