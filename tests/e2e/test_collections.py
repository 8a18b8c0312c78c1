"""Collections, aliases and named vectors through qdrant-client and raw HTTP."""

import pytest
from qdrant_client import models

from conftest import error_of, message_of, status_of


def test_create_get_list_delete(api, client, collection_name):
    assert not client.collection_exists(collection_name)
    client.create_collection(collection_name, vectors_config=models.VectorParams(size=4, distance=models.Distance.COSINE))
    info = client.get_collection(collection_name)
    assert info.status == models.CollectionStatus.GREEN
    assert info.points_count == 0
    assert info.config.params.vectors.size == 4
    assert info.config.params.vectors.distance == models.Distance.COSINE
    assert info.config.hnsw_config.m == 16
    assert info.config.optimizer_config.flush_interval_sec == 5
    assert info.config.wal_config.wal_capacity_mb == 32
    assert collection_name in [c.name for c in client.get_collections().collections]
    raw = api.get(f"/collections/{collection_name}").json()["result"]
    assert raw["config"]["params"] == {
        "vectors": {"size": 4, "distance": "Cosine"},
        "shard_number": 1,
        "replication_factor": 1,
        "write_consistency_factor": 1,
        "on_disk_payload": True,
    }
    assert raw["payload_schema"] == {}
    assert client.delete_collection(collection_name) is True
    assert client.delete_collection(collection_name) is False
    assert not client.collection_exists(collection_name)


def test_full_create_body_is_reported_back(api, client, collection_name):
    body = {
        "vectors": {
            "dense": {
                "size": 8,
                "distance": "Euclid",
                "on_disk": True,
                "datatype": "float16",
                "hnsw_config": {"m": 8, "ef_construct": 50},
                "quantization_config": {"scalar": {"type": "int8", "quantile": 0.99, "always_ram": True}},
            },
            "colbert": {"size": 2, "distance": "Manhattan", "multivector_config": {"comparator": "max_sim"}},
        },
        "sparse_vectors": {"text": {"modifier": "idf", "index": {"full_scan_threshold": 100, "on_disk": False}}},
        "shard_number": 2,
        "sharding_method": "auto",
        "replication_factor": 2,
        "write_consistency_factor": 1,
        "on_disk_payload": False,
        "hnsw_config": {"m": 32, "payload_m": 16, "on_disk": True},
        "optimizers_config": {"indexing_threshold": 20000, "max_segment_size": 100000, "deleted_threshold": 0.3},
        "wal_config": {"wal_capacity_mb": 64, "wal_segments_ahead": 1},
        "quantization_config": {"product": {"compression": "x16", "always_ram": False}},
        "strict_mode_config": {"enabled": True, "max_query_limit": 100},
        "metadata": {"owner": "tests", "n": 1},
    }
    r = api.put(f"/collections/{collection_name}", body)
    assert r.status_code == 200, r.text
    cfg = api.get(f"/collections/{collection_name}").json()["result"]["config"]
    assert cfg["params"]["vectors"] == body["vectors"]
    assert cfg["params"]["sparse_vectors"] == body["sparse_vectors"]
    assert cfg["params"]["shard_number"] == 2
    assert cfg["params"]["sharding_method"] == "auto"
    assert cfg["params"]["replication_factor"] == 2
    assert cfg["params"]["on_disk_payload"] is False
    assert cfg["hnsw_config"] == {"m": 32, "ef_construct": 100, "full_scan_threshold": 10000, "max_indexing_threads": 0, "on_disk": True, "payload_m": 16}
    assert cfg["optimizer_config"]["indexing_threshold"] == 20000
    assert cfg["optimizer_config"]["max_segment_size"] == 100000
    assert cfg["optimizer_config"]["deleted_threshold"] == 0.3
    assert cfg["wal_config"] == {"wal_capacity_mb": 64, "wal_segments_ahead": 1, "wal_retain_closed": 1}
    assert cfg["quantization_config"] == body["quantization_config"]
    assert cfg["strict_mode_config"] == {"enabled": True, "max_query_limit": 100}
    assert cfg["metadata"] == body["metadata"]
    # the official client parses it (several of its models forbid unknown fields)
    info = client.get_collection(collection_name)
    assert info.config.params.vectors["dense"].datatype == models.Datatype.FLOAT16
    assert info.config.params.sparse_vectors["text"].modifier == models.Modifier.IDF


