import express from 'express';
import { z } from 'zod';
import { ShuttingDownError } from '../runs/run-service.js';
import { submissionsEnqueued } from '../observability/metrics.js';
import { ID_PATTERN } from '../store/ids.js';
import type { NewQueuedSubmission, SubmissionRecord } from '../store/submission-queue.js';
import { submissionBatchSchema, submissionRequestSchema, type SubmissionRequest } from '../submission-protocol.js';
import { submissionView } from '../submissions/submission-view.js';
import type { Caller } from '../keys/quotas.js';
import { admitRun, callerOf, cappedMaxima, mayRead, ownerOf } from './api-keys.js';
import type { AppDeps } from './app.js';
import { badField, HttpError } from './errors.js';
import { describeRoute, errors, json, jsonBody, quotaHeaders } from './openapi/registry.js';
import { callbackRedeliverySchema, submissionBatchCreatedSchema, submissionCreatedSchema, submissionListSchema, submissionSchema } from './openapi/schemas.js';
import { bodyLimitBytes, checkSizes, limitMaxima, parseBody, programOf, resolveLanguage, runRequest } from './validate.js';

/** The largest batch body read, whatever the batch size allows (nginx caps bodies lower still). */
const BATCH_BODY_CAP = 32 * 1024 * 1024;

/**
 * Asynchronous submissions: POST answers 202 with an id at once; the store's queue runs
 * it (submissions/submission-worker.ts); GET reads its state, or waits for it.
 * A submission made with an API key is that key's: only the key (and the admin) can read
 * it; an anonymous one, whoever holds its id. Its callback URL (which may carry the
 * receiver's tokens) is shown to its key and the admin only.
 */
