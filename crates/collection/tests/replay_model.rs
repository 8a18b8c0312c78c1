//! Property test: a collection driven by random operations, flushed and
//! reopened (as after a crash) at random moments, always equals a plain
//! in-memory model of what was acknowledged.

mod common;

use std::collections::BTreeMap;

use collection::collection::Collection;
use collection::config::CollectionConfig;
use collection::operations::{PointData, PointSelection, UpdateRequest};
use proptest::prelude::*;
use segment::json_path::JsonPath;
use segment::selector::{PayloadSelector, VectorSelector};
use segment::vectors::{NamedVectors, Vector};
use segment::{Payload, PointId};
use serde_json::json;

#[derive(Debug, Clone)]
enum Step {
    Upsert(u64, f32, i64),
    Delete(u64),
    SetPayload(u64, i64),
    DeleteKey(u64),
    Flush,
    Reopen,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..20u64, -1.0f32..1.0, 0..5i64).prop_map(|(i, v, p)| Step::Upsert(i, v, p)),
        1 => (0..20u64).prop_map(Step::Delete),
        2 => (0..20u64, 0..5i64).prop_map(|(i, p)| Step::SetPayload(i, p)),
        1 => (0..20u64).prop_map(Step::DeleteKey),
        1 => Just(Step::Flush),
        1 => Just(Step::Reopen),
    ]
}

