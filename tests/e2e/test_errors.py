"""Bad input on every point endpoint: Qdrant's status codes and texts."""

import pytest
import requests

from conftest import Server, error_of


@pytest.fixture
def coll(api, collection_name):
    r = api.put(f"/collections/{collection_name}", {"vectors": {"size": 4, "distance": "Dot"}, "sparse_vectors": {"s": {}}})
    assert r.status_code == 200
    api.put(f"/collections/{collection_name}/points?wait=true", {"points": [{"id": 1, "vector": [1, 2, 3, 4], "payload": {"a": 1}}]})
    return f"/collections/{collection_name}"


UNPARSABLE = [
    ("PUT", "/points", {"points": [{"id": 1}]}),
    ("PUT", "/points", {"points": [{"id": -1, "vector": [1, 2, 3, 4]}]}),
    ("PUT", "/points", {"points": [{"id": "not-a-uuid", "vector": [1, 2, 3, 4]}]}),
    ("PUT", "/points", {"points": [{"id": 1, "vector": "abc"}]}),
    ("PUT", "/points", {"nothing": []}),
    ("POST", "/points", {"ids": "x"}),
    ("POST", "/points", {}),
    ("POST", "/points/delete", {"points": [1.5]}),
    ("POST", "/points/batch", {"operations": [{"explode": {}}]}),
    ("PUT", "/points/vectors", {"points": [{"id": 1}]}),
    ("POST", "/points/vectors/delete", {"points": [1]}),
    ("POST", "/points/payload", {"points": [1]}),
    ("PUT", "/points/payload", {"payload": "x", "points": [1]}),
    ("POST", "/points/payload/delete", {"points": [1]}),
    ("POST", "/points/payload/clear", {"points": "all"}),
    ("POST", "/points/scroll", {"limit": "ten"}),
    ("POST", "/points/scroll", {"filter": {"must": [{"key": "a", "match": {"value": [1, 2]}}]}}),
    ("POST", "/points/scroll", {"filter": {"must": [{"unknown_condition": 1}]}}),
    ("POST", "/points/count", {"filter": {"must": [{"key": "a", "range": {"gte": "yesterday"}}]}}),
    ("POST", "/points/count", {"exact": "yes"}),
]


@pytest.mark.parametrize("method,suffix,body", UNPARSABLE)
def test_unparsable_bodies_are_400(api, coll, method, suffix, body):
    r = api.call(method, coll + suffix, body)
    assert r.status_code == 400, r.text
    assert error_of(r).startswith("Format error in JSON body: "), error_of(r)


@pytest.mark.parametrize(
    "method,suffix",
    [("PUT", "/points"), ("POST", "/points"), ("POST", "/points/delete"), ("POST", "/points/batch"), ("POST", "/points/scroll"), ("POST", "/points/count"), ("POST", "/points/payload")],
)
def test_malformed_json_is_400(api, coll, method, suffix):
    r = api.call(method, coll + suffix, raw='{"points": [')
    assert r.status_code == 400
    assert error_of(r).startswith("Format error in JSON body: EOF while parsing")


WRONG_INPUT = [
    ("PUT", "/points", {"points": [{"id": 1, "vector": [1, 2]}]}, "Wrong input: Vector dimension error: expected dim: 4, got 2"),
    ("PUT", "/points", {"points": [{"id": 1, "vector": {"x": [1, 2, 3, 4]}}]}, "Wrong input: Not existing vector name error: x"),
    ("PUT", "/points", {"batch": {"ids": [1], "vectors": [[1, 2, 3]]}}, "Wrong input: Vector dimension error: expected dim: 4, got 3"),
    ("PUT", "/points", {"points": [{"id": 1, "vector": {"s": {"indices": [1, 1], "values": [1, 2]}}}]}, "Wrong input: indices must be unique"),
    ("PUT", "/points/vectors", {"points": [{"id": 1, "vector": [1]}]}, "Wrong input: Vector dimension error: expected dim: 4, got 1"),
    ("POST", "/points/vectors/delete", {"points": [1], "vector": ["nope"]}, "Wrong input: Not existing vector name error: nope"),
    ("POST", "/points/payload", {"payload": {"a": 1}}, "Format error in JSON body: Either list of point ids or filter must be provided"),
    ("POST", "/points/payload", {"payload": {"a": 1}, "points": [1], "key": "a..b"}, "Wrong input: Invalid payload key path: `a..b`"),
    ("POST", "/points", {"ids": [1], "with_vector": ["zz"]}, "Wrong input: Not existing vector name error: zz"),
]


