import type { HistoryEntry, HistoryItem, ProblemInput, ProblemSummary } from '../protocol.js';
import { newId, visitorDigest } from './ids.js';
import { decodeFiles, decodeText, encodeFiles, encodeText } from './text.js';
import { migrate } from './migrations.js';
import { insertProblemIfNew, insertTests } from './problem-rows.js';
import { SqlKeyStore } from './key-store.js';
import type { SqlDatabase } from './sql.js';
import { SubmissionQueue } from './submission-queue.js';
import type { StoredPackage } from '../problems/stored-package.js';
import type { HistoryRetention, NewSnippet, NewSubmission, Problem, ProblemWrite, Snippet, Store } from './store.js';

interface SnippetRow {
  [column: string]: string | number | null;
  id: string;
  language: string;
  code: string;
  files: string | null;
  stdin: string;
  args: string;
  created_at: number;
}

interface SubmissionRow {
  [column: string]: string | number | null;
  id: string;
  kind: 'run' | 'judge';
  problem_slug: string | null;
  language: string;
  status: string;
  created_at: number;
}

interface ProblemRow {
  [column: string]: string | number | null;
  slug: string;
  title: string;
  statement: string;
  time_limit_ms: number;
  memory_limit_mb: number;
  samples: number;
  hidden: number;
}

const PROBLEM_COLUMNS = `p.slug, p.title, p.statement, p.time_limit_ms, p.memory_limit_mb,
  (SELECT COUNT(*) FROM problem_tests t WHERE t.problem_slug = p.slug AND t.hidden = 0) AS samples,
  (SELECT COUNT(*) FROM problem_tests t WHERE t.problem_slug = p.slug AND t.hidden = 1) AS hidden`;

/** The store in SQL both SQLite and PostgreSQL understand; the driver is the difference. */
/**
 * A history entry's API key matches the one asked for (parameter: the key's id, '' for
 * none): a key's entries are listed to that key only, anonymous ones to anonymous callers.
 * (`owner IS ?` is SQLite's alone; key ids are never empty.)
 */
const OWNED = "COALESCE(owner, '') = ?";

export class SqlStore implements Store {
  readonly submissionQueue: SubmissionQueue;
  readonly keys: SqlKeyStore;

  private constructor(private readonly db: SqlDatabase) {
    this.submissionQueue = new SubmissionQueue(db);
    this.keys = new SqlKeyStore(db);
  }

  /** Opens the store on a database, bringing its schema up to date first. */
  static async open(db: SqlDatabase): Promise<SqlStore> {
    await migrate(db);
    return new SqlStore(db);
  }

  get kind() {
    return this.db.dialect;
  }

