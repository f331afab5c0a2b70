package formats

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ddstools/dds/internal/version"
)

// SchemaVersion is the version of the record layouts in this package. Readers reject
// streams of another version.
const SchemaVersion = "1"

// Schema metadata keys.
const (
	KeySchemaVersion = "dds.schema_version"
	KeyKind          = "dds.kind"     // KindConfig or KindSpace
	KeyProducer      = "dds.producer" // the program that wrote the stream and its version: "sample dds devel-4899c4f12a3b"
	KeyArgs          = "dds.args"     // its arguments, as a JSON array
	KeySpace         = "dds.space"    // config streams: the source Space as JSON
)

// Stream kinds.
const (
	KindConfig = "config"
	KindSpace  = "space"
)

// Provenance names the program that writes a stream and its arguments. The stream's
// dds.producer is the program's name followed by " dds " and the build's version.
type Provenance struct {
	Producer string
	Args     []string
}

// metadata builds schema metadata for a stream of the given kind; extra pairs follow.
func (p Provenance) metadata(kind string, extra ...string) arrow.Metadata {
	args, _ := json.Marshal(p.Args)
	if p.Args == nil {
		args = []byte("[]")
	}
	keys := []string{KeySchemaVersion, KeyKind, KeyProducer, KeyArgs}
	vals := []string{SchemaVersion, kind, p.Producer + " dds " + version.String(), string(args)}
	for i := 0; i+1 < len(extra); i += 2 {
		keys = append(keys, extra[i])
		vals = append(vals, extra[i+1])
	}
	return arrow.NewMetadata(keys, vals)
}

// CheckKind verifies that a schema carries this package's schema version and the
// wanted kind, with an error a user can act on.
func CheckKind(s *arrow.Schema, kind string) error {
	md := s.Metadata()
	v, ok := md.GetValue(KeySchemaVersion)
	if !ok {
		return fmt.Errorf("input is an Arrow stream but not a dds %s stream (no %s in its schema metadata)", kind, KeySchemaVersion)
	}
	if v != SchemaVersion {
		return fmt.Errorf("input has schema version %s; this program reads version %s", v, SchemaVersion)
	}
	if k, _ := md.GetValue(KeyKind); k != kind {
		return fmt.Errorf("input is a dds %s stream, want a %s stream", k, kind)
	}
	return nil
}

// ProducerName returns the program name of a dds.producer value (its first word).
func ProducerName(producer string) string {
	name, _, _ := strings.Cut(producer, " ")
	return name
}

// Derive returns the metadata of a stream that a later stage (p, writing kind)
// derives from a stream with metadata md: every key of md is kept (the source
// space among them), the previous producer's arguments move to
// "dds.args.<producer>", and version, kind, producer and arguments become p's.
func Derive(md arrow.Metadata, kind string, p Provenance) arrow.Metadata {
	own := p.metadata(kind)
	keys, vals := own.Keys(), own.Values()
	have := map[string]bool{}
	for _, k := range keys {
		have[k] = true
	}
	prev, _ := md.GetValue(KeyProducer)
	prev = ProducerName(prev)
	for i, k := range md.Keys() {
		switch k {
		case KeySchemaVersion, KeyKind, KeyProducer:
			continue
		case KeyArgs:
			if prev == "" {
				continue
			}
			k = KeyArgs + "." + prev
		}
		if have[k] {
			continue
		}
		have[k] = true
		keys = append(keys, k)
		vals = append(vals, md.Values()[i])
	}
	return arrow.NewMetadata(keys, vals)
}
