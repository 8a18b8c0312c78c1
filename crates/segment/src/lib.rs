//! Vectorizer's segment layer: the synchronous storage of points.
//!
//! A [`Segment`](segment::Segment) maps external point ids to dense internal
//! offsets and keeps, per offset, the point's version, its named vectors and
//! its JSON payload. Nothing here knows about HTTP, async runtimes or wire
//! formats; higher crates convert their requests into these types.
#![warn(missing_docs)]

pub mod codec;
pub mod datetime;
pub mod distance;
pub mod error;
pub mod filter;
pub mod hnsw;
pub mod huge_pages;
pub mod json_path;
pub mod payload_index;
pub mod point_id;
pub mod quantization;
pub mod segment;
pub mod selector;
pub mod vector_storage;
pub mod vectors;

pub use error::{Result, SegmentError};
pub use point_id::PointId;

/// A point's payload: an ordered JSON object.
pub type Payload = serde_json::Map<String, serde_json::Value>;
