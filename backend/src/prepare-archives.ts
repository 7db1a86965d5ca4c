import { loadConfig } from './config.js';
import { prepareBuildCaches } from './languages/build-caches.js';
import { prepareCompilerArchives } from './languages/compiler-archives.js';
import { loadLanguages } from './languages/load.js';
import { probeLanguages } from './languages/toolchains.js';

/** Records compiler startup archives and build caches ahead of the first start (the Dockerfile runs this). */
const config = loadConfig();
const languages = await probeLanguages(loadLanguages(config.languagesDir), config.sandboxPath);
const archives = await prepareCompilerArchives(languages.all, languages.toolchains, config.archiveDir, config.sandboxPath);
const buildCaches = await prepareBuildCaches(languages.all, languages.toolchains, config.archiveDir, config.sandboxPath);
console.log(JSON.stringify({ message: 'compiler archives ready', archives, buildCaches }));
