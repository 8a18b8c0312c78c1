//! Points-service requests as the REST bodies of the same operations.

use collection::{CollectionError, Result};
use qdrant_client::qdrant as pb;
use serde_json::{json, Map, Value};

use super::input::*;
use crate::rest;

fn put(obj: &mut Map<String, Value>, k: &str, v: Value) {
    if !v.is_null() {
        obj.insert(k.into(), v);
    }
}

fn opt<T: serde::Serialize>(v: Option<T>) -> Value {
    v.map_or(Value::Null, |v| json!(v))
}

/// Merges a selector (`{"points": …}` or `{"filter": …}`) into `obj`.
fn merge_selector(obj: &mut Map<String, Value>, s: &Option<pb::PointsSelector>) -> Result<()> {
    if s.is_some() {
        if let Value::Object(sel) = points_selector(s)? {
            obj.extend(sel);
        }
    }
    Ok(())
}

fn points(ps: &[pb::PointStruct]) -> Result<Value> {
    ps.iter()
        .map(point)
        .collect::<Result<Vec<_>>>()
        .map(Value::Array)
}

fn point_vectors(ps: &[pb::PointVectors]) -> Result<Value> {
    ps.iter()
        .map(|p| {
            let id = p
                .id
                .as_ref()
                .ok_or_else(|| CollectionError::BadInput("Malformed PointVectors: no id".into()))
                .and_then(point_id)?;
            let vector = p.vectors.as_ref().map_or(Ok(json!({})), vectors)?;
            Ok(json!({"id": id, "vector": vector}))
        })
        .collect::<Result<Vec<_>>>()
        .map(Value::Array)
}

fn upsert_json(
    ps: &[pb::PointStruct],
    update_filter: &Option<pb::Filter>,
    update_mode: Option<i32>,
) -> Result<Value> {
    let mut o = Map::new();
    o.insert("points".into(), points(ps)?);
    put(&mut o, "update_filter", filter_opt(update_filter)?);
    let mode = match update_mode.and_then(|m| pb::UpdateMode::try_from(m).ok()) {
        Some(pb::UpdateMode::InsertOnly) => json!("insert_only"),
        Some(pb::UpdateMode::UpdateOnly) => json!("update_only"),
        Some(pb::UpdateMode::Upsert) => json!("upsert"),
        None => Value::Null,
    };
    put(&mut o, "update_mode", mode);
    Ok(Value::Object(o))
}

fn set_payload_json(
    payload: &std::collections::HashMap<String, pb::Value>,
    selector: &Option<pb::PointsSelector>,
    key: &Option<String>,
) -> Result<Value> {
    let mut o = Map::new();
    o.insert("payload".into(), Value::Object(map(payload)));
    merge_selector(&mut o, selector)?;
    put(&mut o, "key", opt(key.clone()));
    Ok(Value::Object(o))
}

fn delete_payload_json(keys: &[String], selector: &Option<pb::PointsSelector>) -> Result<Value> {
    let mut o = Map::new();
    o.insert("keys".into(), json!(keys));
    merge_selector(&mut o, selector)?;
    Ok(Value::Object(o))
}

fn update_vectors_json(
    ps: &[pb::PointVectors],
    update_filter: &Option<pb::Filter>,
) -> Result<Value> {
    let mut o = Map::new();
    o.insert("points".into(), point_vectors(ps)?);
    put(&mut o, "update_filter", filter_opt(update_filter)?);
    Ok(Value::Object(o))
}

fn delete_vectors_json(
    selector: &Option<pb::PointsSelector>,
    names: &Option<pb::VectorsSelector>,
) -> Result<Value> {
    let mut o = Map::new();
    merge_selector(&mut o, selector)?;
    o.insert(
        "vector".into(),
        json!(names.as_ref().map(|n| n.names.clone()).unwrap_or_default()),
    );
    Ok(Value::Object(o))
}

/// `Upsert`.
pub fn upsert(r: &pb::UpsertPoints) -> Result<rest::points::PointInsertOperations> {
    body(upsert_json(&r.points, &r.update_filter, r.update_mode)?)
}

/// `Delete`.
pub fn delete(r: &pb::DeletePoints) -> Result<rest::points::PointsSelector> {
    body(points_selector(&r.points)?)
}

