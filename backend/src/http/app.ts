import express, { type NextFunction, type Request, type Response } from 'express';
import type { Config } from '../config.js';
import { findLanguage, LANGUAGES } from '../languages/registry.js';
import type { Logger } from '../log.js';
import { executeRequestSchema, type ExecuteRequest, type HealthResponse, type IsolationReport, type LanguageInfo } from '../protocol.js';
import type { RunRequest } from '../runs/run.js';
import { QueueFullError, ShuttingDownError, type RunService } from '../runs/run-service.js';
import { badField, HttpError } from './errors.js';

export interface AppDeps {
  config: Config;
  runs: RunService;
  languages: LanguageInfo[];
  isolation: IsolationReport;
  logger: Logger;
}

/** JSON bodies may carry code and stdin at their caps, plus escaping overhead and the rest. */
function bodyLimitBytes(config: Config): number {
  return (config.codeKb + config.stdinKb) * 1024 * 2 + 64 * 1024;
}

export function createApp(deps: AppDeps): express.Express {
  const { config, runs } = deps;
  const app = express();
  app.disable('x-powered-by');
  // a playground deployed on another origin may call the API when it is listed
  const corsOrigins = new Set(config.corsOrigins);
  app.use((req, res, next) => {
    const origin = req.get('origin');
    if (origin && (corsOrigins.has(origin) || corsOrigins.has('*'))) {
      res.set({ 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': 'Retry-After, X-Runbox-Instance', Vary: 'Origin' });
      if (req.method === 'OPTIONS') {
        res.set({ 'Access-Control-Allow-Methods': 'GET, POST, OPTIONS', 'Access-Control-Allow-Headers': 'Content-Type', 'Access-Control-Max-Age': '600' });
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
  app.set('trust proxy', 'loopback');

  const schema = executeRequestSchema({
    timeMs: config.runTimeMs,
    cpuTimeMs: config.runCpuMs,
    memoryMb: config.runMemoryMb,
    processes: config.runProcesses,
    outputKb: config.outputKb,
  });

  const requireJson = (req: Request, _res: Response, next: NextFunction) => {
    if (!req.is('application/json')) {
      return next(new HttpError(415, { error: 'Unsupported media type', message: 'send the body as application/json' }));
    }
    next();
  };

  app.get('/api/health', (_req, res) => {
    const body: HealthResponse = { status: runs.isShuttingDown ? 'shutting_down' : 'up', instance: config.instance || 'main', runs: runs.stats, isolation: deps.isolation };
    res.status(runs.isShuttingDown ? 503 : 200).json(body);
  });

  app.get('/api/languages', (_req, res) => {
    res.json(deps.languages);
  });

  app.post('/api/execute', requireJson, express.json({ limit: bodyLimitBytes(config) }), async (req, res, next) => {
    try {
      const body = parseExecute(schema, req.body, config);
      const result = await runs.execute(body);
      res.json(result);
    } catch (err) {
      next(err);
    }
  });

  app.use('/api', (_req, _res, next) => next(new HttpError(404, { error: 'Not found' })));

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const httpError = toHttpError(err, runs);
    if (httpError.status >= 500 && httpError.status !== 503) deps.logger.error('request failed', { error: (err as Error)?.message });
    res.status(httpError.status).set(httpError.headers).json(httpError.body);
  });
  return app;
}

function parseExecute(schema: ReturnType<typeof executeRequestSchema>, raw: unknown, config: Config): RunRequest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new HttpError(400, { error: 'Invalid request', message: 'the body must be a JSON object' });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const field = [...issue.path, ...keys.slice(0, 1)].join('.') || '(body)';
    const message = issue.code === 'unrecognized_keys' ? 'is not a known field' : issue.message;
    throw badField(field, message);
  }
  const body: ExecuteRequest = parsed.data;
  const language = findLanguage(body.language);
  if (!language) {
    throw new HttpError(400, {
      error: 'Unsupported language',
      field: 'language',
      message: `language "${body.language.slice(0, 64)}" is not supported`,
      supported: LANGUAGES.map((l) => l.id),
    });
  }
  if (Buffer.byteLength(body.code) > config.codeKb * 1024) throw badField('code', `must be at most ${config.codeKb} KiB`, 413);
  const stdin = body.stdin ?? '';
  if (Buffer.byteLength(stdin) > config.stdinKb * 1024) throw badField('stdin', `must be at most ${config.stdinKb} KiB`, 413);
  const l = body.limits ?? {};
  return {
    language,
    code: body.code,
    stdin,
    args: body.args ?? [],
    limits: {
      timeMs: l.timeMs ?? config.runTimeMs,
      cpuTimeMs: l.cpuTimeMs ?? config.runCpuMs,
      memoryMb: l.memoryMb ?? config.runMemoryMb,
      processes: l.processes ?? config.runProcesses,
      outputKb: l.outputKb ?? config.outputKb,
    },
  };
}

interface BodyParserError {
  type?: string;
  status?: number;
}

function toHttpError(err: unknown, runs: RunService): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof QueueFullError) {
    const retry = String(runs.retryAfterSeconds());
    return new HttpError(503, { error: 'Server busy', message: 'too many runs are waiting; try again shortly' }, { 'Retry-After': retry });
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
