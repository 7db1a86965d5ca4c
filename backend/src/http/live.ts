import express from 'express';
import { z } from 'zod';
import type { IncomingMessage, Server } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { LIVE_CLOSE, LIVE_PATH, liveClientMessageSchema, liveServerMessageSchema, type LiveServerMessage, type LiveStart } from '../live-protocol.js';
import { executeRequestSchema, type ErrorResponse, type ExecuteResponse, type LimitMaxima } from '../protocol.js';
import { refused } from '../observability/metrics.js';
import { RunStop, type RunHooks } from '../runs/run.js';
import { LiveRunsFullError, ShuttingDownError, type LiveSlot } from '../runs/run-service.js';
import type { Caller, RunTicket } from '../keys/quotas.js';
import { admitCaller, admitRun, cappedMaxima, clientAddress, identify, rateLimitHeaders } from './api-keys.js';
import type { NewSubmission } from '../store/store.js';
import type { AppDeps } from './app.js';
import { HttpError } from './errors.js';
import { keepSubmission } from './history-routes.js';
import { LiveStdin } from './live-stdin.js';
import { TerminalInput } from '../sandbox/terminal-input.js';
import { bodyLimitBytes, checkSizes, limitMaxima, parseBody, programOf, resolveLanguage, runRequest } from './validate.js';
import { visitorKey } from './visitor.js';
import { describeRoute, errors, jsonBody, quotaHeaders } from './openapi/registry.js';
import { visitorHeader } from './openapi/schemas.js';

/**
 * Runs whose output goes out as it arrives: a WebSocket at /api/live (input typed while the
 * program runs, Stop) and POST /api/execute/stream (NDJSON, input given in advance). Both
 * speak live-protocol.ts; the run itself is the same run /api/execute makes.
 */

/**
 * Output a client has not taken yet that the server keeps for it. A client reading this far
 * behind is not reading: its run is killed rather than its output piling up in memory. The
 * output caps keep a run that is read under this (64 KiB a stream by default).
 */
export const SLOW_CLIENT_BYTES = 1024 * 1024;

/**
 * Pings the client every PING_EVERY_MS; one that has not answered the last ping is gone
 * without a close (a dropped network), and its connection is ended, which ends its run.
 * A connection not read while its program's stdin is full (live-stdin.ts) cannot hear its
 * pongs: it is not ended for that. Returns what stops the pings.
 */
export function keepAlive(ws: WebSocket): () => void {
  let answered = true;
  ws.on('pong', () => (answered = true));
  const timer = setInterval(() => {
    if (!answered && !ws.isPaused) return void ws.terminate();
    answered = false;
    ws.ping();
  }, PING_EVERY_MS);
  return () => clearInterval(timer);
}

/** Sends a message while the connection is open; one that is closing drops it. */
export function sendOpen(ws: WebSocket, message: unknown): void {
  if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
}

/** Output queued past SLOW_CLIENT_BYTES: the client stopped reading; its run is killed and the connection dropped. */
export function stopIfNotReading(ws: WebSocket, stop: AbortController): void {
  if (ws.bufferedAmount <= SLOW_CLIENT_BYTES) return;
  stop.abort(new RunStop('killed', 'the client does not read its output'));
  ws.terminate();
}

/** Pings find connections that died without a close, and keep proxies from timing out a quiet run. */
export const PING_EVERY_MS = 25_000;

/** The run's progress as live messages; the caller decides where they go. */
function liveHooks(send: (message: LiveServerMessage) => void): Pick<RunHooks, 'onStarted' | 'onCompiled' | 'onOutput'> {
  return {
    onStarted: (id) => send({ type: 'started', id }),
    onCompiled: (result) => send({ type: 'compile', result }),
    onOutput: (chunk) => send({ type: chunk.stream, data: chunk.text }),
  };
}

