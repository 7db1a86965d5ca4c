import { createHash, randomBytes } from 'node:crypto';

/** 96 random bits, URL-safe: 16 characters nobody can guess or enumerate. */
export function newId(): string {
  return randomBytes(12).toString('base64url');
}

export const ID_PATTERN = /^[A-Za-z0-9_-]{16}$/;

/** Visitors' keys are secrets: the store keeps only this digest of them. */
export function visitorDigest(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
