import type { ExecuteResponse, JudgeStatus } from './api.js';

export type Tone = 'good' | 'bad' | 'warn';

/** What each run status means, in words a beginner understands. */
export const RUN_STATUS: Record<ExecuteResponse['status'], { label: string; tone: Tone }> = {
  ok: { label: 'Success', tone: 'good' },
  compile_error: { label: 'Compile error', tone: 'bad' },
  runtime_error: { label: 'Runtime error', tone: 'bad' },
  timeout: { label: 'Time limit exceeded', tone: 'warn' },
  memory_limit: { label: 'Memory limit exceeded', tone: 'warn' },
  output_limit: { label: 'Output limit exceeded', tone: 'warn' },
  internal_error: { label: 'Internal error', tone: 'bad' },
  killed: { label: 'Stopped', tone: 'warn' },
};

// a judged run is never stopped by its client
const { ok: _ok, killed: _killed, ...RUN_FAILURES } = RUN_STATUS;

/** The judge's verdicts, for a whole submission and for each test: a run's failures as they are. */
export const JUDGE_STATUS: Record<JudgeStatus, { label: string; tone: Tone }> = {
  accepted: { label: 'Accepted', tone: 'good' },
  wrong_answer: { label: 'Wrong answer', tone: 'bad' },
  ...RUN_FAILURES,
};

const UNKNOWN = { label: 'Unknown', tone: 'warn' as Tone };

/** A history entry's status: a run's or a judge verdict's. */
export function statusOf(kind: 'run' | 'judge', status: string): { label: string; tone: Tone } {
  const table: Record<string, { label: string; tone: Tone }> = kind === 'judge' ? JUDGE_STATUS : RUN_STATUS;
  return table[status] ?? UNKNOWN;
}

export function formatMemory(kb: number | null): string {
  if (kb === null) return '—';
  return kb >= 1024 ? `${(kb / 1024).toFixed(1)} MB` : `${kb} KB`;
}
