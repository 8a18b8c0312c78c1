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


def test_vector_sizes_and_index_count_refused_as_qdrant(api, collection_name):
    path = f"/collections/{collection_name}"
    config = {"vectors": {"mv": {"size": 2, "distance": "Dot", "multivector_config": {"comparator": "max_sim"}}},
              "sparse_vectors": {"sp": {}},
              "strict_mode_config": {"enabled": True, "multivector_config": {"mv": {"max_vectors": 2}},
                                     "sparse_config": {"sp": {"max_length": 2}}, "max_payload_index_count": 1}}
    assert api.put(path, config).status_code == 200
    cases = [("PUT", "/points?wait=true", {"points": [{"id": 1, "vector": {"mv": [[1, 2], [3, 4], [5, 6]]}}]},
              "Bad request: Multivector 'mv' has a limit of 2 vectors, but 3 were provided!"),
             ("PUT", "/points?wait=true", {"points": [{"id": 1, "vector": {"sp": {"indices": [1, 2, 3], "values": [1, 1, 1]}}}]},
              "Bad request: Sparse vector 'sp' has a limit of 2 indices, but 3 were provided!"),
             ("PUT", "/points/vectors?wait=true", {"points": [{"id": 1, "vector": {"mv": [[1, 2], [3, 4], [5, 6]]}}]},
              "Bad request: Multivector 'mv' has a limit of 2 vectors, but 3 were provided!")]
    for method, suffix, body, message in cases:
        r = api.call(method, path + suffix, body)
        assert (r.status_code, error_of(r)) == (400, message), suffix
    # within the limits, and queries are not limited
    r = api.put(path + "/points?wait=true", {"points": [{"id": 1, "vector": {"mv": [[1.0, 2.0], [3.0, 4.0]]}}]})
    assert r.status_code == 200, r.text
    r = api.post(path + "/points/query", {"query": [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], "using": "mv"})
    assert r.status_code == 200, r.text
    assert api.put(path + "/index?wait=true", {"field_name": "a", "field_schema": "keyword"}).status_code == 200
    r = api.put(path + "/index?wait=true", {"field_name": "b", "field_schema": "keyword"})
    assert (r.status_code, error_of(r)) == (400, "Bad request: Collection already has the maximum number of payload "
                                                 "indices (1). Help: Please delete an existing index before creating a new one.")


def test_rate_limits_refuse_as_qdrant(api, collection_name):
    path = f"/collections/{collection_name}"
    config = {"vectors": {"size": 2, "distance": "Dot"},
              "strict_mode_config": {"enabled": True, "read_rate_limit": 2, "write_rate_limit": 2}}
    assert api.put(path, config).status_code == 200
    codes = [api.post(path + "/points/query", {"query": [1, 2]}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    r = api.post(path + "/points/scroll", {})
    assert (r.status_code, error_of(r)) == (429, "Rate limiting exceeded: Read rate limit exceeded: Operation requires "
                                                 "1 tokens but only 0.0 were available. Retry after 30s")
    r = api.post(path + "/points/query/batch", {"searches": [{"query": [1, 2]}] * 3})
    assert (r.status_code, error_of(r)) == (429, "Rate limiting exceeded: Read rate limit exceeded, request larger "
                                                 "than rate limiter capacity, please try to split your request")
    assert api.put(path + "/points?wait=true", {"points": [{"id": 0, "vector": [1, 2]}]}).status_code == 200
    assert api.put(path + "/points?wait=true", {"points": [{"id": 1, "vector": [1, 2]}]}).status_code == 200
    r = api.put(path + "/points?wait=true", {"points": [{"id": 2, "vector": [1, 2]}]})
    assert r.status_code == 429 and error_of(r).startswith("Rate limiting exceeded: Write rate limit exceeded")
    # a new limit starts a full bucket
    assert api.patch(path, {"strict_mode_config": {"read_rate_limit": 5}}).status_code == 200
    assert api.post(path + "/points/query", {"query": [1, 2]}).status_code == 200
