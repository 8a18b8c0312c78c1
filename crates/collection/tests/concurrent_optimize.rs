//! Optimizers running while writers and readers work: no point is lost or
//! seen twice, and searches keep answering.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use collection::collection::Collection;
use collection::config::CollectionConfig;
use collection::operations::{PointData, PointSelection, UpdateRequest};
use collection::search::{QueryInput, SearchOptions, SearchRequest};
use segment::selector::{PayloadSelector, VectorSelector};
use segment::vectors::Vector;
use segment::PointId;
use serde_json::json;

const DIM: usize = 32;

fn config() -> CollectionConfig {
    serde_json::from_value(json!({
        "params": {"vectors": {"size": DIM, "distance": "Euclid"}, "shard_number": 1, "replication_factor": 1,
                   "write_consistency_factor": 1, "on_disk_payload": true},
        "hnsw_config": {"m": 8, "ef_construct": 32, "full_scan_threshold": 1, "max_indexing_threads": 1},
        "optimizer_config": {"deleted_threshold": 0.05, "vacuum_min_vector_number": 100, "default_segment_number": 2,
                             "max_segment_size": null, "memmap_threshold": null, "indexing_threshold": 8,
                             "flush_interval_sec": 5, "max_optimization_threads": null},
        "wal_config": {"wal_capacity_mb": 1, "wal_segments_ahead": 0}
    }))
    .unwrap()
}

fn vector(id: u64, round: u64) -> Vec<f32> {
    (0..DIM)
        .map(|i| ((id * 31 + i as u64 * 7 + round) % 97) as f32 / 97.0)
        .collect()
}

fn upsert(c: &Collection, ids: impl Iterator<Item = u64>, round: u64) {
    let points = ids
        .map(|id| PointData {
            id: PointId::Num(id),
            vectors: [(String::new(), Vector::Dense(vector(id, round)))].into(),
            payload: json!({"round": round}).as_object().unwrap().clone(),
        })
        .collect();
    common::upsert(c, points);
}

#[test]
fn optimizing_while_writing_and_reading() {
    let dir = tempfile::tempdir().unwrap();
    let c = Arc::new(Collection::create(dir.path(), config()).unwrap());
    // merges run while the writes go on (they otherwise wait for a pause)
    c.set_quiet_period(std::time::Duration::ZERO);
    let stop = Arc::new(AtomicBool::new(false));
    let optimizer = {
        let (c, stop) = (c.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut runs = 0;
            while !stop.load(Ordering::Acquire) {
                if c.optimize().unwrap() {
                    runs += 1;
                }
                c.flush().unwrap();
            }
            runs
        })
    };
    let reader = {
        let (c, stop) = (c.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut reads = 0;
            while !stop.load(Ordering::Acquire) {
                let (records, _) = c
                    .scroll(
                        None,
                        None,
                        100_000,
                        &PayloadSelector::None,
                        &VectorSelector::None,
                    )
                    .unwrap();
                let ids: Vec<PointId> = records.iter().map(|r| r.id).collect();
                let mut sorted = ids.clone();
                sorted.sort();
                sorted.dedup();
                assert_eq!(ids, sorted, "scroll must return each point once, in order");
                let hits = c
                    .search(&SearchRequest {
                        using: String::new(),
                        query: QueryInput::Vector(Vector::Dense(vector(5, 0))),
                        filter: None,
                        limit: 20,
                        offset: 0,
                        score_threshold: None,
                        with_payload: PayloadSelector::None,
                        with_vector: VectorSelector::None,
                        params: SearchOptions::default(),
                    })
                    .unwrap();
                let mut hit_ids: Vec<PointId> = hits.iter().map(|h| h.id).collect();
                hit_ids.sort();
                hit_ids.dedup();
                assert_eq!(hit_ids.len(), hits.len(), "a search hit appears twice");
                reads += 1;
            }
            reads
        })
    };
    // the writer: rounds of upserts over overlapping ranges, with deletes
    let mut model: BTreeMap<u64, u64> = BTreeMap::new();
    for round in 0..150u64 {
        let start = (round * 37) % 400;
        upsert(&c, start..start + 60, round);
        for id in start..start + 60 {
            model.insert(id, round);
        }
        let gone: Vec<u64> = (start..start + 60).step_by(7).collect();
        c.update(UpdateRequest::Delete(PointSelection::Ids(
            gone.iter().map(|&i| PointId::Num(i)).collect(),
        )))
        .unwrap();
        for id in gone {
            model.remove(&id);
        }
    }
    stop.store(true, Ordering::Release);
    let runs = optimizer.join().unwrap();
    let reads = reader.join().unwrap();
    eprintln!("optimizer runs {runs}, reads {reads}");
    assert!(
        runs > 0 && reads > 0,
        "optimizer runs {runs}, reads {reads}"
    );
    c.optimize().unwrap();
    let report = c.optimizations();
    let kinds: std::collections::BTreeSet<&str> =
        report.completed.iter().map(|o| o.optimizer).collect();
    assert!(
        kinds.contains("merge") && kinds.contains("indexing"),
        "{kinds:?}"
    );
    let check = |c: &Collection| {
        let (records, _) = c
            .scroll(
                None,
                None,
                100_000,
                &PayloadSelector::All,
                &VectorSelector::All,
            )
            .unwrap();
        let got: BTreeMap<u64, u64> = records
            .iter()
            .map(|r| {
                let PointId::Num(id) = r.id else { panic!() };
                let round = r.payload.as_ref().unwrap()["round"].as_u64().unwrap();
                let Some(Vector::Dense(v)) = r.vectors.as_ref().unwrap().get("") else {
                    panic!()
                };
                assert_eq!(v, &vector(id, round));
                (id, round)
            })
            .collect();
        assert_eq!(got, model);
    };
    check(&c);
    assert!(c.stats().segments_count <= 3, "{:?}", c.stats());
    // exact search agrees with the graph search on the merged segments
    for probe in [1u64, 150, 333] {
        let request = |exact| SearchRequest {
            using: String::new(),
            query: QueryInput::Vector(Vector::Dense(vector(probe, 3))),
            filter: None,
            limit: 5,
            offset: 0,
            score_threshold: None,
            with_payload: PayloadSelector::None,
            with_vector: VectorSelector::None,
            params: SearchOptions {
                exact,
                hnsw_ef: Some(200),
                ..SearchOptions::default()
            },
        };
        let exact: Vec<f32> = c
            .search(&request(true))
            .unwrap()
            .iter()
            .map(|h| h.score)
            .collect();
        let graph: Vec<f32> = c
            .search(&request(false))
            .unwrap()
            .iter()
            .map(|h| h.score)
            .collect();
        assert_eq!(exact, graph);
    }
    c.flush().unwrap();
    drop(c);
    check(&Collection::open(dir.path()).unwrap());
}
