import express, { type Request } from 'express';
import { snippetRequestSchema, type SnippetCreated, type SnippetResponse } from '../protocol.js';
import { ID_PATTERN } from '../store/ids.js';
import type { Snippet } from '../store/store.js';
import { countQueuedWork } from './api-keys.js';
import type { AppDeps } from './app.js';
import { HttpError } from './errors.js';
import { describeRoute, errors, json, jsonBody } from './openapi/registry.js';
import { snippetCreatedSchema, snippetSchema } from './openapi/schemas.js';
import { bodyLimitBytes, checkSizes, parseBody, programOf, resolveLanguage } from './validate.js';

/** Shared snippets: saved once, never changed; the link is the only way to them. */
export function snippetRoutes(deps: AppDeps, requireJson: express.RequestHandler): express.Router {
  const { config, store, languages } = deps;
  const router = express.Router();
  // the playground's address: configured, else the host this request came to (through nginx: its Host and scheme)
  const shareUrl = (req: Request, id: string) => `${config.publicUrl || `${req.protocol}://${req.host}`}/s/${id}`;
  const created = (req: Request, s: Snippet): SnippetCreated => ({ id: s.id, url: shareUrl(req, s.id), createdAt: s.createdAt.toISOString() });

  describeRoute(router, 'post', '/snippets', {
    operationId: 'createSnippet',
    summary: 'Save a snippet (a share link)',
    description: "Kept for RUNBOX_SNIPPET_KEEP_DAYS days. Saving one counts as a run of the caller's rate and daily quotas.",
    tags: ['snippets'],
    requestBody: jsonBody(snippetRequestSchema, { example: { language: 'python', code: 'print(input()[::-1])', stdin: 'runbox' } }),
    responses: { 201: json('Saved', snippetCreatedSchema, { Location: { description: 'The snippet in the API', schema: { type: 'string' } } }), ...errors(400, 413, 415, 429) },
  });
  router.post('/snippets', requireJson, express.json({ limit: bodyLimitBytes(config) }), async (req, res) => {
    const body = parseBody(snippetRequestSchema, req.body);
    const language = resolveLanguage(languages, body.language);
    const program = programOf(config, language, body);
    checkSizes(config, body);
    // a snippet is kept for RUNBOX_SNIPPET_KEEP_DAYS: saving one counts as a run, so no caller can fill the store
    await countQueuedWork(deps, req, res);
    const snippet = await store.createSnippet({ language: language.id, code: program.entry.content, files: body.files ?? null, stdin: body.stdin ?? '', args: body.args ?? [] });
    res.status(201).location(`/api/snippets/${snippet.id}`).json(created(req, snippet));
  });

  describeRoute(router, 'get', '/snippets/:id', {
    operationId: 'getSnippet',
    summary: 'A saved snippet',
    description: 'Its language, code (and files), stdin and arguments as saved, and the playground link that opens it. Snippets never change: sharing an edited one saves a new one.',
    tags: ['snippets'],
    responses: { 200: json('The snippet', snippetSchema), ...errors(404) },
  });
  router.get('/snippets/:id', async (req, res) => {
    const snippet = ID_PATTERN.test(req.params.id) ? await store.getSnippet(req.params.id) : null;
    if (!snippet) throw new HttpError(404, { error: 'Not found', message: 'no snippet has this id' });
    const body: SnippetResponse = {
      ...created(req, snippet),
      language: snippet.language,
      code: snippet.code,
      ...(snippet.files ? { files: snippet.files } : {}),
      stdin: snippet.stdin,
      args: snippet.args,
    };
    // immutable, but `url` follows the host asked: the browser may keep it, shared caches not
    res.set('Cache-Control', 'private, max-age=86400').json(body);
  });
  return router;
}
