"""Measures one peer engine on prepared data (see prepare.py); prints one
JSON object per measurement, like the Rust bench binary.

Usage: python bench/peers.py ENGINE DATA_DIR   (ENGINE: hnswlib, faiss, usearch, qdrant-edge)
"""

import json
import os
import resource
import sys
import tempfile
import time

import numpy as np

M, EFC, EFS = int(os.environ.get("BENCH_M", 16)), int(os.environ.get("BENCH_EFC", 128)), (16, 32, 64, 128)


def load(d):
    meta = json.load(open(os.path.join(d, "meta.json")))
    n, dim = meta["n"], meta["dim"]
    base = np.fromfile(os.path.join(d, "base.f32"), dtype="<f4").reshape(n, dim)
    qs = {k: np.fromfile(os.path.join(d, f"{k}.f32"), dtype="<f4").reshape(-1, dim) for k in ("q_def", "q_ex")}
    gts = {k: np.fromfile(os.path.join(d, f"{k}.gt"), dtype="<u4").reshape(-1, meta["gt_k"]) for k in ("q_def", "q_ex")}
    # filter fields: f1 / f10 uncorrelated, c1 / c10 correlated with clusters
    masks = {f: np.unpackbits(np.fromfile(os.path.join(d, f"{f}.bits"), dtype=np.uint8))[:n].astype(bool)
             for f in ("f1", "f10", "c1", "c10") if os.path.exists(os.path.join(d, f"{f}.bits"))}
    return meta, base, qs, gts, masks


# BENCH_THREADS=1: only the single-thread pass (as for the Rust bench)
THREADS = (1,) if os.environ.get("BENCH_THREADS") == "1" else (1, 2)
# the edge engine's name in the report (BENCH_ENGINE: a variant's name)
EDGE = os.environ.get("BENCH_ENGINE", "qdrant-edge")
FILTER_NAMES = {"f1": "1%", "f10": "10%", "c1": "1% corr", "c10": "10% corr"}


def emit(engine, **kw):
    print(json.dumps({"engine": engine, **kw}), flush=True)


def recall(found, gt):
    return float(np.mean([len(set(f[:10]) & set(g[:10])) / 10 for f, g in zip(found, gt)]))


def exact_filtered_gt(base, q, mask, k=10):
    ids = np.nonzero(mask)[0]
    scores = q @ base[ids].T
    return ids[np.argsort(-scores, axis=1)[:, :k]]


def run_hnswlib(base, qs, gts, masks):
    import hnswlib

    for threads in THREADS:
        index = hnswlib.Index(space="ip", dim=base.shape[1])
        index.init_index(max_elements=len(base), M=M, ef_construction=EFC, random_seed=42)
        index.set_num_threads(threads)
        t = time.perf_counter()
        index.add_items(base, np.arange(len(base)))
        emit("hnswlib", kind="build", threads=threads, seconds=time.perf_counter() - t)
        for qname, q in qs.items():
            for ef in EFS:
                index.set_ef(ef)
                t = time.perf_counter()
                labels, _ = index.knn_query(q, k=10, num_threads=threads)
                emit("hnswlib", kind="search", threads=threads, queries=qname, filter="none", ef=ef, qps=len(q) / (time.perf_counter() - t), recall=recall(labels, gts[qname]))


def run_faiss(base, qs, gts, masks):
    import faiss

    for threads in THREADS:
        faiss.omp_set_num_threads(threads)
        index = faiss.IndexHNSWFlat(base.shape[1], M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = EFC
        t = time.perf_counter()
        index.add(base)
        emit("faiss", kind="build", threads=threads, seconds=time.perf_counter() - t)
        for qname, q in qs.items():
            for ef in EFS:
                index.hnsw.efSearch = ef
                t = time.perf_counter()
                _, labels = index.search(q, 10)
                emit("faiss", kind="search", threads=threads, queries=qname, filter="none", ef=ef, qps=len(q) / (time.perf_counter() - t), recall=recall(labels, gts[qname]))


def run_usearch(base, qs, gts, masks):
    from usearch.index import Index

    for threads in THREADS:
        index = Index(ndim=base.shape[1], metric="ip", dtype="f32", connectivity=M, expansion_add=EFC)
        t = time.perf_counter()
        index.add(np.arange(len(base)), base, threads=threads)
        emit("usearch", kind="build", threads=threads, seconds=time.perf_counter() - t)
        for qname, q in qs.items():
            for ef in EFS:
                index.expansion_search = ef
                t = time.perf_counter()
                m = index.search(q, 10, threads=threads)
                emit("usearch", kind="search", threads=threads, queries=qname, filter="none", ef=ef, qps=len(q) / (time.perf_counter() - t), recall=recall(m.keys, gts[qname]))


def run_qdrant_edge(base, qs, gts, masks):
    import qdrant_edge as qe

    for threads in THREADS:
        path = tempfile.mkdtemp(prefix="edge-")
        config = qe.EdgeConfig(
            vectors=qe.EdgeVectorParams(size=base.shape[1], distance=qe.Distance.Dot),
            # BENCH_BLOCKS=1: payload-aware links, as Vectorizer builds then
            hnsw_config=qe.HnswIndexConfig(m=M, ef_construct=EFC, full_scan_threshold=10, max_indexing_threads=threads,
                                           payload_m=M if os.environ.get("BENCH_BLOCKS") == "1" else None),
            optimizers=qe.EdgeOptimizersConfig(default_segment_number=1, indexing_threshold=10),
            max_search_threads=threads,
        )
        shard = qe.EdgeShard.create(path, config)
        # payload indexes before the build, as Qdrant does
        for field in masks:
            shard.update(qe.UpdateOperation.create_field_index(field, qe.PayloadSchemaType.Keyword))
        t = time.perf_counter()
        for s in range(0, len(base), 1000):
            pts = [qe.Point(id=int(i), vector=base[i].tolist(), payload={f: "y" if m[i] else "n" for f, m in masks.items()}) for i in range(s, min(s + 1000, len(base)))]
            shard.update(qe.UpdateOperation.upsert_points(pts))
        while shard.optimize():
            pass
        emit(EDGE, kind="build", threads=threads, seconds=time.perf_counter() - t)
        for qname, q in qs.items():
            for fname in ("none", *masks) if threads == 1 else ("none",):
                flt = None if fname == "none" else qe.Filter(must=[qe.FieldCondition(key=fname, match=qe.MatchValue(value="y"))])
                truth = gts[qname] if flt is None else exact_filtered_gt(base, q, masks[fname])
                for ef in EFS:
                    params = qe.SearchParams(hnsw_ef=ef)
                    t = time.perf_counter()
                    found = []
                    for v in q:
                        hits = shard.query(qe.QueryRequest(limit=10, query=qe.Query.Nearest(v.tolist()), filter=flt, params=params))
                        found.append([h.id for h in hits])
                    emit(EDGE, kind="search", threads=threads, queries=qname, filter=FILTER_NAMES.get(fname, "none"), ef=ef, qps=len(q) / (time.perf_counter() - t), recall=recall(found, truth))
        shard.close()


def main():
    engine, d = sys.argv[1], sys.argv[2]
    meta, base, qs, gts, masks = load(d)
    {"hnswlib": run_hnswlib, "faiss": run_faiss, "usearch": run_usearch, "qdrant-edge": run_qdrant_edge}[engine](base, qs, gts, masks)
    emit(EDGE if engine == "qdrant-edge" else engine, kind="memory", peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, raw_vectors_mb=base.nbytes / 1048576)


if __name__ == "__main__":
    main()
