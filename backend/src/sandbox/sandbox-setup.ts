import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';
import type { LanguageSpec } from '../languages/registry.js';
import { RunAccounts } from './accounts.js';
import { prepareIsolation } from './isolation.js';
import type { UidRange } from './uid-slices.js';
import type { JailIsolation } from './jail.js';

/**
 * The sandbox's two long-lived parts as the configuration asks for them: how jails are
 * built (the allowlisted root, the launcher, the filter) and how run users are made. One
 * place for the server and the benchmark. Jails see the toolchains of `languages` (the
 * ones offered); run users take uids from `uids` (this server's slice).
 */
export async function openSandbox(config: Config, stateDir: string, languages: readonly LanguageSpec[], uids: UidRange): Promise<{ isolation: JailIsolation; accounts: RunAccounts }> {
  // the compiler archives are bound into jails: the directory must exist before the root is planned
  await mkdir(config.archiveDir, { recursive: true, mode: 0o755 });
  const isolation = await prepareIsolation({
    network: config.allowNetwork,
    // the database directory is root-only already; hidden too, in case it sits inside an allowlisted tree
    hiddenPaths: [...config.hiddenPaths, config.dataDir],
    stateDir,
    nativeDir: config.nativeDir,
    sandboxPath: config.sandboxPath,
    toolchainCommands: [...new Set(languages.flatMap((lang) => lang.toolchain.commands))],
    extraReadOnly: [config.archiveDir, ...new Set(languages.flatMap((lang) => lang.toolchain.paths))],
    jail: config.jail,
    homeRoot: config.homeRoot,
  });
  const accounts = new RunAccounts({
    tool: path.join(config.nativeDir, 'runbox-accounts'),
    homeRoot: config.homeRoot,
    workspaceMb: config.workspaceMb,
    instance: config.instance,
    uidMin: uids.min,
    uidMax: uids.max,
  });
  return { isolation, accounts };
}
