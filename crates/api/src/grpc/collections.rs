//! Collection requests from protobuf into the REST JSON shapes: create,
//! update, aliases, payload index definitions; the enum tables and JSON
//! readers the collection info conversion (`info.rs`) shares.

use std::collections::HashMap;

use collection::Result;
use qdrant_client::qdrant as pb;
use serde_json::{json, Map, Value};

use super::input::{self, body};

// ---- enums: REST names and protobuf numbers ----

pub(super) const DISTANCES: [(&str, i32); 4] =
    [("Cosine", 1), ("Euclid", 2), ("Dot", 3), ("Manhattan", 4)];
pub(super) const DATATYPES: [(&str, i32); 6] = [
    ("float32", 1),
    ("uint8", 2),
    ("float16", 3),
    ("turbo4", 4),
    ("turbo8", 5),
    ("turbo16", 6),
];
pub(super) const MEMORY: [(&str, i32); 3] = [("cold", 1), ("cached", 2), ("pinned", 3)];
pub(super) const MODIFIERS: [(&str, i32); 2] = [("none", 0), ("idf", 1)];
pub(super) const COMPRESSION: [(&str, i32); 5] =
    [("x4", 0), ("x8", 1), ("x16", 2), ("x32", 3), ("x64", 4)];
pub(super) const BINARY_ENCODING: [(&str, i32); 3] =
    [("one_bit", 0), ("two_bits", 1), ("one_and_half_bits", 2)];
pub(super) const QUERY_ENCODING: [(&str, i32); 4] = [
    ("default", 0),
    ("binary", 1),
    ("scalar4bits", 2),
    ("scalar8bits", 3),
];
pub(super) const TURBO_BITS: [(&str, i32); 5] = [
    ("bits1", 0),
    ("bits1_5", 1),
    ("bits2", 2),
    ("bits4", 3),
    ("bits8", 4),
];
pub(super) const SCHEMA_TYPES: [(&str, i32); 8] = [
    ("keyword", 1),
    ("integer", 2),
    ("float", 3),
    ("geo", 4),
    ("text", 5),
    ("bool", 6),
    ("datetime", 7),
    ("uuid", 8),
];
pub(super) const TOKENIZERS: [(&str, i32); 5] = [
    ("prefix", 1),
    ("whitespace", 2),
    ("word", 3),
    ("multilingual", 4),
    ("code", 5),
];

