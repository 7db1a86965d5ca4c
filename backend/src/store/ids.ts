import { createHash, randomBytes } from 'node:crypto';

/**
 * 96 random bits, URL-safe: 16 characters nobody can guess or enumerate. Never with a
 * leading '-', which a command line reads as an option (`node scripts/keys.ts revoke -x…`):
 * one id in 64 is drawn again.
 */
export function newId(): string {
  for (;;) {
    const id = randomBytes(12).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export const ID_PATTERN = /^[A-Za-z0-9_-]{16}$/;

/** Visitors' keys are secrets: the store keeps only this digest of them. */
export function visitorDigest(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
