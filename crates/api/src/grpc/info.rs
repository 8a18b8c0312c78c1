//! Collection info (as REST serializes it) in protobuf: configuration,
//! payload schema, counters.

use qdrant_client::qdrant as pb;
use serde_json::Value;

use super::collections::{
    b, f, num, s, u, BINARY_ENCODING, COMPRESSION, DATATYPES, DISTANCES, MEMORY, MODIFIERS,
    QUERY_ENCODING, SCHEMA_TYPES, TOKENIZERS, TURBO_BITS,
};
use super::output;

fn hnsw_pb(v: &Value) -> pb::HnswConfigDiff {
    #[allow(deprecated)]
    pb::HnswConfigDiff {
        m: u(v, "m"),
        ef_construct: u(v, "ef_construct"),
        full_scan_threshold: u(v, "full_scan_threshold"),
        max_indexing_threads: u(v, "max_indexing_threads"),
        on_disk: b(v, "on_disk"),
        payload_m: u(v, "payload_m"),
        inline_storage: b(v, "inline_storage"),
        memory: num(&MEMORY, s(v, "memory")),
    }
}

#[allow(deprecated)]
fn quantization_pb(v: &Value) -> Option<pb::QuantizationConfig> {
    use pb::quantization_config::Quantization as Q;
    let q = if let Some(c) = v.get("scalar") {
        Q::Scalar(pb::ScalarQuantization {
            r#type: pb::QuantizationType::Int8 as i32,
            quantile: f(c, "quantile").map(|x| x as f32),
            always_ram: b(c, "always_ram"),
            memory: num(&MEMORY, s(c, "memory")),
        })
    } else if let Some(c) = v.get("product") {
        Q::Product(pb::ProductQuantization {
            compression: num(&COMPRESSION, s(c, "compression")).unwrap_or(0),
            always_ram: b(c, "always_ram"),
            memory: num(&MEMORY, s(c, "memory")),
        })
    } else if let Some(c) = v.get("binary") {
        Q::Binary(pb::BinaryQuantization {
            always_ram: b(c, "always_ram"),
            encoding: num(&BINARY_ENCODING, s(c, "encoding")),
            query_encoding: num(&QUERY_ENCODING, s(c, "query_encoding")).map(|v| {
                pb::BinaryQuantizationQueryEncoding {
                    variant: Some(pb::binary_quantization_query_encoding::Variant::Setting(v)),
                }
            }),
            memory: num(&MEMORY, s(c, "memory")),
        })
    } else if let Some(c) = v.get("turbo") {
        Q::Turboquant(pb::TurboQuantization {
            always_ram: b(c, "always_ram"),
            bits: num(&TURBO_BITS, s(c, "bits")),
            memory: num(&MEMORY, s(c, "memory")),
        })
    } else {
        return None;
    };
    Some(pb::QuantizationConfig {
        quantization: Some(q),
    })
}

#[allow(deprecated)]
fn vector_params_pb(v: &Value) -> pb::VectorParams {
    pb::VectorParams {
        size: u(v, "size").unwrap_or(0),
        distance: num(&DISTANCES, s(v, "distance")).unwrap_or(0),
        hnsw_config: v.get("hnsw_config").filter(|h| h.is_object()).map(hnsw_pb),
        quantization_config: v.get("quantization_config").and_then(quantization_pb),
        on_disk: b(v, "on_disk"),
        datatype: num(&DATATYPES, s(v, "datatype")),
        multivector_config: v
            .get("multivector_config")
            .filter(|m| m.is_object())
            .map(|_| pb::MultiVectorConfig { comparator: 0 }),
        memory: num(&MEMORY, s(v, "memory")),
    }
}

#[allow(deprecated)]
fn params_pb(v: &Value) -> pb::CollectionParams {
    use pb::vectors_config::Config;
    let vectors = v.get("vectors").filter(|x| x.is_object()).map(|vs| {
        // one unnamed vector is written bare (it has a `size`)
        let config = if vs.get("size").is_some() {
            Config::Params(vector_params_pb(vs))
        } else {
            let map = vs
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, p)| (k.clone(), vector_params_pb(p)))
                        .collect()
                })
                .unwrap_or_default();
            Config::ParamsMap(pb::VectorParamsMap { map })
        };
        pb::VectorsConfig {
            config: Some(config),
        }
    });
    let sparse =
        v.get("sparse_vectors")
            .and_then(Value::as_object)
            .map(|m| pb::SparseVectorConfig {
                map: m
                    .iter()
                    .map(|(k, p)| {
                        let index = p.get("index").filter(|i| i.is_object()).map(|i| {
                            pb::SparseIndexConfig {
                                full_scan_threshold: u(i, "full_scan_threshold"),
                                on_disk: b(i, "on_disk"),
                                datatype: num(&DATATYPES, s(i, "datatype")),
                                memory: num(&MEMORY, s(i, "memory")),
                            }
                        });
                        let params = pb::SparseVectorParams {
                            index,
                            modifier: num(&MODIFIERS, s(p, "modifier")),
                        };
                        (k.clone(), params)
                    })
                    .collect(),
            });
    pb::CollectionParams {
        shard_number: u(v, "shard_number").unwrap_or(1) as u32,
        on_disk_payload: b(v, "on_disk_payload").unwrap_or(true),
        vectors_config: vectors,
        replication_factor: u(v, "replication_factor").map(|x| x as u32),
        write_consistency_factor: u(v, "write_consistency_factor").map(|x| x as u32),
        read_fan_out_factor: u(v, "read_fan_out_factor").map(|x| x as u32),
        sharding_method: s(v, "sharding_method").map(|m| i32::from(m == "custom")),
        sparse_vectors_config: sparse,
        read_fan_out_delay_ms: u(v, "read_fan_out_delay_ms"),
        payload: None,
        id_tracker: None,
    }
}

