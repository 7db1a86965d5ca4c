import type {
  CompileResult,
  ErrorResponse,
  ExecuteResponse,
  FormatResponse,
  HealthResponse,
  HistoryEntry,
  HistoryItem,
  JudgeGroupResult,
  JudgeResponse,
  JudgeStatus,
  JudgeTestResult,
  LanguageInfo,
  ProblemPackageView,
  ProblemResponse,
  ProblemSummary,
  ProgramFile,
  SnippetCreated,
  SnippetResponse,
  VerifyReport,
} from '../../backend/src/protocol.js';

export type {
  CompileResult,
  ExecuteResponse,
  HealthResponse,
  HistoryEntry,
  HistoryItem,
  JudgeGroupResult,
  JudgeResponse,
  JudgeStatus,
  JudgeTestResult,
  LanguageInfo,
  ProblemPackageView,
  ProblemResponse,
  ProblemSummary,
  ProgramFile,
  SnippetCreated,
  SnippetResponse,
};

// from the zod-free module: only the live-run client (lib/live.ts), which checks the
// server's messages with the shared schemas, brings zod to the browser
import { VISITOR_HEADER, VISITOR_KEY } from '../../backend/src/visitor-key.js';

export { VISITOR_HEADER, VISITOR_KEY };

/** Where the API lives: same origin unless the playground is deployed apart from it. */
export const API_BASE = (process.env.NEXT_PUBLIC_RUNBOX_API ?? '').replace(/\/$/, '');

/** A failure the person at the keyboard should read, in words they understand. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number | null = null,
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

/** Says whether a failure is "there is no such thing", so callers can word it for what they asked for. */
export const isNotFound = (err: unknown): boolean => err instanceof ApiError && err.status === 404;

/** What to show for a failure: the API's own words, else the caller's. */
export const errorMessage = (err: unknown, fallback: string): string => (err instanceof ApiError ? err.message : fallback);

interface CallOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  body?: unknown;
  /** the visitor's key, for the calls that read or add to their history */
  visitor?: string | null;
}

