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
Tensors are read and written by internal/torchpeer/safetensors_io.py.
"""
import json
import sys

import torch

import safetensors_io


def main():
    peer_path, d = sys.argv[1], sys.argv[2]
    peer = safetensors_io.load_peer(peer_path)
    torch.set_num_threads(1)
    spec = json.load(open(f"{d}/spec.json"))
    m = peer.build(spec)
    m.load_state_dict(safetensors_io.read(f"{d}/init.safetensors"), strict=True)
    m.train()
    batch = safetensors_io.read(f"{d}/batch.safetensors")
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
    safetensors_io.write(f"{d}/out.safetensors", out)


if __name__ == "__main__":
    main()
