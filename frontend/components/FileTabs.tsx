'use client';

import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { Diagnostic } from '../lib/diagnostics';
import { entryNameProblem, MAX_FILES, renameProblem, type FileDraft } from '../lib/program-files';

export interface FileTabsProps {
  files: readonly FileDraft[];
  active: number;
  onSelect(index: number): void;
  /** a new tab after the others; its name is asked for at once */
  onAdd(): void;
  onRename(index: number, name: string): void;
  onDelete(index: number): void;
  /** the tab whose name is being typed (a new tab), if any */
  editing: number | null;
  onEditing(index: number | null): void;
  /** makes a file the entry point (the first tab); without it no file but the first can be */
  onMakeEntry?(index: number): void;
  /** the endings the entry file may have (the language's source files); without them any */
  entryExtensions?: readonly string[];
  /** the id of the element that shows the open file (role tabpanel), when the page has one */
  panelId?: string;
  /** where the last run's errors and warnings are: every tab with any is marked, open or not */
  diagnostics?: readonly Pick<Diagnostic, 'file' | 'severity'>[];
}

/** The id of a file's tab, for its panel's aria-labelledby. */
export const fileTabId = (index: number) => `file-tab-${index}`;

const counted = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** A file's errors and warnings: counted, and in words ("1 error, 2 warnings"). */
interface Problems {
  errors: number;
  warnings: number;
  words: string;
}

/** What the last run found in a file; null for nothing. */
function problemsOf(file: string, diagnostics: readonly Pick<Diagnostic, 'file' | 'severity'>[]): Problems | null {
  const mine = diagnostics.filter((d) => d.file === file);
  if (mine.length === 0) return null;
  const errors = mine.filter((d) => d.severity === 'error').length;
  const warnings = mine.length - errors;
  const words = [errors > 0 && counted(errors, 'error'), warnings > 0 && counted(warnings, 'warning')].filter(Boolean).join(', ');
  return { errors, warnings, words };
}

/** A tab's name, as a screen reader says it: "main.py (entry point)", "utils.py, 1 error". */
const tabName = (file: string, entry: boolean, problems: Problems | null) => `${file}${entry ? ' (entry point)' : ''}${problems ? `, ${problems.words}` : ''}`;

/**
 * The program's files as tabs (the WAI-ARIA tabs pattern: a tab list of tabs only, arrow
 * keys between them, the open file in a tab panel): click or arrow to open one; the open
 * file's actions beside the list: rename (or double-click the tab), make it the entry
 * point, delete, and + to add a file. The first tab is the entry point (the file that runs,
 * marked ▸). A name is checked as it is typed with the API's own rules (and an entry keeps
 * its language's ending); Enter keeps it, Escape gives it up. A tab whose file the last run's
 * errors point into is marked, and its name says how many ("utils.py, 1 error"): an error in
 * a file not open is seen too.
 */
