'use client';

import { useCallback, useEffect, useState } from 'react';

/**
 * How the visitor has set the page up (text size, the panes' widths): numbers kept in
 * localStorage between visits, each within its range.
 */
export interface StoredNumber {
  key: string;
  fallback: number;
  min: number;
  max: number;
}

/** The editor's text size in px (the console's is a pixel less, as before it could change). */
export const FONT_SIZE: StoredNumber = { key: 'runbox.fontSize', fallback: 14, min: 10, max: 24 };

/** The editor pane's share of the width, in percent (the output pane has the rest). */
export const EDITOR_WIDTH: StoredNumber = { key: 'runbox.editorWidth', fallback: 60, min: 20, max: 80 };

const within = ({ min, max }: StoredNumber, n: number) => Math.min(max, Math.max(min, n));

/** The number, and a setter that keeps it in range and saves it. Until the page is in the browser: the fallback. */
export function useStoredNumber(setting: StoredNumber): [number, (n: number) => void] {
  const [value, setValue] = useState(setting.fallback);
  useEffect(() => {
    const saved = localStorage.getItem(setting.key);
    if (saved !== null && Number.isFinite(Number(saved))) setValue(within(setting, Number(saved)));
  }, [setting]);
  const set = useCallback(
    (n: number) => {
      const next = within(setting, n);
      setValue(next);
      try {
        localStorage.setItem(setting.key, String(next));
      } catch {
        // storage full or refused: the choice lasts as long as the page
      }
    },
    [setting],
  );
  return [value, set];
}
