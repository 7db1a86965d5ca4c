/**
 * What is wrong with a problem package, naming the file (relative to the package) and,
 * where it can, the line: an admin fixes the package from this message alone.
 */
export class PackageError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
    readonly line?: number,
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${problem}`);
  }
}