  async createSnippet(s: NewSnippet): Promise<Snippet> {
    const snippet = { ...s, files: s.files ?? null, id: newId(), createdAt: new Date() };
    await this.db.run('INSERT INTO snippets (id, language, code, files, stdin, args, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      snippet.id,
      s.language,
      encodeText(s.code),
      encodeFiles(s.files ?? null),
      encodeText(s.stdin),
      JSON.stringify(s.args),
      snippet.createdAt.getTime(),
    ]);
    return snippet;
  }

  async getSnippet(id: string): Promise<Snippet | null> {
    const row = await this.db.get<SnippetRow>('SELECT * FROM snippets WHERE id = ?', [id]);
    if (!row) return null;
    return {
      id: row.id,
      language: row.language,
      code: decodeText(row.code),
      files: decodeFiles(row.files),
      stdin: decodeText(row.stdin),
      args: JSON.parse(row.args),
      createdAt: new Date(Number(row.created_at)),
    };
  }

  pruneSnippets(before: Date): Promise<number> {
    return this.db.run('DELETE FROM snippets WHERE created_at < ?', [before.getTime()]);
  }

  async addSubmission(s: NewSubmission, retention: HistoryRetention): Promise<string> {
    const id = newId();
    const visitor = visitorDigest(s.visitorKey);
    await this.db.transaction(async (tx) => {
      await tx.run(
        'INSERT INTO submissions (id, visitor, owner, kind, problem_slug, language, code, files, stdin, args, status, result, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [id, visitor, s.owner, s.kind, s.problem, s.language, encodeText(s.code), encodeFiles(s.files ?? null), encodeText(s.stdin), JSON.stringify(s.args), s.result.status, JSON.stringify(s.result), Date.now()],
      );
      await tx.run(
        `DELETE FROM submissions WHERE visitor = ? AND id NOT IN
           (SELECT id FROM submissions WHERE visitor = ? ORDER BY seq DESC LIMIT ?)`,
        [visitor, visitor, retention.maxPerVisitor],
      );
    });
    return id;
  }

  async listSubmissions(visitorKey: string, owner: string | null, limit: number): Promise<HistoryEntry[]> {
    const rows = await this.db.all<SubmissionRow>(
      `SELECT id, kind, problem_slug, language, status, created_at FROM submissions WHERE visitor = ? AND ${OWNED} ORDER BY seq DESC LIMIT ?`,
      [visitorDigest(visitorKey), owner ?? '', limit],
    );
    return rows.map(historyEntry);
  }

  async getSubmission(visitorKey: string, owner: string | null, id: string): Promise<HistoryItem | null> {
    const row = await this.db.get<SubmissionRow & { code: string; files: string | null; stdin: string; args: string; result: string }>(
      `SELECT * FROM submissions WHERE id = ? AND visitor = ? AND ${OWNED}`,
      [id, visitorDigest(visitorKey), owner ?? ''],
    );
    if (!row) return null;
    const files = decodeFiles(row.files);
    return { ...historyEntry(row), code: decodeText(row.code), ...(files ? { files } : {}), stdin: decodeText(row.stdin), args: JSON.parse(row.args), result: JSON.parse(row.result) };
  }

  async deleteSubmission(visitorKey: string, owner: string | null, id: string): Promise<boolean> {
    return (await this.db.run(`DELETE FROM submissions WHERE id = ? AND visitor = ? AND ${OWNED}`, [id, visitorDigest(visitorKey), owner ?? ''])) > 0;
  }

  pruneSubmissions(before: Date): Promise<number> {
    return this.db.run('DELETE FROM submissions WHERE created_at < ?', [before.getTime()]);
  }

  async listProblems(): Promise<ProblemSummary[]> {
    const rows = await this.db.all<ProblemRow>(`SELECT ${PROBLEM_COLUMNS} FROM problems p ORDER BY p.created_at, p.slug`);
    return rows.map(problemSummary);
  }

  async getProblem(slug: string): Promise<Problem | null> {
    // one statement, so one snapshot: the tests belong to the same version as the limits
    const rows = await this.db.all<
      ProblemRow & { package: string | null; input: string | null; expected: string | null; test_hidden: number | null; group_name: string | null; name: string | null }
    >(
      `SELECT p.slug, p.title, p.statement, p.time_limit_ms, p.memory_limit_mb, p.package, t.input, t.expected, t.hidden AS test_hidden, t.group_name, t.name
         FROM problems p LEFT JOIN problem_tests t ON t.problem_slug = p.slug
        WHERE p.slug = ? ORDER BY t.position`,
      [slug],
    );
    const first = rows[0];
    if (!first) return null;
    const tests = rows
      .filter((r) => r.input !== null)
      .map((r) => ({
        input: decodeText(r.input!),
        expected: decodeText(r.expected!),
        hidden: Number(r.test_hidden) === 1,
        ...(r.group_name !== null ? { group: r.group_name } : {}),
        ...(r.name !== null ? { name: r.name } : {}),
      }));
    const hidden = tests.filter((t) => t.hidden).length;
    const stored = first.package === null ? null : (JSON.parse(first.package) as StoredPackage);
    return { ...problemSummary({ ...first, samples: tests.length - hidden, hidden }), statement: first.statement, tests, package: stored };
  }

  createProblem(p: ProblemInput): Promise<boolean> {
    return this.db.transaction((tx) => insertProblemIfNew(tx, p, Date.now()));
  }

  putProblem(p: ProblemInput | ProblemWrite): Promise<'created' | 'replaced'> {
    // insert-or-nothing first: two replicas creating the same slug at once both succeed
    const stored = 'package' in p && p.package ? JSON.stringify(p.package) : null;
    return this.db.transaction(async (tx) => {
      if (await insertProblemIfNew(tx, p, Date.now())) {
        await tx.run('UPDATE problems SET package = ? WHERE slug = ?', [stored, p.slug]);
        return 'created';
      }
      await tx.run('UPDATE problems SET title = ?, statement = ?, time_limit_ms = ?, memory_limit_mb = ?, package = ?, updated_at = ? WHERE slug = ?', [
        p.title,
        p.statement,
        p.timeLimitMs,
        p.memoryLimitMb,
        stored,
        Date.now(),
        p.slug,
      ]);
      await tx.run('DELETE FROM problem_tests WHERE problem_slug = ?', [p.slug]);
      await insertTests(tx, p);
      return 'replaced';
    });
  }

  async deleteProblem(slug: string): Promise<boolean> {
    // the tests go with it (ON DELETE CASCADE)
    return (await this.db.run('DELETE FROM problems WHERE slug = ?', [slug])) > 0;
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

function historyEntry(row: SubmissionRow): HistoryEntry {
  return {
    id: row.id,
    kind: row.kind,
    problem: row.problem_slug,
    language: row.language,
    status: row.status as HistoryEntry['status'],
    createdAt: new Date(Number(row.created_at)).toISOString(),
  };
}

function problemSummary(row: ProblemRow): ProblemSummary {
  return {
    slug: row.slug,
    title: row.title,
    timeLimitMs: Number(row.time_limit_ms),
    memoryLimitMb: Number(row.memory_limit_mb),
    sampleCount: Number(row.samples),
    hiddenCount: Number(row.hidden),
  };
}
