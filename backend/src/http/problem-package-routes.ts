import express from 'express';
import { z } from 'zod';
import { loadPackage } from '../problems/load-package.js';
import { PackageError } from '../problems/package-error.js';
import { readZip } from '../problems/package-files.js';
import { AcceptedRejectedError, importVerified, verifyPackage } from '../problems/verify-package.js';
import { requireAdmin } from './admin.js';
import type { AppDeps } from './app.js';
import { HttpError } from './errors.js';
import { describeRoute, errors, json } from './openapi/registry.js';
import { packageImportedSchema, verifyReportSchema } from './openapi/schemas.js';

/** The largest package taken over HTTP (scripts/problems.ts reads bigger ones from disk). */
const PACKAGE_BODY_LIMIT = '128mb';

/**
 * Problem packages over HTTP, for the admin: a zip of a Kattis-format package (legacy
 * version) is verified (every solution in submissions/ judged against its folder's verdict)
 * and, for import, stored when every accepted solution is accepted. Answers only once all
 * solutions are judged: a large package is better imported with scripts/problems.ts.
 */
export function problemPackageRoutes(deps: AppDeps): express.Router {
  const { config, runs, logger, languages, store } = deps;
  const router = express.Router();
  const admin: express.RequestHandler = (req, _res, next) => {
    requireAdmin(req, config.adminKey);
    next();
  };
  const zipBody = express.raw({ type: ['application/zip', 'application/octet-stream', 'application/x-zip-compressed'], limit: PACKAGE_BODY_LIMIT });
  const nameQuery = z.strictObject({ name: z.string().regex(/^[a-z0-9]{1,64}$/, 'must be 1-64 lowercase letters and digits (the problem\'s slug)').optional() });
  const load = async (req: express.Request) => {
    if (!Buffer.isBuffer(req.body) || req.body.length === 0) throw new HttpError(415, { error: 'Unsupported media type', message: 'send the package as a zip (Content-Type: application/zip)' });
    const parsed = nameQuery.safeParse({ ...req.query });
    if (!parsed.success) throw new HttpError(400, { error: 'Invalid request', field: 'name', message: `name ${parsed.error.issues[0]!.message}` });
    // a zip of the package's folder names itself; a zip of its files needs ?name=
    const pkg = readZip(req.body, parsed.data.name ?? 'package');
    return loadPackage(pkg, config, languages);
  };
  const env = { runs, config, logger, languages, store };
  const packageError = (err: unknown): never => {
    if (err instanceof PackageError) throw new HttpError(422, { error: 'Invalid package', field: err.file, message: err.message, ...(err.line !== undefined ? { line: err.line } : {}) });
    if (err instanceof AcceptedRejectedError) throw new HttpError(422, { error: 'Invalid package', field: err.path, message: err.message });
    throw err;
  };
  const zipRequest = {
    required: true,
    description: 'The package as a zip: its folder (named as the problem\'s slug) or its files (then ?name=)',
    content: { 'application/zip': { schema: { type: 'string' as const, format: 'binary' } } },
  };
  const nameParam = { query: z.object({ name: z.string().optional().meta({ description: "The problem's slug, when the zip holds the package's files rather than its folder" }) }) };

  describeRoute(router, 'post', '/admin/problems/verify', {
    operationId: 'verifyProblemPackage',
    summary: 'Verify a problem package (admin): judge its example solutions, store nothing',
    description: 'Every solution in submissions/ is judged under the time limit (.timelimit, or the slowest accepted solution times time_multiplier); each passes when its verdict is its folder\'s.',
    tags: ['judge'],
    security: [{ admin: [] }],
    requestParams: nameParam,
    requestBody: zipRequest,
    responses: { 200: json('Each solution, expected and actual verdict', verifyReportSchema), ...errors(400, 401, 403, 413, 415, 422) },
  });
  router.post('/admin/problems/verify', admin, zipBody, async (req, res) => {
    const loaded = await load(req).catch(packageError);
    res.json(await verifyPackage(loaded, env).catch(packageError));
  });

  describeRoute(router, 'post', '/admin/problems/import', {
    operationId: 'importProblemPackage',
    summary: 'Import a problem package (admin): verified, then created or replaced',
    description:
      'Stored (statement, samples, test groups, limits, validator) only when every accepted solution is accepted, all or nothing; otherwise 422 with the report. ' +
      'Importing a package again replaces the problem; submissions judged before keep their results.',
    tags: ['judge'],
    security: [{ admin: [] }],
    requestParams: nameParam,
    requestBody: zipRequest,
    responses: { 200: json('Replaced', packageImportedSchema), 201: json('Created', packageImportedSchema), ...errors(400, 401, 403, 413, 415, 422) },
  });
  router.post('/admin/problems/import', admin, zipBody, async (req, res) => {
    const loaded = await load(req).catch(packageError);
    const imported = await importVerified(loaded, env).catch(packageError);
    if (imported.refused) throw new HttpError(422, { error: 'Invalid package', message: imported.refused, report: imported.report });
    res.status(imported.outcome === 'created' ? 201 : 200).json({ slug: loaded.problem.slug, outcome: imported.outcome, report: imported.report });
  });
  return router;
}
