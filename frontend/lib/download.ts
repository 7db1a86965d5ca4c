/**
 * The program's files as a download, made in the page (nothing goes to the server): one
 * file as itself, several as a zip of them (fflate), with their names as the tabs show them.
 */
import type { FileDraft } from './program-files.js';

export interface Download {
  name: string;
  blob: Blob;
}

const lastPart = (name: string) => name.split('/').pop() || name;

export async function programDownload(files: readonly FileDraft[], language: string): Promise<Download> {
  if (files.length === 1) {
    const [file] = files;
    return { name: lastPart(file!.name), blob: new Blob([file!.content], { type: 'text/plain;charset=utf-8' }) };
  }
  // only a program of several files needs the zip code: loaded then
  const { strToU8, zipSync } = await import('fflate');
  const zip = zipSync(Object.fromEntries(files.map((f) => [f.name, strToU8(f.content)])), { level: 6 });
  return { name: `runbox-${language}.zip`, blob: new Blob([zip], { type: 'application/zip' }) };
}

/** Hands the browser a download (an object URL, let go once the browser has it). */
export function saveDownload({ name, blob }: Download): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