# refused as the reference Qdrant 1.19 server refuses them (status, text)
AS_QDRANT = [
    ("PUT", "/points", {"points": [{"id": 1, "vector": {"s": {"indices": [1], "values": [1, 2]}}}]}, 422,
     "Validation error in JSON body: [points[0].vector.?.values: Validation error: must be the same length as indices [{}]]"),
    ("PUT", "/points", {"points": []}, 400, "Bad request: Empty update request"),
    ("POST", "/points/delete", {"points": []}, 400, "Bad request: Empty update request"),
    ("PUT", "/points/vectors", {"points": []}, 422, "Validation error in JSON body: [points: must specify points to update]"),
    ("POST", "/points/query", {"query": {"indices": [1, 2], "values": [1]}, "using": "s"}, 422,
     "Validation error in JSON body: [internal.query.values: Validation error: must be the same length as indices [{}]]"),
    ("POST", "/points/query", {"query": [1, 2, 3, 4], "limit": 0}, 422,
     "Validation error in JSON body: [internal.limit: value 0 invalid, must be 1 or larger]"),
    ("POST", "/points/query", {"prefetch": [{"query": [1, 2, 3, 4], "limit": 0}], "query": [1, 2, 3, 4]}, 422,
     "Validation error in JSON body: [internal.prefetch[0].limit: value 0 invalid, must be 1 or larger]"),
    ("POST", "/points/query/batch", {"searches": [{"query": [1, 2, 3, 4], "limit": 0}]}, 422,
     "Validation error in JSON body: [searches[0].internal.limit: value 0 invalid, must be 1 or larger]"),
    ("POST", "/points/search", {"vector": [1, 2, 3, 4], "limit": 0}, 422,
     "Validation error in JSON body: [search_request.limit: value 0 invalid, must be 1 or larger]"),
    ("POST", "/points/search/batch", {"searches": [{"vector": [1, 2, 3, 4], "limit": 0}]}, 422,
     "Validation error in JSON body: [searches[0].search_request.limit: value 0 invalid, must be 1 or larger]"),
    ("POST", "/points/recommend", {"positive": [1], "limit": 0}, 422,
     "Validation error in JSON body: [recommend_request.limit: value 0 invalid, must be 1 or larger]"),
    ("POST", "/points/scroll", {"limit": 0}, 422,
     "Validation error in JSON body: [scroll_request.limit: value 0 invalid, must be 1 or larger]"),
    ("POST", "/facet", {"key": "a", "limit": 0}, 422,
     "Validation error in JSON body: [facet_request.limit: value 0 invalid, must be 1 or larger]"),
    ("POST", "/points/query/groups", {"query": [1, 2, 3, 4], "group_by": "a", "group_size": 0}, 422,
     "Validation error in JSON body: [search_group_request.group_request.group_size: value 0 invalid, must be 1 or larger]"),
    ("POST", "/points/query", {"query": {"nearest": [1, 2, 3, 4], "mmr": {"diversity": 2}}}, 422,
     "Validation error in JSON body: [internal.query.mmr.diversity: value 2.0 invalid, must be from 0.0 to 1.0]"),
    ("POST", "/points/query", {"query": {"recommend": {"positive": []}}}, 422,
     "Validation error in JSON body: [internal.query.recommend.positives, negatives: Validation error: At least one positive or negative vector/id must be provided [{}]]"),
    ("POST", "/points/query", {"query": {"recommend": {"positive": [], "negative": [1]}}}, 400,
     "Wrong input: Positive vectors should not be empty with `average` strategy"),
    ("POST", "/points/recommend", {"positive": [], "limit": 3}, 400,
     "Bad request: At least one positive vector ID required with this strategy"),
    ("POST", "/points/recommend", {"positive": [], "negative": [], "limit": 3, "strategy": "best_score"}, 400,
     "Bad request: At least one positive or negative vector ID required with this strategy"),
    ("POST", "/points/query", {"prefetch": [{"query": [1, 2, 3, 4]}], "query": {"fusion": "rrf"}, "using": "x"}, 400,
     "Bad request: Fusion queries cannot be combined with the 'using' field."),
    ("POST", "/points/query", {"query": [1, 2, 3, 4], "lookup_from": {"collection": "nope"}}, 404,
     "Not found: Collection nope not found"),
    ("POST", "/points/count", {"filter": {"must": [{"key": "a"}]}}, 422,
     "Validation error in JSON body: [count_request.filter.must[0].__all__: Validation error: At least one field condition must be specified [{}]]"),
    ("POST", "/points/query", {"query": [1, 2, 3, 4], "filter": {"should": [{"key": "a", "match": {"value": 1}}, {"key": "b"}]}}, 422,
     "Validation error in JSON body: [internal.filter.should[1].__all__: Validation error: At least one field condition must be specified [{}]]"),
    ("PUT", "/index", {"field_name": "t", "field_schema": {"type": "integer", "lookup": False, "range": False}}, 422,
     "Validation error in JSON body: [field_schema.lookup: Validation error: the 'lookup' and 'range' capabilities can't be both disabled [{}]]"),
    ("POST", "/points/delete", {"points": [-1]}, 400,
     "Format error in JSON body: data did not match any variant of untagged enum PointsSelector"),
    ("POST", "/points/delete", {"filter": {"must": 3}}, 400,
     "Format error in JSON body: data did not match any variant of untagged enum PointsSelector"),
    ("POST", "/points/payload/clear", {}, 400,
     "Format error in JSON body: data did not match any variant of untagged enum PointsSelector"),
    ("POST", "/points/count", {"filter": {"must": [{"has_id": ["zz"]}]}}, 400,
     'Format error in JSON body: Expected some form of condition, which can be a field condition (like {"key": ..., '
     '"match": ... }), or some other mentioned in the documentation: '
     "https://qdrant.tech/documentation/concepts/filtering/#filtering-conditions at line 1 column 42"),
    ("POST", "/points/count", {"filter": {"must": [{"slice": {"total": 2, "index": 2}}]}}, 422,
     "Validation error in JSON body: [count_request.filter.must[0].__all__: Validation error: Slice index must be less "
     "than the total number of slices [{}]]"),
    ("POST", "/points/search", {"vector": [1, 2, 3, 4], "limit": -1, "with_payload": True}, 400,
     "Format error in JSON body: invalid value: integer `-1`, expected usize at line 1 column 59"),
]


