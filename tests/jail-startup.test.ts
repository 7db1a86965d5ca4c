import { describe, expect, test } from '@jest/globals';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findLeftovers, NOTHING_LEFT } from './helpers/leftovers.js';
import { startTestRunbox } from './helpers/runbox.js';

/**
 * The isolation a server reports is probed in a real jail at start, and a layer the
 * operator requires (RUNBOX_REQUIRED_LAYERS) that is not in force stops the server.
 * No other server runs in this file: one may start here.
 */

describe('start-up', () => {
  test('a server whose filter lets user namespaces through refuses to start and names the layer', async () => {
    const native = await mkdtemp(path.join(os.tmpdir(), 'runbox-native-'));
    try {
      const real = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'backend', 'native', 'build');
      for (const helper of ['runbox-jail', 'runbox-accounts']) await copyFile(path.join(real, helper), path.join(native, helper));
      // a filter of one instruction: SECCOMP_RET_ALLOW for everything
      await writeFile(path.join(native, 'seccomp-export'), "#!/bin/sh\nprintf '\\006\\000\\000\\000\\000\\000\\377\\177'\n", { mode: 0o755 });
      await expect(startTestRunbox({ RUNBOX_NATIVE_DIR: native })).rejects.toThrow(
        /required isolation missing: userNamespacesBlocked/,
      );
    } finally {
      await rm(native, { recursive: true, force: true });
    }
    expect(await findLeftovers()).toEqual(NOTHING_LEFT);
  });
});