export function submissionRoutes(deps: AppDeps, requireJson: express.RequestHandler): express.Router {
  const { config, runs, store, submissions, languages } = deps;
  const { callbackPolicy, callbackSecrets } = submissions;
  const queue = store.submissionQueue;
  const router = express.Router();
  const maxima = limitMaxima(config);
  const single = submissionRequestSchema(maxima);
  const batch = submissionBatchSchema(maxima, config.submissionBatchMax);
  const idsQuery = z.strictObject({
    ids: z
      .string({ error: 'is required: a comma-separated list of submission ids' })
      .transform((s) => s.split(',').map((id) => id.trim()).filter(Boolean))
      .pipe(
        z
          .array(z.string())
          .min(1, 'must name at least one submission')
          .max(config.submissionBatchMax, `must name at most ${config.submissionBatchMax} submissions`)
          .refine((ids) => ids.every((id) => ID_PATTERN.test(id)), 'must hold only submission ids (16 characters of A-Z a-z 0-9 - _)'),
      ),
  });
  const waitQuery = z.strictObject({ wait: z.enum(['true', 'false'], { error: 'must be true or false' }).optional() });

  /** A checked submission as the queue keeps it (not admitted yet); errors name the field under `prefix`. */
  const prepare = async (caller: Caller, body: SubmissionRequest, prefix: string): Promise<NewQueuedSubmission> =>
    underField(prefix, async () => {
      const language = resolveLanguage(languages, body.language);
      checkSizes(config, body);
      const owner = ownerOf(caller);
      if (body.callbackUrl !== undefined) {
        const problem = callbackPolicy.urlProblem(body.callbackUrl);
        if (problem) throw badField('callbackUrl', problem);
        if ((await callbackSecrets(owner)).length === 0) throw badField('callbackUrl', 'cannot be used: callbacks are off on this server (no RUNBOX_CALLBACK_SECRET)');
      }
      const program = programOf(config, language, body);
      const run = runRequest(body, language, program, body.stdin ?? '', cappedMaxima(caller, maxima, body.limits));
      const several = body.files ? { files: program.files.map((f) => ({ ...f })), entry: program.entry.name } : {};
      return {
        owner,
        callbackUrl: body.callbackUrl ?? null,
        request: { language: language.id, code: program.entry.content, ...several, stdin: body.stdin ?? '', args: [...run.args], limits: run.limits, expectedOutput: body.expectedOutput ?? null },
      };
    });

  /**
   * Counts the submissions against the caller's rate and daily quotas, all of them or none
   * (a refused batch costs nothing); they hold no run slot while they wait: the worker
   * takes one of the key's slots when each starts.
   */
  const admit = async (req: express.Request, res: express.Response, units: number) => {
    const admitted = await admitRun(deps, req, res, { hold: false, units });
    void admitted.finish();
  };

  const readable = async (req: express.Request, res: express.Response, ids: readonly string[]) => {
    const caller = await callerOf(req, res, deps);
    const found = (await queue.find(ids)).filter((r) => mayRead(caller, r.owner));
    return { caller, found: new Map(found.map((r) => [r.id, r])) };
  };
  const view = (caller: Caller, record: SubmissionRecord) => submissionView(record, { callbackUrl: mayReadCallbackUrl(caller, record.owner) });

  const enqueue = async (items: NewQueuedSubmission[]): Promise<string[]> => {
    if (runs.isShuttingDown) throw new ShuttingDownError('server is shutting down');
    if ((await queue.countQueued()) + items.length > config.submissionQueueMax) {
      throw new HttpError(
        503,
        { error: 'Server busy', message: `${config.submissionQueueMax} submissions are waiting already; try again shortly` },
        { 'Retry-After': String(runs.retryAfterSeconds()) },
      );
    }
    const ids = await queue.enqueue(items);
    submissionsEnqueued(ids.length);
    submissions.kick();
    return ids;
  };

  const location = { Location: { description: 'The submission in the API', schema: { type: 'string' as const } } };
  describeRoute(router, 'post', '/submissions', {
    summary: 'Queue a run; answered at once with its id',
    description:
      "/api/execute's body, plus expectedOutput (the answer then carries the judge's verdict) and callbackUrl (the finished submission is POSTed there, " +
      "signed in X-Runbox-Signature with HMAC-SHA256 of the API key's callback secret, or of RUNBOX_CALLBACK_SECRET for anonymous submissions). " +
      "It counts against the caller's rate and daily quotas now, holds no run slot while it waits, and one of its key's slots while it runs. Only its key (and the admin) can read a key's submission.",
    tags: ['submissions'],
    requestBody: jsonBody(single),
    responses: { 202: json('Queued', submissionCreatedSchema, { ...location, ...quotaHeaders }), ...errors(400, 403, 413, 415, 429, 503) },
  });
  router.post('/submissions', requireJson, express.json({ limit: bodyLimitBytes(config) }), async (req, res) => {
    const body = parseBody(single, req.body);
    const item = await prepare(await callerOf(req, res, deps), body, '');
    await admit(req, res, 1);
    const [id] = await enqueue([item]);
    res.status(202).location(`/api/submissions/${id}`).json({ id });
  });

  describeRoute(router, 'post', '/submissions/batch', {
    summary: `Queue several runs at once (at most ${config.submissionBatchMax}); all or none`,
    description:
      'Each submission is checked as POST /api/submissions checks one; a field at fault is named under its place (submissions.3.code). ' +
      'Each counts as one run of the quotas, all of them or none: a batch that does not fit in what is left of a quota is a 429 that costs nothing.',
    tags: ['submissions'],
    requestBody: jsonBody(batch),
    responses: { 202: json('Queued, ids in the order given', submissionBatchCreatedSchema, quotaHeaders), ...errors(400, 403, 413, 415, 429, 503) },
  });
  router.post('/submissions/batch', requireJson, express.json({ limit: Math.min(BATCH_BODY_CAP, bodyLimitBytes(config) * config.submissionBatchMax) }), async (req, res) => {
    const body = parseBody(batch, req.body);
    const caller = await callerOf(req, res, deps);
    const items: NewQueuedSubmission[] = [];
    for (const [i, s] of body.submissions.entries()) items.push(await prepare(caller, s, `submissions.${i}.`));
    await admit(req, res, items.length);
    const ids = await enqueue(items);
    res.status(202).json({ ids });
  });

  describeRoute(router, 'get', '/submissions', {
    summary: 'Several submissions by id',
    tags: ['submissions'],
    requestParams: { query: idsQuery.extend({ ids: idsQuery.shape.ids.meta({ description: `Comma-separated submission ids, at most ${config.submissionBatchMax}` }) }) },
    responses: { 200: json('Each, or null where no submission has the id', submissionListSchema), ...errors(400) },
  });
  router.get('/submissions', async (req, res) => {
    const { ids } = parseBody(idsQuery, { ...req.query });
    const { caller, found } = await readable(req, res, ids);
    res.set('Cache-Control', 'no-store').json({ submissions: ids.map((id) => (found.has(id) ? view(caller, found.get(id)!) : null)) });
  });

  describeRoute(router, 'get', '/submissions/:id', {
    summary: 'A submission: its state, or once run its result',
    tags: ['submissions'],
    requestParams: {
      path: z.object({ id: z.string() }),
      query: z.object({ wait: waitQuery.shape.wait.meta({ description: `true: answer once it has run, or after ${config.submissionWaitMs} ms with its state then` }) }),
    },
    responses: { 200: json('Its state (queued, running) or its result', submissionSchema), ...errors(400, 404) },
  });
  router.get('/submissions/:id', async (req, res) => {
    const { wait } = parseBody(waitQuery, { ...req.query });
    const id = String(req.params.id);
    const clientGone = new AbortController();
    res.on('close', () => clientGone.abort());
    const deadline = Date.now() + (wait === 'true' ? config.submissionWaitMs : 0);
    for (;;) {
      // another key's submission is as absent as one that never was: its existence is not told
      const { caller, found } = ID_PATTERN.test(id) ? await readable(req, res, [id]) : { caller: null, found: new Map<string, SubmissionRecord>() };
      const record = found.get(id);
      if (!record || !caller) throw notFound();
      const left = deadline - Date.now();
      if (record.status === 'done' || left <= 0 || clientGone.signal.aborted) {
        return void res.set('Cache-Control', 'no-store').json(view(caller, record));
      }
      // this server finishing it wakes the wait at once; another server's result is seen at the next look
      await submissions.changed(id, Math.min(left, WAIT_POLL_MS), clientGone.signal);
    }
  });
  describeRoute(router, 'post', '/submissions/:id/callback/redeliver', {
    summary: "Deliver a finished submission's callback again",
    description:
      'A new delivery (a new X-Runbox-Delivery id, its tries counted from 1) of a callback that was delivered or given up. ' +
      'For the API key that submitted it and the admin (an anonymous submission\'s: the admin only). 409 while a delivery of it is under way.',
    tags: ['submissions'],
    requestParams: { path: z.object({ id: z.string() }) },
    responses: { 202: json('Due now', callbackRedeliverySchema), ...errors(403, 404, 409) },
  });
  router.post('/submissions/:id/callback/redeliver', async (req, res) => {
    const id = String(req.params.id);
    const { caller, found } = ID_PATTERN.test(id) ? await readable(req, res, [id]) : { caller: null, found: new Map<string, SubmissionRecord>() };
    const record = found.get(id);
    if (!record || !caller) throw notFound();
    if (!mayReadCallbackUrl(caller, record.owner)) throw new HttpError(403, { error: 'Forbidden', message: "only the API key that made this submission, or the admin, may redeliver its callback" });
    const redelivery = await queue.redeliver(id);
    if (redelivery.state === 'none') throw new HttpError(404, { error: 'Not found', message: 'this submission has no callback, or has not finished yet' });
    if (redelivery.state !== 'started') throw new HttpError(409, { error: 'Conflict', message: 'a delivery of this callback is under way: redeliver once it is delivered or given up' });
    submissions.kick();
    res.status(202).json({ id, deliveryId: redelivery.deliveryId });
  });
  return router;
}

const notFound = () => new HttpError(404, { error: 'Not found', message: 'no submission has this id (finished ones are deleted after a while)' });

/** Only whoever set a callback URL sees it: the key that submitted, or the admin (an anonymous submitter is not known again). */
function mayReadCallbackUrl(caller: Caller, owner: string | null): boolean {
  return caller.kind === 'admin' || (owner !== null && mayRead(caller, owner));
}

/** How often a waiting GET looks at the store for a result another server wrote. */
const WAIT_POLL_MS = 250;

/** Runs `work`, naming any field it complains about under `prefix` (a batch's `submissions.3.`). */
async function underField<T>(prefix: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (!prefix || !(err instanceof HttpError) || !err.body.field) throw err;
    const { field, message } = err.body;
    const renamed = message?.startsWith(field) ? `${prefix}${message}` : message;
    throw new HttpError(err.status, { ...err.body, field: `${prefix}${field}`, ...(renamed ? { message: renamed } : {}) }, err.headers);
  }
}
