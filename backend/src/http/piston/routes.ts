import express, { type NextFunction, type Request, type Response } from 'express';
import type { ExecuteResponse } from '../../protocol.js';
import { admitRun } from '../api-keys.js';
import type { AppDeps } from '../app.js';
import { toHttpError } from '../app.js';
import { bodyLimitBytes, limitMaxima } from '../validate.js';
import { z } from 'zod';
import type { ZodOpenApiResponseObject } from 'zod-openapi';
import { describeRoute, errorHeaders, errors, jsonBody, quotaHeaders, json } from '../openapi/registry.js';
import { errorSchema, pistonErrorSchema, pistonExecuteResponseSchema, pistonRuntimeSchema } from '../openapi/schemas.js';
import { parsePistonRequest, PISTON_CONNECT_PATH, pistonExecuteSchema, PistonError } from './protocol.js';
import { pistonJob, pistonStdin, type PistonJob } from './request.js';
import { pistonResult } from './result.js';
import { pistonRuntimes, runtimeListing } from './runtimes.js';

/**
 * Piston v2's HTTP API under /api/v2: GET /runtimes and POST /execute, answered as Piston
 * answers (errors included: `{ message }`), so tools written for Piston need only runbox's
 * base URL. Runs go through the same queue and limits as /api/execute.
 */