/** POST /api/execute/stream: /api/execute's run and limits, its messages sent as NDJSON as they happen. GET /api/live says it is a WebSocket. */
export function streamRoutes(deps: AppDeps, requireJson: express.RequestHandler): express.Router {
  const { config, runs } = deps;
  const router = express.Router();
  const maxima = limitMaxima(config);
  const schema = executeRequestSchema(maxima);

  describeRoute(router, 'post', '/execute/stream', {
    operationId: 'executeStream',
    summary: 'Run a program, its messages streamed as NDJSON as they happen',
    description: "The same body, limits, queue and history as /api/execute. The answer is one LiveServerMessage a line: started, compile (compiled languages), stdout and stderr as the program writes, then exit { result }. Errors found before the run starts are the usual JSON answers; hanging up kills the run.",
    tags: ['runs'],
    requestParams: { header: visitorHeader },
    requestBody: jsonBody(schema, { example: { language: 'python', code: 'import time\nfor i in range(3):\n    print(i, flush=True)\n    time.sleep(0.5)' } }),
    responses: {
      200: { description: 'application/x-ndjson: each line one LiveServerMessage', content: { 'application/x-ndjson': { schema: liveServerMessageSchema } }, headers: quotaHeaders },
      ...errors(400, 403, 413, 415, 503),
    },
  });
  router.post('/execute/stream', requireJson, express.json({ limit: bodyLimitBytes(config) }), async (req, res) => {
    const key = visitorKey(req);
    const body = parseBody(schema, req.body);
    const language = resolveLanguage(deps.languages, body.language);
    const program = programOf(config, language, body);
    checkSizes(config, body);
    const admitted = await admitRun(deps, req, res, { maxima, requested: body.limits });
    const stop = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) stop.abort(new RunStop('killed', 'the client went away'));
    });
    const send = (message: LiveServerMessage) => {
      if (res.destroyed) return;
      if (!res.headersSent) res.status(200).set({ 'Content-Type': 'application/x-ndjson; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
      res.write(`${JSON.stringify(message)}\n`);
    };
    const hooks = liveHooks(send);
    let result: ExecuteResponse;
    try {
      result = await runs.execute(runRequest(body, language, program, body.stdin ?? '', admitted.maxima), {
        ...hooks,
        onOutput: (chunk) => {
          hooks.onOutput!(chunk);
          if (res.writableLength > SLOW_CLIENT_BYTES) {
            stop.abort(new RunStop('killed', 'the client does not read its output'));
            res.destroy();
          }
        },
        signal: stop.signal,
      });
    } catch (err) {
      await admitted.finish();
      // turned away before anything was sent: the usual JSON error answer
      if (!res.headersSent) throw err;
      send({ type: 'error', message: 'the run failed inside the server' });
      return void res.end();
    }
    await admitted.finish(result);
    if (key) {
      const kept: Omit<NewSubmission, 'owner'> = { visitorKey: key, kind: 'run', problem: null, language: language.id, code: program.entry.content, files: body.files ?? null, stdin: body.stdin ?? '', args: body.args ?? [], result };
      result.submissionId = await keepSubmission(deps, kept, admitted.caller);
    }
    send({ type: 'exit', result });
    res.end();
  });

  describeRoute(router, 'get', '/live', {
    operationId: 'liveRun',
    summary: 'Live run (WebSocket)',
    description:
      'Upgrade to a WebSocket (ws:// or wss://). One connection runs one program. Every message is JSON text: the client sends LiveClientMessage ' +
      '(start first and once, then stdin, stdin-eof, resize, kill), the server LiveServerMessage (started, compile, stdout, stderr, then exit or error, then it closes: ' +
      '1000 done, 1001 shutting down, 1003 binary message, 1008 protocol error, 1009 too big, 1011 server fault). A browser page must be of this origin ' +
      "or RUNBOX_CORS_ORIGINS (else 403); the history key goes in start's visitor field. start's terminal { cols, rows } runs the program on a " +
      'pseudo-terminal (isatty true; stdin is typed into it, Ctrl+C and Ctrl+D work as in a terminal, resize changes its window, all it shows comes as stdout); ' +
      "without it the program has pipes. The API key goes in the upgrade's headers: " +
      "the connection is one run of its caller's quotas (refused 401 or 429 before any WebSocket exists; a browser, which is never shown that answer, " +
      'gets the WebSocket, an error { message, status, quota?, retryAfter? }, then a close: 1013 for 429 and 503, 1008 otherwise). Without an upgrade this answers 426.',
    tags: ['runs'],
    requestParams: { header: z.object({ Upgrade: z.literal('websocket'), Connection: z.string().meta({ description: 'Upgrade' }) }) },
    responses: {
      101: { description: 'Switching Protocols: the connection is now a live run', headers: quotaHeaders },
      ...errors(400, 401, 403, 426, 503),
    },
    'x-websocket': {
      clientMessages: { $ref: '#/components/schemas/LiveClientMessage' },
      serverMessages: { $ref: '#/components/schemas/LiveServerMessage' },
      example: [{ type: 'start', language: 'python', code: 'print("Hello, " + input() + "!")' }, { type: 'stdin', data: 'world\n' }],
    },
  });
  router.get('/live', () => {
    throw new HttpError(426, { error: 'Upgrade required', message: `${LIVE_PATH} is a WebSocket: connect with ws:// or wss://` }, { Upgrade: 'websocket' });
  });
  return router;
}

