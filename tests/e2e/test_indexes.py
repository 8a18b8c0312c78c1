"""Payload indexes, indexed filtering, facets and order_by against local mode."""

import pytest
from qdrant_client import QdrantClient, models

from conftest import Server, error_of
from test_points import DIM, FILTERS, all_points, dataset

INDEXES = {
    "city": models.PayloadSchemaType.KEYWORD,
    "n": models.IntegerIndexParams(type=models.IntegerIndexType.INTEGER, lookup=True, range=True),
    "f": models.PayloadSchemaType.FLOAT,
    "flag": models.PayloadSchemaType.BOOL,
    "geo": models.PayloadSchemaType.GEO,
    "text": models.TextIndexParams(type=models.TextIndexType.TEXT, tokenizer=models.TokenizerType.WORD, lowercase=True),
    "when": models.PayloadSchemaType.DATETIME,
    "nested.a[].c": models.PayloadSchemaType.KEYWORD,
}


@pytest.fixture
def indexed_pair(client, collection_name):
    local = QdrantClient(":memory:")
    for c in (client, local):
        c.create_collection(collection_name, vectors_config=models.VectorParams(size=DIM, distance=models.Distance.COSINE))
        c.upsert(collection_name, dataset(), wait=True)
    for field, schema in INDEXES.items():
        client.create_payload_index(collection_name, field, schema, wait=True)
    return client, local, collection_name


def test_payload_schema_reports_every_index(api, indexed_pair):
    client, local, name = indexed_pair
    info = client.get_collection(name)
    assert set(info.payload_schema) == set(INDEXES)
    assert info.payload_schema["city"].data_type == models.PayloadSchemaType.KEYWORD
    assert info.payload_schema["n"].params.range is True
    cities = sum(1 for p in all_points(local, name) if isinstance(p.payload.get("city"), str) or p.payload.get("city"))
    assert info.payload_schema["city"].points == cities
    raw = api.get(f"/collections/{name}").json()["result"]["payload_schema"]
    assert raw["n"] == {"data_type": "integer", "params": {"type": "integer", "lookup": True, "range": True}, "points": raw["n"]["points"]}
    assert raw["f"] == {"data_type": "float", "points": raw["f"]["points"]}


@pytest.mark.parametrize("index", range(len(FILTERS)))
def test_indexed_filters_match_local_mode(indexed_pair, index):
    client, local, name = indexed_pair
    f = FILTERS[index]
    assert [p.id for p in all_points(client, name, scroll_filter=f)] == [p.id for p in all_points(local, name, scroll_filter=f)]
    assert client.count(name, count_filter=f).count == local.count(name, count_filter=f).count


def test_indexes_follow_every_write(indexed_pair):
    client, local, name = indexed_pair
    ids = [p.id for p in dataset()]
    for c in (client, local):
        c.set_payload(name, {"city": "Zurich", "n": 100}, points=ids[:10])
        c.overwrite_payload(name, {"city": ["Zurich", "Oslo"]}, points=ids[10:15])
        c.delete_payload(name, ["city"], points=ids[15:20])
        c.clear_payload(name, points_selector=ids[20:25])
        c.delete(name, points_selector=ids[25:30])
        c.upsert(name, [models.PointStruct(id=10_000, vector=[1, 0, 0, 0], payload={"city": "Zurich", "n": 7})])
    for f in [
        models.Filter(must=[models.FieldCondition(key="city", match=models.MatchValue(value="Zurich"))]),
        models.Filter(must=[models.FieldCondition(key="city", match=models.MatchAny(any=["Oslo", "Berlin"]))]),
        models.Filter(must=[models.FieldCondition(key="n", range=models.Range(gte=7))]),
    ]:
        assert [p.id for p in all_points(client, name, scroll_filter=f)] == [p.id for p in all_points(local, name, scroll_filter=f)]
    hits = client.facet(name, "city", limit=20).hits
    assert hits == local.facet(name, "city", limit=20).hits


@pytest.mark.parametrize("key", ["city", "n", "flag"])
def test_facets_match_local_mode(indexed_pair, key):
    client, local, name = indexed_pair
    assert client.facet(name, key).hits == local.facet(name, key).hits
    assert client.facet(name, key, limit=2).hits == local.facet(name, key, limit=2).hits
    f = models.Filter(must=[models.FieldCondition(key="f", range=models.Range(gt=0))])
    assert client.facet(name, key, facet_filter=f, limit=100).hits == local.facet(name, key, facet_filter=f, limit=100).hits


def test_facet_requires_an_index(api, indexed_pair):
    _, _, name = indexed_pair
    r = api.post(f"/collections/{name}/facet", {"key": "maybe"})
    assert r.status_code == 400
    assert error_of(r).startswith('Bad request: Index required but not found for "maybe"')


