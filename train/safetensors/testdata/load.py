"""Reads a safetensors file with only json, struct and torch, checking the format's
rules, and prints its contents as JSON on stdout:

    {"order": [header keys in order], "metadata": {...},
     "tensors": {name: {"dtype": "F32", "torch": "torch.float32", "shape": [...],
                        "values": [each element as str(int) or float.hex()]}}}

Usage: python3 load.py FILE
"""
import json
import struct
import sys

import torch

DTYPES = {
    "BOOL": torch.bool, "U8": torch.uint8, "I8": torch.int8, "I16": torch.int16,
    "F16": torch.float16, "BF16": torch.bfloat16, "I32": torch.int32,
    "F32": torch.float32, "I64": torch.int64, "F64": torch.float64,
}


def pairs(kv):
    keys = [k for k, _ in kv]
    assert len(keys) == len(set(keys)), f"duplicate keys {keys}"
    return dict(kv)


def main(path):
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    assert (8 + n) % 8 == 0, f"data section starts at {8 + n}, not 8-aligned"
    text = buf[8:8 + n].decode("utf-8")
    assert text.rstrip(" ") == text.strip(), "header padded with something other than trailing spaces"
    header = json.loads(text, object_pairs_hook=pairs)
    data = buf[8 + n:]
    meta = header.get("__metadata__", {})
    out = {"order": list(header), "metadata": meta, "tensors": {}}
    pos = 0
    for name, e in header.items():
        if name == "__metadata__":
            continue
        begin, end = e["data_offsets"]
        assert begin == pos, f"{name}: begins at {begin}, want {pos}"
        pos = end
        dt = DTYPES[e["dtype"]]
        shape = e["shape"]
        if end > begin:
            t = torch.frombuffer(bytearray(data[begin:end]), dtype=dt).reshape(shape)
        else:
            t = torch.empty(shape, dtype=dt)
        assert t.numel() * t.element_size() == end - begin, f"{name}: size"
        vals = []
        for v in t.flatten().tolist():
            vals.append(float(v).hex() if isinstance(v, float) else str(int(v)))
        out["tensors"][name] = {"dtype": e["dtype"], "torch": str(t.dtype), "shape": list(t.shape), "values": vals}
    assert pos == len(data), f"tensors end at {pos}, data section is {len(data)} bytes"
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
