/**
 * What a language comes with: its template (hello world) and its examples, both from the
 * server's language entries (backend/languages, served by /api/languages), never a list kept
 * here. None of it is the visitor's own code: it may be replaced without asking.
 */
import type { LanguageInfo } from './api.js';
import { defaultFileName, type FileDraft } from './program-files.js';

/** A program of one file, named as the language names its own file. */
export const oneFile = (language: LanguageInfo | undefined, content: string): FileDraft[] => [{ name: defaultFileName(language), content }];

/** The language's template and its examples, each as the program it loads. */
export function stockPrograms(language: LanguageInfo | undefined): FileDraft[][] {
  return [language?.template ?? '', ...(language?.examples ?? []).map((e) => e.code)].map((code) => oneFile(language, code));
}
