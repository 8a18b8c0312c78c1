//! The hot gRPC requests converted straight into internal ones, without
//! the REST JSON bridge: upserts, whose vectors are nearly all of an
//! ingest's bytes. Only the common forms take this path (ids that parse,
//! dense / sparse / multi-dense vectors of finite values, no update
//! filter); anything else is handed back and goes through the bridge, so
//! every error keeps the text REST gives.

use collection::operations::{PointData, UpdateMode, UpdateRequest};
use qdrant_client::qdrant as pb;
use segment::vectors::{NamedVectors, SparseVector, Vector, DEFAULT_VECTOR_NAME};
use segment::PointId;

use pb::point_id::PointIdOptions;

fn point_id(id: &Option<pb::PointId>) -> Option<PointId> {
    match id.as_ref()?.point_id_options.as_ref()? {
        PointIdOptions::Num(n) => Some(PointId::Num(*n)),
        PointIdOptions::Uuid(u) => uuid::Uuid::parse_str(u).ok().map(PointId::Uuid),
    }
}

fn finite(data: &[f32]) -> bool {
    data.iter().all(|x| x.is_finite())
}

/// Whether a vector is in a form this path converts.
#[allow(deprecated)]
fn plain_vector(v: &pb::Vector) -> bool {
    use pb::vector::Vector as V;
    match &v.vector {
        Some(V::Dense(d)) => finite(&d.data),
        Some(V::Sparse(s)) => finite(&s.values),
        // an empty multi-vector reads as an empty dense one on the bridge
        Some(V::MultiDense(m)) => {
            !m.vectors.is_empty() && m.vectors.iter().all(|d| finite(&d.data))
        }
        Some(_) => false,
        // the legacy flat form, dense only
        None => v.indices.is_none() && v.vectors_count.unwrap_or(0) == 0 && finite(&v.data),
    }
}

#[allow(deprecated)]
fn vector(v: pb::Vector) -> Vector {
    use pb::vector::Vector as V;
    match v.vector {
        Some(V::Dense(d)) => Vector::Dense(d.data),
        Some(V::Sparse(s)) => Vector::Sparse(SparseVector {
            indices: s.indices,
            values: s.values,
        }),
        Some(V::MultiDense(m)) => Vector::Multi(m.vectors.into_iter().map(|d| d.data).collect()),
        _ => Vector::Dense(v.data),
    }
}

fn plain_vectors(v: &Option<pb::Vectors>) -> bool {
    use pb::vectors::VectorsOptions;
    match v.as_ref().and_then(|v| v.vectors_options.as_ref()) {
        // an unnamed sparse vector reads as named dense ones on the bridge
        // (`indices`, `values`), which then fail with its text
        Some(VectorsOptions::Vector(v)) => {
            plain_vector(v) && !matches!(v.vector, Some(pb::vector::Vector::Sparse(_)))
        }
        Some(VectorsOptions::Vectors(named)) => named.vectors.values().all(plain_vector),
        None => true,
    }
}

fn vectors(v: Option<pb::Vectors>) -> NamedVectors {
    use pb::vectors::VectorsOptions;
    match v.and_then(|v| v.vectors_options) {
        Some(VectorsOptions::Vector(v)) => [(DEFAULT_VECTOR_NAME.to_string(), vector(v))].into(),
        Some(VectorsOptions::Vectors(named)) => named
            .vectors
            .into_iter()
            .map(|(name, v)| (name, vector(v)))
            .collect(),
        None => NamedVectors::new(),
    }
}

