'use client';

import dynamic from 'next/dynamic';
import { EDITOR, PLAIN_EDITOR } from '../lib/editors';
import { monacoLanguage } from '../lib/program-files';
import type { CodeEditorProps } from './CodeEditor';

// Monaco only in the browser, loaded after the page
const CodeEditor = dynamic(() => import('./CodeEditor'), { ssr: false, loading: () => <div className="editor-loading">Loading editor…</div> });

export interface ProgramEditorProps extends Omit<CodeEditorProps, 'path' | 'language'> {
  /** runbox's language id: picks Monaco's language and the model's file name */
  language: string;
  /** the file shown, for a program of several (a tab's name); else the language's own file */
  file?: string;
  /** where this page's models live, so two pages' code in one language stay apart */
  folder?: string;
}

/**
 * The code editor for a program in one of runbox's languages: one Monaco model per language
 * and file, so each keeps its own code and undo history.
 */
export default function ProgramEditor({ language, file, folder, ...props }: ProgramEditorProps) {
  if (file === undefined) {
    const editor = EDITOR[language] ?? PLAIN_EDITOR;
    return <CodeEditor path={folder ? `${folder}/${editor.file}` : editor.file} language={editor.monaco} {...props} />;
  }
  // a model's path is a URI: every part of the name escaped (a name may hold # or ?)
  const path = [folder ?? 'program', language, ...file.split('/').map(encodeURIComponent)].join('/');
  return <CodeEditor path={path} language={monacoLanguage(language, file)} {...props} />;
}
