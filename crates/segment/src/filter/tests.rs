use serde_json::json;

use super::*;

fn payload(v: Value) -> Payload {
    v.as_object().unwrap().clone()
}

fn path(p: &str) -> JsonPath {
    JsonPath::parse(p).unwrap()
}

fn field(key: &str, check: FieldCheck) -> Condition {
    Condition::Field(FieldCondition {
        key: path(key),
        check,
    })
}

fn check(filter: &Filter, p: &Payload) -> bool {
    filter.check(&PointView {
        id: Some(PointId::Num(1)),
        payload: p,
        vector_names: &|n| n.is_empty(),
        indexes: None,
    })
}

fn kw(s: &str) -> MatchValue {
    MatchValue::Keyword(s.to_string())
}

#[test]
fn match_over_arrays_and_types() {
    let p = payload(json!({"city": ["Berlin", "London"], "n": 1, "f": 1.0, "b": true}));
    let m =
        |k: &str, v: MatchValue| Filter::must(vec![field(k, FieldCheck::Match(Match::Value(v)))]);
    assert!(check(&m("city", kw("London")), &p));
    assert!(!check(&m("city", kw("Paris")), &p));
    assert!(check(&m("n", MatchValue::Integer(1)), &p));
    assert!(
        !check(&m("f", MatchValue::Integer(1)), &p),
        "floats never match integers"
    );
    assert!(check(&m("b", MatchValue::Bool(true)), &p));
    assert!(!check(&m("n", MatchValue::Bool(true)), &p));
}

#[test]
fn except_ignores_nulls_and_missing() {
    let except = Filter::must(vec![field(
        "a",
        FieldCheck::Match(Match::Except(vec![kw("x")])),
    )]);
    assert!(check(&except, &payload(json!({"a": "y"}))));
    assert!(!check(&except, &payload(json!({"a": "x"}))));
    assert!(!check(&except, &payload(json!({"a": null}))));
    assert!(!check(&except, &payload(json!({}))));
    assert!(check(&except, &payload(json!({"a": ["x", "z"]}))));
}

/// Every field indexed (no tokenizers).
struct AllIndexed;

impl FieldIndexes for AllIndexed {
    fn tokenizer(&self, _: &JsonPath) -> Option<&Tokenizer> {
        None
    }

    fn indexed(&self, _: &JsonPath) -> bool {
        true
    }
}

#[test]
fn empty_and_null() {
    let empty = Filter::must(vec![Condition::IsEmpty(path("a"))]);
    let null = Filter::must(vec![Condition::IsNull(path("a"))]);
    // is_null: a null value; through an index also an array holding one
    for (p, e, n, indexed_n) in [
        (json!({}), true, false, false),
        (json!({"a": null}), true, true, true),
        (json!({"a": []}), true, false, false),
        (json!({"a": [null]}), false, false, true),
        (json!({"a": [1, null]}), false, false, true),
        (json!({"a": [[null]]}), false, false, false),
        (json!({"a": 0}), false, false, false),
    ] {
        let p = payload(p);
        assert_eq!(check(&empty, &p), e, "is_empty {p:?}");
        assert_eq!(check(&null, &p), n, "is_null {p:?}");
        let view = PointView {
            id: None,
            payload: &p,
            vector_names: &|_| false,
            indexes: Some(&AllIndexed),
        };
        assert_eq!(null.check(&view), indexed_n, "indexed is_null {p:?}");
    }
}

#[test]
fn ranges_and_datetimes() {
    let r = Filter::must(vec![field(
        "n",
        FieldCheck::Range(Range {
            gte: Some(1.0),
            lt: Some(3.0),
            ..Range::default()
        }),
    )]);
    assert!(check(&r, &payload(json!({"n": [0, 2]}))));
    assert!(!check(&r, &payload(json!({"n": 3}))));
    assert!(!check(&r, &payload(json!({"n": true}))));
    let t = parse_datetime("2020-01-01T00:00:00Z").unwrap();
    let d = Filter::must(vec![field(
        "t",
        FieldCheck::DatetimeRange(Range {
            gt: Some(t),
            ..Range::default()
        }),
    )]);
    assert!(check(
        &d,
        &payload(json!({"t": "2020-01-01T00:00:01+00:00"}))
    ));
    assert!(!check(
        &d,
        &payload(json!({"t": "2020-01-01T01:00:00+01:00"}))
    ));
    assert!(!check(&d, &payload(json!({"t": 5}))));
}

