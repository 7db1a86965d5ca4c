import express, { type NextFunction, type Request, type Response } from 'express';
import type { Config } from '../config.js';
import type { Quotas } from '../keys/quotas.js';
import type { Logger } from '../log.js';
import type { OfferedLanguages } from '../languages/toolchains.js';
import type { IsolationReport } from '../protocol.js';
import { QueueFullError, RunCancelledError, ShuttingDownError, type RunService } from '../runs/run-service.js';
import type { Store } from '../store/store.js';
import type { SubmissionWorker } from '../submissions/submission-worker.js';
import { authenticate } from './api-keys.js';
import { metricsEndpoint } from '../observability/metrics-endpoint.js';
import { refused, type RefusalReason } from '../observability/metrics.js';
import { countRequests } from '../observability/http-metrics.js';
import { HttpError } from './errors.js';
import { apiDocsRoutes, apiIndexRoute } from './openapi/docs-routes.js';
import { describeMetrics, liveMessageSchemas } from './openapi/app-docs.js';
import { executeRoutes } from './execute-routes.js';
import { formatRoutes } from './format-routes.js';
import { historyRoutes } from './history-routes.js';
import { keyRoutes } from './key-routes.js';
import { streamRoutes } from './live.js';
import { judge0Routes, JUDGE0_PREFIX } from './judge0/routes.js';
import { pistonRoutes } from './piston/routes.js';
import { problemPackageRoutes } from './problem-package-routes.js';
import { problemRoutes } from './problem-routes.js';
import { snippetRoutes } from './snippet-routes.js';
import { submissionRoutes } from './submission-routes.js';

export interface AppDeps {
  config: Config;
  runs: RunService;
  store: Store;
  languages: OfferedLanguages;
  isolation: IsolationReport;
  logger: Logger;
  /** the asynchronous submissions' queue worker on this server */
  submissions: SubmissionWorker;
  quotas: Quotas;
}

export function createApp(deps: AppDeps): express.Express {
  const { config, runs } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.use(countRequests(app));
  // a playground deployed on another origin may call the API when it is listed
  const corsOrigins = new Set(config.corsOrigins);
  app.use((req, res, next) => {
    const origin = req.get('origin');
    if (origin && (corsOrigins.has(origin) || corsOrigins.has('*'))) {
      res.set({ 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': 'Retry-After, X-Runbox-Instance, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, RateLimit-Policy', Vary: 'Origin' });
      if (req.method === 'OPTIONS') {
        res.set({ 'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE, OPTIONS', 'Access-Control-Allow-Headers': 'Content-Type, Authorization, X-API-Key, X-Runbox-Visitor, X-Auth-Token, X-Auth-User', 'Access-Control-Max-Age': '600' });
        return void res.status(204).end();
      }
    }
    next();
  });
  // which replica answered: for operators looking at a load-balanced deployment
  app.use((_req, res, next) => {
    res.set('X-Runbox-Instance', config.instance || 'main');
    next();
  });
  app.set('trust proxy', config.trustProxy);

  const requireJson: express.RequestHandler = (req, _res, next) => {
    if (!req.is('application/json')) {
      return next(new HttpError(415, { error: 'Unsupported media type', message: 'send the body as application/json' }));
    }
    next();
  };

  // the docs page's way back: the playground's address, else / (the playground, where the docs are reached through it)
  const languageNames = deps.languages.info.map((l) => l.name);
  // the contract and its docs page are public, whoever calls
  app.use('/api', apiDocsRoutes(app, () => ({ schemas: liveMessageSchemas(config), anonymous: config.anonymous, languages: languageNames }), config.publicUrl ? `${config.publicUrl}/` : '/'));
  // who calls (an API key, the admin, or an anonymous client) for every route; 401 here
  app.use('/api', authenticate(deps));
  // Piston v2's API, for the tools written for Piston (its own errors: { message })
  app.use('/api/v2', pistonRoutes(deps));
  app.use('/api', executeRoutes(deps, requireJson), streamRoutes(deps, requireJson), snippetRoutes(deps, requireJson), historyRoutes(deps), problemRoutes(deps, requireJson), problemPackageRoutes(deps), keyRoutes(deps, requireJson));
  app.use('/api', submissionRoutes(deps, requireJson));
  app.use('/api', formatRoutes(deps, requireJson));
  // Judge0 CE's API, for apps written for Judge0 (its own callers: X-Auth-Token; its own errors)
  app.use(JUDGE0_PREFIX, judge0Routes(deps));
  // not under /api: the public nginx server passes only /api/ (and the playground) on
  describeMetrics(app);
  app.get('/metrics', metricsEndpoint({ networks: config.metricsNetworks, token: config.metricsToken }));
  // the API server's own address: an index of the above, not Express's "Cannot GET /"
  apiIndexRoute(app, { languages: languageNames, playground: config.publicUrl ? `${config.publicUrl}/` : null });
  app.use('/api', (_req, _res, next) => next(new HttpError(404, { error: 'Not found' })));

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const httpError = toHttpError(err, runs);
    const refusal = refusalReason(err);
    if (refusal) refused(refusal);
    if (httpError.status >= 500 && httpError.status !== 503) deps.logger.error('request failed', { error: (err as Error)?.message });
    res.status(httpError.status).set(httpError.headers).json(httpError.body);
  });
  return app;
}

/** Runs turned away before any work, as runbox_requests_refused_total counts them (429s are counted as they are sent, however they are made). */
function refusalReason(err: unknown): RefusalReason | null {
  if (err instanceof QueueFullError) return 'queue_full';
  if (err instanceof ShuttingDownError) return 'shutting_down';
  return null;
}

interface BodyParserError {
  type?: string;
  status?: number;
}

/** Any error a route throws as the HTTP answer it deserves. */
export function toHttpError(err: unknown, runs: RunService): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof QueueFullError) {
    const retry = String(runs.retryAfterSeconds());
    return new HttpError(503, { error: 'Server busy', message: 'too many runs are waiting; try again shortly' }, { 'Retry-After': retry });
  }
  if (err instanceof RunCancelledError) {
    // the client went away: nobody reads this answer
    return new HttpError(499, { error: 'Client closed request' });
  }
  if (err instanceof ShuttingDownError) {
    return new HttpError(503, { error: 'Shutting down', message: 'the server is restarting; try again shortly' }, { 'Retry-After': '5' });
  }
  const parserError = err as BodyParserError;
  switch (parserError?.type) {
    case 'entity.too.large':
      return new HttpError(413, { error: 'Payload too large', message: 'the request body is too large' });
    case 'entity.parse.failed':
      return new HttpError(400, { error: 'Invalid JSON', message: 'the body is not valid JSON' });
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new HttpError(415, { error: 'Unsupported media type', message: 'send UTF-8 JSON' });
  }
  if (parserError?.status && parserError.status >= 400 && parserError.status < 500) {
    return new HttpError(parserError.status, { error: 'Bad request' });
  }
  return new HttpError(500, { error: 'Internal error' });
}
