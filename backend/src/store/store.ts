import type { StoredPackage } from '../problems/stored-package.js';
import type { SubmissionQueue } from './submission-queue.js';
import type { ApiKeyInfo, ApiKeyRequest, KeyUsageDay, QuotaName, ExecuteResponse, HistoryEntry, HistoryItem, JudgeResponse, ProblemInput, ProgramFile, ProblemSummary } from '../protocol.js';

/**
 * What runbox keeps: shared snippets, visitors' submission history and judge problems.
 * One interface; SqlStore implements it over SQLite (default) or PostgreSQL (DATABASE_URL).
 */

export interface NewSnippet {
  language: string;
  /** the program's code; of a program of several files, the entry file's */
  code: string;
  /** a program of several files: all of them, as given; none (null) for one given as code */
  files?: ProgramFile[] | null;
  stdin: string;
  args: string[];
}

export interface Snippet extends NewSnippet {
  files: ProgramFile[] | null;
  id: string;
  createdAt: Date;
}

export interface NewSubmission {
  /** the visitor's secret key; only its hash is stored */
  visitorKey: string;
  /** the API key it ran under (null: anonymous, or the admin): only that key lists it */
  owner: string | null;
  kind: 'run' | 'judge';
  problem: string | null;
  language: string;
  /** the program's code; of a program of several files, the entry file's */
  code: string;
  /** a program of several files: all of them, as given; none (null) for one given as code */
  files?: ProgramFile[] | null;
  stdin: string;
  args: string[];
  result: ExecuteResponse | JudgeResponse;
}

export interface ProblemTest {
  input: string;
  expected: string;
  hidden: boolean;
  /** a package's test: its group below data/ (secret/group1) and its name (secret/group1/03) */
  group?: string | null;
  name?: string | null;
}

export interface Problem extends ProblemSummary {
  statement: string;
  tests: ProblemTest[];
  /** a problem imported from a package: how it is judged (null: made through the JSON API) */
  package: StoredPackage | null;
}

/** A problem as written: the JSON API's, or one from a package with its settings and grouped tests. */
export interface ProblemWrite extends Omit<ProblemInput, 'tests'> {
  tests: ProblemTest[];
  package?: StoredPackage | null;
}

export interface HistoryRetention {
  /** newest entries kept per visitor */
  maxPerVisitor: number;
}

export interface StoredApiKey extends ApiKeyInfo {
  /** SHA-256 of the key (hex): the store never holds the key itself */
  hash: string;
}

/**
 * One run asking to start, for one subject (a key, or an anonymous client's address):
 * each quota given is checked and counted in one transaction, or nothing is counted.
 */
export interface AdmissionRequest {
  subject: string;
  now: number;
  /** runs per fixed one-minute window */
  perMinute: number | null;
  /** runs per UTC day */
  perDay: number | null;
  /** a lease on one of `max` run slots, held by this process until released or expired */
  lease: { max: number; id: string; holder: string; expiresAt: number } | null;
  /** runs counted at once, all or none (a batch); 1 when absent. Only without a lease */
  units?: number;
}

/** A key's callback signing secrets: the current one, and during a rotation's overlap the one before. */
export interface CallbackSecrets {
  current: string;
  previous: string | null;
}

export type AdmissionOutcome =
  | { admitted: true; minuteUsed: number | null; dayUsed: number | null }
  | { admitted: false; exceeded: QuotaName };

/** API keys, their usage, and the counters and leases that enforce quotas across replicas. */
export interface KeyStore {
  createKey(id: string, hash: string, key: ApiKeyRequest, callbackSecret: string): Promise<StoredApiKey>;
  /** null for an unknown key, or one made before keys had callback secrets (never rotated since) */
  callbackSecrets(id: string, now?: number): Promise<CallbackSecrets | null>;
  /** The new secret signs from now on, the old one beside it until `previousUntil`; false: no such key. */
  rotateCallbackSecret(id: string, secret: string, previousUntil: number): Promise<boolean>;
  getKey(id: string): Promise<StoredApiKey | null>;
  listKeys(): Promise<ApiKeyInfo[]>;
  /** 'unknown' for no such key; revoking twice keeps the first time */
  revokeKey(id: string): Promise<'revoked' | 'already' | 'unknown'>;
  /** Days (YYYY-MM-DD, UTC) from `sinceDay` on, oldest first. */
  usage(id: string, sinceDay: string): Promise<KeyUsageDay[]>;

  admit(request: AdmissionRequest): Promise<AdmissionOutcome>;
  /** Gives a run's lease back and, for a key, adds the run to its usage, in one transaction. */
  finishRun(subject: string, leaseId: string | null, usage: { keyId: string; day: string; cpuMs: number } | null): Promise<void>;
  /** Moves the expiry of every lease this process holds: it is alive and its runs go on. */
  renewLeases(holder: string, expiresAt: number): Promise<void>;
  /** Drops counter windows that ended before `before` and leases that expired before it. */
  pruneQuotas(before: number): Promise<void>;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly keys: KeyStore;
  createSnippet(snippet: NewSnippet): Promise<Snippet>;
  getSnippet(id: string): Promise<Snippet | null>;
  /** Deletes every snippet saved before `before`; resolves to how many. */
  pruneSnippets(before: Date): Promise<number>;

  /** Keeps a submission and trims the visitor's history to the retention, atomically. */
  addSubmission(submission: NewSubmission, retention: HistoryRetention): Promise<string>;
  /** The visitor's history under one API key (`owner`; null: anonymous), newest first. */
  listSubmissions(visitorKey: string, owner: string | null, limit: number): Promise<HistoryEntry[]>;
  getSubmission(visitorKey: string, owner: string | null, id: string): Promise<HistoryItem | null>;
  /** false when the visitor has no submission with that id under that key */
  deleteSubmission(visitorKey: string, owner: string | null, id: string): Promise<boolean>;
  /** Deletes every submission created before `before`; resolves to how many. */
  pruneSubmissions(before: Date): Promise<number>;

  listProblems(): Promise<ProblemSummary[]>;
  getProblem(slug: string): Promise<Problem | null>;
  /** false when a problem with that slug exists already */
  createProblem(problem: ProblemInput): Promise<boolean>;
  /** Creates or replaces (tests and package settings included), all or nothing; resolves to whether it was created. */
  putProblem(problem: ProblemInput | ProblemWrite): Promise<'created' | 'replaced'>;
  deleteProblem(slug: string): Promise<boolean>;

  /** Asynchronous submissions (POST /api/submissions), shared by every server on the database. */
  readonly submissionQueue: SubmissionQueue;

  close(): Promise<void>;
}
