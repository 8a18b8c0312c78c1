"""Fixtures: a real `vectorizer` binary on free loopback ports, and a raw
HTTP helper that checks every response against Qdrant's OpenAPI spec."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest
import requests
from qdrant_client import QdrantClient

import openapi

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def binary_path():
    path = os.environ.get("VECTORIZER_BIN", os.path.join(ROOT, "target", "debug", "vectorizer"))
    if not os.path.exists(path):
        pytest.exit(f"server binary {path} not found: build it first (cargo build) or set VECTORIZER_BIN", 2)
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One server process over one storage directory; restartable."""

    def __init__(self, storage, extra_env=None):
        self.storage = storage
        self.extra_env = extra_env or {}
        self.port = free_port()
        self.grpc_port = free_port()
        self.proc = None
        self.extra_args = []
        self.log = open(os.path.join(storage, "server.log"), "ab")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        env = dict(os.environ)
        env.update(
            {
                "QDRANT__SERVICE__HOST": "127.0.0.1",
                "QDRANT__SERVICE__HTTP_PORT": str(self.port),
                "QDRANT__SERVICE__GRPC_PORT": str(self.grpc_port),
                "QDRANT__STORAGE__STORAGE_PATH": os.path.join(self.storage, "data"),
                "QDRANT__STORAGE__SNAPSHOTS_PATH": os.path.join(self.storage, "snapshots"),
                "QDRANT__LOG_LEVEL": "WARN",
            }
        )
        env.update(self.extra_env)
        self.proc = subprocess.Popen(
            [binary_path(), "--config-dir", os.path.join(ROOT, "config"), *self.extra_args],
            env=env,
            stdout=self.log,
            stderr=self.log,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {self.log.name}")
            try:
                if requests.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise RuntimeError("server did not become ready")

    def kill(self):
        """SIGKILL: no flush, no cleanup."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self):
        """SIGTERM: graceful shutdown."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def tmpdir_path():
    d = tempfile.mkdtemp(prefix="vectorizer-e2e-")
    yield d
    if not os.environ.get("KEEPTMP"):
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def server():
    d = tempfile.mkdtemp(prefix="vectorizer-e2e-")
    s = Server(d).start()
    yield s
    s.stop()
    shutil.rmtree(d, ignore_errors=True)


REFERENCE_RUN = os.path.join(ROOT, "..", "shared", "reference", "qdrant-1.19.0", "run")


class Reference:
    """The reference Qdrant 1.19.0 server on free loopback ports, from a
    scratch directory (differential tests send it what they send us)."""

    def __init__(self, extra_env=None):
        self.dir = tempfile.mkdtemp(prefix="vectorizer-reference-")
        self.port, self.grpc_port = free_port(), free_port()
        env = dict(os.environ, QDRANT__SERVICE__HOST="127.0.0.1", QDRANT__SERVICE__HTTP_PORT=str(self.port),
                   QDRANT__SERVICE__GRPC_PORT=str(self.grpc_port), QDRANT__TELEMETRY_DISABLED="true",
                   QDRANT__STORAGE__STORAGE_PATH=os.path.join(self.dir, "storage"), QDRANT__LOG_LEVEL="WARN")
        env.update(extra_env or {})
        self.log = open(os.path.join(self.dir, "server.log"), "ab")
        self.proc = subprocess.Popen([REFERENCE_RUN], env=env, cwd=self.dir, stdout=self.log, stderr=self.log,
                                     start_new_session=True)
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"reference server exited with {self.proc.returncode}; see {self.log.name}")
            try:
                if requests.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError("reference server did not become ready")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def reference():
    """The reference server (the test is skipped where `../shared` lacks it)."""
    if not os.path.exists(REFERENCE_RUN):
        pytest.skip("reference Qdrant server not available")
    r = Reference()
    yield r
    r.stop()


class Api:
    """Raw HTTP calls whose responses are validated against the spec."""

    def __init__(self, base):
        self.base = base

    def call(self, method, path, body=None, raw=None, headers=None, validate=True):
        kwargs = {"timeout": 30, "headers": headers or {}}
        if raw is not None:
            kwargs["data"] = raw
            kwargs["headers"].setdefault("content-type", "application/json")
        elif body is not None:
            kwargs["json"] = body
        r = requests.request(method, self.base + path, **kwargs)
        if validate and r.headers.get("content-type", "").startswith("application/json"):
            openapi.validate(method, path, r.status_code, r.json())
        return r

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def put(self, path, body=None, **kw):
        return self.call("PUT", path, body, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.call("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)


@pytest.fixture(scope="session")
def api(server):
    return Api(server.url)


@pytest.fixture(scope="session", params=["rest", "grpc"])
def client(server, request):
    """The official client over REST, then over gRPC (`prefer_grpc=True`):
    every test using it runs once per transport."""
    if request.param == "grpc":
        return QdrantClient(url=server.url, grpc_port=server.grpc_port, prefer_grpc=True, timeout=30)
    return QdrantClient(url=server.url, prefer_grpc=False, timeout=30)


@pytest.fixture
def local():
    return QdrantClient(":memory:")


_counter = [0]


@pytest.fixture
def collection_name(request, client):
    """A fresh collection name, deleted after the test."""
    _counter[0] += 1
    name = f"t{_counter[0]}_" + "".join(ch if ch.isalnum() else "_" for ch in request.node.name[:40])
    yield name
    client.delete_collection(name)


def error_of(response):
    return response.json()["status"]["error"]


_GRPC_TO_HTTP = {"INVALID_ARGUMENT": 400, "NOT_FOUND": 404, "ALREADY_EXISTS": 409, "PERMISSION_DENIED": 403,
                 "UNAUTHENTICATED": 401, "RESOURCE_EXHAUSTED": 429, "FAILED_PRECONDITION": 400, "INTERNAL": 500}


def status_of(exc):
    """The HTTP status an error of either transport stands for."""
    status = getattr(exc, "status_code", None)
    if status is not None:
        return status
    code = exc.code() if hasattr(exc, "code") else None
    return _GRPC_TO_HTTP.get(getattr(code, "name", ""), 0)


def message_of(exc):
    """The error text of either transport."""
    if hasattr(exc, "details") and callable(exc.details):
        return exc.details()
    content = getattr(exc, "content", b"")
    try:
        import json
        return json.loads(content)["status"]["error"]
    except Exception:
        return str(exc)

