//! Collection creation and update requests, and the defaults they fill in.

use std::collections::BTreeMap;

use collection::config::{
    validate_strict_mode, CollectionConfig, CollectionParams, CollectionParamsDiff, HnswConfig,
    HnswConfigDiff, OptimizersConfig, OptimizersConfigDiff, PayloadStorageParams,
    QuantizationConfig, QuantizationConfigDiff, ShardingMethod, SparseVectorParams, Validate,
    ValidationErrors, VectorParamsDiff, VectorsConfig, WalConfig, WalConfigDiff,
};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::{Result, StorageError};

/// A create-collection request (`PUT /collections/{name}`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CreateCollection {
    /// Dense vectors.
    #[serde(default)]
    pub vectors: Option<VectorsConfig>,
    /// Shards.
    #[serde(default)]
    pub shard_number: Option<u32>,
    /// Sharding method.
    #[serde(default)]
    pub sharding_method: Option<ShardingMethod>,
    /// Replicas.
    #[serde(default)]
    pub replication_factor: Option<u32>,
    /// Write consistency.
    #[serde(default)]
    pub write_consistency_factor: Option<u32>,
    /// Deprecated payload-on-disk flag.
    #[serde(default)]
    pub on_disk_payload: Option<bool>,
    /// Payload storage.
    #[serde(default)]
    pub payload: Option<PayloadStorageParams>,
    /// HNSW overrides.
    #[serde(default)]
    pub hnsw_config: Option<HnswConfigDiff>,
    /// WAL overrides.
    #[serde(default)]
    pub wal_config: Option<WalConfigDiff>,
    /// Optimizer overrides.
    #[serde(default)]
    pub optimizers_config: Option<OptimizersConfigDiff>,
    /// Quantization.
    #[serde(default)]
    pub quantization_config: Option<QuantizationConfig>,
    /// Sparse vectors.
    #[serde(default)]
    pub sparse_vectors: Option<BTreeMap<String, SparseVectorParams>>,
    /// Strict mode.
    #[serde(default)]
    pub strict_mode_config: Option<Value>,
    /// User metadata.
    #[serde(default)]
    pub metadata: Option<Map<String, Value>>,
}

/// An update-collection request (`PATCH /collections/{name}`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UpdateCollection {
    /// Per-vector changes.
    #[serde(default)]
    pub vectors: Option<BTreeMap<String, VectorParamsDiff>>,
    /// Optimizer changes.
    #[serde(default)]
    pub optimizers_config: Option<OptimizersConfigDiff>,
    /// Base parameter changes.
    #[serde(default)]
    pub params: Option<CollectionParamsDiff>,
    /// HNSW changes.
    #[serde(default)]
    pub hnsw_config: Option<HnswConfigDiff>,
    /// Quantization change.
    #[serde(default)]
    pub quantization_config: Option<QuantizationConfigDiff>,
    /// Sparse vector changes.
    #[serde(default)]
    pub sparse_vectors: Option<BTreeMap<String, SparseVectorParams>>,
    /// Strict mode change (merged).
    #[serde(default)]
    pub strict_mode_config: Option<Value>,
    /// Metadata change (merged; null removes a key).
    #[serde(default)]
    pub metadata: Option<Map<String, Value>>,
}

/// Service-wide defaults for new collections (from the configuration file).
#[derive(Debug, Clone)]
pub struct CollectionDefaults {
    /// HNSW defaults.
    pub hnsw: HnswConfig,
    /// Optimizer defaults.
    pub optimizers: OptimizersConfig,
    /// WAL defaults.
    pub wal: WalConfig,
}

