/**
 * Program text (code, stdin, test data) may hold any character, NUL and lone surrogates
 * included, which PostgreSQL's text type refuses or would change. Such columns hold the
 * string JSON-encoded: exact on both databases. Titles, statements and the like do not.
 */
export const encodeText = (s: string): string => JSON.stringify(s);
export const decodeText = (stored: string): string => JSON.parse(stored) as string;