fn optimizers_pb(v: &Value) -> pb::OptimizersConfigDiff {
    use pb::max_optimization_threads::{Setting, Variant};
    let threads = match v.get("max_optimization_threads") {
        Some(Value::Number(n)) => n.as_u64().map(Variant::Value),
        Some(Value::String(_)) => Some(Variant::Setting(Setting::Auto as i32)),
        _ => None,
    };
    pb::OptimizersConfigDiff {
        deleted_threshold: f(v, "deleted_threshold"),
        vacuum_min_vector_number: u(v, "vacuum_min_vector_number"),
        default_segment_number: u(v, "default_segment_number"),
        max_segment_size: u(v, "max_segment_size"),
        memmap_threshold: u(v, "memmap_threshold"),
        indexing_threshold: u(v, "indexing_threshold"),
        flush_interval_sec: u(v, "flush_interval_sec"),
        deprecated_max_optimization_threads: None,
        max_optimization_threads: threads.map(|t| pb::MaxOptimizationThreads { variant: Some(t) }),
        prevent_unoptimized: b(v, "prevent_unoptimized"),
    }
}

#[allow(deprecated)]
fn index_params_pb(p: &Value) -> Option<pb::PayloadIndexParams> {
    use pb::payload_index_params::IndexParams as P;
    let memory = num(&MEMORY, s(p, "memory"));
    let on_disk = b(p, "on_disk");
    let enable_hnsw = b(p, "enable_hnsw");
    let params = match s(p, "type")? {
        "keyword" => P::KeywordIndexParams(pb::KeywordIndexParams {
            is_tenant: b(p, "is_tenant"),
            on_disk,
            enable_hnsw,
            prefix: b(p, "prefix")
                .filter(|x| *x)
                .map(|_| pb::KeywordPrefixParams {}),
            memory,
            nested: None,
        }),
        "integer" => P::IntegerIndexParams(pb::IntegerIndexParams {
            lookup: b(p, "lookup"),
            range: b(p, "range"),
            is_principal: b(p, "is_principal"),
            on_disk,
            enable_hnsw,
            memory,
            nested: None,
        }),
        "float" => P::FloatIndexParams(pb::FloatIndexParams {
            on_disk,
            is_principal: b(p, "is_principal"),
            enable_hnsw,
            memory,
            nested: None,
        }),
        "geo" => P::GeoIndexParams(pb::GeoIndexParams {
            on_disk,
            enable_hnsw,
            memory,
            nested: None,
        }),
        "bool" => P::BoolIndexParams(pb::BoolIndexParams {
            on_disk,
            enable_hnsw,
            memory,
            nested: None,
        }),
        "datetime" => P::DatetimeIndexParams(pb::DatetimeIndexParams {
            on_disk,
            is_principal: b(p, "is_principal"),
            enable_hnsw,
            memory,
            nested: None,
        }),
        "uuid" => P::UuidIndexParams(pb::UuidIndexParams {
            is_tenant: b(p, "is_tenant"),
            on_disk,
            enable_hnsw,
            memory,
            nested: None,
        }),
        "text" => P::TextIndexParams(text_params_pb(p)),
        _ => return None,
    };
    Some(pb::PayloadIndexParams {
        index_params: Some(params),
    })
}

