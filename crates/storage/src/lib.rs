//! Vectorizer's catalog: the set of collections and aliases.
//!
//! [`TableOfContent`](toc::TableOfContent) owns the storage directory:
//! `collections/<name>/` for each collection and `aliases.json` for the
//! alias map. It resolves aliases for every lookup and applies alias
//! changes atomically.
#![warn(missing_docs)]

pub mod create;
pub mod error;
pub mod toc;

pub use error::{Result, StorageError};
