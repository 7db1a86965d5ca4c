import type { ErrorResponse } from '../protocol.js';

/** An error the client caused or must know about: becomes a JSON response, never a stack. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorResponse,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.message ?? body.error);
  }
}

export const badField = (field: string, message: string, status = 400) =>
  new HttpError(status, { error: status === 413 ? 'Payload too large' : 'Invalid request', field, message: `${field} ${message}` });
