import { describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
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
  test('a backup taken while the API runs restores, while it runs, to exactly that moment', async () => {
    const dataDir = tempDataDir();
    const env = { RUNBOX_DATA_DIR: dataDir, RUNBOX_USER_POOL: '0', ...(kind === 'postgres' ? { DATABASE_URL: postgres().createDatabase('backup') } : {}) };

    const server = await startServerProcess(env);
    try {
      const before = await saveSnippet(server.url, 'print("before the backup")');
      const backedUp = await backupScript(env, 'backup');
      const { file } = JSON.parse(backedUp.stdout);
      expect(JSON.parse(backedUp.stdout)).toMatchObject({ message: 'backup written', store: kind });
      // root's alone, inside the data directory that runs cannot see
      expect(path.dirname(file)).toBe(path.join(dataDir, 'backups'));
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const after = await saveSnippet(server.url, 'print("after the backup")');

      await expect(backupScript(env, 'backup', file)).rejects.toThrow(/exists/);
      await expect(backupScript(env, 'restore', '/etc/hostname')).rejects.toThrow();

      const restored = await backupScript(env, 'restore', file);
      expect(JSON.parse(restored.stdout)).toMatchObject({ message: 'restored', store: kind });
      // the running API serves the restored data at once and keeps writing
      expect((await httpRequest(`${server.url}/api/snippets/${before}`, 'GET')).json.code).toBe('print("before the backup")');
      expect((await httpRequest(`${server.url}/api/snippets/${after}`, 'GET')).status).toBe(404);
      expect((await httpRequest(`${server.url}/api/problems/a-plus-b`, 'GET')).status).toBe(200);
      const later = await saveSnippet(server.url, 'print("writable after the restore")');
      expect((await httpRequest(`${server.url}/api/snippets/${later}`, 'GET')).status).toBe(200);

      if (kind === 'sqlite') {
        // nothing is lost by restoring: the replaced data was backed up first, whole
        const aside = JSON.parse(restored.stdout).previousDataKeptAt as string;
        expect(statSync(aside).mode & 0o777).toBe(0o600);
        const db = new DatabaseSync(aside, { readOnly: true });
        try {
          expect(db.prepare('SELECT code FROM snippets WHERE id = ?').get(after)).toEqual({ code: JSON.stringify('print("after the backup")') });
        } finally {
          db.close();
        }
      }
    } finally {
      expect(await stopServerProcess(server)).toBe(0);
    }
    // and after a restart too
    const again = await startServerProcess(env);
    try {
      expect((await httpRequest(`${again.url}/api/snippets/${await saveSnippet(again.url, 'x')}`, 'GET')).status).toBe(200);
    } finally {
      expect(await stopServerProcess(again)).toBe(0);
    }
  }, 120000);
});
