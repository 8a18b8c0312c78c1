"""Prepares benchmark data: the shared 100k MiniLM set (or a synthetic set)
as raw little-endian f32 files plus exact top-100 ground truth.

Usage: python bench/prepare.py OUT_DIR [--synthetic N DIM]
"""

import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DATASET = os.path.join(HERE, "..", "..", "shared", "datasets", "wn-minilm-100k.npz")


def synthetic(n, dim, seed=7):
    """Clustered, anisotropic, rotated, normalized: shaped like real embeddings."""
    rng = np.random.default_rng(seed)
    k = 1000
    centers = rng.normal(size=(k, dim)).astype(np.float32)
    scale = (1.0 / np.sqrt(np.arange(1, dim + 1))).astype(np.float32)
    labels = rng.integers(0, k, size=n + 2000)
    x = centers[labels] * 0.5 + rng.normal(size=(n + 2000, dim)).astype(np.float32)
    x *= scale
    q, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    x = x @ q.astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x[:n], x[n : n + 1000], x[n + 1000 :], labels[:n]


def ground_truth(base, queries, k=100):
    out = np.empty((len(queries), k), dtype=np.int64)
    for s in range(0, len(queries), 100):
        scores = queries[s : s + 100] @ base.T
        top = np.argpartition(-scores, k, axis=1)[:, :k]
        order = np.take_along_axis(scores, top, axis=1).argsort(axis=1)[:, ::-1]
        out[s : s + 100] = np.take_along_axis(top, order, axis=1)
    return out


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    if "--synthetic" in sys.argv:
        i = sys.argv.index("--synthetic")
        n, dim = int(sys.argv[i + 1]), int(sys.argv[i + 2])
        base, q_def, q_ex, labels = synthetic(n, dim)
        name = f"synthetic-{n}x{dim}"
    else:
        data = np.load(DATASET)
        base, q_def, q_ex = (data[k].astype(np.float32) for k in ("base", "q_def", "q_ex"))
        labels = None
        name = "wn-minilm-100k"
    for label, arr in (("base", base), ("q_def", q_def), ("q_ex", q_ex)):
        np.ascontiguousarray(arr, dtype="<f4").tofile(os.path.join(out, f"{label}.f32"))
    for label, q in (("q_def", q_def), ("q_ex", q_ex)):
        np.ascontiguousarray(ground_truth(base, q), dtype="<u4").tofile(os.path.join(out, f"{label}.gt"))
    rng = np.random.default_rng(11)
    # filter fields: a keyword matching ~1% and ~10% of points
    pct1 = rng.random(len(base)) < 0.01
    pct10 = rng.random(len(base)) < 0.10
    np.packbits(pct1).tofile(os.path.join(out, "f1.bits"))
    np.packbits(pct10).tofile(os.path.join(out, "f10.bits"))
    # correlated ones (synthetic sets): whole clusters, so the matching
    # points are neighbours of each other
    for stale in ("c1.bits", "c10.bits"):
        path = os.path.join(out, stale)
        if os.path.exists(path):
            os.remove(path)
    if labels is not None:
        np.packbits(labels % 100 == 0).tofile(os.path.join(out, "c1.bits"))
        np.packbits(labels % 10 == 0).tofile(os.path.join(out, "c10.bits"))
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump({"name": name, "n": len(base), "dim": base.shape[1], "queries": len(q_def), "gt_k": 100}, f)
    print(f"prepared {name}: {len(base)} x {base.shape[1]} in {out}")


if __name__ == "__main__":
    main()
