import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import type { LanguageInfo, PackageInfo } from '../protocol.js';
import { formatterLanguage, LanguageSet, type LanguageSpec } from './registry.js';

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

/** The first of the sandbox PATH's entries holding an executable `command` (or the path itself, if absolute). */
export function findCommand(command: string, sandboxPath: string): string | null {
  const candidates = command.includes('/') ? [command] : sandboxPath.split(':').filter(Boolean).map((dir) => path.join(dir, command));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** The languages this server offers: the entries whose toolchain is installed, as found at start. */
export class OfferedLanguages extends LanguageSet {
  constructor(
    all: readonly LanguageSpec[],
    /** What /api/languages answers. */
    readonly info: readonly LanguageInfo[],
    /** Toolchain banners by language id: part of the compile cache key. */
    readonly toolchains: Readonly<Record<string, string>>,
    /** Entries left out, and why (logged at start). */
    readonly missing: readonly { id: string; reason: string }[],
    /** By language id, the languages whose formatter was found: each as the language a format run runs (registry.ts formatterLanguage). */
    private readonly formatters: Readonly<Record<string, LanguageSpec>> = {},
  ) {
    super(all);
  }

  /** What formats `lang`'s code on this server (a run's language), or undefined. */
  formatter(lang: LanguageSpec): LanguageSpec | undefined {
    return Object.hasOwn(this.formatters, lang.id) ? this.formatters[lang.id] : undefined;
  }
}

/**
 * Checks each entry's toolchain: every command it names is on the sandbox PATH and the
 * version command answers. Only those languages are offered; their packages are checked
 * the same way (the entry's names and the operator's extra ones), and so is their
 * formatter (its commands are there and it formats the template).
 */
export async function probeLanguages(set: LanguageSet, sandboxPath: string, extraPackages: Readonly<Record<string, readonly string[]>> = {}): Promise<OfferedLanguages> {
  const probed = await Promise.all(
    set.all.map(async (lang) => {
      const absent = lang.toolchain.commands.filter((c) => !findCommand(c, sandboxPath));
      if (absent.length > 0) return { lang, reason: `not on the sandbox PATH: ${absent.join(', ')}` };
      const { version, banner } = await probeVersion(lang, sandboxPath);
      if (!version || !banner) return { lang, reason: `\`${lang.versionCommand.join(' ')}\` did not report a version` };
      const [packages, formats] = await Promise.all([probePackages(lang, [...(lang.packages?.names ?? []), ...(extraPackages[lang.id] ?? [])], sandboxPath), probeFormatter(lang, sandboxPath)]);
      return { lang, version, banner, packages, formats, reason: undefined };
    }),
  );
  const offered = probed.filter((p) => p.version !== undefined);
  return new OfferedLanguages(
    offered.map((p) => p.lang),
    offered.map((p) => languageInfo(p.lang, p.version!, p.packages!, p.formats!)),
    Object.fromEntries(offered.map((p) => [p.lang.id, p.banner!])),
    probed.flatMap((p) => (p.reason !== undefined ? [{ id: p.lang.id, reason: p.reason }] : [])),
    Object.fromEntries(offered.flatMap((p) => (p.formats ? [[p.lang.id, formatterLanguage(p.lang, p.lang.format!)]] : []))),
  );
}

/**
 * Whether the language's formatter is there and works: its commands are on the sandbox
 * PATH and it formats the language's own template (run as the version command is).
 */
async function probeFormatter(lang: LanguageSpec, sandboxPath: string): Promise<boolean> {
  const format = lang.format;
  if (!format || format.toolchain.some((c) => !findCommand(c, sandboxPath))) return false;
  const [cmd, ...args] = format.command(lang.defaultSourceFile);
  const result = await execa(cmd!, args, { env: { PATH: sandboxPath }, extendEnv: false, reject: false, timeout: 20000, input: lang.template, cwd: '/' });
  return result.exitCode === 0;
}

async function probePackages(lang: LanguageSpec, names: readonly string[], sandboxPath: string): Promise<PackageInfo[]> {
  if (!lang.packages) return [];
  const found = await Promise.all(
    [...new Set(names)].map(async (name) => {
      const [cmd, ...args] = lang.packages!.check(name);
      const result = await execa(cmd!, args, { env: { PATH: sandboxPath }, extendEnv: false, reject: false, timeout: 20000 });
      if (result.exitCode !== 0) return null;
      return { name, version: result.stdout.trim().split('\n')[0]?.trim() || null };
    }),
  );
  return found.filter((p) => p !== null);
}

function languageInfo(lang: LanguageSpec, version: string, packages: PackageInfo[], formats: boolean): LanguageInfo {
  return {
    id: lang.id,
    name: lang.name,
    version,
    aliases: [...lang.aliases],
    compiled: Boolean(lang.compile),
    template: lang.template,
    ...(lang.starter !== undefined ? { starter: lang.starter } : {}),
    examples: lang.examples.map(({ title, code }) => ({ title, code })),
    monaco: lang.monaco,
    sourceFile: lang.defaultSourceFile,
    sourceExtensions: [...lang.sourceExtensions],
    packages,
    ...(formats ? { formatter: lang.format!.name } : {}),
  };
}
