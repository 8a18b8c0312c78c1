"""Score formulas and relevance feedback through the query API, compared
with local mode."""

import random

import pytest
from qdrant_client import QdrantClient, models

from conftest import error_of

DIM = 4
Q = [0.3, -0.2, 0.8, 0.1]
Q2 = [-0.6, 0.4, 0.2, 0.5]


def dataset(n=120, seed=23):
    rng = random.Random(seed)
    points = []
    for i in range(n):
        payload = {
            "tag": rng.choice(["h1", "h2", "p"]),
            "price": rng.randint(1, 100),
            "rating": round(rng.uniform(0, 5), 2),
            "loc": {"lon": rng.uniform(-10, 10), "lat": rng.uniform(40, 55)},
            "ts": f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T0{rng.randint(0, 9)}:00:00Z",
        }
        if i % 4 == 0:
            del payload["price"]
        points.append(models.PointStruct(id=i, vector={"d": [rng.uniform(-1, 1) for _ in range(DIM)]}, payload=payload))
    return points


@pytest.fixture
def pair(client, collection_name):
    local = QdrantClient(":memory:")
    for c in (client, local):
        c.create_collection(collection_name, vectors_config={"d": models.VectorParams(size=DIM, distance=models.Distance.COSINE)})
        c.upsert(collection_name, dataset(), wait=True)
    return client, local, collection_name


def same(r, l, tol=1e-4):
    assert [p.id for p in r] == [p.id for p in l]
    assert [p.score for p in r] == pytest.approx([p.score for p in l], rel=1e-5, abs=tol)


def pre(limit=30, query=Q):
    return models.Prefetch(query=query, using="d", limit=limit)


def decay_params(x, **kw):
    return models.DecayParamsExpression(x=x, **kw)


FORMULAS = [
    # the documentation's example: boost by conditions
    models.SumExpression(sum=["$score", models.MultExpression(mult=[0.5, models.FieldCondition(key="tag", match=models.MatchAny(any=["h1", "h2"]))]),
                                models.MultExpression(mult=[0.25, models.FieldCondition(key="tag", match=models.MatchValue(value="p"))])]),
    models.MultExpression(mult=["$score", models.DivExpression(div=models.DivParams(left="rating", right=5.0, by_zero_default=0.0))]),
    models.SumExpression(sum=[models.PowExpression(pow=models.PowParams(base="$score", exponent=2)), models.SqrtExpression(sqrt="rating"),
                                models.Log10Expression(log10=models.SumExpression(sum=["rating", 1])), models.LnExpression(ln=models.SumExpression(sum=["rating", 2])),
                                models.NegExpression(neg=models.AbsExpression(abs="$score")), models.ExpExpression(exp="$score")]),
    models.SumExpression(sum=["$score", models.LinDecayExpression(lin_decay=decay_params("rating", target=5.0, scale=3.0, midpoint=0.3))]),
    models.SumExpression(sum=["$score", models.ExpDecayExpression(exp_decay=decay_params("rating", scale=2.0))]),
    models.SumExpression(sum=["$score", models.GaussDecayExpression(gauss_decay=decay_params(
        models.GeoDistance(geo_distance=models.GeoDistanceParams(origin=models.GeoPoint(lon=0.0, lat=48.0), to="loc")), scale=500000.0))]),
    models.SumExpression(sum=["$score", models.ExpDecayExpression(exp_decay=decay_params(
        models.DatetimeKeyExpression(datetime_key="ts"), target=models.DatetimeExpression(datetime="2024-06-01T00:00:00Z"), scale=86400.0 * 30, midpoint=0.4))]),
    models.MaxExpression(max=["$score", models.MinExpression(min=["rating", 0.5])]),
    models.SumExpression(sum=["$score", models.AcoshExpression(acosh=models.SumExpression(sum=["rating", 1]))]),
    # a payload number with a default for the points without one
    models.SumExpression(sum=["$score", models.MultExpression(mult=[0.001, "price"])]),
]


@pytest.mark.parametrize("index", range(len(FORMULAS)))
def test_formula_matches_local_mode(pair, index):
    client, local, name = pair
    query = models.FormulaQuery(formula=FORMULAS[index], defaults={"price": 50})
    kw = dict(prefetch=pre(), query=query, limit=10, with_payload=True)
    r, l = client.query_points(name, **kw).points, local.query_points(name, **kw).points
    same(r, l)
    assert [p.payload for p in r] == [p.payload for p in l]
    kw = dict(prefetch=pre(), query=query, limit=5, offset=3)
    same(client.query_points(name, **kw).points, local.query_points(name, **kw).points)


def test_formula_over_two_prefetches_with_defaults(pair):
    client, local, name = pair
    formula = models.SumExpression(sum=["$score[0]", models.MultExpression(mult=[2.0, "$score[1]"])])
    for defaults in ({}, {"$score[1]": -1.0}, {"$score": 0.25}):
        query = models.FormulaQuery(formula=formula, defaults=defaults)
        kw = dict(prefetch=[pre(15), pre(15, Q2)], query=query, limit=12)
        same(client.query_points(name, **kw).points, local.query_points(name, **kw).points)
    # thresholds keep scores at or above
    query = models.FormulaQuery(formula=formula)
    kw = dict(prefetch=[pre(15), pre(15, Q2)], query=query, limit=30, score_threshold=0.2)
    r, l = client.query_points(name, **kw).points, local.query_points(name, **kw).points
    same(r, l)
    assert r and all(p.score >= 0.2 for p in r)
    # a formula in a nested prefetch, then rescored by the vector
    inner = models.Prefetch(prefetch=pre(40), query=models.FormulaQuery(formula=FORMULAS[0]), limit=20)
    kw = dict(prefetch=inner, query=Q2, using="d", limit=5)
    same(client.query_points(name, **kw).points, local.query_points(name, **kw).points)


