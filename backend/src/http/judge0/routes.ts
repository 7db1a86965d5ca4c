import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { ZodOpenApiResponseObject } from 'zod-openapi';
import type { Caller } from '../../keys/quotas.js';
import { submissionsEnqueued } from '../../observability/metrics.js';
import type { NewQueuedSubmission, SubmissionRecord } from '../../store/submission-queue.js';
import { cappedMaxima, countQueuedWork, clientAddress, identify, mayRead, ownerOf } from '../api-keys.js';
import type { AppDeps } from '../app.js';
import { toHttpError } from '../app.js';
import { HttpError } from '../errors.js';
import { describeRoute, errorHeaders, json, quotaHeaders } from '../openapi/registry.js';
import { errorSchema } from '../openapi/schemas.js';
import { bodyLimitBytes, limitMaxima } from '../validate.js';
import { judge0Languages, type Judge0Language } from './languages.js';
import { idOf, isTrue, JUDGE0_STATUSES, requestedFields, rubySplit, tokenOf, type SubmissionField } from './protocol.js';
import { checkSubmission, Judge0Error, judge0Maxima, JUDGE0_FIXED, type Judge0Errors } from './request.js';
import {
  judge0AboutSchema,
  judge0BatchCreatedSchema,
  judge0BatchRequestSchema,
  judge0ConfigInfoSchema,
  judge0ErrorSchema,
  judge0FieldErrorsSchema,
  judge0LanguageDetailSchema,
  judge0LanguageListedSchema,
  judge0LanguageSchema,
  judge0NotFoundSchema,
  judge0StatusSchema,
  judge0SubmissionBatchSchema,
  judge0SubmissionPageSchema,
  judge0SubmissionRequestSchema,
  judge0SubmissionSchema,
} from './schemas.js';
import { judge0View } from './view.js';

/** The Judge0 CE version whose API this is. */
export const JUDGE0_VERSION = '1.13.1';
/** Where it is mounted: a Judge0 client's base URL is http(s)://host/judge0. */
export const JUDGE0_PREFIX = '/judge0';

