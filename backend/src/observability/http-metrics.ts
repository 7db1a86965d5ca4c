import type express from 'express';
import { registeredRoutes } from '../http/registered-routes.js';
import { httpAnswered, refused } from './metrics.js';

/**
 * Counts every answer by method, route pattern and status, and times it (from this, the
 * app's first middleware, until the answer's last byte is handed to the socket) by status
 * class. The route is the pattern the request matched (/api/snippets/:id), never its URL,
 * and anything that matched no route is `unmatched`: scanners probing random paths add no
 * series. Every 429 the app sends
 * (a rate limit or quota, by whatever handler) is also a `rate_limited` refusal.
 */
export function countRequests(app: express.Express): express.RequestHandler {
  let patterns: WeakMap<object, string> | undefined;
  return (req, res, next) => {
    const started = performance.now();
    res.on('finish', () => {
      // routes are all registered by the time the first request is answered
      patterns ??= new WeakMap(registeredRoutes(app).map((r) => [r.route, r.path]));
      const route = (req.route && patterns.get(req.route as object)) || 'unmatched';
      httpAnswered(req.method, route, res.statusCode, (performance.now() - started) / 1000);
      if (res.statusCode === 429) refused('rate_limited');
    });
    next();
  };
}
