//! Partial configurations: what create and update requests may override.

use serde::{Deserialize, Serialize};

use super::{
    HnswConfig, MaxOptimizationThreads, Memory, OptimizersConfig, PayloadStorageParams,
    QuantizationConfigDiff, WalConfig,
};

/// Overrides of [`HnswConfig`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct HnswConfigDiff {
    /// Edges per node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub m: Option<u64>,
    /// Build-time candidates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ef_construct: Option<u64>,
    /// Full-scan threshold in KB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_scan_threshold: Option<u64>,
    /// Indexing threads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_indexing_threads: Option<u64>,
    /// Deprecated on-disk flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_disk: Option<bool>,
    /// Memory placement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Memory>,
    /// Payload-aware M.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_m: Option<u64>,
    /// Inline storage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inline_storage: Option<bool>,
}

impl HnswConfigDiff {
    /// Applies the set fields to `base`.
    pub fn apply_to(&self, base: &mut HnswConfig) {
        set(&mut base.m, self.m);
        set(&mut base.ef_construct, self.ef_construct);
        set(&mut base.full_scan_threshold, self.full_scan_threshold);
        set(&mut base.max_indexing_threads, self.max_indexing_threads);
        set_opt(&mut base.on_disk, self.on_disk);
        set_opt(&mut base.memory, self.memory);
        set_opt(&mut base.payload_m, self.payload_m);
        set_opt(&mut base.inline_storage, self.inline_storage);
    }

    /// Merges `other`'s set fields over this diff.
    pub fn merge(&mut self, other: &HnswConfigDiff) {
        set_opt(&mut self.m, other.m);
        set_opt(&mut self.ef_construct, other.ef_construct);
        set_opt(&mut self.full_scan_threshold, other.full_scan_threshold);
        set_opt(&mut self.max_indexing_threads, other.max_indexing_threads);
        set_opt(&mut self.on_disk, other.on_disk);
        set_opt(&mut self.memory, other.memory);
        set_opt(&mut self.payload_m, other.payload_m);
        set_opt(&mut self.inline_storage, other.inline_storage);
    }
}

/// Overrides of [`OptimizersConfig`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OptimizersConfigDiff {
    /// Vacuum threshold.
    #[serde(default)]
    pub deleted_threshold: Option<f64>,
    /// Vacuum minimum.
    #[serde(default)]
    pub vacuum_min_vector_number: Option<u64>,
    /// Target segment count.
    #[serde(default)]
    pub default_segment_number: Option<u64>,
    /// Maximal segment size.
    #[serde(default)]
    pub max_segment_size: Option<u64>,
    /// Deprecated memmap threshold.
    #[serde(default)]
    pub memmap_threshold: Option<u64>,
    /// Indexing threshold.
    #[serde(default)]
    pub indexing_threshold: Option<u64>,
    /// Flush interval.
    #[serde(default)]
    pub flush_interval_sec: Option<u64>,
    /// Optimization threads.
    #[serde(default)]
    pub max_optimization_threads: Option<MaxOptimizationThreads>,
    /// Keep unoptimized points hidden.
    #[serde(default)]
    pub prevent_unoptimized: Option<bool>,
}

impl OptimizersConfigDiff {
    /// Applies the set fields to `base`.
    pub fn apply_to(&self, base: &mut OptimizersConfig) {
        set(&mut base.deleted_threshold, self.deleted_threshold);
        set(
            &mut base.vacuum_min_vector_number,
            self.vacuum_min_vector_number,
        );
        set(
            &mut base.default_segment_number,
            self.default_segment_number,
        );
        set_opt(&mut base.max_segment_size, self.max_segment_size);
        set_opt(&mut base.memmap_threshold, self.memmap_threshold);
        set_opt(&mut base.indexing_threshold, self.indexing_threshold);
        set(&mut base.flush_interval_sec, self.flush_interval_sec);
        set_opt(
            &mut base.max_optimization_threads,
            self.max_optimization_threads,
        );
        set_opt(&mut base.prevent_unoptimized, self.prevent_unoptimized);
    }
}

/// Overrides of [`WalConfig`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct WalConfigDiff {
    /// Segment size in MB.
    #[serde(default)]
    pub wal_capacity_mb: Option<u64>,
    /// Segments ahead.
    #[serde(default)]
    pub wal_segments_ahead: Option<u64>,
    /// Closed segments kept.
    #[serde(default)]
    pub wal_retain_closed: Option<u64>,
}

impl WalConfigDiff {
    /// Applies the set fields to `base`.
    pub fn apply_to(&self, base: &mut WalConfig) {
        set(&mut base.wal_capacity_mb, self.wal_capacity_mb);
        set(&mut base.wal_segments_ahead, self.wal_segments_ahead);
        set(&mut base.wal_retain_closed, self.wal_retain_closed);
    }
}

/// An optional `u32` that refuses 0 as Qdrant's `NonZeroU32` does.
fn nonzero_u32<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    match Option::<u32>::deserialize(d)? {
        Some(0) => Err(serde::de::Error::invalid_value(
            serde::de::Unexpected::Unsigned(0),
            &"a nonzero u32",
        )),
        v => Ok(v),
    }
}

/// Updatable base parameters.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CollectionParamsDiff {
    /// Replicas per shard (a `NonZeroU32` in Qdrant: 0 is a format error).
    #[serde(default, deserialize_with = "nonzero_u32")]
    pub replication_factor: Option<u32>,
    /// Write consistency factor (nonzero, as above).
    #[serde(default, deserialize_with = "nonzero_u32")]
    pub write_consistency_factor: Option<u32>,
    /// Read fan-out factor.
    #[serde(default)]
    pub read_fan_out_factor: Option<u32>,
    /// Read fan-out delay.
    #[serde(default)]
    pub read_fan_out_delay_ms: Option<u64>,
    /// Deprecated payload-on-disk flag.
    #[serde(default)]
    pub on_disk_payload: Option<bool>,
    /// Payload storage parameters.
    #[serde(default)]
    pub payload: Option<PayloadStorageParams>,
}

/// Updatable parameters of one dense vector.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct VectorParamsDiff {
    /// HNSW overrides.
    #[serde(default)]
    pub hnsw_config: Option<HnswConfigDiff>,
    /// Quantization change.
    #[serde(default)]
    pub quantization_config: Option<QuantizationConfigDiff>,
    /// Deprecated on-disk flag.
    #[serde(default)]
    pub on_disk: Option<bool>,
    /// Memory placement.
    #[serde(default)]
    pub memory: Option<Memory>,
}

fn set<T>(target: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *target = v;
    }
}

fn set_opt<T>(target: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *target = value;
    }
}
