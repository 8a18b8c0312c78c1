"""Randomized differential comparison with the reference Qdrant 1.19.0
server: one generated dataset (named dense, multivector and sparse fields,
optional vectors, payloads with arrays, nulls, nested objects and mixed
types) written to both servers, then the same random requests of every
query form sent to both over REST and the answers compared: status, error
text, ids (up to ties), scores to 1e-4 relative, payloads."""

import json
import os
import random
import uuid

import pytest
import requests

N_POINTS = 400
DENSE = {"d_cos": (8, "Cosine"), "d_dot": (8, "Dot"), "d_euc": (8, "Euclid"), "d_man": (8, "Manhattan")}
MULTI = {"m_cos": (6, "Cosine"), "m_dot": (6, "Dot"), "m_euc": (6, "Euclid")}
SPARSE = {"sp": {}, "sp_idf": {"modifier": "idf"}}
WORDS = ["red", "green", "blue", "cyan", "plum", "teal"]


def config():
    vectors = {k: {"size": d, "distance": dist} for k, (d, dist) in DENSE.items()}
    vectors.update({k: {"size": d, "distance": dist, "multivector_config": {"comparator": "max_sim"}}
                    for k, (d, dist) in MULTI.items()})
    return {"vectors": vectors, "sparse_vectors": SPARSE}


def point_id(i):
    return str(uuid.UUID(int=i * 7919 + 1)) if i % 5 == 0 else i


def dense(rng, dim):
    return [round(rng.uniform(-1, 1), 3) for _ in range(dim)]


def sparse(rng):
    indices = rng.sample(range(40), rng.randint(1, 6))
    return {"indices": indices, "values": [round(rng.uniform(0.05, 1), 3) for _ in indices]}


def payload(rng):
    p = {}
    if rng.random() < 0.9:
        p["a"] = rng.randint(0, 9)
    if rng.random() < 0.8:
        p["f"] = round(rng.uniform(-5, 5), 2)
    if rng.random() < 0.8:
        p["s"] = rng.choice(WORDS)
    if rng.random() < 0.7:
        p["tags"] = rng.sample(WORDS, rng.randint(0, 3))
    if rng.random() < 0.6:
        p["arr"] = [rng.randint(0, 5) for _ in range(rng.randint(0, 4))]
    if rng.random() < 0.5:
        p["nul"] = rng.choice([None, [None, None], [], 1, [1, None], "x"])
    if rng.random() < 0.6:
        p["mixed"] = rng.choice([1, 2, "1", "two", 2.5, True, [1, "1"]])
    if rng.random() < 0.6:
        p["n"] = [{"x": rng.randint(0, 3), "y": rng.choice(WORDS)} for _ in range(rng.randint(0, 3))]
    return p


def points(seed):
    rng = random.Random(seed)
    out = []
    for i in range(N_POINTS):
        vec = {}
        for name, (dim, _) in DENSE.items():
            if rng.random() < 0.85:
                vec[name] = dense(rng, dim)
        for name, (dim, _) in MULTI.items():
            if rng.random() < 0.85:
                vec[name] = [dense(rng, dim) for _ in range(rng.randint(1, 5))]
        for name in SPARSE:
            if rng.random() < 0.85:
                vec[name] = sparse(rng)
        out.append({"id": point_id(i), "vector": vec, "payload": payload(rng)})
    return out


def random_condition(rng, depth=0):
    kind = rng.choice(["match", "any", "except", "range", "empty", "null", "count", "nested", "has_id", "text",
                       "sub" if depth < 2 else "match"])
    if kind == "match":
        key, value = rng.choice([("a", rng.randint(0, 9)), ("s", rng.choice(WORDS)), ("tags", rng.choice(WORDS)),
                                 ("arr", rng.randint(0, 5)), ("mixed", rng.choice([1, "1", "two", True])),
                                 ("n[].y", rng.choice(WORDS)), ("n[].x", rng.randint(0, 3))])
        return {"key": key, "match": {"value": value}}
    if kind == "any":
        return {"key": rng.choice(["s", "tags"]), "match": {"any": rng.sample(WORDS, rng.randint(1, 3))}}
    if kind == "except":
        return {"key": rng.choice(["a", "arr"]), "match": {"except": rng.sample(range(10), rng.randint(1, 4))}}
    if kind == "range":
        bounds = {b: round(rng.uniform(-5, 9), 1) for b in rng.sample(["lt", "gt", "gte", "lte"], rng.randint(1, 2))}
        return {"key": rng.choice(["a", "f", "arr", "n[].x", "mixed"]), "range": bounds}
    if kind == "empty":
        return {"is_empty": {"key": rng.choice(["tags", "arr", "nul", "n", "missing", "n[].y"])}}
    if kind == "null":
        return {"is_null": {"key": rng.choice(["nul", "a", "missing", "n[].x", "arr"])}}
    if kind == "count":
        bounds = {b: rng.randint(0, 3) for b in rng.sample(["lt", "gt", "gte", "lte"], rng.randint(1, 2))}
        return {"key": rng.choice(["tags", "arr", "n", "nul", "s", "n[].y"]), "values_count": bounds}
    if kind == "nested":
        return {"nested": {"key": "n", "filter": {"must": [{"key": "x", "match": {"value": rng.randint(0, 3)}}]}}}
    if kind == "has_id":
        return {"has_id": [point_id(i) for i in rng.sample(range(N_POINTS), 30)]}
    if kind == "text":
        return {"key": "s", "match": {"text": rng.choice(WORDS)}}
    return random_filter(rng, depth + 1)


