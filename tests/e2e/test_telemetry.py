"""Telemetry, Prometheus metrics and issues: the same workload sent to
Vectorizer and to the reference Qdrant 1.19 server, their reports compared
by structure (keys per details level, metric families, types and labels,
issue ids and solutions)."""

import os
import tempfile
import shutil

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from qdrant_client import QdrantClient

from conftest import REFERENCE_RUN, Reference, Server, error_of

NAME = "tele"


def workload(url, grpc_port):
    """A collection with a dense and a sparse vector, points, an index, REST
    and gRPC queries, and one failing request of each transport."""
    requests.delete(f"{url}/collections/{NAME}")
    r = requests.put(f"{url}/collections/{NAME}", json={
        "vectors": {"size": 4, "distance": "Cosine"}, "sparse_vectors": {"sp": {}}})
    assert r.status_code == 200, r.text
    points = [{"id": i, "vector": {"": [1.0, i, 2.0, -i], "sp": {"indices": [i % 5], "values": [1.0]}},
               "payload": {"city": ["Berlin", "Paris"][i % 2], "n": i}} for i in range(20)]
    assert requests.put(f"{url}/collections/{NAME}/points?wait=true", json={"points": points}).status_code == 200
    assert requests.put(f"{url}/collections/{NAME}/index?wait=true",
                        json={"field_name": "city", "field_schema": "keyword"}).status_code == 200
    for _ in range(2):
        r = requests.post(f"{url}/collections/{NAME}/points/query", json={"query": [1, 2, 3, 4], "limit": 3})
        assert r.status_code == 200, r.text
    assert requests.post(f"{url}/collections/nope/points/query", json={"query": [1, 2, 3, 4]}).status_code == 404
    grpc = QdrantClient(url=url, grpc_port=grpc_port, prefer_grpc=True, timeout=30)
    grpc.query_points(NAME, query=[1.0, 2.0, 3.0, 4.0], limit=2)
    with pytest.raises(Exception):
        grpc.query_points("nope", query=[1.0, 2.0, 3.0, 4.0], limit=2)
    grpc.close()


@pytest.fixture(scope="module")
def both(reference):
    """A fresh Vectorizer and the reference, after the same workload."""
    d = tempfile.mkdtemp(prefix="vectorizer-e2e-")
    ours = Server(d).start()
    try:
        for s in (ours, reference):
            workload(s.url, s.grpc_port)
        yield {"ours": ours, "ref": reference}
    finally:
        ours.stop()
        shutil.rmtree(d, ignore_errors=True)
        requests.delete(f"{reference.url}/collections/{NAME}")


def telemetry(server, **params):
    r = requests.get(server.url + "/telemetry", params=params)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ok"
    return r.json()["result"]


def keys(v):
    return set(v) if isinstance(v, dict) else set()


@pytest.mark.parametrize("level", [0, 1, 2, 3, 4, 10])
def test_telemetry_has_qdrants_structure_per_level(both, level):
    ours, ref = (telemetry(both[k], details_level=level) for k in ("ours", "ref"))
    assert keys(ours) == keys(ref)
    for part in ("app", "collections", "cluster", "requests", "quota"):
        assert keys(ours[part]) == keys(ref[part]), part
    if level >= 1:
        for part in ("memory", "search_pool", "hardware"):
            assert keys(ours[part]) == keys(ref[part]), part
        # Qdrant reports cpu_cores_used from its second report on
        assert keys(ours["app"]["system"]) - {"cpu_cores_used"} == keys(ref["app"]["system"]) - {"cpu_cores_used"}
        assert keys(ours["app"]["features"]) == keys(ref["app"]["features"])
        # the reference is shared with other tests: its entry for this collection
        ours_c = ours["collections"]["collections"][0]
        ref_c = next(c for c in ref["collections"]["collections"]
                     if c.get("id", NAME) == NAME and c.get("params", c.get("config", {}).get("params")) ==
                     ours_c.get("params", ours_c.get("config", {}).get("params")))
        assert keys(ours_c) == keys(ref_c)
        assert ours_c.get("vectors") == ref_c.get("vectors")
        assert ours_c.get("id") == ref_c.get("id")
        if level >= 2:
            assert keys(ours_c["config"]) == keys(ref_c["config"])
            assert ours_c["config"]["params"] == ref_c["config"]["params"]
            assert [s["id"] for s in ours["collections"]["snapshots"]] == [NAME]
        if level >= 3:
            ours_s, ref_s = ours_c["shards"][0], ref_c["shards"][0]
            assert keys(ours_s) == keys(ref_s)
            assert keys(ours_s["local"]) == keys(ref_s["local"])
            for k in ("num_points", "num_vectors", "num_vectors_by_name"):
                assert ours_s["local"][k] == ref_s["local"][k], k
            if level >= 4:
                segments = ours_s["local"]["segments"]
                assert sum(s["info"]["num_points"] for s in segments) == 20
                assert keys(segments[0]["info"]) <= keys(ref_s["local"]["segments"][0]["info"])