impl Default for CollectionDefaults {
    fn default() -> Self {
        CollectionDefaults {
            hnsw: HnswConfig {
                m: 16,
                ef_construct: 100,
                full_scan_threshold: 10000,
                max_indexing_threads: 0,
                on_disk: Some(false),
                memory: None,
                payload_m: None,
                inline_storage: None,
            },
            optimizers: OptimizersConfig {
                deleted_threshold: 0.2,
                vacuum_min_vector_number: 1000,
                default_segment_number: 0,
                max_segment_size: None,
                memmap_threshold: None,
                indexing_threshold: Some(10000),
                flush_interval_sec: 5,
                max_optimization_threads: None,
                prevent_unoptimized: None,
            },
            wal: WalConfig {
                wal_capacity_mb: 32,
                wal_segments_ahead: 0,
                wal_retain_closed: 1,
            },
        }
    }
}

impl CreateCollection {
    /// Checks value ranges, reporting every bad field.
    pub fn validate(&self) -> Result<()> {
        let mut e = ValidationErrors::default();
        match &self.vectors {
            Some(VectorsConfig::Single(p)) => p.validate("vectors", &mut e),
            Some(VectorsConfig::Multi(m)) => m
                .iter()
                .for_each(|(n, p)| p.validate(&format!("vectors.{n}"), &mut e)),
            None => {}
        }
        e.min("shard_number", self.shard_number, 1);
        e.min("replication_factor", self.replication_factor, 1);
        e.min("write_consistency_factor", self.write_consistency_factor, 1);
        self.hnsw_config.validate("hnsw_config", &mut e);
        self.wal_config.validate("wal_config", &mut e);
        self.optimizers_config.validate("optimizers_config", &mut e);
        self.quantization_config
            .validate("quantization_config", &mut e);
        if let Some(s) = &self.strict_mode_config {
            validate_strict_mode(s, "strict_mode_config", &mut e);
        }
        e.into_result().map_err(StorageError::validation)?;
        // a name is either dense or sparse (the unnamed vector is dense)
        let dense: Vec<&str> = match &self.vectors {
            Some(VectorsConfig::Single(_)) => vec![""],
            Some(VectorsConfig::Multi(m)) => m.keys().map(String::as_str).collect(),
            None => Vec::new(),
        };
        if let Some(clash) = self
            .sparse_vectors
            .iter()
            .flat_map(|s| s.keys())
            .find(|n| dense.contains(&n.as_str()))
        {
            return Err(StorageError::bad_input(format!(
                "Dense and sparse vector names must be unique - duplicate found with '{clash}'"
            )));
        }
        Ok(())
    }

    /// The full configuration of the new collection.
    pub fn into_config(self, defaults: &CollectionDefaults) -> CollectionConfig {
        let mut hnsw = defaults.hnsw.clone();
        if let Some(d) = &self.hnsw_config {
            d.apply_to(&mut hnsw);
        }
        let mut optimizers = defaults.optimizers.clone();
        if let Some(d) = &self.optimizers_config {
            d.apply_to(&mut optimizers);
        }
        let mut wal = defaults.wal.clone();
        if let Some(d) = &self.wal_config {
            d.apply_to(&mut wal);
        }
        CollectionConfig {
            params: CollectionParams {
                vectors: self.vectors.unwrap_or_default(),
                shard_number: self.shard_number.unwrap_or(1),
                sharding_method: self.sharding_method,
                replication_factor: self.replication_factor.unwrap_or(1),
                write_consistency_factor: self.write_consistency_factor.unwrap_or(1),
                read_fan_out_factor: None,
                read_fan_out_delay_ms: None,
                on_disk_payload: self.on_disk_payload.unwrap_or(true),
                payload: self.payload,
                sparse_vectors: self.sparse_vectors,
            },
            hnsw_config: hnsw,
            optimizer_config: optimizers,
            wal_config: wal,
            quantization_config: self.quantization_config,
            strict_mode_config: self.strict_mode_config.map(|mut s| {
                if let Some(obj) = s.as_object_mut() {
                    obj.retain(|_, v| !v.is_null());
                }
                s
            }),
            metadata: self.metadata,
        }
    }
}

