"""Qdrant 1.19 additions: the `slice` filter condition and the node's
resource quotas (`GET/PUT /quotas`), compared with the reference server."""

import shutil
import tempfile
import uuid

import grpc
import pytest
import requests
from qdrant_client import QdrantClient, models

from conftest import Server, error_of

IDS = list(range(40)) + [str(uuid.UUID(int=i * 7919 + 12345)) for i in range(20)]


def slice_collection(url):
    requests.delete(f"{url}/collections/sl")
    assert requests.put(f"{url}/collections/sl", json={"vectors": {"size": 2, "distance": "Dot"}}).status_code == 200
    points = [{"id": i, "vector": [1.0, 0.5], "payload": {"k": n % 3}} for n, i in enumerate(IDS)]
    assert requests.put(f"{url}/collections/sl/points?wait=true", json={"points": points}).status_code == 200


@pytest.fixture(scope="module")
def sliced(api, reference):
    for url in (api.base, reference.url):
        slice_collection(url)
    yield {"ours": api.base, "ref": reference.url}
    for url in (api.base, reference.url):
        requests.delete(f"{url}/collections/sl")


def scroll_ids(url, flt):
    r = requests.post(f"{url}/collections/sl/points/scroll", json={"filter": flt, "limit": 100})
    assert r.status_code == 200, r.text
    return sorted(str(p["id"]) for p in r.json()["result"]["points"])


@pytest.mark.parametrize("total", [1, 2, 3, 4, 7])
def test_slices_partition_ids_as_qdrant(sliced, total):
    parts = []
    for index in range(total):
        flt = {"must": [{"slice": {"total": total, "index": index}}]}
        ours = scroll_ids(sliced["ours"], flt)
        assert ours == scroll_ids(sliced["ref"], flt), (total, index)
        parts.extend(ours)
    assert sorted(parts) == sorted(str(i) for i in IDS)


def test_slice_combines_with_other_conditions(sliced):
    flt = {"must": [{"slice": {"total": 2, "index": 1}}, {"key": "k", "match": {"value": 1}}],
           "must_not": [{"slice": {"total": 4, "index": 3}}]}
    assert scroll_ids(sliced["ours"], flt) == scroll_ids(sliced["ref"], flt)
    for url in sliced.values():
        r = requests.post(f"{url}/collections/sl/points/count", json={"filter": flt, "exact": True})
        assert r.status_code == 200
    counts = [requests.post(f"{u}/collections/sl/points/count", json={"filter": flt}).json()["result"]["count"]
              for u in sliced.values()]
    assert counts[0] == counts[1]


@pytest.mark.parametrize("bad", [{"total": 2, "index": 2}, {"total": 0, "index": 0}, {"total": 2},
                                 {"total": -1, "index": 0}, {"total": 4294967296, "index": 0}])
def test_bad_slices_refused_as_qdrant(sliced, bad):
    for path in ("/points/scroll", "/points/count"):
        body = {"filter": {"should": [{"slice": bad}]}}
        ours, ref = (requests.post(f"{u}/collections/sl{path}", json=body) for u in sliced.values())
        assert ours.status_code == ref.status_code
        # Qdrant reports format errors at the end of its flattened bodies:
        # compare the message without the position
        strip = lambda r: error_of(r).split(" at line ")[0]
        assert strip(ours) == strip(ref)


@pytest.mark.parametrize("condition", [{"foo": 1}, {"has_id": ["zz"]}, {"must": [], "foo": 1},
                                       {"is_empty": {"key": "a"}, "has_id": "zz"},
                                       {"slice": {"total": 2, "index": 0}, "has_id": [1, 2, 3]}])
def test_condition_forms_resolved_as_qdrant(sliced, condition):
    body = {"filter": {"must": [condition]}}
    ours, ref = (requests.post(f"{u}/collections/sl/points/count", json=body) for u in sliced.values())
    assert ours.status_code == ref.status_code
    if ref.status_code == 200:
        assert ours.json()["result"] == ref.json()["result"]
    else:
        assert error_of(ours).split(" at line ")[0] == error_of(ref).split(" at line ")[0]


