import { createHash } from 'node:crypto';
import express from 'express';
import { z } from 'zod';
import { ShuttingDownError } from '../runs/run-service.js';
import { submissionsEnqueued } from '../observability/metrics.js';
import { ID_PATTERN } from '../store/ids.js';
import type { NewQueuedSubmission, SubmissionRecord } from '../store/submission-queue.js';
import { submissionBatchSchema, submissionRequestSchema, type SubmissionRequest } from '../submission-protocol.js';
import { submissionView } from '../submissions/submission-view.js';
import type { Caller } from '../keys/quotas.js';
import { callerOf, countQueuedWork, cappedMaxima, mayRead, ownerOf } from './api-keys.js';
import type { AppDeps } from './app.js';
import { decodeContent } from './content-encoding.js';
import { badField, HttpError } from './errors.js';
import { describeRoute, errors, json, jsonBody, noContent, quotaHeaders } from './openapi/registry.js';
import {
  callbackRedeliverySchema,
  errorSchema,
  finishedSubmissionSchema,
  submissionBatchCreatedSchema,
  submissionCreatedSchema,
  submissionListSchema,
  submissionSchema,
} from './openapi/schemas.js';
import { bodyLimitBytes, checkSizes, limitMaxima, parseBody, programOf, resolveLanguage, runRequest } from './validate.js';

/** The largest batch body read, whatever the batch size allows (nginx caps bodies lower still). */
const BATCH_BODY_CAP = 32 * 1024 * 1024;

const waitParam = z.enum(['true', 'false'], { error: 'must be true or false' }).optional();

/** draft-ietf-httpapi-idempotency-key-header's request header, and the answer's mark of a replay (as Stripe's API names it). */
const IDEMPOTENCY_HEADER = 'Idempotency-Key';
const REPLAYED_HEADER = 'Idempotent-Replayed';
/** How long a request holding an idempotency key may take besides its wait: past it, the key is taken over. */
const KEY_HOLD_MS = 60_000;

