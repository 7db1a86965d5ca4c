import type express from 'express';

/** One method of one route the Express app answers, with the handlers it runs in order. */
export interface RegisteredRoute {
  method: string;
  /** Express form, prefixes joined: /api/snippets/:id */
  path: string;
  /** The Express Route object (what req.route is while the request is in it). */
  route: object;
  /** The router the route is on, and its path as written there (what describeRoute names). */
  router: object;
  localPath: string;
}

interface RouterLayer {
  route?: { path: unknown; methods: Record<string, boolean> };
  handle: { stack?: RouterLayer[] };
  rawPath?: unknown;
}

/**
 * Every route the app registers, found by walking its router and the routers mounted in it
 * (Express 5's router). What the OpenAPI document, its completeness test and the request
 * metrics are built from, so a route added anywhere is seen by all three.
 */
export function registeredRoutes(app: express.Express): RegisteredRoute[] {
  const found: RegisteredRoute[] = [];
  walk((app as unknown as { router: Router }).router, '', found);
  return found;
}

/** Every router in the app (the app's own first), for finding descriptions of routes that do not exist. */
export function registeredRouters(app: express.Express): object[] {
  const routers: object[] = [];
  const visit = (router: Router) => {
    routers.push(router);
    for (const layer of router.stack) if (Array.isArray(layer.handle.stack)) visit(layer.handle as Router);
  };
  visit((app as unknown as { router: Router }).router);
  return routers;
}

interface Router {
  stack: RouterLayer[];
}

function walk(router: Router, prefix: string, found: RegisteredRoute[]): void {
  for (const layer of router.stack) {
    if (layer.route) {
      const { route } = layer;
      // a regular expression or a list of paths has no OpenAPI form: it shows as written, and
      // the completeness test names it (never an exception here: request metrics walk this too)
      const localPath = typeof route.path === 'string' ? route.path : String(route.path);
      for (const method of Object.keys(route.methods).filter((m) => m !== '_all')) {
        found.push({ method, path: prefix + localPath, route, router, localPath });
      }
    } else if (Array.isArray(layer.handle.stack)) {
      // a mounted router: app.use('/api', router)
      const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      walk(layer.handle as Router, prefix + mount, found);
    }
  }
}
