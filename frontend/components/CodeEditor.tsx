'use client';

import { Editor, loader, type BeforeMount, type OnMount } from '@monaco-editor/react';
import { useEffect, useRef, type MutableRefObject } from 'react';
import type { Diagnostic } from '../lib/diagnostics';

// Monaco comes from this app's own /monaco/<version> (copied from the monaco-editor package
// at build; next.config.mjs names the version and lets browsers keep it), never from a CDN.
// The URL is absolute: the language workers (TypeScript's type checker) start from a blob
// and cannot resolve a path against the page.
const origin = typeof window === 'undefined' ? '' : window.location.origin;
loader.config({ paths: { vs: `${origin}${process.env.NEXT_PUBLIC_BASE_PATH ?? ''}/monaco/${process.env.MONACO_VERSION}/vs` } });

import '../lib/test-hooks';

type Monaco = Parameters<OnMount>[1];
type StandaloneEditor = Parameters<OnMount>[0];

export interface CodeEditorProps {
  /** One model per file: switching language keeps each language's code and undo history. */
  path: string;
  language: string;
  value: string;
  theme: 'light' | 'dark';
  diagnostics: Diagnostic[];
  onChange(value: string): void;
  onRun(): void;
  /** Shift+Alt+F (VS Code's Format Document): the page formats the code; without it, Monaco's own formatter where it has one. */
  onFormat?(): void;
  /** Filled once the editor is there: edits the page makes that the visitor can undo. */
  handle?: MutableRefObject<CodeEditorHandle | null>;
  /** The text size in px (14 unless the page says). */
  fontSize?: number;
}

/** What a page may do to the editor's code besides setting its value. */
export interface CodeEditorHandle {
  /**
   * Makes the code `next` as one edit Ctrl+Z undoes (only the part that differs is replaced,
   * so the cursor and the view stay where they were), if the code still is `expected`;
   * false when it is not (it was edited meanwhile, or another file is shown).
   */
  replaceCode(expected: string, next: string): boolean;
}

/**
 * The span of `before` that `after` changes: the common start and end are left out. A
 * bound never splits a surrogate pair or a CR LF.
 */
export function changedSpan(before: string, after: string): { start: number; end: number; text: string } {
  const splits = (s: string, i: number) => i > 0 && i < s.length && (/[\uD800-\uDBFF]/.test(s[i - 1]!) || (s[i - 1] === '\r' && s[i] === '\n'));
  const max = Math.min(before.length, after.length);
  let start = 0;
  while (start < max && before[start] === after[start]) start++;
  while (start > 0 && (splits(before, start) || splits(after, start))) start--;
  let tail = 0;
  while (tail < max - start && before[before.length - 1 - tail] === after[after.length - 1 - tail]) tail++;
  while (tail > 0 && (splits(before, before.length - tail) || splits(after, after.length - tail))) tail--;
  return { start, end: before.length - tail, text: after.slice(start, after.length - tail) };
}

/**
 * TypeScript runs on Node, but Monaco's TypeScript worker knows only the browser's globals:
 * the few of Node's a program reads its input and arguments with, so they are no type errors.
 */
const NODE_GLOBALS = `
declare var process: {
  argv: string[];
  env: Record<string, string | undefined>;
  stdin: { on(event: string, listener: (...args: any[]) => void): unknown; setEncoding(encoding: string): unknown; [key: string]: any };
  stdout: { write(data: string | Uint8Array): boolean; [key: string]: any };
  stderr: { write(data: string | Uint8Array): boolean; [key: string]: any };
  exit(code?: number): never;
  exitCode: number | undefined;
  [key: string]: any;
};
declare function require(id: string): any;
declare var module: { exports: any };
declare var __dirname: string;
declare var __filename: string;
declare var Buffer: any;
`;

const beforeMount: BeforeMount = (monaco) => {
  const ts = monaco.languages.typescript.typescriptDefaults;
  if (!ts.getExtraLibs()['file:///runbox-node-globals.d.ts']) ts.addExtraLib(NODE_GLOBALS, 'file:///runbox-node-globals.d.ts');
};

export default function CodeEditor({ path, language, value, theme, diagnostics, onChange, onRun, onFormat, handle, fontSize = 14 }: CodeEditorProps) {
  const editorRef = useRef<StandaloneEditor | null>(null);
  const monacoRef = useRef<Monaco | null>(null);
  const runRef = useRef(onRun);
  runRef.current = onRun;
  const formatRef = useRef(onFormat);
  formatRef.current = onFormat;

  useEffect(() => {
    if (!handle) return;
    handle.current = {
      replaceCode: (expected, next) => {
        const editor = editorRef.current;
        const model = editor?.getModel();
        if (!editor || !model || model.getValue() !== expected) return false;
        if (next === expected) return true;
        const { start, end, text } = changedSpan(expected, next);
        const from = model.getPositionAt(start);
        const to = model.getPositionAt(end);
        // its own undo step: Ctrl+Z takes back the formatting, not the typing before it
        editor.pushUndoStop();
        editor.executeEdits('runbox-format', [{ range: { startLineNumber: from.lineNumber, startColumn: from.column, endLineNumber: to.lineNumber, endColumn: to.column }, text }]);
        editor.pushUndoStop();
        return true;
      },
    };
    return () => {
      handle.current = null;
    };
  }, [handle]);

  const onMount: OnMount = (editor, monaco) => {
    editorRef.current = editor;
    monacoRef.current = monaco;
    editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter, () => runRef.current());
    editor.addCommand(monaco.KeyMod.Shift | monaco.KeyMod.Alt | monaco.KeyCode.KeyF, () => {
      if (formatRef.current) formatRef.current();
      else void editor.getAction('editor.action.formatDocument')?.run();
    });
    window.runboxEditor = {
      markers: (owner = 'runbox') =>
        monaco.editor.getModelMarkers({ owner, resource: editor.getModel()?.uri }).map((m) => ({ line: m.startLineNumber, message: m.message })),
    };
    document.documentElement.dataset.editorReady = 'true';
  };

  useEffect(() => {
    const monaco = monacoRef.current;
    const model = editorRef.current?.getModel();
    if (!monaco || !model) return;
    // the markers are the shown file's: another file's (an earlier tab, an earlier run) go
    for (const other of monaco.editor.getModels()) if (other !== model) monaco.editor.setModelMarkers(other, 'runbox', []);
    monaco.editor.setModelMarkers(
      model,
      'runbox',
      diagnostics.map((d) => ({
        startLineNumber: d.line,
        startColumn: d.column,
        endLineNumber: d.line,
        endColumn: model.getLineMaxColumn(Math.min(d.line, model.getLineCount())),
        message: d.message,
        severity: d.severity === 'warning' ? monaco.MarkerSeverity.Warning : monaco.MarkerSeverity.Error,
      })),
    );
  }, [diagnostics, path]);

  return (
    <Editor
      path={path}
      language={language}
      value={value}
      theme={theme === 'dark' ? 'vs-dark' : 'vs'}
      beforeMount={beforeMount}
      onMount={onMount}
      onChange={(v) => onChange(v ?? '')}
      loading={<div className="editor-loading">Loading editor…</div>}
      options={{
        minimap: { enabled: false },
        fontSize,
        scrollBeyondLastLine: false,
        automaticLayout: true,
        tabSize: 4,
        ariaLabel: 'Code editor',
      }}
    />
  );
}
