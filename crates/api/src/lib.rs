//! Vectorizer's wire layer.
//!
//! `rest` holds the JSON request and response shapes of Qdrant's REST API
//! and converts them into the internal requests of the `collection` and
//! `storage` crates. Nothing below this crate sees a wire type.
#![warn(missing_docs)]

pub mod grpc;
pub mod rest;
