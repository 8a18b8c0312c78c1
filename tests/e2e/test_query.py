"""The universal query: prefetch trees, fusion (RRF, DBSF) and rescoring,
compared with local mode."""

import random

import pytest
from qdrant_client import QdrantClient, models

from conftest import error_of
from test_points import FILTERS

DIM = 4


def named_dataset(n=150, seed=17):
    rng = random.Random(seed)
    return [
        models.PointStruct(
            id=i,
            vector={"a": [rng.uniform(-1, 1) for _ in range(DIM)], "b": [rng.uniform(-1, 1) for _ in range(DIM)]},
            payload={"city": rng.choice(["Berlin", "London", "Paris"]), "n": rng.randint(0, 20)},
        )
        for i in range(n)
    ]


@pytest.fixture
def pair(client, collection_name):
    local = QdrantClient(":memory:")
    config = {"a": models.VectorParams(size=DIM, distance=models.Distance.COSINE), "b": models.VectorParams(size=DIM, distance=models.Distance.EUCLID)}
    for c in (client, local):
        c.create_collection(collection_name, vectors_config=config)
        c.upsert(collection_name, named_dataset(), wait=True)
    return client, local, collection_name


def same(r, l, tol=1e-5):
    assert [p.id for p in r] == [p.id for p in l]
    assert [p.score for p in r] == pytest.approx([p.score for p in l], abs=tol)


QA = [0.2, -0.4, 0.9, 0.1]
QB = [-0.5, 0.3, 0.1, 0.7]


def prefetches(limit_a=20, limit_b=25, flt=None):
    return [
        models.Prefetch(query=QA, using="a", limit=limit_a, filter=flt),
        models.Prefetch(query=QB, using="b", limit=limit_b),
    ]


@pytest.mark.parametrize("fusion", [models.FusionQuery(fusion=models.Fusion.RRF), models.FusionQuery(fusion=models.Fusion.DBSF),
                                    models.RrfQuery(rrf=models.Rrf(k=5)), models.RrfQuery(rrf=models.Rrf(k=60, weights=[2.0, 0.5]))])
def test_fusion_matches_local_mode(pair, fusion):
    client, local, name = pair
    kw = dict(prefetch=prefetches(), query=fusion, limit=15, with_payload=True)
    r, l = client.query_points(name, **kw).points, local.query_points(name, **kw).points
    same(r, l)
    assert [p.payload for p in r] == [p.payload for p in l]
    kw = dict(prefetch=prefetches(), query=fusion, limit=5, offset=4)
    same(client.query_points(name, **kw).points, local.query_points(name, **kw).points)


def test_rescoring_nested_prefetch_and_filters(pair):
    client, local, name = pair
    # nearest over the union of prefetches: exact scores of those points
    kw = dict(prefetch=prefetches(10, 10), query=QA, using="a", limit=8)
    same(client.query_points(name, **kw).points, local.query_points(name, **kw).points)
    # nested: fuse two prefetches, then rescore by "b"
    nested = models.Prefetch(prefetch=prefetches(15, 15), query=models.FusionQuery(fusion=models.Fusion.RRF), limit=12)
    kw = dict(prefetch=nested, query=QB, using="b", limit=6, with_vectors=["b"])
    r, l = client.query_points(name, **kw).points, local.query_points(name, **kw).points
    same(r, l)
    for a, b in zip(r, l):
        assert a.vector["b"] == pytest.approx(b.vector["b"], abs=1e-6)
    # the top-level filter reaches every prefetch
    for flt in FILTERS[:6]:
        kw = dict(prefetch=prefetches(), query=models.FusionQuery(fusion=models.Fusion.RRF), query_filter=flt, limit=10)
        same(client.query_points(name, **kw).points, local.query_points(name, **kw).points)
        kw = dict(prefetch=prefetches(flt=flt), query=QB, using="b", limit=10)
        same(client.query_points(name, **kw).points, local.query_points(name, **kw).points)


def test_score_threshold_and_batches(pair):
    client, local, name = pair
    kw = dict(prefetch=prefetches(), query=models.FusionQuery(fusion=models.Fusion.RRF), limit=30, score_threshold=0.3)
    r, l = client.query_points(name, **kw).points, local.query_points(name, **kw).points
    same(r, l)
    assert all(p.score >= 0.3 for p in r)
    requests = [
        models.QueryRequest(prefetch=prefetches(), query=models.FusionQuery(fusion=models.Fusion.DBSF), limit=5),
        models.QueryRequest(prefetch=prefetches(), query=QA, using="a", limit=5),
        models.QueryRequest(query=QB, using="b", limit=5),
    ]
    for r, l in zip(client.query_batch_points(name, requests), local.query_batch_points(name, requests)):
        same(r.points, l.points)


def test_query_tree_bad_input(api, client, collection_name):
    client.create_collection(collection_name, vectors_config={"a": models.VectorParams(size=DIM, distance=models.Distance.DOT)})
    path = f"/collections/{collection_name}/points/query"
    r = api.call("POST", path, {"query": {"fusion": "rrf"}})
    assert r.status_code == 400, r.text
    r = api.call("POST", path, {"prefetch": [{"query": [1, 2, 3], "using": "a"}], "query": {"fusion": "rrf"}})
    assert r.status_code == 400 and "dimension" in error_of(r)
    r = api.call("POST", path, {"prefetch": [{"query": QA, "using": "nope"}], "query": {"fusion": "dbsf"}})
    assert r.status_code == 400 and "nope" in error_of(r)
    r = api.call("POST", path, {"prefetch": {"query": QA, "using": "a", "limit": 0}, "query": {"fusion": "rrf"}})
    assert r.status_code == 422, r.text
