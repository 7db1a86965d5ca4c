import type { LanguageInfo } from '../../backend/src/protocol.js';

/**
 * What a problem's editor starts with: the language entry's starter (read the input, print
 * the answer) with the problem's title in it, else its hello world. Both come from the
 * server's language entries (backend/languages), never from a list kept here.
 */
export function starterCode(language: LanguageInfo | undefined, title: string): string {
  if (!language) return '';
  return language.starter !== undefined ? language.starter.replaceAll('{title}', title) : language.template;
}
