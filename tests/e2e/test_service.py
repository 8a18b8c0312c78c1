"""Service endpoints: version, health, telemetry, prefix, headers."""

import requests


def test_root_is_bare_version_info(api):
    r = api.get("/")
    assert r.status_code == 200
    body = r.json()
    assert body["title"] == "qdrant - vector search engine"
    assert body["version"].startswith("1.20.")
    assert "result" not in body
    assert r.headers["server"].startswith("vectorizer/")


def test_health_endpoints(api):
    for path, text in [("/healthz", "healthz check passed"), ("/livez", "healthz check passed"), ("/readyz", "all shards are ready")]:
        r = api.get(path)
        assert r.status_code == 200
        assert r.text == text


def test_telemetry_issues_cluster(api):
    t = api.get("/telemetry")
    assert t.status_code == 200
    assert t.json()["result"]["app"]["name"] == "qdrant"
    assert api.get("/issues").status_code == 200
    assert api.delete("/issues").json()["result"] is True
    assert api.get("/cluster").json()["result"] == {"status": "disabled"}
    m = api.get("/metrics")
    assert m.status_code == 200 and "collections_total" in m.text


def test_everything_is_served_under_qdrant_prefix(api, client, collection_name):
    assert api.get("/qdrant").json()["title"] == "qdrant - vector search engine"
    r = api.put(f"/qdrant/collections/{collection_name}", {"vectors": {"size": 2, "distance": "Dot"}})
    assert r.status_code == 200, r.text
    assert api.get(f"/qdrant/collections/{collection_name}/exists").json()["result"] == {"exists": True}
    assert client.collection_exists(collection_name)


def test_unknown_endpoint_is_404(api):
    r = requests.get(api.base + "/no/such/thing")
    assert r.status_code == 404


def test_cors_preflight(api):
    r = requests.options(
        api.base + "/collections",
        headers={"Origin": "http://example.com", "Access-Control-Request-Method": "GET"},
    )
    assert r.status_code == 200
    assert "access-control-allow-origin" in {k.lower() for k in r.headers}


def test_schema_validation_catches_wrong_shapes():
    import jsonschema
    import pytest

    import openapi

    openapi.validate("GET", "/collections", 200, {"result": {"collections": [{"name": "a"}]}, "status": "ok", "time": 0.1})
    with pytest.raises(jsonschema.ValidationError):
        openapi.validate("GET", "/collections", 200, {"result": {"collections": [{"nam": "a"}]}, "status": "ok", "time": 0.1})
    with pytest.raises(jsonschema.ValidationError):
        openapi.validate("POST", "/collections/x/points/count", 200, {"result": {"count": -1}, "status": "ok", "time": 0})


def test_bad_configuration_fails_at_startup_naming_the_key(tmpdir_path):
    import os
    import subprocess

    from conftest import ROOT, binary_path

    env = dict(os.environ, QDRANT__SERVICE__HTTP_PORT="not-a-port", QDRANT__STORAGE__STORAGE_PATH=os.path.join(tmpdir_path, "s"))
    p = subprocess.run([binary_path(), "--config-dir", os.path.join(ROOT, "config")], env=env, capture_output=True, timeout=30)
    assert p.returncode != 0
    assert b"service.http_port" in p.stderr


def test_config_path_file_overrides(tmpdir_path):
    import os

    import requests

    from conftest import Server

    cfg = os.path.join(tmpdir_path, "extra.yaml")
    with open(cfg, "w") as f:
        f.write("storage:\n  wal:\n    wal_capacity_mb: 7\n  hnsw_index:\n    m: 24\n")
    s = Server(tmpdir_path)
    s.extra_args = ["--config-path", cfg]
    s.start()
    try:
        requests.put(s.url + "/collections/c", json={"vectors": {"size": 2, "distance": "Dot"}}).raise_for_status()
        cfg = requests.get(s.url + "/collections/c").json()["result"]["config"]
        assert cfg["wal_config"]["wal_capacity_mb"] == 7
        assert cfg["hnsw_config"]["m"] == 24
    finally:
        s.stop()


def test_standalone_cluster_endpoints(api, collection_name):
    """What a standalone Qdrant 1.19 answers about its cluster (checked
    against the reference server)."""
    from conftest import error_of

    for method, path in (("POST", "/cluster/recover"), ("DELETE", "/cluster/peer/5")):
        r = api.call(method, path, validate=False)
        assert (r.status_code, error_of(r)) == (405, "Qdrant is running in standalone mode")
    r = api.get("/cluster/telemetry", validate=False)
    assert (r.status_code, error_of(r)) == (500, "Service internal error: Could not get telemetry from cluster")
    assert api.put(f"/collections/{collection_name}", {"vectors": {"size": 2, "distance": "Dot"}}).status_code == 200
    api.put(f"/collections/{collection_name}/points?wait=true", {"points": [{"id": i, "vector": [1, 0]} for i in range(3)]})
    info = api.get(f"/collections/{collection_name}/cluster").json()["result"]
    assert isinstance(info.pop("peer_id"), int)
    assert info == {"shard_count": 1, "local_shards": [{"shard_id": 0, "points_count": 3, "state": "Active"}],
                    "remote_shards": [], "shard_transfers": []}
    assert api.get(f"/collections/{collection_name}/shards").json()["result"] == {}
    assert api.get("/collections/nope/cluster").status_code == 404