const RUNBOX_VERSION = (JSON.parse(readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../package.json'), 'utf8')) as { version: string }).version;

/** The largest batch body read, whatever the batch size allows (nginx caps bodies lower still). */
const BATCH_BODY_CAP = 32 * 1024 * 1024;
/** How often a waiting request looks at the store for a result another server wrote. */
const WAIT_POLL_MS = 250;
/** Judge0's page size (Submission.per_page), and the most one page holds here. */
const PER_PAGE = 20;
const MAX_PER_PAGE = 100;

/** A request that works as it is: the examples of the document (Swagger UI's Try it out, the curl samples). */
const HELLO = { language_id: 71, source_code: 'print("hello, " + input())', stdin: 'Judge0' };

const NOT_UTF8 = 'some attributes for this submission cannot be converted to UTF-8, use base64_encoded=true query parameter';
const NOT_UTF8_MANY = 'some attributes for one or more submissions cannot be converted to UTF-8, use base64_encoded=true query parameter';
const notFound = () => new Judge0Error(404, { status: 404, error: 'Not Found' });

/**
 * Judge0 CE 1.13.1's API under /judge0, so an app written for Judge0 needs only a new base
 * URL (and, where it sent one, a runbox API key as its X-Auth-Token). A translation layer
 * like /api/v2: submissions are runbox's queued submissions (the same queue, worker, quotas,
 * caps, jail), shown Judge0's way (view.ts); requests are read as Judge0 reads them
 * (request.ts). Errors are Judge0's: `{ error }`, a 422 of field errors, Rails' 404.
 */
export function judge0Routes(deps: AppDeps): express.Router {
  const { config, runs, store, submissions } = deps;
  const queue = store.submissionQueue;
  const router = express.Router();
  const serverMaxima = limitMaxima(config);
  const languages = judge0Languages(deps.languages, serverMaxima.memoryMb);
  const byName = (list: Judge0Language[]) => list.sort((a, b) => a.name.localeCompare(b.name, 'en') || a.id - b.id);
  const corsOrigins = new Set(config.corsOrigins);
  const bodyLimit = bodyLimitBytes(config) + config.codeKb * 2 * 1024;

  /** Who calls: Judge0's X-Auth-Token (or RapidAPI's header, or runbox's own) as a runbox API key; X-Auth-User as the admin key. */
  router.use(async (req, res, next) => {
    res.locals.caller = await judge0Caller(req, deps);
    next();
  });
  // a page of another site may send a form or text without a preflight: it may not start runs that way
  router.use((req, _res, next) => {
    if (req.method !== 'POST' || req.is('application/json')) return next();
    const origin = req.get('origin');
    if (origin === undefined || corsOrigins.has(origin) || corsOrigins.has('*')) return next();
    next(new Judge0Error(415, { error: 'a browser page of another origin must send application/json' }));
  });

  const caller = (res: Response): Caller => res.locals.caller as Caller;
  const maximaOf = (who: Caller) => cappedMaxima(who, serverMaxima);
  const viewOptions = (who: Caller, record: SubmissionRecord, fields: readonly SubmissionField[], base64: boolean) => ({
    fields,
    base64,
    callbackUrl: who.kind === 'admin' || (record.owner !== null && mayRead(who, record.owner)),
    languages,
  });
  const fieldsOf = (req: Request): readonly SubmissionField[] => {
    const asked = requestedFields(param(req, 'fields'));
    if ('invalid' in asked) throw new Judge0Error(400, { error: asked.invalid });
    return asked.fields;
  };
  /** The submissions these tokens name that the caller may read, by token. */
  const readable = async (who: Caller, tokens: readonly string[]): Promise<Map<string, SubmissionRecord>> => {
    const ids = tokens.map(idOf).filter((id): id is string => id !== null);
    const found = ids.length ? await queue.find([...new Set(ids)]) : [];
    return new Map(found.filter((r) => mayRead(who, r.owner)).map((r) => [tokenOf(r.id), r]));
  };
  const queueHasRoom = async (count: number) => {
    if (runs.isShuttingDown) throw new Judge0Error(503, { error: 'the server is restarting; try again shortly' }, { 'Retry-After': '5' });
    if ((await queue.countQueued()) + count > config.submissionQueueMax) throw new Judge0Error(503, { error: 'queue is full' }, { 'Retry-After': String(runs.retryAfterSeconds()) });
  };
  const check = (who: Caller, raw: unknown, base64: boolean) =>
    checkSubmission(raw, {
      config,
      languages,
      maxima: maximaOf(who),
      base64,
      owner: ownerOf(who),
      callbackProblem: async (url) => {
        const problem = submissions.callbackPolicy.urlProblem(url);
        if (problem) return problem;
        if ((await submissions.callbackSecrets(ownerOf(who))).length === 0) return 'setting callback is not allowed (this server has no callback secret: RUNBOX_CALLBACK_SECRET)';
        return null;
      },
    });
  /** Queues them; their tokens. */
  const enqueue = async (items: NewQueuedSubmission[]): Promise<string[]> => {
    const ids = await queue.enqueue(items);
    submissionsEnqueued(ids.length);
    submissions.kick();
    return ids.map(tokenOf);
  };
  /** Reads the submission until it has run, at most RUNBOX_SUBMISSION_WAIT_MS (or until the client leaves). */
  const waitFor = async (token: string, res: Response): Promise<SubmissionRecord | undefined> => {
    const id = idOf(token)!;
    const gone = new AbortController();
    res.on('close', () => gone.abort());
    const deadline = Date.now() + config.submissionWaitMs;
    for (;;) {
      const [record] = await queue.find([id]);
      const left = deadline - Date.now();
      if (!record || record.status === 'done' || left <= 0 || gone.signal.aborted) return record;
      await submissions.changed(id, Math.min(left, WAIT_POLL_MS), gone.signal);
    }
  };

  /* ---- submissions ---- */

  describeRoute(router, 'post', '/submissions', {
    operationId: 'judge0CreateSubmission',
    summary: 'Create a submission (Judge0)',
    description:
      "Judge0's POST /submissions: answered 201 { token } at once, or with wait=true once it has run (at most RUNBOX_SUBMISSION_WAIT_MS; then its state so far). " +
      'Its attributes are Judge0\'s; limits in seconds and KB, at most the server\'s maxima lowered to the API key\'s caps (GET /judge0/config_info). ' +
      'A field at fault is a 422 naming every one. It counts against the caller\'s rate and daily quotas as POST /api/submissions does.',
    tags: ['judge0'],
    ...judge0Security,
    requestParams: { query: z.object({ base64_encoded: booleanParam('source_code, stdin and expected_output are Base64; with wait, the answer\'s text attributes too'), wait: booleanParam('answer once it has run'), fields: fieldsParam }) },
    requestBody: {
      required: true,
      content: { 'application/json': { schema: judge0SubmissionRequestSchema, example: HELLO }, 'application/x-www-form-urlencoded': { schema: judge0SubmissionRequestSchema } },
    },
    responses: {
      201: json('Queued: { token }; with wait=true the submission (or { token, error } when its output is not UTF-8 and base64_encoded is not true)', z.union([judge0SubmissionSchema, z.object({ token: z.string(), error: z.string() })]), quotaHeaders),
      ...judge0Errors({ 400: 'fields names an unknown attribute', 415: 'A browser page of another origin sent a form or text', 422: 'A field is invalid: each one named with its messages', 429: "A quota of the API key (or of anonymous clients) is used up: wait Retry-After seconds", 503: 'The queue is full (`queue is full`) or the server is restarting: wait Retry-After seconds' }),
    },
  });
  router.post('/submissions', ...parseBody(bodyLimit), async (req, res) => {
    const who = caller(res);
    await queueHasRoom(1);
    const fields = fieldsOf(req);
    const base64 = isTrue(param(req, 'base64_encoded'));
    const checked = await check(who, { ...req.query, ...bodyOf(req) }, base64);
    if ('errors' in checked) throw new Judge0Error(422, checked.errors);
    await countQueuedWork(deps, req, res, 1);
    const [token] = await enqueue([checked.submission]);
    if (!isTrue(param(req, 'wait'))) return void res.status(201).json({ token });
    const record = await waitFor(token!, res);
    if (!record) return void res.status(201).json({ token });
    const view = judge0View(record, viewOptions(who, record, fields, base64));
    res.status(201).json(view.convertible ? view.body : { token, error: NOT_UTF8 });
  });

  describeRoute(router, 'post', '/submissions/batch', {
    operationId: 'judge0CreateSubmissionBatch',
    summary: 'Create several submissions (Judge0)',
    description:
      `Judge0's POST /submissions/batch, at most ${config.submissionBatchMax} (RUNBOX_SUBMISSION_BATCH_MAX). Each one is checked on its own: the answer holds { token } for each queued and its field errors for each refused, ` +
      '201 when at least one was queued, else 422. The ones queued count against the quotas all together or not at all (a 429 queues none). wait and fields do not apply.',
    tags: ['judge0'],
    ...judge0Security,
    requestParams: { query: z.object({ base64_encoded: booleanParam('source_code, stdin and expected_output are Base64') }) },
    requestBody: { required: true, content: { 'application/json': { schema: judge0BatchRequestSchema, example: { submissions: [HELLO, { language_id: 63, source_code: 'console.log("hello, Judge0")' }] } } } },
    responses: {
      201: json('A token or field errors for each, in order', judge0BatchCreatedSchema, quotaHeaders),
      ...judge0Errors({ 400: 'No submissions, or more than the batch size', 415: 'A browser page of another origin sent a form or text', 422: { description: 'None of them could be queued: the field errors of each, in order', schema: z.array(judge0FieldErrorsSchema) }, 429: "A quota of the API key (or of anonymous clients) has no room for them all", 503: 'The queue has no room for them all, or the server is restarting' }),
    },
  });
  router.post('/submissions/batch', ...parseBody(Math.min(BATCH_BODY_CAP, bodyLimit * config.submissionBatchMax)), async (req, res) => {
    const who = caller(res);
    const list = bodyOf(req).submissions;
    const count = Array.isArray(list) ? list.length : 0;
    if (count > config.submissionBatchMax) throw new Judge0Error(400, { error: `number of submissions in a batch should be less than or equal to ${config.submissionBatchMax}` });
    if (count === 0) throw new Judge0Error(400, { error: 'there should be at least one submission in a batch' });
    await queueHasRoom(count);
    const base64 = isTrue(param(req, 'base64_encoded'));
    const answers: ({ token: string } | Judge0Errors)[] = [];
    const valid: { index: number; item: NewQueuedSubmission }[] = [];
    for (const [index, raw] of (list as unknown[]).entries()) {
      const checked = await check(who, raw, base64);
      if ('errors' in checked) answers[index] = checked.errors;
      else valid.push({ index, item: checked.submission });
    }
    if (valid.length === 0) throw new Judge0Error(422, answers);
    await countQueuedWork(deps, req, res, valid.length);
    const tokens = await enqueue(valid.map((v) => v.item));
    for (const [i, v] of valid.entries()) answers[v.index] = { token: tokens[i]! };
    res.status(201).json(answers);
  });

  describeRoute(router, 'get', '/submissions/batch', {
    operationId: 'judge0GetSubmissionBatch',
    summary: 'Several submissions by token (Judge0)',
    description: `Judge0's GET /submissions/batch: tokens comma-separated (the query's tokens, or a tokens header), at most ${config.submissionBatchMax}; null for a token no submission has (or one of another API key).`,
    tags: ['judge0'],
    ...judge0Security,
    requestParams: { query: z.object({ tokens: z.string().optional().meta({ description: 'Comma-separated tokens' }), base64_encoded: booleanParam('text attributes in Base64'), fields: fieldsParam }) },
    responses: {
      200: json('Each, in the order asked', judge0SubmissionBatchSchema),
      ...judge0Errors({ 400: 'No tokens, too many, an unknown field, or output that is not UTF-8 without base64_encoded=true' }),
    },
  });
  router.get('/submissions/batch', async (req, res) => {
    const who = caller(res);
    const tokens = rubySplit(String(req.get('tokens') ?? param(req, 'tokens') ?? '').trim(), ',');
    if (tokens.length > config.submissionBatchMax) throw new Judge0Error(400, { error: `number of submissions in a batch should be less than or equal to ${config.submissionBatchMax}` });
    if (tokens.length === 0) throw new Judge0Error(400, { error: 'there should be at least one submission in a batch' });
    const fields = fieldsOf(req);
    const base64 = isTrue(param(req, 'base64_encoded'));
    const found = await readable(who, tokens);
    const views = tokens.map((t) => found.get(t.toLowerCase())).map((r) => (r ? judge0View(r, viewOptions(who, r, fields, base64)) : null));
    if (views.some((v) => v && !v.convertible)) throw new Judge0Error(400, { error: NOT_UTF8_MANY });
    res.set('Cache-Control', 'no-store').json({ submissions: views.map((v) => v?.body ?? null) });
  });

  describeRoute(router, 'get', '/submissions', {
    operationId: 'judge0ListSubmissions',
    summary: "The caller's submissions, a page at a time (Judge0)",
    description:
      "Judge0's GET /submissions, newest first: an API key's own submissions, every submission for the admin (X-Auth-User, or the admin key as X-Auth-Token). " +
      `Anonymous callers have none of their own: 403. per_page at most ${MAX_PER_PAGE}.`,
    tags: ['judge0'],
    ...judge0Security,
    requestParams: {
      query: z.object({
        page: z.string().optional().meta({ description: 'From 1' }),
        per_page: z.string().optional().meta({ description: `Default ${PER_PAGE}, at most ${MAX_PER_PAGE}` }),
        base64_encoded: booleanParam('text attributes in Base64'),
        fields: fieldsParam,
      }),
    },
    responses: {
      200: json('A page and where it is', judge0SubmissionPageSchema),
      ...judge0Errors({ 400: 'An invalid page or per_page, an unknown field, or output that is not UTF-8 without base64_encoded=true', 403: 'An anonymous caller (no API key)' }),
    },
  });
  router.get('/submissions', async (req, res) => {
    const who = caller(res);
    if (who.kind === 'anonymous') throw new Judge0Error(403, { error: 'listing submissions needs an API key (X-Auth-Token) or the admin key (X-Auth-User): anonymous submissions are not listed' });
    const page = rubyToI(param(req, 'page'), 1);
    const perPage = rubyToI(param(req, 'per_page'), PER_PAGE);
    if (page <= 0) throw new Judge0Error(400, { error: `invalid page: ${page}` });
    if (perPage < 0) throw new Judge0Error(400, { error: `invalid per_page: ${perPage}` });
    const fields = fieldsOf(req);
    const base64 = isTrue(param(req, 'base64_encoded'));
    const size = Math.min(MAX_PER_PAGE, perPage || PER_PAGE);
    const { records, total } = await queue.page({ ...(who.kind === 'key' ? { owner: who.key.id } : {}), offset: (page - 1) * size, limit: size });
    const views = records.map((r) => judge0View(r, viewOptions(who, r, fields, base64)));
    if (views.some((v) => !v.convertible)) throw new Judge0Error(400, { error: NOT_UTF8_MANY });
    const totalPages = Math.ceil(total / size);
    res.set('Cache-Control', 'no-store').json({
      submissions: views.map((v) => v.body),
      meta: { current_page: page, next_page: page < totalPages ? page + 1 : null, prev_page: page > 1 ? page - 1 : null, total_pages: totalPages, total_count: total },
    });
  });

  describeRoute(router, 'get', '/submissions/:token', {
    operationId: 'judge0GetSubmission',
    summary: 'A submission (Judge0)',
    description: "Judge0's GET /submissions/{token}: its state (status 1 In Queue, 2 Processing) or its result. Another API key's submission is a 404, as if it did not exist.",
    tags: ['judge0'],
    ...judge0Security,
    requestParams: { path: z.object({ token: z.string() }), query: z.object({ base64_encoded: booleanParam('text attributes in Base64'), fields: fieldsParam }) },
    responses: {
      200: json('The attributes asked for', judge0SubmissionSchema),
      ...judge0Errors({ 400: 'An unknown field, or output that is not UTF-8 without base64_encoded=true', 404: 'No submission has this token (or it is another API key\'s, or it was deleted)' }),
    },
  });
  router.get('/submissions/:token', async (req, res) => {
    const who = caller(res);
    const fields = fieldsOf(req);
    const token = String(req.params.token);
    const record = (await readable(who, [token])).get(token.toLowerCase());
    if (!record) throw notFound();
    const view = judge0View(record, viewOptions(who, record, fields, isTrue(param(req, 'base64_encoded'))));
    if (!view.convertible) throw new Judge0Error(400, { error: NOT_UTF8 });
    res.set('Cache-Control', 'no-store').json(view.body);
  });

  describeRoute(router, 'delete', '/submissions/:token', {
    operationId: 'judge0DeleteSubmission',
    summary: 'Delete a submission (Judge0)',
    description:
      "Judge0's DELETE /submissions/{token}: a finished submission is deleted from the store (code, input, result, callback) and answered, its text attributes in Base64 whatever is asked. " +
      'The API key that made it or the admin may delete it; an anonymous submission only the admin.',
    tags: ['judge0'],
    ...judge0Security,
    requestParams: { path: z.object({ token: z.string() }), query: z.object({ fields: fieldsParam }) },
    responses: {
      200: json('What it was, Base64', judge0SubmissionSchema),
      ...judge0Errors({ 400: 'It has not run yet (status 1 or 2), or an unknown field', 403: 'Not the API key that made it, nor the admin', 404: 'No submission has this token (or it is another API key\'s)' }),
    },
  });
  router.delete('/submissions/:token', async (req, res) => {
    const who = caller(res);
    const fields = fieldsOf(req);
    const token = String(req.params.token);
    const record = (await readable(who, [token])).get(token.toLowerCase());
    if (!record) throw notFound();
    if (!(who.kind === 'admin' || (who.kind === 'key' && record.owner === who.key.id))) {
      throw new Judge0Error(403, { error: 'only the API key that made this submission, or the admin, may delete it' });
    }
    if (record.status !== 'done') {
      const status = JUDGE0_STATUSES[record.status === 'queued' ? 0 : 1]!;
      throw new Judge0Error(400, { error: `submission cannot be deleted because its status is ${status.id} (${status.description})` });
    }
    const view = judge0View(record, viewOptions(who, record, fields, true));
    // gone from the store, as runbox's own DELETE leaves it (its idempotency keys too)
    const erased = await queue.erase(record.id);
    if (erased === 'gone') throw notFound();
    if (erased === 'unfinished') throw new Judge0Error(400, { error: 'submission cannot be deleted because its status is 2 (Processing)' });
    res.json(view.body);
  });

  /* ---- languages, statuses, configuration ---- */

  describeRoute(router, 'get', '/languages', {
    operationId: 'judge0ListLanguages',
    summary: 'The languages under every Judge0 id they answer to (Judge0)',
    description:
      "Judge0's GET /languages, by name: every id a client may have written for a language this server runs (71 Python, 54 C++, 62 Java, 63 JavaScript..., and the newer ids " +
      "of the hosted Judge0: 92 and 100 run Python as 71 does). Ids of one language share its name, the toolchain this server has. Clients check the id they picked against this list.",
    tags: ['judge0'],
    ...judge0Security,
    responses: { 200: json('Every id, by name', z.array(judge0LanguageSchema)), ...judge0Errors({}) },
  });
  router.get('/languages', (_req, res) => {
    res.json(byName([...languages.values()]).map(({ id, name }) => ({ id, name })));
  });

  describeRoute(router, 'get', '/languages/all', {
    operationId: 'judge0ListAllLanguages',
    summary: 'Active and archived languages (Judge0)',
    description: "Judge0's GET /languages/all: the same ids as GET /judge0/languages (runbox keeps no archived ones), with is_archived.",
    tags: ['judge0'],
    ...judge0Security,
    responses: { 200: json('Every id', z.array(judge0LanguageListedSchema)), ...judge0Errors({}) },
  });
  router.get('/languages/all', (_req, res) => {
    res.json(byName([...languages.values()]).map(({ id, name }) => ({ id, name, is_archived: false })));
  });

  describeRoute(router, 'get', '/languages/:id', {
    operationId: 'judge0GetLanguage',
    summary: 'A language (Judge0)',
    description: "Judge0's GET /languages/{id}: its name, runbox's source file name and commands (compile_cmd's %s is where compiler_options go).",
    tags: ['judge0'],
    ...judge0Security,
    requestParams: { path: z.object({ id: z.string().meta({ description: 'A Judge0 language id' }) }) },
    responses: { 200: json('The language', judge0LanguageDetailSchema), ...judge0Errors({ 404: 'No language has this id here' }) },
  });
  router.get('/languages/:id', (req, res) => {
    const raw = String(req.params.id);
    const language = /^\d+$/.test(raw) ? languages.get(Number(raw)) : undefined;
    if (!language) throw notFound();
    res.json({ id: language.id, name: language.name, is_archived: false, source_file: language.sourceFile, compile_cmd: language.compileCmd, run_cmd: language.runCmd });
  });

  describeRoute(router, 'get', '/statuses', {
    operationId: 'judge0ListStatuses',
    summary: "Judge0's statuses (Judge0)",
    description: "Judge0's GET /statuses: the 14 statuses a submission's status can be, Judge0's ids and words exactly.",
    tags: ['judge0'],
    ...judge0Security,
    responses: { 200: json('Ids 1-14 with their descriptions', z.array(judge0StatusSchema)), ...judge0Errors({}) },
  });
  router.get('/statuses', (_req, res) => {
    res.json(JUDGE0_STATUSES);
  });

  describeRoute(router, 'get', '/about', {
    operationId: 'judge0About',
    summary: 'What answers (Judge0)',
    description: "Judge0's GET /about: the Judge0 version whose API this is, and runbox's own version beside it.",
    tags: ['judge0'],
    ...judge0Security,
    responses: { 200: json('Versions', judge0AboutSchema), ...judge0Errors({}) },
  });
  router.get('/about', (_req, res) => {
    res.json({ version: JUDGE0_VERSION, homepage: config.publicUrl || null, source_code: null, maintainer: 'runbox (a Judge0 CE 1.13.1-compatible API over runbox)', runbox: RUNBOX_VERSION });
  });

  describeRoute(router, 'get', '/version', {
    operationId: 'judge0Version',
    summary: 'The Judge0 version whose API this is, as text (Judge0)',
    description: "Judge0's GET /version: the version of Judge0 CE whose API this is (runbox's own version is in GET /judge0/about).",
    tags: ['judge0'],
    ...judge0Security,
    responses: { 200: { description: 'The version', content: { 'text/plain': { schema: z.string() } } }, ...judge0Errors({}) },
  });
  router.get('/version', (_req, res) => {
    res.type('text/plain').send(JUDGE0_VERSION);
  });

  describeRoute(router, 'get', '/config_info', {
    operationId: 'judge0ConfigInfo',
    summary: "The configuration as it applies to the caller (Judge0)",
    description:
      "Judge0's GET /config_info, every variable of Judge0 1.13.1's: a limit left out of a submission is its maximum, and an API key's caps lower the maxima. " +
      'Options runbox does not have are off (per-process limits), accepted but not applied (stack_limit, number_of_runs above 1), or fixed.',
    tags: ['judge0'],
    ...judge0Security,
    responses: { 200: json('Judge0 1.13.1\'s configuration variables', judge0ConfigInfoSchema), ...judge0Errors({}) },
  });
  router.get('/config_info', async (_req, res) => {
    const who = caller(res);
    const max = judge0Maxima(maximaOf(who));
    const withOptions = byName([...languages.values()].filter((l) => l.canonical && l.spec.compilerOptions)).map((l) => l.name.replace(/ \(.*$/, ''));
    const callbacks = (await submissions.callbackSecrets(ownerOf(who))).length > 0;
    res.json({
      maintenance_mode: false,
      enable_wait_result: true,
      enable_compiler_options: withOptions.length > 0,
      allowed_languages_for_compile_options: withOptions,
      enable_command_line_arguments: true,
      enable_submission_delete: true,
      enable_callbacks: callbacks,
      callbacks_max_tries: config.callbackAttempts,
      callbacks_timeout: 10,
      enable_additional_files: true,
      max_queue_size: config.submissionQueueMax,
      cpu_time_limit: max.cpuTimeLimit,
      max_cpu_time_limit: max.cpuTimeLimit,
      cpu_extra_time: 0,
      max_cpu_extra_time: JUDGE0_FIXED.maxCpuExtraTime,
      wall_time_limit: max.wallTimeLimit,
      max_wall_time_limit: max.wallTimeLimit,
      memory_limit: max.memoryLimit,
      max_memory_limit: max.memoryLimit,
      stack_limit: JUDGE0_FIXED.stackLimit,
      max_stack_limit: JUDGE0_FIXED.maxStackLimit,
      max_processes_and_or_threads: max.maxProcesses,
      max_max_processes_and_or_threads: max.maxProcesses,
      enable_per_process_and_thread_time_limit: false,
      allow_enable_per_process_and_thread_time_limit: false,
      enable_per_process_and_thread_memory_limit: false,
      allow_enable_per_process_and_thread_memory_limit: false,
      max_file_size: max.maxFileSize,
      max_max_file_size: max.maxFileSize,
      number_of_runs: 1,
      max_number_of_runs: JUDGE0_FIXED.maxNumberOfRuns,
      redirect_stderr_to_stdout: false,
      max_extract_size: config.codeKb,
      enable_batched_submissions: true,
      max_submission_batch_size: config.submissionBatchMax,
      submission_cache_duration: 0,
      use_docs_as_homepage: false,
      allow_enable_network: config.allowNetwork,
      enable_network: config.allowNetwork,
    });
  });

  describeRoute(router, 'post', '/authenticate', {
    operationId: 'judge0Authenticate',
    summary: 'Check an X-Auth-Token (Judge0)',
    description: "Judge0's POST /authenticate: 200 when the key is valid (or none is sent and anonymous clients are let in), else 401.",
    tags: ['judge0'],
    ...judge0Security,
    responses: { 200: { description: 'Valid' }, ...judge0Errors({}) },
  });
  router.post('/authenticate', (_req, res) => void res.status(200).end());

  describeRoute(router, 'post', '/authorize', {
    operationId: 'judge0Authorize',
    summary: 'Check an X-Auth-User (Judge0)',
    description: "Judge0's POST /authorize: 200 when X-Auth-User (or the key sent) is the admin key (RUNBOX_ADMIN_KEY), else 403.",
    tags: ['judge0'],
    ...judge0Security,
    responses: { 200: { description: 'The admin key' }, ...judge0Errors({ 403: 'Not the admin key' }) },
  });
  router.post('/authorize', (_req, res) => {
    if (caller(res).kind !== 'admin') throw new Judge0Error(403, { error: 'not authorized: X-Auth-User must be the admin key' });
    res.status(200).end();
  });

  router.use(() => {
    throw notFound();
  });

  router.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof Judge0Error) return void res.status(err.status).set(err.headers).json(err.body);
    const parser = err as { type?: string };
    if (parser?.type === 'entity.parse.failed') return void res.status(400).json({ status: 400, error: 'Bad Request' });
    const httpError = toHttpError(err, runs);
    if (httpError.status >= 500 && httpError.status !== 503) deps.logger.error('judge0 request failed', { error: (err as Error)?.message });
    res.status(httpError.status).set(httpError.headers).json({ error: httpError.body.message ?? httpError.body.error });
  });
  return router;
}

