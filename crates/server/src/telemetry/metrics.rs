//! `GET /metrics`: Prometheus text format with Qdrant's metric families,
//! names, labels and help texts. Families without samples are left out, as
//! Qdrant leaves them out.

use std::fmt::Write as _;
use storage::toc::TableOfContent;

use super::stats::{EndpointStats, OperationStats, TransportStats, BUCKETS};
use super::{collections, namer, system, Telemetry};

/// The query of `GET /metrics`.
#[derive(Debug, Clone, Copy, Default)]
pub struct MetricsParams {
    /// Label values replaced by their hashes.
    pub anonymize: bool,
    /// Response series per collection (with a `collection` label) instead
    /// of the global ones.
    pub per_collection: bool,
}

/// REST endpoints (after `/collections/{collection_name}`) whose responses
/// are exported, as Qdrant exports them.
const REST_EXPORTED: &[&str] = &[
    "/index",
    "/points",
    "/points/batch",
    "/points/count",
    "/points/delete",
    "/points/discover",
    "/points/discover/batch",
    "/points/facet",
    "/points/payload",
    "/points/payload/clear",
    "/points/payload/delete",
    "/points/query",
    "/points/query/batch",
    "/points/query/groups",
    "/points/recommend",
    "/points/recommend/batch",
    "/points/recommend/groups",
    "/points/scroll",
    "/points/search",
    "/points/search/batch",
    "/points/search/groups",
    "/points/search/matrix/offsets",
    "/points/search/matrix/pairs",
    "/points/vectors",
    "/points/vectors/delete",
    "/vectors/{vector_name}",
];

/// gRPC methods of `qdrant.Points` whose responses are exported.
const GRPC_EXPORTED: &[&str] = &[
    "ClearPayload",
    "Count",
    "CreateVectorName",
    "Delete",
    "DeletePayload",
    "DeleteVectorName",
    "Discover",
    "DiscoverBatch",
    "Facet",
    "Get",
    "OverwritePayload",
    "Query",
    "QueryBatch",
    "QueryGroups",
    "Recommend",
    "RecommendBatch",
    "RecommendGroups",
    "Scroll",
    "Search",
    "SearchBatch",
    "SearchGroups",
    "SetPayload",
    "UpdateBatch",
    "UpdateVectors",
    "Upsert",
];

fn rest_exported(path: &str) -> bool {
    path.strip_prefix("/collections/{collection_name}")
        .is_some_and(|rest| REST_EXPORTED.contains(&rest))
}

fn grpc_exported(path: &str) -> bool {
    path.strip_prefix("/qdrant.Points/")
        .is_some_and(|m| GRPC_EXPORTED.contains(&m))
}

/// Escapes a label value.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A metric family being written: its header goes out with its first
/// sample, so a family without samples writes nothing.
struct Family<'a> {
    out: &'a mut String,
    name: &'static str,
    help: &'static str,
    kind: &'static str,
    started: bool,
}

impl Family<'_> {
    fn sample(&mut self, suffix: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        if !self.started {
            self.started = true;
            let _ = writeln!(self.out, "# HELP {} {}", self.name, self.help);
            let _ = writeln!(self.out, "# TYPE {} {}", self.name, self.kind);
        }
        let _ = write!(self.out, "{}{suffix}", self.name);
        if !labels.is_empty() {
            let text: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", label(v)))
                .collect();
            let _ = write!(self.out, "{{{}}}", text.join(","));
        }
        let _ = writeln!(self.out, " {value}");
    }
}

/// The metrics writer.
struct Writer {
    out: String,
}

impl Writer {
    fn family(&mut self, name: &'static str, kind: &'static str, help: &'static str) -> Family<'_> {
        Family {
            out: &mut self.out,
            name,
            help,
            kind,
            started: false,
        }
    }
}

/// One transport's response families (`rest_…` or `grpc_…`).
struct ResponseFamilies {
    total: &'static str,
    avg: &'static str,
    min: &'static str,
    max: &'static str,
    histogram: &'static str,
}

const REST: ResponseFamilies = ResponseFamilies {
    total: "rest_responses_total",
    avg: "rest_responses_avg_duration_seconds",
    min: "rest_responses_min_duration_seconds",
    max: "rest_responses_max_duration_seconds",
    histogram: "rest_responses_duration_seconds",
};

const GRPC: ResponseFamilies = ResponseFamilies {
    total: "grpc_responses_total",
    avg: "grpc_responses_avg_duration_seconds",
    min: "grpc_responses_min_duration_seconds",
    max: "grpc_responses_max_duration_seconds",
    histogram: "grpc_responses_duration_seconds",
};

/// A series of response statistics: its labels and statistics.
type Series<'a> = (Vec<(&'static str, String)>, &'a OperationStats);

