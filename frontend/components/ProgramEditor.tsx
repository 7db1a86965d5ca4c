'use client';

import dynamic from 'next/dynamic';
import type { LanguageInfo } from '../lib/api';
import { monacoLanguage } from '../lib/program-files';
import type { CodeEditorProps } from './CodeEditor';

// Monaco only in the browser, loaded after the page
const CodeEditor = dynamic(() => import('./CodeEditor'), { ssr: false, loading: () => <div className="editor-loading">Loading editor…</div> });

export interface ProgramEditorProps extends Omit<CodeEditorProps, 'path' | 'language'> {
  /** runbox's language id: picks Monaco's language and the model's file name */
  language: string;
  /** the server's languages, which name both */
  languages: readonly LanguageInfo[];
  /** the file shown, for a program of several (a tab's name); else the language's own file */
  file?: string;
  /** where this page's models live, so two pages' code in one language stay apart */
  folder?: string;
}

/**
 * The code editor for a program in one of runbox's languages: one Monaco model per language
 * and file, so each keeps its own code and undo history.
 */
export default function ProgramEditor({ language, languages, file, folder, ...props }: ProgramEditorProps) {
  const info = languages.find((l) => l.id === language);
  if (file === undefined) {
    // until the languages are known: plain text, so no language's checks run on the wrong code
    const editor = info ? { monaco: info.monaco, file: info.sourceFile } : { monaco: 'plaintext', file: 'main.txt' };
    return <CodeEditor path={folder ? `${folder}/${editor.file}` : editor.file} language={editor.monaco} {...props} />;
  }
  // a model's path is a URI: every part of the name escaped (a name may hold # or ?)
  const path = [folder ?? 'program', language, ...file.split('/').map(encodeURIComponent)].join('/');
  return <CodeEditor path={path} language={info ? monacoLanguage(info, languages, file) : 'plaintext'} {...props} />;
}
