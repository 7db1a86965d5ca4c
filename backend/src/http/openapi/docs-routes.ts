import { createRequire } from 'node:module';
import path from 'node:path';
import express from 'express';
import { z } from 'zod';
import { HttpError } from '../errors.js';
import { buildOpenApiDocument, type DocumentOptions } from './document.js';
import { describeRoute, errors } from './registry.js';

const swaggerDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** The only files of swagger-ui-dist the page uses; nothing else of the package is served. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'swagger-ui.css',
  'swagger-ui-bundle.js': 'swagger-ui-bundle.js',
  'favicon-32x32.png': 'favicon-32x32.png',
};

// relative URLs: the page works at /api/docs behind any proxy that keeps the path
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>runbox API</title>
<link rel="icon" type="image/png" href="docs/favicon-32x32.png">
<link rel="stylesheet" href="docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/swagger-ui-bundle.js"></script>
<script src="docs/start.js"></script>
</body>
</html>
`;

// validatorUrl null: Swagger UI would otherwise send the document to an outside validator
const START = `window.ui = SwaggerUIBundle({
  url: 'openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  tryItOutEnabled: false,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
});
document.documentElement.dataset.docsScript = 'started';
`;

/**
 * Nothing the page loads comes from another host, and the browser is told so: a page
 * that tried would be blocked by its own Content-Security-Policy.
 */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** GET /api/openapi.json (built on first use: every route is registered by then) and the docs page. */
export function apiDocsRoutes(app: express.Express, options: () => DocumentOptions): express.Router {
  const router = express.Router();
  let document: string | undefined;

  describeRoute(router, 'get', '/openapi.json', {
    operationId: 'getOpenApiDocument',
    summary: 'This API as an OpenAPI 3.1 document',
    description: "Every endpoint, generated from the schemas the server validates with, stating this server's own maxima. Open to everyone.",
    tags: ['operations'],
    security: [],
    responses: { 200: { description: 'The document', content: { 'application/json': { schema: z.object({ openapi: z.string() }).catchall(z.unknown()) } } } },
  });
  router.get('/openapi.json', (_req, res) => {
    document ??= JSON.stringify(buildOpenApiDocument(app, options()));
    res.set({ 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-cache' }).send(document);
  });

  describeRoute(router, 'get', '/docs', {
    operationId: 'getApiReference',
    summary: 'The API reference, as a page (Swagger UI, served from this server only)',
    description: 'Swagger UI over /api/openapi.json; every file it loads comes from this server (a Content-Security-Policy forbids any other).',
    tags: ['operations'],
    security: [],
    responses: { 200: { description: 'HTML', content: { 'text/html': { schema: z.string() } } } },
  });
  router.get('/docs', (_req, res) => {
    res.set({ 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': CSP, 'Cache-Control': 'no-cache' }).send(PAGE);
  });

  describeRoute(router, 'get', '/docs/:asset', {
    operationId: 'getApiReferenceAsset',
    summary: "The docs page's scripts and styles",
    description: "The few files of the swagger-ui-dist package the page uses, and the script that starts it; nothing else of the package is served.",
    tags: ['operations'],
    security: [],
    requestParams: { path: z.object({ asset: z.enum([...Object.keys(ASSETS), 'start.js']) }) },
    responses: { 200: { description: 'The file' }, ...errors(404) },
  });
  router.get('/docs/:asset', (req, res) => {
    const asset = req.params.asset;
    if (asset === 'start.js') return void res.type('text/javascript').set('Cache-Control', 'no-cache').send(START);
    const file = Object.hasOwn(ASSETS, asset) ? ASSETS[asset] : undefined;
    if (!file) throw new HttpError(404, { error: 'Not found', message: 'no such file of the docs page' });
    res.sendFile(path.join(swaggerDir, file), { maxAge: '1d' });
  });
  return router;
}
