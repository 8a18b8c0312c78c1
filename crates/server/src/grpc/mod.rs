//! The gRPC service on `service.grpc_port`: Qdrant's `Collections`,
//! `Points`, `Snapshots` and `Qdrant` services (traits generated into the
//! official `qdrant-client` crate) plus `grpc.health.v1.Health`. Requests
//! are converted by the `api` crate into the REST bodies and run by the
//! same operations REST uses; results are converted back.

mod metered;
pub use metered::note_collection;
mod collections;
mod points;
mod service;

use std::net::SocketAddr;
use std::time::Instant;

use api::grpc::pb;
use axum::http::StatusCode;
use tonic::codec::CompressionEncoding;
use tonic::{Code, Status};

use crate::ops::{ApiError, AppState};

/// The API's protobuf file descriptors, for server reflection (built by
/// `build.rs`; empty when the definitions were not found at build time).
const DESCRIPTOR: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/descriptor.bin"));

/// An operation's error as Qdrant's gRPC status: the code its HTTP status
/// maps to, the same message text.
pub fn status(e: ApiError) -> Status {
    let code = match e.status {
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => Code::InvalidArgument,
        StatusCode::NOT_FOUND => Code::NotFound,
        StatusCode::CONFLICT => Code::AlreadyExists,
        StatusCode::FORBIDDEN => Code::PermissionDenied,
        StatusCode::UNAUTHORIZED => Code::Unauthenticated,
        StatusCode::PAYLOAD_TOO_LARGE
        | StatusCode::TOO_MANY_REQUESTS
        | StatusCode::INSUFFICIENT_STORAGE => Code::ResourceExhausted,
        StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT => Code::DeadlineExceeded,
        StatusCode::PRECONDITION_FAILED => Code::FailedPrecondition,
        StatusCode::SERVICE_UNAVAILABLE => Code::Unavailable,
        StatusCode::NOT_IMPLEMENTED => Code::Unimplemented,
        _ => Code::Internal,
    };
    Status::new(code, grpc_message(e.message))
}

/// A validation message as Qdrant's gRPC service words it: `Validation
/// error in body: [...]` whatever the REST source (JSON body, path
/// parameters), field paths of the protobuf messages.
fn grpc_message(message: String) -> String {
    const HEADS: [&str; 2] = [
        "Validation error in JSON body: [",
        "Validation error in path parameters: [",
    ];
    let Some(rest) = HEADS.iter().find_map(|h| message.strip_prefix(h)) else {
        return message;
    };
    // protobuf field paths where they differ from the REST bodies'
    const PATHS: [(&str, &str); 2] = [
        ("vectors.size:", "vectors_config.config.size:"),
        ("query.values:", "query.variant.variant.values:"),
    ];
    let rest = PATHS
        .iter()
        .find_map(|(rest_path, proto)| rest.strip_prefix(rest_path).map(|r| format!("{proto}{r}")))
        .unwrap_or_else(|| rest.to_string());
    format!("Validation error in body: [{rest}")
}

/// A conversion error as a gRPC status.
pub fn invalid(e: collection::CollectionError) -> Status {
    status(ApiError::from(e))
}

/// Seconds since `start`, as responses report them.
pub fn elapsed(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}

/// Serves gRPC on `addr` until `shutdown` completes.
pub async fn serve(
    state: AppState,
    addr: SocketAddr,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let limit = state
        .settings
        .service
        .max_request_size_mb
        .saturating_mul(1024 * 1024);
    let (health_reporter, health) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status("", tonic_health::ServingStatus::Serving)
        .await;
    health_reporter
        .set_service_status("qdrant.Qdrant", tonic_health::ServingStatus::Serving)
        .await;
    macro_rules! configured {
        ($server:expr) => {
            $server
                .accept_compressed(CompressionEncoding::Gzip)
                .send_compressed(CompressionEncoding::Gzip)
                .max_decoding_message_size(limit)
                .max_encoding_message_size(usize::MAX)
        };
    }
    let collections = configured!(pb::collections_server::CollectionsServer::new(
        collections::CollectionsService::new(state.clone())
    ));
    let points = configured!(pb::points_server::PointsServer::new(
        points::PointsService::new(state.clone())
    ));
    let snapshots = configured!(pb::snapshots_server::SnapshotsServer::new(
        service::SnapshotsService::new(state.clone())
    ));
    let qdrant = configured!(pb::qdrant_server::QdrantServer::new(service::QdrantService));
    let mut reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET);
    let mut reflection_alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET);
    if !DESCRIPTOR.is_empty() {
        reflection = reflection.register_encoded_file_descriptor_set(DESCRIPTOR);
        reflection_alpha = reflection_alpha.register_encoded_file_descriptor_set(DESCRIPTOR);
    }
    let reflection = reflection.build_v1()?;
    let reflection_alpha = reflection_alpha.build_v1alpha()?;
    tonic::transport::Server::builder()
        .layer(metered::MeteredLayer {
            telemetry: state.telemetry.clone(),
        })
        .add_service(reflection)
        .add_service(reflection_alpha)
        .add_service(health)
        .add_service(qdrant)
        .add_service(collections)
        .add_service(points)
        .add_service(snapshots)
        .serve_with_shutdown(addr, shutdown)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_as_qdrant_maps_them() {
        let cases = [
            (StatusCode::BAD_REQUEST, Code::InvalidArgument),
            (StatusCode::UNPROCESSABLE_ENTITY, Code::InvalidArgument),
            (StatusCode::NOT_FOUND, Code::NotFound),
            (StatusCode::CONFLICT, Code::AlreadyExists),
            (StatusCode::PRECONDITION_FAILED, Code::FailedPrecondition),
            (StatusCode::PAYLOAD_TOO_LARGE, Code::ResourceExhausted),
            (StatusCode::TOO_MANY_REQUESTS, Code::ResourceExhausted),
            (StatusCode::REQUEST_TIMEOUT, Code::DeadlineExceeded),
            (StatusCode::FORBIDDEN, Code::PermissionDenied),
            (StatusCode::UNAUTHORIZED, Code::Unauthenticated),
            (StatusCode::INTERNAL_SERVER_ERROR, Code::Internal),
        ];
        for (http, code) in cases {
            let s = status(ApiError::new(http, "Wrong input: text"));
            assert_eq!(s.code(), code, "{http}");
            assert_eq!(s.message(), "Wrong input: text");
        }
    }
}
