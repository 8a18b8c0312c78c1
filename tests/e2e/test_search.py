"""Nearest-neighbour search through `query` and the legacy `search`,
against local mode."""

import random

import numpy as np
import pytest
from qdrant_client import QdrantClient, models

from conftest import error_of
from test_points import FILTERS, dataset


@pytest.fixture(params=["Cosine", "Dot", "Euclid", "Manhattan"])
def search_pair(request, client, collection_name):
    local = QdrantClient(":memory:")
    for c in (client, local):
        c.create_collection(collection_name, vectors_config=models.VectorParams(size=4, distance=request.param))
        c.upsert(collection_name, dataset(), wait=True)
    return client, local, collection_name


def same_hits(r, l, tol=1e-4):
    assert [p.id for p in r] == [p.id for p in l]
    assert [p.score for p in r] == pytest.approx([p.score for p in l], abs=tol)


def test_nearest_matches_local_mode(search_pair):
    client, local, name = search_pair
    rng = random.Random(3)
    for _ in range(10):
        q = [rng.uniform(-1, 1) for _ in range(4)]
        same_hits(client.query_points(name, q, limit=7).points, local.query_points(name, q, limit=7).points)
        kw = dict(limit=5, offset=3, with_payload=True, with_vectors=True)
        r, l = client.query_points(name, q, **kw).points, local.query_points(name, q, **kw).points
        same_hits(r, l)
        assert [p.payload for p in r] == [p.payload for p in l]
        for a, b in zip(r, l):
            assert a.vector == pytest.approx(b.vector, abs=1e-5)


@pytest.mark.parametrize("index", range(0, len(FILTERS), 3))
def test_filtered_search_matches_local_mode(search_pair, index):
    client, local, name = search_pair
    q = [0.3, -0.2, 0.9, 0.1]
    same_hits(client.query_points(name, q, query_filter=FILTERS[index], limit=10).points, local.query_points(name, q, query_filter=FILTERS[index], limit=10).points)


def test_score_threshold_and_query_by_id(search_pair):
    client, local, name = search_pair
    q = [0.5, 0.5, -0.5, 0.1]
    base = client.query_points(name, q, limit=20).points
    threshold = (base[10].score + base[11].score) / 2
    r = client.query_points(name, q, limit=20, score_threshold=threshold).points
    l = local.query_points(name, q, limit=20, score_threshold=threshold).points
    same_hits(r, l)
    assert len(r) >= 10
    r = client.query_points(name, 5, limit=5).points
    l = local.query_points(name, 5, limit=5).points
    same_hits(r, l)
    assert 5 not in [p.id for p in r]
    r = client.query_points(name, models.NearestQuery(nearest=q), limit=3).points
    same_hits(r, base[:3])


def test_legacy_search_and_batches(api, search_pair):
    client, local, name = search_pair
    q = [0.1, 0.2, 0.3, 0.4]
    r = api.post(f"/collections/{name}/points/search", {"vector": q, "limit": 4, "with_payload": True})
    assert r.status_code == 200
    l = local.query_points(name, q, limit=4, with_payload=True).points
    assert [h["id"] for h in r.json()["result"]] == [p.id for p in l]
    r = api.post(f"/collections/{name}/points/search/batch", {"searches": [{"vector": q, "limit": 2}, {"vector": q, "limit": 3, "offset": 1}]})
    assert [len(x) for x in r.json()["result"]] == [2, 3]
    batch = client.query_batch_points(name, [models.QueryRequest(query=q, limit=2), models.QueryRequest(query=q, limit=4, filter=FILTERS[0])])
    assert [p.id for p in batch[0].points] == [p.id for p in l[:2]]
    same_hits(batch[1].points, local.query_points(name, q, limit=4, query_filter=FILTERS[0]).points)


