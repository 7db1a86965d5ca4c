import { execa } from 'execa';
import type { LanguageSpec } from './registry.js';

export interface ToolchainVersion {
  version: string | null;
  /** The first line the toolchain printed, e.g. "g++ (Debian 12.2.0-14) 12.2.0". */
  banner: string | null;
}

/** Asks the real toolchain, found on the sandbox PATH: what runs is what is reported. */
export async function probeVersion(lang: LanguageSpec, sandboxPath: string): Promise<ToolchainVersion> {
  const [cmd, ...args] = lang.versionCommand;
  const result = await execa(cmd!, args, { env: { PATH: sandboxPath }, extendEnv: false, reject: false, timeout: 20000 });
  const banner = `${result.stdout}\n${result.stderr}`.trim().split('\n')[0]?.trim() || null;
  if (result.exitCode !== 0 || !banner) return { version: null, banner: null };
  const version = /\d+(?:\.\d+)+/.exec(banner.replace(/\([^)]*\)/g, ''))?.[0] ?? null;
  return { version, banner };
}
