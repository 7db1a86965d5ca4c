import { VISITOR_KEY } from './api.js';

/**
 * The visitor's only identity: an unguessable key made once in this browser and kept in
 * localStorage. Whoever holds it can read this browser's history, so it never leaves the
 * browser except in the X-Runbox-Visitor header.
 */
const VISITOR_STORAGE = 'runbox.visitor';
const KEEP_HISTORY_STORAGE = 'runbox.keepHistory';

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function visitorKey(): string {
  const saved = localStorage.getItem(VISITOR_STORAGE);
  if (saved && VISITOR_KEY.test(saved)) return saved;
  const key = base64url(crypto.getRandomValues(new Uint8Array(16)));
  localStorage.setItem(VISITOR_STORAGE, key);
  return key;
}

/** Whether runs and submissions go into the history; on unless the visitor turned it off. */
export function keepHistory(): boolean {
  return localStorage.getItem(KEEP_HISTORY_STORAGE) !== 'off';
}

export function setKeepHistory(on: boolean): void {
  localStorage.setItem(KEEP_HISTORY_STORAGE, on ? 'on' : 'off');
}

/** The key to send with a run or a submission, or null when history is off. */
export function visitorForRun(): string | null {
  return keepHistory() ? visitorKey() : null;
}
