//! Filtered graph search against brute force, at several selectivities and
//! for every distance: the planner's exact scans and filtered traversal
//! both find the true neighbours.

use segment::distance::Distance;
use segment::filter::{Condition, FieldCheck, FieldCondition, Filter, Match, MatchValue};
use segment::hnsw::HnswParams;
use segment::json_path::JsonPath;
use segment::payload_index::schema::{PayloadFieldSchema, PayloadSchemaType};
use segment::segment::graph::{QuantizationUse, SearchParams};
use segment::segment::search::QueryVector;
use segment::segment::Segment;
use segment::vector_storage::VectorKind;
use segment::vectors::{NamedVectors, Vector};
use segment::{Payload, PointId};

fn rand_stream(seed: u64) -> impl FnMut() -> f32 {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as f32 / (1u64 << 31) as f32) * 2.0 - 1.0
    }
}

fn build(distance: Distance, n: usize, dim: usize) -> Segment {
    let mut next = rand_stream(11);
    let mut segment = Segment::new(&[(String::new(), VectorKind::dense(dim))].into());
    segment
        .create_index(
            0,
            "bucket",
            PayloadFieldSchema::Type(PayloadSchemaType::Keyword),
        )
        .unwrap();
    for i in 0..n {
        let mut v: Vec<f32> = (0..dim).map(|_| next()).collect();
        if distance == Distance::Cosine {
            segment::vectors::normalize(&mut v);
        }
        // buckets of 1%, 10% and 50% of the points
        let bucket = match i % 100 {
            0 => "one",
            1..=10 => "ten",
            _ if i % 2 == 0 => "half",
            _ => "rest",
        };
        let payload: Payload = serde_json::json!({"bucket": bucket})
            .as_object()
            .unwrap()
            .clone();
        let vectors: NamedVectors = [(String::new(), Vector::Dense(v))].into();
        segment.upsert(1, PointId::Num(i as u64), vectors, payload);
    }
    let source = segment.graph_source("").unwrap();
    let index = source.build(
        distance,
        HnswParams {
            m: 16,
            ef_construct: 64,
            seed: 3,
            deterministic: false,
        },
    );
    drop(source);
    segment.install_graph("", index, None, u64::MAX);
    segment
}

fn filter(bucket: &str) -> Filter {
    Filter::must(vec![Condition::Field(FieldCondition {
        key: JsonPath::parse("bucket").unwrap(),
        check: FieldCheck::Match(Match::Value(MatchValue::Keyword(bucket.into()))),
    })])
}

#[test]
fn filtered_recall_at_every_selectivity() {
    let (n, dim) = (4000, 16);
    for distance in [
        Distance::Cosine,
        Distance::Dot,
        Distance::Euclid,
        Distance::Manhattan,
    ] {
        let segment = build(distance, n, dim);
        let mut next = rand_stream(99);
        for (bucket, scan_threshold) in [("one", 100), ("ten", 100), ("half", 100), ("ten", 10_000)]
        {
            let f = filter(bucket);
            let (mut hit, mut total) = (0, 0);
            for _ in 0..30 {
                let mut q: Vec<f32> = (0..dim).map(|_| next()).collect();
                if distance == Distance::Cosine {
                    segment::vectors::normalize(&mut q);
                }
                let truth: Vec<u32> = segment
                    .search_exact(
                        "",
                        &QueryVector::Dense(q.clone()),
                        distance,
                        Some(&f),
                        None,
                        10,
                    )
                    .iter()
                    .map(|h| h.offset)
                    .collect();
                let params = SearchParams {
                    ef: 64,
                    exact: false,
                    full_scan_threshold: scan_threshold,
                    indexed_only: false,
                    quantization: QuantizationUse::default(),
                };
                let found = segment.search_dense("", &q, distance, Some(&f), 10, params);
                for h in &found {
                    let id = segment.id_of(h.offset).unwrap();
                    let PointId::Num(i) = id else { panic!() };
                    assert!(
                        segment.matches(h.offset, &f),
                        "hit {i} does not match {bucket}"
                    );
                }
                total += truth.len();
                hit += truth
                    .iter()
                    .filter(|o| found.iter().any(|h| h.offset == **o))
                    .count();
            }
            let recall = hit as f64 / total as f64;
            assert!(
                recall >= 0.95,
                "{distance:?} {bucket} (scan below {scan_threshold}): recall {recall}"
            );
        }
    }
}

