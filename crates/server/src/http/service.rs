//! Service endpoints: version, health, telemetry, metrics, issues, cluster.

use std::time::Instant;

use axum::extract::State;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::extract::{JsonBody, QueryParams, UpdateParams};
use super::response::{json_response, ok, ApiError, ApiResult};
use super::AppState;
use crate::telemetry::metrics::MetricsParams;
use crate::telemetry::ReportParams;
use api::rest::quota::QuotaConfig;
use serde::Deserialize;

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

/// The query of `GET /telemetry` and `GET /metrics`.
#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    /// Telemetry details level.
    #[serde(default)]
    details_level: Option<usize>,
    /// Hash names.
    #[serde(default)]
    anonymize: Option<bool>,
    /// Statistics per collection.
    #[serde(default)]
    per_collection: Option<bool>,
    /// Seconds (at least 1).
    #[serde(default)]
    timeout: Option<u64>,
}

/// Parses a report query with Qdrant's texts for malformed and invalid
/// parameters.
fn report_query(uri: &Uri) -> Result<ReportQuery, ApiError> {
    let q = axum::extract::Query::<ReportQuery>::try_from_uri(uri)
        .map_err(|e| {
            let detail = std::error::Error::source(&e).map_or(e.to_string(), |s| s.to_string());
            // without the `field: ` axum puts before serde's text
            let detail = match detail.split_once(": ") {
                Some((field, rest))
                    if field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
                {
                    rest.to_owned()
                }
                _ => detail,
            };
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("Deserialize error in query parameters: {detail}"),
            )
        })?
        .0;
    if q.timeout == Some(0) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Validation error in query parameters: [timeout: value 0 invalid, must be 1 or larger]",
        ));
    }
    Ok(q)
}

/// `GET /telemetry`: Qdrant's report at `details_level`.
pub async fn telemetry(State(state): State<AppState>, uri: Uri) -> ApiResult {
    let start = Instant::now();
    let q = report_query(&uri)?;
    let params = ReportParams {
        details_level: q.details_level.unwrap_or(0),
        anonymize: q.anonymize.unwrap_or(false),
        per_collection: q.per_collection.unwrap_or(false),
    };
    let report = super::blocking(move || {
        let quota = state.quotas.telemetry();
        Ok(state
            .telemetry
            .report(&state.toc, &state.settings, quota, params))
    })
    .await?;
    Ok(ok(report, start))
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(state): State<AppState>, uri: Uri) -> ApiResult {
    let q = report_query(&uri)?;
    let params = MetricsParams {
        anonymize: q.anonymize.unwrap_or(false),
        per_collection: q.per_collection.unwrap_or(false),
    };
    let body = super::blocking(move || {
        Ok(crate::telemetry::metrics::render(
            &state.telemetry,
            &state.toc,
            params,
        ))
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response())
}

/// `GET /issues`.
pub async fn issues(State(state): State<AppState>) -> Response {
    ok(state.telemetry.issues.to_json(), Instant::now())
}

/// `DELETE /issues`.
pub async fn clear_issues(State(state): State<AppState>) -> Response {
    state.telemetry.issues.clear();
    ok(true, Instant::now())
}

/// `GET /quotas`: the quota in force and this node's utilization.
pub async fn quotas(State(state): State<AppState>) -> ApiResult {
    let start = Instant::now();
    let status = super::blocking(move || Ok(state.quotas.status())).await?;
    Ok(ok(status, start))
}

/// `PUT /quotas`: replaces the quota (persisted, enforced at once).
pub async fn set_quotas(
    State(state): State<AppState>,
    QueryParams(_params): QueryParams<UpdateParams>,
    JsonBody(config): JsonBody<QuotaConfig>,
) -> ApiResult {
    let start = Instant::now();
    config.validate().map_err(ApiError::from)?;
    super::blocking(move || {
        state.quotas.set(config).map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("Service internal error: Failed to persist quota config: {e}"),
            )
        })
    })
    .await?;
    Ok(ok(true, start))
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

/// This node's peer id.
pub fn peer_id(state: &AppState) -> u64 {
    state.telemetry.peer_id()
}