def test_requests_are_counted_per_endpoint_and_status(both):
    for level, stat_keys in ((0, {"count", "avg_duration_micros"}),
                             (1, {"count", "avg_duration_micros", "min_duration_micros", "max_duration_micros",
                                  "total_duration_micros", "last_responded"})):
        ours, ref = (telemetry(both[k], details_level=level)["requests"] for k in ("ours", "ref"))
        for transport, endpoint, status, count in (
                ("rest", "POST /collections/{collection_name}/points/query", "200", 2),
                ("rest", "POST /collections/{collection_name}/points/query", "404", 1),
                ("rest", "PUT /collections/{collection_name}/index", "200", 1),
                ("grpc", "/qdrant.Points/Query", "0", 1),
                ("grpc", "/qdrant.Points/Query", "5", 1)):
            o, r = ours[transport]["responses"][endpoint][status], ref[transport]["responses"][endpoint][status]
            # the reference server is shared with other tests: it counted at least as many
            assert o["count"] == count <= r["count"], (transport, endpoint, status)
            assert set(o) == set(r) == stat_keys
    per = telemetry(both["ours"], per_collection="true")["requests"]["rest"]["per_collection_responses"]
    assert per[NAME]["POST /collections/{collection_name}/points/query"]["200"]["count"] == 2
    assert per["nope"]["POST /collections/{collection_name}/points/query"]["404"]["count"] == 1


def test_anonymized_names_are_qdrants_hashes(both):
    ours, ref = (telemetry(both[k], details_level=2, anonymize="true") for k in ("ours", "ref"))
    ours_id = ours["collections"]["collections"][0]["id"]
    assert ours_id != NAME
    ref_c = next(c for c in ref["collections"]["collections"] if c["id"] == ours_id)
    assert ours["collections"]["collections"][0]["config"]["params"] == ref_c["config"]["params"]
    assert keys(ours["app"]) == keys(ref["app"])


@pytest.mark.parametrize("query", ["details_level=abc", "details_level=-1", "anonymize=maybe", "timeout=0"])
def test_bad_report_parameters_as_qdrant(both, query):
    for path in ("/telemetry", "/metrics"):
        if path == "/metrics" and query.startswith("details"):
            continue
        ours, ref = (requests.get(f"{both[k].url}{path}?{query}") for k in ("ours", "ref"))
        assert (ours.status_code, error_of(ours)) == (ref.status_code, error_of(ref)), (path, query)


def families(server, **params):
    r = requests.get(server.url + "/metrics", params=params)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    return {f.name: f for f in text_string_to_metric_families(r.text)}


def test_metrics_have_qdrants_families_types_and_labels(both):
    ours, ref = families(both["ours"]), families(both["ref"])
    assert set(ours) == set(ref)
    for name, f in ref.items():
        assert ours[name].type == f.type, name
        assert ours[name].documentation == f.documentation, name
        assert {tuple(sorted(s.labels)) for s in ours[name].samples} == {tuple(sorted(s.labels)) for s in f.samples}, name
    by_labels = lambda fam, **want: [s.value for s in fam.samples if all(s.labels.get(k) == v for k, v in want.items())]
    assert by_labels(ours["app_info"], name="qdrant") == [1.0]
    assert by_labels(ours["collection_points"], id=NAME) == by_labels(ref["collection_points"], id=NAME) == [20.0]
    assert by_labels(ours["collection_vectors"], collection=NAME, vector="sp") == [20.0]
    query = {"method": "POST", "endpoint": "/collections/{collection_name}/points/query"}
    for status, count in (("200", 2.0), ("404", 1.0)):
        assert by_labels(ours["rest_responses"], status=status, **query) == [count]
    # histogram: buckets, sum and count of the successful queries
    hist = [s for s in ours["rest_responses_duration_seconds"].samples if s.labels.get("status") == "200"
            and s.labels.get("endpoint") == query["endpoint"]]
    assert [s.value for s in hist if s.name.endswith("_count")] == [2.0]
    assert [s.labels["le"] for s in hist if s.name.endswith("_bucket")][-1] == "+Inf"
    assert by_labels(ours["grpc_responses"], endpoint="/qdrant.Points/Query", status="0") == [1.0]


