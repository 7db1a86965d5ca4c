/**
 * Same-origin proxy to the runbox API, so the browser only ever talks to this origin.
 * The API's address is read at run time (RUNBOX_API_URL), not baked in at build.
 */
import { VISITOR_HEADER } from '../../../lib/api';

export const dynamic = 'force-dynamic';

/** Answer headers the browser may need. */
const PASSED_HEADERS = ['content-type', 'cache-control', 'retry-after', 'x-runbox-instance', 'content-security-policy', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'ratelimit-policy'];

async function proxy(req: Request, { params }: { params: Promise<{ path: string[] }> }): Promise<Response> {
  const { path } = await params;
  const base = (process.env.RUNBOX_API_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
  const upstream = `${base}/api/${path.map(encodeURIComponent).join('/')}${new URL(req.url).search}`;
  try {
    const headers: Record<string, string> = { 'content-type': req.headers.get('content-type') ?? 'application/octet-stream' };
    // the visitor's key names their history; nothing else of the browser's request goes on
    const visitor = req.headers.get(VISITOR_HEADER);
    if (visitor) headers[VISITOR_HEADER] = visitor;
    // but a key given on purpose (Bearer): the admin's (the problem packages page) or an API
    // key. A browser never adds one by itself, and another site's page cannot set it without
    // a preflight; Basic credentials a browser sends to a playground behind a password stay here
    const authorization = req.headers.get('authorization');
    if (authorization && /^bearer\s/i.test(authorization)) headers.authorization = authorization;
    // and the page's origin: the API refuses bodies a page of another site could send
    // without a CORS preflight (text/plain to /api/v2/execute) when it knows the page
    const pageOrigin = req.headers.get('origin');
    if (pageOrigin) headers.origin = pageOrigin;
    // share links name the playground's address, not the API's: the Host this request came
    // to (never a client's X-Forwarded-Host); the scheme nginx saw, if nginx is in front
    const origin = new URL(req.url);
    headers['x-forwarded-host'] = req.headers.get('host') ?? origin.host;
    headers['x-forwarded-proto'] = req.headers.get('x-forwarded-proto') === 'https' ? 'https' : origin.protocol.replace(':', '');
    // the visitor's address (frontend/server.ts appends it): anonymous quotas count per visitor
    const forwardedFor = req.headers.get('x-forwarded-for');
    if (forwardedFor) headers['x-forwarded-for'] = forwardedFor;
    // a body goes on as it arrives, bytes untouched (a problem package's zip may be 128 MB)
    const streamed = req.method !== 'GET' && req.method !== 'HEAD' && req.body !== null;
    const res = await fetch(upstream, {
      method: req.method,
      headers,
      body: streamed ? req.body : undefined,
      cache: 'no-store',
      // undici's own: a streamed request body goes one way at a time
      ...(streamed ? { duplex: 'half' } : {}),
    } as RequestInit);
    const answerHeaders = new Headers();
    for (const name of PASSED_HEADERS) {
      const value = res.headers.get(name);
      if (value) answerHeaders.set(name, value);
    }
    // 204 (a DELETE) and 304 answers have no body, and a Response with one would throw
    const body = res.status === 204 || res.status === 304 ? null : await res.arrayBuffer();
    return new Response(body, { status: res.status, headers: answerHeaders });
  } catch {
    return Response.json({ error: 'Bad gateway', message: 'the runbox API cannot be reached' }, { status: 502 });
  }
}

export { proxy as DELETE, proxy as GET, proxy as POST };
