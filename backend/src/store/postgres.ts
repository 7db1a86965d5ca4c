import pg from 'pg';
import type { Row, SqlDatabase, SqlQueries, SqlValue } from './sql.js';

/** `?` placeholders (outside quotes; our statements have none inside) become $1, $2, … */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

// BIGINT columns (epoch milliseconds) come back as numbers, not strings
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

function queriesOn(client: pg.Pool | pg.PoolClient): SqlQueries {
  const query = (sql: string, values: readonly SqlValue[] = []) => client.query(numbered(sql), values as SqlValue[]);
  return {
    async all<T extends Row>(sql: string, values?: readonly SqlValue[]) {
      return (await query(sql, values)).rows as T[];
    },
    async get<T extends Row>(sql: string, values?: readonly SqlValue[]) {
      return (await query(sql, values)).rows[0] as T | undefined;
    },
    async run(sql: string, values?: readonly SqlValue[]) {
      return (await query(sql, values)).rowCount ?? 0;
    },
  };
}

/** PostgreSQL through `pg` (node-postgres): the pure-JS client most Node services use. */
export function openPostgres(url: string, onError: (err: Error) => void = () => undefined, poolSize = 10): SqlDatabase {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // a database that stops answering fails requests in seconds instead of hanging them
    connectionTimeoutMillis: 5000,
    query_timeout: 15000,
  });
  // an idle client losing its server (a database restart) must not crash the API
  pool.on('error', onError);
  return {
    dialect: 'postgres',
    ...queriesOn(pool),
    async transaction(work, { durable = true } = {}) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        if (!durable) await client.query('SET LOCAL synchronous_commit TO OFF');
        const result = await work(queriesOn(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
