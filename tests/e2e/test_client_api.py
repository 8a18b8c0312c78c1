"""Broader use of the official client, as applications use it."""

import numpy as np
from qdrant_client import QdrantClient, models


def test_client_info_and_version(client):
    info = client.info()
    assert info.title == "qdrant - vector search engine"
    assert info.version.startswith("1.20")


def test_upload_points_and_collection(client, collection_name):
    client.create_collection(collection_name, vectors_config=models.VectorParams(size=8, distance=models.Distance.EUCLID))
    rng = np.random.default_rng(0)
    vectors = rng.random((300, 8), dtype=np.float32)
    client.upload_collection(collection_name, vectors=vectors, payload=[{"i": i} for i in range(300)], ids=range(300), batch_size=64, wait=True)
    assert client.count(collection_name).count == 300
    client.upload_points(
        collection_name,
        [models.PointStruct(id=1000 + i, vector=vectors[i].tolist(), payload={"j": i}) for i in range(50)],
        batch_size=16,
        wait=True,
    )
    assert client.count(collection_name).count == 350
    p = client.retrieve(collection_name, [7], with_vectors=True)[0]
    assert np.allclose(p.vector, vectors[7])  # Euclid vectors are stored as given
    assert p.payload == {"i": 7}


def test_recreate_and_sparse_only_collection(client, collection_name):
    client.create_collection(collection_name, vectors_config={}, sparse_vectors_config={"bm25": models.SparseVectorParams(modifier=models.Modifier.IDF)})
    info = client.get_collection(collection_name)
    assert info.config.params.vectors == {}
    client.upsert(collection_name, [models.PointStruct(id=1, vector={"bm25": models.SparseVector(indices=[5, 2], values=[0.5, 0.25])})])
    p = client.retrieve(collection_name, [1], with_vectors=True)[0]
    assert p.vector["bm25"].indices == [2, 5]
    assert p.vector["bm25"].values == [0.25, 0.5]
    client.delete_collection(collection_name)
    client.create_collection(collection_name, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
    assert client.count(collection_name).count == 0


def test_unnamed_multivector(client, collection_name):
    local = QdrantClient(":memory:")
    for c in (client, local):
        c.create_collection(
            collection_name,
            vectors_config=models.VectorParams(size=2, distance=models.Distance.COSINE, multivector_config=models.MultiVectorConfig(comparator=models.MultiVectorComparator.MAX_SIM)),
        )
        c.upsert(collection_name, [models.PointStruct(id=1, vector=[[3.0, 4.0], [1.0, 0.0]])])
    r = client.retrieve(collection_name, [1], with_vectors=True)[0].vector
    l = local.retrieve(collection_name, [1], with_vectors=True)[0].vector
    assert np.allclose(r, l)


def test_payload_with_nested_key_matches_local(client, collection_name):
    local = QdrantClient(":memory:")
    for c in (client, local):
        c.create_collection(collection_name, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
        c.upsert(collection_name, [models.PointStruct(id=1, vector=[1, 2], payload={"a": {"b": 1}, "arr": [{"x": 1, "y": 2}, {"x": 3}]})])
        c.set_payload(collection_name, {"c": 2}, points=[1], key="a")
        c.set_payload(collection_name, {"new": {"deep": 1}}, points=[1], key="fresh.level")
        c.delete_payload(collection_name, ["arr[].x"], points=[1])
    assert client.retrieve(collection_name, [1])[0].payload == local.retrieve(collection_name, [1])[0].payload


def test_with_payload_selectors_match_local(client, collection_name):
    local = QdrantClient(":memory:")
    payload = {"a": {"b": 1, "c": [1, 2]}, "d": [{"e": 1, "f": 2}, {"e": 3}], "g": "h"}
    for c in (client, local):
        c.create_collection(collection_name, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
        c.upsert(collection_name, [models.PointStruct(id=1, vector=[1, 2], payload=payload)])
    for selector in [True, False, ["a.b", "g"], ["d[].e"], models.PayloadSelectorInclude(include=["a"]), models.PayloadSelectorExclude(exclude=["a.c", "d"])]:
        r = client.retrieve(collection_name, [1], with_payload=selector)[0].payload
        l = local.retrieve(collection_name, [1], with_payload=selector)[0].payload
        # over gRPC an unselected payload reads as {} (the client's conversion)
        assert (r or None) == (l or None), selector
