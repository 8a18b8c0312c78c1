//! A batch of plain searches under one filter answers exactly what each
//! search answers alone, whatever plan the segments choose (exact scans
//! read every vector once for the batch; graph walks run per query).

mod common;

use std::time::Duration;

use collection::collection::Collection;
use collection::config::CollectionConfig;
use collection::operations::PointData;
use collection::query::{QueryKind, QueryNode, QueryRequest};
use collection::search::{QueryInput, SearchOptions};
use segment::filter::{Condition, FieldCheck, FieldCondition, Filter, Match, MatchValue, Range};
use segment::json_path::JsonPath;
use segment::payload_index::schema::{PayloadFieldSchema, PayloadSchemaType};
use segment::selector::{PayloadSelector, VectorSelector};
use segment::vectors::Vector;
use segment::PointId;
use serde_json::json;

const DIM: usize = 8;

fn collection(dir: &std::path::Path, distance: &str) -> Collection {
    // 32 vectors of 8 floats per KB: segments seal at 96 points, filters
    // matching under 128 points of a segment are scanned
    let config: CollectionConfig = serde_json::from_value(json!({
        "params": {"vectors": {"size": DIM, "distance": distance}, "shard_number": 1, "replication_factor": 1,
                   "write_consistency_factor": 1, "on_disk_payload": true},
        "hnsw_config": {"m": 8, "ef_construct": 32, "full_scan_threshold": 4, "max_indexing_threads": 1},
        "optimizer_config": {"deleted_threshold": 0.2, "vacuum_min_vector_number": 1000,
                             "default_segment_number": 3, "max_segment_size": null, "memmap_threshold": null,
                             "indexing_threshold": 3, "flush_interval_sec": 5, "max_optimization_threads": null},
        "wal_config": {"wal_capacity_mb": 1, "wal_segments_ahead": 0}
    }))
    .unwrap();
    Collection::create(dir, config).unwrap()
}

fn upsert(c: &Collection, ids: std::ops::Range<u64>) {
    let points = ids
        .map(|i| PointData {
            id: PointId::Num(i),
            vectors: [(String::new(), Vector::Dense(common::vector(i, 1, DIM)))].into(),
            // k: 10 values (10% each); rare: 1% of the points
            payload: json!({"k": format!("v{}", i % 10), "rare": i % 100 == 7, "n": i})
                .as_object()
                .unwrap()
                .clone(),
        })
        .collect();
    common::upsert(c, points);
}

fn request(
    q: Vec<f32>,
    filter: Option<Filter>,
    limit: usize,
    offset: usize,
    exact: bool,
) -> QueryRequest {
    QueryRequest {
        root: QueryNode {
            prefetch: Vec::new(),
            query: Some(QueryKind::Nearest(QueryInput::Vector(Vector::Dense(q)))),
            using: String::new(),
            filter,
            params: SearchOptions {
                exact,
                ..SearchOptions::default()
            },
            score_threshold: None,
            limit,
            lookup_from: None,
        },
        offset,
        with_payload: PayloadSelector::All,
        with_vector: VectorSelector::None,
    }
}

fn field(key: &str, check: FieldCheck) -> Condition {
    Condition::Field(FieldCondition {
        key: JsonPath::parse(key).unwrap(),
        check,
    })
}

fn matches(key: &str, value: MatchValue) -> Condition {
    field(key, FieldCheck::Match(Match::Value(value)))
}

#[test]
fn batches_answer_as_single_searches() {
    for distance in ["Cosine", "Dot", "Euclid"] {
        let dir = tempfile::tempdir().unwrap();
        let c = collection(dir.path(), distance);
        c.create_index("k", PayloadFieldSchema::Type(PayloadSchemaType::Keyword))
            .unwrap();
        upsert(&c, 0..2000);
        c.set_quiet_period(Duration::ZERO);
        while c.optimize().unwrap() {}
        // an unindexed appendable tail besides the indexed segments
        upsert(&c, 2000..2100);
        let filters = [
            None,
            // decided by the keyword index, 10%: scanned below the threshold
            Some(Filter::must(vec![matches(
                "k",
                MatchValue::Keyword("v3".into()),
            )])),
            // not indexed: checked per point
            Some(Filter::must(vec![matches("rare", MatchValue::Bool(true))])),
            Some(Filter {
                must: vec![field(
                    "n",
                    FieldCheck::Range(Range {
                        lt: Some(1500.0),
                        ..Range::default()
                    }),
                )],
                must_not: vec![matches("k", MatchValue::Keyword("v1".into()))],
                ..Filter::default()
            }),
        ];
        for f in &filters {
            for exact in [false, true] {
                let batch: Vec<QueryRequest> = (0..7u64)
                    .map(|i| {
                        request(
                            common::vector(10_000 + i, 2, DIM),
                            f.clone(),
                            3 + i as usize,
                            (i % 3) as usize,
                            exact,
                        )
                    })
                    .collect();
                let together = c.query_batch(&batch).unwrap();
                for (r, got) in batch.iter().zip(&together) {
                    let alone = c.query(r).unwrap();
                    assert_eq!(got, &alone, "{distance} {f:?} exact={exact}");
                    assert!(!alone.is_empty());
                }
            }
        }
        // a mixed batch: runs under one filter are grouped, the rest alone
        let mixed = vec![
            request(common::vector(1, 3, DIM), None, 5, 0, false),
            request(common::vector(2, 3, DIM), filters[1].clone(), 5, 0, false),
            request(common::vector(3, 3, DIM), filters[1].clone(), 4, 1, false),
            request(common::vector(4, 3, DIM), None, 5, 0, true),
        ];
        let together = c.query_batch(&mixed).unwrap();
        assert_eq!(together.len(), mixed.len());
        for (r, got) in mixed.iter().zip(&together) {
            assert_eq!(got, &c.query(r).unwrap());
        }
        // a bad query in a batch fails the batch as alone
        let mut bad = mixed.clone();
        bad[2] = request(vec![1.0; DIM + 1], filters[1].clone(), 5, 0, false);
        assert!(c.query_batch(&bad).is_err());
    }
}
