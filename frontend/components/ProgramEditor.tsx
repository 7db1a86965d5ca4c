'use client';

import dynamic from 'next/dynamic';
import type { LanguageInfo } from '../lib/api';
import type { CodeEditorProps } from './CodeEditor';

// Monaco only in the browser, loaded after the page
const CodeEditor = dynamic(() => import('./CodeEditor'), { ssr: false, loading: () => <div className="editor-loading">Loading editor…</div> });

export interface ProgramEditorProps extends Omit<CodeEditorProps, 'path' | 'language'> {
  /** runbox's language id: picks Monaco's language and the model's file name */
  language: string;
  /** the server's languages, which name both */
  languages: readonly LanguageInfo[];
  /** where this page's models live, so two pages' code in one language stay apart */
  folder?: string;
}

/** The code editor for a program in one of runbox's languages. */
export default function ProgramEditor({ language, languages, folder, ...props }: ProgramEditorProps) {
  const info = languages.find((l) => l.id === language);
  // until the languages are known: plain text, so no language's checks run on the wrong code
  const editor = info ? { monaco: info.monaco, file: info.sourceFile } : { monaco: 'plaintext', file: 'main.txt' };
  return <CodeEditor path={folder ? `${folder}/${editor.file}` : editor.file} language={editor.monaco} {...props} />;
}
