//! What the server knows about itself: response statistics per endpoint,
//! detected issues, and the reports built from them — `GET /telemetry` in
//! Qdrant's structure per details level, and `GET /metrics` in Prometheus
//! text with Qdrant's metric names.

pub mod issues;
pub mod metrics;
pub mod stats;
pub mod system;
pub mod time;

use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::SystemTime;

use collection::collection::Collection;
use serde_json::{json, Map, Value};
use storage::toc::TableOfContent;

use crate::settings::Settings;
use issues::Issues;
use stats::{endpoints_json, OperationStats, TransportStats};
use time::rfc3339_millis;

/// The server's counters and issues.
#[derive(Debug)]
pub struct Telemetry {
    /// REST responses.
    pub rest: TransportStats,
    /// gRPC responses.
    pub grpc: TransportStats,
    /// Detected issues.
    pub issues: Issues,
    /// This instance's id.
    pub id: uuid::Uuid,
    /// When the server started.
    pub started: SystemTime,
}

/// The query of `GET /telemetry`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReportParams {
    /// 0 (counters) to 4 (segments); higher levels equal 4.
    pub details_level: usize,
    /// Names replaced by their hashes.
    pub anonymize: bool,
    /// Response statistics per collection as well.
    pub per_collection: bool,
}

/// Qdrant's anonymized form of a name: its std hash as a decimal string.
pub fn anonymized(name: &str) -> String {
    // the std hasher with its fixed keys: SipHash-1-3, as Qdrant hashes
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    name.hash(&mut hasher);
    hasher.finish().to_string()
}

impl Telemetry {
    /// Fresh counters for a server started now.
    pub fn new() -> Arc<Self> {
        Arc::new(Telemetry {
            rest: TransportStats::default(),
            grpc: TransportStats::default(),
            issues: Issues::default(),
            id: uuid::Uuid::new_v4(),
            started: SystemTime::now(),
        })
    }

    /// This node's peer id: stable for the process, derived from the
    /// instance id, within the integers JSON clients read exactly.
    pub fn peer_id(&self) -> u64 {
        let bytes = self.id.as_bytes();
        u64::from_le_bytes(bytes[..8].try_into().expect("16-byte uuid")) & ((1 << 53) - 1)
    }

    /// The whole telemetry report.
    pub fn report(
        &self,
        toc: &TableOfContent,
        settings: &Settings,
        quota: Value,
        p: ReportParams,
    ) -> Value {
        let level = p.details_level.min(4);
        let name = namer(p.anonymize);
        let collections = collections(toc);
        let mut out = Map::new();
        out.insert("id".into(), json!(self.id.to_string()));
        out.insert("app".into(), self.app(settings, level, p.anonymize));
        let mut colls = json!({"number_of_collections": collections.len()});
        if level >= 1 {
            let list: Vec<Value> = collections
                .iter()
                .map(|(n, c)| collection_json(&name(n), c, level, &name, self.peer_id()))
                .collect();
            colls["collections"] = json!(list);
            let snapshots: Vec<Value> = if level >= 2 {
                collections
                    .iter()
                    .map(|(n, _)| json!({"id": name(n), "running_snapshots": 0, "running_snapshot_recovery": 0, "total_snapshot_creations": 0}))
                    .collect()
            } else {
                Vec::new()
            };
            colls["snapshots"] = json!(snapshots);
        }
        out.insert("collections".into(), colls);
        let mut cluster = json!({"enabled": false});
        if level >= 2 {
            cluster["config"] = json!({
                "grpc_timeout_ms": 60000,
                "p2p": {"connection_pool_size": 2},
                "consensus": {"max_message_queue_size": 100, "tick_period_ms": 100, "bootstrap_timeout_sec": 15},
            });
        }
        cluster["resharding_enabled"] = json!(false);
        out.insert("cluster".into(), cluster);
        out.insert("requests".into(), self.requests(level, p, &name));
        if level >= 1 {
            let m = system::memory();
            out.insert(
                "memory".into(),
                json!({
                    "active_bytes": m.anonymous,
                    "allocated_bytes": m.anonymous,
                    "metadata_bytes": m.page_tables,
                    "resident_bytes": m.resident,
                    "retained_bytes": m.retained,
                }),
            );
            let hardware: Map<String, Value> = collections
                .iter()
                .map(|(n, _)| (name(n), hardware_json()))
                .collect();
            out.insert("hardware".into(), json!({ "collection_data": hardware }));
            let threads = settings.storage.performance.max_search_threads;
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            out.insert(
                "search_pool".into(),
                json!({"mode": "high_cpu", "high_cpu_threads": if threads == 0 { cores as u64 } else { threads }, "high_io_threads": 0}),
            );
        }
        out.insert("quota".into(), quota);
        Value::Object(out)
    }

