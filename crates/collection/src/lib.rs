//! Vectorizer's collection layer.
//!
//! A [`Collection`](collection::Collection) owns its configuration and its
//! shard; a [`Shard`](shard::Shard) owns a write-ahead log and the segment it
//! keeps up to date. Every update is logged before it is applied, and
//! recovery replays the log over the last flushed segment.
#![warn(missing_docs)]

pub mod collection;
pub mod config;
pub mod error;
pub mod holder;
pub mod operations;
pub mod optimizer;
pub mod query;
pub mod rate_limit;
pub mod search;
pub mod shard;
pub mod strict;
pub mod vector_check;
pub mod wal;

pub use error::{CollectionError, Result};
