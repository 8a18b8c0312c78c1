"""Acknowledged writes survive kill -9; state survives restarts."""

import random
import threading
import time

import requests

from conftest import Server

CYCLES = 20


def writer(url, acked, maybe_touched, stop, rng):
    """Upserts with wait=true until the server dies; records what was acknowledged."""
    session = requests.Session()
    next_id = len(acked)
    while not stop.is_set():
        batch = [{"id": next_id + i, "vector": [rng.random() for _ in range(4)], "payload": {"seq": next_id + i, "tag": f"t{next_id + i}"}} for i in range(rng.randint(1, 20))]
        try:
            r = session.put(url + "/collections/crash/points?wait=true", json={"points": batch}, timeout=5)
        except requests.RequestException:
            return
        if r.status_code != 200:
            return
        for p in batch:
            acked[p["id"]] = p
        next_id += len(batch)
        time.sleep(0.002)
        # payload updates on earlier points must survive too
        if next_id > 10 and rng.random() < 0.3:
            target = rng.randrange(next_id - 10)
            maybe_touched.add(target)  # sent: applied or not, until acknowledged
            try:
                r = session.post(url + "/collections/crash/points/payload?wait=true", json={"payload": {"touched": True}, "points": [target]}, timeout=5)
            except requests.RequestException:
                return
            if r.status_code == 200:
                acked[target] = dict(acked[target], payload=dict(acked[target]["payload"], touched=True))


def test_acknowledged_writes_survive_kill_9(tmpdir_path):
    rng = random.Random(1234)
    server = Server(tmpdir_path, {"QDRANT__STORAGE__OPTIMIZERS__FLUSH_INTERVAL_SEC": "1"}).start()
    # segments are sealed every 64 points, indexed, moved to mapped files and
    # merged all along: kills land in the middle of optimizations too
    requests.put(server.url + "/collections/crash", json={
        "vectors": {"size": 4, "distance": "Dot", "on_disk": True},
        "optimizers_config": {"indexing_threshold": 1, "default_segment_number": 2},
    }).raise_for_status()
    acked = {}
    maybe_touched = set()
    try:
        for cycle in range(CYCLES):
            stop = threading.Event()
            t = threading.Thread(target=writer, args=(server.url, acked, maybe_touched, stop, rng))
            t.start()
            time.sleep(rng.uniform(0.05, 0.8))
            server.kill()
            stop.set()
            t.join(10)
            server.start()
            points = {}
            offset = None
            while True:
                r = requests.post(server.url + "/collections/crash/points/scroll", json={"limit": 1000, "offset": offset, "with_vector": True}).json()["result"]
                points.update({p["id"]: p for p in r["points"]})
                offset = r["next_page_offset"]
                if offset is None:
                    break
            missing = [i for i in acked if i not in points]
            assert not missing, f"cycle {cycle}: acknowledged points lost: {missing[:10]}"
            for i, p in acked.items():
                got = points[i]["payload"]
                unacknowledged_touch = i in maybe_touched and got == dict(p["payload"], touched=True)
                assert got == p["payload"] or unacknowledged_touch, f"cycle {cycle}: payload of {i}"
                assert points[i]["vector"] == [float(f"{x:.7g}") for x in p["vector"]] or all(
                    abs(a - b) < 1e-6 for a, b in zip(points[i]["vector"], p["vector"])
                )
        assert len(acked) > 0
        # the optimizers finish what the kills interrupted: everything
        # indexed but a tail below the threshold (64 vectors), two segments
        deadline = time.time() + 60
        while time.time() < deadline:
            info = requests.get(server.url + "/collections/crash").json()["result"]
            if info["status"] == "green":
                break
            time.sleep(0.2)
        assert info["status"] == "green", info
        assert info["points_count"] - info["indexed_vectors_count"] < 64, info
        assert info["segments_count"] <= 2, info
    finally:
        server.stop()


def test_graceful_restart_keeps_collections_aliases_and_points(tmpdir_path):
    server = Server(tmpdir_path).start()
    url = server.url
    requests.put(url + "/collections/keep", json={"vectors": {"v": {"size": 2, "distance": "Cosine"}}, "metadata": {"m": 1}}).raise_for_status()
    requests.post(url + "/collections/aliases", json={"actions": [{"create_alias": {"collection_name": "keep", "alias_name": "kept"}}]}).raise_for_status()
    requests.put(url + "/collections/keep/points?wait=true", json={"points": [{"id": 1, "vector": {"v": [3, 4]}, "payload": {"a": 1}}]}).raise_for_status()
    before = requests.get(url + "/collections/keep").json()["result"]
    server.stop()
    server.start()
    url = server.url
    after = requests.get(url + "/collections/keep").json()["result"]
    assert after["config"] == before["config"]
    assert requests.get(url + "/aliases").json()["result"]["aliases"] == [{"alias_name": "kept", "collection_name": "keep"}]
    assert requests.get(url + "/collections/kept/points/1").json()["result"] == {"id": 1, "payload": {"a": 1}, "vector": {"v": [0.6, 0.8]}}
    # and once more after kill -9 with nothing new: still the same
    server.kill()
    server.start()
    assert requests.get(server.url + "/collections/kept/points/1").json()["result"]["payload"] == {"a": 1}
    server.stop()


def test_a_collection_recreated_under_its_name_keeps_only_its_own_points(tmpdir_path):
    """Deleting a collection while its optimizers work, then creating one
    under the same name: reads, and the files after a restart, hold the new
    collection's points only, each once with its latest payload."""
    server = Server(tmpdir_path).start()
    rng = random.Random(11)
    url = server.url + "/collections/again"
    config = {"vectors": {"size": 16, "distance": "Cosine"},
              "optimizers_config": {"indexing_threshold": 20, "default_segment_number": 2}}
    try:
        for rnd in range(4):
            requests.delete(url)
            assert requests.put(url, json=config).status_code == 200
            for start in range(0, 3000, 500):
                points = [{"id": i, "vector": [rng.random() for _ in range(16)], "payload": {"round": rnd}}
                          for i in range(start, start + 500)]
                assert requests.put(url + "/points?wait=true", json={"points": points}).status_code == 200
            # optimizers are sealing, merging and indexing now
            time.sleep(rng.random() * 0.5)
        requests.post(url + "/points/payload?wait=true", json={"payload": {"last": True}, "points": [7]})

        def check():
            r = requests.post(url + "/points/scroll", json={"limit": 10000, "with_payload": True})
            points = r.json()["result"]["points"]
            assert len(points) == len({p["id"] for p in points}) == 3000
            assert {p["payload"]["round"] for p in points} == {3}
            assert [p["payload"].get("last") for p in points if p["id"] == 7] == [True]

        check()
        server.stop()
        server.start()
        check()
    finally:
        server.stop()
