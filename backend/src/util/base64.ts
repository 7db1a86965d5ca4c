/**
 * Bytes written as text in JSON: base64 (RFC 4648), as clients send it. Read leniently where
 * that loses nothing: the standard or the URL-safe alphabet, padded or not, line breaks and
 * other whitespace ignored (`base64` wraps its output at 76 columns). Anything else is not
 * base64: a caller refuses it naming the field, rather than decoding up to the first bad
 * character (which is what Buffer.from does) and running data cut short.
 */

const BASE64 = /^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$/;

/** Whether `text` is base64 (whitespace aside). */
export function isBase64(text: string): boolean {
  return BASE64.test(text.replace(/\s+/g, ''));
}

/** The bytes base64 `text` stands for, or null when it is not base64. */
export function decodeBase64(text: string): Buffer | null {
  return isBase64(text) ? Buffer.from(text.replace(/\s+/g, ''), 'base64') : null;
}

/** Standard base64, padded: what runbox writes. */
export function encodeBase64(bytes: Buffer | string): string {
  return (typeof bytes === 'string' ? Buffer.from(bytes) : bytes).toString('base64');
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The text `bytes` are when they are valid UTF-8 (a byte order mark kept: the bytes come
 * back the same), else null.
 */
export function utf8Text(bytes: Uint8Array): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}
