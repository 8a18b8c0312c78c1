//! Collection, alias and named-vector endpoints.

use std::time::Instant;

use api::rest::collections::{ChangeAliases, VectorNameConfig};
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use storage::create::{CreateCollection, UpdateCollection};

use super::extract::{JsonBody, OptionalJson, QueryParams, UpdateParams};
use super::response::{ok, ApiResult};
use super::{blocking, AppState};
use crate::ops::collections as op;

/// `GET /collections`.
pub async fn list(State(state): State<AppState>) -> Response {
    let names: Vec<_> = op::list(&state)
        .into_iter()
        .map(|name| json!({"name": name}))
        .collect();
    ok(json!({"collections": names}), Instant::now())
}

/// `GET /collections/{name}`.
pub async fn info(State(state): State<AppState>, Path(name): Path<String>) -> ApiResult {
    let start = Instant::now();
    Ok(ok(op::info(&state, &name).await?, start))
}

/// `GET /collections/{name}/cluster`: one node holding the collection's
/// single shard.
pub async fn cluster_info(State(state): State<AppState>, Path(name): Path<String>) -> ApiResult {
    let start = Instant::now();
    let c = state.toc.get(&name)?;
    let points = super::blocking(move || Ok(c.count(None))).await?;
    Ok(ok(
        serde_json::json!({
            "peer_id": super::service::peer_id(&state),
            "shard_count": 1,
            "local_shards": [{"shard_id": 0, "points_count": points, "state": "Active"}],
            "remote_shards": [],
            "shard_transfers": [],
        }),
        start,
    ))
}

/// `GET /collections/{name}/shards`: the collection's shard keys (none
/// without custom sharding: an empty object, as Qdrant answers).
pub async fn shard_keys(State(state): State<AppState>, Path(name): Path<String>) -> ApiResult {
    let start = Instant::now();
    state.toc.get(&name)?;
    Ok(ok(serde_json::json!({}), start))
}

/// `PUT /collections/{name}`.
pub async fn create(
    State(state): State<AppState>,
    Path(name): Path<String>,
    OptionalJson(body): OptionalJson<CreateCollection>,
) -> ApiResult {
    let start = Instant::now();
    op::create(&state, name, body.unwrap_or_default()).await?;
    Ok(ok(true, start))
}

/// `PATCH /collections/{name}`.
pub async fn update(
    State(state): State<AppState>,
    Path(name): Path<String>,
    OptionalJson(body): OptionalJson<UpdateCollection>,
) -> ApiResult {
    let start = Instant::now();
    op::update(&state, name, body.unwrap_or_default()).await?;
    Ok(ok(true, start))
}

/// `DELETE /collections/{name}`.
pub async fn delete(State(state): State<AppState>, Path(name): Path<String>) -> ApiResult {
    let start = Instant::now();
    Ok(ok(op::delete(&state, name).await?, start))
}

/// `GET /collections/{name}/exists`.
pub async fn exists(State(state): State<AppState>, Path(name): Path<String>) -> ApiResult {
    let exists = op::exists(&state, &name)?;
    Ok(ok(json!({ "exists": exists }), Instant::now()))
}

/// `GET /aliases`.
pub async fn list_aliases(State(state): State<AppState>) -> Response {
    ok(op::list_aliases(&state), Instant::now())
}

/// `GET /collections/{name}/aliases`.
pub async fn collection_aliases(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult {
    Ok(ok(op::collection_aliases(&state, &name)?, Instant::now()))
}

/// `POST /collections/aliases`.
pub async fn update_aliases(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<ChangeAliases>,
) -> ApiResult {
    let start = Instant::now();
    op::update_aliases(&state, body).await?;
    Ok(ok(true, start))
}

/// Query of `GET /collections/{name}/optimizations`.
#[derive(Debug, Default, Deserialize)]
pub struct OptimizationsParams {
    /// Comma-separated extra sections: queued, completed, idle_segments.
    #[serde(default)]
    pub with: Option<String>,
    /// Completed optimizations to list.
    #[serde(default)]
    pub completed_limit: Option<usize>,
}

/// `GET /collections/{name}/optimizations`.
pub async fn optimizations(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(params): QueryParams<OptimizationsParams>,
) -> ApiResult {
    let start = Instant::now();
    let c = state.toc.get(&name)?;
    let report = blocking(move || Ok(c.optimizations())).await?;
    let with: Vec<&str> = params
        .with
        .iter()
        .flat_map(|w| w.split(','))
        .map(str::trim)
        .collect();
    Ok(ok(
        api::rest::optimizations::response(&report, &with, params.completed_limit.unwrap_or(16)),
        start,
    ))
}

/// `PUT /collections/{name}/vectors/{vector}`.
pub async fn create_vector(
    State(state): State<AppState>,
    Path((name, vector)): Path<(String, String)>,
    QueryParams(params): QueryParams<UpdateParams>,
    JsonBody(body): JsonBody<VectorNameConfig>,
) -> ApiResult {
    let start = Instant::now();
    let result = op::create_vector(&state, &name, vector, params.wait(), body).await?;
    Ok(ok(result, start))
}

/// `DELETE /collections/{name}/vectors/{vector}`.
pub async fn delete_vector(
    State(state): State<AppState>,
    Path((name, vector)): Path<(String, String)>,
    QueryParams(params): QueryParams<UpdateParams>,
) -> ApiResult {
    let start = Instant::now();
    let result = op::delete_vector(&state, &name, vector, params.wait()).await?;
    Ok(ok(result, start))
}
