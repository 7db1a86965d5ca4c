import type { ExecuteResponse, HistoryEntry, HistoryItem, JudgeResponse, ProblemInput, ProgramFile, ProblemSummary } from '../protocol.js';

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
}

export interface Problem extends ProblemSummary {
  statement: string;
  tests: ProblemTest[];
}

export interface HistoryRetention {
  /** newest entries kept per visitor */
  maxPerVisitor: number;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  createSnippet(snippet: NewSnippet): Promise<Snippet>;
  getSnippet(id: string): Promise<Snippet | null>;

  /** Keeps a submission and trims the visitor's history to the retention, atomically. */
  addSubmission(submission: NewSubmission, retention: HistoryRetention): Promise<string>;
  listSubmissions(visitorKey: string, limit: number): Promise<HistoryEntry[]>;
  getSubmission(visitorKey: string, id: string): Promise<HistoryItem | null>;
  /** false when the visitor has no submission with that id */
  deleteSubmission(visitorKey: string, id: string): Promise<boolean>;
  /** Deletes every submission created before `before`; resolves to how many. */
  pruneSubmissions(before: Date): Promise<number>;

  listProblems(): Promise<ProblemSummary[]>;
  getProblem(slug: string): Promise<Problem | null>;
  /** false when a problem with that slug exists already */
  createProblem(problem: ProblemInput): Promise<boolean>;
  /** Creates or replaces (tests included); resolves to whether it was created. */
  putProblem(problem: ProblemInput): Promise<'created' | 'replaced'>;
  deleteProblem(slug: string): Promise<boolean>;

  close(): Promise<void>;
}