fn response_series<'a>(
    stats: &'a [(Option<String>, EndpointStats)],
    rest: bool,
    name: &dyn Fn(&str) -> String,
) -> Vec<Series<'a>> {
    let mut series = Vec::new();
    for (collection, endpoints) in stats {
        for (endpoint, statuses) in endpoints {
            let (method, path) = if rest {
                match endpoint.split_once(' ') {
                    Some((m, p)) if rest_exported(p) => (Some(m), p),
                    _ => continue,
                }
            } else if grpc_exported(endpoint) {
                (None, endpoint.as_str())
            } else {
                continue;
            };
            for (status, s) in statuses {
                let mut labels = Vec::new();
                if let Some(m) = method {
                    labels.push(("method", m.to_owned()));
                }
                labels.push(("endpoint", path.to_owned()));
                labels.push(("status", status.clone()));
                if let Some(c) = collection {
                    labels.push(("collection", name(c)));
                }
                series.push((labels, s));
            }
        }
    }
    series
}

fn write_responses(
    w: &mut Writer,
    t: &TransportStats,
    f: &ResponseFamilies,
    rest: bool,
    p: MetricsParams,
    name: &dyn Fn(&str) -> String,
) {
    let stats: Vec<(Option<String>, EndpointStats)> = if p.per_collection {
        t.per_collection()
            .into_iter()
            .map(|(c, s)| (Some(c), s))
            .collect()
    } else {
        vec![(None, t.all())]
    };
    let series = response_series(&stats, rest, name);
    let mut total = w.family(f.total, "counter", "total number of responses");
    for (labels, s) in &series {
        total.sample("", &pairs(labels), s.count);
    }
    // REST timings only of successful responses, gRPC of every status
    let timed: Vec<&Series> = series
        .iter()
        .filter(|(labels, _)| !rest || labels.iter().any(|(k, v)| *k == "status" && v == "200"))
        .collect();
    let seconds = |micros: f64| micros / 1e6;
    let mut avg = w.family(f.avg, "gauge", "average response duration");
    for (labels, s) in &timed {
        avg.sample("", &pairs(labels), seconds(f64::from(s.avg_micros())));
    }
    let mut min = w.family(f.min, "gauge", "minimum response duration");
    for (labels, s) in &timed {
        min.sample("", &pairs(labels), seconds(f64::from(s.min_micros)));
    }
    let mut max = w.family(f.max, "gauge", "maximum response duration");
    for (labels, s) in &timed {
        max.sample("", &pairs(labels), seconds(f64::from(s.max_micros)));
    }
    let mut histogram = w.family(f.histogram, "histogram", "response duration histogram");
    for (labels, s) in &timed {
        let mut cumulative = 0;
        for (i, bound) in BUCKETS
            .iter()
            .map(|b| b.to_string())
            .chain(["+Inf".to_owned()])
            .enumerate()
        {
            cumulative += s.buckets[i];
            let mut with_le = labels.clone();
            with_le.push(("le", bound));
            histogram.sample("_bucket", &pairs(&with_le), cumulative);
        }
        histogram.sample("_sum", &pairs(labels), seconds(s.total_micros as f64));
        histogram.sample("_count", &pairs(labels), s.count);
    }
}

