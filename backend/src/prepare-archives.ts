import { loadConfig } from './config.js';
import { prepareCompilerArchives } from './languages/compiler-archives.js';
import { LANGUAGES } from './languages/registry.js';
import { probeVersion } from './languages/versions.js';

/** Records compiler startup archives ahead of the first start (the Dockerfile runs this). */
const config = loadConfig();
const toolchains: Record<string, string | null> = {};
for (const lang of LANGUAGES) toolchains[lang.id] = (await probeVersion(lang, config.sandboxPath)).banner;
const archives = await prepareCompilerArchives(LANGUAGES, toolchains, config.archiveDir, config.sandboxPath);
console.log(JSON.stringify({ message: 'compiler archives ready', archives }));
