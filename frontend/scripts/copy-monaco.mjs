// Monaco is served from this app's own static files: the editor's default loader would
// fetch it from a CDN, and offline it would then stay on "Loading..." forever. They go under
// their version (public/monaco/<version>/vs): next.config.mjs lets browsers keep them a year,
// and an upgrade's files are at another address.
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const packageJson = require.resolve('monaco-editor/package.json');
const { version } = JSON.parse(readFileSync(packageJson, 'utf8'));
const source = path.join(path.dirname(packageJson), 'min', 'vs');
const root = path.join(here, '..', 'public', 'monaco');
const target = path.join(root, version, 'vs');
if (!existsSync(path.join(source, 'loader.js'))) throw new Error(`no AMD build of Monaco at ${source}`);
// an earlier version's files (and those of before versioned paths, public/monaco/vs) go
rmSync(root, { recursive: true, force: true });
cpSync(source, target, { recursive: true });
console.log(`monaco: ${source} -> ${target}`);
