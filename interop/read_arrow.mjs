#!/usr/bin/env node
// read_arrow.mjs: reads an Arrow IPC stream with the apache-arrow JavaScript library
// (an implementation independent of arrow-go) and prints it as JSON lines.
//
// usage: node read_arrow.mjs [--stats] [--no-codec] [FILE|-]
//
// Input is FILE, or stdin when FILE is "-" or absent. Several streams written back
// to back are read as one sequence of rows (as dds's own reader does); the schema
// metadata printed is the first stream's.
//
// Output, on stdout:
//   line 1:  the schema metadata, one JSON object {key: value, ...}
//   then:    one JSON object per row, {column: value, ...}, every column in schema order
//
// Values:
//   int8/16/32, uint8/16/32, float   JSON numbers (float64 prints shortest round-trip)
//   int64, uint64                    decimal STRINGS ("123"), always: seeds use all 64
//                                    bits and do not fit a JS number exactly
//   NaN, +/-Infinity                 the strings "NaN", "Infinity", "-Infinity"
//   utf8, bool                       JSON strings, booleans
//   list<T>                          JSON arrays
//   struct<...>                      JSON objects, fields in schema order
//   null (at any depth)              null
// Any other type is an error (exit status 1), so a schema change cannot go unnoticed.
//
// Compressed bodies: apache-arrow (>= 21.1.0) reads IPC bodies compressed with
// LZ4_FRAME or ZSTD only through a codec registered in its compressionRegistry; it
// ships none. This script registers a ZSTD decoder backed by fzstd (pure JS); the
// LZ4_FRAME codec is not registered. With --no-codec none is: the library reads
// only uncompressed streams (dds's --compression none), as any reader without codecs.
// With --stats, a JSON summary (streams, batches, rows, zstd_buffers: how many
// buffers went through the decoder) is written to stderr at the end.

import { readFileSync } from 'node:fs';
import { compressionRegistry, CompressionType, RecordBatchReader, Type } from 'apache-arrow';
import { decompress } from 'fzstd';

const stats = { streams: 0, batches: 0, rows: 0, zstd_buffers: 0 };

// The decoder must return a buffer whose byteOffset is a multiple of 8: apache-arrow
// views decoded buffers as typed arrays in place (new Float64Array(buffer, offset)),
// and fzstd may return a view into a larger buffer at any offset (it did, at 12,
// for some of sample's buffers), so such views are copied.
const zstd = {
  decode(bytes) {
    stats.zstd_buffers++;
    const out = decompress(bytes);
    return out.byteOffset % 8 === 0 ? out : out.slice();
  },
};

function usage() {
  process.stderr.write('usage: node read_arrow.mjs [--stats] [--no-codec] [FILE|-]\n');
  process.exit(2);
}

// value converts one value of Arrow type t, as the library returns it, to JSON-ready form.
function value(t, v) {
  if (v === null || v === undefined) return null;
  switch (t.typeId) {
    case Type.Int:
      if (t.bitWidth === 64) return BigInt(v).toString();
      return Number(v);
    case Type.Float: {
      const x = Number(v);
      return Number.isFinite(x) ? x : String(x);
    }
    case Type.Utf8:
    case Type.LargeUtf8:
      return String(v);
    case Type.Bool:
      return Boolean(v);
    case Type.List:
    case Type.LargeList:
    case Type.FixedSizeList: {
      const ct = t.children[0].type;
      const out = [];
      for (let i = 0; i < v.length; i++) out.push(value(ct, v.get(i)));
      return out;
    }
    case Type.Struct: {
      const out = {};
      for (const f of t.children) out[f.name] = value(f.type, v[f.name]);
      return out;
    }
    default:
      throw new Error(`unsupported Arrow type ${t} (type id ${t.typeId})`);
  }
}

function main() {
  const args = process.argv.slice(2);
  let showStats = false;
  let codec = true;
  let path = '-';
  let paths = 0;
  for (const a of args) {
    if (a === '--stats') showStats = true;
    else if (a === '--no-codec') codec = false;
    else if (a.startsWith('-') && a !== '-') usage();
    else { path = a; paths++; }
  }
  if (paths > 1) usage();
  if (codec) compressionRegistry.set(CompressionType.ZSTD, zstd);

  const buf = readFileSync(path === '-' ? 0 : path);
  if (buf.length === 0) throw new Error(`${path === '-' ? 'stdin' : path}: empty input`);

  let pending = [];
  const flush = () => {
    if (pending.length) process.stdout.write(pending.join(''));
    pending = [];
  };
  for (const reader of RecordBatchReader.readAll(buf)) {
    if (!reader.isStream()) throw new Error('input is an Arrow file, not a stream');
    if (stats.streams++ === 0) {
      pending.push(JSON.stringify(Object.fromEntries(reader.schema.metadata)) + '\n');
    }
    for (const batch of reader) {
      stats.batches++;
      const fields = batch.schema.fields;
      const cols = fields.map((_, i) => batch.getChildAt(i));
      for (let r = 0; r < batch.numRows; r++) {
        const row = {};
        fields.forEach((f, i) => { row[f.name] = value(f.type, cols[i].get(r)); });
        pending.push(JSON.stringify(row) + '\n');
        stats.rows++;
        if (pending.length >= 1024) flush();
      }
    }
  }
  if (stats.streams === 0) throw new Error('no Arrow stream in the input');
  flush();
  if (showStats) process.stderr.write(JSON.stringify(stats) + '\n');
}

try {
  main();
} catch (e) {
  process.stderr.write(`read_arrow: ${e && e.message ? e.message : e}\n`);
  process.exitCode = 1;
}
