//! Collection, alias and named-vector endpoints.

use std::time::Instant;

use api::rest::collections::{AliasDescription, AliasesResponse, ChangeAliases, VectorNameConfig};
use api::rest::records::{CollectionInfo, UpdateResult};
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use storage::create::{CreateCollection, UpdateCollection};
use storage::toc::{validate_name, AliasOperation};

use super::extract::{JsonBody, OptionalJson, QueryParams, UpdateParams};
use super::response::{ok, ApiResult};
use super::{blocking, AppState};

/// `GET /collections`.
pub async fn list(State(state): State<AppState>) -> Response {
    let names: Vec<_> = state
        .toc
        .collection_names()
        .into_iter()
        .map(|name| json!({"name": name}))
        .collect();
    ok(json!({"collections": names}), Instant::now())
}

/// `GET /collections/{name}`.
pub async fn info(State(state): State<AppState>, Path(name): Path<String>) -> ApiResult {
    let start = Instant::now();
    let c = state.toc.get(&name)?;
    let info = blocking(move || {
        Ok(CollectionInfo::new(
            c.stats(),
            c.config(),
            c.payload_schema(),
        ))
    })
    .await?;
    Ok(ok(info, start))
}

/// `PUT /collections/{name}`.
pub async fn create(
    State(state): State<AppState>,
    Path(name): Path<String>,
    OptionalJson(body): OptionalJson<CreateCollection>,
) -> ApiResult {
    let start = Instant::now();
    let request = body.unwrap_or_default();
    blocking(move || Ok(state.toc.create_collection(&name, request)?)).await?;
    Ok(ok(true, start))
}

/// `PATCH /collections/{name}`.
pub async fn update(
    State(state): State<AppState>,
    Path(name): Path<String>,
    OptionalJson(body): OptionalJson<UpdateCollection>,
) -> ApiResult {
    let start = Instant::now();
    let request = body.unwrap_or_default();
    blocking(move || Ok(state.toc.update_collection(&name, request)?)).await?;
    Ok(ok(true, start))
}

/// `DELETE /collections/{name}`.
pub async fn delete(State(state): State<AppState>, Path(name): Path<String>) -> ApiResult {
    let start = Instant::now();
    let deleted = blocking(move || Ok(state.toc.delete_collection(&name)?)).await?;
    Ok(ok(deleted, start))
}

/// `GET /collections/{name}/exists`.
pub async fn exists(State(state): State<AppState>, Path(name): Path<String>) -> ApiResult {
    validate_name(&name)?;
    Ok(ok(
        json!({"exists": state.toc.exists(&name)}),
        Instant::now(),
    ))
}

fn describe(aliases: Vec<(String, String)>) -> AliasesResponse {
    AliasesResponse {
        aliases: aliases
            .into_iter()
            .map(|(alias_name, collection_name)| AliasDescription {
                alias_name,
                collection_name,
            })
            .collect(),
    }
}

/// `GET /aliases`.
pub async fn list_aliases(State(state): State<AppState>) -> Response {
    ok(describe(state.toc.aliases()), Instant::now())
}

/// `GET /collections/{name}/aliases`.
pub async fn collection_aliases(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult {
    let real = state
        .toc
        .resolve(&name)
        .ok_or_else(|| storage::StorageError::no_collection(&name))?;
    let aliases = state
        .toc
        .aliases()
        .into_iter()
        .filter(|(_, c)| *c == real)
        .collect();
    Ok(ok(describe(aliases), Instant::now()))
}

/// `POST /collections/aliases`.
pub async fn update_aliases(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<ChangeAliases>,
) -> ApiResult {
    let start = Instant::now();
    let ops: Vec<AliasOperation> = body.actions.into_iter().map(Into::into).collect();
    blocking(move || Ok(state.toc.update_aliases(&ops)?)).await?;
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
    let c = state.toc.get(&name)?;
    let op =
        blocking(move || Ok(c.create_vector_name(&vector, |config| body.apply(&vector, config))?))
            .await?;
    Ok(ok(UpdateResult::new(op, params.wait()), start))
}

/// `DELETE /collections/{name}/vectors/{vector}`.
pub async fn delete_vector(
    State(state): State<AppState>,
    Path((name, vector)): Path<(String, String)>,
    QueryParams(params): QueryParams<UpdateParams>,
) -> ApiResult {
    let start = Instant::now();
    let c = state.toc.get(&name)?;
    let op = blocking(move || Ok(c.delete_vector_name(&vector)?)).await?;
    Ok(ok(UpdateResult::new(op, params.wait()), start))
}
