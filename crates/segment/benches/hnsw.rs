//! HNSW build and search on prepared data (see `bench/prepare.py`): build
//! time, queries per second and recall@10 at several `ef`, on 1 and 2
//! threads, unfiltered and with 1% / 10% filters. Prints one JSON object
//! per measurement; `bench/run` turns them into the results table.
//!
//! `BENCH_DATA=dir cargo bench -p segment --bench hnsw`

use std::time::Instant;

use rayon::prelude::*;
use segment::distance::Distance;
use segment::hnsw::{DenseVectors, HnswBuilder, HnswParams};

fn read_f32(path: &str) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
        .collect()
}

fn read_u32(path: &str) -> Vec<u32> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
        .collect()
}

fn read_bits(path: &str, n: usize) -> Vec<bool> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    (0..n)
        .map(|i| bytes[i / 8] & (0x80 >> (i % 8)) != 0)
        .collect()
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM")).map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse::<f64>()
                    .unwrap_or(0.0)
            })
        })
        .unwrap_or(0.0)
        / 1024.0
}

fn main() {
    let dir = std::env::var("BENCH_DATA").unwrap_or_else(|_| "bench/data".into());
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{dir}/meta.json")).expect("meta.json"),
    )
    .expect("json");
    let n = meta["n"].as_u64().expect("n") as usize;
    let dim = meta["dim"].as_u64().expect("dim") as usize;
    let gt_k = meta["gt_k"].as_u64().expect("gt_k") as usize;
    let m: usize = std::env::var("BENCH_M")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16);
    let efc: usize = std::env::var("BENCH_EFC")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(128);
    let base = read_f32(&format!("{dir}/base.f32"));
    let vectors = DenseVectors {
        data: &base,
        dim,
        distance: Distance::Dot,
    };
    let f1 = read_bits(&format!("{dir}/f1.bits"), n);
    let f10 = read_bits(&format!("{dir}/f10.bits"), n);

    for threads in [1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        let t = Instant::now();
        let index = pool.install(|| {
            HnswBuilder::new(
                HnswParams {
                    m,
                    ef_construct: efc,
                    seed: 42,
                    deterministic: false,
                },
                vectors,
                (0..n as u32).collect(),
            )
            .build()
        });
        let build = t.elapsed().as_secs_f64();
        println!(
            "{}",
            serde_json::json!({"engine": "vectorizer", "kind": "build", "threads": threads, "seconds": build, "kernels": segment::distance::kernels().name})
        );
        for qset in ["q_def", "q_ex"] {
            let queries = read_f32(&format!("{dir}/{qset}.f32"));
            let gt = read_u32(&format!("{dir}/{qset}.gt"));
            let nq = queries.len() / dim;
            for (filter_name, mask) in [("none", None), ("1%", Some(&f1)), ("10%", Some(&f10))] {
                if filter_name != "none" && threads == 2 {
                    continue;
                }
                for ef in [16usize, 32, 64, 128] {
                    let score = vectors.distance.similarity_fn();
                    let run = |qi: usize| {
                        let q = &queries[qi * dim..(qi + 1) * dim];
                        index.search_with_prefetch(
                            10,
                            ef,
                            |o| score(q, vectors.get(o)),
                            |o| mask.is_none_or(|m| m[o as usize]),
                            |o| vectors.prefetch(o),
                        )
                    };
                    let t = Instant::now();
                    let results: Vec<_> =
                        pool.install(|| (0..nq).into_par_iter().map(run).collect());
                    let secs = t.elapsed().as_secs_f64();
                    let mut hit = 0;
                    let mut total = 0;
                    for (qi, found) in results.iter().enumerate() {
                        let truth: Vec<u32> = gt[qi * gt_k..(qi + 1) * gt_k]
                            .iter()
                            .copied()
                            .filter(|&o| mask.is_none_or(|m| m[o as usize]))
                            .take(10)
                            .collect();
                        if filter_name != "none" && truth.len() < 10 {
                            // ground truth beyond the stored top-100: score exactly
                            let q = &queries[qi * dim..(qi + 1) * dim];
                            let mut all: Vec<(f32, u32)> = (0..n as u32)
                                .filter(|&o| mask.is_none_or(|m| m[o as usize]))
                                .map(|o| (vectors.distance.similarity(q, vectors.get(o)), o))
                                .collect();
                            all.sort_by(|a, b| b.0.total_cmp(&a.0));
                            let exact: Vec<u32> = all.iter().take(10).map(|x| x.1).collect();
                            total += exact.len();
                            hit += exact
                                .iter()
                                .filter(|o| found.iter().any(|h| h.offset == **o))
                                .count();
                            continue;
                        }
                        total += truth.len();
                        hit += truth
                            .iter()
                            .filter(|o| found.iter().any(|h| h.offset == **o))
                            .count();
                    }
                    println!(
                        "{}",
                        serde_json::json!({"engine": "vectorizer", "kind": "search", "threads": threads, "queries": qset, "filter": filter_name,
                                           "ef": ef, "qps": nq as f64 / secs, "recall": hit as f64 / total as f64})
                    );
                }
            }
        }
    }
    println!(
        "{}",
        serde_json::json!({"engine": "vectorizer", "kind": "memory", "peak_rss_mb": peak_rss_mb(), "raw_vectors_mb": (n * dim * 4) as f64 / 1048576.0})
    );
}
