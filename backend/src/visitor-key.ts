/**
 * The visitor key's wire format, apart from protocol.ts so the browser can import it
 * without zod: the header that names a visitor's own history, and what a key must look like.
 */
export const VISITOR_HEADER = 'X-Runbox-Visitor';
/** At least 128 bits in base64url (22 characters); the server stores only its hash. */
export const VISITOR_KEY = /^[A-Za-z0-9_-]{22,128}$/;
