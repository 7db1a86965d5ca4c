import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { newId } from '../store/ids.js';

/**
 * An API key is `rbx_<id>.<secret>`: the id (96 random bits) names the key in the store,
 * the admin API and the logs; the secret (256 random bits) is what proves it. The store
 * keeps only a SHA-256 of the whole key: with 256 random bits there is nothing to guess,
 * so a slow password hash would only cost CPU on every request. The key itself is shown
 * once, when it is made, and never again.
 */
export const KEY_PREFIX = 'rbx_';
const KEY_FORMAT = /^rbx_([A-Za-z0-9_-]{16})\.[A-Za-z0-9_-]{43}$/;

export interface NewKeyMaterial {
  id: string;
  /** the key to hand to its user: shown once */
  key: string;
  /** what the store keeps */
  hash: string;
}

export function keyHash(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function newKeyMaterial(): NewKeyMaterial {
  const id = newId();
  const key = `${KEY_PREFIX}${id}.${randomBytes(32).toString('base64url')}`;
  return { id, key, hash: keyHash(key) };
}

/** The key's id, when `token` has a key's shape (else null: it is no key of ours). */
export function keyIdOf(token: string): string | null {
  return KEY_FORMAT.exec(token)?.[1] ?? null;
}

/** Whether `token` is the key whose hash the store holds, compared in constant time. */
export function keyMatches(token: string, storedHash: string): boolean {
  const stored = Buffer.from(storedHash, 'hex');
  const given = createHash('sha256').update(token).digest();
  return stored.length === given.length && timingSafeEqual(stored, given);
}

/**
 * A key's own secret for signing its submissions' callbacks (`rbxcb_` + 256 random bits):
 * each tenant verifies with a secret no other tenant has, so none can forge another's
 * callbacks. Shown when the key is made and when it is rotated, never again.
 */
export function newCallbackSecret(): string {
  return `rbxcb_${randomBytes(32).toString('base64url')}`;
}