@pytest.mark.parametrize("method,suffix,body,status,message", AS_QDRANT)
def test_refused_as_qdrant_refuses(api, coll, method, suffix, body, status, message):
    r = api.call(method, coll + suffix, body)
    assert (r.status_code, error_of(r)) == (status, message)
    p = api.get(coll + "/points/1").json()["result"]
    assert p == {"id": 1, "payload": {"a": 1}, "vector": [1.0, 2.0, 3.0, 4.0]}


def test_collection_config_ranges_as_qdrant(api):
    cases = [
        ("x" * 256, {"vectors": {"size": 4, "distance": "Dot"}},
         "Validation error in path parameters: [collection_name: value \"" + "x" * 256 + "\" invalid, must be from 1 to 255 characters]"),
        ("big", {"vectors": {"size": 70000, "distance": "Dot"}},
         "Validation error in JSON body: [vectors.size: value 70000 invalid, must be from 1 to 65536]"),
        ("opt", {"vectors": {"size": 4, "distance": "Dot"}, "optimizers_config": {"deleted_threshold": 2}},
         "Validation error in JSON body: [optimizers_config.deleted_threshold: value 2.0 invalid, must be from 0.0 to 1.0]"),
        ("qq", {"vectors": {"size": 4, "distance": "Dot"}, "quantization_config": {"scalar": {"type": "int8", "quantile": 0.1}}},
         "Validation error in JSON body: [quantization_config.scalar.quantile: value 0.10000000149011612 invalid, must be from 0.5 to 1.0]"),
    ]
    for name, body, message in cases:
        r = api.put(f"/collections/{name}", body)
        assert (r.status_code, error_of(r)) == (422, message)
    r = api.put("/collections/clash", {"vectors": {"a": {"size": 4, "distance": "Dot"}}, "sparse_vectors": {"a": {}}})
    assert (r.status_code, error_of(r)) == (400, "Wrong input: Dense and sparse vector names must be unique - duplicate found with 'a'")


