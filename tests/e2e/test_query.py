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


STRATEGIES = [None, models.RecommendStrategy.AVERAGE_VECTOR, models.RecommendStrategy.BEST_SCORE, models.RecommendStrategy.SUM_SCORES]


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("using", ["a", "b"])
def test_recommend_matches_local_mode(pair, strategy, using):
    client, local, name = pair
    rec = models.RecommendQuery(recommend=models.RecommendInput(positive=[3, 17, [0.1, 0.2, 0.3, 0.4]], negative=[42], strategy=strategy))
    kw = dict(query=rec, using=using, limit=10, with_payload=True)
    r, l = client.query_points(name, **kw).points, local.query_points(name, **kw).points
    same(r, l, tol=1e-4)
    assert not {3, 17, 42} & {p.id for p in r}
    # filtered, offset, and as a rescoring step over prefetches
    kw = dict(query=rec, using=using, limit=5, offset=2, query_filter=FILTERS[0])
    same(client.query_points(name, **kw).points, local.query_points(name, **kw).points, tol=1e-4)
    # over prefetches only the prefetched points are scored (local mode's
    # recommend ignores that restriction, so it gets it as a filter)
    got = client.query_points(name, prefetch=prefetches(30, 30), query=rec, using=using, limit=7).points
    ids = set()
    for p in prefetches(30, 30):
        ids |= {x.id for x in local.query_points(name, query=p.query, using=p.using, limit=p.limit).points}
    want = local.query_points(name, query=rec, using=using, limit=7, query_filter=models.Filter(must=[models.HasIdCondition(has_id=list(ids))])).points
    same(got, want, tol=1e-4)
    assert {p.id for p in got} <= ids


@pytest.mark.parametrize("strategy", ["average_vector", "best_score", "sum_scores"])
def test_legacy_recommend(api, pair, strategy):
    """The legacy endpoints (older clients) answer as the query API."""
    client, local, name = pair
    body = {"positive": [5, 9], "negative": [11], "using": "a", "limit": 6, "strategy": strategy, "with_payload": True}
    r = api.call("POST", f"/collections/{name}/points/recommend", body)
    assert r.status_code == 200, r.text
    rec = models.RecommendQuery(recommend=models.RecommendInput(positive=[5, 9], negative=[11], strategy=strategy))
    want = local.query_points(name, query=rec, using="a", limit=6).points
    assert [p["id"] for p in r.json()["result"]] == [p.id for p in want]
    assert [p["score"] for p in r.json()["result"]] == pytest.approx([p.score for p in want], abs=1e-4)
    batch = {"searches": [dict(body, limit=3), {"positive": [7], "negative": [8], "using": "b", "limit": 4, "strategy": strategy}]}
    r = api.call("POST", f"/collections/{name}/points/recommend/batch", batch)
    assert r.status_code == 200, r.text
    second = models.RecommendQuery(recommend=models.RecommendInput(positive=[7], negative=[8], strategy=strategy))
    want = local.query_points(name, query=second, using="b", limit=4).points
    assert [p["id"] for p in r.json()["result"][1]] == [p.id for p in want]


def test_recommend_bad_input(api, pair):
    client, _, name = pair
    path = f"/collections/{name}/points/query"
    r = api.call("POST", path, {"query": {"recommend": {"positive": [], "negative": [1]}}, "using": "a"})
    assert r.status_code == 400, r.text
    r = api.call("POST", path, {"query": {"recommend": {"positive": [123456]}}, "using": "a"})
    assert r.status_code == 404, r.text
    r = api.call("POST", path, {"query": {"recommend": {"positive": [[1.0, 2.0]]}}, "using": "a"})
    assert r.status_code == 400 and "dimension" in error_of(r)
    r = api.call("POST", path, {"query": {"recommend": {"positive": [1], "strategy": "nope"}}, "using": "a"})
    assert r.status_code == 400


