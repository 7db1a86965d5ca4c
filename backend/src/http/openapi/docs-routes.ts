import { createRequire } from 'node:module';
import path from 'node:path';
import express from 'express';
import { z } from 'zod';
import { HttpError } from '../errors.js';
import { buildOpenApiDocument, summary, VERSION, type DocumentOptions } from './document.js';
import { describeRoute, errors } from './registry.js';

const swaggerDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** The only files of swagger-ui-dist the page uses; nothing else of the package is served. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'swagger-ui.css',
  'swagger-ui-bundle.js': 'swagger-ui-bundle.js',
  'favicon-32x32.png': 'favicon-32x32.png',
};

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The few styles of runbox's own parts of its pages (the docs page's header, the root's index). */
const OWN_STYLE = `.runbox-nav { max-width: 1460px; margin: 0 auto; padding: 16px 20px 0; font: 16px/1.5 sans-serif; }
.runbox-nav a { color: #1d4ed8; }`;

/**
 * Swagger UI, and above it the way back to the playground: `playground` is the playground's
 * address (RUNBOX_PUBLIC_URL), else `/`, which is the playground wherever the docs are
 * reached through it (its proxy of /api, or nginx in front of both). Relative URLs: the page
 * works at /api/docs behind any proxy that keeps the path.
 */