def random_filter(rng, depth=0):
    f = {}
    for clause in rng.sample(["must", "should", "must_not"], rng.randint(1, 2)):
        f[clause] = [random_condition(rng, depth) for _ in range(rng.randint(1, 2))]
    if depth == 0 and rng.random() < 0.1:
        f["min_should"] = {"conditions": [random_condition(rng, 1) for _ in range(3)], "min_count": 2}
    return f


def query_vector(rng, name):
    if name in DENSE:
        return dense(rng, DENSE[name][0])
    if name in MULTI:
        return [dense(rng, MULTI[name][0]) for _ in range(rng.randint(1, 10))]
    return sparse(rng)


ALL_VECTORS = [*DENSE, *MULTI, *SPARSE]


def random_query(rng):
    using = rng.choice(ALL_VECTORS)
    body = {"using": using, "limit": rng.randint(1, 15), "with_payload": True}
    if rng.random() < 0.5:
        body["filter"] = random_filter(rng)
    if rng.random() < 0.2:
        body["offset"] = rng.randint(0, 5)
    kind = rng.choice(["nearest", "nearest", "by_id", "recommend", "discover", "context", "fusion", "mmr", "feedback"])
    some_ids = lambda k: [point_id(i) for i in rng.sample(range(N_POINTS), k)]
    if kind == "nearest":
        body["query"] = query_vector(rng, using)
    elif kind == "by_id":
        body["query"] = some_ids(1)[0]
    elif kind == "recommend":
        strategy = rng.choice(["average_vector", "best_score", "sum_scores"])
        pos = [query_vector(rng, using) if rng.random() < 0.3 else some_ids(1)[0] for _ in range(rng.randint(1, 3))]
        neg = [query_vector(rng, using) if rng.random() < 0.3 else some_ids(1)[0] for _ in range(rng.randint(0, 2))]
        body["query"] = {"recommend": {"positive": pos, "negative": neg, "strategy": strategy}}
    elif kind == "discover":
        pairs = [{"positive": some_ids(1)[0], "negative": query_vector(rng, using)} for _ in range(rng.randint(1, 3))]
        body["query"] = {"discover": {"target": query_vector(rng, using), "context": pairs}}
    elif kind == "context":
        pairs = [{"positive": query_vector(rng, using), "negative": rng.choice([some_ids(1)[0], query_vector(rng, using)])}
                 for _ in range(rng.randint(1, 4))]
        body["query"] = {"context": pairs}
    elif kind == "feedback":
        items = [{"example": rng.choice([some_ids(1)[0], query_vector(rng, using)]), "score": round(rng.uniform(-1, 1), 2)}
                 for _ in range(rng.randint(1, 4))]
        naive = {k: round(rng.uniform(0, 2), 2) for k in "abc"}
        body["query"] = {"relevance_feedback": {"target": query_vector(rng, using), "feedback": items,
                                                "strategy": {"naive": naive}}}
    elif kind == "fusion":
        other = rng.choice(ALL_VECTORS)
        body.pop("using")
        body["prefetch"] = [{"query": query_vector(rng, using), "using": using, "limit": 20},
                            {"query": query_vector(rng, other), "using": other, "limit": 20}]
        body["query"] = {"fusion": rng.choice(["rrf", "dbsf"])}
    elif using != "sp_idf":  # (MMR's diversity over idf-weighted vectors: not matched yet)
        body["query"] = {"nearest": query_vector(rng, using), "mmr": {"diversity": round(rng.random(), 2),
                                                                     "candidates_limit": rng.randint(10, 40)}}
    else:
        body["query"] = query_vector(rng, using)
    return body