#[allow(deprecated)]
fn text_params_pb(p: &Value) -> pb::TextIndexParams {
    let stopwords = p.get("stopwords").map(|sw| match sw {
        Value::String(lang) => pb::StopwordsSet {
            languages: vec![lang.clone()],
            custom: Vec::new(),
        },
        other => {
            let strings = |key: &str| -> Vec<String> {
                other
                    .get(key)
                    .and_then(Value::as_array)
                    .map(|l| {
                        l.iter()
                            .filter_map(|x| x.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            pb::StopwordsSet {
                languages: strings("languages"),
                custom: strings("custom"),
            }
        }
    });
    let stemmer = p.get("stemmer").map(|st| pb::StemmingAlgorithm {
        stemming_params: Some(match s(st, "language") {
            Some(lang) => pb::stemming_algorithm::StemmingParams::Snowball(pb::SnowballParams {
                language: lang.to_string(),
            }),
            None => pb::stemming_algorithm::StemmingParams::Disabled(pb::DisabledStemmer {}),
        }),
    });
    let scoring = match p.get("scoring") {
        Some(Value::Bool(true)) | Some(Value::Object(_)) => {
            Some(pb::TextScoringParams { r#type: 0 })
        }
        _ => None,
    };
    pb::TextIndexParams {
        tokenizer: num(&TOKENIZERS, s(p, "tokenizer")).unwrap_or(3),
        lowercase: b(p, "lowercase"),
        min_token_len: u(p, "min_token_len"),
        max_token_len: u(p, "max_token_len"),
        on_disk: b(p, "on_disk"),
        stopwords,
        phrase_matching: b(p, "phrase_matching"),
        stemmer,
        ascii_folding: b(p, "ascii_folding"),
        enable_hnsw: b(p, "enable_hnsw"),
        memory: num(&MEMORY, s(p, "memory")),
        scoring,
        nested: None,
    }
}

fn strict_pb(v: &Value) -> pb::StrictModeConfig {
    let u32_of = |k: &str| u(v, k).map(|x| x as u32);
    #[allow(deprecated)]
    pb::StrictModeConfig {
        enabled: b(v, "enabled"),
        max_query_limit: u32_of("max_query_limit"),
        max_timeout: u32_of("max_timeout"),
        unindexed_filtering_retrieve: b(v, "unindexed_filtering_retrieve"),
        unindexed_filtering_update: b(v, "unindexed_filtering_update"),
        search_max_hnsw_ef: u32_of("search_max_hnsw_ef"),
        search_allow_exact: b(v, "search_allow_exact"),
        search_max_oversampling: f(v, "search_max_oversampling").map(|x| x as f32),
        upsert_max_batchsize: u(v, "upsert_max_batchsize"),
        search_max_batchsize: u(v, "search_max_batchsize"),
        max_collection_vector_size_bytes: u(v, "max_collection_vector_size_bytes"),
        read_rate_limit: u32_of("read_rate_limit"),
        write_rate_limit: u32_of("write_rate_limit"),
        max_collection_payload_size_bytes: u(v, "max_collection_payload_size_bytes"),
        filter_max_conditions: u(v, "filter_max_conditions"),
        condition_max_size: u(v, "condition_max_size"),
        multivector_config: None,
        sparse_config: None,
        max_points_count: u(v, "max_points_count"),
        max_payload_index_count: u(v, "max_payload_index_count"),
        max_resident_memory_percent: None,
    }
}

/// Collection info (as REST serializes it) in protobuf.
pub fn info(rest: &crate::rest::records::CollectionInfo) -> pb::CollectionInfo {
    let v = serde_json::to_value(rest).unwrap_or(Value::Null);
    let config = &v["config"];
    let status = match s(&v, "status") {
        Some("green") => pb::CollectionStatus::Green,
        Some("yellow") => pb::CollectionStatus::Yellow,
        Some("red") => pb::CollectionStatus::Red,
        Some("grey") => pb::CollectionStatus::Grey,
        _ => pb::CollectionStatus::UnknownCollectionStatus,
    };
    let payload_schema = v
        .get("payload_schema")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, i)| {
                    let info = pb::PayloadSchemaInfo {
                        data_type: num(&SCHEMA_TYPES, s(i, "data_type")).unwrap_or(0),
                        params: i.get("params").and_then(index_params_pb),
                        points: u(i, "points"),
                    };
                    (k.clone(), info)
                })
                .collect()
        })
        .unwrap_or_default();
    let wal = &config["wal_config"];
    pb::CollectionInfo {
        status: status as i32,
        optimizer_status: Some(pb::OptimizerStatus {
            ok: true,
            error: String::new(),
        }),
        segments_count: u(&v, "segments_count").unwrap_or(0),
        config: Some(pb::CollectionConfig {
            params: Some(params_pb(&config["params"])),
            hnsw_config: Some(hnsw_pb(&config["hnsw_config"])),
            optimizer_config: Some(optimizers_pb(&config["optimizer_config"])),
            wal_config: Some(pb::WalConfigDiff {
                wal_capacity_mb: u(wal, "wal_capacity_mb"),
                wal_segments_ahead: u(wal, "wal_segments_ahead"),
                wal_retain_closed: u(wal, "wal_retain_closed"),
            }),
            quantization_config: config.get("quantization_config").and_then(quantization_pb),
            strict_mode_config: config
                .get("strict_mode_config")
                .filter(|v| v.is_object())
                .map(strict_pb),
            metadata: config
                .get("metadata")
                .and_then(Value::as_object)
                .map(output::payload)
                .unwrap_or_default(),
        }),
        payload_schema,
        points_count: u(&v, "points_count"),
        indexed_vectors_count: u(&v, "indexed_vectors_count"),
        warnings: Vec::new(),
        update_queue: Some(pb::UpdateQueueInfo {
            length: 0,
            deferred_points: None,
        }),
        created_at: None,
    }
}