/// Payload-aware subgraphs: a filter on a block's value walks the block's
/// own graph; points moved into the value after the build are still found.
#[test]
fn payload_blocks_serve_their_filters() {
    let (n, dim) = (4000, 16);
    let distance = Distance::Cosine;
    let mut segment = build(distance, n, dim);
    let fields = vec!["bucket".to_string()];
    let blocks = segment.payload_blocks(&fields, 100, usize::MAX);
    let keys: Vec<_> = blocks.iter().map(|(k, _)| k.clone()).collect();
    assert_eq!(
        keys.len(),
        3,
        "ten, half and rest are large enough: {keys:?}"
    );
    assert_eq!(segment.payload_block_keys(&fields, 100, usize::MAX), keys);
    let source = segment.graph_source("").unwrap();
    let built = source.build_blocks(blocks, distance, HnswParams::default());
    drop(source);
    segment.install_blocks("", built);
    assert_eq!(segment.graph_blocks("").len(), 3);
    // a point moves into "ten" after the build: an exact duplicate of the
    // query, so it must come first
    let mut next = rand_stream(5);
    let mut q: Vec<f32> = (0..dim).map(|_| next()).collect();
    segment::vectors::normalize(&mut q);
    let mover = PointId::Num(3999);
    let vectors: NamedVectors = [(String::new(), Vector::Dense(q.clone()))].into();
    let payload: Payload = serde_json::json!({"bucket": "rest"})
        .as_object()
        .unwrap()
        .clone();
    segment.upsert(2, mover, vectors, payload);
    let source = segment.graph_source("").unwrap();
    let index = source.build(distance, HnswParams::default());
    drop(source);
    segment.install_graph("", index, None, u64::MAX);
    let blocks = segment.payload_blocks(&fields, 100, usize::MAX);
    let source = segment.graph_source("").unwrap();
    let built = source.build_blocks(blocks, distance, HnswParams::default());
    drop(source);
    let older_blocks = built.clone();
    segment.install_blocks("", built);
    let ten: Payload = serde_json::json!({"bucket": "ten"})
        .as_object()
        .unwrap()
        .clone();
    segment.set_payload(3, mover, &ten, None);
    let f = filter("ten");
    let params = SearchParams {
        ef: 64,
        exact: false,
        full_scan_threshold: 100,
        indexed_only: false,
        quantization: QuantizationUse::default(),
    };
    let found = segment.search_dense("", &q, distance, Some(&f), 10, params);
    assert_eq!(segment.id_of(found[0].offset), Some(mover));
    let truth: Vec<u32> = segment
        .search_exact(
            "",
            &QueryVector::Dense(q.clone()),
            distance,
            Some(&f),
            None,
            10,
        )
        .iter()
        .map(|h| h.offset)
        .collect();
    let hit = truth
        .iter()
        .filter(|o| found.iter().any(|h| h.offset == **o))
        .count();
    assert!(hit >= 9, "block search recall {hit}/10");
    // after a restart the record of touched points is gone and the block
    // files loaded predate the change: the mover is still found
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seg.bin");
    segment.save(&path).unwrap();
    let mut reloaded = Segment::load(&path).unwrap();
    let graph = segment.graph_index("").unwrap().clone();
    reloaded.install_graph("", graph, None, u64::MAX);
    reloaded.install_blocks("", older_blocks);
    let found = reloaded.search_dense("", &q, distance, Some(&f), 10, params);
    assert_eq!(reloaded.id_of(found[0].offset), Some(mover));
}