@pytest.mark.parametrize("method,suffix,body,message", WRONG_INPUT)
def test_wrong_input_is_400_and_changes_nothing(api, coll, method, suffix, body, message):
    r = api.call(method, coll + suffix, body)
    assert r.status_code == 400, r.text
    assert error_of(r) == message
    p = api.get(coll + "/points/1").json()["result"]
    assert p == {"id": 1, "payload": {"a": 1}, "vector": [1.0, 2.0, 3.0, 4.0]}


def test_validation_errors_are_422(api, coll):
    r = api.put(coll + "/points", {"batch": {"ids": [1, 2], "vectors": [[1, 2, 3, 4]]}})
    assert r.status_code == 422
    assert error_of(r) == "Validation error in JSON body: [batch: number of ids and vectors must be equal (2 != 1)]"
    r = api.post(coll + "/points/scroll", {"limit": 0})
    assert r.status_code == 422
    r = api.post(coll + "/points/scroll", {"filter": {"min_should": {"conditions": [], "min_count": 0}}})
    assert r.status_code == 422


def test_not_found(api, coll):
    for method, suffix, body in [
        ("PUT", "/points", {"points": [{"id": 1, "vector": [1, 2, 3, 4]}]}),
        ("POST", "/points", {"ids": [1]}),
        ("POST", "/points/scroll", {}),
        ("POST", "/points/count", {}),
        ("POST", "/points/delete", {"points": [1]}),
    ]:
        r = api.call(method, "/collections/missing_collection" + suffix, body)
        assert r.status_code == 404
        assert error_of(r) == "Not found: Collection `missing_collection` doesn't exist!"
    r = api.get(coll + "/points/999")
    assert r.status_code == 404
    assert error_of(r) == "Not found: Point with id 999 does not exists!"
    r = api.post(coll + "/points/payload?wait=true", {"payload": {"a": 2}, "points": [1, 777]})
    assert r.status_code == 404
    assert error_of(r) == "Not found: No point with id 777 found"
    assert api.get(coll + "/points/1").json()["result"]["payload"] == {"a": 1}
    r = api.get(coll + "/points/not-an-id")
    assert r.status_code == 400


def test_bad_query_parameters(api, coll):
    r = api.put(coll + "/points?wait=maybe", {"points": [{"id": 2, "vector": [1, 2, 3, 4]}]})
    assert r.status_code == 400
    assert error_of(r).startswith("Query deserialize error: ")
    r = api.put(coll + "/points?ordering=chaotic", {"points": [{"id": 2, "vector": [1, 2, 3, 4]}]})
    assert r.status_code == 400


def test_order_by_without_index(api, coll):
    r = api.post(coll + "/points/scroll", {"order_by": "a"})
    assert r.status_code == 400
    assert error_of(r).startswith("Wrong input: No range index for `order_by` key: `a`.")


def test_oversized_body_is_413(tmpdir_path):
    s = Server(tmpdir_path, {"QDRANT__SERVICE__MAX_REQUEST_SIZE_MB": "1"}).start()
    try:
        requests.put(s.url + "/collections/big", json={"vectors": {"size": 4, "distance": "Dot"}})
        points = [{"id": i, "vector": [0.123456789] * 4, "payload": {"pad": "x" * 100}} for i in range(20000)]
        r = requests.put(s.url + "/collections/big/points", json={"points": points})
        assert r.status_code == 413
        assert "is larger than allowed (limit: 1048576 bytes)" in r.json()["status"]["error"]
        assert requests.post(s.url + "/collections/big/points/count", json={}).json()["result"]["count"] == 0
    finally:
        s.stop()


