//! Collection configuration.
//!
//! These types are persisted as the collection's `config.json` and reported
//! back in collection info. Their JSON form is Qdrant's own schema on
//! purpose: it is both the contract clients read and the on-disk format that
//! snapshots carry, so one type serves both and cannot drift.

mod diff;
mod quantization;
mod validate;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use diff::{
    CollectionParamsDiff, HnswConfigDiff, OptimizersConfigDiff, VectorParamsDiff, WalConfigDiff,
};
pub use quantization::{
    BinaryEncoding, BinaryQueryEncoding, CompressionRatio, QuantizationConfig,
    QuantizationConfigDiff, TurboBits,
};
pub use validate::{validate_strict_mode, Validate, ValidationErrors};

/// Distance function of a dense vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Distance {
    /// Cosine similarity (vectors are normalized on write).
    Cosine,
    /// Euclidean distance.
    Euclid,
    /// Dot product.
    Dot,
    /// Manhattan distance.
    Manhattan,
}

/// Storage datatype of vector elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Datatype {
    /// 32-bit floats.
    Float32,
    /// 8-bit unsigned integers.
    Uint8,
    /// 16-bit floats.
    Float16,
    /// 4-bit TurboQuant.
    Turbo4,
    /// 8-bit TurboQuant (the 1.20 protocol).
    Turbo8,
    /// 16-bit TurboQuant (the 1.20 protocol): stored as 16-bit floats.
    Turbo16,
}

/// Memory placement of a storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Memory {
    /// Read from disk on demand.
    Cold,
    /// Kept in the page cache.
    Cached,
    /// Locked in RAM.
    Pinned,
}

/// Comparator of multi-vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MultiVectorComparator {
    /// Sum over query sub-vectors of the best document sub-vector score.
    MaxSim,
}

/// Multi-vector configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MultiVectorConfig {
    /// How sub-vector scores combine.
    pub comparator: MultiVectorComparator,
}

/// Parameters of one dense vector storage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VectorParams {
    /// Dimension (never zero: refused while parsing, as Qdrant's
    /// `NonZeroU64`, so a body giving 0 is a format error).
    #[serde(deserialize_with = "nonzero_size")]
    pub size: u64,
    /// Distance function.
    pub distance: Distance,
    /// HNSW overrides for this vector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hnsw_config: Option<HnswConfigDiff>,
    /// Quantization for this vector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantization_config: Option<QuantizationConfig>,
    /// Deprecated on-disk flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_disk: Option<bool>,
    /// Memory placement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Memory>,
    /// Element datatype.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datatype: Option<Datatype>,
    /// Multi-vector configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multivector_config: Option<MultiVectorConfig>,
}

impl VectorParams {
    /// Whether vectors are normalized on write and query: Cosine over float
    /// storage (byte storage divides by the norms when scoring instead).
    pub fn normalizes(&self) -> bool {
        self.distance == Distance::Cosine && self.datatype != Some(Datatype::Uint8)
    }
}

fn nonzero_size<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let n = <u64 as Deserialize>::deserialize(d)?;
    if n == 0 {
        return Err(serde::de::Error::invalid_value(
            serde::de::Unexpected::Unsigned(0),
            &"a nonzero u64",
        ));
    }
    Ok(n)
}

/// Either one unnamed vector or a map of named vectors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum VectorsConfig {
    /// One unnamed vector.
    Single(VectorParams),
    /// Named vectors.
    Multi(BTreeMap<String, VectorParams>),
}

impl Default for VectorsConfig {
    fn default() -> Self {
        VectorsConfig::Multi(BTreeMap::new())
    }
}

impl VectorsConfig {
    /// Parameters of the vector `name` (`""` for the unnamed one).
    pub fn get(&self, name: &str) -> Option<&VectorParams> {
        match self {
            VectorsConfig::Single(p) => name.is_empty().then_some(p),
            VectorsConfig::Multi(m) => m.get(name),
        }
    }

    /// Mutable parameters of the vector `name`.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut VectorParams> {
        match self {
            VectorsConfig::Single(p) => name.is_empty().then_some(p),
            VectorsConfig::Multi(m) => m.get_mut(name),
        }
    }

    /// All vectors with their names.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&str, &VectorParams)> + '_> {
        match self {
            VectorsConfig::Single(p) => Box::new(std::iter::once(("", p))),
            VectorsConfig::Multi(m) => Box::new(m.iter().map(|(k, v)| (k.as_str(), v))),
        }
    }
}

/// Sparse vector value modifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Modifier {
    /// Values used as they are.
    None,
    /// Inverse document frequency applied at query time.
    Idf,
}

