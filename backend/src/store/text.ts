import type { ProgramFile } from '../protocol.js';

/**
 * Program text (code, stdin, test data) may hold any character, NUL and lone surrogates
 * included, which PostgreSQL's text type refuses or would change. Such columns hold the
 * string JSON-encoded: exact on both databases. Titles, statements and the like do not.
 */
export const encodeText = (s: string): string => JSON.stringify(s);
export const decodeText = (stored: string): string => JSON.parse(stored) as string;

/** A program's files, or none (a program given as code), the same way: names and contents exact. */
export const encodeFiles = (files: readonly ProgramFile[] | null): string | null => (files ? JSON.stringify(files) : null);
export const decodeFiles = (stored: string | null): ProgramFile[] | null => (stored === null ? null : (JSON.parse(stored) as ProgramFile[]));
