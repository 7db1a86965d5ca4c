import createClient, { type Client } from 'openapi-fetch';
import type { components, operations, paths } from './schema.js';

/**
 * A small typed client of runbox's HTTP API. Its types are generated from the API's OpenAPI
 * document (src/schema.ts, by openapi-typescript); requests go through openapi-fetch, so
 * every operation of the document is also there, typed, as `runbox.api`:
 *
 *   const runbox = createRunbox({ baseUrl: 'https://runbox.example.com', apiKey: process.env.RUNBOX_KEY });
 *   const result = await runbox.execute({ language: 'python', code: 'print("Hello, world!")' });
 *   const done = await runbox.submissions.run({ language: 'python', code: 'print(6 * 7)', expectedOutput: '42' });
 */

export type { components, operations, paths };
export type Schemas = components['schemas'];
export type RunResult = Schemas['RunResult'];
export type Language = Schemas['Language'];
export type Health = Schemas['Health'];
export type Submission = Schemas['Submission'];
export type PendingSubmission = Schemas['PendingSubmission'];
export type FinishedSubmission = Schemas['FinishedSubmission'];
export type ApiErrorBody = Schemas['Error'];

type JsonBody<O> = O extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;
export type ExecuteRequest = JsonBody<operations['execute']>;
export type SubmissionRequest = JsonBody<operations['createSubmission']>;
export type SubmissionFilter = Omit<NonNullable<operations['listSubmissions']['parameters']['query']>, 'ids'>;

/** An answer that is not a success: its status, and the API's error body (`error`, `field`, `message`, ...). */
export class RunboxError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody | undefined,
    readonly response: Response,
  ) {
    super(`runbox answered ${status}${body ? `: ${body.error}${body.field ? ` (${body.field})` : ''}${body.message ? `: ${body.message}` : ''}` : ''}`);
    this.name = 'RunboxError';
  }
}

export interface RunboxOptions {
  /** The server, e.g. https://runbox.example.com (its /api/... are called); default http://localhost:3000. */
  baseUrl?: string;
  /** An API key (rbx_<id>.<secret>), sent as `Authorization: Bearer`; none: an anonymous client. */
  apiKey?: string;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** The fetch to use (default: the global one). */
  fetch?: typeof globalThis.fetch;
}

export interface CreateOptions {
  /** Answer with the finished submission if it runs within the server's wait (RUNBOX_SUBMISSION_WAIT_MS). */
  wait?: boolean;
  /** Makes retrying safe: the same key and body within 24 h answer the first answer, queueing nothing. */
  idempotencyKey?: string;
}

export interface SubmissionPage {
  submissions: Submission[];
  /** The next page's cursor (pass it as `cursor` with the same filters); null on the last page. */
  nextCursor: string | null;
}

export interface Runbox {
  /** Every operation of the API, typed (openapi-fetch): `runbox.api.GET('/api/problems/{slug}', { params: { path: { slug } } })`. */
  readonly api: Client<paths>;
  /** Runs a program and answers with its result (whatever the program did: `status` says). */
  execute(request: ExecuteRequest): Promise<RunResult>;
  languages(): Promise<Language[]>;
  health(): Promise<Health>;
  readonly submissions: {
    /** Queues a run: its id at once, or (wait) the finished submission when it ran within the server's wait. */
    create(request: SubmissionRequest, options?: CreateOptions): Promise<Schemas['SubmissionCreated'] | FinishedSubmission>;
    /** Several at once, all or none: their ids in the same order. */
    batch(requests: SubmissionRequest[]): Promise<string[]>;
    /** A submission: its state, or its result (wait: once it has run, within the server's wait). */
    get(id: string, options?: { wait?: boolean }): Promise<Submission>;
    /** Queues a run and waits until it has run: its result. */
    run(request: SubmissionRequest, options?: Pick<CreateOptions, 'idempotencyKey'>): Promise<FinishedSubmission>;
    /** A page of the API key's submissions, newest first. */
    list(filter?: SubmissionFilter): Promise<SubmissionPage>;
    /** Every submission the filter matches, page after page, newest first. */
    all(filter?: Omit<SubmissionFilter, 'cursor'>): AsyncGenerator<Submission>;
    /** Deletes a finished submission from the server for good. */
    delete(id: string): Promise<void>;
  };
}

const isFinished = (s: Submission | Schemas['SubmissionCreated']): s is FinishedSubmission =>
  'status' in s && s.status !== 'queued' && s.status !== 'running';

export function createRunbox(options: RunboxOptions = {}): Runbox {
  const api = createClient<paths>({
    baseUrl: (options.baseUrl ?? 'http://localhost:3000').replace(/\/+$/, ''),
    headers: { ...options.headers, ...(options.apiKey ? { Authorization: `Bearer ${options.apiKey}` } : {}) },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });

  /** The answer's data, or a RunboxError for an error answer. */
  const ok = <T>(answer: { data?: T; error?: unknown; response: Response }): T => {
    if (!answer.response.ok) throw new RunboxError(answer.response.status, answer.error as ApiErrorBody | undefined, answer.response);
    return answer.data as T;
  };
  const flag = (on: boolean | undefined) => (on ? ('true' as const) : undefined);

  const submissions: Runbox['submissions'] = {
    async create(request, { wait, idempotencyKey } = {}) {
      return ok(
        await api.POST('/api/submissions', {
          body: request,
          params: { query: { wait: flag(wait) }, header: idempotencyKey === undefined ? undefined : { 'Idempotency-Key': idempotencyKey } },
        }),
      );
    },
    async batch(requests) {
      return ok(await api.POST('/api/submissions/batch', { body: { submissions: requests } })).ids;
    },
    async get(id, { wait } = {}) {
      return ok(await api.GET('/api/submissions/{id}', { params: { path: { id }, query: { wait: flag(wait) } } }));
    },
    async run(request, { idempotencyKey } = {}) {
      let submission: Submission | Schemas['SubmissionCreated'] = await submissions.create(request, { wait: true, idempotencyKey });
      while (!isFinished(submission)) submission = await submissions.get(submission.id, { wait: true });
      return submission;
    },
    async list(filter = {}) {
      const page = ok(await api.GET('/api/submissions', { params: { query: filter } }));
      return { submissions: page.submissions.filter((s): s is Submission => s !== null), nextCursor: page.nextCursor ?? null };
    },
    async *all(filter = {}) {
      let cursor: string | undefined;
      do {
        const page = await submissions.list({ ...filter, ...(cursor ? { cursor } : {}) });
        yield* page.submissions;
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
    },
    async delete(id) {
      ok(await api.DELETE('/api/submissions/{id}', { params: { path: { id } } }));
    },
  };

  return {
    api,
    async execute(request) {
      return ok(await api.POST('/api/execute', { body: request }));
    },
    async languages() {
      return ok(await api.GET('/api/languages'));
    },
    async health() {
      return ok(await api.GET('/api/health'));
    },
    submissions,
  };
}
