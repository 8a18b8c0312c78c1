use serde_json::json;

use super::*;
use crate::vectors::{SparseVector, Vector};

fn schema() -> BTreeMap<String, VectorKind> {
    [
        ("".to_string(), VectorKind::dense(2)),
        ("s".to_string(), VectorKind::Sparse),
        (
            "m".to_string(),
            VectorKind::Multi {
                dim: 1,
                element: Default::default(),
            },
        ),
    ]
    .into()
}

fn payload(v: serde_json::Value) -> Payload {
    v.as_object().unwrap().clone()
}

fn dense(v: &[f32]) -> NamedVectors {
    [("".to_string(), Vector::Dense(v.to_vec()))].into()
}

#[test]
fn upsert_read_delete() {
    let mut s = Segment::new(&schema());
    s.upsert(
        1,
        PointId::Num(5),
        dense(&[1.0, 2.0]),
        payload(json!({"a": 1})),
    );
    s.upsert(2, PointId::Num(3), dense(&[3.0, 4.0]), Payload::new());
    assert_eq!(s.points_count(), 2);
    let ids: Vec<_> = s.iter_from(None).map(|(id, _)| id).collect();
    assert_eq!(ids, vec![PointId::Num(3), PointId::Num(5)]);
    let off = s.offset(PointId::Num(5)).unwrap();
    let r = s.record(off, &PayloadSelector::All, &VectorSelector::All);
    assert_eq!(r.version, 1);
    assert_eq!(r.vectors.unwrap()[""], Vector::Dense(vec![1.0, 2.0]));
    assert!(s.delete(3, PointId::Num(5)));
    assert!(!s.delete(4, PointId::Num(5)));
    assert_eq!(s.points_count(), 1);
    assert_eq!(s.version(), 4);
}

#[test]
fn payload_operations() {
    let mut s = Segment::new(&schema());
    let id = PointId::Num(1);
    s.upsert(
        1,
        id,
        dense(&[1.0, 0.0]),
        payload(json!({"a": 1, "b": {"c": 2}})),
    );
    s.set_payload(
        2,
        id,
        &payload(json!({"x": 1})),
        Some(&JsonPath::parse("b").unwrap()),
    );
    s.delete_payload(3, id, &[JsonPath::parse("a").unwrap()]);
    let off = s.offset(id).unwrap();
    let r = s.record(off, &PayloadSelector::All, &VectorSelector::None);
    assert_eq!(
        serde_json::Value::Object(r.payload.unwrap()),
        json!({"b": {"c": 2, "x": 1}})
    );
    assert_eq!(r.vectors, None);
    assert_eq!(r.version, 3);
    s.clear_payload(4, id);
    assert!(s
        .record(off, &PayloadSelector::All, &VectorSelector::None)
        .payload
        .unwrap()
        .is_empty());
    assert!(!s.set_payload(5, PointId::Num(99), &Payload::new(), None));
}

#[test]
fn save_and_load_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("segment.bin");
    let mut s = Segment::new(&schema());
    let mut v = dense(&[1.0, 2.0]);
    v.insert(
        "s".into(),
        Vector::Sparse(SparseVector {
            indices: vec![4, 2],
            values: vec![0.4, 0.2],
        }),
    );
    v.insert("m".into(), Vector::Multi(vec![vec![1.0], vec![2.0]]));
    s.upsert(
        7,
        PointId::Uuid(uuid::Uuid::from_u128(9)),
        v,
        payload(json!({"k": [1, "x", null]})),
    );
    s.upsert(8, PointId::Num(1), NamedVectors::new(), Payload::new());
    s.save(&path).unwrap();
    let loaded = Segment::load(&path).unwrap();
    assert_eq!(loaded.version(), 8);
    for (id, off) in s.iter_from(None) {
        let o2 = loaded.offset(id).unwrap();
        assert_eq!(
            s.record(off, &PayloadSelector::All, &VectorSelector::All),
            loaded.record(o2, &PayloadSelector::All, &VectorSelector::All)
        );
    }
    // damage anywhere, truncation, a foreign file: refused before any
    // point is read
    let good = std::fs::read(&path).unwrap();
    let damaged = |edit: &dyn Fn(&mut Vec<u8>)| {
        let mut bytes = good.clone();
        edit(&mut bytes);
        std::fs::write(&path, &bytes).unwrap();
        Segment::load(&path)
    };
    for result in [
        damaged(&|b| b[12] ^= 0xff),
        damaged(&|b| *b.last_mut().unwrap() ^= 1),
        damaged(&|b| b.truncate(b.len() - 9)),
        damaged(&|b| b.truncate(10)),
        damaged(&|b| b[0] = b'X'),
    ] {
        assert!(matches!(result, Err(SegmentError::Corrupted(_))));
    }
}
