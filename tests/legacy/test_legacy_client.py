"""An older client (qdrant-client 1.12.2) against the server: the legacy
search, recommend and discover endpoints it calls, compared with its own
local mode."""

import random

import pytest
import qdrant_client
from qdrant_client import QdrantClient, models

DIM = 6


def test_the_old_client_is_installed():
    assert qdrant_client.__version__ if hasattr(qdrant_client, "__version__") else True
    import importlib.metadata

    assert importlib.metadata.version("qdrant-client") == "1.12.2"


def points(n=200, seed=5):
    rng = random.Random(seed)
    return [
        models.PointStruct(
            id=i,
            vector={"a": [rng.uniform(-1, 1) for _ in range(DIM)], "b": [rng.uniform(-1, 1) for _ in range(DIM)]},
            payload={"group": rng.choice(["x", "y", "z", "w"]), "n": rng.randint(0, 50)},
        )
        for i in range(n)
    ]


@pytest.fixture
def pair(client, collection_name):
    local = QdrantClient(":memory:")
    config = {
        "a": models.VectorParams(size=DIM, distance=models.Distance.COSINE),
        "b": models.VectorParams(size=DIM, distance=models.Distance.EUCLID),
    }
    for c in (client, local):
        c.create_collection(collection_name, vectors_config=config)
        c.upsert(collection_name, points(), wait=True)
    return client, local, collection_name


def same(r, l, tol=1e-4):
    assert [p.id for p in r] == [p.id for p in l]
    assert [p.score for p in r] == pytest.approx([p.score for p in l], abs=tol)


Q = [0.1, -0.3, 0.5, 0.2, -0.7, 0.4]
FLT = models.Filter(must=[models.FieldCondition(key="group", match=models.MatchAny(any=["x", "y"]))],
                    must_not=[models.FieldCondition(key="n", range=models.Range(gt=40))])


def test_collection_info_and_points(pair):
    client, local, name = pair
    info = client.get_collection(name)
    assert info.points_count == 200
    assert info.config.params.vectors["a"].size == DIM
    assert client.count(name, count_filter=FLT).count == local.count(name, count_filter=FLT).count
    r, _ = client.scroll(name, scroll_filter=FLT, limit=15, with_payload=True)
    l, _ = local.scroll(name, scroll_filter=FLT, limit=15, with_payload=True)
    assert [(p.id, p.payload) for p in r] == [(p.id, p.payload) for p in l]
    got = client.retrieve(name, [3, 9, 999], with_vectors=["b"])
    assert [p.id for p in got] == [3, 9]


@pytest.mark.parametrize("using", ["a", "b"])
def test_search_and_batch(pair, using):
    client, local, name = pair
    for kw in (dict(limit=10), dict(limit=5, offset=3, query_filter=FLT), dict(limit=20, score_threshold=0.2 if using == "a" else 1.5)):
        r = client.search(name, query_vector=(using, Q), with_payload=True, **kw)
        l = local.search(name, query_vector=(using, Q), with_payload=True, **kw)
        same(r, l)
        assert [p.payload for p in r] == [p.payload for p in l]
    requests = [
        models.SearchRequest(vector=models.NamedVector(name=using, vector=Q), limit=4),
        models.SearchRequest(vector=models.NamedVector(name=using, vector=Q[::-1]), filter=FLT, limit=6, with_payload=True),
    ]
    for r, l in zip(client.search_batch(name, requests), local.search_batch(name, requests)):
        same(r, l)


@pytest.mark.parametrize("strategy", [models.RecommendStrategy.AVERAGE_VECTOR, models.RecommendStrategy.BEST_SCORE])
def test_recommend_and_batch(pair, strategy):
    client, local, name = pair
    kw = dict(positive=[1, 7, Q], negative=[11], using="a", strategy=strategy, limit=8)
    same(client.recommend(name, **kw), local.recommend(name, **kw))
    kw = dict(positive=[2], negative=[3], using="b", strategy=strategy, limit=5, query_filter=FLT)
    same(client.recommend(name, **kw), local.recommend(name, **kw))
    requests = [
        models.RecommendRequest(positive=[5], using="a", limit=3, strategy=strategy),
        models.RecommendRequest(positive=[6, 8], negative=[9], using="b", limit=4, filter=FLT, strategy=strategy),
    ]
    for r, l in zip(client.recommend_batch(name, requests), local.recommend_batch(name, requests)):
        same(r, l)


def test_discover_and_batch(pair):
    client, local, name = pair
    context = [models.ContextExamplePair(positive=4, negative=12), models.ContextExamplePair(positive=Q, negative=30)]
    kw = dict(target=20, context=context, using="a", limit=7)
    same(client.discover(name, **kw), local.discover(name, **kw))
    # context alone: many points tie at 0, in any order
    kw = dict(context=context, using="a", limit=7)
    r, l = client.discover(name, **kw), local.discover(name, **kw)
    assert [p.score for p in r] == pytest.approx([p.score for p in l], abs=1e-4)
    requests = [models.DiscoverRequest(target=21, context=context, using="a", limit=4),
                models.DiscoverRequest(target=Q, context=context[:1], using="b", limit=5, filter=FLT)]
    for r, l in zip(client.discover_batch(name, requests), local.discover_batch(name, requests)):
        same(r, l)


def test_groups(pair):
    client, local, name = pair
    kw = dict(query_vector=("a", Q), group_by="group", limit=3, group_size=2)
    r, l = client.search_groups(name, **kw).groups, local.search_groups(name, **kw).groups
    assert [g.id for g in r] == [g.id for g in l]
    for a, b in zip(r, l):
        same(a.hits, b.hits)
    kw = dict(positive=[1, 2], using="b", group_by="group", limit=2, group_size=3)
    r, l = client.recommend_groups(name, **kw).groups, local.recommend_groups(name, **kw).groups
    assert [g.id for g in r] == [g.id for g in l]
    for a, b in zip(r, l):
        same(a.hits, b.hits)


def test_query_points_of_the_old_client(pair):
    client, local, name = pair
    kw = dict(prefetch=[models.Prefetch(query=Q, using="a", limit=20), models.Prefetch(query=Q, using="b", limit=20)],
              query=models.FusionQuery(fusion=models.Fusion.RRF), limit=10)
    same(client.query_points(name, **kw).points, local.query_points(name, **kw).points)


def test_payload_updates_and_deletes(pair):
    client, local, name = pair
    for c in (client, local):
        c.set_payload(name, {"flag": True}, points=[1, 2, 3], wait=True)
        c.delete(name, models.PointIdsList(points=[4, 5]), wait=True)
        c.delete_payload(name, ["n"], points=[1], wait=True)
    flt = models.Filter(must=[models.FieldCondition(key="flag", match=models.MatchValue(value=True))])
    assert client.count(name, count_filter=flt).count == 3
    assert client.count(name).count == local.count(name).count == 198
    assert client.retrieve(name, [1])[0].payload == local.retrieve(name, [1])[0].payload
