//! Golden files: collections whose write-ahead logs were written by earlier
//! record formats open with every operation replayed. An upgrade must never
//! lose an acknowledged write.
//!
//! `tests/golden/wal-v1` holds a collection that was never flushed (only
//! `config.json` and the log, JSON records) written by the format-1 code
//! with `write_golden` below; `expected` is what it holds.

use std::path::Path;

use collection::collection::Collection;
use collection::config::CollectionConfig;
use collection::operations::{PointData, PointSelection, UpdateMode, UpdateRequest};
use segment::json_path::JsonPath;
use segment::selector::{PayloadSelector, VectorSelector};
use segment::vectors::{NamedVectors, SparseVector, Vector};
use segment::{Payload, PointId};
use serde_json::json;

fn config() -> CollectionConfig {
    serde_json::from_value(json!({
        "params": {"vectors": {"a": {"size": 3, "distance": "Dot"},
                               "m": {"size": 2, "distance": "Euclid", "multivector_config": {"comparator": "max_sim"}}},
                   "sparse_vectors": {"s": {}},
                   "shard_number": 1, "replication_factor": 1,
                   "write_consistency_factor": 1, "on_disk_payload": true},
        "hnsw_config": {"m": 16, "ef_construct": 100, "full_scan_threshold": 10000, "max_indexing_threads": 0},
        "optimizer_config": {"deleted_threshold": 0.2, "vacuum_min_vector_number": 1000, "default_segment_number": 0,
                             "max_segment_size": null, "memmap_threshold": null, "indexing_threshold": 10000,
                             "flush_interval_sec": 5, "max_optimization_threads": null},
        "wal_config": {"wal_capacity_mb": 1, "wal_segments_ahead": 0}
    }))
    .unwrap()
}

fn payload(v: serde_json::Value) -> Payload {
    v.as_object().unwrap().clone()
}

fn uuid() -> PointId {
    PointId::Uuid("5c56c793-69f3-4fbf-87e6-c4bf54c28c26".parse().unwrap())
}

fn vectors(i: u64) -> NamedVectors {
    let f = i as f32;
    [
        ("a".to_string(), Vector::Dense(vec![f, 0.5, -f])),
        (
            "m".to_string(),
            Vector::Multi(vec![vec![f, 1.0], vec![2.0, f]]),
        ),
        (
            "s".to_string(),
            Vector::Sparse(SparseVector {
                // sorted by index, as stored (i < 7 or i == 9)
                indices: if i < 7 {
                    vec![i as u32, 7]
                } else {
                    vec![7, i as u32]
                },
                values: if i < 7 { vec![f, 0.25] } else { vec![0.25, f] },
            }),
        ),
    ]
    .into()
}

/// The operations the golden collections log.
fn operations() -> Vec<UpdateRequest> {
    let upsert = |points: Vec<PointData>| UpdateRequest::Upsert {
        points,
        update_filter: None,
        mode: UpdateMode::Upsert,
    };
    let ids = |ids: Vec<PointId>| PointSelection::Ids(ids);
    vec![
        upsert(
            (1..=5)
                .map(|i| PointData {
                    id: PointId::Num(i),
                    vectors: vectors(i),
                    payload: payload(
                        json!({"n": i, "tag": format!("t{i}"), "nested": {"x": [i, 1.5]}}),
                    ),
                })
                .chain(std::iter::once(PointData {
                    id: uuid(),
                    vectors: vectors(9),
                    payload: Payload::new(),
                }))
                .collect(),
        ),
        UpdateRequest::Delete(ids(vec![PointId::Num(2)])),
        UpdateRequest::UpdateVectors {
            points: vec![(
                PointId::Num(3),
                [("a".to_string(), Vector::Dense(vec![9.0, 8.0, 7.0]))].into(),
            )],
            update_filter: None,
        },
        UpdateRequest::SetPayload {
            selection: ids(vec![PointId::Num(1), uuid()]),
            payload: payload(json!({"city": "Berlin"})),
            key: None,
        },
        UpdateRequest::OverwritePayload {
            selection: ids(vec![PointId::Num(4)]),
            payload: payload(json!({"only": true})),
        },
        UpdateRequest::DeletePayload {
            selection: ids(vec![PointId::Num(5)]),
            keys: vec![JsonPath::parse("tag").unwrap()],
        },
        UpdateRequest::ClearPayload(ids(vec![PointId::Num(3)])),
        UpdateRequest::DeleteVectors {
            selection: ids(vec![PointId::Num(5)]),
            names: vec!["m".to_string()],
        },
    ]
}

/// What the logged operations leave: id, vectors, payload.
fn expected() -> Vec<(PointId, NamedVectors, Payload)> {
    let mut v3 = vectors(3);
    v3.insert("a".into(), Vector::Dense(vec![9.0, 8.0, 7.0]));
    let mut v5 = vectors(5);
    v5.remove("m");
    vec![
        (
            PointId::Num(1),
            vectors(1),
            payload(json!({"n": 1, "tag": "t1", "nested": {"x": [1, 1.5]}, "city": "Berlin"})),
        ),
        (PointId::Num(3), v3, Payload::new()),
        (PointId::Num(4), vectors(4), payload(json!({"only": true}))),
        (
            PointId::Num(5),
            v5,
            payload(json!({"n": 5, "nested": {"x": [5, 1.5]}})),
        ),
        (uuid(), vectors(9), payload(json!({"city": "Berlin"}))),
    ]
}

fn check(c: &Collection) {
    let (records, _) = c
        .scroll(None, None, 100, &PayloadSelector::All, &VectorSelector::All)
        .unwrap();
    let got: Vec<_> = records
        .into_iter()
        .map(|r| (r.id, r.vectors.unwrap(), r.payload.unwrap()))
        .collect();
    assert_eq!(got, expected());
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn golden(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// Writes a golden collection with the current format into
/// `$VECTORIZER_GOLDEN_OUT` (run explicitly when a format changes).
#[test]
#[ignore]
fn write_golden() {
    let out = std::env::var("VECTORIZER_GOLDEN_OUT").expect("VECTORIZER_GOLDEN_OUT");
    let c = Collection::create(Path::new(&out), config()).unwrap();
    for op in operations() {
        c.update(op).unwrap();
    }
    check(&c);
}

#[test]
fn format_1_log_replays() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&golden("wal-v1"), dir.path());
    let c = Collection::open(dir.path()).unwrap();
    check(&c);
    // a log holding records of both formats replays too
    c.update(UpdateRequest::Delete(PointSelection::Ids(vec![
        PointId::Num(2),
    ])))
    .unwrap();
    drop(c);
    check(&Collection::open(dir.path()).unwrap());
}

#[test]
fn current_format_replays() {
    let dir = tempfile::tempdir().unwrap();
    let c = Collection::create(dir.path(), config()).unwrap();
    for op in operations() {
        c.update(op).unwrap();
    }
    drop(c);
    check(&Collection::open(dir.path()).unwrap());
}