def test_named_sparse_and_multi_vectors(client, collection_name):
    local = QdrantClient(":memory:")
    rng = np.random.default_rng(5)
    points = []
    for i in range(60):
        idx = sorted(rng.choice(50, size=5, replace=False).tolist())
        points.append(models.PointStruct(
            id=i,
            vector={
                "dense": rng.random(3).tolist(),
                "colbert": rng.random((rng.integers(1, 4), 2)).tolist(),
                "text": models.SparseVector(indices=idx, values=rng.random(5).round(3).tolist()),
                "bm25": models.SparseVector(indices=idx, values=rng.random(5).round(3).tolist()),
            },
        ))
    for c in (client, local):
        c.create_collection(
            collection_name,
            vectors_config={
                "dense": models.VectorParams(size=3, distance=models.Distance.DOT),
                "colbert": models.VectorParams(size=2, distance=models.Distance.COSINE, multivector_config=models.MultiVectorConfig(comparator=models.MultiVectorComparator.MAX_SIM)),
            },
            sparse_vectors_config={"text": models.SparseVectorParams(), "bm25": models.SparseVectorParams(modifier=models.Modifier.IDF)},
        )
        c.upsert(collection_name, points)
    sq = models.SparseVector(indices=[1, 7, 20, 33], values=[0.5, 1.0, 0.25, 2.0])
    for using, q in [("dense", [0.2, 0.5, 0.1]), ("colbert", [[1.0, 0.0], [0.3, 0.7]]), ("text", sq), ("bm25", sq)]:
        same_hits(client.query_points(collection_name, q, using=using, limit=8).points, local.query_points(collection_name, q, using=using, limit=8).points)


def test_search_bad_input(api, client, collection_name):
    client.create_collection(collection_name, vectors_config=models.VectorParams(size=4, distance=models.Distance.COSINE))
    client.upsert(collection_name, [models.PointStruct(id=1, vector=[1, 0, 0, 0])])
    base = f"/collections/{collection_name}/points"
    r = api.post(base + "/query", {"query": [1, 2]})
    assert r.status_code == 400 and error_of(r) == "Wrong input: Vector dimension error: expected dim: 4, got 2"
    r = api.post(base + "/query", {"query": [1, 2, 3, 4], "using": "x"})
    assert r.status_code == 400 and error_of(r) == "Wrong input: Not existing vector name error: x"
    r = api.post(base + "/query", {"query": 999})
    assert r.status_code == 404
    r = api.post(base + "/query", {"query": [1, 2, 3, 4], "limit": 0})
    assert r.status_code == 422
    r = api.post(base + "/query", {"query": "not a vector"})
    assert r.status_code == 400
    r = api.post(base + "/search", {"vector": [1, 2, 3, 4]})
    assert r.status_code == 400
    r = api.post("/collections/missing_c/points/query", {"query": [1, 2, 3, 4]})
    assert r.status_code == 404


def numpy_scores(distance, q, docs):
    """Scores as Qdrant reports them, computed with numpy."""
    if distance == "Cosine":
        return docs @ q / (np.linalg.norm(docs, axis=1) * np.linalg.norm(q))
    if distance == "Dot":
        return docs @ q
    if distance == "Euclid":
        return np.linalg.norm(docs - q, axis=1)
    return np.abs(docs - q).sum(axis=1)


