// Monaco is served from this app's own static files: the editor's default loader would
// fetch it from a CDN, and offline it would then stay on "Loading..." forever.
import { cpSync, existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const source = path.join(path.dirname(require.resolve('monaco-editor/package.json')), 'min', 'vs');
const target = path.join(here, '..', 'public', 'monaco', 'vs');
if (!existsSync(path.join(source, 'loader.js'))) throw new Error(`no AMD build of Monaco at ${source}`);
rmSync(target, { recursive: true, force: true });
cpSync(source, target, { recursive: true });
console.log(`monaco: ${source} -> ${target}`);
