import express from 'express';
import { z } from 'zod';
import { ShuttingDownError } from '../runs/run-service.js';
import { submissionsEnqueued } from '../observability/metrics.js';
import { ID_PATTERN } from '../store/ids.js';
import type { NewQueuedSubmission } from '../store/submission-queue.js';
import { submissionBatchSchema, submissionRequestSchema, type SubmissionRequest } from '../submission-protocol.js';
import { submissionView } from '../submissions/submission-view.js';
import { admitRun } from './api-keys.js';
import type { AppDeps } from './app.js';
import { badField, HttpError } from './errors.js';
import { describeRoute, errors, json, jsonBody, quotaHeaders } from './openapi/registry.js';
import { submissionBatchCreatedSchema, submissionCreatedSchema, submissionListSchema, submissionSchema } from './openapi/schemas.js';
import { bodyLimitBytes, checkSizes, limitMaxima, parseBody, programOf, resolveLanguage, runRequest } from './validate.js';

/** The largest batch body read, whatever the batch size allows (nginx caps bodies lower still). */
const BATCH_BODY_CAP = 32 * 1024 * 1024;

export interface SubmissionRouteOptions {
  /** Who is submitting (an API key's id, once keys exist): stored, and picks the callback's secret. */
  ownerOf?: (req: express.Request) => string | null;
}

/**
 * Asynchronous submissions: POST answers 202 with an id at once; the store's queue runs
 * it (submissions/submission-worker.ts); GET reads its state, or waits for it.
 */
export function submissionRoutes(deps: AppDeps, requireJson: express.RequestHandler, { ownerOf = () => null }: SubmissionRouteOptions = {}): express.Router {
  const { config, runs, store, submissions, languages } = deps;
  const { callbackPolicy, callbackSecret } = submissions;
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

  /** A checked submission as the queue keeps it; errors name the field under `prefix`. */
  const prepare = async (req: express.Request, res: express.Response, body: SubmissionRequest, owner: string | null, prefix: string): Promise<NewQueuedSubmission> =>
    underField(prefix, async () => {
      const language = resolveLanguage(languages, body.language);
      checkSizes(config, body);
      if (body.callbackUrl !== undefined) {
        const problem = callbackPolicy.urlProblem(body.callbackUrl);
        if (problem) throw badField('callbackUrl', problem);
        if (!(await callbackSecret(owner))) throw badField('callbackUrl', 'cannot be used: callbacks are off on this server (no RUNBOX_CALLBACK_SECRET)');
      }
      // counted against the caller's rate and daily quotas now; it holds no run slot while it waits
      const admitted = await admitRun(deps, req, res, { maxima, requested: body.limits, hold: false });
      void admitted.finish();
      const program = programOf(config, language, body);
      const run = runRequest(body, language, program, body.stdin ?? '', admitted.maxima);
      const several = body.files ? { files: program.files.map((f) => ({ ...f })), entry: program.entry.name } : {};
      return {
        owner,
        callbackUrl: body.callbackUrl ?? null,
        request: { language: language.id, code: program.entry.content, ...several, stdin: body.stdin ?? '', args: [...run.args], limits: run.limits, expectedOutput: body.expectedOutput ?? null },
      };
    });

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
      'signed with HMAC-SHA256 of RUNBOX_CALLBACK_SECRET in X-Runbox-Signature). It counts against the caller\'s rate and daily quotas now, and holds no run slot while it waits.',
    tags: ['submissions'],
    requestBody: jsonBody(single),
    responses: { 202: json('Queued', submissionCreatedSchema, { ...location, ...quotaHeaders }), ...errors(400, 403, 413, 415, 503) },
  });
  router.post('/submissions', requireJson, express.json({ limit: bodyLimitBytes(config) }), async (req, res) => {
    const body = parseBody(single, req.body);
    const [id] = await enqueue([await prepare(req, res, body, ownerOf(req), '')]);
    res.status(202).location(`/api/submissions/${id}`).json({ id });
  });

  describeRoute(router, 'post', '/submissions/batch', {
    summary: `Queue several runs at once (at most ${config.submissionBatchMax}); all or none`,
    description: 'Each submission is checked as POST /api/submissions checks one; a field at fault is named under its place (submissions.3.code). Each counts as one run of the quotas.',
    tags: ['submissions'],
    requestBody: jsonBody(batch),
    responses: { 202: json('Queued, ids in the order given', submissionBatchCreatedSchema, quotaHeaders), ...errors(400, 403, 413, 415, 503) },
  });
  router.post('/submissions/batch', requireJson, express.json({ limit: Math.min(BATCH_BODY_CAP, bodyLimitBytes(config) * config.submissionBatchMax) }), async (req, res) => {
    const body = parseBody(batch, req.body);
    const owner = ownerOf(req);
    const items: NewQueuedSubmission[] = [];
    for (const [i, s] of body.submissions.entries()) items.push(await prepare(req, res, s, owner, `submissions.${i}.`));
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
    const found = new Map((await queue.find(ids)).map((r) => [r.id, r]));
    res.set('Cache-Control', 'no-store').json({ submissions: ids.map((id) => (found.has(id) ? submissionView(found.get(id)!) : null)) });
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
      const [record] = ID_PATTERN.test(id) ? await queue.find([id]) : [];
      if (!record) throw new HttpError(404, { error: 'Not found', message: 'no submission has this id (finished ones are deleted after a while)' });
      const left = deadline - Date.now();
      if (record.status === 'done' || left <= 0 || clientGone.signal.aborted) {
        return void res.set('Cache-Control', 'no-store').json(submissionView(record));
      }
      // this server finishing it wakes the wait at once; another server's result is seen at the next look
      await submissions.changed(id, Math.min(left, WAIT_POLL_MS), clientGone.signal);
    }
  });
  return router;
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
