"""Points and payloads through qdrant-client, checked against local mode."""

import random
import uuid

import pytest
from qdrant_client import QdrantClient, models

DIM = 4
CITIES = ["Berlin", "London", "Moscow", "Paris", "Rome"]


def random_payload(rng):
    p = {}
    if rng.random() < 0.8:
        p["city"] = rng.choice(CITIES) if rng.random() < 0.7 else rng.sample(CITIES, rng.randint(0, 3))
    if rng.random() < 0.8:
        p["n"] = rng.randint(-5, 20)
    if rng.random() < 0.5:
        p["f"] = round(rng.uniform(-10, 10), 3)
    if rng.random() < 0.3:
        p["flag"] = rng.random() < 0.5
    if rng.random() < 0.3:
        # (an array holding a null is null to Qdrant only where the field is
        # indexed, unlike local mode: test_reference_diff checks that case)
        p["maybe"] = None if rng.random() < 0.5 else [2, 1]
    if rng.random() < 0.4:
        p["nested"] = {"a": [{"b": rng.randint(0, 3), "c": rng.choice(CITIES)} for _ in range(rng.randint(0, 3))]}
    if rng.random() < 0.3:
        p["geo"] = {"lon": rng.uniform(-10, 40), "lat": rng.uniform(40, 60)}
    if rng.random() < 0.3:
        p["text"] = " ".join(rng.sample(["quick", "brown", "fox", "lazy", "dog", "jumps"], 3))
    if rng.random() < 0.3:
        p["when"] = f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T10:00:00Z"
    return p


def random_id(rng, i):
    return i if rng.random() < 0.8 else str(uuid.UUID(int=rng.getrandbits(128)))


def dataset(seed=7, n=120):
    rng = random.Random(seed)
    return [
        models.PointStruct(id=random_id(rng, i), vector=[rng.uniform(-1, 1) for _ in range(DIM)], payload=random_payload(rng))
        for i in range(n)
    ]


FILTERS = [
    models.Filter(must=[models.FieldCondition(key="city", match=models.MatchValue(value="Berlin"))]),
    models.Filter(must=[models.FieldCondition(key="city", match=models.MatchAny(any=["London", "Paris"]))]),
    models.Filter(must=[models.FieldCondition(key="city", match=models.MatchExcept(**{"except": ["Berlin"]}))]),
    models.Filter(must=[models.FieldCondition(key="n", range=models.Range(gte=3, lt=10))]),
    models.Filter(must=[models.FieldCondition(key="f", range=models.Range(gt=0))]),
    models.Filter(must=[models.FieldCondition(key="n", match=models.MatchValue(value=5))]),
    models.Filter(should=[models.FieldCondition(key="flag", match=models.MatchValue(value=True)), models.HasIdCondition(has_id=[1, 2, 3])]),
    models.Filter(must_not=[models.IsEmptyCondition(is_empty=models.PayloadField(key="city"))]),
    models.Filter(must=[models.IsNullCondition(is_null=models.PayloadField(key="maybe"))]),
    models.Filter(must=[models.NestedCondition(nested=models.Nested(key="nested.a", filter=models.Filter(must=[models.FieldCondition(key="b", match=models.MatchValue(value=2))])))]),
    models.Filter(must=[models.FieldCondition(key="nested.a[].c", match=models.MatchValue(value="Rome"))]),
    models.Filter(must=[models.FieldCondition(key="geo", geo_radius=models.GeoRadius(center=models.GeoPoint(lon=13.4, lat=52.5), radius=800_000))]),
    models.Filter(must=[models.FieldCondition(key="geo", geo_bounding_box=models.GeoBoundingBox(top_left=models.GeoPoint(lon=0, lat=60), bottom_right=models.GeoPoint(lon=20, lat=45)))]),
    models.Filter(must=[models.FieldCondition(key="text", match=models.MatchText(text="quick fox"))]),
    models.Filter(must=[models.FieldCondition(key="when", range=models.DatetimeRange(gte="2024-05-01T00:00:00Z"))]),
    models.Filter(must=[models.FieldCondition(key="city", values_count=models.ValuesCount(gte=2))]),
    models.Filter(min_should=models.MinShould(conditions=[models.FieldCondition(key="n", range=models.Range(gt=5)), models.FieldCondition(key="city", match=models.MatchValue(value="Rome")), models.FieldCondition(key="flag", match=models.MatchValue(value=False))], min_count=2)),
    models.Filter(must=[models.Filter(should=[models.FieldCondition(key="n", range=models.Range(lt=0)), models.IsEmptyCondition(is_empty=models.PayloadField(key="n"))])]),
    models.Filter(must=[models.HasVectorCondition(has_vector="")]),
]


