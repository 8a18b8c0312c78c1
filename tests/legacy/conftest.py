"""The end-to-end fixtures (a real server, the raw spec-checked HTTP helper),
shared with an older qdrant-client installed in its own venv."""

import importlib.util
import os
import sys

E2E = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "e2e"))
sys.path.insert(0, E2E)

_spec = importlib.util.spec_from_file_location("e2e_conftest", os.path.join(E2E, "conftest.py"))
e2e_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(e2e_conftest)

# fixtures re-exported for this directory
server = e2e_conftest.server
api = e2e_conftest.api
client = e2e_conftest.client
collection_name = e2e_conftest.collection_name
error_of = e2e_conftest.error_of
