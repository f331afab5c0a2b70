package trainer

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ddstools/dds/formats"
	"github.com/ddstools/dds/train/network"
	"github.com/ddstools/dds/train/safetensors"
)

// Store is a checkpoint directory. For each job key it holds at most two files:
// KEY.done, the JSON of the finished Result (weights included), and KEY.state, a
// safetensors file with the network's state dict, its momentum (tensor
// "__momentum__") and the partial Result as metadata, saved after every epoch.
// Files are written as formats.WriteFile writes them: to a temporary name beside
// them, synced and renamed, so a run killed at any moment leaves either the old file
// or the new one, never a torn one. They get the permissions of -o outputs: those of
// the file they replace, or 0666 less the umask.
type Store struct {
	Dir string
}

// OpenStore creates dir if needed and removes temporary files a killed run left.
func OpenStore(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("checkpoint directory: %v", err)
	}
	// The temporary files of formats.WriteFile (.KEY.done.tmpN, .KEY.state.tmpN),
	// and those of earlier versions (.tmp-N).
	for _, pattern := range []string{".*.done.tmp[0-9]*", ".*.state.tmp[0-9]*", ".tmp-*"} {
		tmps, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, t := range tmps {
			os.Remove(t)
		}
	}
	return &Store{Dir: dir}, nil
}

// JobKey identifies a training job for checkpoints: the first 24 hex digits of
// SHA-256 over the config id, its index (position in the sampler's run, which
// sharding keeps), the seed and the recipe. The same job in another shard file
// finds its checkpoint.
func JobKey(id string, index int64, seed uint64, r formats.Recipe) string {
	js, _ := json.Marshal(r)
	sum := sha256.Sum256(fmt.Appendf(nil, "train/v1 id=%s index=%d seed=%d recipe=%s", id, index, seed, js))
	return hex.EncodeToString(sum[:12])
}

func (s *Store) path(key, ext string) string { return filepath.Join(s.Dir, key+ext) }

// write stores b under name atomically (formats.WriteFile).
func (s *Store) write(name string, b []byte) error {
	return formats.WriteFile(name, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// LoadDone returns the finished result of key, or nil when there is none.
func (s *Store) LoadDone(key string) (*Result, error) {
	b, err := os.ReadFile(s.path(key, ".done"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %v", s.path(key, ".done"), err)
	}
	return &r, nil
}

// SaveDone records the finished result of key and drops its epoch state.
func (s *Store) SaveDone(key string, r Result) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := s.write(s.path(key, ".done"), b); err != nil {
		return err
	}
	if err := os.Remove(s.path(key, ".state")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

const momentumTensor = "__momentum__"

// SaveState saves net (parameters, running statistics, momentum, step count) and
// the partial result after a completed epoch.
func (s *Store) SaveState(key string, net *network.Net, part Result) error {
	ts, err := net.State()
	if err != nil {
		return err
	}
	v := make([]float32, net.NParams)
	net.E.Download(v, net.V)
	ts = append(ts, safetensors.Float32(momentumTensor, []int{net.NParams}, v))
	meta, err := json.Marshal(part)
	if err != nil {
		return err
	}
	b, err := safetensors.Encode(ts, map[string]string{"result": string(meta)})
	if err != nil {
		return err
	}
	return s.write(s.path(key, ".state"), b)
}

// LoadState restores net from the epoch state of key and returns the partial result
// saved with it, or nil (net untouched) when there is none.
func (s *Store) LoadState(key string, net *network.Net) (*Result, error) {
	name := s.path(key, ".state")
	b, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	f, err := safetensors.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	var part Result
	if err := json.NewDecoder(strings.NewReader(f.Metadata["result"])).Decode(&part); err != nil {
		return nil, fmt.Errorf("%s: result metadata: %v", name, err)
	}
	mt, ok := f.Get(momentumTensor)
	if !ok {
		return nil, fmt.Errorf("%s: no %s tensor", name, momentumTensor)
	}
	mom, err := mt.Float32s()
	if err != nil || len(mom) != net.NParams {
		return nil, fmt.Errorf("%s: momentum has %d values, want %d (%v)", name, len(mom), net.NParams, err)
	}
	rest := &safetensors.File{}
	for _, t := range f.Tensors {
		if t.Name != momentumTensor {
			rest.Tensors = append(rest.Tensors, t)
		}
	}
	if err := net.Load(rest); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	net.E.Upload(net.V, mom)
	if net.Steps != part.Steps {
		return nil, fmt.Errorf("%s: state has %d steps, its result %d", name, net.Steps, part.Steps)
	}
	return &part, net.E.Err()
}
