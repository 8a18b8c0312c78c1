//! Property test of the optimizers: random upserts and deletions under
//! random thresholds, optimizations run now and then, then to idle. Idle,
//! the collection has at most `default_segment_number` segments (two when
//! one is asked: a sealed one and the appendable one), every
//! point outside the appendable segment (which stays below the indexing
//! threshold) is in a graph, searches through the graphs find the points,
//! and no point is lost or duplicated.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use collection::collection::Collection;
use collection::config::CollectionConfig;
use collection::operations::{PointData, PointSelection, UpdateRequest};
use collection::search::{QueryInput, SearchOptions, SearchRequest};
use proptest::prelude::*;
use segment::selector::{PayloadSelector, VectorSelector};
use segment::vectors::Vector;
use segment::PointId;
use serde_json::json;

const DIM: usize = 16;

#[derive(Debug, Clone)]
enum Step {
    /// Upsert ids `start..start + len`, with vectors seeded by the third
    /// value.
    Upsert(u64, u64, u32),
    /// Delete ids `start..start + len`.
    Delete(u64, u64),
    /// Run the optimizers until nothing is due.
    Optimize,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        5 => (0..400u64, 1..120u64, any::<u32>()).prop_map(|(s, n, v)| Step::Upsert(s, n, v)),
        2 => (0..400u64, 1..60u64).prop_map(|(s, n)| Step::Delete(s, n)),
        2 => Just(Step::Optimize),
    ]
}

fn config(threshold_kb: u64, segments: u64, vacuum: u64) -> CollectionConfig {
    serde_json::from_value(json!({
        "params": {"vectors": {"size": DIM, "distance": "Cosine"}, "shard_number": 1, "replication_factor": 1,
                   "write_consistency_factor": 1, "on_disk_payload": true},
        "hnsw_config": {"m": 8, "ef_construct": 32, "full_scan_threshold": 1, "max_indexing_threads": 1},
        "optimizer_config": {"deleted_threshold": 0.2, "vacuum_min_vector_number": vacuum,
                             "default_segment_number": segments, "max_segment_size": null, "memmap_threshold": null,
                             "indexing_threshold": threshold_kb, "flush_interval_sec": 5,
                             "max_optimization_threads": null},
        "wal_config": {"wal_capacity_mb": 1, "wal_segments_ahead": 0}
    }))
    .unwrap()
}

/// Upserts the points `ids` with vectors of seed 1 and no payload.
fn upsert_range(c: &Collection, ids: std::ops::Range<u64>) {
    let points = ids
        .map(|id| PointData {
            id: PointId::Num(id),
            vectors: [(String::new(), Vector::Dense(common::vector(id, 1, DIM)))].into(),
            payload: Default::default(),
        })
        .collect();
    common::upsert(c, points);
}

