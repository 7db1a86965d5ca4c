'use client';

import { useEffect, useRef, useState } from 'react';
import { MAX_FILES, renameProblem, type FileDraft } from '../lib/program-files';

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
}

/**
 * The program's files as tabs: click to open one, double-click (or ✎) to rename, ✕ to
 * delete, + to add. The first tab is the entry point (the file that runs). A name is
 * checked as it is typed with the API's own rules; Enter keeps it, Escape gives it up.
 */
export default function FileTabs({ files, active, onSelect, onAdd, onRename, onDelete, editing, onEditing }: FileTabsProps) {
  return (
    <div className="file-tabs" role="tablist" aria-label="Files">
      {files.map((file, i) =>
        editing === i ? (
          <NameInput
            key={`edit-${i}`}
            initial={file.name}
            others={files.filter((_, j) => j !== i).map((f) => f.name)}
            onDone={(name) => {
              onEditing(null);
              if (name !== null && name !== file.name) onRename(i, name);
            }}
          />
        ) : (
          <span key={file.name} className={`file-tab${i === active ? ' active' : ''}`}>
            <button
              type="button"
              role="tab"
              aria-selected={i === active}
              data-file={file.name}
              title={i === 0 ? `${file.name}: the entry point (the file that runs)` : `${file.name} (double-click to rename)`}
              onClick={() => onSelect(i)}
              onDoubleClick={() => onEditing(i)}
            >
              {file.name}
              {i === 0 && files.length > 1 && <span className="entry-mark"> ▸</span>}
            </button>
            <button type="button" className="tab-action" aria-label={`Rename ${file.name}`} title="Rename" onClick={() => onEditing(i)}>
              ✎
            </button>
            {files.length > 1 && (
              <button type="button" className="tab-action" aria-label={`Delete ${file.name}`} title="Delete" onClick={() => onDelete(i)}>
                ✕
              </button>
            )}
          </span>
        ),
      )}
      <button type="button" className="tab-add" aria-label="Add a file" title={`Add a file (at most ${MAX_FILES})`} onClick={onAdd} disabled={files.length >= MAX_FILES}>
        +
      </button>
    </div>
  );
}

/** The name field of a tab being named: the API's rules checked as it is typed. */
function NameInput({ initial, others, onDone }: { initial: string; others: string[]; onDone(name: string | null): void }) {
  const [name, setName] = useState(initial);
  const ref = useRef<HTMLInputElement>(null);
  const problem = renameProblem(name, others);
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
        <span className="name-problem" role="alert" data-testid="file-name-problem">
          {problem}
        </span>
      )}
    </span>
  );
}
