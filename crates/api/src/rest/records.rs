//! Response shapes: records, update results and collection info.

use std::collections::BTreeMap;

use collection::collection::CollectionStats;
use collection::config::CollectionConfig;
use segment::segment::Record as InternalRecord;
use segment::vectors::{NamedVectors, SparseVector, Vector};
use segment::{Payload, PointId};
use serde::Serialize;

/// One vector as returned.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum VectorOutput {
    /// Dense.
    Dense(Vec<f32>),
    /// Sparse.
    Sparse(SparseVector),
    /// Multi-dense.
    Multi(Vec<Vec<f32>>),
}

impl From<Vector> for VectorOutput {
    fn from(v: Vector) -> Self {
        match v {
            Vector::Dense(d) => VectorOutput::Dense(d),
            Vector::Sparse(s) => VectorOutput::Sparse(s),
            Vector::Multi(m) => VectorOutput::Multi(m),
        }
    }
}

/// A point's vectors as returned: bare when only the unnamed vector exists.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum VectorStructOutput {
    /// The unnamed vector.
    Single(VectorOutput),
    /// Named vectors.
    Named(BTreeMap<String, VectorOutput>),
}

impl From<NamedVectors> for VectorStructOutput {
    fn from(mut v: NamedVectors) -> Self {
        if v.len() == 1 {
            if let Some(unnamed) = v.remove("") {
                return VectorStructOutput::Single(unnamed.into());
            }
        }
        VectorStructOutput::Named(v.into_iter().map(|(k, x)| (k, x.into())).collect())
    }
}

/// A point as returned by retrieve and scroll.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// Id.
    pub id: PointId,
    /// Payload, when selected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<Payload>,
    /// Vectors, when selected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vector: Option<VectorStructOutput>,
}

impl From<InternalRecord> for Record {
    fn from(r: InternalRecord) -> Self {
        Record {
            id: r.id,
            payload: r.payload,
            vector: r.vectors.map(Into::into),
        }
    }
}

/// Result of an update.
#[derive(Debug, Clone, Serialize)]
pub struct UpdateResult {
    /// Operation number.
    pub operation_id: Option<u64>,
    /// `acknowledged` or `completed`.
    pub status: UpdateStatus,
}

/// Whether the update was applied before answering.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateStatus {
    /// Logged, applied later.
    Acknowledged,
    /// Applied.
    Completed,
}

impl UpdateResult {
    /// The result for operation `op` given the request's `wait` flag.
    pub fn new(op: u64, wait: bool) -> Self {
        UpdateResult {
            operation_id: Some(op),
            status: if wait {
                UpdateStatus::Completed
            } else {
                UpdateStatus::Acknowledged
            },
        }
    }
}

/// `scroll` result.
#[derive(Debug, Clone, Serialize)]
pub struct ScrollResult {
    /// The page.
    pub points: Vec<Record>,
    /// First id of the next page.
    pub next_page_offset: Option<PointId>,
}

/// `count` result.
#[derive(Debug, Clone, Serialize)]
pub struct CountResult {
    /// Number of points.
    pub count: usize,
}

/// The update queue of collection info.
#[derive(Debug, Clone, Serialize)]
pub struct UpdateQueueInfo {
    /// Pending updates.
    pub length: usize,
}

/// `GET /collections/{name}` result.
#[derive(Debug, Clone, Serialize)]
pub struct CollectionInfo {
    /// green / yellow / grey / red.
    pub status: &'static str,
    /// `ok` or an error object.
    pub optimizer_status: &'static str,
    /// Vectors held by a vector index.
    pub indexed_vectors_count: usize,
    /// Points.
    pub points_count: usize,
    /// Segments.
    pub segments_count: usize,
    /// Configuration.
    pub config: CollectionConfig,
    /// Indexed payload fields.
    pub payload_schema: BTreeMap<String, serde_json::Value>,
    /// Update queue.
    pub update_queue: UpdateQueueInfo,
}

impl CollectionInfo {
    /// Builds the info from a collection's counters and configuration.
    pub fn new(stats: CollectionStats, config: CollectionConfig) -> Self {
        CollectionInfo {
            status: "green",
            optimizer_status: "ok",
            indexed_vectors_count: stats.indexed_vectors_count,
            points_count: stats.points_count,
            segments_count: stats.segments_count,
            config,
            payload_schema: BTreeMap::new(),
            update_queue: UpdateQueueInfo { length: 0 },
        }
    }
}
