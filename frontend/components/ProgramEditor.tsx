'use client';

import dynamic from 'next/dynamic';
import { EDITOR, PLAIN_EDITOR } from '../lib/editors';
import type { CodeEditorProps } from './CodeEditor';

// Monaco only in the browser, loaded after the page
const CodeEditor = dynamic(() => import('./CodeEditor'), { ssr: false, loading: () => <div className="editor-loading">Loading editor…</div> });

export interface ProgramEditorProps extends Omit<CodeEditorProps, 'path' | 'language'> {
  /** runbox's language id: picks Monaco's language and the model's file name */
  language: string;
  /** where this page's models live, so two pages' code in one language stay apart */
  folder?: string;
}

/** The code editor for a program in one of runbox's languages. */
export default function ProgramEditor({ language, folder, ...props }: ProgramEditorProps) {
  const editor = EDITOR[language] ?? PLAIN_EDITOR;
  return <CodeEditor path={folder ? `${folder}/${editor.file}` : editor.file} language={editor.monaco} {...props} />;
}