async function call<T>(path: string, { method = 'GET', body, visitor }: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (visitor) headers[VISITOR_HEADER] = visitor;
  let res: Response;
  try {
    res = await fetch(`${API_BASE}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  } catch {
    throw new ApiError('Cannot reach the runbox server. Check that it is running and try again.');
  }
  // 204 No Content: done, and nothing to read
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: described below by status
  }
  if (res.ok && parsed !== null) return parsed as T;
  throw describeFailure(res, parsed as Partial<ErrorResponse> | null);
}

/** How long to wait, from a 429's retryAfter (or Retry-After) seconds. */
function waitWords(seconds: number | undefined): string {
  if (!seconds || !Number.isFinite(seconds) || seconds <= 0) return 'Wait a little and run again.';
  if (seconds < 90) return `Wait ${Math.ceil(seconds)} s and run again.`;
  const minutes = Math.ceil(seconds / 60);
  return minutes < 90 ? `Wait ${minutes} min and run again.` : `Wait about ${Math.round(minutes / 60)} h and run again.`;
}

function describeFailure(res: Response, body: Partial<ErrorResponse> | null): ApiError {
  const retry = Number(res.headers.get('retry-after'));
  return describeRefusal(res.status, body as RefusalBody | null, Number.isFinite(retry) && retry > 0 ? retry : undefined);
}

/** What a refusal says of itself (an ErrorResponse's fields the page puts in words). */
type RefusalBody = Partial<Pick<ErrorResponse, 'error' | 'message' | 'field' | 'retryAfter'>> & { quota?: string };

/**
 * A refusal in words for the person at the keyboard: an HTTP answer's, or a live run's
 * (a browser's WebSocket refused for a quota or a full server says the same in an `error`).
 */
export function describeRefusal(status: number, body: RefusalBody | null, retryAfter?: number): ApiError {
  const detail = body?.message ? `: ${body.message}` : '';
  const field = typeof body?.field === 'string' ? body.field : null;
  const wait = body?.retryAfter ?? retryAfter;
  switch (status) {
    case 400:
      return new ApiError(`${body?.error ?? 'Invalid request'}${detail}`, 400, field);
    case 404:
      return new ApiError(`Not found${detail}`, 404);
    case 413:
      return new ApiError(`Too large${detail || ': the code or input is over the size limit'}`, 413, field);
    case 429:
      return new ApiError(`Too many runs in a short time${body?.quota ? ` (the ${body.quota} quota)` : ''}. ${waitWords(wait)}`, 429);
    case 502:
      return new ApiError('Cannot reach the runbox server. Check that it is running and try again.', 502);
    case 503:
    case 504:
      return new ApiError(`The server is busy${wait ? `; try again in ${wait} s` : '; try again shortly'}.`, status);
    default:
      return new ApiError(`Unexpected answer from the server (HTTP ${status})${detail}.`, status);
  }
}

const segment = encodeURIComponent;

/** The server's health: up or shutting down, its load, and the isolation really in force. 503 while shutting down still says so. */
export async function fetchHealth(): Promise<HealthResponse> {
  let res: Response;
  try {
    res = await fetch(`${API_BASE}/api/health`, { cache: 'no-store' });
  } catch {
    throw new ApiError('Cannot reach the runbox server. Check that it is running and try again.');
  }
  const body = (await res.json().catch(() => null)) as HealthResponse | null;
  if ((res.ok || res.status === 503) && body?.isolation) return body;
  throw describeFailure(res, body as Partial<ErrorResponse> | null);
}

/** The API reference page and its document, served by the API itself. */
export const API_DOCS_URL = `${API_BASE}/api/docs`;
export const OPENAPI_URL = `${API_BASE}/api/openapi.json`;

export function fetchLanguages(): Promise<LanguageInfo[]> {
  return call<LanguageInfo[]>('/api/languages');
}

/** What the playground runs or shares: one file as `code`, or several as `files` (the first is the entry). */
export interface ProgramInput {
  language: string;
  code?: string;
  files?: ProgramFile[];
  stdin: string;
  args: string[];
  /** a run under a problem's limits (a run on its samples); else the server's defaults */
  limits?: { timeMs?: number; cpuTimeMs?: number; memoryMb?: number };
}

/** Runs a program; with a visitor key the run is kept in that visitor's history. */
export function execute(input: ProgramInput, visitor: string | null = null): Promise<ExecuteResponse> {
  return call<ExecuteResponse>('/api/execute', { method: 'POST', body: input, visitor });
}

/** The formatter's refusal of the code (422): its own message (a syntax error), and the line it names. */
export class FormatFailed extends ApiError {
  constructor(
    message: string,
    readonly line: number | null,
  ) {
    super(message, 422);
  }
}

/**
 * Formats one file of code with its language's formatter (the language's `formatter`): the
 * code as the formatter writes it, or a FormatFailed saying why it would not.
 */
export async function formatCode(language: string, code: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(`${API_BASE}/api/format`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ language, code }), cache: 'no-store' });
  } catch {
    throw new ApiError('Cannot reach the runbox server. Check that it is running and try again.');
  }
  const body = (await res.json().catch(() => null)) as (Partial<FormatResponse> & Partial<ErrorResponse>) | null;
  if (res.ok && typeof body?.code === 'string') return body.code;
  if (res.status === 422) throw new FormatFailed(body?.message ?? 'The formatter could not format this code.', typeof body?.line === 'number' ? body.line : null);
  throw describeFailure(res, body);
}

export function createSnippet(input: ProgramInput): Promise<SnippetCreated> {
  return call<SnippetCreated>('/api/snippets', { method: 'POST', body: input });
}

export function fetchSnippet(id: string): Promise<SnippetResponse> {
  return call<SnippetResponse>(`/api/snippets/${segment(id)}`);
}

export async function fetchHistory(visitor: string): Promise<HistoryEntry[]> {
  return (await call<{ entries: HistoryEntry[] }>('/api/history', { visitor })).entries;
}

export function fetchHistoryItem(visitor: string, id: string): Promise<HistoryItem> {
  return call<HistoryItem>(`/api/history/${segment(id)}`, { visitor });
}

/** Removes one entry from the visitor's history (404 when it is not theirs or already gone). */
export function deleteHistoryItem(visitor: string, id: string): Promise<void> {
  return call<void>(`/api/history/${segment(id)}`, { method: 'DELETE', visitor });
}

export async function fetchProblems(): Promise<ProblemSummary[]> {
  return (await call<{ problems: ProblemSummary[] }>('/api/problems')).problems;
}

export function fetchProblem(slug: string): Promise<ProblemResponse> {
  return call<ProblemResponse>(`/api/problems/${segment(slug)}`);
}

/** Judges a solution against every test of a problem; with a visitor key it is kept in history. */
export function submitSolution(slug: string, input: { language: string; code?: string; files?: ProgramFile[] }, visitor: string | null = null): Promise<JudgeResponse> {
  return call<JudgeResponse>(`/api/problems/${segment(slug)}/submissions`, { method: 'POST', body: input, visitor });
}

/* ---------- problem packages (the admin's page) ---------- */

export type { SolutionReport, VerifyReport } from '../../backend/src/protocol.js';

export type PackageAction = 'verify' | 'import';

export type PackageOutcome = { action: 'verify'; report: VerifyReport } | { action: 'import'; slug: string; outcome: 'created' | 'replaced'; report: VerifyReport };

/** A package the API refused (422): the file and line it names, and the report when judging its solutions is what failed. */
export class PackageRefused extends ApiError {
  constructor(
    message: string,
    readonly file: string | null,
    readonly line: number | null,
    readonly report: VerifyReport | null,
  ) {
    super(message, 422, file);
  }
}

/**
 * Sends a package's zip to the admin routes: verify (judge its solutions, store nothing) or
 * import (verified, then created or replaced). The body is the zip's bytes as they are; the
 * answer comes once every solution is judged, which may take minutes.
 */
export async function sendPackage(action: PackageAction, zip: Blob, adminKey: string, name = ''): Promise<PackageOutcome> {
  const query = name ? `?name=${segment(name)}` : '';
  let res: Response;
  try {
    res = await fetch(`${API_BASE}/api/admin/problems/${action}${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/zip', authorization: `Bearer ${adminKey}` },
      body: zip,
      cache: 'no-store',
    });
  } catch {
    throw new ApiError('Cannot reach the runbox server. Check that it is running and try again.');
  }
  const body = (await res.json().catch(() => null)) as (Partial<ErrorResponse> & { report?: VerifyReport; slug?: string; outcome?: 'created' | 'replaced' }) | null;
  // verify answers the report itself; import { slug, outcome, report }
  if (res.ok && body && action === 'verify') return { action, report: body as unknown as VerifyReport };
  if (res.ok && body?.report) return { action: 'import', slug: body.slug ?? body.report.slug, outcome: body.outcome ?? 'created', report: body.report };
  switch (res.status) {
    case 401:
      throw new ApiError('The admin key is not right: the server refused it.', 401);
    case 403:
      throw new ApiError('This server takes no admin requests (RUNBOX_ADMIN_KEY is not set).', 403);
    case 413:
      throw new ApiError('The zip is too large for the server (at most 128 MB; a larger package is imported with scripts/problems.ts).', 413);
    case 415:
      throw new ApiError(`The server did not take the file as a zip${body?.message ? `: ${body.message}` : ''}.`, 415);
    case 422: {
      const file = typeof body?.field === 'string' ? body.field : null;
      const line = typeof body?.line === 'number' ? body.line : null;
      throw new PackageRefused(body?.message ?? 'The package is not valid.', file, line, body?.report ?? null);
    }
    default:
      throw describeFailure(res, body);
  }
}
