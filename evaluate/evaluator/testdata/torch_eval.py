#!/usr/bin/env python3
"""PyTorch side of the weights test.

Usage: torch_eval.py PEER_MODULE SPEC_JSON WEIGHTS DATA OUT_JSON

Builds the peer module for the spec, loads the weights (a safetensors state dict as
train writes it) with load_state_dict(strict=True), runs it in evaluation mode on
DATA (safetensors: x, normalised NCHW float32 images; y, int64 labels) and writes
{"top1_wrong", "top5_wrong", "loss", "n"} to OUT_JSON.
"""
import json
import sys

import torch

import safetensors_io


def main():
    peer_path, spec_path, weights, data_path, out = sys.argv[1:6]
    peer = safetensors_io.load_peer(peer_path)
    m = peer.build(json.load(open(spec_path)))
    m.load_state_dict(safetensors_io.read(weights), strict=True)
    m.eval()
    d = safetensors_io.read(data_path)
    with torch.no_grad():
        logits = m(d["x"])
    y = d["y"]
    top5 = logits.topk(min(5, logits.shape[1]), dim=1).indices
    res = {
        "n": int(y.numel()),
        "top1_wrong": int((logits.argmax(1) != y).sum()),
        "top5_wrong": int((top5 != y[:, None]).all(1).sum()),
        "loss": float(torch.nn.functional.cross_entropy(logits.double(), y)),
    }
    json.dump(res, open(out, "w"))


if __name__ == "__main__":
    main()
