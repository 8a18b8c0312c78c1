//! gRPC wire types (generated into the official `qdrant-client` crate)
//! and their conversions: requests into the REST bodies, so both transports
//! run the same conversions into internal requests; results into protobuf.

pub mod collections;
pub mod direct;
pub mod info;
pub mod input;
pub mod output;
pub mod requests;

pub use qdrant_client::qdrant as pb;
