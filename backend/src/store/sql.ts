/**
 * The little SQL both databases share. Statements use `?` placeholders; the PostgreSQL
 * driver numbers them. Values are strings, numbers or null: booleans are stored as 0/1
 * and times as epoch milliseconds, so one set of statements runs on both.
 */
export type SqlValue = string | number | null;
export type Row = Record<string, SqlValue>;

export interface SqlQueries {
  all<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** Runs a statement; resolves to the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

export interface TransactionOptions {
  /**
   * false: the commit does not wait for the disk (SQLite: synchronous=NORMAL for this
   * commit, PostgreSQL: synchronous_commit off). Still atomic and consistent, and nothing is
   * lost when the API process dies; a power loss may drop the last such commits. For
   * counters that are worth less than the fsync a run would pay for each (quotas, leases).
   */
  durable?: boolean;
}

export interface SqlDatabase extends SqlQueries {
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * Runs `work` in one transaction: all of it commits or none of it does. Other writers
   * wait (SQLite: BEGIN IMMEDIATE; PostgreSQL: the rows' locks and, for migrations, an
   * advisory lock taken inside `work`).
   */
  transaction<T>(work: (tx: SqlQueries) => Promise<T>, options?: TransactionOptions): Promise<T>;
  close(): Promise<void>;
}