def test_update_collection(api, client, collection_name):
    client.create_collection(
        collection_name,
        vectors_config={"a": models.VectorParams(size=2, distance=models.Distance.DOT)},
        sparse_vectors_config={"s": models.SparseVectorParams()},
    )
    assert client.update_collection(
        collection_name,
        optimizers_config=models.OptimizersConfigDiff(indexing_threshold=5000),
        hnsw_config=models.HnswConfigDiff(ef_construct=200),
        vectors_config={"a": models.VectorParamsDiff(on_disk=True, hnsw_config=models.HnswConfigDiff(m=4))},
        sparse_vectors_config={"s": models.SparseVectorParams(modifier=models.Modifier.IDF)},
        quantization_config=models.BinaryQuantization(binary=models.BinaryQuantizationConfig(always_ram=True)),
        strict_mode_config=models.StrictModeConfig(enabled=True, max_query_limit=10),
        metadata={"k": "v"},
    )
    info = client.get_collection(collection_name)
    assert info.config.optimizer_config.indexing_threshold == 5000
    assert info.config.hnsw_config.ef_construct == 200
    assert info.config.params.vectors["a"].on_disk is True
    assert info.config.params.vectors["a"].hnsw_config.m == 4
    assert info.config.params.sparse_vectors["s"].modifier == models.Modifier.IDF
    assert info.config.quantization_config.binary.always_ram is True
    assert info.config.strict_mode_config.max_query_limit == 10
    assert info.config.metadata == {"k": "v"}
    api.patch(f"/collections/{collection_name}", {"quantization_config": "Disabled", "metadata": {"k": None, "j": 1}})
    raw = api.get(f"/collections/{collection_name}").json()["result"]["config"]
    assert raw["quantization_config"] is None
    assert raw["metadata"] == {"j": 1}
    r = api.patch(f"/collections/{collection_name}", {"vectors": {"nope": {"on_disk": True}}})
    assert r.status_code == 400
    assert error_of(r) == "Wrong input: Not existing vector name error: nope"


def test_aliases(api, client, collection_name):
    client.create_collection(collection_name, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
    alias = collection_name + "_alias"
    assert client.update_collection_aliases(
        [models.CreateAliasOperation(create_alias=models.CreateAlias(collection_name=collection_name, alias_name=alias))]
    )
    assert (alias, collection_name) in [(a.alias_name, a.collection_name) for a in client.get_aliases().aliases]
    assert [a.alias_name for a in client.get_collection_aliases(collection_name).aliases] == [alias]
    # every collection endpoint accepts the alias
    client.upsert(alias, [models.PointStruct(id=1, vector=[1.0, 2.0])])
    assert client.count(collection_name).count == 1
    assert client.get_collection(alias).points_count == 1
    renamed = alias + "2"
    client.update_collection_aliases(
        [models.RenameAliasOperation(rename_alias=models.RenameAlias(old_alias_name=alias, new_alias_name=renamed))]
    )
    assert client.collection_exists(renamed) and not client.collection_exists(alias)
    # a failing batch changes nothing
    r = api.post(
        "/collections/aliases",
        {"actions": [{"delete_alias": {"alias_name": renamed}}, {"create_alias": {"collection_name": "missing_c", "alias_name": "x"}}]},
    )
    assert r.status_code == 404
    assert error_of(r) == "Not found: Collection `missing_c` doesn't exist!"
    assert client.collection_exists(renamed)
    client.update_collection_aliases([models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name=renamed))])
    assert not client.collection_exists(renamed)


