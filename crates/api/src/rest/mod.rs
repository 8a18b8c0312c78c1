//! REST (JSON) wire types.

pub mod collections;
pub mod filter;
pub mod formula;
pub mod groups;
pub mod index;
pub mod legacy;
pub mod optimizations;
pub mod points;
pub mod query;
pub mod records;

use collection::CollectionError;

/// Conversion failures are bad input.
pub(crate) fn bad(message: impl Into<String>) -> CollectionError {
    CollectionError::BadInput(message.into())
}