export interface LiveServer {
  /** Closes every live connection still open (their runs are over by shutdown's end). */
  close(): void;
}

/**
 * Another live-run protocol served beside /api/live (Piston's /api/v2/connect): its path and
 * what takes an admitted connection, with the live slot its run is to use (or give back).
 */
export interface LiveSocketRoute {
  path: string;
  /** The session owns `admission` from here: its ticket is finished when the run is over. */
  open(ws: WebSocket, slot: LiveSlot, admission: LiveAdmission): void;
}

/**
 * Takes WebSocket upgrades of `server` at /api/live (and the paths of `otherRoutes`). A
 * connection is let in only while there is a live slot (else 503 before any WebSocket
 * exists) and only from a browser page of this origin or an allowed one; one connection
 * runs one program.
 */
export function attachLiveSocket(server: Server, deps: AppDeps, otherRoutes: readonly LiveSocketRoute[] = []): LiveServer {
  const { config, runs } = deps;
  const allowedOrigins = new Set(config.corsOrigins);
  const maxima = limitMaxima(config, config.liveTimeMs);
  const context: SessionContext = { deps, maxima, schema: liveClientMessageSchema(maxima) };
  const routes = new Map<string, LiveSocketRoute['open']>([[LIVE_PATH, (ws, slot, admission) => new LiveSession(ws, slot, context, admission)]]);
  for (const route of otherRoutes) routes.set(route.path, route.open);
  // a start message carries code and stdin at their caps, JSON-escaped; nothing may be longer
  const sockets = new WebSocketServer({ noServer: true, maxPayload: bodyLimitBytes(config) });

  // the 101 answer carries the quota headers of the run it lets in
  const upgradeHeaders = new WeakMap<IncomingMessage, Record<string, string>>();
  sockets.on('headers', (lines, req) => {
    for (const [name, value] of Object.entries(upgradeHeaders.get(req) ?? {})) lines.push(`${name}: ${value}`);
  });

  /**
   * Turns a connection away. A browser is never shown an upgrade's answer (its page sees only
   * that the WebSocket failed), so a page of an allowed origin gets the WebSocket, told why in
   * an `error` (with the HTTP status, the quota and how long to wait), then closed at once;
   * other clients get the plain HTTP answer.
   */
  const refuse = (req: IncomingMessage, socket: Duplex, head: Buffer, status: number, body: ErrorResponse, headers: Record<string, string> = {}) => {
    if (req.headers.origin === undefined) return refuseUpgrade(socket, status, body, headers);
    sockets.handleUpgrade(req, socket, head, (ws) => {
      const retryAfter = Number(headers['Retry-After']);
      const quota = (body as { quota?: unknown }).quota;
      sendOpen(ws, { type: 'error', message: body.message ?? body.error, status, ...(typeof quota === 'string' ? { quota } : {}), ...(retryAfter > 0 ? { retryAfter } : {}) });
      ws.close(status === 429 || status === 503 ? LIVE_CLOSE.tryAgainLater : LIVE_CLOSE.protocolError, body.error);
    });
  };

  /** Who calls and whether its quotas let one more run in; then a live slot, then the WebSocket. */
  const letIn = async (req: IncomingMessage, socket: Duplex, head: Buffer, open: LiveSocketRoute['open']) => {
    let admission: LiveAdmission;
    try {
      const caller = await identify(req.headers, clientAddress(req, config), deps);
      admission = { caller, ticket: await admitCaller(deps, caller) };
    } catch (err) {
      if (err instanceof HttpError) return refuse(req, socket, head, err.status, err.body, err.headers);
      deps.logger.error('live run admission failed', { error: (err as Error)?.message });
      return refuse(req, socket, head, 500, { error: 'Internal error' });
    }
    if (socket.destroyed) return void admission.ticket.finish(); // gone while its quotas were counted
    let slot: LiveSlot;
    try {
      slot = runs.admitLive();
    } catch (err) {
      void admission.ticket.finish();
      if (err instanceof LiveRunsFullError) {
        refused('live_full');
        return refuse(req, socket, head, 503, { error: 'Too many live runs', message: err.message }, { 'Retry-After': '10' });
      }
      if (err instanceof ShuttingDownError) {
        refused('shutting_down');
        return refuse(req, socket, head, 503, { error: 'Shutting down', message: 'the server is restarting; try again shortly' }, { 'Retry-After': '5' });
      }
      throw err;
    }
    upgradeHeaders.set(req, rateLimitHeaders(admission.ticket.policy, admission.ticket.windows));
    let opened = false;
    // a handshake ws refuses (a bad key or version) answers 400 and never calls back
    socket.once('close', () => {
      slot.release();
      if (!opened) void admission.ticket.finish();
    });
    sockets.handleUpgrade(req, socket, head, (ws) => {
      opened = true;
      open(ws, slot, admission);
    });
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined); // a client gone mid-handshake
    const open = routes.get(new URL(req.url ?? '/', 'http://runbox').pathname);
    if (!open) {
      return refuseUpgrade(socket, 404, { error: 'Not found', message: `WebSocket connections go to ${[...routes.keys()].join(' or ')}` });
    }
    if (!originAllowed(req, allowedOrigins)) {
      return refuseUpgrade(socket, 403, { error: 'Forbidden', message: 'this origin may not open live runs (RUNBOX_CORS_ORIGINS)' });
    }
    letIn(req, socket, head, open).catch((err: Error) => {
      deps.logger.error('live run admission failed', { error: err?.message });
      socket.destroy();
    });
  });

  return {
    close() {
      for (const ws of sockets.clients) ws.close(LIVE_CLOSE.goingAway, 'server shutting down');
      sockets.close();
    },
  };
}