/** A query (or body) parameter as Rails' params read it: the query's, else the body's. */
function param(req: Request, name: string): unknown {
  const query = req.query[name];
  if (query !== undefined) return Array.isArray(query) ? query[0] : query;
  return bodyOf(req)[name];
}

function bodyOf(req: Request): Record<string, unknown> {
  return typeof req.body === 'object' && req.body !== null && !Array.isArray(req.body) ? (req.body as Record<string, unknown>) : {};
}

/** Ruby's to_i of a parameter, `fallback` when absent. */
function rubyToI(raw: unknown, fallback: number): number {
  if (raw === undefined || raw === null) return fallback;
  return Number(/^\s*[+-]?\d+/.exec(String(raw))?.[0] ?? 0);
}

/** JSON or a form (as Rails reads both); any other body is no parameters. */
function parseBody(limit: number): express.RequestHandler[] {
  return [express.json({ limit, type: ['application/json', 'application/*+json'] }), express.urlencoded({ limit, extended: true, parameterLimit: 1000 })];
}

/**
 * Judge0's X-Auth-Token as a runbox API key (RapidAPI's X-RapidAPI-Key, and runbox's own
 * Authorization: Bearer and X-API-Key, name it too; all sent must agree). X-Auth-User, Judge0's
 * authorization token, must be the admin key: the caller is then the admin. Refusals are
 * Judge0's: 401 for a key that is not known (or none when one is needed), 403 for an
 * X-Auth-User that is not the admin key.
 */
