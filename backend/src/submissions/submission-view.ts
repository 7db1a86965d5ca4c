import { outputsMatch } from '../judge/compare.js';
import type { ExecuteResponse, JudgeStatus } from '../protocol.js';
import { base64Result, type OutputStream } from '../runs/output-bytes.js';
import type { SubmissionOutcome, SubmissionRecord } from '../store/submission-queue.js';
import type { SubmissionResponse } from '../submission-protocol.js';

/**
 * The judge's verdict on a run against an expected output (null without one): `accepted`
 * or `wrong_answer` for a run that ended `ok`, compared as the judge compares, else the
 * run's own status.
 */
export function verdictOf(result: ExecuteResponse, expectedOutput: string | null): JudgeStatus | null {
  if (expectedOutput === null) return null;
  if (result.status === 'ok') return outputsMatch(result.stdout, expectedOutput) ? 'accepted' : 'wrong_answer';
  // nothing stops a queued run from outside but the server's own shutdown
  return result.status === 'killed' ? 'internal_error' : result.status;
}

/**
 * A submission as the API shows it; `callbackUrl`: whether the reader may see the callback's
 * URL (its submitter; see submission-routes.ts).
 */
export function submissionView(record: SubmissionRecord, { callbackUrl }: { callbackUrl: boolean }): SubmissionResponse {
  const callback = record.callback && {
    ...(callbackUrl ? { url: record.callback.url } : {}),
    host: hostOf(record.callback.url),
    state: record.callback.state,
    deliveryId: record.callback.deliveryId,
    attempts: record.callback.attempts,
    lastError: record.callback.lastError,
  };
  const times = {
    createdAt: record.createdAt.toISOString(),
    startedAt: record.startedAt?.toISOString() ?? null,
    finishedAt: record.finishedAt?.toISOString() ?? null,
    attempts: record.attempts,
    callback,
  };
  const outcome = record.outcome;
  if (record.status !== 'done' || !outcome) return { id: record.id, status: record.status === 'done' ? 'running' : record.status, ...times };
  const ran = outcome.result ?? neverRan(outcome.language);
  // asked as base64: the output's bytes (kept where its text lost some), else its text's
  const { id: runId, submissionId: _unused, ...result } = record.request.encoding === 'base64' ? base64Result(ran, keptBytes(outcome.outputBytes)) : ran;
  return {
    id: record.id,
    ...result,
    ...times,
    runId: outcome.result ? runId : null,
    verdict: outcome.verdict,
    ...(outcome.message ? { message: outcome.message } : {}),
  };
}

/** The output bytes a submission kept (base64 in the store). */
function keptBytes(kept: SubmissionOutcome['outputBytes']): Partial<Record<OutputStream, Buffer>> {
  return Object.fromEntries(Object.entries(kept ?? {}).map(([stream, b64]) => [stream, Buffer.from(b64, 'base64')]));
}

/** The result of a submission that ended without a run (its servers kept dying). */
function neverRan(language: string): ExecuteResponse {
  return {
    id: '',
    language,
    status: 'internal_error',
    output: '',
    stdout: '',
    stderr: '',
    exitCode: null,
    signal: null,
    timeMs: 0,
    cpuTimeMs: null,
    memoryKb: null,
    truncated: false,
    processLimitHit: false,
    processLimit: 0,
    compile: null,
  };
}

/**
 * The body of a callback's `attempt`th try: the submission as its receiver may see it, its
 * `callback` as it stands once this try is answered 2xx (delivered, after `attempt` tries):
 * the one state a receiver acting on the body can rely on.
 */
export function callbackBody(record: SubmissionRecord, attempt: number): string {
  const view = submissionView(record, { callbackUrl: true });
  return JSON.stringify({ ...view, callback: view.callback && { ...view.callback, state: 'delivered', attempts: attempt, lastError: null } });
}

/** Only the host of a callback URL is shown or logged to others: its path or query may hold the receiver's tokens. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid)';
  }
}
