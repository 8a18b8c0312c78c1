"""Strict mode (`strict_mode_config`): each enforced limit refused with the
status and text the reference Qdrant 1.19 server answers."""

import pytest

from conftest import error_of

LIMITS = {"enabled": True, "max_query_limit": 5, "search_max_hnsw_ef": 32, "search_allow_exact": False,
          "upsert_max_batchsize": 2, "unindexed_filtering_retrieve": False, "unindexed_filtering_update": False,
          "search_max_oversampling": 2.0, "filter_max_conditions": 2, "condition_max_size": 3, "max_timeout": 3}
INDEX_HELP = "Help: Create an index for this key or use a different filter."

CASES = [
    ("POST", "/points/query?timeout=10", {"query": [1, 2, 3, 4], "limit": 3},
     'Bad request: Limit exceeded 10 > 3 for "timeout". Help: Reduce the "timeout" parameter to or below 3.'),
    ("PUT", "/points?wait=true", {"points": [{"id": i, "vector": [1, 2, 3, 4]} for i in range(3)]},
     'Bad request: Limit exceeded 3 > 2 for "upsert limit". Help: Reduce the "upsert limit" parameter to or below 2.'),
    ("POST", "/points/query", {"query": [1, 2, 3, 4], "limit": 6},
     'Bad request: Limit exceeded 6 > 5 for "limit". Help: Reduce the "limit" parameter to or below 5.'),
    ("POST", "/points/search", {"vector": [1, 2, 3, 4], "limit": 6},
     'Bad request: Limit exceeded 6 > 5 for "limit". Help: Reduce the "limit" parameter to or below 5.'),
    ("POST", "/points/scroll", {"limit": 6},
     'Bad request: Limit exceeded 6 > 5 for "limit". Help: Reduce the "limit" parameter to or below 5.'),
    ("POST", "/points/query", {"query": [1, 2, 3, 4], "limit": 3, "params": {"hnsw_ef": 64}},
     'Bad request: Limit exceeded 64 > 32 for "hnsw_ef". Help: Reduce the "hnsw_ef" parameter to or below 32.'),
    ("POST", "/points/query", {"query": [1, 2, 3, 4], "limit": 3, "params": {"exact": True}},
     "Bad request: Exact search disabled!. Help: Set exact=false."),
    ("POST", "/points/query", {"query": [1, 2, 3, 4], "limit": 3, "params": {"quantization": {"oversampling": 3.0}}},
     'Bad request: Limit exceeded 3 > 2 for "oversampling". Help: Reduce the "oversampling" parameter to or below 2.'),
    ("POST", "/points/query", {"query": [1, 2, 3, 4], "limit": 3, "filter": {"must": [
        {"key": "k", "match": {"value": v}} for v in "abc"]}},
     "Bad request: Filter condition limit reached (3 > 2). Help: Reduce the amount of conditions of your filter."),
    ("POST", "/points/query", {"query": [1, 2, 3, 4], "limit": 3, "filter": {"must": [{"key": "k", "match": {"any": list("abcd")}}]}},
     "Bad request: Condition size limit reached (4 > 3). Help: Reduce the size of your condition."),
    ("POST", "/points/query", {"query": [1, 2, 3, 4], "limit": 3, "filter": {"must": [{"key": "u", "match": {"value": 1}}]}},
     f'Bad request: Index required but not found for "u" of one of the following types: [integer]. {INDEX_HELP}'),
    ("POST", "/points/count", {"filter": {"must": [{"key": "u", "range": {"gt": 1}}]}},
     f'Bad request: Index required but not found for "u" of one of the following types: [float, integer]. {INDEX_HELP}'),
    ("POST", "/points/scroll", {"limit": 3, "filter": {"must": [{"nested": {"key": "n", "filter": {"must": [{"key": "y", "match": {"value": "x"}}]}}}]}},
     f'Bad request: Index required but not found for "n[].y" of one of the following types: [keyword]. {INDEX_HELP}'),
    ("POST", "/points/count", {"filter": {"must": [{"key": "k", "match": {"text": "a"}}]}},
     f'Bad request: Index required but not found for "k" of one of the following types: [text]. {INDEX_HELP}'),
    ("POST", "/points/delete?wait=true", {"filter": {"must": [{"key": "u", "match": {"value": 1}}]}},
     f'Bad request: Index required but not found for "u" of one of the following types: [integer]. {INDEX_HELP}'),
]


@pytest.fixture
def strict(api, collection_name):
    path = f"/collections/{collection_name}"
    assert api.put(path, {"vectors": {"size": 4, "distance": "Dot"}, "strict_mode_config": LIMITS}).status_code == 200
    assert api.put(path + "/index?wait=true", {"field_name": "k", "field_schema": "keyword"}).status_code == 200
    r = api.put(path + "/points?wait=true", {"points": [{"id": 1, "vector": [1, 2, 3, 4], "payload": {"k": "a", "u": 1}}]})
    assert r.status_code == 200, r.text
    return path


@pytest.mark.parametrize("method,suffix,body,message", CASES)
def test_strict_mode_refuses_as_qdrant(api, strict, method, suffix, body, message):
    r = api.call(method, strict + suffix, body)
    assert (r.status_code, error_of(r)) == (400, message)
    # nothing was written or deleted
    assert api.post(strict + "/points/count", {"exact": True}).json()["result"]["count"] == 1


def test_allowed_requests_and_disabling(api, strict):
    r = api.post(strict + "/points/query", {"query": [1, 2, 3, 4], "limit": 5, "filter": {"must": [{"key": "k", "match": {"value": "a"}}]}})
    assert r.status_code == 200 and [p["id"] for p in r.json()["result"]["points"]] == [1]
    assert api.patch(strict, {"strict_mode_config": {"enabled": False}}).status_code == 200
    r = api.post(strict + "/points/query", {"query": [1, 2, 3, 4], "limit": 6, "params": {"exact": True}})
    assert r.status_code == 200