    fn app(&self, settings: &Settings, level: usize, anonymize: bool) -> Value {
        let mut app = Map::new();
        app.insert("name".into(), json!("qdrant"));
        app.insert("version".into(), json!(crate::http::COMPAT_VERSION));
        if level >= 1 {
            app.insert(
                "features".into(),
                json!({"debug": cfg!(debug_assertions), "service_debug_feature": false, "recovery_mode": false, "gpu": false, "rocksdb": false, "staging": false}),
            );
            if !anonymize {
                app.insert(
                    "runtime_features".into(),
                    json!({"all": false, "incremental_hnsw_building": false, "appendable_quantization": false,
                           "single_file_mmap_vector_storage": false, "async_payload_storage": false,
                           "write_segment_manifest": false, "append_only_mutations": false,
                           "compact_bitmask": false, "serverless_compatible": false}),
                );
                app.insert("low_memory_mode".into(), json!("disabled"));
            }
            app.insert(
                "hnsw_global_config".into(),
                json!({"healing_threshold": 0.3}),
            );
            app.insert(
                "system".into(),
                system::system_json(&settings.storage.storage_path, self.started),
            );
        }
        app.insert("startup".into(), json!(rfc3339_millis(self.started)));
        Value::Object(app)
    }

    fn requests(&self, level: usize, p: ReportParams, name: &dyn Fn(&str) -> String) -> Value {
        let transport = |t: &TransportStats| {
            let mut v = json!({"responses": endpoints_json(&t.all(), level)});
            if p.per_collection && !p.anonymize {
                let per: Map<String, Value> = t
                    .per_collection()
                    .iter()
                    .map(|(c, s)| (name(c), endpoints_json(s, level)))
                    .collect();
                v["per_collection_responses"] = Value::Object(per);
            }
            v
        };
        json!({"rest": transport(&self.rest), "grpc": transport(&self.grpc)})
    }
}

/// Names as reported: as they are, or anonymized.
pub(crate) fn namer(anonymize: bool) -> impl Fn(&str) -> String {
    move |n: &str| {
        if anonymize {
            anonymized(n)
        } else {
            n.to_owned()
        }
    }
}

/// Every collection with its name.
pub(crate) fn collections(toc: &TableOfContent) -> Vec<(String, Arc<Collection>)> {
    toc.collection_names()
        .into_iter()
        .filter_map(|n| toc.get(&n).ok().map(|c| (n, c)))
        .collect()
}

/// Hardware counters of a collection (this server does not meter them).
fn hardware_json() -> Value {
    json!({"cpu": 0, "payload_io_read": 0, "payload_io_write": 0, "payload_index_io_read": 0,
           "payload_index_io_write": 0, "vector_io_read": 0, "vector_io_write": 0})
}

/// Bytes per stored element of a dense vector `datatype`.
fn element_bytes(datatype: Option<&str>) -> usize {
    match datatype {
        Some("float16") => 2,
        Some("uint8") => 1,
        _ => 4,
    }
}

/// The statistics of the optimizations a collection completed recently.
fn optimization_stats(c: &Collection) -> OperationStats {
    let mut stats = OperationStats::default();
    for o in c.optimizations().completed.iter().rev() {
        if let Some(end) = o.finished {
            stats.record(end.duration_since(o.started).unwrap_or_default());
        }
    }
    stats
}