@pytest.mark.parametrize(
    "order_by",
    [
        models.OrderBy(key="n"),
        models.OrderBy(key="n", direction=models.Direction.DESC),
        models.OrderBy(key="n", start_from=5),
        models.OrderBy(key="n", direction=models.Direction.DESC, start_from=3),
        models.OrderBy(key="f"),
        models.OrderBy(key="f", direction=models.Direction.DESC, start_from=2.5),
        models.OrderBy(key="when"),
        models.OrderBy(key="when", direction=models.Direction.DESC, start_from="2024-05-01T00:00:00Z"),
    ],
)
def test_order_by_matches_local_mode(indexed_pair, order_by):
    client, local, name = indexed_pair
    for limit in (5, 200):
        r, nr = client.scroll(name, order_by=order_by, limit=limit)
        l, nl = local.scroll(name, order_by=order_by, limit=limit)
        assert nr is None and nl is None
        assert [(p.id, p.order_value) for p in r] == [(p.id, p.order_value) for p in l]
    f = models.Filter(must=[models.FieldCondition(key="city", match=models.MatchValue(value="Berlin"))])
    r, _ = client.scroll(name, order_by=order_by, scroll_filter=f, limit=50)
    l, _ = local.scroll(name, order_by=order_by, scroll_filter=f, limit=50)
    assert [p.id for p in r] == [p.id for p in l]


def test_order_by_bad_input(api, indexed_pair):
    _, _, name = indexed_pair
    r = api.post(f"/collections/{name}/points/scroll", {"order_by": "city"})
    assert r.status_code == 400
    assert error_of(r).startswith("Wrong input: No range index for `order_by` key: `city`.")
    r = api.post(f"/collections/{name}/points/scroll", {"order_by": "n", "offset": 1})
    assert r.status_code == 400
    r = api.post(f"/collections/{name}/points/scroll", {"order_by": {"key": "n", "direction": "sideways"}})
    assert r.status_code == 400