/** What a listing filters by: a submission's state (finished: run, whatever its status). */
const LISTED_STATES = ['queued', 'running', 'finished'] as const;
const DEFAULT_PAGE = 20;
const MAX_PAGE = 100;
/** A cursor is opaque to clients: `c` and the row's sequence number in base 36. */
const CURSOR = /^c[0-9a-z]{1,13}$/;
const cursorOf = (seq: number) => `c${seq.toString(36)}`;
const seqOfCursor = (cursor: string) => parseInt(cursor.slice(1), 36);

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
  const waitQuery = z.strictObject({ wait: waitParam });

  /** A checked submission as the queue keeps it (not admitted yet); errors name the field under `prefix`. */
  const prepare = async (caller: Caller, body: SubmissionRequest, prefix: string): Promise<NewQueuedSubmission> =>
    underField(prefix, async () => {
      const language = resolveLanguage(languages, body.language);
      const content = decodeContent(body);
      checkSizes(config, content);
      const expected = content.expectedOutput;
      if (expected !== undefined && Buffer.byteLength(expected) > maxima.outputKb * 1024) throw badField('expectedOutput', `must be at most ${maxima.outputKb} KiB (the output cap)`);
      const owner = ownerOf(caller);
      if (body.callbackUrl !== undefined) {
        const problem = callbackPolicy.urlProblem(body.callbackUrl);
        if (problem) throw badField('callbackUrl', problem);
        if ((await callbackSecrets(owner)).length === 0) throw badField('callbackUrl', 'cannot be used: callbacks are off on this server (no RUNBOX_CALLBACK_SECRET)');
      }
      const program = programOf(config, language, content);
      const stdin = content.stdin ?? '';
      const run = runRequest(body, language, program, stdin, cappedMaxima(caller, maxima, body.limits));
      // bytes (base64 given, not UTF-8) are kept as base64, marked so
      const several = content.files ? { files: program.files.map(storedFile), entry: program.entry.name } : {};
      const input = typeof stdin === 'string' ? { stdin } : { stdin: stdin.toString('base64'), stdinEncoding: 'base64' as const };
      const base64 = body.encoding === 'base64' ? { encoding: 'base64' as const, keepOutputBytes: true } : {};
      return {
        owner,
        callbackUrl: body.callbackUrl ?? null,
        request: {
          language: language.id,
          code: program.entry.content,
          ...several,
          ...input,
          args: [...run.args],
          limits: run.limits,
          // compared as text, as the judge compares (bytes that are not UTF-8 as U+FFFD, as the run's output is)
          expectedOutput: expected === undefined ? null : typeof expected === 'string' ? expected : expected.toString('utf8'),
          ...base64,
        },
      };
    });

  const readable = async (req: express.Request, res: express.Response, ids: readonly string[]) => {
    const caller = await callerOf(req, res, deps);
    const found = (await queue.find(ids)).filter((r) => mayRead(caller, r.owner));
    return { caller, found: new Map(found.map((r) => [r.id, r])) };
  };
  const view = (caller: Caller, record: SubmissionRecord) => submissionView(record, { callbackUrl: mayReadCallbackUrl(caller, record.owner) });

  const enqueue = async (items: NewQueuedSubmission[], idempotencyKey?: ClaimedKey): Promise<string[]> => {
    if (runs.isShuttingDown) throw new ShuttingDownError('server is shutting down');
    if ((await queue.countQueued()) + items.length > config.submissionQueueMax) {
      throw new HttpError(
        503,
        { error: 'Server busy', message: `${config.submissionQueueMax} submissions are waiting already; try again shortly` },
        { 'Retry-After': String(runs.retryAfterSeconds()) },
      );
    }
    const ids = await queue.enqueue(items, Date.now(), idempotencyKey);
    submissionsEnqueued(ids.length);
    submissions.kick();
    return ids;
  };

  /**
   * The submission once it has run, or as it stands at `deadline` (or when the client
   * left). Another key's is as absent as one that never was (null): its existence is not told.
   */
  const settled = async (req: express.Request, res: express.Response, id: string, deadline: number, clientGone: AbortSignal) => {
    for (;;) {
      const { caller, found } = await readable(req, res, [id]);
      const record = found.get(id);
      if (!record) return null;
      const left = deadline - Date.now();
      if (record.status === 'done' || left <= 0 || clientGone.aborted) return { caller, record };
      // this server finishing it wakes the wait at once; another server's result is seen at the next look
      await submissions.changed(id, Math.min(left, WAIT_POLL_MS), clientGone);
    }
  };
  const goneSignal = (res: express.Response) => {
    const clientGone = new AbortController();
    res.on('close', () => clientGone.abort());
    return clientGone.signal;
  };

  /** A created submission's answer: 201 with it once run (wait=true), else 202 with its id. */
  const created = (res: express.Response, id: string, done: { caller: Caller; record: SubmissionRecord } | null, replayed = false) => {
    res.location(`/api/submissions/${id}`).set('Cache-Control', 'no-store');
    if (replayed) res.set(REPLAYED_HEADER, 'true');
    if (done && done.record.status === 'done') return void res.status(201).json(view(done.caller, done.record));
    res.status(202).json({ id });
  };

  const location = { Location: { description: 'The submission in the API', schema: { type: 'string' as const } } };
  const replayedHeader = { [REPLAYED_HEADER]: { description: 'true: the answer of an earlier request with the same Idempotency-Key and body (nothing was queued again)', schema: { type: 'string' as const } } };
  const createQuery = z.strictObject({
    wait: waitParam.meta({ description: `true: answer 201 with the result once it has run, if that is within ${config.submissionWaitMs} ms (RUNBOX_SUBMISSION_WAIT_MS); else 202 as without` }),
  });
  const idempotencyHeader = z.object({
    [IDEMPOTENCY_HEADER]: z
      .string()
      .optional()
      .meta({
        description:
          'draft-ietf-httpapi-idempotency-key-header: a key of your own (1-255 visible ASCII characters; a quoted sf-string too) for this request. ' +
          'Sent again with the same body within 24 h, it answers what the first request was answered and queues nothing; with another body it is a 422, ' +
          "while the first is still being answered a 409. Keys are the caller's own (an API key's, or an anonymous address's).",
        example: '8e03978e-40d5-43e8-bc93-6894a57f9324',
      }),
  });
  describeRoute(router, 'post', '/submissions', {
    operationId: 'createSubmission',
    summary: 'Queue a run; answered at once with its id, or with its result (wait=true)',
    description:
      "/api/execute's body, plus expectedOutput (the answer then carries the judge's verdict) and callbackUrl (the finished submission is POSTed there, " +
      "signed in X-Runbox-Signature with HMAC-SHA256 of the API key's callback secret, or of RUNBOX_CALLBACK_SECRET for anonymous submissions). " +
      "It counts against the caller's rate and daily quotas now, holds no run slot while it waits, and one of its key's slots while it runs. Only its key (and the admin) can read a key's submission. " +
      'With wait=true the answer waits for the result (201), up to RUNBOX_SUBMISSION_WAIT_MS; an Idempotency-Key makes a retry safe; `encoding: "base64"` carries bytes both ways.',
    tags: ['submissions'],
    requestParams: { query: createQuery, header: idempotencyHeader },
    requestBody: jsonBody(single, { example: { language: 'python', code: 'print(input()[::-1])', stdin: 'runbox', expectedOutput: 'xobnur\n' } }),
    responses: {
      201: json('Run already (wait=true): the finished submission', finishedSubmissionSchema, { ...location, ...quotaHeaders, ...replayedHeader }),
      202: json('Queued', submissionCreatedSchema, { ...location, ...quotaHeaders, ...replayedHeader }),
      ...errors(400, 403, 413, 415, 429, 503),
      409: errorResponse('A request with the same Idempotency-Key is still being answered: retry once it has been'),
      422: errorResponse('The Idempotency-Key was used with another request body: a new request needs a new key'),
    },
  });
  router.post('/submissions', requireJson, express.json({ limit: bodyLimitBytes(config) }), async (req, res) => {
    const { wait } = parseBody(createQuery, { ...req.query });
    const body = parseBody(single, req.body);
    const caller = await callerOf(req, res, deps);
    const clientGone = goneSignal(res);
    const deadline = () => Date.now() + (wait === 'true' ? config.submissionWaitMs : 0);
    const key = idempotencyKeyOf(req, caller);
    if (key) {
      // a request may take up to its wait, and some for its checks: past that its key is taken over
      const claim = await queue.idempotency.claim(key.scope, key.key, fingerprintOf(req.body), config.submissionWaitMs + KEY_HOLD_MS);
      if (claim.state === 'mismatch') throw idempotencyError(422, 'Unprocessable content', 'was used with another request body: a new request needs a new key');
      if (claim.state === 'in_flight') throw idempotencyError(409, 'Conflict', 'belongs to a request that is still being answered: retry once it has been');
      if (claim.state === 'replay') {
        const done = claim.status === 201 ? await settled(req, res, claim.submissionId, 0, clientGone) : null;
        if (claim.status === 201 && !done) throw notFound();
        return created(res, claim.submissionId, done, true);
      }
    }
    let id: string;
    try {
      const item = await prepare(caller, body, '');
      await countQueuedWork(deps, req, res, 1);
      [id] = (await enqueue([item], key ?? undefined)) as [string];
    } catch (err) {
      // nothing was queued: the key is free for the client's retry
      if (key) await queue.idempotency.release(key.scope, key.key);
      throw err;
    }
    const done = wait === 'true' ? await settled(req, res, id, deadline(), clientGone) : null;
    if (key) await queue.idempotency.answer(key.scope, key.key, done?.record.status === 'done' ? 201 : 202);
    created(res, id, done);
  });

  describeRoute(router, 'post', '/submissions/batch', {
    operationId: 'createSubmissionBatch',
    summary: `Queue several runs at once (at most ${config.submissionBatchMax}); all or none`,
    description:
      'Each submission is checked as POST /api/submissions checks one; a field at fault is named under its place (submissions.3.code). ' +
      'Each counts as one run of the quotas, all of them or none: a batch that does not fit in what is left of a quota is a 429 that costs nothing. ' +
      'Idempotency-Key is taken by POST /api/submissions only (a 400 here).',
    tags: ['submissions'],
    requestBody: jsonBody(batch, { example: { submissions: [{ language: 'python', code: 'print(6 * 7)' }, { language: 'javascript', code: 'console.log(6 * 7)' }] } }),
    responses: { 202: json('Queued, ids in the order given', submissionBatchCreatedSchema, quotaHeaders), ...errors(400, 403, 413, 415, 429, 503) },
  });
  router.post('/submissions/batch', requireJson, express.json({ limit: Math.min(BATCH_BODY_CAP, bodyLimitBytes(config) * config.submissionBatchMax) }), async (req, res) => {
    if (req.get(IDEMPOTENCY_HEADER) !== undefined) throw badField(IDEMPOTENCY_HEADER, 'is taken by POST /api/submissions only: send the submissions one by one to make their retries safe');
    const body = parseBody(batch, req.body);
    const caller = await callerOf(req, res, deps);
    const items: NewQueuedSubmission[] = [];
    for (const [i, s] of body.submissions.entries()) items.push(await prepare(caller, s, `submissions.${i}.`));
    await countQueuedWork(deps, req, res, items.length);
    const ids = await enqueue(items);
    res.status(202).json({ ids });
  });

  const listQuery = z.strictObject({
    ids: idsQuery.shape.ids.optional().meta({ description: `Comma-separated submission ids, at most ${config.submissionBatchMax}: these, in this order (the other parameters then may not be given)` }),
    state: z
      .string()
      .refine((s) => s.split(',').every((x) => (LISTED_STATES as readonly string[]).includes(x.trim())), `must be ${LISTED_STATES.join(', ')} or several of them, comma-separated`)
      .transform((s) => s.split(',').map((x) => x.trim() as (typeof LISTED_STATES)[number]))
      .optional()
      .meta({ description: 'queued, running or finished, or several comma-separated' }),
    language: z.string().min(1).max(64).optional().meta({ description: 'A language id or alias (python, py)' }),
    createdFrom: z.iso.datetime({ offset: true, error: 'must be a date and time in ISO 8601, e.g. 2026-01-31T12:00:00Z' }).optional().meta({ description: 'Made at or after this time (ISO 8601)' }),
    createdBefore: z.iso.datetime({ offset: true, error: 'must be a date and time in ISO 8601, e.g. 2026-01-31T12:00:00Z' }).optional().meta({ description: 'Made before this time (ISO 8601)' }),
    cursor: z.string().regex(CURSOR, 'is not a cursor this API gave (nextCursor of a previous page)').optional().meta({ description: "The previous page's nextCursor" }),
    limit: z.coerce
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(MAX_PAGE, `must be at most ${MAX_PAGE}`)
      .optional()
      .meta({ description: `Submissions on a page (default ${DEFAULT_PAGE}, at most ${MAX_PAGE})` }),
  });
  describeRoute(router, 'get', '/submissions', {
    operationId: 'listSubmissions',
    summary: "The caller's submissions, newest first, page by page (or several by id)",
    description:
      'Without ids: the submissions of the calling API key (the admin: every one), newest first, filtered by state, language and creation time; ' +
      'nextCursor leads to the next page (send it as cursor with the same filters). Anonymous callers have no list (401): an anonymous submission belongs to no one, ' +
      'only its id reads it. With ids: those submissions in that order, null for one that does not exist or is not the caller\'s.',
    tags: ['submissions'],
    requestParams: { query: listQuery },
    responses: {
      200: json('A page of submissions (or each asked for by id, null where none has the id)', submissionListSchema),
      ...errors(400),
      401: errorResponse('Listing without ids needs an API key (or the admin key); or the key sent is unknown or revoked'),
    },
  });
  router.get('/submissions', async (req, res) => {
    const query = parseBody(listQuery, { ...req.query });
    const { ids, ...filters } = query;
    res.set('Cache-Control', 'no-store');
    if (ids) {
      const extra = Object.keys(filters).find((k) => filters[k as keyof typeof filters] !== undefined);
      if (extra) throw badField(extra, 'cannot come with ids: ids names the submissions itself');
      const { caller, found } = await readable(req, res, ids);
      return void res.json({ submissions: ids.map((id) => (found.has(id) ? view(caller, found.get(id)!) : null)) });
    }
    const caller = await callerOf(req, res, deps);
    if (caller.kind === 'anonymous') {
      throw new HttpError(
        401,
        { error: 'Unauthorized', message: 'listing submissions needs an API key: an anonymous submission belongs to no one (read one by its id, or several with ?ids=)' },
        { 'WWW-Authenticate': 'Bearer' },
      );
    }
    const language = filters.language === undefined ? undefined : (languages.find(filters.language)?.id ?? filters.language);
    const page = await queue.list({
      ...(caller.kind === 'key' ? { owner: caller.key.id } : {}),
      states: filters.state?.map((s) => (s === 'finished' ? 'done' : s)),
      language,
      createdFrom: filters.createdFrom === undefined ? undefined : new Date(filters.createdFrom),
      createdBefore: filters.createdBefore === undefined ? undefined : new Date(filters.createdBefore),
      beforeSeq: filters.cursor === undefined ? undefined : seqOfCursor(filters.cursor),
      limit: filters.limit ?? DEFAULT_PAGE,
    });
    res.json({ submissions: page.records.map((r) => view(caller, r)), nextCursor: page.nextSeq === null ? null : cursorOf(page.nextSeq) });
  });

  describeRoute(router, 'get', '/submissions/:id', {
    operationId: 'getSubmission',
    summary: 'A submission: its state, or once run its result',
    description: "Queued or running: its state and times. Run: /api/execute's result with the submission's own fields (and its verdict against expectedOutput). wait=true holds the answer until it has run, up to RUNBOX_SUBMISSION_WAIT_MS.",
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
    const found = ID_PATTERN.test(id) ? await settled(req, res, id, Date.now() + (wait === 'true' ? config.submissionWaitMs : 0), goneSignal(res)) : null;
    if (!found) throw notFound();
    res.set('Cache-Control', 'no-store').json(view(found.caller, found.record));
  });

  describeRoute(router, 'delete', '/submissions/:id', {
    operationId: 'deleteSubmission',
    summary: 'Delete a finished submission, for good',
    description:
      'Its code, input, output, verdict and callback state are deleted from the store (on SQLite overwritten, not only unlinked), its Idempotency-Key with it. ' +
      "A key's submission is deleted by that key or the admin (to another key it is a 404, as if it did not exist); an anonymous one by the admin only " +
      '(a 403: holding its id lets anyone read it, not delete it; it is deleted after RUNBOX_SUBMISSION_KEEP_SECONDS anyway). ' +
      'One still queued or running is a 409: delete it once it has run (GET with wait=true waits for that).',
    tags: ['submissions'],
    responses: {
      204: noContent('Deleted'),
      ...errors(403, 404),
      409: errorResponse('It has not run yet (queued or running): delete it once it has'),
    },
  });
  router.delete('/submissions/:id', async (req, res) => {
    const id = String(req.params.id);
    const { caller, found } = ID_PATTERN.test(id) ? await readable(req, res, [id]) : { caller: null, found: new Map<string, SubmissionRecord>() };
    const record = found.get(id);
    if (!record || !caller) throw notFound();
    if (record.owner === null && caller.kind !== 'admin') {
      throw new HttpError(403, { error: 'Forbidden', message: 'an anonymous submission is deleted by the admin only (and after RUNBOX_SUBMISSION_KEEP_SECONDS by itself)' });
    }
    const outcome = await queue.erase(id);
    if (outcome === 'gone') throw notFound();
    if (outcome === 'unfinished') throw new HttpError(409, { error: 'Conflict', message: 'this submission has not run yet: delete it once it has (GET with wait=true waits for that)' });
    res.status(204).end();
  });

  describeRoute(router, 'post', '/submissions/:id/callback/redeliver', {
    operationId: 'redeliverSubmissionCallback',
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

/** An error answer with a route's own meaning of its status. */
const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: errorSchema } } });

