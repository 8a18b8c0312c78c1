//! Property test: filtering through payload indexes gives exactly what the
//! reference evaluator gives over the raw payloads, on random payloads,
//! random filters and random updates.

use std::collections::{BTreeMap, HashSet};

use proptest::prelude::*;
use segment::filter::{
    Condition, FieldCheck, FieldCondition, Filter, GeoPoint, Match, MatchValue, MinShould, Range,
};
use segment::json_path::JsonPath;
use segment::payload_index::schema::{PayloadFieldSchema, PayloadSchemaType};
use segment::segment::Segment;
use segment::{Payload, PointId};
use serde_json::{json, Value};

const WORDS: &[&str] = &["red", "green", "blue", "fox", "dog"];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(WORDS).prop_map(|w| json!(w)),
        (-3i64..6).prop_map(|i| json!(i)),
        (-3.0f64..6.0).prop_map(|f| json!((f * 4.0).round() / 4.0)),
        any::<bool>().prop_map(|b| json!(b)),
        Just(Value::Null),
        (1u8..4).prop_map(|d| json!(format!("2024-0{d}-01T00:00:00Z"))),
        (0u8..3).prop_map(|u| json!(uuid::Uuid::from_u128(u as u128).to_string())),
        prop::collection::vec(prop::sample::select(WORDS), 1..4).prop_map(|ws| json!(ws.join(" "))),
        ((-2.0f64..2.0), (-2.0f64..2.0)).prop_map(|(lon, lat)| json!({"lon": lon, "lat": lat})),
    ]
}

fn field_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => scalar(),
        1 => prop::collection::vec(scalar(), 0..4).prop_map(Value::Array),
    ]
}

const FIELDS: &[&str] = &[
    "kw", "int", "flt", "bool", "dt", "uid", "txt", "geo", "plain",
];

fn payload() -> impl Strategy<Value = Payload> {
    prop::collection::vec((prop::sample::select(FIELDS), field_value()), 0..6)
        .prop_map(|kvs| kvs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn match_value() -> impl Strategy<Value = MatchValue> {
    prop_oneof![
        prop::sample::select(WORDS).prop_map(|w| MatchValue::Keyword(w.to_string())),
        (0u8..3).prop_map(|u| MatchValue::Keyword(uuid::Uuid::from_u128(u as u128).to_string())),
        (-3i64..6).prop_map(MatchValue::Integer),
        any::<bool>().prop_map(MatchValue::Bool),
    ]
}

fn bound() -> impl Strategy<Value = Option<f64>> {
    prop::option::of((-4.0f64..7.0).prop_map(|f| (f * 2.0).round() / 2.0))
}

fn field_check() -> impl Strategy<Value = FieldCheck> {
    prop_oneof![
        match_value().prop_map(|v| FieldCheck::Match(Match::Value(v))),
        prop::collection::vec(match_value(), 0..3).prop_map(|v| FieldCheck::Match(Match::Any(v))),
        prop::collection::vec(match_value(), 0..3)
            .prop_map(|v| FieldCheck::Match(Match::Except(v))),
        prop::sample::select(WORDS).prop_map(|w| FieldCheck::Match(Match::Text(w.to_string()))),
        prop::collection::vec(prop::sample::select(WORDS), 1..3)
            .prop_map(|w| FieldCheck::Match(Match::TextAny(w.join(" ")))),
        prop::collection::vec(prop::sample::select(WORDS), 1..3)
            .prop_map(|w| FieldCheck::Match(Match::Phrase(w.join(" ")))),
        (bound(), bound(), bound(), bound())
            .prop_map(|(lt, gt, gte, lte)| FieldCheck::Range(Range { lt, gt, gte, lte })),
        (1u8..4, any::<bool>()).prop_map(|(d, strict)| {
            let t = segment::datetime::parse_datetime(&format!("2024-0{d}-01T00:00:00Z")).unwrap();
            FieldCheck::DatetimeRange(if strict {
                Range {
                    gt: Some(t),
                    ..Range::default()
                }
            } else {
                Range {
                    lte: Some(t),
                    ..Range::default()
                }
            })
        }),
        ((-2.0f64..2.0), (-2.0f64..2.0), 1000.0f64..200_000.0).prop_map(|(lon, lat, radius)| {
            FieldCheck::GeoRadius {
                center: GeoPoint { lon, lat },
                radius,
            }
        }),
        ((-2.0f64..0.0), (0.0f64..2.0)).prop_map(|(l, t)| FieldCheck::GeoBoundingBox {
            top_left: GeoPoint { lon: l, lat: t },
            bottom_right: GeoPoint {
                lon: l + 1.5,
                lat: t - 1.5
            }
        }),
        (0u64..3).prop_map(|n| FieldCheck::ValuesCount(Range {
            gte: Some(n as f64),
            ..Range::default()
        })),
        any::<bool>().prop_map(FieldCheck::IsEmpty),
        any::<bool>().prop_map(FieldCheck::IsNull),
    ]
}

fn condition() -> impl Strategy<Value = Condition> {
    let leaf = prop_oneof![
        6 => (prop::sample::select(FIELDS), field_check())
            .prop_map(|(k, check)| Condition::Field(FieldCondition { key: JsonPath::parse(k).unwrap(), check })),
        1 => prop::sample::select(FIELDS).prop_map(|k| Condition::IsEmpty(JsonPath::parse(k).unwrap())),
        1 => prop::sample::select(FIELDS).prop_map(|k| Condition::IsNull(JsonPath::parse(k).unwrap())),
        1 => prop::collection::vec(0u64..30, 0..5)
            .prop_map(|ids| Condition::HasId(ids.into_iter().map(PointId::Num).collect::<HashSet<_>>())),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        (
            prop::collection::vec(inner.clone(), 0..3),
            prop::collection::vec(inner.clone(), 0..3),
            prop::collection::vec(inner.clone(), 0..2),
            prop::option::of((prop::collection::vec(inner, 1..3), 1usize..3)),
        )
            .prop_map(|(must, should, must_not, ms)| {
                Condition::Filter(Box::new(Filter {
                    must,
                    should,
                    must_not,
                    min_should: ms.map(|(conditions, min_count)| MinShould {
                        conditions,
                        min_count,
                    }),
                }))
            })
    })
}

fn filter() -> impl Strategy<Value = Filter> {
    (
        prop::collection::vec(condition(), 0..3),
        prop::collection::vec(condition(), 0..3),
        prop::collection::vec(condition(), 0..2),
    )
        .prop_map(|(must, should, must_not)| Filter {
            must,
            should,
            must_not,
            min_should: None,
        })
}

fn indexes() -> BTreeMap<&'static str, PayloadSchemaType> {
    [
        ("kw", PayloadSchemaType::Keyword),
        ("int", PayloadSchemaType::Integer),
        ("flt", PayloadSchemaType::Float),
        ("bool", PayloadSchemaType::Bool),
        ("dt", PayloadSchemaType::Datetime),
        ("uid", PayloadSchemaType::Uuid),
        ("txt", PayloadSchemaType::Text),
        ("geo", PayloadSchemaType::Geo),
    ]
    .into()
}

