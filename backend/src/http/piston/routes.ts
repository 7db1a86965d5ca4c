import express, { type NextFunction, type Request, type Response } from 'express';
import type { ExecuteResponse } from '../../protocol.js';
import { admitRun } from '../api-keys.js';
import type { AppDeps } from '../app.js';
import { toHttpError } from '../app.js';
import { bodyLimitBytes, limitMaxima } from '../validate.js';
import { parsePistonRequest, PISTON_CONNECT_PATH, PistonError } from './protocol.js';
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

  router.get('/runtimes', (_req, res) => {
    res.json(runtimeListing(runtimes));
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
