import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { PackageError } from './package-error.js';

/**
 * A YAML file of the package checked against a schema; any error names the file and the
 * line of the key (or the syntax error) at fault.
 */
export function parseYamlFile<S extends z.ZodType>(file: string, text: string, schema: S): z.output<S> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const [syntax] = doc.errors;
  if (syntax) throw new PackageError(file, syntax.message.split('\n')[0]!, syntax.linePos?.[0]?.line);
  const parsed = schema.safeParse(doc.toJS() ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const key = issue.path.join('.');
  const unknown = issue.code === 'unrecognized_keys' ? issue.keys : null;
  const where = unknown ? [...issue.path, unknown[0]!] : issue.path;
  const message = unknown ? `unknown key ${where.join('.')} (the format treats unknown keys as errors)` : `${key || 'the file'} ${issue.message}`;
  throw new PackageError(file, message, lineOf(doc, where, lines));
}

/** The line (1-based) of the key at `where`, or of the nearest enclosing key found. */
function lineOf(doc: Document, where: readonly PropertyKey[], lines: LineCounter): number | undefined {
  let node: unknown = doc.contents;
  let line: number | undefined;
  for (const part of where) {
    if (!isMap(node)) break;
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(part));
    if (!pair) break;
    const range = (pair.key as { range?: [number, number, number] }).range;
    if (range) line = lines.linePos(range[0]).line;
    node = pair.value;
  }
  return line;
}
