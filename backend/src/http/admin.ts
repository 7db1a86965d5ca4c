import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { matchBearer } from './api-keys.js';
import { HttpError } from './errors.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Whether the request carries the admin key (compared in constant time). */
export function isAdmin(req: Request, adminKey: string): boolean {
  if (!adminKey) return false;
  const token = matchBearer(req.get('authorization') ?? '');
  return token !== undefined && timingSafeEqual(digest(token), digest(adminKey));
}

export function requireAdmin(req: Request, adminKey: string): void {
  if (!adminKey) throw new HttpError(403, { error: 'Forbidden', message: 'the admin API is off: the server has no RUNBOX_ADMIN_KEY' });
  if (!isAdmin(req, adminKey)) {
    throw new HttpError(401, { error: 'Unauthorized', message: 'send the admin key as "Authorization: Bearer <key>"' }, { 'WWW-Authenticate': 'Bearer' });
  }
}