def all_points(c, name, **kw):
    out, offset = [], None
    while True:
        page, offset = c.scroll(name, limit=37, offset=offset, with_vectors=True, **kw)
        out.extend(page)
        if offset is None:
            return out


def assert_same_state(remote, local, name):
    r, l = all_points(remote, name), all_points(local, name)
    assert [p.id for p in r] == [p.id for p in l], "scroll order"
    for a, b in zip(r, l):
        assert a.payload == b.payload, a.id
        assert a.vector == pytest.approx(b.vector, abs=1e-5), a.id
    assert remote.count(name).count == local.count(name).count


@pytest.fixture
def pair(client, collection_name):
    local = QdrantClient(":memory:")
    for c in (client, local):
        c.create_collection(collection_name, vectors_config=models.VectorParams(size=DIM, distance=models.Distance.COSINE))
        c.upsert(collection_name, dataset(), wait=True)
    return client, local, collection_name


def test_upsert_and_scroll_match_local_mode(pair):
    remote, local, name = pair
    assert_same_state(remote, local, name)


@pytest.mark.parametrize("index", range(len(FILTERS)))
def test_filters_match_local_mode(pair, index):
    remote, local, name = pair
    f = FILTERS[index]
    r = [p.id for p in all_points(remote, name, scroll_filter=f)]
    l = [p.id for p in all_points(local, name, scroll_filter=f)]
    assert r == l
    assert remote.count(name, count_filter=f).count == len(l)


def test_payload_and_vector_operations_match_local_mode(pair):
    remote, local, name = pair
    berlin = models.Filter(must=[models.FieldCondition(key="city", match=models.MatchValue(value="Berlin"))])
    ids = [p.id for p in dataset()]
    steps = [
        lambda c: c.set_payload(name, {"extra": 1, "city": "Oslo"}, points=[ids[1], ids[2], ids[3]]),
        lambda c: c.set_payload(name, {"deep": True}, points=[ids[4]], key="nested"),
        lambda c: c.set_payload(name, {"tagged": "yes"}, points=berlin),
        lambda c: c.overwrite_payload(name, {"only": "this"}, points=[ids[5], ids[6]]),
        lambda c: c.delete_payload(name, ["n", "nested.a"], points=[ids[7], ids[8], ids[9], ids[10]]),
        lambda c: c.delete_payload(name, ["f"], points=models.Filter(must=[models.FieldCondition(key="n", range=models.Range(gt=10))])),
        lambda c: c.clear_payload(name, points_selector=[ids[11], ids[12]]),
        lambda c: c.delete(name, points_selector=[ids[13], ids[14], 999]),
        lambda c: c.delete(name, points_selector=models.FilterSelector(filter=models.Filter(must=[models.FieldCondition(key="n", match=models.MatchValue(value=0))]))),
        lambda c: c.update_vectors(name, [models.PointVectors(id=ids[20], vector=[1.0, 0.0, 0.0, 0.0])]),
        lambda c: c.upsert(name, [models.PointStruct(id=ids[21], vector=[0.0, 2.0, 0.0, 0.0], payload={"replaced": True})]),
        lambda c: c.batch_update_points(
            name,
            [
                models.UpsertOperation(upsert=models.PointsList(points=[models.PointStruct(id=500, vector=[1, 1, 1, 1], payload={"b": 1})])),
                models.SetPayloadOperation(set_payload=models.SetPayload(payload={"b": 2}, points=[500])),
                models.DeletePayloadOperation(delete_payload=models.DeletePayload(keys=["city"], points=[ids[22]])),
                models.OverwritePayloadOperation(overwrite_payload=models.SetPayload(payload={"o": 1}, points=[ids[23]])),
                models.ClearPayloadOperation(clear_payload=models.PointIdsList(points=[ids[24]])),
                models.DeleteOperation(delete=models.PointIdsList(points=[ids[25]])),
            ],
        ),
    ]
    for step in steps:
        for c in (remote, local):
            step(c)
        assert_same_state(remote, local, name)