@pytest.mark.parametrize("distance", ["Cosine", "Dot", "Euclid", "Manhattan"])
def test_uint8_storage(client, collection_name, distance):
    """Byte vectors: values cast to u8 on write and query, Cosine divides by
    the norms instead of normalizing."""
    rng = np.random.default_rng(5)
    docs = rng.integers(0, 256, size=(60, 8)).astype(np.float64)
    client.create_collection(collection_name, vectors_config=models.VectorParams(size=8, distance=distance, datatype=models.Datatype.UINT8))
    info = client.get_collection(collection_name)
    assert info.config.params.vectors.datatype == models.Datatype.UINT8
    points = [models.PointStruct(id=i, vector=(docs[i] + 0.7).tolist()) for i in range(60)]
    points.append(models.PointStruct(id=100, vector=[-3.0, 300.0, 1.5, 0, 0, 0, 0, 0]))
    client.upsert(collection_name, points, wait=True)
    assert client.retrieve(collection_name, [100], with_vectors=True)[0].vector == [0, 255, 1, 0, 0, 0, 0, 0]
    assert client.retrieve(collection_name, [3], with_vectors=True)[0].vector == docs[3].tolist()
    q = rng.integers(0, 256, size=8).astype(np.float64)
    hits = client.query_points(collection_name, (q + 0.2).tolist(), limit=60, search_params=models.SearchParams(exact=True), query_filter=models.Filter(must=[models.HasIdCondition(has_id=list(range(60)))])).points
    expected = numpy_scores(distance, q, docs)
    order = np.argsort(-expected if distance in ("Cosine", "Dot") else expected, kind="stable")
    assert [h.score for h in hits] == pytest.approx(sorted(expected, reverse=distance in ("Cosine", "Dot")), rel=1e-5)
    assert [h.id for h in hits][:10] == order[:10].tolist()


@pytest.mark.parametrize("distance", ["Cosine", "Euclid"])
def test_float16_storage(client, collection_name, distance):
    rng = np.random.default_rng(6)
    docs = rng.normal(size=(50, 16)).astype(np.float32)
    client.create_collection(collection_name, vectors_config=models.VectorParams(size=16, distance=distance, datatype=models.Datatype.FLOAT16))
    client.upsert(collection_name, [models.PointStruct(id=i, vector=docs[i].tolist()) for i in range(50)], wait=True)
    stored = np.array(client.retrieve(collection_name, [7], with_vectors=True)[0].vector)
    if distance == "Cosine":
        expected = (docs[7] / np.linalg.norm(docs[7])).astype(np.float16).astype(np.float32)
    else:
        expected = docs[7].astype(np.float16).astype(np.float32)
    assert stored == pytest.approx(expected, abs=1e-6)
    q = rng.normal(size=16).astype(np.float32)
    hits = client.query_points(collection_name, q.tolist(), limit=50).points
    exact = numpy_scores(distance, q.astype(np.float64), docs.astype(np.float64))
    assert sorted(h.score for h in hits) == pytest.approx(sorted(exact), abs=2e-3)


@pytest.mark.parametrize("datatype", [models.Datatype.TURBO4, models.Datatype.TURBO8, models.Datatype.TURBO16])
def test_turbo_storage(client, collection_name, datatype):
    """TurboQuant storage keeps vectors approximately (4 / 8 bits per
    coordinate after a rotation; turbo16 as 16-bit floats) and finds the
    same neighbours as float storage."""
    rng = np.random.default_rng(8)
    docs = rng.normal(size=(200, 32)).astype(np.float32)
    local = QdrantClient(":memory:")
    client.create_collection(collection_name, vectors_config=models.VectorParams(size=32, distance="Euclid", datatype=datatype))
    local.create_collection(collection_name, vectors_config=models.VectorParams(size=32, distance="Euclid"))
    assert client.get_collection(collection_name).config.params.vectors.datatype == datatype
    for c in (client, local):
        c.upsert(collection_name, [models.PointStruct(id=i, vector=docs[i].tolist()) for i in range(200)], wait=True)
    stored = np.array(client.retrieve(collection_name, [5], with_vectors=True)[0].vector)
    error = np.linalg.norm(stored - docs[5]) / np.linalg.norm(docs[5])
    assert error < {models.Datatype.TURBO4: 0.15, models.Datatype.TURBO8: 0.02, models.Datatype.TURBO16: 0.001}[datatype]
    hit = 0
    for q in rng.normal(size=(20, 32)):
        r = {p.id for p in client.query_points(collection_name, q.tolist(), limit=10).points}
        e = {p.id for p in local.query_points(collection_name, q.tolist(), limit=10).points}
        hit += len(r & e)
    assert hit / 200 >= (0.8 if datatype == models.Datatype.TURBO4 else 0.95)