async function judge0Caller(req: Request, deps: AppDeps): Promise<Caller> {
  const address = clientAddress(req, deps.config);
  const authUser = req.get('x-auth-user');
  if (authUser !== undefined) {
    const who = await identify({ 'x-api-key': authUser.trim() }, address, deps).catch(() => null);
    if (who?.kind !== 'admin') throw new Judge0Error(403, { error: 'not authorized: X-Auth-User must be the admin key' });
    return who;
  }
  const tokens = [...new Set([req.get('x-auth-token'), req.get('x-rapidapi-key')].filter((t): t is string => t !== undefined).map((t) => t.trim()))];
  if (tokens.length > 1) throw new Judge0Error(401, { error: 'X-Auth-Token and X-RapidAPI-Key name different keys: send one' });
  if (tokens[0] === '') throw new Judge0Error(401, { error: 'X-Auth-Token is empty' });
  const headers = tokens.length ? { ...(req.headers.authorization !== undefined ? { authorization: req.headers.authorization } : {}), 'x-api-key': tokens[0] } : req.headers;
  if (tokens.length && req.get('x-api-key') !== undefined && req.get('x-api-key')!.trim() !== tokens[0]) throw new Judge0Error(401, { error: 'X-Auth-Token and X-API-Key name different keys: send one' });
  try {
    return await identify(headers, address, deps);
  } catch (err) {
    if (err instanceof HttpError) throw new Judge0Error(401, { error: err.body.message ?? err.body.error }, err.headers);
    throw err;
  }
}