/// Index parameters of a sparse vector.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SparseIndexParams {
    /// Below this many matches, a full scan is preferred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_scan_threshold: Option<u64>,
    /// Deprecated on-disk flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_disk: Option<bool>,
    /// Memory placement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Memory>,
    /// Element datatype.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datatype: Option<Datatype>,
}

/// Parameters of one sparse vector storage.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SparseVectorParams {
    /// Index parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<SparseIndexParams>,
    /// Value modifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modifier: Option<Modifier>,
}

/// How points are distributed over shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShardingMethod {
    /// By point id hash.
    Auto,
    /// By user-given shard key.
    Custom,
}

/// Payload storage parameters.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PayloadStorageParams {
    /// Memory placement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Memory>,
}

/// Base parameters of a collection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CollectionParams {
    /// Dense and multi-dense vectors.
    #[serde(default)]
    pub vectors: VectorsConfig,
    /// Number of shards.
    pub shard_number: u32,
    /// Sharding method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sharding_method: Option<ShardingMethod>,
    /// Replicas per shard.
    pub replication_factor: u32,
    /// Replicas that must apply a write.
    pub write_consistency_factor: u32,
    /// Extra replicas queried per read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_fan_out_factor: Option<u32>,
    /// Delay before fanning out to another replica.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_fan_out_delay_ms: Option<u64>,
    /// Deprecated payload-on-disk flag.
    pub on_disk_payload: bool,
    /// Payload storage parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<PayloadStorageParams>,
    /// Sparse vectors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sparse_vectors: Option<BTreeMap<String, SparseVectorParams>>,
}

/// HNSW index configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HnswConfig {
    /// Edges per node.
    pub m: u64,
    /// Candidates considered while building.
    pub ef_construct: u64,
    /// Size (KB) below which a full scan is preferred.
    pub full_scan_threshold: u64,
    /// Indexing threads (0 = automatic).
    pub max_indexing_threads: u64,
    /// Deprecated on-disk flag.
    #[serde(default)]
    pub on_disk: Option<bool>,
    /// Memory placement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Memory>,
    /// M of the payload-aware links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_m: Option<u64>,
    /// Vectors stored inline in the graph file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inline_storage: Option<bool>,
}

/// `max_optimization_threads`: a number or `"auto"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MaxOptimizationThreads {
    /// `"auto"`.
    Setting(AutoSetting),
    /// An explicit thread count.
    Threads(u64),
}

/// The literal `"auto"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AutoSetting {
    /// Chosen automatically.
    Auto,
}

/// Optimizer configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptimizersConfig {
    /// Fraction of deleted vectors that triggers vacuum.
    pub deleted_threshold: f64,
    /// Minimal vectors in a segment for vacuum.
    pub vacuum_min_vector_number: u64,
    /// Target segment count (0 = by CPUs).
    pub default_segment_number: u64,
    /// Maximal segment size in KB.
    pub max_segment_size: Option<u64>,
    /// Deprecated memmap threshold in KB.
    pub memmap_threshold: Option<u64>,
    /// Size in KB above which vectors are indexed.
    pub indexing_threshold: Option<u64>,
    /// Seconds between flushes.
    pub flush_interval_sec: u64,
    /// Optimization threads.
    pub max_optimization_threads: Option<MaxOptimizationThreads>,
    /// Keep unoptimized points hidden.
    #[serde(default)]
    pub prevent_unoptimized: Option<bool>,
}

/// Write-ahead log configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WalConfig {
    /// Size of one WAL segment in MB.
    pub wal_capacity_mb: u64,
    /// Segments created ahead.
    pub wal_segments_ahead: u64,
    /// Closed segments kept.
    #[serde(default = "one")]
    pub wal_retain_closed: u64,
}

fn one() -> u64 {
    1
}

/// The complete configuration of a collection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CollectionConfig {
    /// Base parameters.
    pub params: CollectionParams,
    /// HNSW configuration.
    pub hnsw_config: HnswConfig,
    /// Optimizer configuration.
    pub optimizer_config: OptimizersConfig,
    /// WAL configuration.
    pub wal_config: WalConfig,
    /// Quantization configuration.
    #[serde(default)]
    pub quantization_config: Option<QuantizationConfig>,
    /// Strict mode configuration, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict_mode_config: Option<Value>,
    /// Arbitrary user metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Map<String, Value>>,
}

impl CollectionConfig {
    /// Parameters of a sparse vector.
    pub fn sparse(&self, name: &str) -> Option<&SparseVectorParams> {
        self.params.sparse_vectors.as_ref()?.get(name)
    }
}

#[cfg(test)]
mod tests;
