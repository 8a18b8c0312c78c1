//! Errors of the collection layer.

use segment::SegmentError;

/// Everything a collection operation can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CollectionError {
    /// The request is well-formed but not acceptable for this collection.
    #[error("Wrong input: {0}")]
    BadInput(String),
    /// The body does not parse as the expected shape.
    #[error("Format error in JSON body: {0}")]
    Format(String),
    /// A value is outside its allowed range (reported per field).
    #[error("Validation error in JSON body: [{0}]")]
    Validation(String),
    /// A path parameter (a collection name) is not acceptable.
    #[error("Validation error in path parameters: [{0}]")]
    PathValidation(String),
    /// The request cannot be served as asked (e.g. a required index is missing).
    #[error("Bad request: {0}")]
    BadRequest(String),
    /// A referenced point or object does not exist.
    #[error("Not found: {0}")]
    NotFound(String),
    /// A strict-mode rate limit refuses the request for now.
    #[error("Rate limiting exceeded: {0}")]
    RateLimited(String),
    /// Persistent state could not be read or written.
    #[error("Service internal error: {0}")]
    Service(String),
}

impl From<SegmentError> for CollectionError {
    fn from(e: SegmentError) -> Self {
        match e {
            SegmentError::BadInput(m) => CollectionError::BadInput(m),
            other => CollectionError::Service(other.to_string()),
        }
    }
}

impl From<std::io::Error> for CollectionError {
    fn from(e: std::io::Error) -> Self {
        CollectionError::Service(e.to_string())
    }
}

/// Result alias of the collection layer.
pub type Result<T, E = CollectionError> = std::result::Result<T, E>;
