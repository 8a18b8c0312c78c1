//! Response shapes: records, update results and collection info.

use std::collections::BTreeMap;

use collection::collection::CollectionStats;
use collection::config::CollectionConfig;
use segment::payload_index::schema::{PayloadFieldSchema, PayloadSchemaParams, PayloadSchemaType};
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
    /// The value a scroll with `order_by` ordered by.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_value: Option<serde_json::Value>,
}

impl From<InternalRecord> for Record {
    fn from(r: InternalRecord) -> Self {
        Record {
            id: r.id,
            payload: r.payload,
            vector: r.vectors.map(Into::into),
            order_value: None,
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
    pub payload_schema: BTreeMap<String, PayloadIndexInfo>,
    /// Update queue.
    pub update_queue: UpdateQueueInfo,
}

/// One indexed payload field in collection info.
#[derive(Debug, Clone, Serialize)]
pub struct PayloadIndexInfo {
    /// Index type.
    pub data_type: PayloadSchemaType,
    /// Parameters, when the index was created with them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub params: Option<PayloadSchemaParams>,
    /// Points with an indexed value.
    pub points: u64,
}

impl CollectionInfo {
    /// Builds the info from a collection's counters, configuration and
    /// payload indexes.
    pub fn new(
        stats: CollectionStats,
        config: CollectionConfig,
        indexes: BTreeMap<String, (PayloadFieldSchema, u64)>,
    ) -> Self {
        let payload_schema = indexes
            .into_iter()
            .map(|(field, (schema, points))| {
                let info = PayloadIndexInfo {
                    data_type: schema.kind(),
                    params: schema.params().cloned(),
                    points,
                };
                (field, info)
            })
            .collect();
        CollectionInfo {
            status: if stats.optimizing { "yellow" } else { "green" },
            optimizer_status: "ok",
            indexed_vectors_count: stats.indexed_vectors_count,
            points_count: stats.points_count,
            segments_count: stats.segments_count,
            config,
            payload_schema,
            update_queue: UpdateQueueInfo { length: 0 },
        }
    }
}
