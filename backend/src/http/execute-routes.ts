import express from 'express';
import { executeRequestSchema, type ExecuteResponse, type HealthResponse } from '../protocol.js';
import { admitRun } from './api-keys.js';
import type { AppDeps } from './app.js';
import { keepSubmission } from './history-routes.js';
import { bodyLimitBytes, checkSizes, limitMaxima, parseBody, programOf, resolveLanguage, runRequest } from './validate.js';
import { visitorKey } from './visitor.js';

/** Running code: health, languages, execute. */
export function executeRoutes(deps: AppDeps, requireJson: express.RequestHandler): express.Router {
  const { config, runs } = deps;
  const router = express.Router();
  const maxima = limitMaxima(config);
  const schema = executeRequestSchema(maxima);

  router.get('/health', (_req, res) => {
    const body: HealthResponse = { status: runs.isShuttingDown ? 'shutting_down' : 'up', instance: config.instance || 'main', runs: runs.stats, isolation: deps.isolation };
    res.status(runs.isShuttingDown ? 503 : 200).json(body);
  });

  router.get('/languages', (_req, res) => {
    res.json(deps.languages.info);
  });

  router.post('/execute', requireJson, express.json({ limit: bodyLimitBytes(config) }), async (req, res) => {
    const key = visitorKey(req);
    const body = parseBody(schema, req.body);
    const language = resolveLanguage(deps.languages, body.language);
    const program = programOf(config, language, body);
    checkSizes(config, body);
    const admitted = await admitRun(deps, req, res, { maxima, requested: body.limits });
    const run = runRequest(body, language, program, body.stdin ?? '', admitted.maxima);
    let result: ExecuteResponse | undefined;
    try {
      result = await runs.execute(run);
    } finally {
      // before the answer: a client that runs one at a time finds its slot free again
      await admitted.finish(result);
    }
    if (key) {
      result.submissionId = await keepSubmission(deps, {
        visitorKey: key,
        kind: 'run',
        problem: null,
        language: language.id,
        code: program.entry.content,
        files: body.files ?? null,
        stdin: body.stdin ?? '',
        args: [...run.args],
        result,
      });
    }
    res.json(result);
  });
  return router;
}
