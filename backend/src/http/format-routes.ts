import express from 'express';
import type { LanguageFormatter } from '../languages/registry.js';
import { formatRequestSchema, formatResponseSchema, type ExecuteResponse, type FormatResponse } from '../protocol.js';
import { singleFileProgram } from '../runs/program.js';
import { admitRun } from './api-keys.js';
import type { AppDeps } from './app.js';
import { HttpError } from './errors.js';
import { describeRoute, errors, json, jsonBody, quotaHeaders } from './openapi/registry.js';
import { errorSchema } from './openapi/schemas.js';
import { bodyLimitBytes, checkSizes, limitMaxima, parseBody, resolveLanguage } from './validate.js';

/** What Swagger UI's "Try it out" on POST /api/format starts from: Python, whose formatter (black) the default install has. */
export const FORMAT_EXAMPLE = { language: 'python', code: 'print( "Hello,"+" world!" )\n' };

const formatResult = formatResponseSchema.meta({ id: 'FormatResult' });

/** The most of a formatter's message an answer carries: rustfmt repeats itself at length. */
const MESSAGE_CHARS = 4000;

/**
 * Formatting code: POST /api/format. The language's formatter (its entry's `format`, found
 * at start) is a run like any other: a fresh user, a jail, the run limits and the caller's
 * quotas, with the code as its stdin and the formatted code as its stdout.
 */
export function formatRoutes(deps: AppDeps, requireJson: express.RequestHandler): express.Router {
  const { config, runs } = deps;
  const router = express.Router();
  const maxima = limitMaxima(config);

  describeRoute(router, 'post', '/format', {
    operationId: 'formatCode',
    summary: "Format code with the language's formatter",
    description:
      "Formats `code` with the language's formatter (gofmt, rustfmt, black, clang-format: each language's `formatter` in GET /api/languages; " +
      'a language without one is a 400 naming `language`) and answers the formatted code. The formatter runs as any run does, in a fresh jail under ' +
      "the server's run limits, and counts against the caller's quotas as a run. The formatter's own error (a syntax error in the code) is a 422 whose " +
      '`message` is its words and `line` the line they name.',
    tags: ['runs'],
    requestBody: jsonBody(formatRequestSchema, { example: FORMAT_EXAMPLE }),
    responses: {
      200: json('The code as the formatter writes it', formatResult, quotaHeaders),
      422: json(
        "The formatter could not format the code: `message` is the formatter's own (a syntax error), `line` the line it names when it names one; or it ran out of a run limit",
        errorSchema,
      ),
      ...errors(400, 403, 413, 415, 503),
    },
  });
  router.post('/format', requireJson, express.json({ limit: bodyLimitBytes(config) }), async (req, res) => {
    const body = parseBody(formatRequestSchema, req.body);
    const language = resolveLanguage(deps.languages, body.language);
    const formatter = deps.languages.formatter(language);
    if (!formatter || !language.format) {
      throw new HttpError(400, {
        error: 'No formatter',
        field: 'language',
        message: `${language.id} has no formatter on this server`,
        supported: deps.languages.all.filter((l) => deps.languages.formatter(l)).map((l) => l.id),
      });
    }
    checkSizes(config, { code: body.code });
    const admitted = await admitRun(deps, req, res, { maxima });
    let result: ExecuteResponse | undefined;
    try {
      result = await runs.execute({ language: formatter, program: singleFileProgram(language, body.code), stdin: body.code, args: [], limits: admitted.maxima });
    } finally {
      await admitted.finish(result);
    }
    res.json(formatted(result, language.format, admitted.maxima));
  });
  return router;
}

/** The formatter's run as the answer: the code it wrote, or the 422 of why it wrote none. */
function formatted(result: ExecuteResponse, formatter: LanguageFormatter, limits: { timeMs: number; memoryMb: number; outputKb: number }): FormatResponse {
  const cannot = (message: string, line?: number) => new HttpError(422, { error: 'Cannot format', message, ...(line !== undefined ? { line } : {}) });
  switch (result.status) {
    case 'ok':
      return { code: result.stdout };
    case 'runtime_error': {
      const said = (result.stderr.trim() || result.stdout.trim() || `${formatter.name} failed (exit code ${result.exitCode ?? result.signal})`).slice(0, MESSAGE_CHARS);
      const line = Number(formatter.errorLine?.exec(said)?.[1]);
      throw cannot(said, Number.isInteger(line) && line > 0 ? line : undefined);
    }
    case 'timeout':
      throw cannot(`${formatter.name} did not finish within the run's time limit (${limits.timeMs / 1000} s)`);
    case 'memory_limit':
      throw cannot(`${formatter.name} ran out of the run's memory (${limits.memoryMb} MB)`);
    case 'output_limit':
      throw cannot(`the formatted code is longer than the output limit (${limits.outputKb} KiB)`);
    case 'killed':
      throw new HttpError(503, { error: 'Shutting down', message: 'the server is restarting; try again shortly' }, { 'Retry-After': '5' });
    default:
      throw new HttpError(500, { error: 'Internal error' });
  }
}
