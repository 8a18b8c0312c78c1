//! HNSW build and search on prepared data (see `bench/prepare.py`): build
//! time, queries per second and recall@10 at several `ef`, on 1 and 2
//! threads, unfiltered and with 1% / 10% filters. Prints one JSON object
//! per measurement; `bench/run` turns them into the results table.
//!
//! `BENCH_DATA=dir cargo bench -p segment --bench hnsw`

use std::time::Instant;

use rayon::prelude::*;
use segment::distance::Distance;
use segment::filter::{Condition, FieldCheck, FieldCondition, Filter, Match, MatchValue};
use segment::hnsw::HnswParams;
use segment::json_path::JsonPath;
use segment::payload_index::schema::{PayloadFieldSchema, PayloadSchemaType};
use segment::quantization::{Bits, Method};
use segment::segment::graph::{QuantizationUse, SearchParams};
use segment::segment::search::QueryVector;
use segment::segment::Segment;
use segment::vector_storage::VectorKind;
use segment::vectors::{NamedVectors, Vector};
use segment::{Payload, PointId};

fn read_f32(path: &str) -> Vec<f32> {
    read_le(path, f32::from_le_bytes)
}

/// Reads a file of little-endian 4-byte values without holding a second
/// copy of it.
fn read_le<T>(path: &str, convert: fn([u8; 4]) -> T) -> Vec<T> {
    use std::io::Read;
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let len = file.metadata().map_or(0, |m| m.len() as usize / 4);
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut out = Vec::with_capacity(len);
    let mut buf = [0u8; 4];
    while reader.read_exact(&mut buf).is_ok() {
        out.push(convert(buf));
    }
    out
}

fn read_u32(path: &str) -> Vec<u32> {
    read_le(path, u32::from_le_bytes)
}

fn read_bits(path: &str, n: usize) -> Vec<bool> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    (0..n)
        .map(|i| bytes[i / 8] & (0x80 >> (i % 8)) != 0)
        .collect()
}

fn peak_rss_mb() -> f64 {
    status_mb("VmHWM")
}

/// Resident memory now and at its peak, on stderr (`bench/run` keeps only
/// stdout): where the memory goes, stage by stage.
fn trace_rss(stage: &str) {
    eprintln!(
        "rss {stage}: {:.0} MB (peak {:.0} MB)",
        status_mb("VmRSS"),
        status_mb("VmHWM")
    );
}

