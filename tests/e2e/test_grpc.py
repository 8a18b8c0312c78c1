"""The gRPC transport on its own: writes on one transport read on the other,
raw rpcs with bad input (status codes and texts as REST's), compression,
health checks and every rpc of the four services answering."""

import grpc as grpcio
import pytest
from qdrant_client import QdrantClient, grpc, models

from conftest import message_of, status_of


@pytest.fixture(scope="module")
def rest(server):
    return QdrantClient(url=server.url, prefer_grpc=False, timeout=30)


@pytest.fixture(scope="module")
def over_grpc(server):
    return QdrantClient(url=server.url, grpc_port=server.grpc_port, prefer_grpc=True, timeout=30)


@pytest.fixture
def name(rest, request):
    n = "grpc_" + request.node.name[:40].replace("[", "_").replace("]", "_")
    rest.create_collection(n, vectors_config={"v": models.VectorParams(size=3, distance=models.Distance.DOT)})
    yield n
    rest.delete_collection(n)


def test_writes_cross_transports(rest, over_grpc, name):
    rest.upsert(name, [models.PointStruct(id=1, vector={"v": [1, 0, 0]}, payload={"a": 1, "big": 2**40, "f": 1.5, "l": [1, "x", None]})], wait=True)
    over_grpc.upsert(name, [models.PointStruct(id="00000000-0000-0000-0000-000000000002", vector={"v": [0, 1, 0]}, payload={"a": 2, "o": {"k": [True]}})], wait=True)
    for c in (rest, over_grpc):
        points = {str(p.id): p for p in c.retrieve(name, [1, "00000000-0000-0000-0000-000000000002"], with_vectors=True)}
        assert points["1"].payload == {"a": 1, "big": 2**40, "f": 1.5, "l": [1, "x", None]}
        assert points["00000000-0000-0000-0000-000000000002"].payload == {"a": 2, "o": {"k": [True]}}
        assert points["1"].vector["v"] == [1, 0, 0]
    over_grpc.set_payload(name, {"b": "x"}, points=[1], wait=True)
    assert rest.retrieve(name, [1])[0].payload["b"] == "x"
    rest.delete(name, models.PointIdsList(points=[1]), wait=True)
    assert over_grpc.count(name).count == 1
    flt = models.Filter(must=[models.FieldCondition(key="a", match=models.MatchValue(value=2))])
    r = over_grpc.query_points(name, query=[0, 1, 0], using="v", query_filter=flt, with_payload=True).points
    assert [p.payload["a"] for p in r] == [2]
    assert r == rest.query_points(name, query=[0, 1, 0], using="v", query_filter=flt, with_payload=True).points


def test_collection_config_round_trips(rest, over_grpc):
    n = "grpc_config_round_trip"
    over_grpc.create_collection(
        n,
        vectors_config={"d": models.VectorParams(size=4, distance=models.Distance.EUCLID, datatype=models.Datatype.FLOAT16,
                                                 hnsw_config=models.HnswConfigDiff(m=8)),
                        "m": models.VectorParams(size=2, distance=models.Distance.COSINE,
                                                 multivector_config=models.MultiVectorConfig(comparator=models.MultiVectorComparator.MAX_SIM))},
        sparse_vectors_config={"s": models.SparseVectorParams(modifier=models.Modifier.IDF)},
        optimizers_config=models.OptimizersConfigDiff(indexing_threshold=1234, default_segment_number=2),
        hnsw_config=models.HnswConfigDiff(ef_construct=77),
        quantization_config=models.ScalarQuantization(scalar=models.ScalarQuantizationConfig(type=models.ScalarType.INT8, quantile=0.5)),
    )
    try:
        over_grpc.create_payload_index(n, "k", models.PayloadSchemaType.KEYWORD, wait=True)
        over_grpc.create_payload_index(n, "t", models.TextIndexParams(type=models.TextIndexType.TEXT, tokenizer=models.TokenizerType.WORD, lowercase=True), wait=True)
        a, b = rest.get_collection(n), over_grpc.get_collection(n)
        assert a.config.params.vectors == b.config.params.vectors
        assert a.config.params.sparse_vectors == b.config.params.sparse_vectors
        assert a.config.hnsw_config == b.config.hnsw_config
        assert a.config.optimizer_config.indexing_threshold == b.config.optimizer_config.indexing_threshold == 1234
        assert b.config.quantization_config.scalar.quantile == pytest.approx(0.5)
        assert set(b.payload_schema) == {"k", "t"}
        assert b.payload_schema["t"].data_type == models.PayloadSchemaType.TEXT
        assert a.points_count == b.points_count == 0
        assert over_grpc.collection_exists(n) and not over_grpc.collection_exists(n + "_no")
        over_grpc.update_collection_aliases([models.CreateAliasOperation(create_alias=models.CreateAlias(collection_name=n, alias_name=n + "_alias"))])
        assert [a.alias_name for a in rest.get_collection_aliases(n).aliases] == [n + "_alias"]
        assert n + "_alias" in [a.alias_name for a in over_grpc.get_aliases().aliases]
    finally:
        over_grpc.delete_collection(n)
    assert not rest.collection_exists(n)