const docsPage = (playground: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>runbox API reference</title>
<link rel="icon" type="image/png" href="docs/favicon-32x32.png">
<link rel="stylesheet" href="docs/swagger-ui.css">
<style>${OWN_STYLE}
${SWAGGER_CONTRAST}</style>
</head>
<body>
<header class="runbox-nav"><nav aria-label="runbox"><a href="${escapeHtml(playground)}" data-testid="playground-link">&larr; Back to the playground</a></nav></header>
<main id="swagger-ui"></main>
<script src="docs/swagger-ui-bundle.js"></script>
<script src="docs/start.js"></script>
</body>
</html>
`;

// validatorUrl null: Swagger UI would otherwise send the document to an outside validator.
// deepLinking off: its links to operations sit inside the buttons that open them, where a
// keyboard or screen reader cannot tell the two apart (axe's nested-interactive).
// Swagger UI leaves its server list and a request body's editor without a name a screen
// reader can say: they are named as they appear.
const START = `window.ui = SwaggerUIBundle({
  url: 'openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: false,
  validatorUrl: null,
  tryItOutEnabled: false,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
});
const NAMES = [['select#servers', 'Server'], ['textarea.body-param__text', 'Request body']];
new MutationObserver(() => {
  for (const [selector, name] of NAMES) for (const el of document.querySelectorAll(selector + ':not([aria-label])')) el.setAttribute('aria-label', name);
}).observe(document.getElementById('swagger-ui'), { childList: true, subtree: true });
document.documentElement.dataset.docsScript = 'started';
`;

/**
 * Swagger UI's colours where their contrast is under WCAG AA's 4.5:1 (axe's color-contrast):
 * the method badges, version stamps, links, buttons, and its highlighter's numbers, darker
 * (lighter on the dark code background), the same hues.
 */
const SWAGGER_CONTRAST = `.swagger-ui .info .title small { background: #4f5964; }
.swagger-ui .info .title small.version-stamp { background: #3d6b00; }
.swagger-ui .info a { color: #1d5fb4; }
.swagger-ui .btn.authorize { border-color: #1f7a4a; color: #1f7a4a; }
.swagger-ui .btn.authorize svg { fill: #1f7a4a; color: #1f7a4a; }
.swagger-ui .opblock.opblock-get .opblock-summary-method { background: #1565c0; }
.swagger-ui .opblock.opblock-post .opblock-summary-method { background: #15803d; }
.swagger-ui .opblock.opblock-put .opblock-summary-method { background: #b45309; }
.swagger-ui .opblock.opblock-delete .opblock-summary-method { background: #c62828; }
.swagger-ui .opblock.opblock-patch .opblock-summary-method { background: #0f766e; }
.swagger-ui .json-schema-2020-12-expand-deep-button { color: #505050; }
.swagger-ui .btn.cancel, .swagger-ui .opblock .opblock-section-header .try-out__btn.cancel { border-color: #c62828; color: #c62828; }
.swagger-ui .parameter__in { color: #555; }
.swagger-ui .btn.execute { background-color: #1d5fb4; border-color: #1d5fb4; }
.swagger-ui .microlight span[style*="rgb(211, 99, 99)"] { color: #ff9d9d !important; }`;

/**
 * Nothing the page loads comes from another host, and the browser is told so: a page
 * that tried would be blocked by its own Content-Security-Policy.
 */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * GET /api/openapi.json (built on first use: every route is registered by then) and the docs
 * page, whose link back goes to `playground`.
 */
export function apiDocsRoutes(app: express.Express, options: () => DocumentOptions, playground: string): express.Router {
  const router = express.Router();
  let document: string | undefined;
  const page = docsPage(playground);

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
    res.set({ 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': CSP, 'Cache-Control': 'no-cache' }).send(page);
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

/** GET /'s answer: what this server is and where its documents are. */
const apiIndexSchema = z
  .object({
    name: z.string(),
    version: z.string().meta({ description: "The API's version (the document's info.version)" }),
    description: z.string().meta({ description: 'What runbox is, naming the languages this server offers' }),
    languages: z.number().int().meta({ description: 'How many languages this server offers (GET /api/languages lists them)' }),
    links: z
      .object({
        docs: z.string().meta({ description: 'The API reference, as a page' }),
        openapi: z.string().meta({ description: 'This API as an OpenAPI 3.1 document' }),
        health: z.string(),
        languages: z.string(),
        playground: z.string().optional().meta({ description: 'The playground (RUNBOX_PUBLIC_URL), when this server knows it' }),
      })
      .meta({ description: 'Paths on this server, and the playground' }),
  })
  .meta({ id: 'ApiIndex' });

/**
 * GET /, the API server's own address: where its documents are (Express would answer
 * "Cannot GET /"), as JSON, or as a small page for a browser. Through nginx or the
 * playground, / is the playground; this is what opening the API server directly finds.
 */
export function apiIndexRoute(app: express.Express, site: { languages: readonly string[]; playground: string | null }): void {
  const links = {
    docs: '/api/docs',
    openapi: '/api/openapi.json',
    health: '/api/health',
    languages: '/api/languages',
    ...(site.playground ? { playground: site.playground } : {}),
  };
  const index = { name: 'runbox API', version: VERSION, description: summary(site.languages), languages: site.languages.length, links };
  const words: Record<keyof typeof links, string> = {
    docs: 'API reference',
    openapi: 'OpenAPI document',
    health: 'Health',
    languages: 'Languages',
    playground: 'Playground',
  };
  const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>runbox API</title>
<style>${OWN_STYLE}</style>
</head>
<body>
<main class="runbox-nav">
<h1>runbox API ${escapeHtml(VERSION)}</h1>
<p>${escapeHtml(index.description)}</p>
<ul>
${Object.entries(links).map(([name, href]) => `<li><a href="${escapeHtml(href)}">${words[name as keyof typeof links]}</a> <code>${escapeHtml(href)}</code></li>`).join('\n')}
</ul>
</main>
</body>
</html>
`;
  describeRoute(app, 'get', '/', {
    operationId: 'getApiIndex',
    summary: "This server's index: what it is and where its documents are",
    description:
      'What opening the API server\'s own address finds: its name, version, languages and links to the API reference, this document, health and languages. ' +
      'JSON, or a page of the same links for a browser (Accept: text/html). Open to everyone. Through nginx or the playground, / is the playground.',
    tags: ['operations'],
    security: [],
    responses: {
      200: { description: 'The index', content: { 'application/json': { schema: apiIndexSchema }, 'text/html': { schema: z.string() } } },
    },
  });
  app.get('/', (req, res) => {
    res.set('Cache-Control', 'no-cache').vary('Accept');
    if (req.accepts(['application/json', 'text/html']) === 'text/html') return void res.set({ 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': CSP }).send(page);
    res.json(index);
  });
}
