#!/usr/bin/env node
// edit_space.mjs: edits a space stream the way a person would in polars and writes it
// back with polars, which drops the schema metadata (dds.schema_version, dds.kind).
//
// usage: node edit_space.mjs IN.arrows OUT.arrows PARAM HI
//
// Sets column hi of the row whose param is PARAM to HI and writes OUT.arrows as an
// Arrow IPC stream (polars' own choice of types: large_string, large_list).

import { readFileSync, writeFileSync } from 'node:fs';
import pl from 'nodejs-polars';

const [input, output, param, hi] = process.argv.slice(2);
if (!hi) {
  process.stderr.write('usage: node edit_space.mjs IN.arrows OUT.arrows PARAM HI\n');
  process.exit(2);
}
try {
  const df = pl.readIPCStream(readFileSync(input));
  const edited = df.withColumns(
    pl.when(pl.col('param').eq(pl.lit(param))).then(pl.lit(Number(hi))).otherwise(pl.col('hi')).alias('hi'),
  );
  writeFileSync(output, edited.writeIPCStream());
} catch (e) {
  process.stderr.write(`edit_space: ${e && e.message ? e.message : e}\n`);
  process.exitCode = 1;
}
