import type { ErrorResponse, ExecuteResponse, LanguageInfo } from '../../backend/src/protocol.js';

export type { ExecuteResponse, LanguageInfo };

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

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${API_BASE}${path}`, init);
  } catch {
    throw new ApiError('Cannot reach the runbox server. Check that it is running and try again.');
  }
  const text = await res.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: described below by status
  }
  if (res.ok && body !== null) return body as T;
  throw describeFailure(res, body as Partial<ErrorResponse> | null);
}

function describeFailure(res: Response, body: Partial<ErrorResponse> | null): ApiError {
  const detail = body?.message ? `: ${body.message}` : '';
  const field = typeof body?.field === 'string' ? body.field : null;
  switch (res.status) {
    case 400:
      return new ApiError(`${body?.error ?? 'Invalid request'}${detail}`, 400, field);
    case 413:
      return new ApiError(`Too large${detail || ': the code or input is over the size limit'}`, 413, field);
    case 429:
      return new ApiError('Too many runs in a short time. Wait a moment and run again.', 429);
    case 502:
      return new ApiError('Cannot reach the runbox server. Check that it is running and try again.', 502);
    case 503:
    case 504: {
      const retry = res.headers.get('retry-after');
      return new ApiError(`The server is busy${retry ? `; try again in ${retry} s` : '; try again shortly'}.`, res.status);
    }
    default:
      return new ApiError(`Unexpected answer from the server (HTTP ${res.status})${detail}.`, res.status);
  }
}

export function fetchLanguages(): Promise<LanguageInfo[]> {
  return call<LanguageInfo[]>('/api/languages');
}

export interface ExecuteInput {
  language: string;
  code: string;
  stdin: string;
  args: string[];
}

export function execute(input: ExecuteInput): Promise<ExecuteResponse> {
  return call<ExecuteResponse>('/api/execute', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
}