def test_upsert_batch_form_and_uuid_ids(client, collection_name):
    client.create_collection(collection_name, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
    u = uuid.uuid4()
    client.upsert(
        collection_name,
        models.Batch(ids=[1, str(u)], vectors=[[1.0, 2.0], [3.0, 4.0]], payloads=[{"k": 1}, {}]),
    )
    points = client.retrieve(collection_name, [str(u), 1, 77], with_vectors=True)
    assert [p.id for p in points] == [str(u), 1]
    assert points[0].vector == [3.0, 4.0] and points[0].payload == {}
    # any UUID text form refers to the same point and comes back canonical
    simple = client.retrieve(collection_name, [u.hex])
    assert simple[0].id == str(u)


def test_retrieve_and_selectors(api, client, collection_name):
    client.create_collection(collection_name, vectors_config={"a": models.VectorParams(size=2, distance=models.Distance.DOT), "b": models.VectorParams(size=3, distance=models.Distance.DOT)})
    client.upsert(collection_name, [models.PointStruct(id=1, vector={"a": [1, 2], "b": [1, 2, 3]}, payload={"x": {"y": 1, "z": 2}, "w": 3})])
    base = f"/collections/{collection_name}/points"
    r = api.post(base, {"ids": [1], "with_payload": ["x.y"], "with_vector": ["b"]}).json()["result"][0]
    assert r == {"id": 1, "payload": {"x": {"y": 1}}, "vector": {"b": [1.0, 2.0, 3.0]}}
    r = api.post(base, {"ids": [1], "with_payload": {"exclude": ["x"]}}).json()["result"][0]
    assert r == {"id": 1, "payload": {"w": 3}}
    r = api.post(base, {"ids": [1], "with_payload": False, "with_vector": True}).json()["result"][0]
    assert r == {"id": 1, "vector": {"a": [1.0, 2.0], "b": [1.0, 2.0, 3.0]}}
    r = api.get(f"{base}/1").json()["result"]
    assert r["payload"] == {"x": {"y": 1, "z": 2}, "w": 3} and set(r["vector"]) == {"a", "b"}
    r = api.post(base, {"ids": [1], "with_vector": ["nope"]})
    assert r.status_code == 400
    assert r.json()["status"]["error"] == "Wrong input: Not existing vector name error: nope"


def test_scroll_pagination_and_count(client, collection_name):
    client.create_collection(collection_name, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
    client.upsert(collection_name, [models.PointStruct(id=i, vector=[i, 1.0], payload={"even": i % 2 == 0}) for i in range(25)])
    page, nxt = client.scroll(collection_name, limit=10)
    assert [p.id for p in page] == list(range(10)) and nxt == 10
    page, nxt = client.scroll(collection_name, limit=10, offset=20)
    assert [p.id for p in page] == list(range(20, 25)) and nxt is None
    f = models.Filter(must=[models.FieldCondition(key="even", match=models.MatchValue(value=True))])
    assert client.count(collection_name, count_filter=f).count == 13
    assert client.count(collection_name, exact=False).count == 25


def test_wait_and_operation_ids(api, client, collection_name):
    client.create_collection(collection_name, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
    base = f"/collections/{collection_name}/points"
    r1 = api.put(base + "?wait=true", {"points": [{"id": 1, "vector": [1, 2]}]}).json()["result"]
    assert r1 == {"operation_id": 1, "status": "completed"}
    r2 = api.put(base, {"batch": {"ids": [2], "vectors": [[1, 2]]}}).json()["result"]
    assert r2 == {"operation_id": 2, "status": "acknowledged"}
    rb = api.post(base + "/batch?wait=true", {"operations": [{"upsert": {"points": [{"id": 9, "vector": [1, 1]}]}}, {"delete": {"points": [9]}}]})
    assert rb.json()["result"] == [{"operation_id": 3, "status": "completed"}, {"operation_id": 4, "status": "completed"}]


def test_update_modes_and_update_filter(api, client, collection_name):
    client.create_collection(collection_name, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
    base = f"/collections/{collection_name}/points?wait=true"
    api.put(base, {"points": [{"id": 1, "vector": [1, 1], "payload": {"v": 1}}]})
    api.put(base, {"points": [{"id": 1, "vector": [1, 1], "payload": {"v": 2}}, {"id": 2, "vector": [1, 1], "payload": {"v": 2}}], "update_mode": "insert_only"})
    assert {p.id: p.payload["v"] for p in client.scroll(collection_name)[0]} == {1: 1, 2: 2}
    api.put(base, {"points": [{"id": 1, "vector": [1, 1], "payload": {"v": 3}}, {"id": 3, "vector": [1, 1], "payload": {"v": 3}}], "update_mode": "update_only"})
    assert {p.id: p.payload["v"] for p in client.scroll(collection_name)[0]} == {1: 3, 2: 2}
    api.put(base, {"points": [{"id": 1, "vector": [1, 1], "payload": {"v": 4}}, {"id": 2, "vector": [1, 1], "payload": {"v": 4}}], "update_filter": {"must": [{"key": "v", "match": {"value": 2}}]}})
    assert {p.id: p.payload["v"] for p in client.scroll(collection_name)[0]} == {1: 3, 2: 4}


def test_multi_and_sparse_vectors(api, client, collection_name):
    client.create_collection(
        collection_name,
        vectors_config={"dense": models.VectorParams(size=3, distance=models.Distance.DOT), "colbert": models.VectorParams(size=2, distance=models.Distance.COSINE, multivector_config=models.MultiVectorConfig(comparator=models.MultiVectorComparator.MAX_SIM))},
        sparse_vectors_config={"text": models.SparseVectorParams(modifier=models.Modifier.IDF)},
    )
    r = api.put(f"/collections/{collection_name}/points?wait=true", {"points": [{"id": 1, "vector": {"dense": [1.0, 2.0, 3.0], "colbert": [[3.0, 4.0], [0.0, 1.0]], "text": {"indices": [7, 1], "values": [0.2, 0.5]}}}]})
    assert r.status_code == 200, r.text
    api.put(f"/collections/{collection_name}/points?wait=true", {"points": [{"id": 2, "vector": {"dense": [3.0, 2.0, 1.0]}}]})
    p1 = api.get(f"/collections/{collection_name}/points/1").json()["result"]["vector"]
    assert p1 == {"colbert": [[0.6, 0.8], [0.0, 1.0]], "dense": [1.0, 2.0, 3.0], "text": {"indices": [1, 7], "values": [0.5, 0.2]}}
    p2 = api.get(f"/collections/{collection_name}/points/2").json()["result"]["vector"]
    assert p2 == {"dense": [3.0, 2.0, 1.0]}
    client.delete_vectors(collection_name, ["dense"], [1])
    assert set(client.retrieve(collection_name, [1], with_vectors=True)[0].vector) == {"colbert", "text"}
    f = models.Filter(must=[models.HasVectorCondition(has_vector="text")])
    assert client.count(collection_name, count_filter=f).count == 1
