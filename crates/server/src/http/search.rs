//! Search endpoints: the universal `query` and the legacy `search`,
//! `recommend` and `discover`, all run as one query tree.

use std::time::Instant;

use api::rest::groups::{
    GroupParams, LegacyRecommendGroupsRequest, LegacySearchGroupsRequest, MatrixOffsets,
    MatrixPairs, QueryGroupsRequest, SearchMatrixRequest,
};
use api::rest::legacy::{
    LegacyDiscoverRequest, LegacyDiscoverRequestBatch, LegacyRecommendRequest,
    LegacyRecommendRequestBatch, LegacySearchRequest, LegacySearchRequestBatch,
};
use api::rest::query::{QueryRequest, QueryRequestBatch, QueryResponse};
use axum::extract::{Path, State};
use collection::query::QueryRequest as QueryRequestCore;

use super::extract::{JsonBody, QueryParams, ReadParams};
use super::response::{ok, ApiResult};
use super::AppState;
use crate::ops::search as op;

/// Answers one (converted) request with its hits.
async fn answer_one(
    state: &AppState,
    name: &str,
    start: Instant,
    request: Result<QueryRequestCore, collection::CollectionError>,
) -> ApiResult {
    Ok(ok(op::query_one(state, name, request).await?, start))
}

/// Answers a batch: each body converted, the hits of each.
async fn answer_batch<T>(
    state: &AppState,
    name: &str,
    start: Instant,
    bodies: Vec<T>,
    convert: fn(T) -> Result<QueryRequestCore, collection::CollectionError>,
) -> ApiResult {
    Ok(ok(
        op::query_converted(state, name, bodies, convert).await?,
        start,
    ))
}

/// `POST /collections/{name}/points/query`.
pub async fn query(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(_params): QueryParams<ReadParams>,
    JsonBody(body): JsonBody<QueryRequest>,
) -> ApiResult {
    let start = Instant::now();
    let points = op::query_one(&state, &name, body.convert()).await?;
    Ok(ok(QueryResponse { points }, start))
}

/// `POST /collections/{name}/points/query/batch`.
pub async fn query_batch(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(_params): QueryParams<ReadParams>,
    JsonBody(body): JsonBody<QueryRequestBatch>,
) -> ApiResult {
    let start = Instant::now();
    let requests = body
        .searches
        .into_iter()
        .map(QueryRequest::convert)
        .collect::<Result<Vec<_>, _>>()?;
    let results = op::query(&state, &name, requests).await?;
    Ok(ok(
        results
            .into_iter()
            .map(|points| QueryResponse { points })
            .collect::<Vec<_>>(),
        start,
    ))
}

/// `POST /collections/{name}/points/recommend` (legacy).
pub async fn recommend(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(_params): QueryParams<ReadParams>,
    JsonBody(body): JsonBody<LegacyRecommendRequest>,
) -> ApiResult {
    answer_one(&state, &name, Instant::now(), body.convert()).await
}

/// `POST /collections/{name}/points/recommend/batch` (legacy).
pub async fn recommend_batch(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(_params): QueryParams<ReadParams>,
    JsonBody(body): JsonBody<LegacyRecommendRequestBatch>,
) -> ApiResult {
    answer_batch(
        &state,
        &name,
        Instant::now(),
        body.searches,
        LegacyRecommendRequest::convert,
    )
    .await
}

/// `POST /collections/{name}/points/discover` (legacy).
pub async fn discover(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(_params): QueryParams<ReadParams>,
    JsonBody(body): JsonBody<LegacyDiscoverRequest>,
) -> ApiResult {
    answer_one(&state, &name, Instant::now(), body.convert()).await
}

/// `POST /collections/{name}/points/discover/batch` (legacy).
pub async fn discover_batch(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(_params): QueryParams<ReadParams>,
    JsonBody(body): JsonBody<LegacyDiscoverRequestBatch>,
) -> ApiResult {
    answer_batch(
        &state,
        &name,
        Instant::now(),
        body.searches,
        LegacyDiscoverRequest::convert,
    )
    .await
}

/// `POST /collections/{name}/points/search` (legacy).
pub async fn search(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(_params): QueryParams<ReadParams>,
    JsonBody(body): JsonBody<LegacySearchRequest>,
) -> ApiResult {
    answer_one(&state, &name, Instant::now(), body.convert()).await
}

/// `POST /collections/{name}/points/search/batch` (legacy).
pub async fn search_batch(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(_params): QueryParams<ReadParams>,
    JsonBody(body): JsonBody<LegacySearchRequestBatch>,
) -> ApiResult {
    answer_batch(
        &state,
        &name,
        Instant::now(),
        body.searches,
        LegacySearchRequest::convert,
    )
    .await
}

async fn run_groups(
    state: &AppState,
    name: &str,
    start: Instant,
    request: QueryRequestCore,
    groups: GroupParams,
) -> ApiResult {
    Ok(ok(op::groups(state, name, request, groups).await?, start))
}

/// `POST /collections/{name}/points/query/groups`.
pub async fn query_groups(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(_params): QueryParams<ReadParams>,
    JsonBody(body): JsonBody<QueryGroupsRequest>,
) -> ApiResult {
    let start = Instant::now();
    run_groups(&state, &name, start, body.query.convert()?, body.groups).await
}

/// `POST /collections/{name}/points/search/groups` (legacy).
pub async fn search_groups(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(_params): QueryParams<ReadParams>,
    JsonBody(body): JsonBody<LegacySearchGroupsRequest>,
) -> ApiResult {
    let start = Instant::now();
    run_groups(&state, &name, start, body.search.convert()?, body.groups).await
}

/// `POST /collections/{name}/points/recommend/groups` (legacy).
pub async fn recommend_groups(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(_params): QueryParams<ReadParams>,
    JsonBody(body): JsonBody<LegacyRecommendGroupsRequest>,
) -> ApiResult {
    let start = Instant::now();
    run_groups(&state, &name, start, body.recommend.convert()?, body.groups).await
}

/// `POST /collections/{name}/points/search/matrix/pairs`.
pub async fn matrix_pairs(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(_params): QueryParams<ReadParams>,
    JsonBody(body): JsonBody<SearchMatrixRequest>,
) -> ApiResult {
    let start = Instant::now();
    let matrix = op::matrix(&state, &name, body).await?;
    Ok(ok(MatrixPairs::new(matrix), start))
}

/// `POST /collections/{name}/points/search/matrix/offsets`.
pub async fn matrix_offsets(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(_params): QueryParams<ReadParams>,
    JsonBody(body): JsonBody<SearchMatrixRequest>,
) -> ApiResult {
    let start = Instant::now();
    let matrix = op::matrix(&state, &name, body).await?;
    Ok(ok(MatrixOffsets::new(matrix), start))
}
