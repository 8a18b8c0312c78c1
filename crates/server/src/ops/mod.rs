//! Operations shared by the REST and gRPC services: each takes a request
//! already converted from its wire form (the REST body types, which the
//! gRPC conversions also produce), runs it and returns the typed result
//! both transports serialize. Handlers hold no other logic.

pub mod collections;
pub mod points;
pub mod search;

pub use crate::http::{blocking, ApiError, AppState};

/// The result of an operation.
pub type OpResult<T> = Result<T, ApiError>;

/// The collection `name` (or the one its alias names); a gRPC request's
/// statistics are also counted under it.
pub fn collection(
    state: &AppState,
    name: &str,
) -> OpResult<std::sync::Arc<collection::collection::Collection>> {
    let c = state.toc.get(name)?;
    crate::grpc::note_collection(name);
    Ok(c)
}
