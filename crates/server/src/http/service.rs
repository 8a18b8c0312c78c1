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