MISSING = "/collections/missing_collection"


@pytest.mark.parametrize(
    "method,path,body",
    [
        ("GET", MISSING, None),
        ("PATCH", MISSING, {"optimizers_config": {"indexing_threshold": 1}}),
        ("GET", MISSING + "/aliases", None),
        ("GET", MISSING + "/optimizations", None),
        ("PUT", MISSING + "/vectors/v", {"dense": {"size": 2, "distance": "Dot"}}),
        ("DELETE", MISSING + "/vectors/v", None),
        ("PUT", MISSING + "/points", {"points": [{"id": 1, "vector": [1, 2]}]}),
        ("POST", MISSING + "/points", {"ids": [1]}),
        ("GET", MISSING + "/points/1", None),
        ("POST", MISSING + "/points/delete", {"points": [1]}),
        ("POST", MISSING + "/points/batch", {"operations": []}),
        ("PUT", MISSING + "/points/vectors", {"points": [{"id": 1, "vector": [1, 2]}]}),
        ("POST", MISSING + "/points/vectors/delete", {"points": [1], "vector": [""]}),
        ("POST", MISSING + "/points/payload", {"payload": {}, "points": [1]}),
        ("PUT", MISSING + "/points/payload", {"payload": {}, "points": [1]}),
        ("POST", MISSING + "/points/payload/delete", {"keys": ["a"], "points": [1]}),
        ("POST", MISSING + "/points/payload/clear", {"points": [1]}),
        ("POST", MISSING + "/points/scroll", {}),
        ("POST", MISSING + "/points/count", {}),
    ],
)
def test_every_endpoint_reports_a_missing_collection(api, method, path, body):
    r = api.call(method, path, body)
    assert r.status_code == 404, r.text
    assert error_of(r) == "Not found: Collection `missing_collection` doesn't exist!"


def test_alias_bad_input(api, coll):
    name = coll.rsplit("/", 1)[1]
    r = api.post("/collections/aliases", {"actions": [{"make_alias": {"alias_name": "a"}}]})
    assert r.status_code == 400
    # Qdrant's untagged alias operations: one text for every malformed action
    r = api.post("/collections/aliases", {"actions": [{"create_alias": {"collection_name": name}}]})
    assert r.status_code == 400
    assert error_of(r).startswith("Format error in JSON body: data did not match any variant of untagged enum AliasOperations")
    r = api.post("/collections/aliases", {"actions": [{"create_alias": {"collection_name": name, "alias_name": name}}]})
    assert r.status_code == 409
    r = api.post("/collections/aliases", {"actions": [{"rename_alias": {"old_alias_name": "no_such_alias", "new_alias_name": "b"}}]})
    assert r.status_code == 404
    assert error_of(r) == "Not found: Alias no_such_alias does not exists!"
    r = api.post("/collections/aliases", {"actions": [{"delete_alias": {"alias_name": "no_such_alias"}}]})
    assert r.status_code == 200


def test_named_vector_bad_input(api, coll):
    r = api.put(coll + "/vectors/v", {"dense": {"size": 0, "distance": "Dot"}})
    assert r.status_code == 422
    r = api.put(coll + "/vectors/v", {"dense": {"size": 2}})
    assert r.status_code == 400
    assert "distance" in error_of(r)
    r = api.put(coll + "/vectors/v", {"bogus": {}})
    assert r.status_code == 400
    r = api.put(coll + "/vectors/s", {"sparse": {}})
    assert r.status_code == 400, "s exists already"


def test_patch_bad_input(api, coll):
    r = api.patch(coll, {"optimizers_config": {"deleted_threshold": 2.0}})
    assert r.status_code == 422
    r = api.patch(coll, {"hnsw_config": {"m": "many"}})
    assert r.status_code == 400
    # a NonZeroU32 in Qdrant: 0 is a format error (as the reference answers)
    r = api.patch(coll, {"params": {"replication_factor": 0}})
    assert r.status_code == 400
    assert "invalid value: integer `0`, expected a nonzero u32" in error_of(r)