/// A `/proc/self/status` field in MB.
fn status_mb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with(field)).map(|l| {
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
    // BENCH_QUANT=scalar|binary|turbo4|pq16: traverse with quantized codes
    let quant = match std::env::var("BENCH_QUANT").as_deref() {
        Ok("scalar") => Some(Method::Scalar { quantile: 0.99 }),
        Ok("binary") => Some(Method::Binary {
            bits: Bits::One,
            symmetric: true,
        }),
        Ok("turbo4") => Some(Method::Turbo { bits: Bits::Four }),
        Ok("pq16") => Some(Method::Product { sub_dim: 4 }),
        _ => None,
    };
    // the engine's name in the report: BENCH_ENGINE, or by quantization
    let engine = std::env::var("BENCH_ENGINE").unwrap_or_else(|_| match quant {
        None => "vectorizer".into(),
        Some(_) => format!(
            "vectorizer-{}",
            std::env::var("BENCH_QUANT").unwrap_or_default()
        ),
    });
    let oversampling: f64 = std::env::var("BENCH_OVERSAMPLING")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1.0);
    trace_rss("start");
    // vectors stream from the file into the segment: one copy in memory
    let mut base = {
        use std::io::Read;
        let path = format!("{dir}/base.f32");
        std::io::BufReader::with_capacity(
            1 << 20,
            std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}")),
        )
        .bytes()
        .map(|b| b.expect("read"))
    };
    // filter fields: f1 / f10 uncorrelated, c1 / c10 (synthetic sets)
    // correlated with clusters
    let fields: Vec<(&str, &str, Vec<bool>)> = [
        ("f1", "1%"),
        ("f10", "10%"),
        ("c1", "1% corr"),
        ("c10", "10% corr"),
    ]
    .into_iter()
    .filter(|(f, _)| std::path::Path::new(&format!("{dir}/{f}.bits")).exists())
    .map(|(f, label)| (f, label, read_bits(&format!("{dir}/{f}.bits"), n)))
    .collect();

    // the engine path: a segment with keyword-indexed payloads, whose graph
    // the indexing optimizer would build, searched through the planner
    let mut segment = Segment::new(&[(String::new(), VectorKind::dense(dim))].into());
    for (field, _, _) in &fields {
        segment
            .create_index(
                0,
                field,
                PayloadFieldSchema::Type(PayloadSchemaType::Keyword),
            )
            .expect("index");
    }
    for i in 0..n {
        let payload: Payload = fields
            .iter()
            .map(|(f, _, mask)| {
                (
                    f.to_string(),
                    serde_json::json!(if mask[i] { "y" } else { "n" }),
                )
            })
            .collect();
        let v: Vec<f32> = (0..dim)
            .map(|_| f32::from_le_bytes(std::array::from_fn(|_| base.next().expect("vector data"))))
            .collect();
        let v: NamedVectors = [(String::new(), Vector::Dense(v))].into();
        segment.upsert(1, PointId::Num(i as u64), v, payload);
    }
    trace_rss("loaded");
    // BENCH_THREADS=1: only the single-thread pass; BENCH_GRAPH=path: load
    // the graph from that file if it exists (else build and save it), for
    // profiling searches without rebuilding
    let passes: Vec<usize> = match std::env::var("BENCH_THREADS").as_deref() {
        Ok("1") => vec![1],
        _ => vec![1, 2],
    };
    let cached = std::env::var("BENCH_GRAPH")
        .ok()
        .map(std::path::PathBuf::from);
    for threads in passes {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        let t = Instant::now();
        segment.drop_graph("");
        let snapshot = segment.graph_source("").expect("dense vectors");
        // int8 codes, quantized before the graph: they guide its build
        // (BENCH_GUIDE=0 builds on the originals) and serve the searches
        // when BENCH_QUANT asks for codes
        let guide = std::env::var("BENCH_GUIDE").as_deref() != Ok("0");
        let quantized = quant.map(|method| (method, snapshot.quantize(method, Distance::Dot)));
        let guide_codes = match (&quantized, guide) {
            (Some((Method::Scalar { .. }, codes)), true) => Some(codes),
            _ => None,
        };
        let index = match cached.as_ref().filter(|p| p.exists()) {
            Some(path) => segment::hnsw::HnswIndex::load_in_ram(path).expect("graph file"),
            None => {
                let index = pool.install(|| {
                    snapshot.build_guided(
                        Distance::Dot,
                        HnswParams {
                            m,
                            ef_construct: efc,
                            seed: 42,
                            deterministic: false,
                        },
                        guide_codes,
                    )
                });
                if let Some(path) = &cached {
                    index.save(path).expect("save graph");
                }
                index
            }
        };
        let version = snapshot.version;
        drop(snapshot);
        segment.install_graph("", index, quantized, version);
        // payload-aware subgraphs for the filter fields' large values (as
        // `payload_m` / `is_tenant` give them)
        if std::env::var("BENCH_BLOCKS").as_deref() == Ok("1") {
            let names: Vec<String> = fields.iter().map(|(f, _, _)| f.to_string()).collect();
            let blocks = segment.payload_blocks(&names, (10_000 * 1024) / (dim * 4), usize::MAX);
            let source = segment.graph_source("").expect("dense vectors");
            let built = pool.install(|| {
                source.build_blocks(
                    blocks,
                    Distance::Dot,
                    HnswParams {
                        m,
                        ef_construct: efc,
                        seed: 42,
                        deterministic: false,
                    },
                )
            });
            drop(source);
            segment.install_blocks("", built);
        }
        let build = t.elapsed().as_secs_f64();
        trace_rss("built");
        println!(
            "{}",
            serde_json::json!({"engine": engine, "kind": "build", "threads": threads, "seconds": build, "kernels": segment::distance::kernels().name})
        );
        for qset in ["q_def", "q_ex"] {
            let queries = read_f32(&format!("{dir}/{qset}.f32"));
            let gt = read_u32(&format!("{dir}/{qset}.gt"));
            let nq = queries.len() / dim;
            let runs = std::iter::once(("none", None))
                .chain(fields.iter().map(|(f, label, _)| (*label, Some(*f))));
            for (filter_name, key) in runs {
                if filter_name != "none"
                    && (threads == 2 || std::env::var("BENCH_FILTERS").as_deref() == Ok("none"))
                {
                    continue;
                }
                let filter = key.map(|key| {
                    Filter::must(vec![Condition::Field(FieldCondition {
                        key: JsonPath::parse(key).expect("path"),
                        check: FieldCheck::Match(Match::Value(MatchValue::Keyword("y".into()))),
                    })])
                });
                for ef in [16usize, 32, 64, 128] {
                    let params = SearchParams {
                        ef,
                        exact: false,
                        full_scan_threshold: (10_000 * 1024) / (dim * 4),
                        indexed_only: false,
                        quantization: QuantizationUse {
                            oversampling,
                            ..QuantizationUse::default()
                        },
                    };
                    let run = |qi: usize| {
                        segment.search_dense(
                            "",
                            &queries[qi * dim..(qi + 1) * dim],
                            Distance::Dot,
                            filter.as_ref(),
                            10,
                            params,
                        )
                    };
                    let t = Instant::now();
                    let results: Vec<_> =
                        pool.install(|| (0..nq).into_par_iter().map(run).collect());
                    let secs = t.elapsed().as_secs_f64();
                    let mut hit = 0;
                    let mut total = 0;
                    for (qi, found) in results.iter().enumerate() {
                        let truth: Vec<u32> = match filter.as_ref() {
                            None => gt[qi * gt_k..qi * gt_k + 10].to_vec(),
                            Some(f) => {
                                let q = &queries[qi * dim..(qi + 1) * dim];
                                segment
                                    .search_exact(
                                        "",
                                        &QueryVector::Dense(q.to_vec()),
                                        Distance::Dot,
                                        Some(f),
                                        None,
                                        10,
                                    )
                                    .into_iter()
                                    .map(|h| h.offset)
                                    .collect()
                            }
                        };
                        total += truth.len();
                        hit += truth
                            .iter()
                            .filter(|o| found.iter().any(|h| h.offset == **o))
                            .count();
                    }
                    println!(
                        "{}",
                        serde_json::json!({"engine": engine, "kind": "search", "threads": threads, "queries": qset, "filter": filter_name,
                                           "ef": ef, "qps": nq as f64 / secs, "recall": hit as f64 / total as f64})
                    );
                }
            }
        }
    }
    println!(
        "{}",
        serde_json::json!({"engine": engine, "kind": "memory", "peak_rss_mb": peak_rss_mb(), "raw_vectors_mb": (n * dim * 4) as f64 / 1048576.0})
    );
    // exact scans against the memory bandwidth (measured after the peak
    // RSS above, which the probe buffer would otherwise raise)
    if engine == "vectorizer" {
        let queries = read_f32(&format!("{dir}/q_def.f32"));
        let nq = 20;
        let t = Instant::now();
        for qi in 0..nq {
            let q = QueryVector::Dense(queries[qi * dim..(qi + 1) * dim].to_vec());
            std::hint::black_box(segment.search_exact("", &q, Distance::Dot, None, None, 10));
        }
        let scan_gbs = (nq * n * dim * 4) as f64 / t.elapsed().as_secs_f64() / 1e9;
        let probe = vec![1.0f32; 64 << 20];
        let mut best = 0.0f64;
        for _ in 0..3 {
            let t = Instant::now();
            let mut acc = [0.0f32; 16];
            for chunk in probe.chunks_exact(16) {
                for (a, x) in acc.iter_mut().zip(chunk) {
                    *a += x;
                }
            }
            std::hint::black_box(acc);
            best = best.max((probe.len() * 4) as f64 / t.elapsed().as_secs_f64() / 1e9);
        }
        println!(
            "{}",
            serde_json::json!({"engine": engine, "kind": "scan", "threads": 1, "scan_gb_s": scan_gbs,
                               "scan_qps": scan_gbs * 1e9 / (n * dim * 4) as f64, "memory_gb_s": best})
        );
    }
}
