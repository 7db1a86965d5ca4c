import { z } from 'zod';
import { encodingField, executeRequestSchema, type ExecuteResponse, type JudgeStatus, type LimitMaxima, type RunStatus } from './protocol.js';

/**
 * Asynchronous submissions (/api/submissions): the request is /api/execute's plus an
 * optional expected output and callback URL; the answer is the submission's state, and
 * once it has run, /api/execute's result with the submission's own fields.
 */

/** The longest callback URL taken. */
export const MAX_CALLBACK_URL = 2048;

export function submissionRequestSchema(maxima: LimitMaxima) {
  return executeRequestSchema(maxima).extend({
    // its size (at most the output cap) is checked once decoded: base64 is a third longer
    expectedOutput: z.string({ error: 'must be a string' }).optional(),
    callbackUrl: z.string({ error: 'must be a string' }).max(MAX_CALLBACK_URL, `must be at most ${MAX_CALLBACK_URL} characters`).optional(),
    encoding: encodingField(),
  });
}
export type SubmissionRequest = z.infer<ReturnType<typeof submissionRequestSchema>>;

export function submissionBatchSchema(maxima: LimitMaxima, batchMax: number) {
  return z.strictObject({
    submissions: z
      .array(submissionRequestSchema(maxima), { error: 'is required and must be an array' })
      .min(1, 'must have at least one submission')
      .max(batchMax, `must have at most ${batchMax} submissions`),
  });
}

/** Waiting in the store, or claimed by a server and running there. */
export type PendingStatus = 'queued' | 'running';

export type CallbackState = 'pending' | 'delivering' | 'delivered' | 'failed';

export interface SubmissionCallback {
  /** shown only to the key that submitted and the admin: the URL may carry the receiver's tokens */
  url?: string;
  /** the host it is delivered to */
  host: string;
  state: CallbackState;
  /** the current delivery's id (X-Runbox-Delivery; its retries share it, a redelivery gets a new one) */
  deliveryId: string | null;
  /** deliveries tried so far */
  attempts: number;
  /** why the last try failed (the receiver's status, a refused address, a timeout) */
  lastError: string | null;
}

interface SubmissionFields {
  /** the submission's id (the run's own id is `runId`) */
  id: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** times a server took it; more than 1 after a server died while running it */
  attempts: number;
  callback: SubmissionCallback | null;
}

/** Before it has run: only its state. */
export interface PendingSubmission extends SubmissionFields {
  status: PendingStatus;
}

/**
 * After it has run: /api/execute's result (`status` is the run's), its run's id, and with an
 * expected output the verdict the judge would give (`accepted`, `wrong_answer`, or the
 * run's status when it did not end `ok`); `verdict` is null without an expected output.
 * `message` says why a submission ended without running (the servers running it died).
 */
export interface FinishedSubmission extends SubmissionFields, Omit<ExecuteResponse, 'id' | 'submissionId'> {
  status: RunStatus;
  runId: string | null;
  verdict: JudgeStatus | null;
  message?: string;
}

export type SubmissionResponse = PendingSubmission | FinishedSubmission;
