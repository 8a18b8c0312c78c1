use segment::vectors::{NamedVectors, Vector};
use serde_json::json;

use super::*;
use crate::operations::PointData;

fn config() -> CollectionConfig {
    serde_json::from_value(json!({
        "params": {"vectors": {"size": 2, "distance": "Cosine"}, "shard_number": 1, "replication_factor": 1,
                   "write_consistency_factor": 1, "on_disk_payload": true},
        "hnsw_config": {"m": 16, "ef_construct": 100, "full_scan_threshold": 10000, "max_indexing_threads": 0, "on_disk": false},
        "optimizer_config": {"deleted_threshold": 0.2, "vacuum_min_vector_number": 1000, "default_segment_number": 0,
                             "max_segment_size": null, "memmap_threshold": null, "indexing_threshold": 10000,
                             "flush_interval_sec": 5, "max_optimization_threads": null},
        "wal_config": {"wal_capacity_mb": 1, "wal_segments_ahead": 0}
    }))
    .unwrap()
}

fn point(id: u64, v: [f32; 2]) -> PointData {
    let vectors: NamedVectors = [(String::new(), Vector::Dense(v.to_vec()))].into();
    PointData {
        id: PointId::Num(id),
        vectors,
        payload: json!({"n": id}).as_object().unwrap().clone(),
    }
}

fn upsert(c: &Collection, points: Vec<PointData>) -> Result<u64> {
    c.update(UpdateRequest::Upsert {
        points,
        update_filter: None,
        mode: UpdateMode::Upsert,
    })
}

#[test]
fn operations_are_numbered_from_one_and_normalized() {
    let dir = tempfile::tempdir().unwrap();
    let c = Collection::create(dir.path(), config()).unwrap();
    assert_eq!(upsert(&c, vec![point(1, [3.0, 4.0])]).unwrap(), 1);
    assert_eq!(upsert(&c, vec![point(2, [1.0, 0.0])]).unwrap(), 2);
    let recs = c
        .retrieve(
            &[PointId::Num(1)],
            &PayloadSelector::All,
            &VectorSelector::All,
        )
        .unwrap();
    assert_eq!(
        recs[0].vectors.as_ref().unwrap()[""],
        Vector::Dense(vec![0.6, 0.8])
    );
    let err = upsert(
        &c,
        vec![
            point(3, [1.0, 0.0]),
            PointData {
                vectors: [(String::new(), Vector::Dense(vec![1.0]))].into(),
                ..point(4, [0.0, 0.0])
            },
        ],
    );
    assert_eq!(
        err.unwrap_err().to_string(),
        "Wrong input: Vector dimension error: expected dim: 2, got 1"
    );
    assert_eq!(c.count(None), 2, "a rejected batch stores nothing");
}

#[test]
fn recovers_unflushed_operations_from_the_log() {
    let dir = tempfile::tempdir().unwrap();
    {
        let c = Collection::create(dir.path(), config()).unwrap();
        upsert(&c, (0..10).map(|i| point(i, [1.0, i as f32])).collect()).unwrap();
        c.flush().unwrap();
        upsert(&c, vec![point(100, [1.0, 1.0])]).unwrap();
        c.update(UpdateRequest::Delete(PointSelection::Ids(vec![
            PointId::Num(0),
        ])))
        .unwrap();
        // dropped without a flush: the last two operations live only in the log
    }
    let c = Collection::open(dir.path()).unwrap();
    assert_eq!(c.count(None), 10);
    let recs = c
        .retrieve(
            &[PointId::Num(100), PointId::Num(0)],
            &PayloadSelector::All,
            &VectorSelector::None,
        )
        .unwrap();
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].version, 2);
    assert_eq!(
        upsert(&c, vec![point(5, [0.0, 1.0])]).unwrap(),
        4,
        "numbering continues"
    );
}

#[test]
fn payload_updates_require_existing_points() {
    let dir = tempfile::tempdir().unwrap();
    let c = Collection::create(dir.path(), config()).unwrap();
    upsert(&c, vec![point(1, [1.0, 0.0])]).unwrap();
    let err = c.update(UpdateRequest::SetPayload {
        selection: PointSelection::Ids(vec![PointId::Num(7)]),
        payload: Default::default(),
        key: None,
    });
    assert_eq!(
        err.unwrap_err().to_string(),
        "Not found: No point with id 7 found"
    );
}

#[test]
fn scroll_pages_in_id_order() {
    let dir = tempfile::tempdir().unwrap();
    let c = Collection::create(dir.path(), config()).unwrap();
    upsert(
        &c,
        [5, 1, 3, 2].iter().map(|&i| point(i, [1.0, 0.0])).collect(),
    )
    .unwrap();
    let (page, next) = c
        .scroll(None, None, 2, &PayloadSelector::None, &VectorSelector::None)
        .unwrap();
    assert_eq!(
        page.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![PointId::Num(1), PointId::Num(2)]
    );
    assert_eq!(next, Some(PointId::Num(3)));
    let (page, next) = c
        .scroll(None, next, 2, &PayloadSelector::None, &VectorSelector::None)
        .unwrap();
    assert_eq!(page.len(), 2);
    assert_eq!(next, None);
}
