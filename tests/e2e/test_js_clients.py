"""The official JS clients (@qdrant/js-client-grpc and -rest, installed by
the test command into tests/node) round-trip against the server."""

import os
import shutil
import subprocess

import pytest

from conftest import ROOT

NODE_DIR = os.path.join(ROOT, "tests", "node")


def test_js_clients_round_trip(server):
    node = shutil.which("node")
    if node is None or not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "@qdrant")):
        pytest.fail("node and tests/node/node_modules are needed: run ./scripts/test (it installs them with npm)")
    run = subprocess.run([node, os.path.join(NODE_DIR, "roundtrip.mjs"), server.url, str(server.grpc_port)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "js round trip ok" in run.stdout
