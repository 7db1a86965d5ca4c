import express from 'express';
import { z } from 'zod';
import { createApiKey, keyUsage, MAX_USAGE_DAYS, rotateCallbackSecret } from '../keys/key-admin.js';
import { apiKeyRequestSchema } from '../protocol.js';
import { ID_PATTERN } from '../store/ids.js';
import { requireAdmin } from './admin.js';
import { callerOf } from './api-keys.js';
import type { AppDeps } from './app.js';
import { HttpError } from './errors.js';
import { describeRoute, errors, json, jsonBody, noContent } from './openapi/registry.js';
import { apiKeyCreatedSchema, apiKeyInfoSchema, apiKeyListSchema, apiKeyUsageSchema, callbackSecretRotatedSchema } from './openapi/schemas.js';
import { parseBody } from './validate.js';

/**
 * The admin's keys (`Authorization: Bearer $RUNBOX_ADMIN_KEY`): create (the key and its
 * callback secret are in that answer only), list, read, revoke, rotate the callback
 * secret, and usage per day; a key may rotate its own callback secret. scripts/keys.ts
 * does the same on the store directly.
 */
export function keyRoutes(deps: AppDeps, requireJson: express.RequestHandler): express.Router {
  const { config, store } = deps;
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

  const admin = { tags: ['keys'], security: [{ admin: [] }] };
  const idParam = { path: z.object({ id: z.string().meta({ description: "The key's id (public: the part of the key before the dot)" }) }) };

  describeRoute(router, 'post', '/admin/keys', {
    ...admin,
    operationId: 'createApiKey',
    summary: 'Make an API key (the key is in this answer only)',
    description:
      'A key with a name, optional per-minute and daily quotas, runs in flight at once (default 4) and optional caps on the limits its runs may ask for. ' +
      'The answer holds the key and its callback secret: the only time either is shown (the store keeps the key\'s SHA-256).',
    requestBody: jsonBody(apiKeyRequestSchema, { example: { name: 'course site', ratePerMinute: 60, maxConcurrent: 4, dailyRuns: 5000, caps: { cpuTimeMs: 2000, memoryMb: 128 } } }),
    responses: {
      201: json('Made: `key` is shown now and never again', apiKeyCreatedSchema, { Location: { description: 'The key in the API', schema: { type: 'string' } } }),
      ...errors(400, 401, 403, 413, 415),
    },
  });
  router.post('/admin/keys', requireJson, express.json({ limit: '16kb' }), async (req, res) => {
    const created = await createApiKey(store.keys, parseBody(apiKeyRequestSchema, req.body));
    res.status(201).location(`/api/admin/keys/${created.id}`).json(created);
  });

  describeRoute(router, 'get', '/admin/keys', {
    ...admin,
    operationId: 'listApiKeys',
    summary: 'Every API key, revoked ones included (never their secrets)',
    description: 'Each key with its quotas, caps, creation and revocation times; never the key itself nor its hash.',
    responses: { 200: json('The keys', apiKeyListSchema), ...errors(401, 403) },
  });
  router.get('/admin/keys', async (_req, res) => {
    res.json({ keys: await store.keys.listKeys() });
  });

  describeRoute(router, 'get', '/admin/keys/:id', {
    ...admin,
    operationId: 'getApiKey',
    summary: 'An API key',
    description: 'One key as the list shows it.',
    requestParams: idParam,
    responses: { 200: json('The key', apiKeyInfoSchema), ...errors(401, 403, 404) },
  });
  router.get('/admin/keys/:id', async (req, res) => {
    res.json(await findKey(req.params.id));
  });

  describeRoute(router, 'get', '/admin/keys/:id/usage', {
    ...admin,
    operationId: 'getApiKeyUsage',
    summary: "An API key's runs and CPU time per UTC day",
    description: 'Runs and CPU milliseconds of the key per UTC day (days with runs only, oldest first) and their total, over the last `days` days.',
    requestParams: { ...idParam, query: usageQuery.extend({ days: usageQuery.shape.days.meta({ description: `Days back, today included (default 30, at most ${MAX_USAGE_DAYS})` }) }) },
    responses: { 200: json('Its usage', apiKeyUsageSchema), ...errors(400, 401, 403, 404) },
  });
  router.get('/admin/keys/:id/usage', async (req, res) => {
    const { days } = parseBody(usageQuery, { ...req.query });
    const usage = ID_PATTERN.test(req.params.id) ? await keyUsage(store.keys, req.params.id, days ?? 30) : null;
    if (!usage) throw new HttpError(404, { error: 'Not found', message: 'no API key has this id' });
    res.json(usage);
  });

  const rotated = async (id: string) => {
    const answer = await rotateCallbackSecret(store.keys, id, config.callbackSecretOverlapSeconds);
    if (!answer) throw new HttpError(404, { error: 'Not found', message: 'no API key has this id' });
    return answer;
  };
  const rotation = {
    summary: "A new secret to sign the key's submission callbacks (shown in this answer only)",
    description: `The previous secret keeps signing beside the new one for RUNBOX_CALLBACK_SECRET_OVERLAP_SECONDS (${config.callbackSecretOverlapSeconds} s here): X-Runbox-Signature then carries both signatures, comma-separated, so receivers switch over without refusing a callback.`,
  };
  describeRoute(router, 'post', '/admin/keys/:id/callback-secret', {
    ...admin,
    ...rotation,
    operationId: 'rotateApiKeyCallbackSecret',
    requestParams: idParam,
    responses: { 200: json('The new secret', callbackSecretRotatedSchema), ...errors(401, 403, 404) },
  });
  router.post('/admin/keys/:id/callback-secret', async (req, res) => {
    if (!ID_PATTERN.test(req.params.id)) throw new HttpError(404, { error: 'Not found', message: 'no API key has this id' });
    res.json(await rotated(req.params.id));
  });

  // a tenant rotates its own secret without asking the admin: the key calling is the key rotated
  describeRoute(router, 'post', '/key/callback-secret', {
    ...rotation,
    operationId: 'rotateOwnCallbackSecret',
    summary: "A new secret to sign the calling key's submission callbacks (shown in this answer only)",
    tags: ['keys'],
    responses: { 200: json('The new secret', callbackSecretRotatedSchema), ...errors(401, 403) },
  });
  router.post('/key/callback-secret', async (req, res) => {
    const caller = await callerOf(req, res, deps);
    if (caller.kind !== 'key') throw new HttpError(403, { error: 'Forbidden', message: 'only an API key has a callback secret of its own: call this with the key' });
    res.set('Cache-Control', 'no-store').json(await rotated(caller.key.id));
  });

  // revoking is for good: the key stays listed (with its usage), answering 401 from now on
  describeRoute(router, 'delete', '/admin/keys/:id', {
    ...admin,
    operationId: 'revokeApiKey',
    summary: 'Revoke an API key, for good (it stays listed, with its usage)',
    description: 'From now on the key answers 401 on every endpoint; it stays listed with its usage, and its id is never reused.',
    requestParams: idParam,
    responses: { 204: noContent('Revoked: the key answers 401 from now on'), ...errors(401, 403, 404) },
  });
  router.delete('/admin/keys/:id', async (req, res) => {
    await findKey(req.params.id);
    await store.keys.revokeKey(req.params.id);
    res.status(204).end();
  });
  return router;
}
