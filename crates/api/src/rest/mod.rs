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
pub mod quota;
pub mod records;

use collection::CollectionError;

/// Conversion failures are bad input.
pub(crate) fn bad(message: impl Into<String>) -> CollectionError {
    CollectionError::BadInput(message.into())
}

/// A validation error of a field of a body that Qdrant's REST API wraps
/// (`internal.`, `search_request.`, `searches[0].internal.` ...): the field
/// path as Qdrant reports it, `wrapper` prepended. Other errors pass.
pub fn within(wrapper: &str) -> impl Fn(CollectionError) -> CollectionError + '_ {
    move |e| match e {
        CollectionError::Validation(m) => CollectionError::Validation(format!("{wrapper}{m}")),
        other => other,
    }
}
