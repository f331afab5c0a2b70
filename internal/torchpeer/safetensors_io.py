"""Read and write safetensors files with json, struct and torch only (the oracle
tests' Python side; Debian's python3-torch has no safetensors package)."""
import json
import struct

import torch

_DTYPES = {"F32": torch.float32, "I64": torch.int64}
_NAMES = {v: k for k, v in _DTYPES.items()}


def read(path):
    """Return {name: tensor} of the file at path."""
    with open(path, "rb") as f:
        b = f.read()
    n = struct.unpack("<Q", b[:8])[0]
    header = json.loads(b[8:8 + n])
    data = b[8 + n:]
    out = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        lo, hi = h["data_offsets"]
        dtype = _DTYPES[h["dtype"]]
        t = torch.frombuffer(bytearray(data[lo:hi]), dtype=dtype) if hi > lo else torch.zeros(0, dtype=dtype)
        out[name] = t.reshape(h["shape"]).clone()
    return out


def write(path, tensors):
    """Write {name: tensor} (float32 or int64) to path."""
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        raw = t.numpy().tobytes()
        header[name] = {"dtype": _NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def load_peer(path):
    """Import the peer module torch_anynet.py from path."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("torch_anynet", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod
