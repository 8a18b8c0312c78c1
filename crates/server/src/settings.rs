//! Service configuration, read the way Qdrant reads it.
//!
//! Layers, later ones overriding earlier ones key by key:
//! `config/config.yaml`, `config/$RUN_MODE.yaml`, `config/local.yaml`, the
//! file given with `--config-path`, then `QDRANT__SECTION__KEY` environment
//! variables (double underscores nest). Unknown keys are ignored; a value of
//! the wrong type stops start-up with an error naming the key.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::Deserialize;
use serde_json::{Map, Value};
use storage::create::CollectionDefaults;

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Log level: TRACE, DEBUG, INFO, WARN or ERROR.
    pub log_level: String,
    /// Storage settings.
    pub storage: StorageSettings,
    /// Network settings.
    pub service: ServiceSettings,
    /// Disable anonymous telemetry.
    pub telemetry_disabled: bool,
}

/// `storage` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct StorageSettings {
    /// Where collections live.
    pub storage_path: PathBuf,
    /// Where snapshots are written.
    pub snapshots_path: PathBuf,
    /// Default payload-on-disk flag.
    pub on_disk_payload: bool,
    /// WAL defaults.
    pub wal: WalSettings,
    /// Optimizer defaults.
    pub optimizers: OptimizerSettings,
    /// HNSW defaults.
    pub hnsw_index: HnswSettings,
    /// Thread budgets.
    pub performance: PerformanceSettings,
    /// The resource quota until `PUT /quotas` sets one.
    pub quotas: api::rest::quota::QuotaConfig,
}

/// `storage.performance` section.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PerformanceSettings {
    /// Threads for optimization jobs: 0 chooses (every core on small
    /// machines, all but one above 4 cores), negative leaves that many
    /// cores free, positive uses exactly that many.
    pub optimizer_cpu_budget: i64,
    /// Search threads (0: automatic).
    pub max_search_threads: u64,
}

impl PerformanceSettings {
    /// Threads the optimizers may use.
    pub fn optimizer_threads(&self) -> usize {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let threads = match self.optimizer_cpu_budget {
            0 if cores <= 4 => cores,
            0 => cores - 1,
            n if n < 0 => cores.saturating_sub(n.unsigned_abs() as usize),
            n => n as usize,
        };
        threads.max(1)
    }
}

/// `storage.wal` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct WalSettings {
    /// Size of a WAL file in MB.
    pub wal_capacity_mb: u64,
    /// Files created ahead.
    pub wal_segments_ahead: u64,
}

/// `storage.optimizers` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct OptimizerSettings {
    /// Vacuum threshold.
    pub deleted_threshold: f64,
    /// Vacuum minimum.
    pub vacuum_min_vector_number: u64,
    /// Target segment number.
    pub default_segment_number: u64,
    /// Maximal segment size (KB).
    #[serde(alias = "max_segment_size")]
    pub max_segment_size_kb: Option<u64>,
    /// Memmap threshold (KB).
    #[serde(alias = "memmap_threshold")]
    pub memmap_threshold_kb: Option<u64>,
    /// Indexing threshold (KB).
    #[serde(alias = "indexing_threshold")]
    pub indexing_threshold_kb: Option<u64>,
    /// Seconds between flushes.
    pub flush_interval_sec: u64,
    /// Optimization threads.
    pub max_optimization_threads: Option<u64>,
}

/// `storage.hnsw_index` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct HnswSettings {
    /// Edges per node.
    pub m: u64,
    /// Build-time candidates.
    pub ef_construct: u64,
    /// Full-scan threshold (KB).
    #[serde(alias = "full_scan_threshold")]
    pub full_scan_threshold_kb: u64,
    /// Indexing threads.
    pub max_indexing_threads: u64,
    /// Graph on disk.
    pub on_disk: bool,
    /// Payload-aware M.
    pub payload_m: Option<u64>,
}