def test_slice_over_grpc(sliced, server):
    client = QdrantClient(url=server.url, grpc_port=server.grpc_port, prefer_grpc=True)
    flt = models.Filter(must=[models.SliceCondition(slice=models.Slice(total=3, index=2))])
    points, _ = client.scroll("sl", scroll_filter=flt, limit=100)
    assert sorted(str(p.id) for p in points) == scroll_ids(sliced["ref"], {"must": [{"slice": {"total": 3, "index": 2}}]})


@pytest.fixture
def fresh():
    d = tempfile.mkdtemp(prefix="vectorizer-e2e-")
    s = Server(d).start()
    yield s
    s.stop()
    shutil.rmtree(d, ignore_errors=True)


def test_quotas_read_set_and_validated_as_qdrant(fresh, reference):
    for url in (fresh.url, reference.url):
        r = requests.get(url + "/quotas")
        assert r.status_code == 200
        result = r.json()["result"]
        assert result["config"] == {"enabled": False}
        assert set(result["usage"]) == {"resident_memory_percent", "disk_usage_percent"}
        assert 0 <= result["usage"]["disk_usage_percent"] <= 100
    for body in ({"enabled": True, "max_resident_memory_percent": 0}, {"max_disk_usage_percent": 101},
                 {"enabled": "x"}, {"max_disk_usage_percent": 300}):
        ours, ref = (requests.put(u + "/quotas", json=body) for u in (fresh.url, reference.url))
        assert (ours.status_code, error_of(ours)) == (ref.status_code, error_of(ref)), body
    requests.put(reference.url + "/quotas", json={})


def test_full_disk_quota_refuses_writes_until_lifted(fresh, reference):
    for url in (fresh.url, reference.url):
        requests.delete(url + "/collections/q")
        assert requests.put(url + "/collections/q", json={"vectors": {"size": 2, "distance": "Dot"}}).status_code == 200
        assert requests.put(url + "/collections/q/points?wait=true",
                            json={"points": [{"id": 1, "vector": [1, 2]}, {"id": 2, "vector": [2, 1]}]}).status_code == 200
        # no filesystem is less than 1% full
        r = requests.put(url + "/quotas", json={"enabled": True, "max_disk_usage_percent": 1})
        assert r.status_code == 200 and r.json()["result"] is True
        assert requests.get(url + "/quotas").json()["result"]["config"] == {"enabled": True, "max_disk_usage_percent": 1}
    try:
        writes = [("PUT", "/points?wait=true", {"points": [{"id": 3, "vector": [1, 2]}]}),
                  ("POST", "/points/payload?wait=true", {"payload": {"a": 1}, "points": [1]}),
                  ("PUT", "/index?wait=true", {"field_name": "a", "field_schema": "keyword"})]
        for method, path, body in writes:
            ours, ref = (requests.request(method, u + "/collections/q" + path, json=body)
                         for u in (fresh.url, reference.url))
            assert ours.status_code == ref.status_code == 507, path
            assert error_of(ours).split(" is at ")[0] == error_of(ref).split(" is at ")[0]
            assert error_of(ours).split("%", 1)[1] == error_of(ref).split("%", 1)[1]
        # reads and deletions go on
        for u in (fresh.url, reference.url):
            assert requests.post(u + "/collections/q/points/query", json={"query": [1, 2]}).status_code == 200
            assert requests.post(u + "/collections/q/points/delete?wait=true", json={"points": [2]}).status_code == 200
        # over gRPC: RESOURCE_EXHAUSTED
        client = QdrantClient(url=fresh.url, grpc_port=fresh.grpc_port, prefer_grpc=True)
        with pytest.raises(grpc.RpcError) as e:
            client.upsert("q", [models.PointStruct(id=9, vector=[1.0, 1.0])])
        assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        telemetry = requests.get(fresh.url + "/telemetry").json()["result"]["quota"]
        assert telemetry == {"config": {"enabled": True, "max_disk_usage_percent": 1},
                             "exceeded": {"resident_memory": None, "disk_usage": True}}
        # the quota survives a restart
        fresh.stop()
        fresh.start()
        r = requests.put(fresh.url + "/collections/q/points?wait=true", json={"points": [{"id": 3, "vector": [1, 2]}]})
        assert r.status_code == 507
    finally:
        for u in (fresh.url, reference.url):
            assert requests.put(u + "/quotas", json={"enabled": False}).status_code == 200
    r = requests.put(fresh.url + "/collections/q/points?wait=true", json={"points": [{"id": 3, "vector": [1, 2]}]})
    assert r.status_code == 200
    requests.delete(reference.url + "/collections/q")


