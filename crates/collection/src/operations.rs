//! Update requests as the collection receives them, and the resolved
//! operations the write-ahead log records.

use segment::filter::Filter;
use segment::json_path::JsonPath;
use segment::payload_index::schema::PayloadFieldSchema;
use segment::vector_storage::VectorKind;
use segment::vectors::NamedVectors;
use segment::{Payload, PointId};
use serde::{Deserialize, Serialize};

/// One point to store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointData {
    /// Point id.
    pub id: PointId,
    /// Its vectors by name.
    pub vectors: NamedVectors,
    /// Its payload.
    pub payload: Payload,
}

/// Which points an update targets.
#[derive(Debug, Clone, PartialEq)]
pub enum PointSelection {
    /// These ids.
    Ids(Vec<PointId>),
    /// Every point matching the filter.
    Filter(Filter),
}

/// How an upsert treats existing and new points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UpdateMode {
    /// Insert new points and replace existing ones.
    #[default]
    Upsert,
    /// Only insert points that do not exist yet.
    InsertOnly,
    /// Only replace points that exist.
    UpdateOnly,
}

/// An update as requested, before ids are resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateRequest {
    /// Insert or replace points.
    Upsert {
        /// The points.
        points: Vec<PointData>,
        /// Existing points are replaced only if they match this filter.
        update_filter: Option<Filter>,
        /// Insert / update policy.
        mode: UpdateMode,
    },
    /// Delete points.
    Delete(PointSelection),
    /// Replace some vectors of existing points.
    UpdateVectors {
        /// Ids with their new vectors.
        points: Vec<(PointId, NamedVectors)>,
        /// Only points matching this filter are updated.
        update_filter: Option<Filter>,
    },
    /// Remove named vectors from points.
    DeleteVectors {
        /// Target points.
        selection: PointSelection,
        /// Vector names to remove.
        names: Vec<String>,
    },
    /// Merge payload keys into points' payloads.
    SetPayload {
        /// Target points.
        selection: PointSelection,
        /// Keys to set.
        payload: Payload,
        /// Nested object to merge into.
        key: Option<JsonPath>,
    },
    /// Replace points' payloads.
    OverwritePayload {
        /// Target points.
        selection: PointSelection,
        /// The new payload.
        payload: Payload,
    },
    /// Remove payload keys.
    DeletePayload {
        /// Target points.
        selection: PointSelection,
        /// Paths to remove.
        keys: Vec<JsonPath>,
    },
    /// Empty points' payloads.
    ClearPayload(PointSelection),
}

/// A logged operation: every target is an explicit id, so replay does not
/// depend on the state it runs over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Operation {
    /// Insert or replace points.
    Upsert(Vec<PointData>),
    /// Delete points.
    Delete(Vec<PointId>),
    /// Replace some vectors.
    UpdateVectors(Vec<(PointId, NamedVectors)>),
    /// Remove named vectors.
    DeleteVectors(Vec<PointId>, Vec<String>),
    /// Merge payload (optionally under a nested key path).
    SetPayload(Vec<PointId>, Payload, Option<String>),
    /// Replace payloads.
    OverwritePayload(Vec<PointId>, Payload),
    /// Remove payload paths.
    DeletePayload(Vec<PointId>, Vec<String>),
    /// Empty payloads.
    ClearPayload(Vec<PointId>),
    /// Add an empty storage for a new vector name.
    CreateVectorName(String, VectorKind),
    /// Drop a vector name and its vectors.
    DeleteVectorName(String),
    /// Create (or replace) a payload index.
    CreateIndex(String, PayloadFieldSchema),
    /// Drop a payload index.
    DeleteIndex(String),
}

/// Ordering of a scroll by a payload field.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderBy {
    /// Payload key with a range index.
    pub key: String,
    /// Largest values first.
    pub descending: bool,
    /// First value to return (inclusive).
    pub start_from: Option<f64>,
}
