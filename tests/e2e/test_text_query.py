"""Text queries: BM25 over a text index with `scoring`, compared with local
mode."""

import random

import pytest
from qdrant_client import QdrantClient, models

from conftest import error_of

WORDS = ["vector", "search", "engine", "rust", "fast", "index", "graph", "payload", "filter", "query",
         "database", "memory", "disk", "segment", "score", "token", "text", "point", "cluster", "shard"]


def documents(n=150, seed=3):
    rng = random.Random(seed)
    out = []
    for i in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(2, 30))]
        payload = {"body": " ".join(words).capitalize(), "kind": rng.choice(["a", "b"])}
        if i % 10 == 0:
            payload = {"kind": "a"}  # no text at all
        if i % 13 == 0:
            payload["body"] = [" ".join(words[:3]), " ".join(words[3:])]  # several values
        out.append(models.PointStruct(id=i, vector=[rng.uniform(-1, 1), rng.uniform(-1, 1)], payload=payload))
    return out


@pytest.fixture
def pair(client, collection_name):
    local = QdrantClient(":memory:")
    for c in (client, local):
        c.create_collection(collection_name, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
        c.upsert(collection_name, documents(), wait=True)
        c.create_payload_index(collection_name, "body", models.TextIndexParams(type=models.TextIndexType.TEXT, scoring=True), wait=True)
    return client, local, collection_name


def same(r, l):
    assert [p.score for p in r] == pytest.approx([p.score for p in l], rel=1e-5)
    assert [p.id for p in r] == [p.id for p in l]


@pytest.mark.parametrize("text", [
    models.TextQuery(text="vector search"),
    models.TextQuery(text="Rust RUST graph"),
    models.TextQuery(text=models.TextQueryInput(query="disk memory", scoring=models.Bm25Scoring(bm25=models.Bm25Params(k=2.0, b=0.3)))),
    models.TextQuery(text=models.TextQueryInput(query="shard", scoring=models.Bm25Scoring(bm25=models.Bm25Params(b=0.0)))),
])
def test_text_query_matches_local_mode(pair, text):
    client, local, name = pair
    kw = dict(query=text, using="body", limit=12, with_payload=True)
    same(client.query_points(name, **kw).points, local.query_points(name, **kw).points)
    flt = models.Filter(must=[models.FieldCondition(key="kind", match=models.MatchValue(value="b"))])
    kw = dict(query=text, using="body", limit=5, offset=2, query_filter=flt)
    same(client.query_points(name, **kw).points, local.query_points(name, **kw).points)


def test_text_query_in_hybrid_fusion(pair):
    client, local, name = pair
    kw = dict(prefetch=[models.Prefetch(query=models.TextQuery(text="payload filter"), using="body", limit=20),
                        models.Prefetch(query=[0.3, 0.9], limit=20)],
              query=models.FusionQuery(fusion=models.Fusion.RRF), limit=10)
    same(client.query_points(name, **kw).points, local.query_points(name, **kw).points)


def test_text_query_follows_writes(pair):
    client, local, name = pair
    for c in (client, local):
        c.upsert(name, [models.PointStruct(id=1000, vector=[0.1, 0.1], payload={"body": "cluster cluster cluster"})], wait=True)
        c.delete(name, models.PointIdsList(points=[1, 2, 3]), wait=True)
    kw = dict(query=models.TextQuery(text="cluster"), using="body", limit=10)
    r = client.query_points(name, **kw).points
    same(r, local.query_points(name, **kw).points)
    assert r[0].id == 1000


def test_text_query_bad_input(api, pair):
    client, _, name = pair
    path = f"/collections/{name}/points/query"
    r = api.call("POST", path, {"query": {"text": "vector"}}, validate=False)
    assert r.status_code == 400 and "`using`" in error_of(r), r.text
    r = api.call("POST", path, {"query": {"text": "vector"}, "using": "kind"}, validate=False)
    assert r.status_code == 400 and "text index with `scoring` on `kind`" in error_of(r), r.text
    client.create_payload_index(name, "kind", models.TextIndexParams(type=models.TextIndexType.TEXT), wait=True)
    r = api.call("POST", path, {"query": {"text": "vector"}, "using": "kind"}, validate=False)
    assert r.status_code == 400 and "`scoring`" in error_of(r), r.text
    r = api.call("POST", path, {"query": {"text": {"query": "vector", "scoring": {"bm25": {"b": 2}}}}, "using": "body"}, validate=False)
    assert r.status_code == 422, r.text