/** A file as the queue keeps it: text, or bytes as base64 marked so. */
const storedFile = (f: { name: string; content: string | Buffer }) =>
  typeof f.content === 'string' ? { name: f.name, content: f.content } : { name: f.name, content: f.content.toString('base64'), encoding: 'base64' as const };

interface ClaimedKey {
  /** whose key it is: the API key's id, the admin, or the anonymous caller's address */
  scope: string;
  key: string;
}

/**
 * The request's Idempotency-Key, in the caller's scope; null without one. The draft writes it
 * as a structured-field string (`"abc"`); a bare token is taken too, as most clients send it.
 */
function idempotencyKeyOf(req: express.Request, caller: Caller): ClaimedKey | null {
  const raw = req.get(IDEMPOTENCY_HEADER);
  if (raw === undefined) return null;
  const quoted = /^"((?:[\x20-\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/.exec(raw.trim());
  const key = quoted ? quoted[1]!.replace(/\\(["\\])/g, '$1') : raw.trim();
  if (key.length === 0 || key.length > 255 || !/^[\x20-\x7e]+$/.test(key) || (!quoted && /[\s"]/.test(key))) {
    throw badField(IDEMPOTENCY_HEADER, 'must be 1-255 visible ASCII characters (a quoted string, or a token without spaces or quotes)');
  }
  const scope = caller.kind === 'key' ? `key:${caller.key.id}` : caller.kind === 'admin' ? 'admin' : `anon:${caller.address}`;
  return { scope, key };
}

/** What makes two requests "the same": their JSON bodies, whatever the order of their fields. */
function fingerprintOf(body: unknown): string {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : value !== null && typeof value === 'object'
        ? Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]))
        : value;
  return createHash('sha256').update(JSON.stringify(canonical(body))).digest('hex');
}

const idempotencyError = (status: 409 | 422, error: string, message: string) => new HttpError(status, { error, field: IDEMPOTENCY_HEADER, message: `${IDEMPOTENCY_HEADER} ${message}` });

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