/// `service` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ServiceSettings {
    /// Interface to bind.
    pub host: String,
    /// REST port.
    pub http_port: u16,
    /// gRPC port (reserved; the gRPC service comes later).
    pub grpc_port: Option<u16>,
    /// Maximal request body in MB.
    pub max_request_size_mb: usize,
    /// Answer CORS preflights and add CORS headers.
    pub enable_cors: bool,
    /// Worker threads (0 = one per core).
    pub max_workers: usize,
    /// Searches slower than this (seconds) report the unindexed payload
    /// fields their filters read as issues.
    pub slow_query_secs: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            log_level: "INFO".into(),
            storage: StorageSettings::default(),
            service: ServiceSettings::default(),
            telemetry_disabled: false,
        }
    }
}

impl Default for StorageSettings {
    fn default() -> Self {
        StorageSettings {
            storage_path: "./storage".into(),
            snapshots_path: "./snapshots".into(),
            on_disk_payload: true,
            wal: WalSettings::default(),
            optimizers: OptimizerSettings::default(),
            hnsw_index: HnswSettings::default(),
            performance: PerformanceSettings::default(),
            quotas: Default::default(),
        }
    }
}

impl Default for WalSettings {
    fn default() -> Self {
        WalSettings {
            wal_capacity_mb: 32,
            wal_segments_ahead: 0,
        }
    }
}

impl Default for OptimizerSettings {
    fn default() -> Self {
        OptimizerSettings {
            deleted_threshold: 0.2,
            vacuum_min_vector_number: 1000,
            default_segment_number: 0,
            max_segment_size_kb: None,
            memmap_threshold_kb: None,
            indexing_threshold_kb: Some(10000),
            flush_interval_sec: 5,
            max_optimization_threads: None,
        }
    }
}

impl Default for HnswSettings {
    fn default() -> Self {
        HnswSettings {
            m: 16,
            ef_construct: 100,
            full_scan_threshold_kb: 10000,
            max_indexing_threads: 0,
            on_disk: false,
            payload_m: None,
        }
    }
}

impl Default for ServiceSettings {
    fn default() -> Self {
        ServiceSettings {
            host: "0.0.0.0".into(),
            http_port: 6333,
            grpc_port: Some(6334),
            max_request_size_mb: 32,
            enable_cors: true,
            max_workers: 0,
            slow_query_secs: 1.2,
        }
    }
}

impl Settings {
    /// Loads every layer; `config_dir` holds `config.yaml` and friends.
    pub fn load(
        config_dir: &Path,
        config_path: Option<&Path>,
        env: impl Iterator<Item = (String, String)>,
    ) -> anyhow::Result<Settings> {
        let mut merged = Value::Object(Map::new());
        let mut files = vec![config_dir.join("config.yaml")];
        if let Ok(mode) = std::env::var("RUN_MODE") {
            files.push(config_dir.join(format!("{mode}.yaml")));
        }
        files.push(config_dir.join("local.yaml"));
        for file in &files {
            if file.exists() {
                merge(&mut merged, read_yaml(file)?);
            }
        }
        if let Some(path) = config_path {
            if !path.exists() {
                bail!("config file {} does not exist", path.display());
            }
            merge(&mut merged, read_yaml(path)?);
        }
        for (key, raw) in env {
            let Some(rest) = key.strip_prefix("QDRANT__") else {
                continue;
            };
            let path: Vec<String> = rest.split("__").map(str::to_lowercase).collect();
            let value: Value = serde_yaml_ng::from_str(&raw).unwrap_or(Value::String(raw.clone()));
            let mut patch = value;
            for part in path.iter().rev() {
                let mut m = Map::new();
                m.insert(part.clone(), patch);
                patch = Value::Object(m);
            }
            merge(&mut merged, patch);
        }
        let settings: Settings = serde_path_to_error::deserialize(merged).map_err(|e| {
            anyhow::anyhow!(
                "invalid configuration value for `{}`: {}",
                e.path(),
                e.inner()
            )
        })?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if !["TRACE", "DEBUG", "INFO", "WARN", "ERROR"]
            .contains(&self.log_level.to_uppercase().as_str())
        {
            bail!(
                "invalid configuration value for `log_level`: {}",
                self.log_level
            );
        }
        if self.service.max_request_size_mb == 0 {
            bail!(
                "invalid configuration value for `service.max_request_size_mb`: must be at least 1"
            );
        }
        if self.storage.hnsw_index.ef_construct < 4 {
            bail!("invalid configuration value for `storage.hnsw_index.ef_construct`: must be 4 or larger");
        }
        Ok(())
    }

