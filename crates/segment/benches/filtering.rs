//! Filtered count and scroll throughput on synthetic payloads, without and
//! with payload indexes. A benchmark, not a test: it prints medians.
//!
//! `cargo bench -p segment --bench filtering` (set `FILTER_BENCH_POINTS` to
//! change the size; default 1,000,000).

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use segment::filter::{Condition, FieldCheck, FieldCondition, Filter, Match, MatchValue, Range};
use segment::json_path::JsonPath;
use segment::payload_index::schema::{PayloadFieldSchema, PayloadSchemaType};
use segment::segment::Segment;
use segment::{Payload, PointId};
use serde_json::json;

/// A small deterministic generator (xorshift), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn field(key: &str, check: FieldCheck) -> Condition {
    Condition::Field(FieldCondition {
        key: JsonPath::parse(key).unwrap(),
        check,
    })
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn measure(label: &str, segment: &Segment, filter: &Filter) {
    let mut count_times = Vec::new();
    let mut scroll_times = Vec::new();
    let mut count = 0;
    for _ in 0..5 {
        let t = Instant::now();
        count = segment.count_matching(Some(filter));
        count_times.push(t.elapsed());
        let t = Instant::now();
        let page: Vec<PointId> = segment
            .filtered_from(Some(filter), None)
            .take(100)
            .map(|(id, _)| id)
            .collect();
        std::hint::black_box(page);
        scroll_times.push(t.elapsed());
    }
    let c = median(count_times);
    let s = median(scroll_times);
    println!(
        "{label:<44} matches {count:>8}  count {:>9.2} ms ({:>8.0}/s)  scroll(100) {:>8.3} ms",
        c.as_secs_f64() * 1e3,
        1.0 / c.as_secs_f64(),
        s.as_secs_f64() * 1e3
    );
}

fn main() {
    let n: u64 = std::env::var("FILTER_BENCH_POINTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut segment = Segment::new(&BTreeMap::new());
    let t = Instant::now();
    for i in 0..n {
        let r = rng.next();
        let payload: Payload = json!({
            "tenant": format!("t{}", r % 100),
            "rare": format!("r{}", (r >> 8) % 1000),
            "price": (r >> 20) % 10_000,
            "score": ((r >> 34) % 1000) as f64 / 10.0,
            "flag": (r >> 50).is_multiple_of(2),
        })
        .as_object()
        .unwrap()
        .clone();
        segment.upsert(i + 1, PointId::Num(i), Default::default(), payload);
    }
    println!("{n} points generated in {:.1} s", t.elapsed().as_secs_f64());

    let filters: Vec<(&str, Filter)> = vec![
        (
            "keyword, 1% (tenant)",
            Filter::must(vec![field(
                "tenant",
                FieldCheck::Match(Match::Value(MatchValue::Keyword("t7".into()))),
            )]),
        ),
        (
            "keyword, 0.1% (rare)",
            Filter::must(vec![field(
                "rare",
                FieldCheck::Match(Match::Value(MatchValue::Keyword("r42".into()))),
            )]),
        ),
        (
            "integer range, 10% (price)",
            Filter::must(vec![field(
                "price",
                FieldCheck::Range(Range {
                    gte: Some(1000.0),
                    lt: Some(2000.0),
                    ..Range::default()
                }),
            )]),
        ),
        (
            "keyword 1% AND float range 50%",
            Filter::must(vec![
                field(
                    "tenant",
                    FieldCheck::Match(Match::Value(MatchValue::Keyword("t7".into()))),
                ),
                field(
                    "score",
                    FieldCheck::Range(Range {
                        gte: Some(50.0),
                        ..Range::default()
                    }),
                ),
            ]),
        ),
        (
            "has_id (1000 ids)",
            Filter::must(vec![Condition::HasId(
                (0..1000)
                    .map(|i| PointId::Num(i * 997 % n))
                    .collect::<HashSet<_>>(),
            )]),
        ),
    ];
    println!("\n-- without payload indexes --");
    for (label, f) in &filters {
        measure(label, &segment, f);
    }
    let t = Instant::now();
    for (key, kind) in [
        ("tenant", PayloadSchemaType::Keyword),
        ("rare", PayloadSchemaType::Keyword),
        ("price", PayloadSchemaType::Integer),
        ("score", PayloadSchemaType::Float),
        ("flag", PayloadSchemaType::Bool),
    ] {
        segment
            .create_index(n + 1, key, PayloadFieldSchema::Type(kind))
            .unwrap();
    }
    println!(
        "\n-- with payload indexes (built in {:.1} s) --",
        t.elapsed().as_secs_f64()
    );
    for (label, f) in &filters {
        measure(label, &segment, f);
    }
}
