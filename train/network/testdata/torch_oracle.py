#!/usr/bin/env python3
"""PyTorch side of the network oracle test.

Usage: torch_oracle.py PEER_MODULE DIR

DIR holds spec.json (a torch_anynet spec plus "lr", "momentum", "weight_decay",
"nesterov", "smoothing", "steps"), init.safetensors (the state dict to start from)
and batch.safetensors (x: NCHW float32, y: int64 labels). The script loads the state
strictly into the peer module, runs one training forward and backward pass and
writes out.safetensors with "logits", "loss" and every parameter's gradient under
"grad.<name>"; it then takes `steps` SGD steps on the same batch (the first with
those gradients) and adds the final state dict under "final.<name>".
Tensors are read and written with json, struct and torch only.
"""
import importlib.util
import json
import struct
import sys

import torch


def read_safetensors(path):
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
        dtype = {"F32": torch.float32, "I64": torch.int64}[h["dtype"]]
        t = torch.frombuffer(bytearray(data[lo:hi]), dtype=dtype) if hi > lo else torch.zeros(0, dtype=dtype)
        out[name] = t.reshape(h["shape"]).clone()
    return out


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        dtype = {torch.float32: "F32", torch.int64: "I64"}[t.dtype]
        raw = t.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def main():
    peer_path, d = sys.argv[1], sys.argv[2]
    spec_mod = importlib.util.spec_from_file_location("torch_anynet", peer_path)
    peer = importlib.util.module_from_spec(spec_mod)
    spec_mod.loader.exec_module(peer)
    torch.set_num_threads(1)
    spec = json.load(open(f"{d}/spec.json"))
    m = peer.build(spec)
    m.load_state_dict(read_safetensors(f"{d}/init.safetensors"), strict=True)
    m.train()
    batch = read_safetensors(f"{d}/batch.safetensors")
    x, y = batch["x"], batch["y"]
    lossf = torch.nn.CrossEntropyLoss(label_smoothing=spec["smoothing"])
    opt = torch.optim.SGD(m.parameters(), lr=spec["lr"], momentum=spec["momentum"],
                          nesterov=spec["nesterov"], weight_decay=spec["weight_decay"])
    out = {}
    for step in range(spec["steps"]):
        opt.zero_grad(set_to_none=False)
        logits = m(x)
        loss = lossf(logits, y)
        loss.backward()
        if step == 0:
            out["logits"] = logits.detach().clone()
            out["loss"] = loss.detach().reshape([1]).clone()
            for name, p in m.named_parameters():
                out["grad." + name] = p.grad.detach().clone()
        opt.step()
    for name, t in m.state_dict().items():
        out["final." + name] = t
    write_safetensors(f"{d}/out.safetensors", out)


if __name__ == "__main__":
    main()