/// `ClearPayload`.
pub fn clear_payload(r: &pb::ClearPayloadPoints) -> Result<rest::points::PointsSelector> {
    body(points_selector(&r.points)?)
}

/// `Get`.
pub fn get(r: &pb::GetPoints) -> Result<rest::points::PointRequest> {
    let mut o = Map::new();
    o.insert("ids".into(), point_ids(&r.ids)?);
    put(&mut o, "with_payload", with_payload(&r.with_payload));
    put(&mut o, "with_vector", with_vectors(&r.with_vectors));
    body(Value::Object(o))
}

/// `UpdateVectors`.
pub fn update_vectors(r: &pb::UpdatePointVectors) -> Result<rest::points::UpdateVectors> {
    body(update_vectors_json(&r.points, &r.update_filter)?)
}

/// `DeleteVectors`.
pub fn delete_vectors(r: &pb::DeletePointVectors) -> Result<rest::points::DeleteVectors> {
    body(delete_vectors_json(&r.points_selector, &r.vectors)?)
}

/// `SetPayload` / `OverwritePayload`.
pub fn set_payload(r: &pb::SetPayloadPoints) -> Result<rest::points::SetPayload> {
    body(set_payload_json(&r.payload, &r.points_selector, &r.key)?)
}

/// `DeletePayload`.
pub fn delete_payload(r: &pb::DeletePayloadPoints) -> Result<rest::points::DeletePayload> {
    body(delete_payload_json(&r.keys, &r.points_selector)?)
}

/// `UpdateBatch`.
pub fn update_batch(r: &pb::UpdateBatchPoints) -> Result<rest::points::UpdateOperations> {
    use pb::points_update_operation::Operation as Op;
    let mut ops = Vec::with_capacity(r.operations.len());
    for op in &r.operations {
        #[allow(deprecated)]
        let v = match &op.operation {
            Some(Op::Upsert(u)) => {
                json!({"upsert": upsert_json(&u.points, &u.update_filter, u.update_mode)?})
            }
            Some(Op::DeleteDeprecated(s)) => {
                json!({"delete": points_selector(&Some(s.clone()))?})
            }
            Some(Op::DeletePoints(d)) => json!({"delete": points_selector(&d.points)?}),
            Some(Op::SetPayload(s)) => {
                json!({"set_payload": set_payload_json(&s.payload, &s.points_selector, &s.key)?})
            }
            Some(Op::OverwritePayload(s)) => json!({
                "overwrite_payload": set_payload_json(&s.payload, &s.points_selector, &s.key)?
            }),
            Some(Op::DeletePayload(d)) => {
                json!({"delete_payload": delete_payload_json(&d.keys, &d.points_selector)?})
            }
            Some(Op::ClearPayloadDeprecated(s)) => {
                json!({"clear_payload": points_selector(&Some(s.clone()))?})
            }
            Some(Op::ClearPayload(c)) => json!({"clear_payload": points_selector(&c.points)?}),
            Some(Op::UpdateVectors(u)) => {
                json!({"update_vectors": update_vectors_json(&u.points, &u.update_filter)?})
            }
            Some(Op::DeleteVectors(d)) => {
                json!({"delete_vectors": delete_vectors_json(&d.points_selector, &d.vectors)?})
            }
            None => {
                return Err(CollectionError::BadInput(
                    "Malformed update operation: none given".into(),
                ))
            }
        };
        ops.push(v);
    }
    body(json!({ "operations": ops }))
}

/// `Scroll`.
pub fn scroll(r: &pb::ScrollPoints) -> Result<rest::points::ScrollRequest> {
    let mut o = Map::new();
    put(&mut o, "filter", filter_opt(&r.filter)?);
    if let Some(id) = &r.offset {
        o.insert("offset".into(), point_id(id)?);
    }
    put(&mut o, "limit", opt(r.limit));
    put(&mut o, "with_payload", with_payload(&r.with_payload));
    put(&mut o, "with_vector", with_vectors(&r.with_vectors));
    if let Some(order) = &r.order_by {
        o.insert("order_by".into(), order_by(order));
    }
    body(Value::Object(o))
}

