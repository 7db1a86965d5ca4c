'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import './test-hooks';

/**
 * One task at a time, however it is started (a button, Ctrl+Enter, a second click): a start
 * while one is going is ignored. busy is for the button's label and disabled state.
 */
export function useSingleFlight(): [busy: boolean, start: (task: () => Promise<void>) => Promise<void>] {
  const [busy, setBusy] = useState(false);
  const busyRef = useRef(false);
  const start = useCallback(async (task: () => Promise<void>) => {
    if (busyRef.current) return;
    busyRef.current = true;
    setBusy(true);
    try {
      await task();
    } finally {
      busyRef.current = false;
      setBusy(false);
    }
  }, []);
  return [busy, start];
}

/** Lets the browser tests set and read the editor's code (window.runbox, see test-hooks). */
export function useCodeTestHook(source: string, setSource: (code: string) => void): void {
  useEffect(() => {
    window.runbox = { setCode: setSource, getCode: () => source };
  }, [source, setSource]);
}