/**
 * A page may open a WebSocket to any host (no preflight protects it), so a browser's
 * connection must come from this origin or one allowed as for fetches. Same origin is the
 * Host the browser asked for, or the host a proxy in front says it served (nginx, the
 * playground): a page cannot set either header on a WebSocket. No Origin: not a browser.
 */
function originAllowed(req: IncomingMessage, allowed: ReadonlySet<string>): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowed.has(origin) || allowed.has('*')) return true;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  const forwarded = req.headers['x-forwarded-host']?.toString().split(',')[0]?.trim();
  return host === req.headers.host || host === forwarded;
}

function refuseUpgrade(socket: Duplex, status: number, body: ErrorResponse, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(text)}`,
    'Connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${text}`);
}

/** The caller of a live connection and its quota ticket, taken at the upgrade. */
/** Who opened a live run, and its hold on their quotas. */
export interface LiveAdmission {
  caller: Caller;
  ticket: RunTicket;
}

interface SessionContext {
  deps: AppDeps;
  maxima: LimitMaxima;
  schema: ReturnType<typeof liveClientMessageSchema>;
}

/**
 * One live connection and its one run, in the order things happen: wait for `start` ->
 * run (stdin fed as it comes, output sent as it arrives) -> `exit` -> close. Whatever ends
 * it first (the program, kill, a broken message, no start in time, idleness, the client
 * leaving, a client that stops reading) ends the run, and the slot frees once nothing of
 * the run is alive.
 */