impl UpdateCollection {
    /// Checks value ranges.
    pub fn validate(&self) -> Result<()> {
        let mut e = ValidationErrors::default();
        self.optimizers_config.validate("optimizers_config", &mut e);
        self.params.validate("params", &mut e);
        self.hnsw_config.validate("hnsw_config", &mut e);
        for (name, v) in self.vectors.iter().flatten() {
            v.hnsw_config
                .validate(&format!("vectors.{name}.hnsw_config"), &mut e);
            v.quantization_config
                .as_ref()
                .and_then(|q| q.apply())
                .validate(&format!("vectors.{name}.quantization_config"), &mut e);
        }
        self.quantization_config
            .as_ref()
            .and_then(|q| q.apply())
            .validate("quantization_config", &mut e);
        if let Some(s) = &self.strict_mode_config {
            validate_strict_mode(s, "strict_mode_config", &mut e);
        }
        e.into_result().map_err(StorageError::validation)
    }

    /// Applies the update to `config`; unknown vector names are rejected.
    pub fn apply(&self, config: &mut CollectionConfig) -> collection::Result<()> {
        use collection::CollectionError;
        for (name, diff) in self.vectors.iter().flatten() {
            let params = config.params.vectors.get_mut(name).ok_or_else(|| {
                CollectionError::BadInput(format!("Not existing vector name error: {name}"))
            })?;
            if let Some(h) = &diff.hnsw_config {
                params
                    .hnsw_config
                    .get_or_insert_with(HnswConfigDiff::default)
                    .merge(h);
            }
            if let Some(q) = &diff.quantization_config {
                params.quantization_config = q.apply();
            }
            if diff.on_disk.is_some() {
                params.on_disk = diff.on_disk;
            }
            if diff.memory.is_some() {
                params.memory = diff.memory;
            }
        }
        if let Some(d) = &self.optimizers_config {
            d.apply_to(&mut config.optimizer_config);
        }
        if let Some(p) = &self.params {
            let target = &mut config.params;
            if let Some(v) = p.replication_factor {
                target.replication_factor = v;
            }
            if let Some(v) = p.write_consistency_factor {
                target.write_consistency_factor = v;
            }
            if p.read_fan_out_factor.is_some() {
                target.read_fan_out_factor = p.read_fan_out_factor;
            }
            if p.read_fan_out_delay_ms.is_some() {
                target.read_fan_out_delay_ms = p.read_fan_out_delay_ms;
            }
            if let Some(v) = p.on_disk_payload {
                target.on_disk_payload = v;
            }
            if p.payload.is_some() {
                target.payload = p.payload.clone();
            }
        }
        if let Some(h) = &self.hnsw_config {
            h.apply_to(&mut config.hnsw_config);
        }
        if let Some(q) = &self.quantization_config {
            config.quantization_config = q.apply();
        }
        if let Some(sparse) = &self.sparse_vectors {
            for (name, params) in sparse {
                let existing = config
                    .params
                    .sparse_vectors
                    .as_mut()
                    .and_then(|m| m.get_mut(name))
                    .ok_or_else(|| {
                        CollectionError::BadInput(format!("Not existing vector name error: {name}"))
                    })?;
                if params.index.is_some() {
                    existing.index = params.index.clone();
                }
                if params.modifier.is_some() {
                    existing.modifier = params.modifier;
                }
            }
        }
        if let Some(Value::Object(patch)) = &self.strict_mode_config {
            let current = config
                .strict_mode_config
                .get_or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(obj) = current {
                for (k, v) in patch {
                    if v.is_null() {
                        obj.shift_remove(k);
                    } else {
                        obj.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        if let Some(patch) = &self.metadata {
            let meta = config.metadata.get_or_insert_with(Map::new);
            for (k, v) in patch {
                if v.is_null() {
                    meta.shift_remove(k);
                } else {
                    meta.insert(k.clone(), v.clone());
                }
            }
        }
        Ok(())
    }
}