/// `Upsert` as an internal request, or the request handed back when it is
/// not in a form this path converts.
pub fn upsert(r: pb::UpsertPoints) -> Result<UpdateRequest, Box<pb::UpsertPoints>> {
    let plain = r.update_filter.is_none()
        && r.points
            .iter()
            .all(|p| point_id(&p.id).is_some() && plain_vectors(&p.vectors));
    if !plain {
        return Err(Box::new(r));
    }
    let mode = match r.update_mode.and_then(|m| pb::UpdateMode::try_from(m).ok()) {
        Some(pb::UpdateMode::InsertOnly) => UpdateMode::InsertOnly,
        Some(pb::UpdateMode::UpdateOnly) => UpdateMode::UpdateOnly,
        Some(pb::UpdateMode::Upsert) | None => UpdateMode::Upsert,
    };
    let points = r
        .points
        .into_iter()
        .map(|p| PointData {
            id: point_id(&p.id).expect("checked above"),
            payload: super::input::map(&p.payload),
            vectors: vectors(p.vectors),
        })
        .collect();
    Ok(UpdateRequest::Upsert {
        points,
        update_filter: None,
        mode,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn dense(data: Vec<f32>) -> pb::Vector {
        pb::Vector {
            vector: Some(pb::vector::Vector::Dense(pb::DenseVector { data })),
            ..Default::default()
        }
    }

    fn point(id: pb::point_id::PointIdOptions, vectors: pb::Vectors) -> pb::PointStruct {
        pb::PointStruct {
            id: Some(pb::PointId {
                point_id_options: Some(id),
            }),
            payload: HashMap::from([(
                "k".to_string(),
                pb::Value {
                    kind: Some(pb::value::Kind::IntegerValue(3)),
                },
            )]),
            vectors: Some(vectors),
        }
    }

    fn request(points: Vec<pb::PointStruct>) -> pb::UpsertPoints {
        pb::UpsertPoints {
            collection_name: "c".into(),
            points,
            ..Default::default()
        }
    }

    /// The direct conversion gives what the JSON bridge gives.
    #[test]
    fn matches_the_bridge() {
        let named = pb::Vectors {
            vectors_options: Some(pb::vectors::VectorsOptions::Vectors(pb::NamedVectors {
                vectors: HashMap::from([
                    ("d".to_string(), dense(vec![1.0, -0.5])),
                    (
                        "s".to_string(),
                        pb::Vector {
                            vector: Some(pb::vector::Vector::Sparse(pb::SparseVector {
                                indices: vec![3, 1],
                                values: vec![0.5, 2.0],
                            })),
                            ..Default::default()
                        },
                    ),
                    (
                        "m".to_string(),
                        pb::Vector {
                            vector: Some(pb::vector::Vector::MultiDense(pb::MultiDenseVector {
                                vectors: vec![
                                    pb::DenseVector { data: vec![1.0] },
                                    pb::DenseVector { data: vec![2.0] },
                                ],
                            })),
                            ..Default::default()
                        },
                    ),
                ]),
            })),
        };
        let single = pb::Vectors {
            vectors_options: Some(pb::vectors::VectorsOptions::Vector(dense(vec![0.25; 4]))),
        };
        let r = request(vec![
            point(PointIdOptions::Num(7), named),
            point(
                PointIdOptions::Uuid("5c56c793-69f3-4fbf-87e6-c4bf54c28c26".into()),
                single,
            ),
        ]);
        let bridged = super::super::requests::upsert(&r)
            .unwrap()
            .convert()
            .unwrap();
        assert_eq!(upsert(r).unwrap(), bridged);
    }

    #[test]
    fn unusual_forms_go_through_the_bridge() {
        let single = |v: Vec<f32>| pb::Vectors {
            vectors_options: Some(pb::vectors::VectorsOptions::Vector(dense(v))),
        };
        let bad_uuid = request(vec![point(
            PointIdOptions::Uuid("nope".into()),
            single(vec![1.0]),
        )]);
        assert!(upsert(bad_uuid).is_err());
        let nan = request(vec![point(PointIdOptions::Num(1), single(vec![f32::NAN]))]);
        assert!(upsert(nan).is_err());
        let unnamed_sparse = request(vec![point(
            PointIdOptions::Num(1),
            pb::Vectors {
                vectors_options: Some(pb::vectors::VectorsOptions::Vector(pb::Vector {
                    vector: Some(pb::vector::Vector::Sparse(pb::SparseVector {
                        indices: vec![1],
                        values: vec![1.0],
                    })),
                    ..Default::default()
                })),
            },
        )]);
        assert!(upsert(unnamed_sparse).is_err());
        let mut no_id = request(vec![point(PointIdOptions::Num(1), single(vec![1.0]))]);
        no_id.points[0].id = None;
        assert!(upsert(no_id).is_err());
    }
}
