"""Request timeouts: a read longer than its `timeout` (REST) or its deadline
(gRPC) is cut with the answer the reference Qdrant server gives."""

import time

import grpc
import numpy as np
import pytest
import requests
from qdrant_client import QdrantClient, models

from conftest import error_of

N, DIM, QUERIES = 20_000, 256, 4_000


@pytest.fixture(scope="module")
def slow(api):
    """A collection whose exact batch of QUERIES searches takes seconds."""
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(N, DIM)).astype(np.float32)
    path = "/collections/slow_reads"
    requests.delete(api.base + path)
    r = api.put(path, {"vectors": {"size": DIM, "distance": "Dot"}, "optimizers_config": {"indexing_threshold": 0}})
    assert r.status_code == 200
    for s in range(0, N, 2000):
        points = [{"id": i, "vector": vectors[i].tolist()} for i in range(s, s + 2000)]
        assert requests.put(f"{api.base}{path}/points?wait=true", json={"points": points}).status_code == 200
    queries = rng.normal(size=(QUERIES, DIM)).astype(np.float32).tolist()
    yield path, queries
    requests.delete(api.base + path)


def test_rest_reads_are_cut_at_their_timeout(api, slow):
    path, queries = slow
    body = {"searches": [{"query": q, "params": {"exact": True}, "limit": 3} for q in queries]}
    start = time.perf_counter()
    r = requests.post(f"{api.base}{path}/points/query/batch?timeout=1", json=body, timeout=120)
    took = time.perf_counter() - start
    if r.status_code == 200:
        # a machine fast enough to answer in time
        assert took < 2
        return
    assert r.status_code == 500
    assert error_of(r) == ("Service internal error: 1 of 1 read operations failed:\n"
                           "  Timeout error: Operation 'Search' timed out after 1s")
    # the server goes on serving
    small = requests.post(f"{api.base}{path}/points/query", json={"query": queries[0], "limit": 3})
    assert small.status_code == 200
    # without a timeout the same batch completes
    r = requests.post(f"{api.base}{path}/points/query/batch", json={"searches": body["searches"][:50]})
    assert r.status_code == 200 and len(r.json()["result"]) == 50


def test_grpc_reads_end_at_their_deadline(server, slow):
    path, queries = slow
    client = QdrantClient(url=server.url, grpc_port=server.grpc_port, prefer_grpc=True, timeout=100)
    batch = [models.QueryRequest(query=q, params=models.SearchParams(exact=True), limit=3) for q in queries]
    start = time.perf_counter()
    try:
        client.query_batch_points(path.rsplit("/", 1)[1], requests=batch, timeout=1)
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        assert time.perf_counter() - start < 30
    else:
        assert time.perf_counter() - start < 2
    # the channel stays usable
    assert client.count(path.rsplit("/", 1)[1]).count == N