fn idle(c: &Collection) {
    c.set_quiet_period(Duration::ZERO);
    while c.optimize().unwrap() {}
    assert!(!c.stats().optimizing);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn idle_optimizers_converge(
        threshold_kb in 1..4u64,
        segments in 1..4u64,
        vacuum in 1..200u64,
        steps in proptest::collection::vec(step(), 1..25),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let c = Collection::create(dir.path(), config(threshold_kb, segments, vacuum)).unwrap();
        // writes never pause long enough during the steps
        c.set_quiet_period(Duration::from_secs(3600));
        let mut model: BTreeMap<u64, Vec<f32>> = BTreeMap::new();
        for s in steps {
            match s {
                Step::Upsert(start, len, seed) => {
                    let points = (start..start + len)
                        .map(|id| PointData {
                            id: PointId::Num(id),
                            vectors: [(String::new(), Vector::Dense(common::vector(id, seed.into(), DIM)))].into(),
                            payload: Default::default(),
                        })
                        .collect();
                    common::upsert(&c, points);
                    for id in start..start + len {
                        model.insert(id, common::vector(id, seed.into(), DIM));
                    }
                }
                Step::Delete(start, len) => {
                    let ids = (start..start + len).map(PointId::Num).collect();
                    c.update(UpdateRequest::Delete(PointSelection::Ids(ids))).unwrap();
                    model.retain(|id, _| !(start..start + len).contains(id));
                }
                Step::Optimize => {
                    c.optimize().unwrap();
                }
            }
        }
        idle(&c);
        let stats = c.stats();
        // the appendable segment counts, as in Qdrant; with one wanted, one
        // sealed segment sits beside it
        prop_assert!(stats.segments_count as u64 <= segments.max(2), "{stats:?}");
        // only the appendable segment is unindexed, and it is below the
        // threshold (threshold_kb of 16-d f32 vectors)
        let threshold = (threshold_kb as usize * 1024) / (DIM * 4);
        prop_assert!(stats.points_count - stats.indexed_vectors_count < threshold, "{stats:?}");
        prop_assert_eq!(stats.points_count, model.len());
        let (records, _) = c.scroll(None, None, 10_000, &PayloadSelector::None, &VectorSelector::All).unwrap();
        let got: BTreeMap<u64, Vec<f32>> = records
            .into_iter()
            .map(|r| {
                let PointId::Num(id) = r.id else { panic!("numeric ids") };
                let Some(Vector::Dense(v)) = r.vectors.unwrap().remove("") else { panic!("dense") };
                (id, v)
            })
            .collect();
        prop_assert_eq!(got.len(), model.len());
        for (id, v) in &model {
            let stored = &got[id];
            // stored normalized (Cosine)
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            for (a, b) in stored.iter().zip(v) {
                prop_assert!((a - b / norm).abs() < 1e-5);
            }
        }
        // the graphs (kept through merges) find the points
        let mut found = 0;
        let probes: Vec<_> = model.iter().step_by(7).collect();
        for (id, v) in &probes {
            let hits = c.search(&SearchRequest {
                using: String::new(),
                query: QueryInput::Vector(Vector::Dense(v.to_vec())),
                filter: None,
                limit: 1,
                offset: 0,
                score_threshold: None,
                with_payload: PayloadSelector::None,
                with_vector: VectorSelector::None,
                params: SearchOptions::default(),
            }).unwrap();
            found += usize::from(hits.first().is_some_and(|h| h.id == PointId::Num(**id)));
        }
        prop_assert!(found * 100 >= probes.len() * 95, "{found} of {}", probes.len());
    }
}

/// `indexing_threshold: 0` turns indexing off (what bulk uploads set
/// before indexing at once): a collection with sealed segments seals and
/// merges nothing new, even once writes pause.
#[test]
fn indexing_off_builds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let c = Collection::create(dir.path(), config(1, 2, 100)).unwrap();
    let upsert = |ids: std::ops::Range<u64>| upsert_range(&c, ids);
    upsert(0..100);
    idle(&c);
    assert_eq!(c.stats().indexed_vectors_count, 100);
    c.update_config(|config| {
        config.optimizer_config.indexing_threshold = Some(0);
        Ok(())
    })
    .unwrap();
    upsert(100..150);
    idle(&c);
    let stats = c.stats();
    assert_eq!(
        (stats.points_count, stats.indexed_vectors_count),
        (150, 100)
    );
}

/// While writes flow, merges wait for a pause: an upload seals segment
/// after segment and nothing copies them, until more than a bounded number
/// pile up (then the smallest half is merged); once writes pause, one
/// merge brings the count to `default_segment_number`, and the pending
/// merges keep the collection yellow until then.
#[test]
fn merges_wait_for_writes_to_pause() {
    let dir = tempfile::tempdir().unwrap();
    let c = Collection::create(dir.path(), config(1, 2, 100)).unwrap();
    c.set_quiet_period(Duration::from_secs(3600));
    // 1 KB of 16-d vectors is 16 points: each batch fills a segment
    for batch in 0..40u64 {
        upsert_range(&c, batch * 16..batch * 16 + 16);
        while c.optimize().unwrap() {}
        let stats = c.stats();
        assert!(stats.segments_count <= 18, "{stats:?}");
        assert_eq!(stats.points_count as u64, batch * 16 + 16);
    }
    let report = c.optimizations();
    assert!(report.completed.iter().any(|o| o.optimizer == "merge"));
    assert!(c.stats().optimizing, "merges are pending");
    assert!(c.stats().segments_count > 2);
    idle(&c);
    let stats = c.stats();
    assert!(stats.segments_count <= 2, "{stats:?}");
    assert_eq!(
        (stats.points_count, stats.indexed_vectors_count),
        (640, 640)
    );
}