export function pistonRoutes(deps: AppDeps): express.Router {
  const { config, runs } = deps;
  const router = express.Router();
  const runtimes = pistonRuntimes(deps.languages);
  const maxima = limitMaxima(config);

  describeRoute(router, 'get', '/runtimes', {
    operationId: 'pistonRuntimes',
    summary: "The languages, as Piston lists them (Piston's names and aliases, the toolchains' versions)",
    description: "Piston's GET /api/v2/runtimes: each language under Piston's name, with its aliases, the installed toolchain's version and, where Piston names one, the runtime package.",
    tags: ['piston'],
    responses: { 200: json('Every runtime', z.array(pistonRuntimeSchema)) },
  });
  router.get('/runtimes', (_req, res) => {
    res.json(runtimeListing(runtimes));
  });

  describeRoute(router, 'post', '/execute', {
    operationId: 'pistonExecute',
    summary: "Run a program, Piston's way",
    description:
      "Piston v2's request and answer: the runtime is picked by language name or alias and a semver range; the first utf8 file is the entry (files may be base64 or hex, unnamed ones are file<i>.code), " +
      "limits are Piston's fields in ms and bytes (-1: the server's maximum). Runs go through runbox's queue, quotas and limits. Errors are Piston's `{ message }`.",
    tags: ['piston'],
    requestBody: jsonBody(pistonExecuteSchema, {
      description: 'application/json (text/plain and no type are read as JSON too, unless a browser page of another origin sent them)',
      example: { language: 'python', version: '3.x', files: [{ content: 'print(input()[::-1])' }], stdin: 'piston' },
    }),
    responses: {
      200: json("The run's stages: compile (compiled languages) and run", pistonExecuteResponseSchema, quotaHeaders),
      400: pistonError(400, "A field is invalid, or no runtime matches language and version: Piston's message names it (runbox's Error for a malformed X-API-Key header)", true),
      413: pistonError(413, 'The body is over its cap'),
      415: pistonError(415, 'Not JSON (a browser page may only send application/json)'),
      429: pistonError(429, "A quota of the API key (or of anonymous clients) is used up, in Piston's shape with Retry-After and RateLimit-* (runbox's Error when nginx's rate limit in front answers)", true),
      503: pistonError(503, 'Busy (the run queue is full) or shutting down: wait `Retry-After` seconds'),
    },
  });
  router.post('/execute', pistonJsonOnly(new Set(config.corsOrigins)), express.json({ limit: bodyLimitBytes(config), type: () => true }), async (req, res) => {
    const body = parsePistonRequest(req.body);
    const stdin = pistonStdin(body.stdin);
    pistonJob(body, runtimes, config, maxima, stdin); // checked first: a bad request costs no quota
    const admitted = await admitRun(deps, req, res, { maxima });
    // under the caller's caps: a limit asked above a key's cap is refused as one above the server's
    let result: ExecuteResponse | undefined;
    let job: PistonJob | undefined;
    try {
      job = pistonJob(body, runtimes, config, admitted.maxima, stdin);
      result = await runs.execute(job.run);
    } finally {
      // before the answer: a client that runs one at a time finds its slot free again
      await admitted.finish(result);
    }
    res.json(pistonResult(job.runtime, result, config.outputKb));
  });

  describeRoute(router, 'get', '/connect', {
    operationId: 'pistonConnect',
    summary: "Piston's interactive run (WebSocket)",
    description:
      'Upgrade to a WebSocket. The client sends PistonClientMessage: init first (the fields of /api/v2/execute), then data (stdin) and signal; the server ' +
      'sends PistonServerMessage: runtime, then per stage (compile, run) stage, data as output comes, exit; error before a 4002 close. It closes 4999 after the last stage, ' +
      "or with Piston's codes for a broken protocol (4000 a second init, 4001 no init in time, 4003 a message before init, 4004 data not for stdin, 4005 an unknown signal). " +
      "The same live slots, origin check, quotas and limits as /api/live; refusals before the upgrade are runbox's Error. Without an upgrade this answers 426.",
    tags: ['piston'],
    requestParams: { header: z.object({ Upgrade: z.literal('websocket'), Connection: z.string().meta({ description: 'Upgrade' }) }) },
    responses: {
      101: { description: 'Switching Protocols: the connection is now one job', headers: quotaHeaders },
      ...errors(403, 503),
      426: pistonError(426, 'Asked without an upgrade'),
    },
    'x-websocket': {
      clientMessages: { $ref: '#/components/schemas/PistonClientMessage' },
      serverMessages: { $ref: '#/components/schemas/PistonServerMessage' },
      example: [{ type: 'init', language: 'python', version: '3.x', files: [{ content: 'print("Hello, " + input() + "!")' }] }, { type: 'data', stream: 'stdin', data: 'world\n' }],
    },
  });
  router.get('/connect', () => {
    throw new PistonError(`${PISTON_CONNECT_PATH} is a WebSocket: connect with ws:// or wss://`, 426, { Upgrade: 'websocket' });
  });

  router.use(() => {
    throw new PistonError('Not Found', 404);
  });

  router.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof PistonError) return void res.status(err.status).set(err.headers).json({ message: err.message });
    const httpError = toHttpError(err, runs);
    if (httpError.status >= 500 && httpError.status !== 503) deps.logger.error('piston request failed', { error: (err as Error)?.message });
    res.status(httpError.status).set(httpError.headers).json({ message: httpError.body.message ?? httpError.body.error });
  });
  return router;
}

/**
 * An error answer of Piston's routes: Piston's `{ message }`; `orOurs` where runbox's own
 * Error may answer with the same status instead (the API-key check, nginx's rate limit).
 */
function pistonError(status: number, description: string, orOurs = false): ZodOpenApiResponseObject {
  const headers = errorHeaders(status);
  return { description, content: { 'application/json': { schema: orOurs ? z.union([pistonErrorSchema, errorSchema]) : pistonErrorSchema } }, ...(headers ? { headers } : {}) };
}

/**
 * Piston asks for application/json, but Piston's own client library (piston-client, through
 * node-fetch) posts its JSON as text/plain. Such a body is read as JSON when it does not
 * come from a browser page (no Origin, or an allowed one): a page of another site may send
 * text/plain without a CORS preflight, and must not start runs that way.
 */
function pistonJsonOnly(allowedOrigins: ReadonlySet<string>): express.RequestHandler {
  return (req, _res, next) => {
    if (req.is('application/json')) return next();
    const origin = req.get('origin');
    const fromServerCode = origin === undefined || allowedOrigins.has(origin) || allowedOrigins.has('*');
    if (fromServerCode && (!req.get('content-type') || req.is('text/plain'))) return next();
    next(new PistonError('requests must be of type application/json', 415));
  };
}