/// `Count`.
pub fn count(r: &pb::CountPoints) -> Result<rest::points::CountRequest> {
    let mut o = Map::new();
    put(&mut o, "filter", filter_opt(&r.filter)?);
    put(&mut o, "exact", opt(r.exact));
    body(Value::Object(o))
}

/// `CreateFieldIndex`.
pub fn create_index(r: &pb::CreateFieldIndexCollection) -> Result<rest::index::CreateFieldIndex> {
    let mut o = Map::new();
    o.insert("field_name".into(), json!(r.field_name));
    put(
        &mut o,
        "field_schema",
        super::collections::field_schema(r.field_type, &r.field_index_params),
    );
    body(Value::Object(o))
}

/// `Facet`.
pub fn facet(r: &pb::FacetCounts) -> Result<rest::index::FacetRequest> {
    let mut o = Map::new();
    o.insert("key".into(), json!(r.key));
    put(&mut o, "filter", filter_opt(&r.filter)?);
    put(&mut o, "limit", opt(r.limit));
    put(&mut o, "exact", opt(r.exact));
    body(Value::Object(o))
}

/// `SearchMatrixPairs` / `SearchMatrixOffsets`.
pub fn matrix(r: &pb::SearchMatrixPoints) -> Result<rest::groups::SearchMatrixRequest> {
    let mut o = Map::new();
    put(&mut o, "filter", filter_opt(&r.filter)?);
    put(&mut o, "sample", opt(r.sample));
    put(&mut o, "limit", opt(r.limit));
    put(&mut o, "using", opt(r.using.clone()));
    body(Value::Object(o))
}

fn query_json(r: &pb::QueryPoints) -> Result<Value> {
    let mut o = Map::new();
    put(&mut o, "prefetch", prefetches(&r.prefetch)?);
    if let Some(q) = &r.query {
        o.insert("query".into(), query(q)?);
    }
    put(&mut o, "using", opt(r.using.clone()));
    put(&mut o, "filter", filter_opt(&r.filter)?);
    put(&mut o, "params", params(&r.params));
    put(&mut o, "score_threshold", opt(r.score_threshold));
    put(&mut o, "limit", opt(r.limit));
    put(&mut o, "offset", opt(r.offset));
    put(&mut o, "with_vector", with_vectors(&r.with_vectors));
    put(&mut o, "with_payload", with_payload(&r.with_payload));
    put(&mut o, "lookup_from", lookup(&r.lookup_from));
    Ok(Value::Object(o))
}

/// `Query`.
pub fn query_points(r: &pb::QueryPoints) -> Result<rest::query::QueryRequest> {
    body(query_json(r)?)
}

/// `QueryBatch`.
pub fn query_batch(r: &pb::QueryBatchPoints) -> Result<Vec<rest::query::QueryRequest>> {
    r.query_points.iter().map(query_points).collect()
}

fn with_lookup(l: &Option<pb::WithLookup>) -> Value {
    match l {
        Some(l) => {
            let mut o = Map::new();
            o.insert("collection".into(), json!(l.collection));
            put(&mut o, "with_payload", with_payload(&l.with_payload));
            put(&mut o, "with_vectors", with_vectors(&l.with_vectors));
            Value::Object(o)
        }
        None => Value::Null,
    }
}

fn group_fields(
    o: &mut Map<String, Value>,
    group_by: &str,
    size: Value,
    l: &Option<pb::WithLookup>,
) {
    o.insert("group_by".into(), json!(group_by));
    put(o, "group_size", size);
    put(o, "with_lookup", with_lookup(l));
}

/// `QueryGroups`.
pub fn query_groups(r: &pb::QueryPointGroups) -> Result<rest::groups::QueryGroupsRequest> {
    let mut o = Map::new();
    put(&mut o, "prefetch", prefetches(&r.prefetch)?);
    if let Some(q) = &r.query {
        o.insert("query".into(), query(q)?);
    }
    put(&mut o, "using", opt(r.using.clone()));
    put(&mut o, "filter", filter_opt(&r.filter)?);
    put(&mut o, "params", params(&r.params));
    put(&mut o, "score_threshold", opt(r.score_threshold));
    put(&mut o, "limit", opt(r.limit));
    put(&mut o, "with_vector", with_vectors(&r.with_vectors));
    put(&mut o, "with_payload", with_payload(&r.with_payload));
    put(&mut o, "lookup_from", lookup(&r.lookup_from));
    group_fields(&mut o, &r.group_by, opt(r.group_size), &r.with_lookup);
    body(Value::Object(o))
}

