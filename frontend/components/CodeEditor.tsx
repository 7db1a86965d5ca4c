'use client';

import { Editor, loader, type BeforeMount, type OnMount } from '@monaco-editor/react';
import { useEffect, useRef } from 'react';
import type { Diagnostic } from '../lib/diagnostics';

// Monaco comes from this app's own /monaco (copied from the monaco-editor package at
// build), never from a CDN. The URL is absolute: the language workers (TypeScript's type
// checker) start from a blob and cannot resolve a path against the page.
const origin = typeof window === 'undefined' ? '' : window.location.origin;
loader.config({ paths: { vs: `${origin}${process.env.NEXT_PUBLIC_BASE_PATH ?? ''}/monaco/vs` } });

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

export default function CodeEditor({ path, language, value, theme, diagnostics, onChange, onRun }: CodeEditorProps) {
  const editorRef = useRef<StandaloneEditor | null>(null);
  const monacoRef = useRef<Monaco | null>(null);
  const runRef = useRef(onRun);
  runRef.current = onRun;

  const onMount: OnMount = (editor, monaco) => {
    editorRef.current = editor;
    monacoRef.current = monaco;
    editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter, () => runRef.current());
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
        fontSize: 14,
        scrollBeyondLastLine: false,
        automaticLayout: true,
        tabSize: 4,
        ariaLabel: 'Code editor',
      }}
    />
  );
}
