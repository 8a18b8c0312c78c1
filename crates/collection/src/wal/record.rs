//! Record bodies: how an [`Operation`] is written into the log.
//!
//! Format 2 (written now) is binary: `[2][tag]` and then, for the
//! operations that carry vectors or many ids, little-endian fields
//! (`segment::codec`): upserts, vector updates and deletions, which are
//! nearly all of an ingest's bytes. Every other operation is rare and small
//! and follows its tag `0` as JSON. Format 1 bodies were the JSON of the
//! operation; they start with `{` and are still read, so a log written
//! before an upgrade replays. `docs/formats.md` lays out every byte.

use segment::codec::{Reader, Writer};
use segment::vectors::NamedVectors;
use segment::Payload;

use crate::error::{CollectionError, Result};
use crate::operations::{Operation, PointData};

/// The record format this code writes.
pub const FORMAT: u8 = 2;

const TAG_JSON: u8 = 0;
const TAG_UPSERT: u8 = 1;
const TAG_DELETE: u8 = 2;
const TAG_UPDATE_VECTORS: u8 = 3;

fn corrupt(e: impl std::fmt::Display) -> CollectionError {
    CollectionError::Service(format!("undecodable WAL record: {e}"))
}

fn named_vectors(w: &mut Writer, vectors: &NamedVectors) {
    w.u32(vectors.len() as u32);
    for (name, vector) in vectors {
        w.str(name);
        w.vector(vector);
    }
}

fn read_named_vectors(r: &mut Reader<&[u8]>) -> segment::Result<NamedVectors> {
    let n = r.u32()?;
    (0..n).map(|_| Ok((r.str()?, r.vector()?))).collect()
}

/// Encodes `op` as a record body of the current format.
pub fn encode(op: &Operation) -> Result<Vec<u8>> {
    let mut w = Writer::default();
    w.u8(FORMAT);
    match op {
        Operation::Upsert(points) => {
            w.u8(TAG_UPSERT);
            w.u32(points.len() as u32);
            for p in points {
                w.point_id(p.id);
                named_vectors(&mut w, &p.vectors);
                if p.payload.is_empty() {
                    w.u32(0);
                } else {
                    w.bytes(&serde_json::to_vec(&p.payload).map_err(corrupt)?);
                }
            }
        }
        Operation::Delete(ids) => {
            w.u8(TAG_DELETE);
            w.u32(ids.len() as u32);
            ids.iter().for_each(|id| w.point_id(*id));
        }
        Operation::UpdateVectors(points) => {
            w.u8(TAG_UPDATE_VECTORS);
            w.u32(points.len() as u32);
            for (id, vectors) in points {
                w.point_id(*id);
                named_vectors(&mut w, vectors);
            }
        }
        other => {
            w.u8(TAG_JSON);
            serde_json::to_writer(&mut w.buf, other).map_err(corrupt)?;
        }
    }
    Ok(w.buf)
}

/// Decodes a record body of any format this code knows.
pub fn decode(body: &[u8]) -> Result<Operation> {
    match body.first() {
        // format 1: the operation as JSON
        Some(b'{') | Some(b'"') => serde_json::from_slice(body).map_err(corrupt),
        Some(&FORMAT) => decode_v2(&body[1..]),
        Some(other) => Err(corrupt(format!("unknown record format {other}"))),
        None => Err(corrupt("empty record")),
    }
}

