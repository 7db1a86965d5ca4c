import express from 'express';
import { z } from 'zod';
import { createApiKey, keyUsage, MAX_USAGE_DAYS } from '../keys/key-admin.js';
import { apiKeyRequestSchema } from '../protocol.js';
import { ID_PATTERN } from '../store/ids.js';
import { requireAdmin } from './admin.js';
import type { AppDeps } from './app.js';
import { HttpError } from './errors.js';
import { parseBody } from './validate.js';

/**
 * The admin's keys (`Authorization: Bearer $RUNBOX_ADMIN_KEY`): create (the key is in
 * that answer only), list, read, revoke, and usage per day. scripts/keys.ts does the same
 * on the store directly.
 */
export function keyRoutes({ config, store }: AppDeps, requireJson: express.RequestHandler): express.Router {
  const router = express.Router();
  router.use('/admin/keys', (req, res, next) => {
    requireAdmin(req, config.adminKey);
    // keys and their usage are never cached on the way
    res.set('Cache-Control', 'no-store');
    next();
  });
  const usageQuery = z.strictObject({
    days: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(MAX_USAGE_DAYS, `must be at most ${MAX_USAGE_DAYS}`).optional(),
  });
  const findKey = async (id: string) => {
    const key = ID_PATTERN.test(id) ? await store.keys.getKey(id) : null;
    if (!key) throw new HttpError(404, { error: 'Not found', message: 'no API key has this id' });
    const { hash: _hash, ...info } = key;
    return info;
  };

  router.post('/admin/keys', requireJson, express.json({ limit: '16kb' }), async (req, res) => {
    const created = await createApiKey(store.keys, parseBody(apiKeyRequestSchema, req.body));
    res.status(201).location(`/api/admin/keys/${created.id}`).json(created);
  });

  router.get('/admin/keys', async (_req, res) => {
    res.json({ keys: await store.keys.listKeys() });
  });

  router.get('/admin/keys/:id', async (req, res) => {
    res.json(await findKey(req.params.id));
  });

  router.get('/admin/keys/:id/usage', async (req, res) => {
    const { days } = parseBody(usageQuery, { ...req.query });
    const usage = ID_PATTERN.test(req.params.id) ? await keyUsage(store.keys, req.params.id, days ?? 30) : null;
    if (!usage) throw new HttpError(404, { error: 'Not found', message: 'no API key has this id' });
    res.json(usage);
  });

  // revoking is for good: the key stays listed (with its usage), answering 401 from now on
  router.delete('/admin/keys/:id', async (req, res) => {
    await findKey(req.params.id);
    await store.keys.revokeKey(req.params.id);
    res.status(204).end();
  });
  return router;
}
