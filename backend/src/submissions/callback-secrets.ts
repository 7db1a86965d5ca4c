import type { KeyStore } from '../store/store.js';
import type { CallbackSecretLookup } from './callback-delivery.js';

/**
 * Which secrets sign a submission's callback. A key's submissions are signed with the
 * key's own secret (and, during a rotation's overlap, the previous one too): a tenant who
 * can verify its callbacks cannot forge another tenant's. Anonymous submissions, and keys
 * made before keys had secrets (until their first rotation), use the server's
 * RUNBOX_CALLBACK_SECRET; with none of these, callbacks are off for that submitter.
 */
export function callbackSecretLookup(keys: KeyStore, serverSecret: string): CallbackSecretLookup {
  return async (owner) => {
    const own = owner === null ? null : await keys.callbackSecrets(owner);
    if (own) return own.previous ? [own.current, own.previous] : [own.current];
    return serverSecret ? [serverSecret] : [];
  };
}