def call(base, method, path, body=None):
    r = requests.request(method, base + path, json=body, timeout=60)
    try:
        return r.status_code, r.json()
    except ValueError:
        return r.status_code, r.text


def rel_close(a, b, tol=1e-4):
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def same_hits(ours, ref):
    """Scores agree position by position; ids agree except among tied
    scores; a point found by both has the same payload."""
    problems = []
    if len(ours) != len(ref):
        return [f"{len(ours)} hits, reference {len(ref)}"]
    for i, (a, b) in enumerate(zip(ours, ref)):
        if not rel_close(a["score"], b["score"]):
            problems.append(f"#{i}: score {a['score']} (id {a['id']}), reference {b['score']} (id {b['id']})")
    by_id = {h["id"]: h for h in ref}
    ours_ids = {h["id"] for h in ours}
    for a in ours:
        b = by_id.get(a["id"])
        if b is None:
            # a tie at the page's edge may keep either point
            swapped = any(h["id"] not in ours_ids and rel_close(h["score"], a["score"]) for h in ref)
            if not swapped:
                problems.append(f"id {a['id']} (score {a['score']}) missing from the reference")
        elif a.get("payload") != b.get("payload"):
            problems.append(f"id {a['id']}: payload {a.get('payload')} != {b.get('payload')}")
    return problems[:5]


def compare(base, ref, method, path, body, result_of):
    s1, r1 = call(base, method, path, body)
    s2, r2 = call(ref, method, path, body)
    where = f"{method} {path} {json.dumps(body)}"
    if s1 != s2:
        return [f"{where}: status {s1} {str(r1)[:300]} vs reference {s2} {str(r2)[:300]}"]
    if s1 != 200:
        e1, e2 = (r.get("status", {}).get("error") if isinstance(r, dict) else r for r in (r1, r2))
        return [] if e1 == e2 else [f"{where}: error {e1!r} vs reference {e2!r}"]
    problems = result_of(r1["result"], r2["result"])
    return [f"{where}: {p}" for p in problems]


@pytest.fixture(scope="module")
def both(server, reference):
    """The same collection on both servers."""
    name = "diff"
    for base in (server.url, reference.url):
        requests.delete(f"{base}/collections/{name}", timeout=30)
        r = requests.put(f"{base}/collections/{name}", json=config(), timeout=30)
        assert r.status_code == 200, r.text
        for field, schema in (("s", "keyword"), ("a", "integer")):
            requests.put(f"{base}/collections/{name}/index?wait=true", json={"field_name": field, "field_schema": schema},
                         timeout=30).raise_for_status()
        pts = points(7)
        for start in range(0, len(pts), 100):
            r = requests.put(f"{base}/collections/{name}/points?wait=true", json={"points": pts[start:start + 100]},
                             timeout=60)
            assert r.status_code == 200, r.text
    yield server.url, reference.url, f"/collections/{name}"
    for base in (server.url, reference.url):
        requests.delete(f"{base}/collections/{name}", timeout=30)


def run(both, n, seed, make, path, result_of, method="POST"):
    base, ref, coll = both
    # DIFF_SEED varies every generator (one run per value; CI uses 0)
    rng = random.Random(seed + 1000 * int(os.environ.get("DIFF_SEED", "0")))
    problems = []
    for _ in range(n):
        problems += compare(base, ref, method, coll + path, make(rng), result_of)
    if os.environ.get("DIFF_LOG"):  # every disagreement, one per line, for triage
        with open(os.environ["DIFF_LOG"], "a") as f:
            f.writelines(p + "\n" for p in problems)
    assert not problems, f"{len(problems)} disagreements:\n" + "\n".join(problems[:15])


def test_queries_match_the_reference(both):
    run(both, 400, 1, random_query, "/points/query", lambda a, b: same_hits(a["points"], b["points"]))


def test_counts_match_the_reference(both):
    run(both, 200, 2, lambda rng: {"filter": random_filter(rng), "exact": True}, "/points/count",
        lambda a, b: [] if a == b else [f"count {a} vs {b}"])