def test_metrics_per_collection_and_anonymized(both):
    ours, ref = families(both["ours"], per_collection="true"), families(both["ref"], per_collection="true")
    assert set(ours) == set(ref)
    rest = [s for s in ours["rest_responses"].samples if s.name == "rest_responses_total"]
    assert rest and all("collection" in s.labels for s in rest)
    assert {s.labels["collection"] for s in rest} >= {NAME}
    anon_ours, anon_ref = families(both["ours"], anonymize="true"), families(both["ref"], anonymize="true")
    label = lambda fams: sorted(s.labels["id"] for s in fams["collection_points"].samples)
    assert set(label(anon_ours)) <= set(label(anon_ref)) and NAME not in label(anon_ours)


@pytest.fixture(scope="module")
def slow():
    """Both servers with every search slow enough to report issues."""
    env = {"QDRANT__SERVICE__SLOW_QUERY_SECS": "0.000001"}
    d = tempfile.mkdtemp(prefix="vectorizer-e2e-")
    ours = Server(d, extra_env=env).start()
    if not os.path.exists(REFERENCE_RUN):
        ours.stop()
        pytest.skip("reference Qdrant server not available")
    ref = Reference(extra_env=env)
    try:
        yield {"ours": ours, "ref": ref}
    finally:
        ours.stop()
        ref.stop()
        shutil.rmtree(d, ignore_errors=True)


def issues(server):
    r = requests.get(server.url + "/issues")
    assert r.status_code == 200
    return r.json()["result"]["issues"]


def solution_schemas(issue):
    s = issue["solution"]
    choices = s["immediate_choice"] if "immediate_choice" in s else [s["immediate"]]
    return sorted(c["action"]["body"]["field_schema"] for c in choices)


def test_slow_filtered_searches_report_unindexed_fields(slow):
    filters = [{"must": [{"key": "color", "match": {"value": "red"}}]},
               {"must": [{"key": "num", "range": {"gte": 3}}]},
               {"must": [{"is_empty": {"key": "tags"}}]}]
    for s in slow.values():
        workload(s.url, s.grpc_port)
        for f in filters:
            r = requests.post(f"{s.url}/collections/{NAME}/points/query", json={"query": [1, 2, 3, 4], "filter": f})
            assert r.status_code == 200, r.text
        # an indexed field and a scroll report nothing
        requests.post(f"{s.url}/collections/{NAME}/points/query",
                      json={"query": [1, 2, 3, 4], "filter": {"must": [{"key": "city", "match": {"value": "x"}}]}})
        requests.post(f"{s.url}/collections/{NAME}/points/scroll",
                      json={"filter": {"must": [{"key": "other", "match": {"value": "x"}}]}})
    ours, ref = issues(slow["ours"]), issues(slow["ref"])
    assert sorted(i["id"] for i in ours) == sorted(i["id"] for i in ref) == [
        f"UNINDEXED_FIELD/{NAME}/color", f"UNINDEXED_FIELD/{NAME}/num", f"UNINDEXED_FIELD/{NAME}/tags"]
    by_id = {i["id"]: i for i in ref}
    for issue in ours:
        want = by_id[issue["id"]]
        assert issue["description"] == want["description"]
        assert issue["related_collection"] == want["related_collection"]
        assert solution_schemas(issue) == solution_schemas(want)
        assert list(issue) == list(want)
    for s in slow.values():
        assert requests.put(f"{s.url}/collections/{NAME}/index?wait=true",
                            json={"field_name": "color", "field_schema": "keyword"}).status_code == 200
    assert sorted(i["id"] for i in issues(slow["ours"])) == sorted(i["id"] for i in issues(slow["ref"]))
    assert f"UNINDEXED_FIELD/{NAME}/color" not in [i["id"] for i in issues(slow["ours"])]
    for s in slow.values():
        assert requests.delete(s.url + "/issues").json()["result"] is True
        assert issues(s) == []


def test_deleting_a_collection_drops_its_issues(slow):
    s = slow["ours"]
    workload(s.url, s.grpc_port)
    requests.post(f"{s.url}/collections/{NAME}/points/query",
                  json={"query": [1, 2, 3, 4], "filter": {"must": [{"key": "zzz", "match": {"value": 1}}]}})
    assert [i["id"] for i in issues(s)] == [f"UNINDEXED_FIELD/{NAME}/zzz"]
    assert issues(s)[0]["solution"]["immediate"]["action"]["body"] == {"field_name": "zzz", "field_schema": "integer"}
    requests.delete(f"{s.url}/collections/{NAME}")
    assert issues(s) == []
