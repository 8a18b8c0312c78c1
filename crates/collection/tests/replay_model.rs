//! Property test: a collection driven by random operations, flushed and
//! reopened (as after a crash) at random moments, always equals a plain
//! in-memory model of what was acknowledged.

use std::collections::BTreeMap;

use collection::collection::Collection;
use collection::config::CollectionConfig;
use collection::operations::{PointData, PointSelection, UpdateMode, UpdateRequest};
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
                    c.update(UpdateRequest::Upsert { points: vec![data.clone()], update_filter: None, mode: UpdateMode::Upsert }).unwrap();
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