def test_formula_bad_input(api, pair):
    client, _, name = pair
    path = f"/collections/{name}/points/query"
    prefetch = {"query": Q, "using": "d", "limit": 30}
    cases = [
        # a formula rescoring nothing
        ({"query": {"formula": "$score"}}, "cannot apply Formula without prefetches"),
        # points without `price` and no default
        ({"prefetch": prefetch, "query": {"formula": {"sum": ["$score", "price"]}}}, "No value found for price"),
        ({"prefetch": prefetch, "query": {"formula": {"div": {"left": 1, "right": 0}}}}, "non-finite"),
        ({"prefetch": prefetch, "query": {"formula": {"ln": {"neg": "rating"}}}}, "non-finite"),
        ({"prefetch": prefetch, "query": {"formula": "$score[x]"}}, "Invalid score pattern"),
        ({"prefetch": prefetch, "query": {"formula": {"lin_decay": {"x": "rating", "midpoint": 1.5}}}}, "midpoint"),
        ({"prefetch": prefetch, "query": {"formula": {"exp_decay": {"x": "rating", "scale": 0}}}}, "Scale"),
        ({"prefetch": prefetch, "query": {"formula": {"max": []}}}, "at least one operand"),
        ({"prefetch": prefetch, "query": {"formula": {"datetime": "someday"}}}, "datetime"),
        ({"prefetch": prefetch, "query": {"formula": {"sum": ["$score", "tag"]}}}, "Expected number value for tag"),
    ]
    for body, text in cases:
        r = api.call("POST", path, body)
        assert r.status_code == 400, (body, r.text)
        assert text in error_of(r), (body, r.text)
    r = api.call("POST", path, {"prefetch": prefetch, "query": {"formula": [1, 2]}})
    assert r.status_code == 400, r.text
    # nothing was harmed
    assert client.count(name).count == 120


@pytest.mark.parametrize("abc", [(1.0, 1.0, 1.0), (0.5, 0.0, 2.0), (1.0, 2.0, -0.5)])
def test_relevance_feedback_matches_local_mode(pair, abc):
    client, local, name = pair
    a, b, c = abc
    query = models.RelevanceFeedbackQuery(relevance_feedback=models.RelevanceFeedbackInput(
        target=Q,
        feedback=[models.FeedbackItem(example=3, score=0.9), models.FeedbackItem(example=17, score=0.1),
                  models.FeedbackItem(example=[0.1, 0.2, 0.3, 0.4], score=0.5)],
        strategy=models.NaiveFeedbackStrategy(naive=models.NaiveFeedbackStrategyParams(a=a, b=b, c=c)),
    ))
    kw = dict(query=query, using="d", limit=10)
    r, l = client.query_points(name, **kw).points, local.query_points(name, **kw).points
    same(r, l)
    assert not {3, 17} & {p.id for p in r}
    kw = dict(query=query, using="d", limit=5, query_filter=models.Filter(must=[models.FieldCondition(key="tag", match=models.MatchValue(value="p"))]))
    same(client.query_points(name, **kw).points, local.query_points(name, **kw).points)


def test_relevance_feedback_bad_input(api, pair):
    _, _, name = pair
    path = f"/collections/{name}/points/query"
    body = {"using": "d", "query": {"relevance_feedback": {"target": Q, "feedback": [], "strategy": {"naive": {"a": 1, "b": -1, "c": 1}}}}}
    # the texts of the reference server
    r = api.call("POST", path, body)
    assert (r.status_code, error_of(r)) == (422, "Validation error in JSON body: [internal.query.relevance_feedback.strategy.naive.b: value -1.0 invalid, must be 0.0 or larger]")
    body["query"]["relevance_feedback"]["strategy"] = {"naive": {"a": 1, "b": 1, "c": 1}}
    r = api.call("POST", path, body)
    assert (r.status_code, error_of(r)) == (422, "Validation error in JSON body: [internal.query.relevance_feedback.__all__: feedback elements must be non-empty]")
    body["query"]["relevance_feedback"]["feedback"] = [{"example": 3, "score": 0.5}]
    body["query"]["relevance_feedback"]["target"] = [1, 2]
    r = api.call("POST", path, body)
    assert r.status_code == 400 and "dimension" in error_of(r), r.text
    body["query"]["relevance_feedback"]["target"] = 100000
    r = api.call("POST", path, body)
    assert r.status_code == 404, r.text


def test_query_without_query_lists_points_by_id(pair):
    client, local, name = pair
    flt = models.Filter(must=[models.FieldCondition(key="tag", match=models.MatchValue(value="h1"))])
    for kw in (dict(limit=7), dict(limit=5, offset=3, query_filter=flt, with_payload=True)):
        r, l = client.query_points(name, **kw).points, local.query_points(name, **kw).points
        assert [(p.id, p.score, p.payload) for p in r] == [(p.id, p.score, p.payload) for p in l]