class LiveSession {
  private phase: 'waiting' | 'running' | 'over' = 'waiting';
  /** the program's stdin: a pipe (or a terminal) it reads while the run goes on; made with the start */
  private input: LiveStdin | null = null;
  /** everything the program was given, kept with the run in the visitor's history */
  private inputText = '';
  private inputBytes = 0;
  private readonly stop = new AbortController();
  /** a connection holds a live slot: one that does not start soon gives it back */
  private readonly startTimer: NodeJS.Timeout;
  private readonly idleTimer: NodeJS.Timeout;
  /** stops the keep-alive pings */
  private readonly stopPinging: () => void;

  constructor(
    private readonly ws: WebSocket,
    private readonly slot: LiveSlot,
    private readonly context: SessionContext,
    private readonly admission: LiveAdmission,
  ) {
    ws.on('message', (data, isBinary) => this.receive(data, isBinary));
    ws.on('error', () => undefined); // a broken connection ends in 'close' as well
    ws.on('close', () => this.abandon());
    this.startTimer = setTimeout(() => this.notStarted(), context.deps.config.liveStartTimeoutMs);
    this.idleTimer = setTimeout(() => this.idle(), context.deps.config.liveIdleMs);
    this.stopPinging = keepAlive(ws);
  }

  private receive(data: RawData, isBinary: boolean): void {
    if (this.phase === 'over') return;
    if (isBinary) return this.refuse('messages must be JSON text', LIVE_CLOSE.unsupportedData);
    let raw: unknown;
    try {
      raw = JSON.parse(data.toString());
    } catch {
      return this.refuse('the message is not valid JSON');
    }
    let message;
    try {
      message = parseBody(this.context.schema, raw);
    } catch (err) {
      return this.refuse(err);
    }
    if (message.type === 'start') {
      if (this.phase !== 'waiting') return this.refuse('the run has started already: start comes once');
      return void this.run(message);
    }
    if (this.phase === 'waiting') return this.refuse('the first message must be start');
    this.idleTimer.refresh();
    switch (message.type) {
      case 'stdin':
        return this.feed(message.data);
      case 'stdin-eof':
        return void this.input!.end();
      case 'resize':
        if (!(this.input!.input instanceof TerminalInput)) return this.send({ type: 'error', field: 'type', message: 'resize is for a run started with terminal: this one has pipes' });
        return this.input!.resize({ cols: message.cols, rows: message.rows });
      case 'kill':
        return this.stop.abort(new RunStop('killed', 'stopped by the client'));
    }
  }

  private async run(start: LiveStart): Promise<void> {
    const { deps } = this.context;
    let language;
    let maxima: LimitMaxima;
    let program;
    try {
      language = resolveLanguage(deps.languages, start.language);
      program = programOf(deps.config, language, start);
      checkSizes(deps.config, start);
      maxima = cappedMaxima(this.admission.caller, this.context.maxima, start.limits);
    } catch (err) {
      return this.refuse(err);
    }
    this.phase = 'running';
    this.input = new LiveStdin(this.ws, deps.config.liveStdinBufferKb, start.terminal);
    clearTimeout(this.startTimer);
    this.idleTimer.refresh();
    if (start.stdin) this.feed(start.stdin);
    const hooks = liveHooks((message) => this.send(message));
    let result: ExecuteResponse;
    try {
      result = await this.slot.execute(runRequest(start, language, program, this.input.input, maxima), {
        ...hooks,
        // waiting for a user and compiling are the server's time, not the program's idling
        onStarted: (id) => {
          this.idleTimer.refresh();
          hooks.onStarted!(id);
        },
        onCompiled: (compile) => {
          this.idleTimer.refresh();
          hooks.onCompiled!(compile);
        },
        onOutput: (chunk) => {
          this.idleTimer.refresh();
          hooks.onOutput!(chunk);
        },
        signal: this.stop.signal,
      });
    } catch (err) {
      await this.admission.ticket.finish();
      return this.refuse(err);
    }
    await this.admission.ticket.finish(result);
    if (start.visitor) {
      const kept: Omit<NewSubmission, 'owner'> = { visitorKey: start.visitor, kind: 'run', problem: null, language: language.id, code: program.entry.content, files: start.files ?? null, stdin: this.inputText, args: start.args ?? [], result };
      result.submissionId = await keepSubmission(deps, kept, this.admission.ticket.caller);
    }
    const stopped = this.stop.signal.reason;
    const reason = stopped instanceof RunStop && stopped.status === result.status ? stopped.message : undefined;
    this.send({ type: 'exit', result, ...(reason ? { reason } : {}) });
    this.end(LIVE_CLOSE.done, 'run over');
  }

