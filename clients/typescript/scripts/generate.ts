/**
 * Regenerates the client's types from runbox's OpenAPI document:
 *
 *   npm run generate --workspace clients/typescript            # a runbox of its own, default settings
 *   npm run generate --workspace clients/typescript -- URL     # the document a running server serves
 *
 * writes openapi.json (the document, as served) and src/schema.ts (its types, by
 * openapi-typescript). With no URL it starts the API built in backend/dist (`npm run build`
 * first; as root, as runbox always runs) on a free port with a temporary database and the
 * default settings, which are the settings the suite's servers document too:
 * tests/client.test.ts fails when the committed files are not what the live document makes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { documentSource, schemaSource } from './codegen.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

async function liveDocument(url: string): Promise<object> {
  const res = await fetch(new URL('/api/openapi.json', url));
  if (!res.ok) throw new Error(`${url} answered ${res.status} for /api/openapi.json`);
  return (await res.json()) as object;
}

/** The document of a runbox started here with the default settings (nothing from this shell's RUNBOX_* variables). */
async function defaultDocument(): Promise<object> {
  const dist = path.resolve(root, '../../backend/dist');
  const { loadConfig } = (await import(path.join(dist, 'config.js'))) as typeof import('../../../backend/src/config.ts');
  const { createLogger } = (await import(path.join(dist, 'log.js'))) as typeof import('../../../backend/src/log.ts');
  const { startRunbox } = (await import(path.join(dist, 'server.js'))) as typeof import('../../../backend/src/server.ts');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'runbox-generate-'));
  const config = loadConfig({
    PATH: process.env.PATH,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'warn',
    RUNBOX_DATA_DIR: dataDir,
    // a tag of its own: a server with the same tag would sweep the run users of this one
    RUNBOX_INSTANCE: process.env.RUNBOX_INSTANCE || 'd0c',
    RUNBOX_USER_POOL: '1',
  });
  const runbox = await startRunbox(config, createLogger(config.logLevel));
  try {
    return await liveDocument(runbox.url);
  } finally {
    // the server's own timers do not keep a process alive: this one does, until it has stopped
    const alive = setInterval(() => undefined, 1000);
    await runbox.shutdown().finally(() => clearInterval(alive));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const url = process.argv[2];
const document = url ? await liveDocument(url) : await defaultDocument();
writeFileSync(path.join(root, 'openapi.json'), documentSource(document));
writeFileSync(path.join(root, 'src/schema.ts'), await schemaSource(document));
console.log(`wrote openapi.json and src/schema.ts from ${url ?? 'a runbox with the default settings'}`);
