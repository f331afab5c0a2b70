// Package formats holds the records that flow between the dds programs and their
// Arrow encoding: Config (one network to train) and Space (a design space as data),
// the columns train and evaluate add (Trained, Evaluated, the recipe column and the
// statuses they carry), the IPC stream reader and writer every program uses, and
// text views of any stream.
//
// Streams are Arrow IPC stream format with zstd-compressed bodies. The schema
// metadata carries dds.schema_version, dds.kind, dds.producer and dds.args, and
// config streams carry the Space they were drawn from under dds.space (JSON).
// Readers select columns by name and keep the ones they do not know, so later
// stages never lose data. Several streams written one after another (shard outputs
// joined with cat) read as one input. A stream without its end-of-stream marker is
// rejected as truncated, and a writer that fails part-way never writes that marker.
//
// Used by every dds program and the libraries under them.
package formats