export default function FileTabs({ files, active, onSelect, onAdd, onRename, onDelete, editing, onEditing, onMakeEntry, entryExtensions, panelId, diagnostics = [] }: FileTabsProps) {
  const tabs = useRef<(HTMLButtonElement | null)[]>([]);
  const current = files[active]!;
  const problems = files.map((file) => problemsOf(file.name, diagnostics));
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const last = files.length - 1;
    const next = { ArrowRight: active === last ? 0 : active + 1, ArrowLeft: active === 0 ? last : active - 1, Home: 0, End: last }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    onSelect(next);
    tabs.current[next]?.focus();
  };
  return (
    <div className="file-tabs">
      <div className="tab-list" role="tablist" aria-label="Files" onKeyDown={onKeyDown}>
        {files.map((file, i) => (
          <button
            key={file.name}
            ref={(el) => {
              tabs.current[i] = el;
            }}
            type="button"
            role="tab"
            id={fileTabId(i)}
            className={`file-tab${i === active ? ' active' : ''}`}
            aria-selected={i === active}
            aria-controls={panelId}
            tabIndex={i === active ? 0 : -1}
            data-file={file.name}
            aria-label={tabName(file.name, i === 0 && files.length > 1, problems[i])}
            title={`${i === 0 ? `${file.name}: the entry point (the file that runs)` : `${file.name} (double-click to rename)`}${problems[i] ? `; the last run: ${problems[i].words}` : ''}`}
            onClick={() => onSelect(i)}
            onDoubleClick={() => onEditing(i)}
          >
            {file.name}
            {i === 0 && files.length > 1 && (
              <span className="entry-mark" aria-hidden="true">
                {' '}
                ▸
              </span>
            )}
            {problems[i] && <ProblemMark {...problems[i]} />}
          </button>
        ))}
      </div>
      <div className="tab-actions">
        {editing !== null && files[editing] ? (
          <NameInput
            key={`edit-${editing}`}
            initial={files[editing].name}
            others={files.filter((_, j) => j !== editing).map((f) => f.name)}
            entryExtensions={editing === 0 ? entryExtensions : undefined}
            onDone={(name) => {
              const file = files[editing]!;
              onEditing(null);
              if (name !== null && name !== file.name) onRename(editing, name);
            }}
          />
        ) : (
          <>
            <button type="button" className="tab-action" aria-label={`Rename ${current.name}`} title={`Rename ${current.name}`} onClick={() => onEditing(active)}>
              ✎
            </button>
            {onMakeEntry && active > 0 && (
              <button type="button" className="tab-action" aria-label={`Make ${current.name} the entry file`} title={`Make ${current.name} the entry point (the file that runs)`} onClick={() => onMakeEntry(active)}>
                ▸
              </button>
            )}
            {files.length > 1 && (
              <button type="button" className="tab-action" aria-label={`Delete ${current.name}`} title={`Delete ${current.name}`} onClick={() => onDelete(active)}>
                ✕
              </button>
            )}
          </>
        )}
        <button type="button" className="tab-add" aria-label="Add a file" title={`Add a file (at most ${MAX_FILES})`} onClick={onAdd} disabled={files.length >= MAX_FILES}>
          +
        </button>
      </div>
    </div>
  );
}

/** A tab's count of errors (of warnings when it has none), drawn (its name says it in words). */
function ProblemMark({ errors, warnings }: Problems) {
  return (
    <span className={`problem-mark ${errors > 0 ? 'errors' : 'warnings'}`} aria-hidden="true" data-testid="tab-problems">
      {errors > 0 ? errors : warnings}
    </span>
  );
}

/** The name field of a tab being named: the API's rules (and the entry's ending) checked as it is typed. */
function NameInput({ initial, others, entryExtensions, onDone }: { initial: string; others: string[]; entryExtensions?: readonly string[]; onDone(name: string | null): void }) {
  const [name, setName] = useState(initial);
  const ref = useRef<HTMLInputElement>(null);
  const problem = renameProblem(name, others) ?? (entryExtensions ? entryNameProblem(name, entryExtensions) : null);
  // Enter or Escape ends the naming; the blur that follows as the field goes must not end it again
  const ended = useRef(false);
  const end = (result: string | null) => {
    if (ended.current) return;
    ended.current = true;
    onDone(result);
  };
  useEffect(() => {
    const input = ref.current;
    if (!input) return;
    input.focus();
    // the stem selected, as file managers do: typing replaces the name, not its ending
    const dot = initial.lastIndexOf('.');
    input.setSelectionRange(0, dot > 0 ? dot : initial.length);
  }, [initial]);
  return (
    <span className="file-tab editing">
      <input
        ref={ref}
        aria-label="File name"
        aria-invalid={problem !== null}
        aria-describedby={problem ? 'file-name-problem' : undefined}
        title={problem ?? 'Enter keeps the name, Escape gives it up'}
        value={name}
        spellCheck={false}
        size={Math.max(8, name.length + 1)}
        onChange={(e) => setName(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            if (!problem) end(name);
          } else if (e.key === 'Escape') {
            e.preventDefault();
            end(null);
          }
        }}
        onBlur={() => end(problem ? null : name)}
      />
      {problem && (
        <span className="name-problem" role="alert" id="file-name-problem" data-testid="file-name-problem">
          {problem}
        </span>
      )}
    </span>
  );
}
