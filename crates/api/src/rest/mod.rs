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
use serde::{Deserialize, Deserializer};

/// A body Qdrant's REST API reads through a wrapper that flattens it (the
/// request plus `shard_key`): serde reads the whole object before the
/// request, so data errors are reported at the object's end, as Qdrant
/// reports them.
#[derive(Debug, Clone)]
pub struct Flat<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Flat<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Wrapper<T> {
            #[serde(flatten)]
            inner: T,
        }
        Wrapper::<T>::deserialize(d).map(|w| Flat(w.inner))
    }
}

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
