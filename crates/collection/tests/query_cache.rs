//! Repeated prefetches (within a request or across a batch) are computed
//! once, with the same answers as computing each.

mod common;

use collection::collection::Collection;
use collection::config::CollectionConfig;
use collection::operations::PointData;
use collection::query::{Fusion, QueryKind, QueryNode, QueryRequest, DEFAULT_RRF_K};
use collection::search::{QueryInput, SearchOptions};
use segment::selector::{PayloadSelector, VectorSelector};
use segment::vectors::Vector;
use segment::PointId;
use serde_json::json;

fn leaf(q: [f32; 2]) -> QueryNode {
    QueryNode {
        prefetch: Vec::new(),
        query: Some(QueryKind::Nearest(QueryInput::Vector(Vector::Dense(
            q.to_vec(),
        )))),
        using: String::new(),
        filter: None,
        params: SearchOptions::default(),
        score_threshold: None,
        limit: 5,
        lookup_from: None,
    }
}

fn fused(prefetch: Vec<QueryNode>) -> QueryRequest {
    QueryRequest {
        root: QueryNode {
            prefetch,
            query: Some(QueryKind::Fusion(Fusion::Rrf {
                k: DEFAULT_RRF_K,
                weights: None,
            })),
            limit: 10,
            ..leaf([0.0, 0.0])
        },
        offset: 0,
        with_payload: PayloadSelector::None,
        with_vector: VectorSelector::None,
    }
}

#[test]
fn repeated_prefetches_run_once() {
    let dir = tempfile::tempdir().unwrap();
    let config: CollectionConfig = serde_json::from_value(json!({
        "params": {"vectors": {"size": 2, "distance": "Dot"}, "shard_number": 1, "replication_factor": 1,
                   "write_consistency_factor": 1, "on_disk_payload": true},
        "hnsw_config": {"m": 16, "ef_construct": 100, "full_scan_threshold": 10000, "max_indexing_threads": 0},
        "optimizer_config": {"deleted_threshold": 0.2, "vacuum_min_vector_number": 1000, "default_segment_number": 0,
                             "max_segment_size": null, "memmap_threshold": null, "indexing_threshold": 10000,
                             "flush_interval_sec": 5, "max_optimization_threads": null},
        "wal_config": {"wal_capacity_mb": 1, "wal_segments_ahead": 0}
    }))
    .unwrap();
    let c = Collection::create(dir.path(), config).unwrap();
    let points = (0..50u64)
        .map(|i| PointData {
            id: PointId::Num(i),
            vectors: [(
                String::new(),
                Vector::Dense(vec![(i as f32).sin(), (i as f32).cos()]),
            )]
            .into(),
            payload: json!({}).as_object().unwrap().clone(),
        })
        .collect();
    common::upsert(&c, points);
    let (a, b) = (leaf([1.0, 0.0]), leaf([0.0, 1.0]));
    // the same sub-query three times in one request: one search
    let before = c.searches_run();
    let repeated = c
        .query(&fused(vec![a.clone(), a.clone(), a.clone()]))
        .unwrap();
    assert_eq!(c.searches_run() - before, 1);
    // across a batch: two distinct sub-queries, two searches
    let before = c.searches_run();
    let batch = c
        .query_batch(&[
            fused(vec![a.clone(), b.clone()]),
            fused(vec![b.clone(), a.clone()]),
        ])
        .unwrap();
    assert_eq!(c.searches_run() - before, 2);
    // the answers are those of separate runs
    let single = |r: &QueryRequest| c.query(r).unwrap();
    assert_eq!(batch[0], single(&fused(vec![a.clone(), b.clone()])));
    assert_eq!(batch[1], single(&fused(vec![b, a.clone()])));
    assert_eq!(repeated.len(), 5);
    assert_eq!(repeated[0].id, single(&fused(vec![a])).first().unwrap().id);
}
