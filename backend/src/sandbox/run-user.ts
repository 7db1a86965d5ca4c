import path from 'node:path';
import { killAllOfUid } from './proc.js';
import { createRunUser, deleteRunUser, runUserName, type RunUser } from './users.js';
import { mountWorkspace, removeWorkspace } from './workspace.js';

/**
 * A run user's whole life outside the jail: born with an empty private home, and at the
 * end every process of it killed, its home unmounted and removed, the account deleted.
 */

export async function provisionRunUser(runId: string, homeRoot: string, workspaceMb: number, instance = ''): Promise<RunUser> {
  const name = runUserName(runId, instance);
  const user = await createRunUser(name, path.join(homeRoot, name));
  try {
    await mountWorkspace(user, workspaceMb);
  } catch (err) {
    await destroyRunUser(user).catch(() => undefined);
    throw err;
  }
  return user;
}

/** Idempotent: safe on a half-made user and on one a crashed server left behind. */
export async function destroyRunUser(user: { name: string; uid: number | null; home: string }): Promise<void> {
  if (user.uid !== null) await killAllOfUid(user.uid);
  await removeWorkspace(user.home);
  await deleteRunUser(user.name);
}
