import type { Store } from '../store/store.js';
import { storeFailed } from './metrics.js';

/**
 * The store with every failed operation counted (runbox_store_errors_total, labelled with
 * the Store method's name), so neither driver nor any caller needs a hook of its own. The
 * error itself still reaches the caller unchanged.
 */
export function countStoreErrors(store: Store): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      const method = value as (...args: unknown[]) => unknown;
      return (...args: unknown[]) => {
        try {
          const out = method.apply(target, args);
          return out instanceof Promise ? out.catch((err: unknown) => fail(property, err)) : out;
        } catch (err) {
          return fail(property, err);
        }
      };
    },
  });
}

function fail(operation: string, err: unknown): never {
  storeFailed(operation);
  throw err;
}