@pytest.fixture(scope="module")
def idf_collection(api, reference):
    import random
    rng = random.Random(5)
    points = []
    for i in range(60):
        idx = sorted(rng.sample(range(20), 4))
        points.append({"id": i, "vector": {"sp": {"indices": idx, "values": [round(rng.random(), 3) for _ in idx]}},
                       "payload": {"g": i % 3}})
    for url in (api.base, reference.url):
        requests.delete(f"{url}/collections/idf")
        assert requests.put(f"{url}/collections/idf", json={"sparse_vectors": {"sp": {"modifier": "idf"}}}).status_code == 200
        assert requests.put(f"{url}/collections/idf/points?wait=true", json={"points": points}).status_code == 200
    yield {"ours": api.base, "ref": reference.url}
    for url in (api.base, reference.url):
        requests.delete(f"{url}/collections/idf")


def scored(url, body):
    r = requests.post(f"{url}/collections/idf/points/query", json=body)
    assert r.status_code == 200, r.text
    return [(p["id"], round(p["score"], 4)) for p in r.json()["result"]["points"]]


@pytest.mark.parametrize("idf", ["global", {"corpus": {"must": [{"key": "g", "match": {"value": 1}}]}},
                                 {"corpus": {"must": [{"key": "g", "match": {"value": 9}}]}},
                                 {"corpus": {"should": [{"key": "g", "match": {"value": 0}}, {"has_id": [1, 2, 3]}]}}])
def test_idf_corpus_scores_as_qdrant(idf_collection, idf):
    query = {"indices": [1, 3, 5, 7], "values": [0.5, 0.4, 0.3, 0.2]}
    for body in ({"query": query, "using": "sp", "limit": 6, "params": {"idf": idf}},
                 {"query": {"recommend": {"positive": [1, 2]}}, "using": "sp", "limit": 4, "params": {"idf": idf}}):
        assert scored(idf_collection["ours"], body) == scored(idf_collection["ref"], body)


def test_idf_corpus_over_grpc(idf_collection, server):
    client = QdrantClient(url=server.url, grpc_port=server.grpc_port, prefer_grpc=True)
    corpus = models.Filter(must=[models.FieldCondition(key="g", match=models.MatchValue(value=2))])
    hits = client.query_points("idf", query=models.SparseVector(indices=[1, 3, 5, 7], values=[0.5, 0.4, 0.3, 0.2]),
                               using="sp", limit=5, search_params=models.SearchParams(idf=models.IdfCorpusParams(corpus=corpus))).points
    want = scored(idf_collection["ref"], {"query": {"indices": [1, 3, 5, 7], "values": [0.5, 0.4, 0.3, 0.2]}, "using": "sp",
                                          "limit": 5, "params": {"idf": {"corpus": {"must": [{"key": "g", "match": {"value": 2}}]}}}})
    assert [(p.id, round(p.score, 4)) for p in hits] == want


def test_bad_idf_params_refused_as_qdrant(idf_collection):
    for idf in ("local", {"corpus": {"min_should": {"conditions": [], "min_count": 0}}}, 3, {"corpus": None},
                {"corpus": {"must": [{"foo": 1}]}}):
        body = {"query": {"indices": [1], "values": [1.0]}, "using": "sp", "params": {"idf": idf}}
        ours, ref = (requests.post(f"{u}/collections/idf/points/query", json=body) for u in idf_collection.values())
        assert ours.status_code == ref.status_code, idf
        assert error_of(ours).split(" at line ")[0] == error_of(ref).split(" at line ")[0]
