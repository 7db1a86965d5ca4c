import express from 'express';
import { z } from 'zod';
import { judgeSubmission } from '../judge/judge.js';
import { packageView } from '../problems/package-view.js';
import { judgeRequestSchema, problemSchema, SLUG, type ProblemResponse } from '../protocol.js';
import type { NewSubmission, Problem } from '../store/store.js';
import type { AppDeps } from './app.js';
import { isAdmin, requireAdmin } from './admin.js';
import { admitRun } from './api-keys.js';
import { badField, HttpError } from './errors.js';
import { bodyLimitBytes, checkSizes, parseBody, programOf, resolveLanguage } from './validate.js';
import { keepSubmission } from './history-routes.js';
import { visitorKey } from './visitor.js';
import { describeRoute, errors, json, jsonBody, noContent, quotaHeaders } from './openapi/registry.js';
import { judgeResultSchema, problemListSchema, problemSchemaOut, visitorHeader } from './openapi/schemas.js';

/** Problems with many tests are large; only an admin's body is read at this size. */
const PROBLEM_BODY_LIMIT = '32mb';

/** A problem as the admin writes one: the examples of POST /api/problems and PUT /api/problems/{slug}. */
const PROBLEM_EXAMPLE = {
  slug: 'hello-name',
  title: 'Hello, name',
  statement: 'Read a name and greet it: `Hello, <name>!`',
  timeLimitMs: 1000,
  memoryLimitMb: 128,
  tests: [
    { input: 'world\n', expected: 'Hello, world!\n' },
    { input: 'runbox\n', expected: 'Hello, runbox!\n', hidden: true },
  ],
};

