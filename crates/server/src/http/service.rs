//! Service endpoints: version, health, telemetry, metrics, issues, cluster.

use std::time::Instant;

use api::rest::optimizations::rfc3339;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::response::{json_response, ok};
use super::AppState;

/// The Qdrant version whose API this server speaks.
pub const COMPAT_VERSION: &str = "1.20.0";

/// `GET /`: bare version info, no envelope.
pub async fn root() -> Response {
    json_response(
        StatusCode::OK,
        &json!({"title": "qdrant - vector search engine", "version": COMPAT_VERSION, "commit": null}),
    )
}

fn text(body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// `GET /healthz` and `/livez`.
pub async fn healthz() -> Response {
    text("healthz check passed")
}

/// `GET /readyz`.
pub async fn readyz() -> Response {
    text("all shards are ready")
}

/// `GET /telemetry`.
pub async fn telemetry(State(state): State<AppState>) -> Response {
    let start = Instant::now();
    let collections = state.toc.collection_names().len();
    ok(
        json!({
            "id": state.instance_id.to_string(),
            "app": {"name": "vectorizer", "version": env!("CARGO_PKG_VERSION"), "startup": rfc3339(state.started)},
            "collections": {"number_of_collections": collections},
        }),
        start,
    )
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let names = state.toc.collection_names();
    let mut points = 0;
    for name in &names {
        if let Ok(c) = state.toc.get(name) {
            points += c.stats().points_count;
        }
    }
    let body = format!(
        "# HELP app_info information about qdrant server\n# TYPE app_info gauge\napp_info{{name=\"vectorizer\",version=\"{}\"}} 1\n\
         # HELP collections_total number of collections\n# TYPE collections_total gauge\ncollections_total {}\n\
         # HELP collections_vector_total total number of vectors in all collections\n# TYPE collections_vector_total gauge\ncollections_vector_total {}\n",
        env!("CARGO_PKG_VERSION"),
        names.len(),
        points
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

/// `GET /issues`.
pub async fn issues() -> Response {
    ok(json!({"issues": []}), Instant::now())
}

/// `DELETE /issues`.
pub async fn clear_issues() -> Response {
    ok(true, Instant::now())
}

/// `GET /cluster`: this build runs a single node.
pub async fn cluster() -> Response {
    ok(json!({"status": "disabled"}), Instant::now())
}

/// The answer of cluster operations a standalone server does not have.
fn standalone() -> Response {
    super::response::ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "Qdrant is running in standalone mode",
    )
    .into_response()
}

/// `POST /cluster/recover` (standalone: refused as Qdrant refuses it).
pub async fn cluster_recover() -> Response {
    standalone()
}

/// `DELETE /cluster/peer/{peer_id}` (standalone: refused as Qdrant refuses it).
pub async fn remove_peer() -> Response {
    standalone()
}

/// `GET /cluster/telemetry`: a standalone Qdrant has no cluster to ask.
pub async fn cluster_telemetry() -> Response {
    super::response::ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Service internal error: Could not get telemetry from cluster",
    )
    .into_response()
}

/// This node's peer id: stable for the process, derived from the instance
/// id, within the integers JSON clients read exactly.
pub fn peer_id(state: &AppState) -> u64 {
    let bytes = state.instance_id.as_bytes();
    u64::from_le_bytes(bytes[..8].try_into().expect("16-byte uuid")) & ((1 << 53) - 1)
}