def test_discover_and_context_match_local_mode(api, pair):
    client, local, name = pair
    context = [models.ContextPair(positive=3, negative=8), models.ContextPair(positive=[0.3, 0.1, -0.2, 0.5], negative=21)]
    for using in ("a", "b"):
        d = models.DiscoverQuery(discover=models.DiscoverInput(target=12, context=context))
        kw = dict(query=d, using=using, limit=10, with_payload=True)
        r, l = client.query_points(name, **kw).points, local.query_points(name, **kw).points
        same(r, l, tol=1e-4)
        assert not {12, 3, 8, 21} & {p.id for p in r}
        c = models.ContextQuery(context=context)
        kw = dict(query=c, using=using, limit=10, query_filter=FILTERS[1])
        r, l = client.query_points(name, **kw).points, local.query_points(name, **kw).points
        # context scores tie often (every point on the positive side of
        # every pair scores 0): compare scores, and ids where scores differ
        assert [p.score for p in r] == pytest.approx([p.score for p in l], abs=1e-4)
    # the legacy endpoint answers as the query API
    body = {"target": 12, "context": [{"positive": 3, "negative": 8}], "using": "a", "limit": 5}
    r = api.call("POST", f"/collections/{name}/points/discover", body)
    assert r.status_code == 200, r.text
    want = local.query_points(name, query=models.DiscoverQuery(discover=models.DiscoverInput(target=12, context=[models.ContextPair(positive=3, negative=8)])), using="a", limit=5).points
    assert [p["id"] for p in r.json()["result"]] == [p.id for p in want]
    r = api.call("POST", f"/collections/{name}/points/discover/batch", {"searches": [body, dict(body, target=None)]})
    assert r.status_code == 200 and len(r.json()["result"]) == 2, r.text


def groups_of(result):
    return [(g.id, [(h.id, round(h.score, 4)) for h in g.hits]) for g in result.groups]


