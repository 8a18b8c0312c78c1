"""Server-level benchmark: starts the release `vectorizer` binary on free
loopback ports with a temporary store, ingests the prepared vectors through
the REST API and through gRPC (qdrant-client, `prefer_grpc`), waits for
status green, then runs `query_batch_points` from 1 and 2 client threads
over the same transport (Qdrant's own benchmark method) and prints JSON
lines: RPS, mean / p95 / p99 latency, recall@10.

Usage: python bench/wire.py DATA_DIR BINARY
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
from qdrant_client import QdrantClient, models

BATCH = 8  # queries per query_batch_points request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    data_dir, binary = sys.argv[1], os.path.abspath(sys.argv[2])
    meta = json.load(open(os.path.join(data_dir, "meta.json")))
    n, dim, gt_k = meta["n"], meta["dim"], meta["gt_k"]
    base = np.fromfile(os.path.join(data_dir, "base.f32"), dtype="<f4").reshape(n, dim)
    queries = np.fromfile(os.path.join(data_dir, "q_def.f32"), dtype="<f4").reshape(-1, dim)
    gt = np.fromfile(os.path.join(data_dir, "q_def.gt"), dtype="<u4").reshape(-1, gt_k)[:, :10]
    store = tempfile.mkdtemp(prefix="vectorizer-bench-")
    http, grpc = free_port(), free_port()
    env = dict(os.environ, QDRANT__SERVICE__HTTP_PORT=str(http), QDRANT__SERVICE__GRPC_PORT=str(grpc),
               QDRANT__STORAGE__STORAGE_PATH=os.path.join(store, "storage"), QDRANT__LOG_LEVEL="WARN")
    server = subprocess.Popen([binary], env=env, cwd=store, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = QdrantClient(url=f"http://127.0.0.1:{http}", timeout=300)
        for _ in range(100):
            try:
                client.get_collections()
                break
            except Exception:
                time.sleep(0.1)
        def connect(transport):
            if transport == "grpc":
                return QdrantClient(url=f"http://127.0.0.1:{http}", grpc_port=grpc, prefer_grpc=True, timeout=300)
            return QdrantClient(url=f"http://127.0.0.1:{http}", timeout=300)

        for transport in ("rest", "grpc"):
            bench = f"bench_{transport}"
            c0 = connect(transport)
            c0.create_collection(bench, vectors_config=models.VectorParams(size=dim, distance=models.Distance.DOT),
                                 hnsw_config=models.HnswConfigDiff(m=16, ef_construct=128))
            t = time.time()
            c0.upload_collection(bench, vectors=base, ids=range(n), batch_size=1000, parallel=1, wait=True)
            while c0.get_collection(bench).status != models.CollectionStatus.GREEN:
                time.sleep(0.2)
            ingest = time.time() - t
            info = c0.get_collection(bench)
            print(json.dumps({"engine": "vectorizer", "kind": "wire_ingest", "transport": transport, "seconds": ingest,
                              "points": info.points_count, "segments": info.segments_count}), flush=True)
            for ef in (32, 64):
                for threads in (1, 2):
                    requests = [
                        [models.QueryRequest(query=q.tolist(), limit=10, params=models.SearchParams(hnsw_ef=ef))
                         for q in queries[s:s + BATCH]]
                        for s in range(0, len(queries), BATCH)
                    ]
                    latencies, results = [], {}
                    lock = threading.Lock()

                    def worker(part):
                        c = connect(transport)
                        for i in part:
                            s = time.perf_counter()
                            r = c.query_batch_points(bench, requests[i])
                            d = time.perf_counter() - s
                            with lock:
                                latencies.append(d)
                                results[i] = r

                    parts = [list(range(k, len(requests), threads)) for k in range(threads)]
                    t = time.perf_counter()
                    ts = [threading.Thread(target=worker, args=(p,)) for p in parts]
                    [x.start() for x in ts]
                    [x.join() for x in ts]
                    secs = time.perf_counter() - t
                    hit = 0
                    for i, batch in results.items():
                        for j, resp in enumerate(batch):
                            qi = i * BATCH + j
                            hit += len({p.id for p in resp.points} & set(gt[qi].tolist()))
                    lat = np.array(latencies) * 1000
                    print(json.dumps({"engine": "vectorizer", "kind": "wire_search", "transport": transport, "threads": threads,
                                      "ef": ef, "rps": len(queries) / secs, "batch": BATCH, "mean_ms": float(lat.mean()),
                                      "p95_ms": float(np.percentile(lat, 95)), "p99_ms": float(np.percentile(lat, 99)),
                                      "recall": hit / (len(queries) * 10)}), flush=True)
            if transport == "grpc":
                c0.delete_collection(bench)
        # prefetch caching: three identical prefetches fused, against three
        # different ones (the cache runs the identical ones once)
        def fused(prefetch_queries):
            return models.QueryRequest(
                prefetch=[models.Prefetch(query=q.tolist(), limit=50, params=models.SearchParams(hnsw_ef=64)) for q in prefetch_queries],
                query=models.FusionQuery(fusion=models.Fusion.RRF), limit=10)
        n_req = 200
        for kind in ("repeated", "distinct"):
            requests = [
                [fused([queries[i]] * 3 if kind == "repeated" else [queries[i], queries[(i + 1) % len(queries)], queries[(i + 2) % len(queries)]])
                 for i in range(s, s + BATCH)]
                for s in range(0, n_req, BATCH)
            ]
            t = time.perf_counter()
            for r in requests:
                client.query_batch_points("bench_rest", r)
            secs = time.perf_counter() - t
            print(json.dumps({"engine": "vectorizer", "kind": "wire_prefetch", "prefetches": kind, "rps": n_req / secs}), flush=True)
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    main()
