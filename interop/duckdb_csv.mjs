#!/usr/bin/env node
// duckdb_csv.mjs: loads a CSV file into DuckDB (through @duckdb/node-api, DuckDB's own
// CSV reader and type detection) and prints what a SQL query over it sees.
//
// usage: node duckdb_csv.mjs FILE
//
// Output, on stdout, one JSON object per row of
//   SELECT typeof(seed), seed::VARCHAR, id, flops FROM read_csv(FILE) ORDER BY index
// as {"seed_type": ..., "seed": "...", "id": "...", "flops": "..."} (64-bit values as
// decimal strings).

import { DuckDBInstance } from '@duckdb/node-api';

const [path] = process.argv.slice(2);
if (!path) {
  process.stderr.write('usage: node duckdb_csv.mjs FILE\n');
  process.exit(2);
}
try {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const quoted = "'" + path.replaceAll("'", "''") + "'";
  const r = await con.runAndReadAll(
    `SELECT typeof(seed) AS seed_type, seed::VARCHAR AS seed, id, flops::VARCHAR AS flops FROM read_csv(${quoted}) ORDER BY "index"`,
  );
  for (const row of r.getRowObjectsJson()) process.stdout.write(JSON.stringify(row) + '\n');
} catch (e) {
  process.stderr.write(`duckdb_csv: ${e && e.message ? e.message : e}\n`);
  process.exitCode = 1;
}
