import { z } from 'zod';
import { compileResultSchema, executeRequestSchema, executeResponseSchema, type LimitMaxima } from './protocol.js';
import { VISITOR_KEY } from './visitor-key.js';

/**
 * A live run's wire protocol: JSON text messages `{ "type": ..., ... }`, one union each way,
 * validated with zod where they enter (the server checks the client's, the playground the
 * server's). WebSocket /api/live carries both directions; POST /api/execute/stream sends the
 * server's half as NDJSON, one message a line.
 *
 * Client -> server: `start` first and once, then any number of `stdin`, at most one
 * `stdin-eof`, and `kill` at any time. Fields a message does not define are refused, as on
 * /api/execute (a typo must not silently drop input).
 * Server -> client: `started`, `compile` (compiled languages), `stdout`/`stderr` as the
 * output arrives, then `exit` and the socket closes; or `error` and the socket closes.
 *
 * A `start` with `terminal: { cols, rows }` runs the program on a pseudo-terminal (isatty
 * is true; its stdin, stdout and stderr are the terminal): `stdin` is typed into the
 * terminal, whose line discipline echoes it and makes Ctrl+C (\x03) an interrupt and
 * Ctrl+D (\x04) an end of input (`stdin-eof` is one Ctrl+D); `resize` changes its window;
 * everything the terminal shows comes back as `stdout`, with a terminal's \r\n line ends.
 * Without `terminal` the program has pipes, as on /api/execute.
 * Clients ignore fields they do not know: the server may add some.
 */

export const LIVE_PATH = '/api/live';
export const STREAM_PATH = '/api/execute/stream';

/** WebSocket close codes the server uses. */
export const LIVE_CLOSE = {
  /** the run is over; `exit` was the last message */
  done: 1000,
  /** the server is shutting down */
  goingAway: 1001,
  /** a binary message */
  unsupportedData: 1003,
  /** a message that breaks the protocol; `error` says how */
  protocolError: 1008,
  /** a browser's connection refused for a quota or a full server: `error` says how long to wait */
  tryAgainLater: 1013,
  /** a message over the size limit */
  tooBig: 1009,
  /** the server failed; `error` says so */
  internalError: 1011,
} as const;

/** The largest window a terminal may have, either side (the kernel keeps 16 bits of each). */
export const MAX_TERMINAL_SIDE = 1000;
const terminalSide = z.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(MAX_TERMINAL_SIDE, `must be at most ${MAX_TERMINAL_SIDE}`);
/** A terminal's window in characters. */
export const terminalSizeSchema = z.strictObject({ cols: terminalSide, rows: terminalSide }, { error: 'must be an object { cols, rows }' });

/** A terminal's window: columns and rows of characters. */
export type TerminalSize = z.infer<typeof terminalSizeSchema>;

export function liveClientMessageSchema(maxima: LimitMaxima) {
  return z.discriminatedUnion(
    'type',
    [
      executeRequestSchema(maxima).extend({
        type: z.literal('start'),
        /** the visitor's history key (a browser cannot set X-Runbox-Visitor on a WebSocket) */
        visitor: z.string({ error: 'must be a string' }).regex(VISITOR_KEY, 'must be 22 to 128 characters of A-Z, a-z, 0-9, - and _').optional(),
        /** run on a pseudo-terminal of this window size */
        terminal: terminalSizeSchema.optional(),
      }),
      z.strictObject({ type: z.literal('stdin'), data: z.string({ error: 'is required and must be a string' }) }),
      terminalSizeSchema.extend({ type: z.literal('resize') }),
      z.strictObject({ type: z.literal('stdin-eof') }),
      z.strictObject({ type: z.literal('kill') }),
    ],
    { error: 'must be one of start, stdin, stdin-eof, resize, kill' },
  );
}
export type LiveClientMessage = z.infer<ReturnType<typeof liveClientMessageSchema>>;
export type LiveStart = Extract<LiveClientMessage, { type: 'start' }>;

export const liveServerMessageSchema = z.discriminatedUnion('type', [
  /** the run has its id and a user; the program is being compiled or started */
  z.object({ type: z.literal('started'), id: z.string() }),
  z.object({ type: z.literal('compile'), result: compileResultSchema }),
  z.object({ type: z.literal('stdout'), data: z.string() }),
  z.object({ type: z.literal('stderr'), data: z.string() }),
  /** the same object /api/execute answers; `reason` says why the server stopped the run, when it did */
  z.object({ type: z.literal('exit'), result: executeResponseSchema, reason: z.string().optional() }),
  /**
   * `field` names the part of the client's message that was refused. A browser's connection
   * refused before its run (a quota, a bad key, a full server) is told so here, with the
   * HTTP `status` other clients get at the upgrade, the `quota` and `retryAfter` seconds.
   */
  z.object({
    type: z.literal('error'),
    message: z.string(),
    field: z.string().optional(),
    status: z.number().int().optional(),
    quota: z.string().optional(),
    retryAfter: z.number().optional(),
  }),
]);
export type LiveServerMessage = z.infer<typeof liveServerMessageSchema>;
