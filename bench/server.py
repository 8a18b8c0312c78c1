"""Side-by-side server benchmark: the release `vectorizer` binary against the
reference Qdrant 1.19.0 server, through the official Python client.

For each run, transport and engine (one server at a time, fresh ports and
storage): create collection `bench` (Cosine, hnsw m=16 ef_construct=100,
default_segment_number=2), upload the prepared vectors with
`upload_collection` (batches of 512, wait=true, parallel=1), time until
green with >= 99% of the points indexed (segments under the indexing
threshold, 10 MB by default, are never indexed: use sets large enough), then `query_batch_points` (16
queries a request, limit 10) from 1 and 2 client threads at several `ef`:
QPS, p50/p99 latency per request, recall@10. Peak RSS of the server is
VmHWM (and the max of VmRSS sampled every 0.5 s). Prints JSON lines, then a
table of ours/Qdrant ratios (per run; median with min-max over `--runs`).
With --loadgen (and bench/loadgen built), the compiled gRPC load generator
(bench/loadgen, Rust qdrant-client) also sends the unfiltered queries of
q_def (all of them) at ef 32/64/128 from 1 and 2 tasks, after its own
warm-up pass, against each server: the `grpc-rust ...` rows, not capped by
the Python client's CPU.

Usage: python bench/server.py DATA_DIR [--engines vectorizer,qdrant]
           [--transports grpc,rest] [--runs N] [--filters] [--quick]
           [--green-timeout SECONDS] [--loadgen]
DATA_DIR comes from bench/prepare.py. --filters adds keyword payloads f1/f10
(1% / 10% "yes", indexed) and filtered queries with exact ground truth;
--sweep adds keyword fields s0_1 ... s50 matching 0.1%, 1%, 5%, 10%, 25% and
50% of the points (indexed before the upload) and sends filtered queries
with bench/loadgen at ef 64 and 128 from 2 tasks (the `sweep ...` rows);
--green-only stops each engine once it is green (repeated time-to-green
runs); --quick runs only ef=64 from 2 threads on fewer queries (a smoke test).
"""

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import numpy as np
from qdrant_client import QdrantClient, models

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
COMMANDS = {
    "vectorizer": [os.path.join(ROOT, "target", "release", "vectorizer")],
    "qdrant": [os.path.join(ROOT, "..", "shared", "reference", "qdrant-1.19.0", "run")],
}
COLLECTION, BATCH, UPLOAD_BATCH, K = "bench", 16, 512, 10
LOADGEN = os.path.join(ROOT, "bench", "loadgen", "target", "release", "loadgen")
LOADGEN_EFS, LOADGEN_THREADS = [32, 64, 128], [1, 2]
# selectivity sweep: field name -> share of the points whose value is "yes"
SWEEP = {"s0_1": 0.001, "s1": 0.01, "s5": 0.05, "s10": 0.10, "s25": 0.25, "s50": 0.50}
SWEEP_EFS, SWEEP_QUERIES = [64, 128], 400


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def emit(row):
    print(json.dumps(row), flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_kib(pid, field):
    """A `Vm*` field of /proc/PID/status in KiB (None once the process is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def server_pid(root):
    """The real server among `root` and its descendants (`run` may exec or
    spawn): the one using the most memory."""
    children = {}
    for d in os.listdir("/proc"):
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(d))
        except (OSError, ValueError, IndexError):
            continue
    family, todo = [], [root]
    while todo:
        pid = todo.pop()
        family.append(pid)
        todo += children.get(pid, [])
    return max(family, key=lambda p: proc_kib(p, "VmRSS") or 0)


class Server:
    """One engine on free loopback ports with a fresh storage directory."""

    def __init__(self, engine):
        self.engine = engine
        self.dir = tempfile.mkdtemp(prefix=f"bench-server-{engine}-")
        self.http, self.grpc = free_port(), free_port()
        env = dict(os.environ, QDRANT__SERVICE__HTTP_PORT=str(self.http), QDRANT__SERVICE__GRPC_PORT=str(self.grpc),
                   QDRANT__STORAGE__STORAGE_PATH=os.path.join(self.dir, "storage"), QDRANT__LOG_LEVEL="WARN")
        if engine == "qdrant":
            env["QDRANT__TELEMETRY_DISABLED"] = "true"
        self.log_path = os.path.join(self.dir, "server.log")
        with open(self.log_path, "wb") as out:
            self.proc = subprocess.Popen(COMMANDS[engine], env=env, cwd=self.dir, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        self.max_rss, self.stopping = 0, threading.Event()
        try:
            self._wait_ready()
        except Exception:
            self.stop()
            raise
        self.pid = server_pid(self.proc.pid)
        self.sampler = threading.Thread(target=self._sample, daemon=True)
        self.sampler.start()

    def _wait_ready(self, timeout=180):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.engine} exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.http}/collections", timeout=2).read()
                socket.create_connection(("127.0.0.1", self.grpc), timeout=2).close()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.engine} not ready after {timeout} s: {self.log_tail()}")

    def _sample(self):
        while not self.stopping.wait(0.5):
            self.max_rss = max(self.max_rss, proc_kib(self.pid, "VmRSS") or 0)

    def log_tail(self):
        with open(self.log_path, "rb") as f:
            return f.read()[-2000:].decode(errors="replace")

    def client(self, transport):
        return QdrantClient(url=f"http://127.0.0.1:{self.http}", grpc_port=self.grpc,
                            prefer_grpc=transport == "grpc", timeout=300, check_compatibility=False)

    def rss(self):
        """(VmHWM, max sampled VmRSS) in MiB, read while the server still runs."""
        hwm = proc_kib(self.pid, "VmHWM")
        self.max_rss = max(self.max_rss, proc_kib(self.pid, "VmRSS") or 0)
        return (hwm / 1024 if hwm else None), (self.max_rss / 1024 or None)

    def stop(self):
        self.stopping.set()
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        except ProcessLookupError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class Data:
    """The prepared set: base memory-mapped (1M x 768 stays out of RAM)."""

    def __init__(self, path, n_queries, n_filtered, filters, sweep=False):
        self.path = path
        meta = json.load(open(os.path.join(path, "meta.json")))
        self.n, self.dim = meta["n"], meta["dim"]
        self.base = np.memmap(os.path.join(path, "base.f32"), dtype="<f4", mode="r", shape=(self.n, self.dim))
        queries = np.fromfile(os.path.join(path, "q_def.f32"), dtype="<f4").reshape(-1, self.dim)
        gt = np.fromfile(os.path.join(path, "q_def.gt"), dtype="<u4").reshape(len(queries), meta["gt_k"])
        self.queries, self.gt = queries[:n_queries], gt[:n_queries, :K]
        self.filters = {}
        if filters:
            for field in ("f1", "f10"):
                bits = np.unpackbits(np.fromfile(os.path.join(path, f"{field}.bits"), dtype=np.uint8))[: self.n]
                self.filters[field] = bits.astype(bool)
            self.fqueries = queries[:n_filtered]
            self.fgt = {f: filtered_gt(self.base, self.fqueries, m) for f, m in self.filters.items()}
        self.sweep = {}
        if sweep:
            # written beside nothing shared: the queries and each field's
            # exact filtered top-K go to a scratch directory for bench/loadgen
            self.sweep_dir = tempfile.mkdtemp(prefix="bench-sweep-")
            sq = queries[:SWEEP_QUERIES]
            np.ascontiguousarray(sq, dtype="<f4").tofile(os.path.join(self.sweep_dir, "q.f32"))
            rng = np.random.default_rng(23)
            for field, share in SWEEP.items():
                mask = rng.random(self.n) < share
                self.sweep[field] = mask
                gt = filtered_gt(self.base, sq, mask)
                np.ascontiguousarray(gt, dtype="<u4").tofile(os.path.join(self.sweep_dir, f"{field}.gt"))

    def payload(self):
        """Each point's keyword fields (None when the run has none)."""
        fields = {**self.filters, **self.sweep}
        if not fields:
            return None
        return ({f: "yes" if m[i] else "no" for f, m in fields.items()} for i in range(self.n))


def filtered_gt(base, queries, mask, chunk=65536):
    """Exact cosine top-K among the rows where `mask` is set, scanning in chunks."""
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    best_s = np.full((len(q), 0), -np.inf, dtype=np.float32)
    best_i = np.zeros((len(q), 0), dtype=np.int64)
    for s in range(0, len(base), chunk):
        idx = np.nonzero(mask[s : s + chunk])[0]
        if len(idx) == 0:
            continue
        x = np.asarray(base[s : s + chunk][idx], dtype=np.float32)
        x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
        scores = np.concatenate([best_s, q @ x.T], axis=1)
        ids = np.concatenate([best_i, np.broadcast_to(idx + s, (len(q), len(idx)))], axis=1)
        top = np.argsort(-scores, axis=1, kind="stable")[:, :K]
        best_s, best_i = np.take_along_axis(scores, top, 1), np.take_along_axis(ids, top, 1)
    return best_i


def upload(client, data):
    client.create_collection(
        COLLECTION, vectors_config=models.VectorParams(size=data.dim, distance=models.Distance.COSINE),
        hnsw_config=models.HnswConfigDiff(m=16, ef_construct=100),
        optimizers_config=models.OptimizersConfigDiff(default_segment_number=2))
    for field in [*data.filters, *data.sweep]:
        client.create_payload_index(COLLECTION, field, field_schema=models.PayloadSchemaType.KEYWORD, wait=True)
    payload = data.payload()
    start = time.perf_counter()
    client.upload_collection(COLLECTION, vectors=data.base, payload=payload, ids=range(data.n),
                             batch_size=UPLOAD_BATCH, parallel=1, wait=True)
    return start, time.perf_counter() - start


def wait_green(client, start, timeout):
    """Seconds from `start` until green with >= 99% indexed (None on timeout),
    and the last collection info seen."""
    info, deadline = None, start + timeout
    while time.perf_counter() < deadline:
        try:
            info = client.get_collection(COLLECTION)
            if (info.status == models.CollectionStatus.GREEN and info.points_count
                    and (info.indexed_vectors_count or 0) >= 0.99 * info.points_count):
                return time.perf_counter() - start, info
        except Exception as e:  # a slow or failing server: keep polling until the deadline
            log(f"get_collection: {e}")
        time.sleep(0.2)
    return None, info


def requests_for(queries, ef, flt=None):
    return [[models.QueryRequest(query=q.tolist(), limit=K, params=models.SearchParams(hnsw_ef=ef), filter=flt)
             for q in queries[s : s + BATCH]] for s in range(0, len(queries), BATCH)]


def run_queries(server, transport, batches, threads):
    """Sends the batches from `threads` threads (each its own client):
    (seconds, latencies in ms, {batch index: responses})."""
    latencies, results, errors, lock = [], {}, [], threading.Lock()
    clients = [server.client(transport) for _ in range(threads)]

    def worker(client, part):
        try:
            for i in part:
                t = time.perf_counter()
                r = client.query_batch_points(COLLECTION, batches[i])
                d = (time.perf_counter() - t) * 1000
                with lock:
                    latencies.append(d)
                    results[i] = r
        except Exception as e:
            errors.append(e)

    pool = [threading.Thread(target=worker, args=(clients[k], range(k, len(batches), threads))) for k in range(threads)]
    t = time.perf_counter()
    [p.start() for p in pool]
    [p.join() for p in pool]
    secs = time.perf_counter() - t
    for c in clients:
        c.close()
    if errors:
        raise errors[0]
    return secs, latencies, results


def recall(results, gt):
    hits = sum(len({p.id for p in resp.points} & set(gt[i * BATCH + j].tolist()))
               for i, batch in results.items() for j, resp in enumerate(batch))
    return hits / (len(gt) * K)


def run_loadgen(server, data, ef, threads, field=None):
    """bench/loadgen on the unfiltered q_def queries (or the sweep's queries
    filtered by `field` = "yes"): its JSON line as a dict."""
    if field is None:
        queries, gt = os.path.join(data.path, "q_def.f32"), os.path.join(data.path, "q_def.gt")
    else:
        queries, gt = os.path.join(data.sweep_dir, "q.f32"), os.path.join(data.sweep_dir, f"{field}.gt")
    cmd = [LOADGEN, "--url", f"http://127.0.0.1:{server.grpc}", "--collection", COLLECTION,
           "--queries", queries, "--dim", str(data.dim), "--gt", gt, "--ef", str(ef), "--threads", str(threads),
           "--batch", str(BATCH), "--limit", str(K)]
    if field is not None:
        cmd += ["--filter-key", field, "--filter-value", "yes"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise RuntimeError(f"loadgen exited with {out.returncode}: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_loadgen(engine, server, data, metrics):
    """The `grpc-rust ...` rows: the compiled client, unfiltered, every ef x threads."""
    for ef in LOADGEN_EFS:
        for threads in LOADGEN_THREADS:
            out = dict(qps=None, p50_ms=None, p99_ms=None, recall=None)
            try:
                out = run_loadgen(server, data, ef, threads)
            except Exception as e:
                log(f"{engine} loadgen ef={ef} threads={threads} failed: {e}")
            emit({"engine": engine, "transport": "grpc", "client": "rust", "kind": "server_search", "filter": "none",
                  "ef": ef, "threads": threads, "batch": BATCH, **out})
            for key, unit in (("qps", "QPS"), ("p50_ms", "p50 ms"), ("p99_ms", "p99 ms"), ("recall", "recall")):
                metrics[f"grpc-rust ef{ef} t{threads} {unit}"] = out[key]


def bench_sweep(engine, server, data, metrics):
    """The `sweep ...` rows: filtered queries at every selectivity, 2 tasks."""
    for field, share in SWEEP.items():
        for ef in SWEEP_EFS:
            out = dict(qps=None, p50_ms=None, p99_ms=None, recall=None)
            try:
                out = run_loadgen(server, data, ef, 2, field)
            except Exception as e:
                log(f"{engine} sweep {field} ef={ef} failed: {e}")
            emit({"engine": engine, "transport": "grpc", "client": "rust", "kind": "server_search", "filter": field,
                  "selectivity": share, "ef": ef, "threads": 2, "batch": BATCH, **out})
            for key, unit in (("qps", "QPS"), ("recall", "recall")):
                metrics[f"sweep {share * 100:g}% ef{ef} t2 {unit}"] = out[key]


def bench_engine(engine, transport, data, opts, metrics):
    """One engine over one transport; every step reports null when it fails."""
    tag = {"engine": engine, "transport": transport}
    put = lambda name, value: metrics.__setitem__(f"{transport} {name}", value)
    log(f"== {engine} over {transport}")
    try:
        server = Server(engine)
    except Exception as e:
        log(f"{engine} failed to start: {e}")
        return
    try:
        client = server.client(transport)
        try:
            start, secs = upload(client, data)
        except Exception as e:
            log(f"{engine} upload failed: {e}")
            start, secs = time.perf_counter(), None
        emit({**tag, "kind": "server_upload", "points": data.n, "batch": UPLOAD_BATCH, "seconds": secs})
        put("upload s", secs)
        green, info = wait_green(client, start, opts.green_timeout) if secs is not None else (None, None)
        row = {"seconds": green, "status": getattr(info, "status", None), "segments": getattr(info, "segments_count", None),
               "indexed": getattr(info, "indexed_vectors_count", None), "points": getattr(info, "points_count", None)}
        row["status"] = row["status"] and str(row["status"].value)
        emit({**tag, "kind": "server_green", **row})
        put("green s", green)
        put("segments", row["segments"])
        put("indexed %", row["indexed"] / row["points"] * 100 if row["indexed"] is not None and row["points"] else None)
        log(f"{engine}: upload {secs} s, green {green} s, {row}")
        if opts.green_only:
            return
        suites = [("none", data.queries, data.gt, None)]
        for field in data.filters:
            flt = models.Filter(must=[models.FieldCondition(key=field, match=models.MatchValue(value="yes"))])
            suites.append((field, data.fqueries, data.fgt[field], flt))
        try:
            run_queries(server, transport, requests_for(data.queries, opts.efs[0]), 1)  # warm-up
        except Exception as e:
            log(f"{engine} warm-up failed: {e}")
        for name, queries, gt, flt in suites:
            for ef in opts.efs:
                batches = requests_for(queries, ef, flt)
                for threads in opts.threads:
                    out = dict(qps=None, p50_ms=None, p99_ms=None, recall=None)
                    try:
                        secs, lat, results = run_queries(server, transport, batches, threads)
                        out = dict(qps=len(queries) / secs, p50_ms=float(np.percentile(lat, 50)),
                                   p99_ms=float(np.percentile(lat, 99)), recall=recall(results, gt))
                    except Exception as e:
                        log(f"{engine} search {name} ef={ef} threads={threads} failed: {e}")
                    emit({**tag, "kind": "server_search", "filter": name, "ef": ef, "threads": threads,
                          "queries": len(queries), "batch": BATCH, **out})
                    label = f"{'' if name == 'none' else name + ' '}ef{ef} t{threads}"
                    for key, unit in (("qps", "QPS"), ("p50_ms", "p50 ms"), ("p99_ms", "p99 ms"), ("recall", "recall")):
                        put(f"{label} {unit}", out[key])
        if opts.loadgen and transport == opts.transports[0]:  # once per engine and run
            bench_loadgen(engine, server, data, metrics)
        if data.sweep and opts.loadgen and transport == opts.transports[0]:
            bench_sweep(engine, server, data, metrics)
        client.close()
    finally:
        hwm, max_rss = server.rss()
        emit({**tag, "kind": "server_rss", "pid": server.pid, "vm_hwm_mib": hwm, "max_rss_mib": max_rss})
        put("VmHWM MiB", hwm)
        put("max RSS MiB", max_rss)
        server.stop()


def fmt(v):
    return "null" if v is None else f"{v:.4g}"


def spread(values):
    """median [min-max] of the non-null values (one value alone when one run)."""
    vals = [v for v in values if v is not None]
    if not vals:
        return "null"
    if len(values) == 1:
        return fmt(vals[0])
    return f"{fmt(statistics.median(vals))} [{fmt(min(vals))}-{fmt(max(vals))}]"


def table(runs, engines):
    """metric | engine... | ratio (ours/Qdrant, median of the per-run ratios and each run's)."""
    names = list(dict.fromkeys(m for run in runs for e in engines for m in run.get(e, {})))
    pair = "vectorizer" in engines and "qdrant" in engines
    head = ["metric", *engines] + (["ratio"] if pair else [])
    rows = []
    for m in names:
        row = [m] + [spread([run.get(e, {}).get(m) for run in runs]) for e in engines]
        if pair:
            ratios = []
            for run in runs:
                a, b = run.get("vectorizer", {}).get(m), run.get("qdrant", {}).get(m)
                ratios.append(a / b if a is not None and b else None)
            cell = spread(ratios)
            if len(runs) > 1:
                cell += " (" + ", ".join(fmt(r) for r in ratios) + ")"
            row.append(cell)
        rows.append(row)
    widths = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
    line = lambda r: " | ".join(c.ljust(w) for c, w in zip(r, widths))
    return "\n".join([line(head), "-+-".join("-" * w for w in widths)] + [line(r) for r in rows])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir")
    ap.add_argument("--engines", default="vectorizer,qdrant")
    ap.add_argument("--transports", default="grpc,rest")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--filters", action="store_true")
    ap.add_argument("--sweep", action="store_true", help="filtered queries at 0.1-50%% selectivity (needs --loadgen)")
    ap.add_argument("--green-only", action="store_true", help="stop at green: upload and time-to-green rows only")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--green-timeout", type=float, default=600.0)
    ap.add_argument("--loadgen", action="store_true", help="also run bench/loadgen (when built): grpc-rust rows")
    opts = ap.parse_args()
    # a SIGTERM unwinds like Ctrl-C, so the running server is stopped and its storage deleted
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    engines, transports = opts.engines.split(","), opts.transports.split(",")
    opts.transports = transports
    if opts.loadgen and not os.access(LOADGEN, os.X_OK):
        log(f"--loadgen: {LOADGEN} not built, skipping the grpc-rust rows (see bench/loadgen/Cargo.toml)")
        opts.loadgen = False
    for e in engines:
        if e not in COMMANDS:
            ap.error(f"unknown engine {e}")
    opts.efs, opts.threads = ([64], [2]) if opts.quick else ([32, 64, 128], [1, 2])
    if opts.sweep and not opts.loadgen:
        ap.error("--sweep sends its queries with bench/loadgen: add --loadgen")
    data = Data(opts.data_dir, 256 if opts.quick else 1000, 100 if opts.quick else 200, opts.filters, opts.sweep)
    runs = []
    for r in range(opts.runs):
        metrics = {e: {} for e in engines}
        for transport in transports:
            for engine in engines:  # one after the other, never both at once
                bench_engine(engine, transport, data, opts, metrics[engine])
        runs.append(metrics)
    print(f"\n{len(runs)} run(s), {data.n} x {data.dim}, batches of {BATCH} queries, ratio = vectorizer / qdrant")
    print(table(runs, engines))
    if data.sweep:
        shutil.rmtree(data.sweep_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