    /// Defaults for new collections.
    pub fn collection_defaults(&self) -> CollectionDefaults {
        let mut d = CollectionDefaults::default();
        let h = &self.storage.hnsw_index;
        d.hnsw.m = h.m;
        d.hnsw.ef_construct = h.ef_construct;
        d.hnsw.full_scan_threshold = h.full_scan_threshold_kb;
        d.hnsw.max_indexing_threads = h.max_indexing_threads;
        d.hnsw.on_disk = Some(h.on_disk);
        d.hnsw.payload_m = h.payload_m;
        let o = &self.storage.optimizers;
        d.optimizers.deleted_threshold = o.deleted_threshold;
        d.optimizers.vacuum_min_vector_number = o.vacuum_min_vector_number;
        d.optimizers.default_segment_number = o.default_segment_number;
        d.optimizers.max_segment_size = o.max_segment_size_kb;
        d.optimizers.memmap_threshold = o.memmap_threshold_kb;
        d.optimizers.indexing_threshold = o.indexing_threshold_kb;
        d.optimizers.flush_interval_sec = o.flush_interval_sec;
        d.optimizers.max_optimization_threads = o
            .max_optimization_threads
            .map(collection::config::MaxOptimizationThreads::Threads);
        d.wal.wal_capacity_mb = self.storage.wal.wal_capacity_mb;
        d.wal.wal_segments_ahead = self.storage.wal.wal_segments_ahead;
        d
    }
}

fn read_yaml(path: &Path) -> anyhow::Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let value: Value =
        serde_yaml_ng::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    Ok(if value.is_null() {
        Value::Object(Map::new())
    } else {
        value
    })
}

/// Deep-merges `patch` into `base`: objects merge key by key, anything else
/// replaces.
fn merge(base: &mut Value, patch: Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                merge(b.entry(k).or_insert(Value::Null), v);
            }
        }
        (b, p) => *b = p,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_and_env_override() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.yaml"),
            "service:\n  http_port: 7000\n  unknown_key: 1\nstorage:\n  storage_path: /a\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("local.yaml"),
            "storage:\n  storage_path: /b\n",
        )
        .unwrap();
        let env = vec![
            ("QDRANT__SERVICE__GRPC_PORT".to_string(), "7001".to_string()),
            (
                "QDRANT__STORAGE__HNSW_INDEX__M".to_string(),
                "32".to_string(),
            ),
            ("OTHER".to_string(), "x".to_string()),
        ];
        let s = Settings::load(dir.path(), None, env.into_iter()).unwrap();
        assert_eq!(s.service.http_port, 7000);
        assert_eq!(s.service.grpc_port, Some(7001));
        assert_eq!(s.storage.storage_path, PathBuf::from("/b"));
        assert_eq!(s.storage.hnsw_index.m, 32);
        assert_eq!(s.service.max_request_size_mb, 32);
    }

    #[test]
    fn bad_values_name_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let env = vec![(
            "QDRANT__SERVICE__HTTP_PORT".to_string(),
            "not-a-port".to_string(),
        )];
        let err = Settings::load(dir.path(), None, env.into_iter()).unwrap_err();
        assert!(err.to_string().contains("service.http_port"), "{err}");
        let missing = Settings::load(
            dir.path(),
            Some(Path::new("/nonexistent.yaml")),
            std::iter::empty(),
        );
        assert!(missing.is_err());
    }
}