/* ---- OpenAPI ---- */

const judge0Security: { security: Record<string, string[]>[] } = { security: [{}, { judge0AuthToken: [] }, { judge0AuthUser: [] }, { apiKey: [] }, { apiKeyHeader: [] }] };

const booleanParam = (description: string) => z.enum(['true', 'false']).optional().meta({ description: `${description} (only "true" turns it on)` });
const fieldsParam = z.string().optional().meta({ description: 'Comma-separated attributes to answer with, or * for all; default token,time,memory,stdout,stderr,compile_output,message,status' });

/** Judge0's error answers of a route, plus the 401 every route has and the 429 nginx may answer; a meaning may bring its own schema. */
function judge0Errors(meanings: Partial<Record<400 | 403 | 404 | 415 | 422 | 429 | 503, string | { description: string; schema: z.ZodType }>>): Record<string, ZodOpenApiResponseObject> {
  const out: Record<string, ZodOpenApiResponseObject> = {};
  const all: Record<string, string | { description: string; schema: z.ZodType }> = {
    401: 'The X-Auth-Token (or other key header) is not a known API key, or none was sent where anonymous clients are not let in',
    429: "nginx's rate limit in front (runbox's Error shape), or a quota of the caller: wait Retry-After seconds",
    ...meanings,
  };
  const schemaOf = (status: number) => (status === 404 ? judge0NotFoundSchema : status === 422 ? judge0FieldErrorsSchema : status === 429 ? z.union([judge0ErrorSchema, errorSchema]) : judge0ErrorSchema);
  for (const [code, meaning] of Object.entries(all)) {
    const status = Number(code);
    const { description, schema } = typeof meaning === 'string' ? { description: meaning, schema: schemaOf(status) } : meaning;
    const headers = errorHeaders(status);
    out[code] = { description, content: { 'application/json': { schema } }, ...(headers ? { headers } : {}) };
  }
  return out;
}
