import { z } from 'zod';
import type { Config } from '../../config.js';
import { liveClientMessageSchema, liveServerMessageSchema } from '../../live-protocol.js';
import { limitMaxima } from '../validate.js';
import { describeRoute, errors } from './registry.js';
import { pistonClientMessageSchema, pistonServerMessageSchema } from './schemas.js';

/** GET /metrics, a route of the app itself. */
export const describeMetrics = (app: object) =>
  describeRoute(app, 'get', '/metrics', {
  operationId: 'getMetrics',
  summary: 'Prometheus metrics',
  description:
    'Runs by language and status, run, compile and queue-wait durations, compile cache lookups, the queue, live runs, the user pool, ' +
    'cleanup failures, jail preparation, store errors, judge verdicts, refused requests, quota refusals, asynchronous submissions and their callbacks, HTTP answers, and Node process metrics. ' +
    'Served only to direct connections from RUNBOX_METRICS_NETWORKS (loopback by default), or with the RUNBOX_METRICS_TOKEN bearer token; ' +
    'a request that came through a proxy needs the token. The public nginx server does not route it.',
  tags: ['operations'],
  security: [{}, { metrics: [] }],
  responses: {
    200: { description: "Prometheus' text exposition format", content: { 'text/plain; version=0.0.4': { schema: z.string() } } },
    ...errors(403),
  },
  });

/**
 * The live-run messages (and Piston's /api/v2/connect's) as components of their own: a
 * WebSocket has no operation to hang them on. The client's union carries this server's maxima (a live run's wall clock is
 * RUNBOX_LIVE_TIME_MS).
 */
export function liveMessageSchemas(config: Config) {
  return {
    // a request's schema: fields the server does not know are refused
    LiveClientMessage: liveClientMessageSchema(limitMaxima(config, config.liveTimeMs)).meta({ unusedIO: 'input' }),
    LiveServerMessage: liveServerMessageSchema,
    PistonClientMessage: pistonClientMessageSchema,
    PistonServerMessage: pistonServerMessageSchema,
  };
}
