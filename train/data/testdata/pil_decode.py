"""Decode and resize image files with Pillow as dds's imagefolder does: each file
decoded to RGB, its shorter side resized to R with Pillow's BOX filter (area
averaging), then the centre R x R crop. Prints one JSON line: images per second on
one process and on PROCS processes.

usage: python3 pil_decode.py R PROCS FILE...
"""
import json
import multiprocessing
import sys
import time

from PIL import Image


def load(args):
    path, r = args
    with Image.open(path) as im:
        im = im.convert("RGB")
        w, h = im.size
        if w <= h:
            w2, h2 = r, max(r, int(h * r / w + 0.5))
        else:
            w2, h2 = max(r, int(w * r / h + 0.5)), r
        im = im.resize((w2, h2), Image.BOX)
        x0, y0 = (w2 - r) // 2, (h2 - r) // 2
        return len(im.crop((x0, y0, x0 + r, y0 + r)).tobytes())


def main():
    r, procs, files = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    jobs = [(f, r) for f in files]
    load(jobs[0])
    t = time.perf_counter()
    for j in jobs:
        load(j)
    one = len(jobs) / (time.perf_counter() - t)
    with multiprocessing.Pool(procs) as pool:
        pool.map(load, jobs[:procs])
        t = time.perf_counter()
        pool.map(load, jobs, chunksize=8)
        many = len(jobs) / (time.perf_counter() - t)
    print(json.dumps({"pillow": Image.__version__, "per_process": one, "all": many, "procs": procs}))


if __name__ == "__main__":
    main()