def same_groups(ours, ref):
    """The same groups with the same best scores (groups of tied best
    scores in any order), each led by an equally scored hit. Lower hits are
    not compared: rank fusion and context scores tie often, and which of
    the tied points a round picks changes the later rounds."""
    a, b = ours["groups"], ref["groups"]
    best = lambda gs: sorted(g["hits"][0]["score"] for g in gs)
    if len(a) != len(b) or not all(rel_close(x, y) for x, y in zip(best(a), best(b))):
        return [f"groups {[(g['id'], g['hits'][0]['score']) for g in a]} vs reference "
                f"{[(g['id'], g['hits'][0]['score']) for g in b]}"]
    by_key = {json.dumps(g["id"]): g for g in b}
    problems = []
    for g in a:
        other = by_key.get(json.dumps(g["id"]))
        if other is None:
            if not any(rel_close(o["hits"][0]["score"], g["hits"][0]["score"]) for o in b):
                problems.append(f"group {g['id']} missing from the reference")
        elif not rel_close(g["hits"][0]["score"], other["hits"][0]["score"]):
            problems.append(f"group {g['id']}: best {g['hits'][0]['score']} vs {other['hits'][0]['score']}")
    return problems


def random_groups(rng):
    body = random_query(rng)
    # not matched yet (open): groups over MMR order their groups unlike
    # Qdrant, and groups over rank fusion score some hits of later rounds
    # differently
    unmatched = lambda b: isinstance(b.get("query"), dict) and ("mmr" in b["query"] or "fusion" in b["query"])
    while unmatched(body):
        body = random_query(rng)
    body.pop("offset", None)
    # ("mixed" holds integers and strings: Qdrant's `except` across types in
    # its group rounds is not matched yet)
    body["group_by"] = rng.choice(["s", "a", "tags", "arr", "n[].y"])
    body["group_size"] = rng.randint(1, 3)
    return body


def test_groups_match_the_reference(both):
    run(both, 150, 3, random_groups, "/points/query/groups", same_groups)


def test_legacy_search_matches_the_reference(both):
    def make(rng):
        name = rng.choice(list(DENSE))
        body = {"vector": {"name": name, "vector": dense(rng, DENSE[name][0])}, "limit": rng.randint(1, 12),
                "with_payload": True, "with_vector": rng.random() < 0.3}
        if rng.random() < 0.6:
            body["filter"] = random_filter(rng)
        return body

    def result_of(a, b):
        problems = same_hits(a, b)
        for x, y in zip(a, b):
            if x["id"] == y["id"] and x.get("vector") != y.get("vector"):
                vx, vy = x.get("vector") or {}, y.get("vector") or {}
                if vx.keys() != vy.keys() or any(not all(rel_close(p, q) for p, q in zip(vx[k], vy[k])) for k in vx):
                    problems.append(f"id {x['id']}: vector {vx} vs reference {vy}")
        return problems

    run(both, 200, 4, make, "/points/search", result_of)


def test_scroll_and_facets_match_the_reference(both):
    run(both, 100, 5, lambda rng: {"filter": random_filter(rng), "limit": rng.randint(1, 50), "with_payload": True},
        "/points/scroll", lambda a, b: [] if a == b else [f"scroll {str(a)[:300]} vs {str(b)[:300]}"])

    def facets(a, b):
        key = lambda h: (-h["count"], json.dumps(h["value"]))
        return [] if sorted(a["hits"], key=key) == sorted(b["hits"], key=key) else [f"facet {a} vs {b}"]

    run(both, 100, 6, lambda rng: {"key": rng.choice(["s", "a"]), "filter": random_filter(rng), "exact": True,
                                   "limit": rng.randint(1, 10)}, "/facet", facets)


def test_null_and_empty_checks_match_the_reference(server, reference):
    """`is_null` / `is_empty` / `values_count` on nulls inside arrays and
    nested arrays, with and without a payload index on the field (Qdrant
    reads an array holding a null as null only through an index), and a
    range bounding one side twice (an index alone takes the strict bound)."""
    values = [None, [None, None], [], 1, [1, None], "x", [[None]], {"a": None}, [[]], "MISSING"]
    pts = []
    for i, v in enumerate(values):
        p = {} if v == "MISSING" else {"plain": v, "indexed": v, "n": [{"x": v}]}
        p["num"] = i
        pts.append({"id": i, "vector": [1.0, 0.0], "payload": p})
    for base in (server.url, reference.url):
        requests.delete(f"{base}/collections/nulls", timeout=30)
        requests.put(f"{base}/collections/nulls", json={"vectors": {"size": 2, "distance": "Dot"}},
                     timeout=30).raise_for_status()
        requests.put(f"{base}/collections/nulls/points?wait=true", json={"points": pts}, timeout=30).raise_for_status()
        for field, schema in (("indexed", "integer"), ("num", "integer")):
            requests.put(f"{base}/collections/nulls/index?wait=true", json={"field_name": field, "field_schema": schema},
                         timeout=30).raise_for_status()
    conditions = []
    for key in ("plain", "indexed", "n[].x", "missing"):
        conditions += [{"is_null": {"key": key}}, {"is_empty": {"key": key}},
                       {"key": key, "values_count": {"gte": 1}}, {"key": key, "values_count": {"gte": 2}}]
    conditions += [{"key": "num", "range": r} for r in ({"gt": 1, "gte": 5}, {"lt": 8, "lte": 3}, {"gt": 6, "gte": 2})]
    problems = []
    try:
        for cond in conditions:
            for body in ({"filter": {"must": [cond]}}, {"filter": {"must_not": [cond]}},
                         {"filter": {"must": [cond, {"key": "num", "range": {"gte": 0}}]}}):
                body.update({"limit": 100, "with_payload": False})
                problems += compare(server.url, reference.url, "POST", "/collections/nulls/points/scroll", body,
                                    lambda a, b: [] if a == b else [f"{a} vs {b}"])
    finally:
        for base in (server.url, reference.url):
            requests.delete(f"{base}/collections/nulls", timeout=30)
    assert not problems, "\n".join(problems)