/// One collection at `level` (1: a summary; 2: its configuration; 3: its
/// shard; 4: its segments).
fn collection_json(
    id: &str,
    c: &Collection,
    level: usize,
    name: &dyn Fn(&str) -> String,
    peer_id: u64,
) -> Value {
    let config = serde_json::to_value(c.config()).unwrap_or_default();
    let params = rename_keys(&config["params"], name);
    let by_name = c.vectors_by_name();
    let vectors: usize = by_name.values().sum();
    let stats = c.stats();
    if level == 1 {
        return json!({"vectors": vectors, "optimizers_status": "ok", "params": params});
    }
    let mut out = json!({
        "id": id,
        "init_time_ms": 0,
        "config": {
            "params": params,
            "hnsw_config": config["hnsw_config"],
            "optimizer_config": config["optimizer_config"],
            "wal_config": config["wal_config"],
            "quantization_config": config["quantization_config"],
            "uuid": null,
        },
    });
    if level < 3 {
        return out;
    }
    let dense = &config["params"]["vectors"];
    let dense_size = |n: &str| -> Option<(usize, usize)> {
        let p = if dense.get("size").is_some() && n.is_empty() {
            dense
        } else {
            dense.get(n)?
        };
        let size = p["size"].as_u64()? as usize;
        Some((size, element_bytes(p["datatype"].as_str())))
    };
    // bytes of the dense vectors among (name, count) pairs
    let dense_bytes = |counts: &mut dyn Iterator<Item = (&String, usize)>| -> usize {
        counts
            .filter_map(|(n, count)| dense_size(n).map(|(size, bytes)| size * bytes * count))
            .sum()
    };
    let vectors_size_bytes = dense_bytes(&mut by_name.iter().map(|(n, c)| (n, *c)));
    let optimizations = optimization_stats(c);
    let mut opt = json!({"status": "ok", "optimizations": optimizations.to_json(1)});
    let mut local = json!({
        "variant_name": "local shard",
        "status": if stats.optimizing { "yellow" } else { "green" },
        "total_optimized_points": 0,
        "vectors_size_bytes": vectors_size_bytes,
        "payloads_size_bytes": 0,
        "num_points": stats.points_count,
        "num_vectors": vectors,
        "num_vectors_by_name": by_name.iter().map(|(n, v)| (name(n), json!(v))).collect::<Map<_, _>>(),
    });
    if level >= 4 {
        // every segment holds every index
        let index_schema: Map<String, Value> = c
            .index_schema()
            .iter()
            .map(|(f, sch)| (name(f), json!({"data_type": sch.kind()})))
            .collect();
        let segments: Vec<Value> = c
            .segment_summaries()
            .into_iter()
            .map(|s| {
                let indexed = s
                    .vectors
                    .iter()
                    .any(|(n, (_, i))| *i > 0 && dense_size(n).is_some());
                json!({
                    "info": {
                        "uuid": uuid::Uuid::from_u128(s.key as u128).to_string(),
                        "segment_type": if indexed { "indexed" } else { "plain" },
                        "num_vectors": s.vectors.values().map(|v| v.0).sum::<usize>(),
                        "num_points": s.points,
                        "num_deferred_points": 0,
                        "num_deleted_deferred_points": 0,
                        "num_indexed_vectors": s.vectors.values().map(|v| v.1).sum::<usize>(),
                        "num_deleted_vectors": s.deleted,
                        "vectors_size_bytes": dense_bytes(&mut s.vectors.iter().map(|(n, (v, _))| (n, *v))),
                        "payloads_size_bytes": 0,
                        "ram_usage_bytes": 0,
                        "disk_usage_bytes": 0,
                        "is_appendable": s.appendable,
                        "index_schema": index_schema,
                        "vector_data": s.vectors.iter().map(|(n, (v, i))| (name(n), json!({"num_vectors": v, "num_indexed_vectors": i, "num_deleted_vectors": 0}))).collect::<Map<_, _>>(),
                    },
                })
            })
            .collect();
        local["segments"] = json!(segments);
        opt["log"] = json!([]);
    }
    local["optimizations"] = opt;
    local["async_scorer"] = json!(false);
    if level >= 4 {
        local["indexed_only_excluded_vectors"] = by_name
            .keys()
            .filter(|n| dense_size(n).is_some())
            .map(|n| (name(n), json!(0)))
            .collect::<Map<_, _>>()
            .into();
    }
    local["update_queue"] = json!({"length": 0, "op_num": c.operation_number()});
    out["shards"] = json!([{
        "id": 0,
        "key": null,
        "local": local,
        "remote": [],
        "replicate_states": {peer_id.to_string(): "Active"},
        "partial_snapshot": {"ongoing_create_snapshot_requests": 0, "is_recovering": false, "recovery_timestamp": 0},
    }]);
    out["transfers"] = json!([]);
    out["resharding"] = json!([]);
    out
}

/// `params` with the names of named vectors (map keys of `vectors` and
/// `sparse_vectors`) passed through `name`.
fn rename_keys(params: &Value, name: &dyn Fn(&str) -> String) -> Value {
    let mut params = params.clone();
    for field in ["vectors", "sparse_vectors"] {
        let Some(Value::Object(map)) = params.get(field) else {
            continue;
        };
        if field == "vectors" && map.contains_key("size") {
            continue;
        }
        let renamed: Map<String, Value> = map.iter().map(|(k, v)| (name(k), v.clone())).collect();
        params[field] = Value::Object(renamed);
    }
    params
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymized_names_are_qdrants() {
        // values the reference server reports with `anonymize=true`
        assert_eq!(anonymized("c"), "3102445089172487244");
        assert_eq!(anonymized(""), "3476900567878811119");
        assert_eq!(anonymized("sp"), "15231660093788866923");
    }
}