def test_every_index_type_create_use_delete(api, client, collection_name):
    client.create_collection(collection_name, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
    client.upsert(
        collection_name,
        [
            models.PointStruct(id=1, vector=[1, 0], payload={"k": "a", "i": 1, "fl": 0.5, "b": True, "g": {"lon": 1, "lat": 1}, "t": "hello world", "d": "2024-01-01T00:00:00Z", "u": "5c56c793-69f3-4fbf-87e6-c4bf54c28c26"}),
            models.PointStruct(id=2, vector=[0, 1], payload={"k": "b", "i": 2, "fl": 1.5, "b": False, "g": {"lon": 50, "lat": 50}, "t": "goodbye world", "d": "2025-01-01T00:00:00Z", "u": "6c56c793-69f3-4fbf-87e6-c4bf54c28c26"}),
        ],
    )
    cases = [
        ("k", "keyword", models.FieldCondition(key="k", match=models.MatchValue(value="a"))),
        ("i", {"type": "integer", "lookup": True, "range": False, "is_principal": False}, models.FieldCondition(key="i", match=models.MatchValue(value=1))),
        ("fl", {"type": "float", "is_principal": True}, models.FieldCondition(key="fl", range=models.Range(lt=1))),
        ("b", "bool", models.FieldCondition(key="b", match=models.MatchValue(value=True))),
        ("g", {"type": "geo", "on_disk": True}, models.FieldCondition(key="g", geo_radius=models.GeoRadius(center=models.GeoPoint(lon=1, lat=1), radius=1000))),
        ("t", {"type": "text", "tokenizer": "prefix", "min_token_len": 2, "max_token_len": 10, "lowercase": True, "phrase_matching": True, "stopwords": {"languages": ["english"], "custom": ["goodbye"]}}, models.FieldCondition(key="t", match=models.MatchText(text="hel"))),
        ("d", "datetime", models.FieldCondition(key="d", range=models.DatetimeRange(lt="2024-06-01T00:00:00Z"))),
        ("u", {"type": "uuid", "is_tenant": True}, models.FieldCondition(key="u", match=models.MatchValue(value="5c56c793-69f3-4fbf-87e6-c4bf54c28c26"))),
        ("k2", {"type": "keyword", "is_tenant": True, "on_disk": True}, None),
    ]
    base = f"/collections/{collection_name}"
    for field, schema, condition in cases:
        r = api.put(base + "/index?wait=true", {"field_name": field, "field_schema": schema})
        assert r.status_code == 200, (field, r.text)
        assert r.json()["result"]["status"] == "completed"
        info = api.get(base).json()["result"]["payload_schema"][field]
        expected_type = schema if isinstance(schema, str) else schema["type"]
        assert info["data_type"] == expected_type
        if isinstance(schema, dict):
            assert info["params"] == schema
        if condition is not None:
            assert info["points"] == 2
            points, _ = client.scroll(collection_name, scroll_filter=models.Filter(must=[condition]))
            assert [p.id for p in points] == [1], field
    # the client parses the reported schema
    assert set(client.get_collection(collection_name).payload_schema) == {c[0] for c in cases}
    for field, _, _ in cases:
        r = api.delete(f"{base}/index/{field}?wait=true")
        assert r.status_code == 200
    assert api.get(base).json()["result"]["payload_schema"] == {}
    # filters still answer without indexes
    points, _ = client.scroll(collection_name, scroll_filter=models.Filter(must=[cases[0][2]]))
    assert [p.id for p in points] == [1]


def test_text_index_tokenizers(client, collection_name):
    client.create_collection(collection_name, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
    client.upsert(collection_name, [
        models.PointStruct(id=1, vector=[1, 0], payload={"t": "The Quick brown-fox jumps"}),
        models.PointStruct(id=2, vector=[1, 0], payload={"t": "running quickly"}),
    ])

    def ids(cond):
        return [p.id for p in client.scroll(collection_name, scroll_filter=models.Filter(must=[cond]))[0]]

    client.create_payload_index(collection_name, "t", models.TextIndexParams(type="text", tokenizer=models.TokenizerType.PREFIX, min_token_len=2), wait=True)
    assert ids(models.FieldCondition(key="t", match=models.MatchText(text="qui"))) == [1, 2]
    assert ids(models.FieldCondition(key="t", match=models.MatchPhrase(phrase="brown fox"))) == [1]
    client.create_payload_index(
        collection_name, "t",
        models.TextIndexParams(type="text", tokenizer=models.TokenizerType.WORD, stemmer=models.SnowballParams(type=models.Snowball.SNOWBALL, language=models.SnowballLanguage.ENGLISH)),
        wait=True,
    )
    assert ids(models.FieldCondition(key="t", match=models.MatchText(text="run"))) == [2]
    assert ids(models.FieldCondition(key="t", match=models.MatchTextAny(text_any="jumping nothing"))) == [1]
    client.create_payload_index(collection_name, "t", models.TextIndexParams(type="text", tokenizer=models.TokenizerType.WHITESPACE, lowercase=False), wait=True)
    assert ids(models.FieldCondition(key="t", match=models.MatchText(text="brown-fox"))) == [1]
    assert ids(models.FieldCondition(key="t", match=models.MatchText(text="quick"))) == []


@pytest.mark.parametrize(
    "body,status",
    [
        ({"field_name": "x", "field_schema": "vector"}, 400),
        ({"field_name": "x", "field_schema": {"type": "integer", "lookup": "yes"}}, 400),
        ({"field_name": "x", "field_schema": {"type": "text", "tokenizer": "nonsense"}}, 400),
        ({"field_schema": "keyword"}, 400),
        ({"field_name": "a..b", "field_schema": "keyword"}, 400),
        ({"field_name": "never_seen"}, 400),
    ],
)
def test_create_index_bad_input(api, client, collection_name, body, status):
    client.create_collection(collection_name, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
    r = api.put(f"/collections/{collection_name}/index", body)
    assert r.status_code == status, r.text
    assert api.get(f"/collections/{collection_name}").json()["result"]["payload_schema"] == {}


def test_index_inferred_from_data(api, client, collection_name):
    client.create_collection(collection_name, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
    client.upsert(collection_name, [models.PointStruct(id=1, vector=[1, 0], payload={"a": 5, "s": "x"})])
    assert api.put(f"/collections/{collection_name}/index", {"field_name": "a"}).status_code == 200
    assert api.put(f"/collections/{collection_name}/index", {"field_name": "s"}).status_code == 200
    schema = api.get(f"/collections/{collection_name}").json()["result"]["payload_schema"]
    assert schema["a"]["data_type"] == "integer" and schema["s"]["data_type"] == "keyword"


def test_filter_bad_input(api, client, collection_name):
    client.create_collection(collection_name, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
    base = f"/collections/{collection_name}/points/scroll"
    r = api.post(base, {"filter": {"must": [{"key": "g", "geo_radius": {"center": {"lon": 500, "lat": 0}, "radius": 1}}]}})
    assert r.status_code == 400
    r = api.post(base, {"filter": {"must": [{"key": "g", "geo_radius": {"center": {"lon": 1}, "radius": 1}}]}})
    assert r.status_code == 400
    r = api.post(base, {"filter": {"must": [{"key": "d", "range": {"gt": "2024-13-45"}}]}})
    assert r.status_code == 400
    assert "does not match accepted datetime format" in error_of(r)
    r = api.post(base, {"filter": {"must": [{"key": "g", "geo_polygon": {"exterior": {"points": [{"lon": 0, "lat": 0}]}}}]}})
    assert r.status_code in (400, 422)


def test_indexes_survive_restart(tmpdir_path):
    import requests

    s = Server(tmpdir_path).start()
    try:
        requests.put(s.url + "/collections/c", json={"vectors": {"size": 2, "distance": "Dot"}}).raise_for_status()
        requests.put(s.url + "/collections/c/points?wait=true", json={"points": [{"id": 1, "vector": [1, 2], "payload": {"k": "v"}}]}).raise_for_status()
        requests.put(s.url + "/collections/c/index?wait=true", json={"field_name": "k", "field_schema": "keyword"}).raise_for_status()
        s.kill()
        s.start()
        schema = requests.get(s.url + "/collections/c").json()["result"]["payload_schema"]
        assert schema == {"k": {"data_type": "keyword", "points": 1}}
        s.stop()
        s.start()
        assert requests.post(s.url + "/collections/c/facet", json={"key": "k"}).json()["result"]["hits"] == [{"value": "v", "count": 1}]
    finally:
        s.stop()