def test_queries_over_grpc_match_the_reference(both, server, reference):
    """The same random query forms through the official client over gRPC
    (batches of one request): hits, or the error's code and text."""
    from qdrant_client import QdrantClient, models

    from conftest import message_of, status_of

    clients = [QdrantClient(url=s.url, grpc_port=s.grpc_port, prefer_grpc=True, timeout=60) for s in (server, reference)]
    rng = random.Random(11 + 1000 * int(os.environ.get("DIFF_SEED", "0")))
    problems = []
    for _ in range(200):
        body = random_query(rng)
        request = models.QueryRequest(**body)
        answers = []
        for c in clients:
            try:
                points = c.query_batch_points("diff", [request])[0].points
                answers.append(("ok", [{"id": p.id, "score": p.score, "payload": p.payload} for p in points]))
            except Exception as e:  # the error as the client reports it, compared below
                answers.append(("error", status_of(e), message_of(e)))
        ours, ref = answers
        where = f"gRPC {json.dumps(body)}"
        if ours[0] != ref[0] or (ours[0] == "error" and ours != ref):
            problems.append(f"{where}: {str(ours)[:300]} vs reference {str(ref)[:300]}")
        elif ours[0] == "ok":
            problems += [f"{where}: {p}" for p in same_hits(ours[1], ref[1])]
    for c in clients:
        c.close()
    if os.environ.get("DIFF_LOG"):
        with open(os.environ["DIFF_LOG"], "a") as f:
            f.writelines(p + "\n" for p in problems)
    assert not problems, f"{len(problems)} disagreements:\n" + "\n".join(problems[:10])


def test_sparse_only_collection_matches_the_reference(server, reference):
    """A collection of sparse vectors only (a third of the points without
    one): counts under random filters, sparse queries, and the collection's
    indexed vector count (sparse vectors are indexed as written)."""
    rng = random.Random(5)
    pts = [{"id": point_id(i), "vector": ({"s": sparse(rng)} if i % 3 else {}), "payload": payload(rng)}
           for i in range(300)]
    for base in (server.url, reference.url):
        requests.delete(f"{base}/collections/sparse_only", timeout=30)
        requests.put(f"{base}/collections/sparse_only", json={"sparse_vectors": {"s": {}, "t": {"modifier": "idf"}}},
                     timeout=30).raise_for_status()
        for start in range(0, len(pts), 100):
            requests.put(f"{base}/collections/sparse_only/points?wait=true", json={"points": pts[start:start + 100]},
                         timeout=30).raise_for_status()
    both = (server.url, reference.url, "/collections/sparse_only")
    try:
        run(both, 150, 21, lambda rng: {"filter": random_filter(rng), "exact": True}, "/points/count",
            lambda a, b: [] if a == b else [f"count {a} vs {b}"])

        def query(rng):
            body = {"query": sparse(rng), "using": "s", "limit": rng.randint(1, 20), "with_payload": True}
            if rng.random() < 0.5:
                body["filter"] = random_filter(rng)
            return body

        run(both, 100, 22, query, "/points/query", lambda a, b: same_hits(a["points"], b["points"]))
        counts = [requests.get(f"{b}/collections/sparse_only", timeout=30).json()["result"]["indexed_vectors_count"]
                  for b in (server.url, reference.url)]
        assert counts[0] == counts[1] == 200
    finally:
        for base in (server.url, reference.url):
            requests.delete(f"{base}/collections/sparse_only", timeout=30)