fn search_json(r: &pb::SearchPoints) -> Result<Value> {
    let mut o = Map::new();
    o.insert(
        "vector".into(),
        legacy_vector(&r.vector, &r.sparse_indices, &r.vector_name),
    );
    put(&mut o, "filter", filter_opt(&r.filter)?);
    o.insert("limit".into(), json!(r.limit));
    put(&mut o, "offset", opt(r.offset));
    put(&mut o, "with_payload", with_payload(&r.with_payload));
    put(&mut o, "with_vector", with_vectors(&r.with_vectors));
    put(&mut o, "params", params(&r.params));
    put(&mut o, "score_threshold", opt(r.score_threshold));
    Ok(Value::Object(o))
}

/// `Search`.
pub fn search(r: &pb::SearchPoints) -> Result<rest::legacy::LegacySearchRequest> {
    body(search_json(r)?)
}

/// `SearchBatch`.
pub fn search_batch(r: &pb::SearchBatchPoints) -> Result<Vec<rest::legacy::LegacySearchRequest>> {
    r.search_points.iter().map(search).collect()
}

/// `SearchGroups`.
pub fn search_groups(r: &pb::SearchPointGroups) -> Result<rest::groups::LegacySearchGroupsRequest> {
    let mut o = Map::new();
    o.insert(
        "vector".into(),
        legacy_vector(&r.vector, &r.sparse_indices, &r.vector_name),
    );
    put(&mut o, "filter", filter_opt(&r.filter)?);
    o.insert("limit".into(), json!(r.limit));
    put(&mut o, "with_payload", with_payload(&r.with_payload));
    put(&mut o, "with_vector", with_vectors(&r.with_vectors));
    put(&mut o, "params", params(&r.params));
    put(&mut o, "score_threshold", opt(r.score_threshold));
    group_fields(&mut o, &r.group_by, json!(r.group_size), &r.with_lookup);
    body(Value::Object(o))
}

#[allow(clippy::too_many_arguments)]
fn recommend_fields(
    o: &mut Map<String, Value>,
    positive: &[pb::PointId],
    negative: &[pb::PointId],
    positive_vectors: &[pb::Vector],
    negative_vectors: &[pb::Vector],
    strategy: Option<i32>,
    using: &Option<String>,
    lookup_from: &Option<pb::LookupLocation>,
) -> Result<()> {
    let mut pos: Vec<Value> = positive.iter().map(point_id).collect::<Result<_>>()?;
    pos.extend(
        positive_vectors
            .iter()
            .map(vector)
            .collect::<Result<Vec<_>>>()?,
    );
    let mut neg: Vec<Value> = negative.iter().map(point_id).collect::<Result<_>>()?;
    neg.extend(
        negative_vectors
            .iter()
            .map(vector)
            .collect::<Result<Vec<_>>>()?,
    );
    o.insert("positive".into(), Value::Array(pos));
    o.insert("negative".into(), Value::Array(neg));
    put(o, "strategy", recommend_strategy(strategy));
    put(o, "using", opt(using.clone()));
    put(o, "lookup_from", lookup(lookup_from));
    Ok(())
}

/// `Recommend`.
pub fn recommend(r: &pb::RecommendPoints) -> Result<rest::legacy::LegacyRecommendRequest> {
    let mut o = Map::new();
    recommend_fields(
        &mut o,
        &r.positive,
        &r.negative,
        &r.positive_vectors,
        &r.negative_vectors,
        r.strategy,
        &r.using,
        &r.lookup_from,
    )?;
    put(&mut o, "filter", filter_opt(&r.filter)?);
    o.insert("limit".into(), json!(r.limit));
    put(&mut o, "offset", opt(r.offset));
    put(&mut o, "with_payload", with_payload(&r.with_payload));
    put(&mut o, "with_vector", with_vectors(&r.with_vectors));
    put(&mut o, "params", params(&r.params));
    put(&mut o, "score_threshold", opt(r.score_threshold));
    body(Value::Object(o))
}

