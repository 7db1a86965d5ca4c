import type { ContentEncoding } from '../protocol.js';
import { decodeBase64, utf8Text } from '../util/base64.js';
import { badField } from './errors.js';

/*
 * The content fields of /api/execute's and /api/submissions' requests as the run takes them,
 * from text or from base64 as the request's `encoding` says (protocol.ts, CONTENT_ENCODINGS).
 */

/** The content fields of a request as given (text, or base64 when `encoding` says so). */
export interface EncodedContent {
  encoding?: ContentEncoding;
  code?: string;
  files?: readonly { name: string; content: string; main?: boolean }[];
  stdin?: string;
  expectedOutput?: string;
}

/** The content as the run takes it: text where the bytes are UTF-8, else the bytes. The code is always text. */
export interface DecodedContent {
  code?: string;
  files?: { name: string; content: string | Buffer; main?: boolean }[];
  stdin?: string | Buffer;
  expectedOutput?: string | Buffer;
}

/**
 * The request's content decoded: as it is for `utf8`; for `base64` each field's bytes, kept
 * as text when they are UTF-8 (so nothing downstream changes for text), else as bytes. A
 * field that is not base64 is a 400 naming it; so is code that is not UTF-8 (source is
 * text: data goes in another of `files`, which may be any bytes).
 */
export function decodeContent(fields: EncodedContent): DecodedContent {
  const { code, files, stdin, expectedOutput } = fields;
  if (fields.encoding !== 'base64') return { code, files: files?.map((f) => ({ ...f })), stdin, expectedOutput };
  const bytes = (field: string, text: string): Buffer => {
    const decoded = decodeBase64(text);
    if (!decoded) throw badField(field, 'is not valid base64 (encoding is base64)');
    return decoded;
  };
  const textOrBytes = (field: string, text: string): string | Buffer => {
    const decoded = bytes(field, text);
    return utf8Text(decoded) ?? decoded;
  };
  const out: DecodedContent = {};
  if (code !== undefined) {
    const text = utf8Text(bytes('code', code));
    if (text === null) throw badField('code', 'decodes to bytes that are not UTF-8 text: source code is text (give binary data as another of files)');
    out.code = text;
  }
  if (files !== undefined) out.files = files.map((f, i) => ({ ...f, content: textOrBytes(`files[${i}].content`, f.content) }));
  if (stdin !== undefined) out.stdin = textOrBytes('stdin', stdin);
  if (expectedOutput !== undefined) out.expectedOutput = textOrBytes('expectedOutput', expectedOutput);
  return out;
}

/** Text as it is, bytes as UTF-8 text (invalid sequences as U+FFFD): for the history, which keeps text. */
export const asText = (content: string | Buffer): string => (typeof content === 'string' ? content : content.toString('utf8'));