def test_query_groups_match_local_mode(api, client, collection_name, reference):
    local = QdrantClient(":memory:")
    rng = random.Random(23)
    points = [
        models.PointStruct(
            id=i,
            vector={"a": [rng.uniform(-1, 1) for _ in range(DIM)], "b": [rng.uniform(-1, 1) for _ in range(DIM)]},
            payload={"city": rng.choice(["Berlin", "London", "Paris", "Rome"]), "tags": rng.sample(["x", "y", "z"], rng.randint(0, 2)),
                     "n": rng.choice([1, 2, 3, 1.5, None])},
        )
        for i in range(120)
    ]
    config = {"a": models.VectorParams(size=DIM, distance=models.Distance.COSINE), "b": models.VectorParams(size=DIM, distance=models.Distance.EUCLID)}
    lookup = f"{collection_name}_lookup"
    for c in (client, local):
        c.create_collection(collection_name, vectors_config=config)
        c.upsert(collection_name, points, wait=True)
    client.create_collection(lookup, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
    client.upsert(lookup, [models.PointStruct(id=i, vector=[1.0, 0.0], payload={"name": f"group {i}"}) for i in (1, 2, 3)], wait=True)
    try:
        for group_by, size, limit in (("city", 3, 3), ("tags", 2, 5), ("n", 4, 10)):
            kw = dict(query=QA, using="a", group_by=group_by, group_size=size, limit=limit, with_payload=["city"])
            r, l = client.query_points_groups(collection_name, **kw), local.query_points_groups(collection_name, **kw)
            assert groups_of(r) == groups_of(l)
            assert [h.payload for g in r.groups for h in g.hits] == [h.payload for g in l.groups for h in g.hits]
        # over prefetches and with a filter: the real server's rounds (each
        # fusing prefetches limited to `limit * group_size`) are not local
        # mode's single ranking: compared with the reference server
        ref = QdrantClient(url=reference.url, timeout=30)
        ref.create_collection(collection_name, vectors_config=config)
        try:
            ref.upsert(collection_name, points, wait=True)
            kw = dict(prefetch=prefetches(), query=models.FusionQuery(fusion=models.Fusion.RRF), group_by="city", group_size=2, limit=4, query_filter=FILTERS[3])
            # (the reference's own answer varies between calls: the rounds
            # follow its hash-ordered full groups) ours is one of its answers
            answers = [groups_of(ref.query_points_groups(collection_name, **kw)) for _ in range(8)]
            assert groups_of(client.query_points_groups(collection_name, **kw)) in answers
        finally:
            ref.delete_collection(collection_name)
        # lookups: the group id as a point id of another collection
        r = client.query_points_groups(collection_name, query=QB, using="b", group_by="n", limit=5, with_lookup=models.WithLookup(collection=lookup, with_payload=True))
        for g in r.groups:
            assert (g.lookup is not None) == (g.id in (1, 2, 3))
            if g.lookup is not None:
                assert g.lookup.payload == {"name": f"group {g.id}"}
        # the legacy endpoints
        body = {"vector": {"name": "a", "vector": QA}, "group_by": "city", "group_size": 2, "limit": 3, "with_lookup": lookup}
        r = api.call("POST", f"/collections/{collection_name}/points/search/groups", body)
        assert r.status_code == 200, r.text
        want = local.query_points_groups(collection_name, query=QA, using="a", group_by="city", group_size=2, limit=3)
        assert [(g["id"], [h["id"] for h in g["hits"]]) for g in r.json()["result"]["groups"]] == [(g.id, [h.id for h in g.hits]) for g in want.groups]
        body = {"positive": [4], "negative": [5], "using": "b", "group_by": "city", "group_size": 2, "limit": 3}
        r = api.call("POST", f"/collections/{collection_name}/points/recommend/groups", body)
        assert r.status_code == 200, r.text
        rec = models.RecommendQuery(recommend=models.RecommendInput(positive=[4], negative=[5]))
        want = local.query_points_groups(collection_name, query=rec, using="b", group_by="city", group_size=2, limit=3)
        assert [(g["id"], [h["id"] for h in g["hits"]]) for g in r.json()["result"]["groups"]] == [(g.id, [h.id for h in g.hits]) for g in want.groups]
        r = api.call("POST", f"/collections/{collection_name}/points/query/groups", {"query": QA, "using": "a", "group_by": "city", "group_size": 0})
        assert r.status_code == 422
    finally:
        client.delete_collection(lookup)


def test_distance_matrix(api, client, collection_name):
    """With every point sampled the matrix is deterministic: compare with
    local mode; with fewer, check the shape and the scores."""
    local = QdrantClient(":memory:")
    rng = random.Random(5)
    points = [models.PointStruct(id=i, vector=[rng.uniform(-1, 1) for _ in range(DIM)], payload={"even": i % 2 == 0}) for i in range(14)]
    for c in (client, local):
        c.create_collection(collection_name, vectors_config=models.VectorParams(size=DIM, distance=models.Distance.EUCLID))
        c.upsert(collection_name, points, wait=True)
    flt = models.Filter(must=[models.FieldCondition(key="even", match=models.MatchValue(value=True))])
    for kw in (dict(sample=50, limit=3), dict(sample=50, limit=2, query_filter=flt)):
        r, l = client.search_matrix_pairs(collection_name, **kw), local.search_matrix_pairs(collection_name, **kw)
        assert [(p.a, p.b) for p in r.pairs] == [(p.a, p.b) for p in l.pairs]
        assert [p.score for p in r.pairs] == pytest.approx([p.score for p in l.pairs], abs=1e-5)
        r, l = client.search_matrix_offsets(collection_name, **kw), local.search_matrix_offsets(collection_name, **kw)
        assert (r.ids, r.offsets_row, r.offsets_col) == (l.ids, l.offsets_row, l.offsets_col)
    r = client.search_matrix_offsets(collection_name, sample=5, limit=2)
    assert len(r.ids) == 5 and r.ids == sorted(r.ids)
    assert len(r.scores) == 10 and set(r.offsets_row) == set(range(5))
    vectors = {p.id: p.vector for p in client.retrieve(collection_name, r.ids, with_vectors=True)}
    for row, col, score in zip(r.offsets_row, r.offsets_col, r.scores):
        a, b = vectors[r.ids[row]], vectors[r.ids[col]]
        assert score == pytest.approx(sum((x - y) ** 2 for x, y in zip(a, b)) ** 0.5, abs=1e-4)
    path = f"/collections/{collection_name}/points/search/matrix/pairs"
    assert api.call("POST", path, {"sample": 1}).status_code == 422
    assert api.call("POST", path, {"limit": 0}).status_code == 422
    assert api.call("POST", path, {"using": "nope"}).status_code == 400


def test_order_by_and_sample_queries(client, collection_name):
    local = QdrantClient(":memory:")
    for c in (client, local):
        c.create_collection(collection_name, vectors_config={"a": models.VectorParams(size=DIM, distance=models.Distance.COSINE), "b": models.VectorParams(size=DIM, distance=models.Distance.EUCLID)})
        c.upsert(collection_name, named_dataset(), wait=True)
    client.create_payload_index(collection_name, "n", models.PayloadSchemaType.INTEGER)
    for order in ("n", models.OrderBy(key="n", direction=models.Direction.DESC), models.OrderBy(key="n", start_from=7)):
        kw = dict(query=models.OrderByQuery(order_by=order), limit=12, offset=3, with_payload=True, query_filter=FILTERS[0])
        r, l = client.query_points(collection_name, **kw).points, local.query_points(collection_name, **kw).points
        assert [p.payload["n"] for p in r] == [p.payload["n"] for p in l]
        assert [p.order_value for p in r] == [p.order_value for p in l]
        assert [p.score for p in r] == [p.score for p in l]
    r = client.query_points(collection_name, query=models.SampleQuery(sample=models.Sample.RANDOM), limit=20, query_filter=FILTERS[0], with_payload=True).points
    assert len(r) == 20 and len({p.id for p in r}) == 20
    assert all(p.payload["city"] == "Berlin" for p in r)
    # two draws of 20 out of ~50 Berlin points are (almost surely) different
    draws = {frozenset(p.id for p in client.query_points(collection_name, query=models.SampleQuery(sample=models.Sample.RANDOM), limit=20, query_filter=FILTERS[0]).points) for _ in range(5)}
    assert len(draws) > 1


@pytest.mark.parametrize("using", ["a", "b"])
def test_mmr_matches_local_mode(api, pair, using):
    client, local, name = pair
    for mmr in (models.Mmr(), models.Mmr(diversity=0.8, candidates_limit=30), models.Mmr(diversity=0.0, candidates_limit=12)):
        q = models.NearestQuery(nearest=QA, mmr=mmr)
        kw = dict(query=q, using=using, limit=8, with_payload=True)
        same(client.query_points(name, **kw).points, local.query_points(name, **kw).points, tol=1e-4)
        # the server picks `limit` points, then skips `offset` of them (local
        # mode picks limit + offset)
        kw = dict(query=q, using=using, limit=4, offset=2, query_filter=FILTERS[1])
        expected = local.query_points(name, **{**kw, "offset": 0}).points[2:]
        same(client.query_points(name, **kw).points, expected, tol=1e-4)
    path = f"/collections/{name}/points/query"
    assert api.call("POST", path, {"query": {"nearest": QA, "mmr": {"diversity": 1.5}}, "using": using}).status_code == 422


def test_lookup_from_another_collection(api, pair):
    """Point ids in a query with `lookup_from` are read from the other
    collection (by its vector name); they are not excluded from results."""
    client, local, name = pair
    other = f"{name}_other"
    rng = random.Random(3)
    src = [models.PointStruct(id=i, vector={"x": [rng.uniform(-1, 1) for _ in range(DIM)]}) for i in range(10)]
    for c in (client, local):
        c.create_collection(other, vectors_config={"x": models.VectorParams(size=DIM, distance=models.Distance.DOT)})
        c.upsert(other, src, wait=True)
    try:
        lookup = models.LookupLocation(collection=other, vector="x")
        cases = [
            dict(query=3, using="a"),
            dict(query=models.RecommendQuery(recommend=models.RecommendInput(positive=[1, 2], negative=[4])), using="b"),
            dict(query=models.RecommendQuery(recommend=models.RecommendInput(positive=[1], strategy=models.RecommendStrategy.BEST_SCORE)), using="a"),
            dict(query=models.DiscoverQuery(discover=models.DiscoverInput(target=5, context=[models.ContextPair(positive=6, negative=7)])), using="a"),
        ]
        for kw in cases:
            r = client.query_points(name, lookup_from=lookup, limit=6, **kw).points
            l = local.query_points(name, lookup_from=lookup, limit=6, **kw).points
            same(r, l, tol=1e-4)
        # inside a prefetch too
        kw = dict(prefetch=[models.Prefetch(query=3, using="a", lookup_from=lookup, limit=20)], query=QB, using="b", limit=5)
        same(client.query_points(name, **kw).points, local.query_points(name, **kw).points)
        path = f"/collections/{name}/points/query"
        r = api.call("POST", path, {"query": 99, "using": "a", "lookup_from": {"collection": other, "vector": "x"}})
        assert r.status_code == 404, r.text
        r = api.call("POST", path, {"query": 1, "using": "a", "lookup_from": {"collection": "nope_nope"}})
        assert r.status_code == 404 and "nope_nope" in error_of(r)
    finally:
        client.delete_collection(other)


def test_query_edges_match_local_mode(api, pair):
    """Grouping by a field no point has, offsets past the results, limits
    above the collection size."""
    client, local, name = pair
    kw = dict(query=QA, using="a", group_by="missing", group_size=2, limit=3)
    r, l = client.query_points_groups(name, **kw), local.query_points_groups(name, **kw)
    assert groups_of(r) == groups_of(l) == []
    for kw in (dict(query=QA, using="a", limit=10, offset=500), dict(query=QB, using="b", limit=1000),
               dict(prefetch=prefetches(), query=models.FusionQuery(fusion=models.Fusion.RRF), limit=10, offset=200)):
        same(client.query_points(name, **kw).points, local.query_points(name, **kw).points)
    r = api.call("POST", f"/collections/{name}/points/query", {"query": QA, "using": "a", "offset": -1})
    assert r.status_code == 400, r.text


@pytest.mark.parametrize("strategy", STRATEGIES[1:])
def test_recommend_sparse_and_multi_match_local_mode(client, collection_name, strategy):
    local = QdrantClient(":memory:")
    rng = random.Random(31)
    points = []
    for i in range(80):
        idx = sorted(rng.sample(range(40), 5))
        points.append(models.PointStruct(id=i, vector={
            "m": [[rng.uniform(-1, 1) for _ in range(3)] for _ in range(rng.randint(1, 3))],
            "s": models.SparseVector(indices=idx, values=[round(rng.uniform(0, 1), 3) for _ in idx]),
        }))
    for c in (client, local):
        c.create_collection(
            collection_name,
            vectors_config={"m": models.VectorParams(size=3, distance=models.Distance.COSINE, multivector_config=models.MultiVectorConfig(comparator=models.MultiVectorComparator.MAX_SIM))},
            sparse_vectors_config={"s": models.SparseVectorParams()},
        )
        c.upsert(collection_name, points, wait=True)
    for using, extra in (("m", [[0.5, -0.2, 0.1], [0.0, 1.0, 0.3]]), ("s", models.SparseVector(indices=[1, 5, 9], values=[0.3, 0.9, 0.2]))):
        rec = models.RecommendQuery(recommend=models.RecommendInput(positive=[2, 9, extra], negative=[4], strategy=strategy))
        kw = dict(query=rec, using=using, limit=10)
        r, l = client.query_points(collection_name, **kw).points, local.query_points(collection_name, **kw).points
        assert [p.score for p in r] == pytest.approx([p.score for p in l], abs=1e-4)
        assert [p.id for p in r] == [p.id for p in l]
