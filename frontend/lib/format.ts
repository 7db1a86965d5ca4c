import type { ProblemSummary } from './api.js';

/** A problem's limits as the list and the problem page show them: "2 s · 256 MB". */
export const formatLimits = (p: ProblemSummary): string =>
  `${p.timeLimitMs >= 1000 ? `${p.timeLimitMs / 1000} s` : `${p.timeLimitMs} ms`} · ${p.memoryLimitMb} MB`;

/** How many tests a problem runs: "2 samples · 5 hidden tests". */
export const formatTests = (p: ProblemSummary): string =>
  `${p.sampleCount} sample${p.sampleCount === 1 ? '' : 's'} · ${p.hiddenCount} hidden test${p.hiddenCount === 1 ? '' : 's'}`;

/** A package's output limit: "8 MB", "512 KB". */
export const formatOutputLimit = (kb: number): string => (kb >= 1024 && kb % 1024 === 0 ? `${kb / 1024} MB` : kb >= 1024 ? `${(kb / 1024).toFixed(1)} MB` : `${kb} KB`);