def test_named_vector_create_and_delete(api, client, collection_name):
    client.create_collection(collection_name, vectors_config={"a": models.VectorParams(size=2, distance=models.Distance.DOT)})
    client.upsert(collection_name, [models.PointStruct(id=1, vector={"a": [1.0, 2.0]})])
    r = api.put(f"/collections/{collection_name}/vectors/b?wait=true", {"dense": {"size": 3, "distance": "Cosine"}})
    assert r.status_code == 200, r.text
    assert r.json()["result"]["status"] == "completed"
    r = api.put(f"/collections/{collection_name}/vectors/s", {"sparse": {"modifier": "idf"}})
    assert r.status_code == 200, r.text
    info = client.get_collection(collection_name)
    assert info.config.params.vectors["b"].size == 3
    assert info.config.params.sparse_vectors["s"].modifier == models.Modifier.IDF
    client.update_vectors(collection_name, [models.PointVectors(id=1, vector={"b": [1.0, 0.0, 0.0], "s": models.SparseVector(indices=[3], values=[1.0])})])
    p = client.retrieve(collection_name, [1], with_vectors=True)[0]
    assert set(p.vector) == {"a", "b", "s"}
    r = api.put(f"/collections/{collection_name}/vectors/a", {"dense": {"size": 3, "distance": "Cosine"}})
    assert r.status_code == 400
    r = api.delete(f"/collections/{collection_name}/vectors/b?wait=true")
    assert r.status_code == 200, r.text
    p = client.retrieve(collection_name, [1], with_vectors=True)[0]
    assert set(p.vector) == {"a", "s"}
    assert "b" not in client.get_collection(collection_name).config.params.vectors
    r = api.delete(f"/collections/{collection_name}/vectors/zzz")
    assert r.status_code == 400


def test_optimizations_endpoint(api, client, collection_name):
    client.create_collection(collection_name, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
    r = api.get(f"/collections/{collection_name}/optimizations")
    assert r.status_code == 200
    assert r.json()["result"]["running"] == []
    r = api.get(f"/collections/{collection_name}/optimizations?with=queued,completed")
    assert r.json()["result"]["queued"] == []
    assert api.get("/collections/nope_nope/optimizations").status_code == 404


@pytest.mark.parametrize(
    "body,status,message",
    [
        ({"vectors": {"size": 0, "distance": "Cosine"}}, 400, "Format error in JSON body: data did not match any variant of untagged enum VectorsConfig at line 1 column 46"),
        ({"vectors": {"size": 4, "distance": "Cosine"}, "hnsw_config": {"ef_construct": 1}}, 422, "Validation error in JSON body: [hnsw_config.ef_construct: value 1 invalid, must be 4 or larger]"),
        ({"vectors": {"size": 4, "distance": "Cosine"}, "strict_mode_config": {"max_query_limit": 0}}, 422, "Validation error in JSON body: [strict_mode_config.max_query_limit: value 0 invalid, must be 1 or larger]"),
        ({"vectors": {"size": 4, "distance": "Nope"}}, 400, "Format error in JSON body:"),
        ({"vectors": {"size": "four", "distance": "Cosine"}}, 400, "Format error in JSON body:"),
        ({"shard_number": 0, "vectors": {"size": 4, "distance": "Dot"}}, 422, "Validation error in JSON body: [shard_number: value 0 invalid, must be 1 or larger]"),
    ],
)
def test_create_validation(api, collection_name, body, status, message):
    r = api.put(f"/collections/{collection_name}", body)
    assert r.status_code == status, r.text
    assert error_of(r).startswith(message), error_of(r)
    assert api.get(f"/collections/{collection_name}/exists").json()["result"]["exists"] is False


def test_collection_errors(api, client, collection_name):
    r = api.put(f"/collections/{collection_name}", raw="{not json")
    assert r.status_code == 400
    assert error_of(r).startswith("Format error in JSON body: ")
    client.create_collection(collection_name, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
    r = api.put(f"/collections/{collection_name}", {"vectors": {"size": 2, "distance": "Dot"}})
    assert r.status_code == 409
    assert error_of(r) == f"Wrong input: Collection `{collection_name}` already exists!"
    r = api.get("/collections/does_not_exist")
    assert r.status_code == 404
    assert error_of(r) == "Not found: Collection `does_not_exist` doesn't exist!"
    assert api.delete("/collections/does_not_exist").json()["result"] is False
    r = api.patch("/collections/does_not_exist", {})
    assert r.status_code == 404
    with pytest.raises(Exception) as e:
        client.get_collection("does_not_exist")
    assert status_of(e.value) == 404
    assert message_of(e.value) == "Not found: Collection `does_not_exist` doesn't exist!"
    r = api.put("/collections/bad%2Fname", {"vectors": {"size": 2, "distance": "Dot"}})
    assert r.status_code in (404, 422)
