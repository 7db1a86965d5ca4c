import express from 'express';
import { z } from 'zod';
import { ID_PATTERN } from '../store/ids.js';
import type { NewSubmission } from '../store/store.js';
import type { Caller } from '../keys/quotas.js';
import { callerOf, ownerOf } from './api-keys.js';
import type { AppDeps } from './app.js';
import { HttpError } from './errors.js';
import { parseBody } from './validate.js';
import { describeRoute, errors, json, noContent } from './openapi/registry.js';
import { historyItemSchema, historyListSchema, requiredVisitorHeader } from './openapi/schemas.js';
import { requireVisitorKey } from './visitor.js';

/**
 * A visitor's own submissions, named by the key only their browser knows; under an API key,
 * only what ran under that key (a visitor key another tenant learns shows it nothing).
 */
export function historyRoutes(deps: AppDeps): express.Router {
  const { config, store } = deps;
  const ownerOfRequest = async (req: express.Request, res: express.Response) => ownerOf(await callerOf(req, res, deps));
  const router = express.Router();
  const query = z.strictObject({
    limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(config.historyMax, `must be at most ${config.historyMax}`).optional(),
  });
  const notFound = () => new HttpError(404, { error: 'Not found', message: 'no submission of yours has this id' });

  describeRoute(router, 'get', '/history', {
    operationId: 'listHistory',
    summary: "The visitor's submissions, newest first",
    description: 'Runs and judge submissions made with this X-Runbox-Visitor key (under the same API key, or none), without their code: GET /api/history/{id} has it.',
    tags: ['history'],
    requestParams: { header: requiredVisitorHeader, query },
    responses: { 200: json('Entries', historyListSchema), ...errors(400) },
  });
  router.get('/history', async (req, res) => {
    const key = requireVisitorKey(req);
    const { limit } = parseBody(query, { ...req.query });
    res.set('Cache-Control', 'no-store').json({ entries: await store.listSubmissions(key, await ownerOfRequest(req, res), limit ?? config.historyMax) });
  });

  describeRoute(router, 'get', '/history/:id', {
    operationId: 'getHistoryEntry',
    summary: 'One submission with its code, input and result',
    description: "An entry of this visitor's history, whole. Another visitor's id is a 404.",
    tags: ['history'],
    requestParams: { header: requiredVisitorHeader },
    responses: { 200: json('The submission', historyItemSchema), ...errors(400, 404) },
  });
  router.get('/history/:id', async (req, res) => {
    const key = requireVisitorKey(req);
    const item = ID_PATTERN.test(req.params.id) ? await store.getSubmission(key, await ownerOfRequest(req, res), req.params.id) : null;
    if (!item) throw notFound();
    res.set('Cache-Control', 'no-store').json(item);
  });

  describeRoute(router, 'delete', '/history/:id', {
    operationId: 'deleteHistoryEntry',
    summary: 'Delete one submission',
    description: "Removes an entry from this visitor's history (its code, input and result). Another visitor's id is a 404.",
    tags: ['history'],
    requestParams: { header: requiredVisitorHeader },
    responses: { 204: noContent('Deleted'), ...errors(400, 404) },
  });
  router.delete('/history/:id', async (req, res) => {
    const key = requireVisitorKey(req);
    const deleted = ID_PATTERN.test(req.params.id) && (await store.deleteSubmission(key, await ownerOfRequest(req, res), req.params.id));
    if (!deleted) throw notFound();
    res.status(204).end();
  });
  return router;
}

/**
 * Keeps a run or judge submission in its visitor's history. The result is the answer the
 * client gets either way: a failed write is logged and the answer goes out without an id.
 */
export async function keepSubmission({ config, store, logger }: AppDeps, submission: Omit<NewSubmission, 'owner'>, caller: Caller): Promise<string | undefined> {
  try {
    return await store.addSubmission({ ...submission, owner: ownerOf(caller) }, { maxPerVisitor: config.historyMax });
  } catch (err) {
    logger.error('could not keep a submission', { kind: submission.kind, error: (err as Error).message });
    return undefined;
  }
}
