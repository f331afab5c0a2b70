#!/usr/bin/env node
// read_polars.mjs: reads a file with nodejs-polars (the Rust polars engine, an Arrow
// implementation independent of arrow-go and of apache-arrow JS) and prints a JSON
// summary of what polars sees.
//
// usage: node read_polars.mjs ipc|csv FILE [COLUMN]
//
// ipc reads an Arrow IPC stream with readIPCStream, csv reads CSV with readCSV.
// Output, on stdout, one JSON object:
//   {"rows": N, "columns": [names in order], "values": [COLUMN's values as strings]}
// where values is present only when COLUMN is given; 64-bit integers print in full.

import { readFileSync } from 'node:fs';
import pl from 'nodejs-polars';

const [mode, path, column] = process.argv.slice(2);
if (!['ipc', 'csv'].includes(mode) || !path) {
  process.stderr.write('usage: node read_polars.mjs ipc|csv FILE [COLUMN]\n');
  process.exit(2);
}
try {
  const df = mode === 'ipc' ? pl.readIPCStream(readFileSync(path)) : pl.readCSV(readFileSync(path, 'utf8'));
  const out = { rows: df.height, columns: df.columns };
  if (column) out.values = df.getColumn(column).cast(pl.Utf8).toArray();
  process.stdout.write(JSON.stringify(out) + '\n');
} catch (e) {
  process.stderr.write(`read_polars: ${e && e.message ? e.message : e}\n`);
  process.exitCode = 1;
}