  /** Passes input on to the program, within the stdin cap; input over it is refused and the run goes on. */
  private feed(data: string): void {
    const capKb = this.context.deps.config.stdinKb;
    const bytes = Buffer.byteLength(data);
    if (this.inputBytes + bytes > capKb * 1024) {
      return this.send({ type: 'error', field: 'stdin', message: `stdin may total at most ${capKb} KiB: this input was refused` });
    }
    if (!this.input!.open) return this.send({ type: 'error', field: 'stdin', message: 'stdin was closed (stdin-eof): this input was refused' });
    this.inputBytes += bytes;
    this.inputText += data;
    this.input!.write(data);
  }

  private notStarted(): void {
    if (this.phase !== 'waiting') return;
    const seconds = Number((this.context.deps.config.liveStartTimeoutMs / 1000).toFixed(1));
    this.refuse(`no start message within ${seconds} s`, LIVE_CLOSE.protocolError, 'no start in time');
  }

  private idle(): void {
    if (this.phase !== 'running') return;
    const seconds = Number((this.context.deps.config.liveIdleMs / 1000).toFixed(1));
    this.stop.abort(new RunStop('timeout', `no input and no output for ${seconds} s`));
  }

  /** Sends a message; replies pile up unread as output does (input refused over and over), and are bounded alike. */
  private send(message: LiveServerMessage): void {
    sendOpen(this.ws, message);
    stopIfNotReading(this.ws, this.stop);
  }

  /** An `error` message, then the connection closes (and with it the run, if there is one). */
  private refuse(problem: unknown, code: number = LIVE_CLOSE.protocolError, reason = 'refused'): void {
    let message: string;
    let field: string | undefined;
    if (typeof problem === 'string') message = problem;
    else if (problem instanceof HttpError) {
      message = problem.body.message ?? problem.body.error;
      field = problem.body.field;
      if (problem.status === 413) code = LIVE_CLOSE.tooBig;
    } else if (problem instanceof ShuttingDownError) {
      message = 'the server is restarting; try again shortly';
      code = LIVE_CLOSE.goingAway;
    } else {
      this.context.deps.logger.error('live run failed', { error: (problem as Error)?.message });
      message = 'the run failed inside the server';
      code = LIVE_CLOSE.internalError;
    }
    this.send({ type: 'error', message, ...(field ? { field } : {}) });
    this.end(code, reason);
  }

  /** Closes the connection; a run still going is killed. */
  private end(code: number, reason: string): void {
    this.abandon();
    this.ws.close(code, reason);
  }

  /** Nobody will read this run any more: kill it (or give the slot back if it never started). */
  private abandon(): void {
    if (this.phase === 'over') return;
    if (this.phase === 'waiting') {
      this.slot.release();
      void this.admission.ticket.finish();
    }
    this.phase = 'over';
    clearTimeout(this.startTimer);
    clearTimeout(this.idleTimer);
    this.stopPinging();
    if (!this.stop.signal.aborted) this.stop.abort(new RunStop('killed', 'the client went away'));
    this.input?.close();
  }
}
