import express from 'express';
import { z } from 'zod';
import { encodingField, executeRequestSchema, type ExecuteResponse, type HealthResponse } from '../protocol.js';
import { admitRun } from './api-keys.js';
import type { AppDeps } from './app.js';
import { keepSubmission } from './history-routes.js';
import { asText, decodeContent } from './content-encoding.js';
import { base64Result, OutputBytes } from '../runs/output-bytes.js';
import { bodyLimitBytes, checkSizes, limitMaxima, parseBody, programOf, resolveLanguage, runRequest } from './validate.js';
import { visitorKey } from './visitor.js';
import { describeRoute, errors, json, jsonBody, quotaHeaders } from './openapi/registry.js';
import { executeResult, healthSchema, languageSchema, visitorHeader } from './openapi/schemas.js';

/** What Swagger UI's "Try it out" on POST /api/execute starts from: a run that works as it is. */
export const EXECUTE_EXAMPLE = { language: 'python', code: 'print("Hello, world!")' };

/** Running code: health, languages, execute. */
export function executeRoutes(deps: AppDeps, requireJson: express.RequestHandler): express.Router {
  const { config, runs } = deps;
  const router = express.Router();
  const maxima = limitMaxima(config);
  const schema = executeRequestSchema(maxima).extend({ encoding: encodingField() });

  describeRoute(router, 'get', '/health', {
    operationId: 'getHealth',
    summary: 'Health, load and the isolation really in force',
    description:
      'Whether the server takes runs (503 with the same body while it shuts down), its run slots, queue, live runs and pool of fresh users, ' +
      'and every isolation layer as a jail probed at start found it. Open to everyone (load balancers carry no key).',
    tags: ['operations'],
    // open to load balancers and HEALTHCHECKs, which carry no key
    security: [],
    responses: { 200: json('Up', healthSchema), 503: json('Shutting down (same body, status shutting_down)', healthSchema) },
  });
  router.get('/health', (_req, res) => {
    const body: HealthResponse = { status: runs.isShuttingDown ? 'shutting_down' : 'up', instance: config.instance || 'main', runs: runs.stats, isolation: deps.isolation };
    res.status(runs.isShuttingDown ? 503 : 200).json(body);
  });

  describeRoute(router, 'get', '/languages', {
    operationId: 'listLanguages',
    summary: 'Languages and toolchain versions',
    description: "The languages this server offers (their toolchains were found at start), each with its aliases, the toolchain's real version, its installed packages, the playground's template and its examples.",
    tags: ['runs'],
    responses: { 200: json('Every language', z.array(languageSchema)) },
  });
  router.get('/languages', (_req, res) => {
    res.json(deps.languages.info);
  });

  describeRoute(router, 'post', '/execute', {
    operationId: 'execute',
    summary: 'Run a program and answer with its result',
    description:
      'Runs `code` (or `files`, a program of several) in a fresh jail and answers once it has ended, whatever it did: `status` says how it ended. ' +
      "Limits may only lower the server's maxima (and an API key's caps). With X-Runbox-Visitor the run is kept in that visitor's history. " +
      'With `encoding: "base64"` the content fields are base64 both ways: binary input, and output exactly as the program wrote it.',
    tags: ['runs'],
    requestParams: { header: visitorHeader },
    requestBody: jsonBody(schema, { example: EXECUTE_EXAMPLE }),
    responses: { 200: json("The run's result, whatever the program did (status says)", executeResult, quotaHeaders), ...errors(400, 403, 413, 415, 503) },
  });
  router.post('/execute', requireJson, express.json({ limit: bodyLimitBytes(config) }), async (req, res) => {
    const key = visitorKey(req);
    const body = parseBody(schema, req.body);
    const content = decodeContent(body);
    const language = resolveLanguage(deps.languages, body.language);
    const program = programOf(config, language, content);
    checkSizes(config, content);
    const admitted = await admitRun(deps, req, res, { maxima, requested: body.limits });
    const run = runRequest(body, language, program, content.stdin ?? '', admitted.maxima);
    // base64 answers carry the bytes the program wrote, not the text they decode to
    const output = body.encoding === 'base64' ? new OutputBytes() : null;
    let result: ExecuteResponse | undefined;
    try {
      result = await runs.execute(run, output ? { onOutputBytes: output.push } : {});
    } finally {
      // before the answer: a client that runs one at a time finds its slot free again
      await admitted.finish(result);
    }
    if (output) result = base64Result(result, output.streams);
    if (key) {
      result.submissionId = await keepSubmission(deps, {
        visitorKey: key,
        kind: 'run',
        problem: null,
        language: language.id,
        code: program.entry.content,
        // the history keeps text: bytes given as base64 are kept as the text they decode to
        files: content.files?.map((f) => ({ ...f, content: asText(f.content) })) ?? null,
        stdin: asText(content.stdin ?? ''),
        args: [...run.args],
        result,
      }, admitted.caller);
    }
    res.json(result);
  });
  return router;
}