/** Judge problems: anyone lists and submits; the admin key creates, replaces and deletes. */
export function problemRoutes(deps: AppDeps, requireJson: express.RequestHandler): express.Router {
  const { config, store, runs, logger } = deps;
  const router = express.Router();
  const schema = problemSchema({ timeMs: config.runTimeMs, memoryMb: config.runMemoryMb }, { inputKb: config.stdinKb, expectedKb: config.outputKb });
  const admin: express.RequestHandler = (req, _res, next) => {
    requireAdmin(req, config.adminKey);
    next();
  };
  const problemBody = [admin, requireJson, express.json({ limit: PROBLEM_BODY_LIMIT })];
  const findProblem = async (slug: string): Promise<Problem> => {
    const problem = SLUG.test(slug) ? await store.getProblem(slug) : null;
    if (!problem) throw new HttpError(404, { error: 'Not found', message: 'no problem has this slug' });
    return problem;
  };

  describeRoute(router, 'get', '/problems', {
    operationId: 'listProblems',
    summary: 'Judge problems',
    description: 'Every problem with its limits and how many sample and hidden tests it has.',
    tags: ['judge'],
    responses: { 200: json('Every problem', problemListSchema) },
  });
  router.get('/problems', async (_req, res) => {
    res.json({ problems: await store.listProblems() });
  });

  describeRoute(router, 'get', '/problems/:slug', {
    operationId: 'getProblem',
    summary: 'A problem: statement, limits and sample tests (every test with the admin key)',
    description: 'The statement (Markdown), time and memory limits and the sample tests; hidden tests are sent to the admin key only.',
    tags: ['judge'],
    security: [{}, { admin: [] }, { apiKey: [] }, { apiKeyHeader: [] }],
    responses: { 200: json('The problem', problemSchemaOut), ...errors(400, 401, 404) },
  });
  router.get('/problems/:slug', async (req, res) => {
    const { tests, package: pkg, ...problem } = await findProblem(req.params.slug);
    const body: ProblemResponse = {
      ...problem,
      ...(pkg ? { package: packageView(pkg) } : {}),
      samples: tests.filter((t) => !t.hidden).map(({ input, expected }) => ({ input, expected })),
    };
    // hidden tests go to the admin only, and are never cached on the way
    if (isAdmin(req, config.adminKey)) body.tests = tests.map(({ input, expected, hidden }) => ({ input, expected, hidden }));
    res.set('Cache-Control', 'no-store').json(body);
  });

  describeRoute(router, 'post', '/problems', {
    operationId: 'createProblem',
    summary: 'Create a problem (admin)',
    description: "A new problem with its tests (at most 100; hidden ones are never shown but to the admin). Limits may not exceed the server's. 409 when the slug is taken: PUT replaces.",
    tags: ['judge'],
    security: [{ admin: [] }],
    requestBody: jsonBody(schema, { example: PROBLEM_EXAMPLE }),
    responses: { 201: json('Created', z.object({ slug: z.string() }), { Location: { description: 'The problem in the API', schema: { type: 'string' } } }), ...errors(400, 401, 403, 409, 413, 415) },
  });
  router.post('/problems', ...problemBody, async (req, res) => {
    const problem = parseBody(schema, req.body);
    if (!(await store.createProblem(problem))) throw new HttpError(409, { error: 'Conflict', field: 'slug', message: `a problem "${problem.slug}" exists already; PUT /api/problems/${problem.slug} replaces it` });
    res.status(201).location(`/api/problems/${problem.slug}`).json({ slug: problem.slug });
  });

  describeRoute(router, 'put', '/problems/:slug', {
    operationId: 'putProblem',
    summary: 'Create or replace a problem, tests included (admin)',
    description: 'The problem at this slug becomes the one given, its tests replaced at once (atomically): 201 when it is new, 200 when it replaced one.',
    tags: ['judge'],
    security: [{ admin: [] }],
    requestBody: jsonBody(schema, { description: 'The problem; slug may be left out (it is the path)', example: PROBLEM_EXAMPLE }),
    responses: {
      200: json('Replaced', z.object({ slug: z.string(), outcome: z.literal('replaced') })),
      201: json('Created', z.object({ slug: z.string(), outcome: z.literal('created') })),
      ...errors(400, 401, 403, 413, 415),
    },
  });
  router.put('/problems/:slug', ...problemBody, async (req, res) => {
    const slug = String(req.params.slug);
    // the slug may be left out of the body; one given must be the path's
    const raw: unknown = req.body;
    const problem = parseBody(schema, raw && typeof raw === 'object' && !Array.isArray(raw) ? { slug, ...raw } : raw);
    if (problem.slug !== slug) throw badField('slug', 'must match the slug in the path');
    const outcome = await store.putProblem(problem);
    res.status(outcome === 'created' ? 201 : 200).json({ slug: problem.slug, outcome });
  });

  describeRoute(router, 'delete', '/problems/:slug', {
    operationId: 'deleteProblem',
    summary: 'Delete a problem (admin)',
    description: 'The problem and its tests are deleted; judge submissions already kept in histories stay.',
    tags: ['judge'],
    security: [{ admin: [] }],
    responses: { 204: noContent('Deleted'), ...errors(401, 403, 404) },
  });
  router.delete('/problems/:slug', admin, async (req, res) => {
    const slug = String(req.params.slug);
    if (!SLUG.test(slug) || !(await store.deleteProblem(slug))) throw new HttpError(404, { error: 'Not found', message: 'no problem has this slug' });
    res.status(204).end();
  });

  describeRoute(router, 'post', '/problems/:slug/submissions', {
    operationId: 'judgeSubmission',
    summary: 'Judge code against every test of a problem',
    description:
      "Compiles once, then runs every test in a fresh jail under the problem's limits, one after the other, and answers with the verdict and each test's. " +
      'Output is compared as Judge0 compares it: trailing whitespace of lines and of the end ignored.',
    tags: ['judge'],
    requestParams: { header: visitorHeader },
    requestBody: jsonBody(judgeRequestSchema, { example: { language: 'python', code: 'a, b = map(int, input().split())\nprint(a + b)' } }),
    responses: { 200: json('The verdict and every test', judgeResultSchema, quotaHeaders), ...errors(400, 404, 413, 415, 503) },
  });
  router.post('/problems/:slug/submissions', requireJson, express.json({ limit: bodyLimitBytes(config) }), async (req, res) => {
    const body = parseBody(judgeRequestSchema, req.body);
    const key = visitorKey(req);
    const problem = await findProblem(String(req.params.slug));
    const language = resolveLanguage(deps.languages, body.language);
    const program = programOf(config, language, body);
    checkSizes(config, body);
    // a client that hangs up stops its judging: the test running is killed, no more start
    const clientGone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) clientGone.abort();
    });
    // one submission is one run of its caller's quotas; the problem, not the request, sets its limits
    const admitted = await admitRun(deps, req, res);
    let cpuTimeMs = 0;
    let result;
    try {
      result = await judgeSubmission(problem, language, program, { runs, config, logger, languages: deps.languages, signal: clientGone.signal, onTestRun: (run) => (cpuTimeMs += run.cpuTimeMs ?? 0) });
    } finally {
      await admitted.finish(result ? { cpuTimeMs } : null);
    }
    if (key) {
      const kept: Omit<NewSubmission, 'owner'> = { visitorKey: key, kind: 'judge', problem: problem.slug, language: language.id, code: program.entry.content, files: body.files ?? null, stdin: '', args: [], result };
      result.submissionId = await keepSubmission(deps, kept, admitted.caller);
    }
    res.json(result);
  });
  return router;
}