def raw_error(call):
    with pytest.raises(grpcio.RpcError) as e:
        call()
    return e.value.code(), e.value.details()


def test_bad_input_status_codes(over_grpc, name):
    points = over_grpc.grpc_points
    vec = grpc.Vectors(vectors=grpc.NamedVectors(vectors={"v": grpc.Vector(dense=grpc.DenseVector(data=[1, 2]))}))
    code, text = raw_error(lambda: points.Upsert(grpc.UpsertPoints(collection_name=name, wait=True, points=[grpc.PointStruct(id=grpc.PointId(num=1), vectors=vec)])))
    assert code == grpcio.StatusCode.INVALID_ARGUMENT and "dimension" in text
    code, text = raw_error(lambda: points.Upsert(grpc.UpsertPoints(collection_name="no_such", wait=True, points=[])))
    assert code == grpcio.StatusCode.NOT_FOUND and text == "Not found: Collection `no_such` doesn't exist!"
    # a point without an id, a query without a vector, an empty selector
    code, _ = raw_error(lambda: points.Upsert(grpc.UpsertPoints(collection_name=name, points=[grpc.PointStruct(vectors=vec)])))
    assert code == grpcio.StatusCode.INVALID_ARGUMENT
    code, text = raw_error(lambda: points.Search(grpc.SearchPoints(collection_name=name, vector_name="v", limit=3)))
    assert code == grpcio.StatusCode.INVALID_ARGUMENT and "dimension" in text
    code, _ = raw_error(lambda: points.Delete(grpc.DeletePoints(collection_name=name)))
    assert code == grpcio.StatusCode.INVALID_ARGUMENT
    code, _ = raw_error(lambda: points.Query(grpc.QueryPoints(collection_name=name, query=grpc.Query(nearest=grpc.VectorInput(dense=grpc.DenseVector(data=[1, 2, 3]))), using="nope")))
    assert code == grpcio.StatusCode.INVALID_ARGUMENT
    code, _ = raw_error(lambda: points.Scroll(grpc.ScrollPoints(collection_name=name, limit=0)))
    assert code == grpcio.StatusCode.INVALID_ARGUMENT
    # the same texts as REST
    with pytest.raises(Exception) as e:
        over_grpc.create_collection(name, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
    assert status_of(e.value) == 409 and message_of(e.value) == f"Wrong input: Collection `{name}` already exists!"
    code, _ = raw_error(lambda: over_grpc.grpc_collections.Get(grpc.GetCollectionInfoRequest(collection_name="no_such")))
    assert code == grpcio.StatusCode.NOT_FOUND


def test_gzip_both_ways(server, name):
    c = QdrantClient(url=server.url, grpc_port=server.grpc_port, prefer_grpc=True, grpc_compression=grpcio.Compression.Gzip)
    c.upsert(name, [models.PointStruct(id=i, vector={"v": [i, 1, 0]}, payload={"text": "x" * 1000}) for i in range(50)], wait=True)
    assert len(c.scroll(name, limit=100, with_payload=True)[0]) == 50


def test_health_and_version(server, over_grpc):
    assert over_grpc._client.grpc_root.HealthCheck(grpc.HealthCheckRequest()).title == "qdrant - vector search engine"
    assert over_grpc.info().version
    channel = grpcio.insecure_channel(f"127.0.0.1:{server.grpc_port}")
    check = channel.unary_unary("/grpc.health.v1.Health/Check", request_serializer=lambda b: b, response_deserializer=lambda b: b)
    # HealthCheckResponse{status: SERVING} is field 1 = 1
    assert check(b"") == b"\x08\x01"
    channel.close()


def test_every_rpc_answers(server, over_grpc, name):
    """No rpc of the four services is missing (UNIMPLEMENTED from a missing
    method would read as a bug); snapshots may refuse what is not built."""
    channel = grpcio.insecure_channel(f"127.0.0.1:{server.grpc_port}")
    services = {
        "qdrant.Collections": ["Get", "List", "Create", "Update", "Delete", "UpdateAliases", "ListCollectionAliases",
                               "ListAliases", "CollectionClusterInfo", "CollectionExists", "UpdateCollectionClusterSetup",
                               "CreateShardKey", "DeleteShardKey", "ListShardKeys"],
        "qdrant.Points": ["Upsert", "Delete", "Get", "UpdateVectors", "DeleteVectors", "SetPayload", "OverwritePayload",
                          "DeletePayload", "ClearPayload", "CreateFieldIndex", "DeleteFieldIndex", "CreateVectorName",
                          "DeleteVectorName", "Search", "SearchBatch", "SearchGroups", "Scroll", "Recommend", "RecommendBatch",
                          "RecommendGroups", "Discover", "DiscoverBatch", "Count", "UpdateBatch", "Query", "QueryBatch",
                          "QueryGroups", "Facet", "SearchMatrixPairs", "SearchMatrixOffsets"],
        "qdrant.Snapshots": ["Create", "List", "Delete", "CreateFull", "ListFull", "DeleteFull"],
        "qdrant.Qdrant": ["HealthCheck"],
    }
    for service, methods in services.items():
        for method in methods:
            call = channel.unary_unary(f"/{service}/{method}", request_serializer=lambda b: b, response_deserializer=lambda b: b)
            try:
                call(b"", timeout=10)
            except grpcio.RpcError as e:
                if service == "qdrant.Snapshots":
                    continue
                assert e.code() != grpcio.StatusCode.UNIMPLEMENTED, (service, method, e.details())
    channel.close()


@pytest.mark.parametrize("version", ["v1", "v1alpha"])
def test_server_reflection(server, version):
    """`list_services` over the reflection stream names Qdrant's services;
    a file request returns the descriptor of points_service.proto."""
    channel = grpcio.insecure_channel(f"127.0.0.1:{server.grpc_port}")
    info = channel.stream_stream(f"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo",
                                 request_serializer=lambda b: b, response_deserializer=lambda b: b)
    # ServerReflectionRequest{list_services: ""} and {file_containing_symbol: "qdrant.Points"}
    symbol = b"qdrant.Points"
    replies = list(info(iter([b"\x3a\x00", b"\x22" + bytes([len(symbol)]) + symbol]), timeout=10))
    assert len(replies) == 2
    for service in (b"qdrant.Collections", b"qdrant.Points", b"qdrant.Snapshots", b"qdrant.Qdrant", b"grpc.health.v1.Health"):
        assert service in replies[0], service
    assert b"points_service.proto" in replies[1]
    channel.close()


def ids_of(points):
    return [p.id.num for p in points]


def test_legacy_rpcs_match_rest(api, rest, over_grpc, name):
    """Search / Recommend / Discover and their batches and groups over raw
    gRPC give what the legacy REST endpoints give."""
    rest.upsert(name, [models.PointStruct(id=i, vector={"v": [i % 7, (i * 3) % 5, 1]}, payload={"g": i % 3}) for i in range(1, 40)], wait=True)
    over_grpc.create_payload_index(name, "g", models.PayloadSchemaType.INTEGER, wait=True)
    p = over_grpc.grpc_points
    base = f"/collections/{name}/points"
    flt = grpc.Filter(must=[grpc.Condition(field=grpc.FieldCondition(key="g", match=grpc.Match(integer=1)))])
    r = p.Search(grpc.SearchPoints(collection_name=name, vector=[1, 2, 0.5], vector_name="v", limit=5, filter=flt)).result
    want = api.post(base + "/search", {"vector": {"name": "v", "vector": [1, 2, 0.5]}, "limit": 5, "filter": {"must": [{"key": "g", "match": {"value": 1}}]}}).json()["result"]
    assert ids_of(r) == [h["id"] for h in want]
    assert [h.score for h in r] == pytest.approx([h["score"] for h in want])
    batch = p.SearchBatch(grpc.SearchBatchPoints(collection_name=name, search_points=[
        grpc.SearchPoints(collection_name=name, vector=[1, 0, 0], vector_name="v", limit=3),
        grpc.SearchPoints(collection_name=name, vector=[0, 1, 0], vector_name="v", limit=4, offset=1)])).result
    assert [len(b.result) for b in batch] == [3, 4]
    r = p.Recommend(grpc.RecommendPoints(collection_name=name, positive=[grpc.PointId(num=3)], negative=[grpc.PointId(num=4)], using="v", limit=6,
                                         strategy=grpc.RecommendStrategy.BestScore)).result
    want = api.post(base + "/recommend", {"positive": [3], "negative": [4], "using": "v", "limit": 6, "strategy": "best_score"}).json()["result"]
    assert ids_of(r) == [h["id"] for h in want]
    r = p.Discover(grpc.DiscoverPoints(
        collection_name=name, using="v", limit=5,
        target=grpc.TargetVector(single=grpc.VectorExample(id=grpc.PointId(num=5))),
        context=[grpc.ContextExamplePair(positive=grpc.VectorExample(id=grpc.PointId(num=6)), negative=grpc.VectorExample(vector=grpc.Vector(dense=grpc.DenseVector(data=[0, 0, 1]))))])).result
    want = api.post(base + "/discover", {"target": 5, "context": [{"positive": 6, "negative": [0, 0, 1]}], "using": "v", "limit": 5}).json()["result"]
    assert ids_of(r) == [h["id"] for h in want]
    groups = p.SearchGroups(grpc.SearchPointGroups(collection_name=name, vector=[1, 1, 1], vector_name="v", group_by="g", limit=3, group_size=2)).result.groups
    want = api.post(base + "/search/groups", {"vector": {"name": "v", "vector": [1, 1, 1]}, "group_by": "g", "limit": 3, "group_size": 2}).json()["result"]["groups"]
    assert [(g.id.unsigned_value, ids_of(g.hits)) for g in groups] == [(w["id"], [h["id"] for h in w["hits"]]) for w in want]
    groups = p.RecommendGroups(grpc.RecommendPointGroups(collection_name=name, positive=[grpc.PointId(num=2)], using="v", group_by="g", limit=2, group_size=2)).result.groups
    assert len(groups) == 2
    facet = p.Facet(grpc.FacetCounts(collection_name=name, key="g", limit=5, exact=True)).hits
    assert sorted((h.value.integer_value, h.count) for h in facet) == [(0, 13), (1, 13), (2, 13)]


def test_validation_errors_worded_as_qdrant_grpc(over_grpc, name):
    """Body validation over gRPC: `Validation error in body: [...]` with the
    protobuf field paths (checked against the reference server)."""
    c = over_grpc
    name = f"{name}_v"
    c.create_collection(name, vectors_config=models.VectorParams(size=4, distance=models.Distance.DOT),
                        sparse_vectors_config={"s": models.SparseVectorParams()})
    c.upsert(name, [models.PointStruct(id=1, vector={"": [1, 2, 3, 4]})], wait=True)
    cases = [
        (lambda: c.query_points(name, query=[1, 2, 3, 4], limit=0),
         "Validation error in body: [limit: value 0 invalid, must be 1 or larger]"),
        (lambda: c.query_points(name, prefetch=[models.Prefetch(query=[1, 2, 3, 4], limit=0)], query=[1, 2, 3, 4]),
         "Validation error in body: [prefetch[0].limit: value 0 invalid, must be 1 or larger]"),
        (lambda: c.query_points(name, query=models.SparseVector(indices=[1, 2], values=[1.0]), using="s"),
         "Validation error in body: [query.variant.variant.values: Validation error: must be the same length as indices [{}]]"),
        (lambda: c.scroll(name, limit=0), "Validation error in body: [limit: value 0 invalid, must be 1 or larger]"),
        (lambda: c.query_points_groups(name, query=[1, 2, 3, 4], group_by="a", group_size=0),
         "Validation error in body: [group_size: value 0 invalid, must be 1 or larger]"),
        (lambda: c.create_collection(f"{name}_big", vectors_config=models.VectorParams(size=70000, distance=models.Distance.DOT)),
         "Validation error in body: [vectors_config.config.size: value 70000 invalid, must be from 1 to 65536]"),
        (lambda: c.create_collection("x" * 256, vectors_config=models.VectorParams(size=4, distance=models.Distance.DOT)),
         "Validation error in body: [collection_name: value \"" + "x" * 256 + "\" invalid, must be from 1 to 255 characters]"),
    ]
    try:
        for call, message in cases:
            with pytest.raises(Exception) as e:
                call()
            assert (status_of(e.value), message_of(e.value)) == (400, message)
    finally:
        c.delete_collection(name)
