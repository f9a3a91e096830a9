// How an apply's rows get into DuckDB: the store runs `INSERT INTO <day's rows table> SELECT * FROM
// beaconry_rows(<token>)`, and DuckDB pulls the rows from JS one 2048-row chunk at a time through this
// table function. Only filling a chunk (copying Arrow buffers into its vectors, ChunkAppender.source)
// runs on the calling thread, which is also the edge's, one event-loop task per chunk; appending the
// chunk to the table (statistics, validity, string heap, compressing whole row groups) runs on
// DuckDB's threads while the event loop answers requests.
//
// Through an appender all of that ran on the calling thread. Per 131,072-row apply into a day file
// (scratch measurement, four rounds): the thread was busy 380–600 ms, against 70–110 ms here, and the
// process used 700–960 ms of CPU, against 490–790 ms. At half load, the applies' holds were the main
// cause of acknowledgements over 25 ms (see README, Performance).
import duckdb from '@duckdb/node-bindings';
import { DuckDBTableFunction, INTEGER, type DuckDBConnection, type DuckDBType } from '@duckdb/node-api';

/** Fills an empty chunk of the declared columns with the next rows; returns their count, 0 at the end. */
export type ChunkProducer = (out: duckdb.DataChunk) => number;

interface Pending {
  readonly columns: readonly { name: string; type: DuckDBType }[];
  readonly produce: ChunkProducer;
  rows: number;
}

const FUNCTION = 'beaconry_rows';

export class RowSource {
  private readonly pending = new Map<number, Pending>();
  private nextToken = 1;

  /** Registers the table function on `conn`'s database (once per DuckDB instance). */
  constructor(conn: DuckDBConnection) {
    conn.registerTableFunction(
      DuckDBTableFunction.create({
        name: FUNCTION,
        parameterTypes: [INTEGER],
        bindFunction: (info) => {
          const p = this.pending.get(info.getParameter(0) as number);
          if (!p) {
            info.setError(`${FUNCTION}: no rows are waiting under this token`);
            return;
          }
          for (const c of p.columns) info.addResultColumn(c.name, c.type);
          info.setBindData(p);
        },
        // One producer, filled in order: DuckDB keeps the insertion order (the rollups' row cut relies on it).
        initFunction: (info) => info.setMaxThreads(1),
        mainFunction: (info, out) => {
          const p = info.bindData as Pending;
          try {
            p.rows += p.produce(out.chunk);
          } catch (err) {
            duckdb.data_chunk_set_size(out.chunk, 0);
            info.setError(`${FUNCTION}: ${(err as Error).message}`);
          }
        },
      }),
    );
  }

  /**
   * Inserts what `produce` gives into `table` (whose columns are `columns`, in order) on `conn`, in
   * its open transaction if any; resolves with the row count. An error thrown by `produce` fails the
   * INSERT with its message.
   */
  async insert(conn: DuckDBConnection, table: string, columns: Pending['columns'], produce: ChunkProducer): Promise<number> {
    const token = this.nextToken++;
    const p: Pending = { columns, produce, rows: 0 };
    this.pending.set(token, p);
    try {
      await conn.run(`INSERT INTO ${table} SELECT * FROM ${FUNCTION}(${token})`);
    } finally {
      this.pending.delete(token);
    }
    return p.rows;
  }
}