#[derive(Debug, Clone)]
enum Change {
    Set(u64, Payload),
    Delete(u64),
    Clear(u64),
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        (0u64..30, payload()).prop_map(|(i, p)| Change::Set(i, p)),
        (0u64..30).prop_map(Change::Delete),
        (0u64..30).prop_map(Change::Clear),
    ]
}

fn apply(s: &mut Segment, op: u64, c: &Change) {
    match c {
        Change::Set(i, p) => {
            if !s.set_payload(op, PointId::Num(*i), p, None) {
                s.upsert(op, PointId::Num(*i), Default::default(), p.clone());
            }
        }
        Change::Delete(i) => {
            s.delete(op, PointId::Num(*i));
        }
        Change::Clear(i) => {
            s.clear_payload(op, PointId::Num(*i));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn indexed_equals_naive(
        payloads in prop::collection::vec(payload(), 0..30),
        changes in prop::collection::vec(change(), 0..10),
        index_first in any::<bool>(),
        f in filter(),
    ) {
        let mut naive = Segment::new(&BTreeMap::new());
        let mut indexed = Segment::new(&BTreeMap::new());
        if index_first {
            for (field, kind) in indexes() {
                indexed.create_index(0, field, PayloadFieldSchema::Type(kind)).unwrap();
            }
        }
        for (i, p) in payloads.iter().enumerate() {
            naive.upsert(1, PointId::Num(i as u64), Default::default(), p.clone());
            indexed.upsert(1, PointId::Num(i as u64), Default::default(), p.clone());
        }
        for (op, c) in changes.iter().enumerate() {
            apply(&mut naive, op as u64 + 2, c);
            apply(&mut indexed, op as u64 + 2, c);
        }
        if !index_first {
            for (field, kind) in indexes() {
                indexed.create_index(100, field, PayloadFieldSchema::Type(kind)).unwrap();
            }
        }
        // the reference evaluator point by point, told which fields are
        // indexed (Qdrant reads `is_null` on arrays and a lone range
        // bounding a side twice through the index), against what the
        // indexes answer; the unindexed twin holds the same points
        let expected: Vec<PointId> = indexed.iter_from(None).filter(|(_, o)| indexed.matches(*o, &f)).map(|(id, _)| id).collect();
        let unindexed: Vec<PointId> = naive.iter_from(None).map(|(id, _)| id).collect();
        let all: Vec<PointId> = indexed.iter_from(None).map(|(id, _)| id).collect();
        prop_assert_eq!(&all, &unindexed);
        let got: Vec<PointId> = indexed.filtered_from(Some(&f), None).map(|(id, _)| id).collect();
        prop_assert_eq!(&got, &expected);
        prop_assert_eq!(indexed.count_matching(Some(&f)), expected.len());
        if let Some(exact) = indexed.payload_index().exact_matches(&f) {
            let mut ids: Vec<PointId> = exact.iter().map(|o| indexed.id_of(o).expect("live offset")).collect();
            ids.sort();
            prop_assert_eq!(&ids, &expected, "indexes claimed an exact answer");
        }
        let est = indexed.estimate(Some(&f));
        prop_assert!(est.min <= expected.len() as u64 && expected.len() as u64 <= est.max, "{:?} vs {}", est, expected.len());
        if let Some(first) = expected.get(expected.len() / 2) {
            let tail: Vec<PointId> = indexed.filtered_from(Some(&f), Some(*first)).map(|(id, _)| id).collect();
            prop_assert_eq!(&tail[..], &expected[expected.len() / 2..]);
        }
    }
}