fn config() -> CollectionConfig {
    serde_json::from_value(json!({
        "params": {"vectors": {"size": 2, "distance": "Dot"}, "shard_number": 1, "replication_factor": 1,
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

type Model = BTreeMap<u64, (Vec<f32>, Payload)>;

fn check(c: &Collection, model: &Model) {
    let (records, next) = c
        .scroll(
            None,
            None,
            1000,
            &PayloadSelector::All,
            &VectorSelector::All,
        )
        .unwrap();
    assert_eq!(next, None);
    let got: Model = records
        .into_iter()
        .map(|r| {
            let PointId::Num(id) = r.id else {
                panic!("numeric ids only")
            };
            let Some(Vector::Dense(v)) = r.vectors.unwrap().remove("") else {
                panic!("dense vector")
            };
            (id, (v, r.payload.unwrap()))
        })
        .collect();
    assert_eq!(&got, model);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn reopened_state_equals_model(steps in proptest::collection::vec(step(), 1..60)) {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Collection::create(dir.path(), config()).unwrap();
        let mut model = Model::new();
        for s in steps {
            match s {
                Step::Upsert(id, v, p) => {
                    let vectors: NamedVectors = [(String::new(), Vector::Dense(vec![v, 1.0]))].into();
                    let data = PointData { id: PointId::Num(id), vectors, payload: payload(json!({"p": p, "k": 1})) };
                    common::upsert(&c, vec![data.clone()]);
                    model.insert(id, (vec![v, 1.0], data.payload));
                }
                Step::Delete(id) => {
                    c.update(UpdateRequest::Delete(PointSelection::Ids(vec![PointId::Num(id)]))).unwrap();
                    model.remove(&id);
                }
                Step::SetPayload(id, p) => {
                    let result = c.update(UpdateRequest::SetPayload {
                        selection: PointSelection::Ids(vec![PointId::Num(id)]),
                        payload: payload(json!({"p": p})),
                        key: None,
                    });
                    match model.get_mut(&id) {
                        Some(entry) => {
                            result.unwrap();
                            entry.1.insert("p".into(), json!(p));
                        }
                        None => prop_assert!(result.is_err()),
                    }
                }
                Step::DeleteKey(id) => {
                    let result = c.update(UpdateRequest::DeletePayload {
                        selection: PointSelection::Ids(vec![PointId::Num(id)]),
                        keys: vec![JsonPath::parse("k").unwrap()],
                    });
                    match model.get_mut(&id) {
                        Some(entry) => {
                            result.unwrap();
                            entry.1.shift_remove("k");
                        }
                        None => prop_assert!(result.is_err()),
                    }
                }
                Step::Flush => c.flush().unwrap(),
                Step::Reopen => {
                    drop(c);
                    c = Collection::open(dir.path()).unwrap();
                }
            }
            check(&c, &model);
        }
        drop(c);
        let reopened = Collection::open(dir.path()).unwrap();
        check(&reopened, &model);
    }
}

#[derive(Debug, Clone)]
enum SegStep {
    Upsert(u64, f32),
    UpdateVector(u64, f32),
    Delete(u64),
    SetPayload(u64, i64),
    Optimize,
    Flush,
    Reopen,
}

fn seg_step() -> impl Strategy<Value = SegStep> {
    prop_oneof![
        5 => (0..30u64, -1.0f32..1.0).prop_map(|(i, v)| SegStep::Upsert(i, v)),
        2 => (0..30u64, -1.0f32..1.0).prop_map(|(i, v)| SegStep::UpdateVector(i, v)),
        2 => (0..30u64).prop_map(SegStep::Delete),
        2 => (0..30u64, 0..5i64).prop_map(|(i, p)| SegStep::SetPayload(i, p)),
        3 => Just(SegStep::Optimize),
        1 => Just(SegStep::Flush),
        1 => Just(SegStep::Reopen),
    ]
}

const DIM: usize = 64;

/// Sealing after 4 vectors (1 KB of 64-d vectors), merging past 2 sealed
/// segments, vacuuming from the first deleted point.
fn segmented_config() -> CollectionConfig {
    let mut c = config();
    c.params = serde_json::from_value(
        json!({"vectors": {"size": DIM, "distance": "Dot"}, "shard_number": 1,
        "replication_factor": 1, "write_consistency_factor": 1, "on_disk_payload": true}),
    )
    .unwrap();
    c.optimizer_config.indexing_threshold = Some(1);
    c.optimizer_config.default_segment_number = 2;
    c.optimizer_config.vacuum_min_vector_number = 1;
    c.optimizer_config.deleted_threshold = 0.01;
    c
}

fn vector(v: f32) -> Vec<f32> {
    let mut out = vec![0.0; DIM];
    out[0] = v;
    out[1] = 1.0;
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// With segments sealed, indexed, merged and vacuumed between writes,
    /// reads and recovery still equal the model.
    #[test]
    fn optimized_segments_equal_model(steps in proptest::collection::vec(seg_step(), 1..80)) {
        let dir = tempfile::tempdir().unwrap();
        let mut config = segmented_config();
        // half the runs keep sealed vectors in mapped files
        if steps.len() % 2 == 0 {
            config.params = serde_json::from_value(json!({"vectors": {"size": DIM, "distance": "Dot", "on_disk": true},
                "shard_number": 1, "replication_factor": 1, "write_consistency_factor": 1, "on_disk_payload": true}))
            .unwrap();
        }
        let mut c = Collection::create(dir.path(), config).unwrap();
        let mut model = Model::new();
        for s in steps {
            match s {
                SegStep::Upsert(id, v) => {
                    let vectors: NamedVectors = [(String::new(), Vector::Dense(vector(v)))].into();
                    let data = PointData { id: PointId::Num(id), vectors, payload: payload(json!({"p": 0})) };
                    common::upsert(&c, vec![data.clone()]);
                    model.insert(id, (vector(v), data.payload));
                }
                SegStep::UpdateVector(id, v) => {
                    let vectors: NamedVectors = [(String::new(), Vector::Dense(vector(v)))].into();
                    let result = c.update(UpdateRequest::UpdateVectors { points: vec![(PointId::Num(id), vectors)], update_filter: None });
                    match model.get_mut(&id) {
                        Some(entry) => {
                            result.unwrap();
                            entry.0 = vector(v);
                        }
                        None => prop_assert!(result.is_err()),
                    }
                }
                SegStep::Delete(id) => {
                    c.update(UpdateRequest::Delete(PointSelection::Ids(vec![PointId::Num(id)]))).unwrap();
                    model.remove(&id);
                }
                SegStep::SetPayload(id, p) => {
                    let result = c.update(UpdateRequest::SetPayload {
                        selection: PointSelection::Ids(vec![PointId::Num(id)]),
                        payload: payload(json!({"p": p})),
                        key: None,
                    });
                    match model.get_mut(&id) {
                        Some(entry) => {
                            result.unwrap();
                            entry.1.insert("p".into(), json!(p));
                        }
                        None => prop_assert!(result.is_err()),
                    }
                }
                SegStep::Optimize => {
                    common::optimize_now(&c);
                }
                SegStep::Flush => c.flush().unwrap(),
                SegStep::Reopen => {
                    drop(c);
                    c = Collection::open(dir.path()).unwrap();
                }
            }
            check(&c, &model);
            prop_assert_eq!(c.count(None), model.len());
            prop_assert!(c.stats().segments_count <= 4, "{:?}", c.stats());
        }
        common::optimize_now(&c);
        check(&c, &model);
        drop(c);
        let reopened = Collection::open(dir.path()).unwrap();
        check(&reopened, &model);
    }
}

/// The optimizers run as configured: sealing with graphs, merging down to
/// `default_segment_number` sealed segments, vacuuming deleted points.
#[test]
fn optimizers_seal_merge_and_vacuum() {
    let dir = tempfile::tempdir().unwrap();
    let c = Collection::create(dir.path(), segmented_config()).unwrap();
    let upsert = |ids: std::ops::Range<u64>| {
        let points = ids
            .map(|id| PointData {
                id: PointId::Num(id),
                vectors: [(String::new(), Vector::Dense(vector(id as f32 / 100.0)))].into(),
                payload: payload(json!({"p": id})),
            })
            .collect();
        common::upsert(&c, points);
    };
    for batch in 0..6 {
        upsert(batch * 5..batch * 5 + 5);
        common::optimize_now(&c);
    }
    let stats = c.stats();
    // 6 sealed batches merged down to one, beside the (empty) appendable
    // one: `default_segment_number` counts it, as in Qdrant
    assert_eq!(stats.segments_count, 2, "{stats:?}");
    assert_eq!(stats.indexed_vectors_count, 30);
    assert_eq!(stats.points_count, 30);
    // deleting from a sealed segment leaves a hole the vacuum removes
    c.update(UpdateRequest::Delete(PointSelection::Ids(vec![
        PointId::Num(3),
    ])))
    .unwrap();
    assert!(common::optimize_now(&c));
    assert_eq!(c.stats().indexed_vectors_count, 29);
    // a vector update moves the point into the appendable segment
    c.update(UpdateRequest::UpdateVectors {
        points: vec![(
            PointId::Num(7),
            [(String::new(), Vector::Dense(vector(9.0)))].into(),
        )],
        update_filter: None,
    })
    .unwrap();
    let stats = c.stats();
    assert_eq!(stats.indexed_vectors_count, 28);
    assert_eq!(stats.points_count, 29);
    c.flush().unwrap();
    drop(c);
    let c = Collection::open(dir.path()).unwrap();
    let stats = c.stats();
    assert_eq!((stats.points_count, stats.indexed_vectors_count), (29, 28));
    let files = std::fs::read_dir(dir.path().join("0/segments"))
        .unwrap()
        .count();
    // one sealed segment with its graph, and the appendable one
    assert_eq!(files, 3);
}

/// `on_disk` vectors of sealed segments are served from mapped files,
/// before and after a restart, and survive merges and vector moves.
#[test]
fn on_disk_vectors_are_mapped() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = segmented_config();
    config.params = serde_json::from_value(json!({"vectors": {"size": DIM, "distance": "Dot", "on_disk": true},
        "shard_number": 1, "replication_factor": 1, "write_consistency_factor": 1, "on_disk_payload": true}))
    .unwrap();
    let c = Collection::create(dir.path(), config).unwrap();
    let mut model = Model::new();
    for batch in 0..5u64 {
        let points: Vec<PointData> = (batch * 6..batch * 6 + 6)
            .map(|id| PointData {
                id: PointId::Num(id),
                vectors: [(String::new(), Vector::Dense(vector(id as f32)))].into(),
                payload: payload(json!({"p": id})),
            })
            .collect();
        for p in &points {
            let PointId::Num(id) = p.id else {
                unreachable!()
            };
            model.insert(id, (vector(id as f32), p.payload.clone()));
        }
        common::upsert(&c, points);
        common::optimize_now(&c);
    }
    check(&c, &model);
    let vec_files = |dir: &std::path::Path| {
        std::fs::read_dir(dir.join("0/segments"))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".vec")
            })
            .count()
    };
    c.flush().unwrap();
    assert_eq!(vec_files(dir.path()), 1, "one file for the sealed segment");
    // moving a point out of a mapped segment
    c.update(UpdateRequest::UpdateVectors {
        points: vec![(
            PointId::Num(2),
            [(String::new(), Vector::Dense(vector(50.0)))].into(),
        )],
        update_filter: None,
    })
    .unwrap();
    model.get_mut(&2).unwrap().0 = vector(50.0);
    common::optimize_now(&c);
    check(&c, &model);
    c.flush().unwrap();
    drop(c);
    let c = Collection::open(dir.path()).unwrap();
    check(&c, &model);
    assert!(vec_files(dir.path()) >= 1);
}