/// `RecommendBatch`.
pub fn recommend_batch(
    r: &pb::RecommendBatchPoints,
) -> Result<Vec<rest::legacy::LegacyRecommendRequest>> {
    r.recommend_points.iter().map(recommend).collect()
}

/// `RecommendGroups`.
pub fn recommend_groups(
    r: &pb::RecommendPointGroups,
) -> Result<rest::groups::LegacyRecommendGroupsRequest> {
    let mut o = Map::new();
    recommend_fields(
        &mut o,
        &r.positive,
        &r.negative,
        &r.positive_vectors,
        &r.negative_vectors,
        r.strategy,
        &r.using,
        &r.lookup_from,
    )?;
    put(&mut o, "filter", filter_opt(&r.filter)?);
    o.insert("limit".into(), json!(r.limit));
    put(&mut o, "with_payload", with_payload(&r.with_payload));
    put(&mut o, "with_vector", with_vectors(&r.with_vectors));
    put(&mut o, "params", params(&r.params));
    put(&mut o, "score_threshold", opt(r.score_threshold));
    group_fields(&mut o, &r.group_by, json!(r.group_size), &r.with_lookup);
    body(Value::Object(o))
}

/// `Discover`.
pub fn discover(r: &pb::DiscoverPoints) -> Result<rest::legacy::LegacyDiscoverRequest> {
    let mut o = Map::new();
    if let Some(pb::target_vector::Target::Single(e)) =
        r.target.as_ref().and_then(|t| t.target.as_ref())
    {
        o.insert("target".into(), example(e)?);
    }
    let context = r
        .context
        .iter()
        .map(|p| {
            let side = |e: &Option<pb::VectorExample>| {
                e.as_ref().map_or(
                    Err(CollectionError::BadInput("Malformed context pair".into())),
                    example,
                )
            };
            Ok(json!({"positive": side(&p.positive)?, "negative": side(&p.negative)?}))
        })
        .collect::<Result<Vec<_>>>()?;
    o.insert("context".into(), Value::Array(context));
    put(&mut o, "filter", filter_opt(&r.filter)?);
    o.insert("limit".into(), json!(r.limit));
    put(&mut o, "offset", opt(r.offset));
    put(&mut o, "with_payload", with_payload(&r.with_payload));
    put(&mut o, "with_vector", with_vectors(&r.with_vectors));
    put(&mut o, "params", params(&r.params));
    put(&mut o, "using", opt(r.using.clone()));
    put(&mut o, "lookup_from", lookup(&r.lookup_from));
    body(Value::Object(o))
}

/// `DiscoverBatch`.
pub fn discover_batch(
    r: &pb::DiscoverBatchPoints,
) -> Result<Vec<rest::legacy::LegacyDiscoverRequest>> {
    r.discover_points.iter().map(discover).collect()
}

/// `CreateVectorName`.
pub fn create_vector_name(
    r: &pb::CreateVectorNameRequest,
) -> Result<rest::collections::VectorNameConfig> {
    use pb::create_vector_name_request::VectorConfig;
    let v = match &r.vector_config {
        Some(VectorConfig::DenseConfig(d)) => {
            let mut o = Map::new();
            o.insert("size".into(), json!(d.size));
            let distance = ["Unknown", "Cosine", "Euclid", "Dot", "Manhattan"]
                .get(d.distance as usize)
                .copied()
                .unwrap_or("Unknown");
            o.insert("distance".into(), json!(distance));
            if d.multivector_config.is_some() {
                o.insert(
                    "multivector_config".into(),
                    json!({"comparator": "max_sim"}),
                );
            }
            if let Some(dt) = d.datatype {
                let name = [
                    "float32", "float32", "uint8", "float16", "turbo4", "turbo8", "turbo16",
                ]
                .get(dt as usize)
                .copied()
                .unwrap_or("float32");
                o.insert("datatype".into(), json!(name));
            }
            json!({ "dense": o })
        }
        Some(VectorConfig::SparseConfig(s)) => {
            let mut o = Map::new();
            if let Some(m) = s.modifier {
                o.insert(
                    "modifier".into(),
                    json!(if m == 1 { "idf" } else { "none" }),
                );
            }
            json!({ "sparse": o })
        }
        None => {
            return Err(CollectionError::BadInput(
                "Malformed request: no vector configuration given".into(),
            ))
        }
    };
    body(v)
}