#[test]
fn clauses_combine() {
    let p = payload(json!({"a": 1, "b": 2}));
    let one = |k: &str, v: i64| field(k, FieldCheck::Match(Match::Value(MatchValue::Integer(v))));
    let f = Filter {
        must: vec![one("a", 1)],
        should: vec![one("b", 5), one("b", 2)],
        must_not: vec![one("a", 2)],
        min_should: Some(MinShould {
            conditions: vec![one("a", 1), one("b", 2), one("c", 3)],
            min_count: 2,
        }),
    };
    assert!(check(&f, &p));
    let f2 = Filter {
        should: vec![one("b", 5)],
        ..Filter::default()
    };
    assert!(!check(&f2, &p));
    assert!(
        check(&Filter::default(), &p),
        "an empty filter matches everything"
    );
    let has = Filter::must(vec![
        Condition::HasId([PointId::Num(1)].into()),
        Condition::HasVector(String::new()),
    ]);
    assert!(check(&has, &p));
}

#[test]
fn nested_requires_same_element() {
    let p = payload(json!({"d": [{"x": 1, "y": 2}, {"x": 2, "y": 1}]}));
    let inner = Filter::must(vec![
        field("x", FieldCheck::Match(Match::Value(MatchValue::Integer(1)))),
        field("y", FieldCheck::Match(Match::Value(MatchValue::Integer(1)))),
    ]);
    let nested = Filter::must(vec![Condition::Nested {
        path: path("d"),
        filter: Box::new(inner),
    }]);
    assert!(!check(&nested, &p));
}

#[test]
fn geo_conditions() {
    let berlin = payload(json!({"g": {"lon": 13.4, "lat": 52.5}}));
    let radius = Filter::must(vec![field(
        "g",
        FieldCheck::GeoRadius {
            center: GeoPoint {
                lon: 13.41,
                lat: 52.5,
            },
            radius: 1000.0,
        },
    )]);
    assert!(check(&radius, &berlin));
    let bbox = Filter::must(vec![field(
        "g",
        FieldCheck::GeoBoundingBox {
            top_left: GeoPoint {
                lon: 13.0,
                lat: 53.0,
            },
            bottom_right: GeoPoint {
                lon: 14.0,
                lat: 52.0,
            },
        },
    )]);
    assert!(check(&bbox, &berlin));
    let square = vec![
        GeoPoint {
            lon: 13.0,
            lat: 52.0,
        },
        GeoPoint {
            lon: 14.0,
            lat: 52.0,
        },
        GeoPoint {
            lon: 14.0,
            lat: 53.0,
        },
        GeoPoint {
            lon: 13.0,
            lat: 53.0,
        },
        GeoPoint {
            lon: 13.0,
            lat: 52.0,
        },
    ];
    let poly = Filter::must(vec![field(
        "g",
        FieldCheck::GeoPolygon {
            exterior: square.clone(),
            interiors: vec![],
        },
    )]);
    assert!(check(&poly, &berlin));
    let holed = Filter::must(vec![field(
        "g",
        FieldCheck::GeoPolygon {
            exterior: square.clone(),
            interiors: vec![square],
        },
    )]);
    assert!(!check(&holed, &berlin));
}

#[test]
fn full_text_without_index() {
    let p = payload(json!({"t": "The quick brown-fox"}));
    let m = |m: Match| Filter::must(vec![field("t", FieldCheck::Match(m))]);
    assert!(check(&m(Match::Text("fox QUICK".into())), &p));
    assert!(!check(&m(Match::Text("fox cat".into())), &p));
    assert!(check(&m(Match::TextAny("fox cat".into())), &p));
    assert!(check(&m(Match::Phrase("brown fox".into())), &p));
    assert!(!check(&m(Match::Phrase("fox brown".into())), &p));
}

#[test]
fn values_count() {
    let f = Filter::must(vec![field(
        "a",
        FieldCheck::ValuesCount(Range {
            gte: Some(2.0),
            ..Range::default()
        }),
    )]);
    assert!(check(&f, &payload(json!({"a": [1, 2]}))));
    assert!(!check(&f, &payload(json!({"a": 1}))));
    assert!(!check(&f, &payload(json!({}))));
}
