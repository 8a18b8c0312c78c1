//! Responses in protobuf, from the same results REST serializes.

use std::collections::HashMap;

use qdrant_client::qdrant as pb;
use segment::PointId;
use serde_json::{Map, Value};

use crate::rest::groups::{GroupsResult, MatrixOffsets, MatrixPairs};
use crate::rest::index::FacetResponse;
use crate::rest::query::ScoredPointOutput;
use crate::rest::records::{Record, UpdateResult, UpdateStatus, VectorOutput, VectorStructOutput};

/// A JSON value as `json_with_int` (integers stay integers).
pub fn value(v: &Value) -> pb::Value {
    use pb::value::Kind;
    let kind = match v {
        Value::Null => Kind::NullValue(0),
        Value::Bool(b) => Kind::BoolValue(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Kind::IntegerValue(i),
            None => Kind::DoubleValue(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => Kind::StringValue(s.clone()),
        Value::Array(items) => Kind::ListValue(pb::ListValue {
            values: items.iter().map(value).collect(),
        }),
        Value::Object(m) => Kind::StructValue(pb::Struct { fields: payload(m) }),
    };
    pb::Value { kind: Some(kind) }
}

/// A JSON object as a protobuf map.
pub fn payload(m: &Map<String, Value>) -> HashMap<String, pb::Value> {
    m.iter().map(|(k, v)| (k.clone(), value(v))).collect()
}

/// A point id.
pub fn point_id(id: &PointId) -> pb::PointId {
    use pb::point_id::PointIdOptions;
    let options = match id {
        PointId::Num(n) => PointIdOptions::Num(*n),
        PointId::Uuid(u) => PointIdOptions::Uuid(u.to_string()),
    };
    pb::PointId {
        point_id_options: Some(options),
    }
}

#[allow(deprecated)]
fn vector(v: &VectorOutput) -> pb::VectorOutput {
    use pb::vector_output::Vector as V;
    let inner = match v {
        VectorOutput::Dense(d) => V::Dense(pb::DenseVector { data: d.clone() }),
        VectorOutput::Sparse(s) => V::Sparse(pb::SparseVector {
            values: s.values.clone(),
            indices: s.indices.clone(),
        }),
        VectorOutput::Multi(m) => V::MultiDense(pb::MultiDenseVector {
            vectors: m
                .iter()
                .map(|d| pb::DenseVector { data: d.clone() })
                .collect(),
        }),
    };
    pb::VectorOutput {
        data: Vec::new(),
        indices: None,
        vectors_count: None,
        vector: Some(inner),
    }
}

/// A point's vectors.
pub fn vectors(v: &VectorStructOutput) -> pb::VectorsOutput {
    use pb::vectors_output::VectorsOptions;
    let options = match v {
        VectorStructOutput::Single(v) => VectorsOptions::Vector(vector(v)),
        VectorStructOutput::Named(m) => VectorsOptions::Vectors(pb::NamedVectorsOutput {
            vectors: m.iter().map(|(k, v)| (k.clone(), vector(v))).collect(),
        }),
    };
    pb::VectorsOutput {
        vectors_options: Some(options),
    }
}

fn order_value(v: &Option<Value>) -> Option<pb::OrderValue> {
    use pb::order_value::Variant;
    let v = v.as_ref()?;
    let variant = match v.as_i64() {
        Some(i) => Variant::Int(i),
        None => Variant::Float(v.as_f64()?),
    };
    Some(pb::OrderValue {
        variant: Some(variant),
    })
}

/// A scored point.
pub fn scored(p: &ScoredPointOutput) -> pb::ScoredPoint {
    pb::ScoredPoint {
        id: Some(point_id(&p.id)),
        payload: p.payload.as_ref().map(payload).unwrap_or_default(),
        score: p.score,
        version: p.version,
        vectors: p.vector.as_ref().map(vectors),
        shard_key: None,
        order_value: order_value(&p.order_value),
    }
}

/// Scored points.
pub fn scored_list(points: &[ScoredPointOutput]) -> Vec<pb::ScoredPoint> {
    points.iter().map(scored).collect()
}

/// Batches of scored points.
pub fn batches(results: &[Vec<ScoredPointOutput>]) -> Vec<pb::BatchResult> {
    results
        .iter()
        .map(|r| pb::BatchResult {
            result: scored_list(r),
        })
        .collect()
}

/// A retrieved point.
pub fn record(r: &Record) -> pb::RetrievedPoint {
    pb::RetrievedPoint {
        id: Some(point_id(&r.id)),
        payload: r.payload.as_ref().map(payload).unwrap_or_default(),
        vectors: r.vector.as_ref().map(vectors),
        shard_key: None,
        order_value: order_value(&r.order_value),
    }
}

/// An update result.
pub fn update(r: &UpdateResult) -> pb::UpdateResult {
    pb::UpdateResult {
        operation_id: r.operation_id,
        status: match r.status {
            UpdateStatus::Acknowledged => pb::UpdateStatus::Acknowledged as i32,
            UpdateStatus::Completed => pb::UpdateStatus::Completed as i32,
        },
    }
}

/// Groups.
pub fn groups(g: &GroupsResult) -> pb::GroupsResult {
    use pb::group_id::Kind;
    pb::GroupsResult {
        groups: g
            .groups
            .iter()
            .map(|g| pb::PointGroup {
                id: Some(pb::GroupId {
                    kind: Some(match &g.id {
                        Value::Number(n) if n.as_u64().is_some() => {
                            Kind::UnsignedValue(n.as_u64().unwrap_or(0))
                        }
                        Value::Number(n) => Kind::IntegerValue(n.as_i64().unwrap_or(0)),
                        Value::String(s) => Kind::StringValue(s.clone()),
                        other => Kind::StringValue(other.to_string()),
                    }),
                }),
                hits: scored_list(&g.hits),
                lookup: g.lookup.as_ref().map(record),
            })
            .collect(),
    }
}

/// Facet hits.
pub fn facet(f: &FacetResponse) -> Vec<pb::FacetHit> {
    use pb::facet_value::Variant;
    f.hits
        .iter()
        .map(|h| pb::FacetHit {
            value: Some(pb::FacetValue {
                variant: Some(match &h.value {
                    Value::Bool(b) => Variant::BoolValue(*b),
                    Value::Number(n) => Variant::IntegerValue(n.as_i64().unwrap_or(0)),
                    Value::String(s) => Variant::StringValue(s.clone()),
                    other => Variant::StringValue(other.to_string()),
                }),
            }),
            count: h.count,
        })
        .collect()
}

/// Distance matrix pairs.
pub fn matrix_pairs(m: &MatrixPairs) -> pb::SearchMatrixPairs {
    pb::SearchMatrixPairs {
        pairs: m
            .pairs
            .iter()
            .map(|p| pb::SearchMatrixPair {
                a: Some(point_id(&p.a)),
                b: Some(point_id(&p.b)),
                score: p.score,
            })
            .collect(),
    }
}

/// Distance matrix offsets.
pub fn matrix_offsets(m: &MatrixOffsets) -> pb::SearchMatrixOffsets {
    pb::SearchMatrixOffsets {
        offsets_row: m.offsets_row.iter().map(|x| *x as u64).collect(),
        offsets_col: m.offsets_col.iter().map(|x| *x as u64).collect(),
        scores: m.scores.clone(),
        ids: m.ids.iter().map(point_id).collect(),
    }
}