pub(super) fn num(table: &[(&str, i32)], name: Option<&str>) -> Option<i32> {
    let name = name?;
    table.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

fn name(table: &[(&'static str, i32)], v: i32) -> Value {
    table
        .iter()
        .find(|(_, n)| *n == v)
        .map_or(Value::Null, |(n, _)| json!(n))
}

fn name_opt(table: &[(&'static str, i32)], v: Option<i32>) -> Value {
    v.map_or(Value::Null, |v| name(table, v))
}

// ---- JSON readers ----

pub(super) fn u(v: &Value, k: &str) -> Option<u64> {
    v.get(k).and_then(Value::as_u64)
}

pub(super) fn b(v: &Value, k: &str) -> Option<bool> {
    v.get(k).and_then(Value::as_bool)
}

pub(super) fn f(v: &Value, k: &str) -> Option<f64> {
    v.get(k).and_then(Value::as_f64)
}

pub(super) fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

fn put<T: serde::Serialize>(obj: &mut Map<String, Value>, k: &str, v: Option<T>) {
    if let Some(v) = v {
        obj.insert(k.into(), json!(v));
    }
}

fn put_value(obj: &mut Map<String, Value>, k: &str, v: Value) {
    if !v.is_null() {
        obj.insert(k.into(), v);
    }
}

// ---- protobuf → REST JSON (requests) ----

fn hnsw_json(h: &pb::HnswConfigDiff) -> Value {
    let mut o = Map::new();
    put(&mut o, "m", h.m);
    put(&mut o, "ef_construct", h.ef_construct);
    put(&mut o, "full_scan_threshold", h.full_scan_threshold);
    put(&mut o, "max_indexing_threads", h.max_indexing_threads);
    #[allow(deprecated)]
    put(&mut o, "on_disk", h.on_disk);
    put(&mut o, "payload_m", h.payload_m);
    put(&mut o, "inline_storage", h.inline_storage);
    put_value(&mut o, "memory", name_opt(&MEMORY, h.memory));
    Value::Object(o)
}

fn wal_json(w: &pb::WalConfigDiff) -> Value {
    let mut o = Map::new();
    put(&mut o, "wal_capacity_mb", w.wal_capacity_mb);
    put(&mut o, "wal_segments_ahead", w.wal_segments_ahead);
    put(&mut o, "wal_retain_closed", w.wal_retain_closed);
    Value::Object(o)
}

fn optimizers_json(c: &pb::OptimizersConfigDiff) -> Value {
    let mut o = Map::new();
    put(&mut o, "deleted_threshold", c.deleted_threshold);
    put(
        &mut o,
        "vacuum_min_vector_number",
        c.vacuum_min_vector_number,
    );
    put(&mut o, "default_segment_number", c.default_segment_number);
    put(&mut o, "max_segment_size", c.max_segment_size);
    put(&mut o, "memmap_threshold", c.memmap_threshold);
    put(&mut o, "indexing_threshold", c.indexing_threshold);
    put(&mut o, "flush_interval_sec", c.flush_interval_sec);
    put(&mut o, "prevent_unoptimized", c.prevent_unoptimized);
    use pb::max_optimization_threads::Variant;
    match c.max_optimization_threads.as_ref().and_then(|m| m.variant) {
        Some(Variant::Value(n)) => put(&mut o, "max_optimization_threads", Some(n)),
        Some(Variant::Setting(_)) => put(&mut o, "max_optimization_threads", Some("auto")),
        None => put(
            &mut o,
            "max_optimization_threads",
            c.deprecated_max_optimization_threads,
        ),
    }
    Value::Object(o)
}

#[allow(deprecated)]
fn quantization_json(q: &pb::QuantizationConfig) -> Value {
    use pb::quantization_config::Quantization as Q;
    match &q.quantization {
        Some(Q::Scalar(s)) => json!({"scalar": scalar_json(s)}),
        Some(Q::Product(p)) => json!({"product": product_json(p)}),
        Some(Q::Binary(b)) => json!({"binary": binary_json(b)}),
        Some(Q::Turboquant(t)) => json!({"turbo": turbo_json(t)}),
        None => Value::Null,
    }
}

#[allow(deprecated)]
fn scalar_json(s: &pb::ScalarQuantization) -> Value {
    let mut o = Map::new();
    o.insert("type".into(), json!("int8"));
    put(&mut o, "quantile", s.quantile);
    put(&mut o, "always_ram", s.always_ram);
    put_value(&mut o, "memory", name_opt(&MEMORY, s.memory));
    Value::Object(o)
}

#[allow(deprecated)]
fn product_json(p: &pb::ProductQuantization) -> Value {
    let mut o = Map::new();
    o.insert("compression".into(), name(&COMPRESSION, p.compression));
    put(&mut o, "always_ram", p.always_ram);
    put_value(&mut o, "memory", name_opt(&MEMORY, p.memory));
    Value::Object(o)
}

#[allow(deprecated)]
fn binary_json(b: &pb::BinaryQuantization) -> Value {
    let mut o = Map::new();
    put(&mut o, "always_ram", b.always_ram);
    put_value(&mut o, "encoding", name_opt(&BINARY_ENCODING, b.encoding));
    use pb::binary_quantization_query_encoding::Variant;
    if let Some(Variant::Setting(v)) = b.query_encoding.as_ref().and_then(|q| q.variant) {
        o.insert("query_encoding".into(), name(&QUERY_ENCODING, v));
    }
    put_value(&mut o, "memory", name_opt(&MEMORY, b.memory));
    Value::Object(o)
}

#[allow(deprecated)]
fn turbo_json(t: &pb::TurboQuantization) -> Value {
    let mut o = Map::new();
    put(&mut o, "always_ram", t.always_ram);
    put_value(&mut o, "bits", name_opt(&TURBO_BITS, t.bits));
    put_value(&mut o, "memory", name_opt(&MEMORY, t.memory));
    Value::Object(o)
}

#[allow(deprecated)]
fn vector_params_json(p: &pb::VectorParams) -> Value {
    let mut o = Map::new();
    o.insert("size".into(), json!(p.size));
    o.insert("distance".into(), name(&DISTANCES, p.distance));
    if let Some(h) = &p.hnsw_config {
        o.insert("hnsw_config".into(), hnsw_json(h));
    }
    if let Some(q) = &p.quantization_config {
        put_value(&mut o, "quantization_config", quantization_json(q));
    }
    put(&mut o, "on_disk", p.on_disk);
    put_value(&mut o, "datatype", name_opt(&DATATYPES, p.datatype));
    if p.multivector_config.is_some() {
        o.insert(
            "multivector_config".into(),
            json!({"comparator": "max_sim"}),
        );
    }
    put_value(&mut o, "memory", name_opt(&MEMORY, p.memory));
    Value::Object(o)
}

fn vectors_config_json(v: &pb::VectorsConfig) -> Value {
    use pb::vectors_config::Config;
    match &v.config {
        Some(Config::Params(p)) => vector_params_json(p),
        Some(Config::ParamsMap(m)) => {
            let mut o = Map::new();
            let mut names: Vec<&String> = m.map.keys().collect();
            names.sort();
            for n in names {
                o.insert(n.clone(), vector_params_json(&m.map[n]));
            }
            Value::Object(o)
        }
        None => Value::Null,
    }
}

#[allow(deprecated)]
fn sparse_json(c: &pb::SparseVectorConfig) -> Value {
    let mut o = Map::new();
    for (n, p) in &c.map {
        let mut params = Map::new();
        if let Some(i) = &p.index {
            let mut index = Map::new();
            put(&mut index, "full_scan_threshold", i.full_scan_threshold);
            put(&mut index, "on_disk", i.on_disk);
            put_value(&mut index, "datatype", name_opt(&DATATYPES, i.datatype));
            put_value(&mut index, "memory", name_opt(&MEMORY, i.memory));
            params.insert("index".into(), Value::Object(index));
        }
        put_value(&mut params, "modifier", name_opt(&MODIFIERS, p.modifier));
        o.insert(n.clone(), Value::Object(params));
    }
    Value::Object(o)
}

fn memory_param(p: &Option<pb::PayloadStorageParams>) -> Value {
    p.as_ref().map_or(
        Value::Null,
        |p| json!({"memory": name_opt(&MEMORY, p.memory)}),
    )
}

fn metadata(m: &HashMap<String, pb::Value>) -> Value {
    if m.is_empty() {
        Value::Null
    } else {
        Value::Object(input::map(m))
    }
}

/// `CreateCollection` as the REST body.
#[allow(deprecated)]
pub fn create(r: &pb::CreateCollection) -> Result<storage::create::CreateCollection> {
    let mut o = Map::new();
    if let Some(v) = &r.vectors_config {
        put_value(&mut o, "vectors", vectors_config_json(v));
    }
    if let Some(s) = &r.sparse_vectors_config {
        o.insert("sparse_vectors".into(), sparse_json(s));
    }
    put(&mut o, "shard_number", r.shard_number);
    put(&mut o, "replication_factor", r.replication_factor);
    put(
        &mut o,
        "write_consistency_factor",
        r.write_consistency_factor,
    );
    put(&mut o, "on_disk_payload", r.on_disk_payload);
    if let Some(m) = r.sharding_method {
        o.insert(
            "sharding_method".into(),
            json!(if m == 1 { "custom" } else { "auto" }),
        );
    }
    if let Some(h) = &r.hnsw_config {
        o.insert("hnsw_config".into(), hnsw_json(h));
    }
    if let Some(w) = &r.wal_config {
        o.insert("wal_config".into(), wal_json(w));
    }
    if let Some(c) = &r.optimizers_config {
        o.insert("optimizers_config".into(), optimizers_json(c));
    }
    if let Some(q) = &r.quantization_config {
        put_value(&mut o, "quantization_config", quantization_json(q));
    }
    if let Some(sm) = &r.strict_mode_config {
        o.insert("strict_mode_config".into(), strict_json(sm));
    }
    put_value(&mut o, "metadata", metadata(&r.metadata));
    put_value(&mut o, "payload", memory_param(&r.payload));
    if let Some(t) = &r.id_tracker {
        o.insert(
            "id_tracker".into(),
            json!({"memory": name_opt(&MEMORY, t.memory)}),
        );
    }
    body(Value::Object(o))
}

fn strict_json(sm: &pb::StrictModeConfig) -> Value {
    let mut o = Map::new();
    put(&mut o, "enabled", sm.enabled);
    put(&mut o, "max_query_limit", sm.max_query_limit);
    put(&mut o, "max_timeout", sm.max_timeout);
    put(
        &mut o,
        "unindexed_filtering_retrieve",
        sm.unindexed_filtering_retrieve,
    );
    put(
        &mut o,
        "unindexed_filtering_update",
        sm.unindexed_filtering_update,
    );
    put(&mut o, "search_max_hnsw_ef", sm.search_max_hnsw_ef);
    put(&mut o, "search_allow_exact", sm.search_allow_exact);
    put(
        &mut o,
        "search_max_oversampling",
        sm.search_max_oversampling,
    );
    put(&mut o, "upsert_max_batchsize", sm.upsert_max_batchsize);
    put(&mut o, "search_max_batchsize", sm.search_max_batchsize);
    put(
        &mut o,
        "max_collection_vector_size_bytes",
        sm.max_collection_vector_size_bytes,
    );
    put(&mut o, "read_rate_limit", sm.read_rate_limit);
    put(&mut o, "write_rate_limit", sm.write_rate_limit);
    put(
        &mut o,
        "max_collection_payload_size_bytes",
        sm.max_collection_payload_size_bytes,
    );
    put(&mut o, "filter_max_conditions", sm.filter_max_conditions);
    put(&mut o, "condition_max_size", sm.condition_max_size);
    put(&mut o, "max_points_count", sm.max_points_count);
    put(
        &mut o,
        "max_payload_index_count",
        sm.max_payload_index_count,
    );
    Value::Object(o)
}

/// `UpdateCollection` as the REST body.
#[allow(deprecated)]
pub fn update(r: &pb::UpdateCollection) -> Result<storage::create::UpdateCollection> {
    let mut o = Map::new();
    if let Some(c) = &r.optimizers_config {
        o.insert("optimizers_config".into(), optimizers_json(c));
    }
    if let Some(p) = &r.params {
        let mut params = Map::new();
        put(&mut params, "replication_factor", p.replication_factor);
        put(
            &mut params,
            "write_consistency_factor",
            p.write_consistency_factor,
        );
        put(&mut params, "on_disk_payload", p.on_disk_payload);
        put(&mut params, "read_fan_out_factor", p.read_fan_out_factor);
        o.insert("params".into(), Value::Object(params));
    }
    if let Some(h) = &r.hnsw_config {
        o.insert("hnsw_config".into(), hnsw_json(h));
    }
    if let Some(v) = &r.vectors_config {
        use pb::vectors_config_diff::Config;
        let diff = |d: &pb::VectorParamsDiff| {
            let mut o = Map::new();
            if let Some(h) = &d.hnsw_config {
                o.insert("hnsw_config".into(), hnsw_json(h));
            }
            if let Some(q) = &d.quantization_config {
                o.insert("quantization_config".into(), quantization_diff_json(q));
            }
            put(&mut o, "on_disk", d.on_disk);
            put_value(&mut o, "memory", name_opt(&MEMORY, d.memory));
            Value::Object(o)
        };
        let vectors = match &v.config {
            Some(Config::Params(p)) => json!({"": diff(p)}),
            Some(Config::ParamsMap(m)) => {
                Value::Object(m.map.iter().map(|(k, d)| (k.clone(), diff(d))).collect())
            }
            None => Value::Null,
        };
        put_value(&mut o, "vectors", vectors);
    }
    if let Some(q) = &r.quantization_config {
        o.insert("quantization_config".into(), quantization_diff_json(q));
    }
    if let Some(s) = &r.sparse_vectors_config {
        o.insert("sparse_vectors".into(), sparse_json(s));
    }
    if let Some(sm) = &r.strict_mode_config {
        o.insert("strict_mode_config".into(), strict_json(sm));
    }
    put_value(&mut o, "metadata", metadata(&r.metadata));
    body(Value::Object(o))
}

fn quantization_diff_json(q: &pb::QuantizationConfigDiff) -> Value {
    use pb::quantization_config_diff::Quantization as Q;
    match &q.quantization {
        Some(Q::Scalar(s)) => json!({"scalar": scalar_json(s)}),
        Some(Q::Product(p)) => json!({"product": product_json(p)}),
        Some(Q::Binary(b)) => json!({"binary": binary_json(b)}),
        Some(Q::Turboquant(t)) => json!({"turbo": turbo_json(t)}),
        Some(Q::Disabled(_)) => json!("Disabled"),
        None => Value::Null,
    }
}

/// `ChangeAliases` as the REST body.
pub fn aliases(r: &pb::ChangeAliases) -> Result<crate::rest::collections::ChangeAliases> {
    use pb::alias_operations::Action;
    let actions: Vec<Value> = r
        .actions
        .iter()
        .filter_map(|a| a.action.as_ref())
        .map(|a| match a {
            Action::CreateAlias(c) => json!({"create_alias": {"collection_name": c.collection_name, "alias_name": c.alias_name}}),
            Action::RenameAlias(c) => json!({"rename_alias": {"old_alias_name": c.old_alias_name, "new_alias_name": c.new_alias_name}}),
            Action::DeleteAlias(c) => json!({"delete_alias": {"alias_name": c.alias_name}}),
        })
        .collect();
    body(json!({ "actions": actions }))
}

/// A payload index definition (`field_type` and `field_index_params`) as
/// the REST `field_schema`.
#[allow(deprecated)]
pub fn field_schema(field_type: Option<i32>, params: &Option<pb::PayloadIndexParams>) -> Value {
    use pb::payload_index_params::IndexParams as P;
    let Some(p) = params.as_ref().and_then(|p| p.index_params.as_ref()) else {
        let kind = field_type.and_then(|t| {
            [
                "keyword", "integer", "float", "geo", "text", "bool", "datetime", "uuid",
            ]
            .get(t as usize)
        });
        return kind.map_or(Value::Null, |k| json!(k));
    };
    let mut o = Map::new();
    let (kind, memory, on_disk, enable_hnsw) = match p {
        P::KeywordIndexParams(k) => {
            put(&mut o, "is_tenant", k.is_tenant);
            if k.prefix.is_some() {
                o.insert("prefix".into(), json!(true));
            }
            ("keyword", k.memory, k.on_disk, k.enable_hnsw)
        }
        P::IntegerIndexParams(k) => {
            put(&mut o, "lookup", k.lookup);
            put(&mut o, "range", k.range);
            put(&mut o, "is_principal", k.is_principal);
            ("integer", k.memory, k.on_disk, k.enable_hnsw)
        }
        P::FloatIndexParams(k) => {
            put(&mut o, "is_principal", k.is_principal);
            ("float", k.memory, k.on_disk, k.enable_hnsw)
        }
        P::GeoIndexParams(k) => ("geo", k.memory, k.on_disk, k.enable_hnsw),
        P::BoolIndexParams(k) => ("bool", k.memory, k.on_disk, k.enable_hnsw),
        P::DatetimeIndexParams(k) => {
            put(&mut o, "is_principal", k.is_principal);
            ("datetime", k.memory, k.on_disk, k.enable_hnsw)
        }
        P::UuidIndexParams(k) => {
            put(&mut o, "is_tenant", k.is_tenant);
            ("uuid", k.memory, k.on_disk, k.enable_hnsw)
        }
        P::TextIndexParams(t) => {
            put_value(&mut o, "tokenizer", name(&TOKENIZERS, t.tokenizer));
            put(&mut o, "lowercase", t.lowercase);
            put(&mut o, "min_token_len", t.min_token_len);
            put(&mut o, "max_token_len", t.max_token_len);
            put(&mut o, "phrase_matching", t.phrase_matching);
            put(&mut o, "ascii_folding", t.ascii_folding);
            if let Some(sw) = &t.stopwords {
                o.insert(
                    "stopwords".into(),
                    json!({"languages": sw.languages, "custom": sw.custom}),
                );
            }
            if let Some(st) = t.stemmer.as_ref().and_then(|s| s.stemming_params.as_ref()) {
                let v = match st {
                    pb::stemming_algorithm::StemmingParams::Snowball(s) => {
                        json!({"type": "snowball", "language": s.language})
                    }
                    pb::stemming_algorithm::StemmingParams::Disabled(_) => json!({"type": "none"}),
                };
                o.insert("stemmer".into(), v);
            }
            if t.scoring.is_some() {
                o.insert("scoring".into(), json!({"type": "bm25"}));
            }
            ("text", t.memory, t.on_disk, t.enable_hnsw)
        }
    };
    o.insert("type".into(), json!(kind));
    put_value(&mut o, "memory", name_opt(&MEMORY, memory));
    put(&mut o, "on_disk", on_disk);
    put(&mut o, "enable_hnsw", enable_hnsw);
    Value::Object(o)
}
