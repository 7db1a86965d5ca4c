import type { Request } from 'express';
import { VISITOR_HEADER, VISITOR_KEY } from '../protocol.js';
import { badField } from './errors.js';

/** The visitor's history key from the request, if it sent one; a malformed one is a 400. */
export function visitorKey(req: Request): string | null {
  const key = req.get(VISITOR_HEADER);
  if (key === undefined) return null;
  if (!VISITOR_KEY.test(key)) throw badField(VISITOR_HEADER, 'must be 22 to 128 characters of A-Z, a-z, 0-9, - and _ (at least 128 random bits)');
  return key;
}

export function requireVisitorKey(req: Request): string {
  const key = visitorKey(req);
  if (key === null) throw badField(VISITOR_HEADER, 'is required: it names your history');
  return key;
}
