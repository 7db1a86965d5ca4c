import { describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { promisify } from 'node:util';
import { httpRequest } from './helpers/runbox.js';
import { startServerProcess, stopServerProcess, tempDataDir, useServerProcessesAndPostgres } from './helpers/server-process.js';

/** scripts/backup.ts, as an operator runs it, on both stores. */

const run = promisify(execFile);
const postgres = useServerProcessesAndPostgres();

const backupScript = (env: Record<string, string>, ...args: string[]) => run(process.execPath, ['scripts/backup.ts', ...args], { env: { ...process.env, ...env } });

async function saveSnippet(url: string, code: string): Promise<string> {
  const reply = await httpRequest(`${url}/api/snippets`, 'POST', { language: 'python', code });
  expect(reply.status).toBe(201);
  return reply.json.id;
}

describe.each(['sqlite', 'postgres'] as const)('%s', (kind) => {
  test('a backup taken while the API runs restores to exactly that moment', async () => {
    const dataDir = tempDataDir();
    const env = { RUNBOX_DATA_DIR: dataDir, RUNBOX_USER_POOL: '0', ...(kind === 'postgres' ? { DATABASE_URL: postgres().createDatabase('backup') } : {}) };
    const file = path.join(tempDataDir(), kind === 'sqlite' ? 'backup.db' : 'backup.pgdump');

    const first = await startServerProcess(env);
    const before = await saveSnippet(first.url, 'print("before the backup")');
    const backedUp = await backupScript(env, 'backup', file);
    expect(JSON.parse(backedUp.stdout)).toMatchObject({ message: 'backup written', file, store: kind });
    const after = await saveSnippet(first.url, 'print("after the backup")');
    expect(await stopServerProcess(first)).toBe(0);

    // restoring over an existing file name is refused; a non-database is refused
    await expect(backupScript(env, 'backup', file)).rejects.toThrow(/exists/);
    await expect(backupScript(env, 'restore', '/etc/hostname')).rejects.toThrow();

    const restored = await backupScript(env, 'restore', file);
    expect(JSON.parse(restored.stdout)).toMatchObject({ message: 'restored', store: kind });

    const second = await startServerProcess(env);
    try {
      expect((await httpRequest(`${second.url}/api/snippets/${before}`, 'GET')).json.code).toBe('print("before the backup")');
      expect((await httpRequest(`${second.url}/api/snippets/${after}`, 'GET')).status).toBe(404);
      expect((await httpRequest(`${second.url}/api/problems/a-plus-b`, 'GET')).status).toBe(200);
      await saveSnippet(second.url, 'print("writable after the restore")');
    } finally {
      expect(await stopServerProcess(second)).toBe(0);
    }

    if (kind === 'sqlite') {
      // nothing is lost by restoring: the replaced data is kept aside, whole
      const aside = readdirSync(dataDir).find((f) => f.includes('before-restore'));
      expect(aside).toBeDefined();
      const db = new DatabaseSync(path.join(dataDir, aside!), { readOnly: true });
      try {
        expect(db.prepare('SELECT code FROM snippets WHERE id = ?').get(after)).toEqual({ code: 'print("after the backup")' });
      } finally {
        db.close();
      }
    }
  }, 120000);
});
