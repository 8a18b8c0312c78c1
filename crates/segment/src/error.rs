//! Errors of the segment layer.

/// Everything that can go wrong inside a segment.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SegmentError {
    /// Reading or writing the segment's files failed.
    #[error("segment I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A persisted segment file is damaged or of an unknown format.
    #[error("corrupted segment file: {0}")]
    Corrupted(String),
    /// The caller passed something the segment cannot store.
    #[error("{0}")]
    BadInput(String),
}

/// Result alias of the segment layer.
pub type Result<T, E = SegmentError> = std::result::Result<T, E>;
