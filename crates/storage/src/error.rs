//! Errors of the catalog.

use collection::CollectionError;

/// Everything a catalog operation can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// An error from a collection.
    #[error(transparent)]
    Collection(#[from] CollectionError),
    /// A collection of that name exists already.
    #[error("Wrong input: Collection `{0}` already exists!")]
    AlreadyExists(String),
}

impl StorageError {
    /// A missing collection.
    pub fn no_collection(name: &str) -> Self {
        CollectionError::NotFound(format!("Collection `{name}` doesn't exist!")).into()
    }

    /// Unacceptable input.
    pub fn bad_input(message: impl Into<String>) -> Self {
        CollectionError::BadInput(message.into()).into()
    }

    /// A field outside its allowed range.
    pub fn validation(message: impl Into<String>) -> Self {
        CollectionError::Validation(message.into()).into()
    }
}

impl From<std::io::Error> for StorageError {
    fn from(e: std::io::Error) -> Self {
        CollectionError::from(e).into()
    }
}

/// Result alias of the catalog.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;