/// Labels as the writer takes them.
fn pairs<'a>(labels: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    labels.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// The whole metrics text.
pub fn render(telemetry: &Telemetry, toc: &TableOfContent, p: MetricsParams) -> String {
    let name = namer(p.anonymize);
    let collections = collections(toc);
    let vectors: Vec<(String, Vec<(String, usize)>)> = collections
        .iter()
        .map(|(n, c)| (n.clone(), c.vectors_by_name().into_iter().collect()))
        .collect();
    let mut w = Writer { out: String::new() };
    let version = crate::http::COMPAT_VERSION;
    w.family("app_info", "gauge", "information about qdrant server")
        .sample("", &[("name", "qdrant"), ("version", version)], 1);
    w.family(
        "app_status_recovery_mode",
        "gauge",
        "features enabled in qdrant server",
    )
    .sample("", &[], 0);
    w.family("collections_total", "gauge", "number of collections")
        .sample("", &[], collections.len());
    let total: usize = vectors
        .iter()
        .flat_map(|(_, v)| v.iter().map(|x| x.1))
        .sum();
    w.family(
        "collections_vector_total",
        "gauge",
        "total number of vectors in all collections",
    )
    .sample("", &[], total);
    let mut f = w.family(
        "collection_vectors",
        "gauge",
        "amount of vectors grouped by vector name",
    );
    for (c, vs) in &vectors {
        for (v, count) in vs {
            f.sample("", &[("collection", &name(c)), ("vector", &name(v))], count);
        }
    }
    let mut f = w.family(
        "collection_indexed_only_excluded_points",
        "gauge",
        "amount of points excluded in indexed_only requests",
    );
    for (c, coll) in &collections {
        let config = coll.config();
        for v in config.params.vectors.iter().map(|(n, _)| n) {
            f.sample("", &[("id", &name(c)), ("vector", &name(v))], 0);
        }
    }
    let replicas = usize::from(!collections.is_empty());
    w.family(
        "collection_active_replicas_min",
        "gauge",
        "minimum number of active replicas across all shards",
    )
    .sample("", &[], replicas);
    w.family(
        "collection_active_replicas_max",
        "gauge",
        "maximum number of active replicas across all shards",
    )
    .sample("", &[], replicas);
    let mut f = w.family(
        "collection_running_optimizations",
        "gauge",
        "number of currently running optimization tasks per collection",
    );
    for (c, coll) in &collections {
        f.sample("", &[("id", &name(c))], usize::from(coll.is_optimizing()));
    }
    let mut f = w.family(
        "collection_points",
        "gauge",
        "approximate amount of points per collection",
    );
    for (c, coll) in &collections {
        f.sample("", &[("id", &name(c))], coll.count(None));
    }
    w.family(
        "collection_dead_replicas",
        "gauge",
        "total amount of shard replicas in non-active state",
    )
    .sample("", &[], 0);
    let per_collection_zero: [(&'static str, &'static str, &'static str); 7] = [
        (
            "snapshot_creation_running",
            "gauge",
            "amount of snapshot creations that are currently running",
        ),
        (
            "snapshot_recovery_running",
            "gauge",
            "amount of snapshot recovery operations currently running",
        ),
        (
            "snapshot_created_total",
            "counter",
            "total amount of snapshots created",
        ),
        (
            "collection_shard_transfer_incoming",
            "gauge",
            "incoming shard transfers currently running",
        ),
        (
            "collection_shard_transfer_outgoing",
            "gauge",
            "outgoing shard transfers currently running",
        ),
        (
            "collection_update_queue_length",
            "gauge",
            "number of pending operations in update queues per collection",
        ),
        (
            "collection_update_queue_deferred_points",
            "gauge",
            "number of points currently hidden during read operations as they're not yet optimized",
        ),
    ];
    for (family, kind, help) in per_collection_zero {
        let mut f = w.family(family, kind, help);
        for (c, _) in &collections {
            f.sample("", &[("id", &name(c))], 0);
        }
    }
    w.family("cluster_enabled", "gauge", "is cluster support enabled")
        .sample("", &[], 0);
    write_responses(&mut w, &telemetry.rest, &REST, true, p, &name);
    write_responses(&mut w, &telemetry.grpc, &GRPC, false, p, &name);
    let hardware: [(&'static str, &'static str); 7] = [
        (
            "collection_hardware_metric_cpu",
            "CPU measurements of a collection",
        ),
        (
            "collection_hardware_metric_payload_io_read",
            "Total IO payload read metrics of a collection",
        ),
        (
            "collection_hardware_metric_payload_index_io_read",
            "Total IO payload index read metrics of a collection",
        ),
        (
            "collection_hardware_metric_payload_index_io_write",
            "Total IO payload index write metrics of a collection",
        ),
        (
            "collection_hardware_metric_payload_io_write",
            "Total IO payload write metrics of a collection",
        ),
        (
            "collection_hardware_metric_vector_io_read",
            "Total IO vector read metrics of a collection",
        ),
        (
            "collection_hardware_metric_vector_io_write",
            "Total IO vector write metrics of a collection",
        ),
    ];
    for (family, help) in hardware {
        let mut f = w.family(family, "counter", help);
        for (c, _) in &collections {
            f.sample("", &[("id", &name(c))], 0);
        }
    }
    let m = system::memory();
    let memory: [(&'static str, &'static str, u64); 5] = [
        (
            "memory_active_bytes",
            "Total number of bytes in active pages allocated by the application",
            m.anonymous,
        ),
        (
            "memory_allocated_bytes",
            "Total number of bytes allocated by the application",
            m.anonymous,
        ),
        (
            "memory_metadata_bytes",
            "Total number of bytes dedicated to metadata",
            m.page_tables,
        ),
        (
            "memory_resident_bytes",
            "Maximum number of bytes in physically resident data pages mapped",
            m.resident,
        ),
        (
            "memory_retained_bytes",
            "Total number of bytes in virtual memory mappings",
            m.retained,
        ),
    ];
    for (family, help, value) in memory {
        w.family(family, "gauge", help).sample("", &[], value);
    }
    let pr = system::process();
    let process: [(&'static str, &'static str, &'static str, u64); 7] = [
        (
            "process_threads",
            "gauge",
            "count of active threads",
            pr.threads,
        ),
        (
            "process_open_mmaps",
            "gauge",
            "count of open mmaps",
            pr.mmaps,
        ),
        (
            "system_max_mmaps",
            "gauge",
            "system wide limit of open mmaps",
            pr.max_mmaps,
        ),
        (
            "process_open_fds",
            "gauge",
            "count of currently open file descriptors",
            pr.fds,
        ),
        (
            "process_max_fds",
            "gauge",
            "limit for open file descriptors",
            pr.max_fds,
        ),
        (
            "process_minor_page_faults_total",
            "counter",
            "count of minor page faults which didn't cause a disk access",
            pr.minor_faults,
        ),
        (
            "process_major_page_faults_total",
            "counter",
            "count of disk accesses caused by a mmap page fault",
            pr.major_faults,
        ),
    ];
    for (family, kind, help, value) in process {
        w.family(family, kind, help).sample("", &[], value);
    }
    w.out
}
