import { access } from 'node:fs/promises';

/** Whether a path exists (and is reachable by us). */
export const pathExists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);
