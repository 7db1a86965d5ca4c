import type { ApiKeyCreated, ApiKeyRequest, ApiKeyUsage, CallbackSecretRotated } from '../protocol.js';
import type { KeyStore } from '../store/store.js';
import { newCallbackSecret, newKeyMaterial } from './api-key.js';

/** What the admin API and scripts/keys.ts both do: make a key, rotate its callback secret, read its usage. */

/** Makes a key; the answer carries the key and its callback secret, which nothing can show again. */
export async function createApiKey(keys: KeyStore, request: ApiKeyRequest): Promise<ApiKeyCreated> {
  const material = newKeyMaterial();
  const callbackSecret = newCallbackSecret();
  const { hash: _hash, ...info } = await keys.createKey(material.id, material.hash, request, callbackSecret);
  return { ...info, key: material.key, callbackSecret };
}

/**
 * A new callback secret for the key (null: no such key). The one it replaces still signs,
 * beside it, for `overlapSeconds`: receivers switch over without refusing a callback.
 */
export async function rotateCallbackSecret(keys: KeyStore, id: string, overlapSeconds: number, now = Date.now()): Promise<CallbackSecretRotated | null> {
  const callbackSecret = newCallbackSecret();
  const previousUntil = now + overlapSeconds * 1000;
  const had = await keys.callbackSecrets(id, now);
  if (!(await keys.rotateCallbackSecret(id, callbackSecret, previousUntil))) return null;
  return { id, callbackSecret, previousValidUntil: had ? new Date(previousUntil).toISOString() : null };
}

export const MAX_USAGE_DAYS = 366;

/** A key's runs and CPU time per UTC day over the last `days` days (today included). */
export async function keyUsage(keys: KeyStore, id: string, days: number): Promise<ApiKeyUsage | null> {
  const key = await keys.getKey(id);
  if (!key) return null;
  const since = new Date(Date.now() - (days - 1) * 86_400_000).toISOString().slice(0, 10);
  const rows = await keys.usage(id, since);
  const total = rows.reduce((sum, d) => ({ runs: sum.runs + d.runs, cpuMs: sum.cpuMs + d.cpuMs }), { runs: 0, cpuMs: 0 });
  return { id, name: key.name, days: rows, total };
}