fn decode_v2(body: &[u8]) -> Result<Operation> {
    let Some((&tag, rest)) = body.split_first() else {
        return Err(corrupt("no operation tag"));
    };
    if tag == TAG_JSON {
        return serde_json::from_slice(rest).map_err(corrupt);
    }
    let mut r = Reader::new(rest);
    let op = (|| -> segment::Result<Operation> {
        let n = r.u32()?;
        Ok(match tag {
            TAG_UPSERT => Operation::Upsert(
                (0..n)
                    .map(|_| {
                        let id = r.point_id()?;
                        let vectors = read_named_vectors(&mut r)?;
                        let raw = r.bytes()?;
                        let payload = match raw.is_empty() {
                            true => Payload::new(),
                            false => serde_json::from_slice(&raw).map_err(|e| {
                                segment::SegmentError::Corrupted(format!("payload: {e}"))
                            })?,
                        };
                        Ok(PointData {
                            id,
                            vectors,
                            payload,
                        })
                    })
                    .collect::<segment::Result<_>>()?,
            ),
            TAG_DELETE => Operation::Delete(
                (0..n)
                    .map(|_| r.point_id())
                    .collect::<segment::Result<_>>()?,
            ),
            TAG_UPDATE_VECTORS => Operation::UpdateVectors(
                (0..n)
                    .map(|_| Ok((r.point_id()?, read_named_vectors(&mut r)?)))
                    .collect::<segment::Result<_>>()?,
            ),
            other => {
                return Err(segment::SegmentError::Corrupted(format!(
                    "unknown operation tag {other}"
                )))
            }
        })
    })()
    .map_err(corrupt)?;
    if !r.is_empty() {
        return Err(corrupt("trailing bytes"));
    }
    Ok(op)
}

#[cfg(test)]
mod tests {
    use super::*;
    use segment::vectors::{SparseVector, Vector};
    use segment::PointId;

    #[test]
    fn every_operation_round_trips() {
        let vectors: NamedVectors = [
            (
                "".to_string(),
                Vector::Dense(vec![0.1, -2.5, f32::MIN_POSITIVE]),
            ),
            ("m".to_string(), Vector::Multi(vec![vec![1.0], vec![2.0]])),
            (
                "s".to_string(),
                Vector::Sparse(SparseVector {
                    indices: vec![1, 9],
                    values: vec![0.5, 0.25],
                }),
            ),
        ]
        .into();
        let uuid: PointId =
            serde_json::from_str(r#""00000000-0000-0000-0000-000000000007""#).unwrap();
        let payload: Payload =
            serde_json::from_str(r#"{"a": 1.1, "b": [1, "x"], "c": {"d": null}}"#).unwrap();
        let ops = vec![
            Operation::Upsert(vec![
                PointData {
                    id: PointId::Num(u64::MAX),
                    vectors: vectors.clone(),
                    payload: payload.clone(),
                },
                PointData {
                    id: uuid,
                    vectors: NamedVectors::new(),
                    payload: Payload::new(),
                },
            ]),
            Operation::Upsert(vec![]),
            Operation::Delete(vec![PointId::Num(3), uuid]),
            Operation::UpdateVectors(vec![(uuid, vectors)]),
            Operation::SetPayload(vec![uuid], payload, Some("k".into())),
            Operation::ClearPayload(vec![PointId::Num(1)]),
            Operation::DeleteVectorName("m".into()),
        ];
        for op in ops {
            let body = encode(&op).unwrap();
            assert_eq!(body[0], FORMAT);
            assert_eq!(decode(&body).unwrap(), op);
            // format 1 bodies (JSON) still decode
            assert_eq!(decode(&serde_json::to_vec(&op).unwrap()).unwrap(), op);
        }
    }

    #[test]
    fn damaged_bodies_fail_without_panicking() {
        let op = Operation::Upsert(vec![PointData {
            id: PointId::Num(1),
            vectors: [("".to_string(), Vector::Dense(vec![1.0; 8]))].into(),
            payload: serde_json::from_str(r#"{"a": 1}"#).unwrap(),
        }]);
        let body = encode(&op).unwrap();
        for cut in 0..body.len() {
            assert!(decode(&body[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = body.clone();
        longer.push(0);
        assert!(decode(&longer).is_err());
        assert!(decode(&[9, 1]).is_err());
        assert!(decode(&[FORMAT, 77, 0, 0, 0, 0]).is_err());
    }
}
