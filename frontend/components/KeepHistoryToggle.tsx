'use client';

import { useEffect, useState } from 'react';
import { keepHistory, setKeepHistory } from '../lib/visitor';

/**
 * The visitor's choice to keep runs and submissions in their history. The choice lives in
 * this browser's storage only; a run asks for it with visitorForRun().
 */
export default function KeepHistoryToggle() {
  const [on, setOn] = useState(true);
  useEffect(() => setOn(keepHistory()), []);
  return (
    <label className="check">
      <input
        type="checkbox"
        checked={on}
        onChange={(e) => {
          setKeepHistory(e.target.checked);
          setOn(e.target.checked);
        }}
      />
      <span>Keep runs in history</span>
    </label>
  );
}
