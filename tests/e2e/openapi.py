"""Validates raw responses against Qdrant's OpenAPI specification."""

import json
import os
import re
from functools import lru_cache

import jsonschema
from referencing import Registry, Resource

SPEC_DIRS = [
    os.environ.get("VECTORIZER_REFERENCE", ""),
    os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "reference"),
]


def _nullable_to_jsonschema(node):
    """OpenAPI 3.0 `nullable: true` becomes a JSON Schema type that admits null."""
    if isinstance(node, dict):
        node = {k: _nullable_to_jsonschema(v) for k, v in node.items()}
        if node.pop("nullable", False):
            if "type" in node:
                t = node["type"]
                node["type"] = (t if isinstance(t, list) else [t]) + ["null"]
                if "enum" in node:
                    node["enum"] = list(node["enum"]) + [None]
            elif not node:
                return {}
            else:
                node = {"anyOf": [node, {"type": "null"}]}
        return node
    if isinstance(node, list):
        return [_nullable_to_jsonschema(v) for v in node]
    return node


def _load(name):
    for d in SPEC_DIRS:
        path = os.path.join(d, name)
        if d and os.path.exists(path):
            with open(path) as f:
                return _nullable_to_jsonschema(json.load(f))
    raise FileNotFoundError(f"{name} not found; set VECTORIZER_REFERENCE")


@lru_cache(maxsize=None)
def spec():
    """The 1.19 spec, plus the legacy endpoints (search, recommend, discover)
    and their schemas from the 1.16 spec."""
    current = _load("qdrant-openapi-1.19.json")
    legacy = _load("qdrant-openapi-1.16-legacy.json")
    paths = dict(current["paths"])
    for path, ops in legacy["paths"].items():
        paths.setdefault(path, ops)
    schemas = dict(legacy["components"]["schemas"])
    schemas.update(current["components"]["schemas"])
    return dict(current, paths=paths, components=dict(current["components"], schemas=schemas))


@lru_cache(maxsize=None)
def _routes():
    routes = []
    for template, ops in spec()["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        literal = len(re.sub(r"\{[^}]+\}", "", template))
        routes.append((literal, re.compile(pattern), template, ops))
    routes.sort(key=lambda r: -r[0])  # literal segments win over parameters
    return routes


def operation(method, path):
    path = path.split("?")[0]
    if path.startswith("/qdrant"):
        path = path[len("/qdrant"):] or "/"
    for _, rx, template, ops in _routes():
        if rx.match(path) and method.lower() in ops:
            return template, ops[method.lower()]
    return None, None


def _response_key(op, status):
    responses = op.get("responses", {})
    for key in (str(status), f"{str(status)[0]}XX", "default"):
        resp = responses.get(key)
        if resp is not None:
            return key if "content" in resp else None
    return None


@lru_cache(maxsize=None)
def _validator(template, method, key):
    """A validator for one documented response, resolving refs in the spec."""
    content = spec()["paths"][template][method]["responses"][key]["content"]
    media = content.get("application/json") or next(iter(content.values()))
    root = spec()
    probe = "__probe__"
    schemas = dict(root["components"]["schemas"], **{probe: media["schema"]})
    document = dict(root, components=dict(root["components"], schemas=schemas))
    registry = Registry().with_resource("urn:qdrant", Resource.opaque(document))
    return jsonschema.Draft202012Validator({"$ref": f"urn:qdrant#/components/schemas/{probe}"}, registry=registry)


def validate(method, path, status, body):
    """Raises if `body` does not match the documented response for this status."""
    template, op = operation(method, path)
    assert op is not None, f"undocumented endpoint {method} {path}"
    key = _response_key(op, status)
    assert key is not None or status >= 500, f"no documented response for {method} {path} {status}"
    if key is None:
        return
    _validator(template, method.lower(), key).validate(body)
