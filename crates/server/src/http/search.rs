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
use api::rest::{within, Flat};
use axum::extract::{Path, State};
use collection::query::QueryRequest as QueryRequestCore;
use collection::CollectionError;

use super::extract::{JsonBody, QueryParams, ReadParams};
use super::response::{ok, ApiError, ApiResult};
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

/// A legacy body's conversion into a query tree.
type Convert<T> = fn(T) -> Result<QueryRequestCore, CollectionError>;

/// Answers a batch: each body converted (its validation errors named
/// `searches[i].{wrapper}...` as Qdrant names them), the hits of each.
async fn answer_batch<T>(
    state: &AppState,
    name: &str,
    start: Instant,
    bodies: Vec<Flat<T>>,
    (wrapper, convert): (&str, Convert<T>),
) -> ApiResult {
    let requests = bodies
        .into_iter()
        .enumerate()
        .map(|(i, Flat(b))| convert(b).map_err(within(&format!("searches[{i}].{wrapper}"))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ok(op::query(state, name, requests).await?, start))
}

/// `POST /collections/{name}/points/query`.
pub async fn query(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(params): QueryParams<ReadParams>,
    JsonBody(Flat(body)): JsonBody<Flat<QueryRequest>>,
) -> ApiResult {
    check_timeout(&state, &name, params.timeout)?;
    let start = Instant::now();
    // body checks of the conversion and of the collection alike are named
    // inside Qdrant's `internal` wrapper
    let points = op::query_one(&state, &name, body.convert())
        .await
        .map_err(|e| e.map_validation(|m| format!("internal.{m}")))?;
    Ok(ok(QueryResponse { points }, start))
}

/// `POST /collections/{name}/points/query/batch`.
pub async fn query_batch(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(params): QueryParams<ReadParams>,
    JsonBody(body): JsonBody<QueryRequestBatch>,
) -> ApiResult {
    check_timeout(&state, &name, params.timeout)?;
    let start = Instant::now();
    let requests = body
        .searches
        .into_iter()
        .enumerate()
        .map(|(i, Flat(b))| {
            b.convert()
                .map_err(within(&format!("searches[{i}].internal.")))
        })
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
    QueryParams(params): QueryParams<ReadParams>,
    JsonBody(Flat(body)): JsonBody<Flat<LegacyRecommendRequest>>,
) -> ApiResult {
    check_timeout(&state, &name, params.timeout)?;
    let request = body.convert().map_err(within("recommend_request."));
    answer_one(&state, &name, Instant::now(), request).await
}

/// `POST /collections/{name}/points/recommend/batch` (legacy).
pub async fn recommend_batch(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(params): QueryParams<ReadParams>,
    JsonBody(body): JsonBody<LegacyRecommendRequestBatch>,
) -> ApiResult {
    check_timeout(&state, &name, params.timeout)?;
    answer_batch(
        &state,
        &name,
        Instant::now(),
        body.searches,
        ("recommend_request.", LegacyRecommendRequest::convert),
    )
    .await
}

/// `POST /collections/{name}/points/discover` (legacy).
pub async fn discover(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(params): QueryParams<ReadParams>,
    JsonBody(Flat(body)): JsonBody<Flat<LegacyDiscoverRequest>>,
) -> ApiResult {
    check_timeout(&state, &name, params.timeout)?;
    let request = body.convert().map_err(within("discover_request."));
    answer_one(&state, &name, Instant::now(), request).await
}

/// `POST /collections/{name}/points/discover/batch` (legacy).
pub async fn discover_batch(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(params): QueryParams<ReadParams>,
    JsonBody(body): JsonBody<LegacyDiscoverRequestBatch>,
) -> ApiResult {
    check_timeout(&state, &name, params.timeout)?;
    answer_batch(
        &state,
        &name,
        Instant::now(),
        body.searches,
        ("discover_request.", LegacyDiscoverRequest::convert),
    )
    .await
}

/// `POST /collections/{name}/points/search` (legacy).
pub async fn search(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(params): QueryParams<ReadParams>,
    JsonBody(Flat(body)): JsonBody<Flat<LegacySearchRequest>>,
) -> ApiResult {
    check_timeout(&state, &name, params.timeout)?;
    let request = body.convert().map_err(within("search_request."));
    answer_one(&state, &name, Instant::now(), request).await
}

/// `POST /collections/{name}/points/search/batch` (legacy).
pub async fn search_batch(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(params): QueryParams<ReadParams>,
    JsonBody(body): JsonBody<LegacySearchRequestBatch>,
) -> ApiResult {
    check_timeout(&state, &name, params.timeout)?;
    answer_batch(
        &state,
        &name,
        Instant::now(),
        body.searches,
        ("search_request.", LegacySearchRequest::convert),
    )
    .await
}

/// Runs a groups request whose body Qdrant wraps in `outer` (its
/// validation errors named as Qdrant names them: `limit` and `group_size`
/// under `outer.group_request`).
async fn run_groups(
    state: &AppState,
    name: &str,
    outer: &str,
    request: Result<QueryRequestCore, CollectionError>,
    groups: GroupParams,
) -> ApiResult {
    let start = Instant::now();
    let rename = |m: String| match m.starts_with("limit:") || m.starts_with("group_size:") {
        true => format!("{outer}.group_request.{m}"),
        false => format!("{outer}.{m}"),
    };
    let request = request.map_err(|e| ApiError::from(e).map_validation(rename))?;
    let found = op::groups(state, name, request, groups).await;
    Ok(ok(found.map_err(|e| e.map_validation(rename))?, start))
}

/// `POST /collections/{name}/points/query/groups`.
pub async fn query_groups(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(params): QueryParams<ReadParams>,
    JsonBody(Flat(body)): JsonBody<Flat<QueryGroupsRequest>>,
) -> ApiResult {
    check_timeout(&state, &name, params.timeout)?;
    run_groups(
        &state,
        &name,
        "search_group_request",
        body.query.convert(),
        body.groups,
    )
    .await
}

/// `POST /collections/{name}/points/search/groups` (legacy).
pub async fn search_groups(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(params): QueryParams<ReadParams>,
    JsonBody(Flat(body)): JsonBody<Flat<LegacySearchGroupsRequest>>,
) -> ApiResult {
    check_timeout(&state, &name, params.timeout)?;
    run_groups(
        &state,
        &name,
        "search_group_request",
        body.search.convert(),
        body.groups,
    )
    .await
}

/// `POST /collections/{name}/points/recommend/groups` (legacy).
pub async fn recommend_groups(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(params): QueryParams<ReadParams>,
    JsonBody(Flat(body)): JsonBody<Flat<LegacyRecommendGroupsRequest>>,
) -> ApiResult {
    check_timeout(&state, &name, params.timeout)?;
    run_groups(
        &state,
        &name,
        "recommend_group_request",
        body.recommend.convert(),
        body.groups,
    )
    .await
}

/// `POST /collections/{name}/points/search/matrix/pairs`.
pub async fn matrix_pairs(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(params): QueryParams<ReadParams>,
    JsonBody(Flat(body)): JsonBody<Flat<SearchMatrixRequest>>,
) -> ApiResult {
    let start = Instant::now();
    let matrix = matrix(&state, &name, params, body).await?;
    Ok(ok(MatrixPairs::new(matrix), start))
}

/// `POST /collections/{name}/points/search/matrix/offsets`.
pub async fn matrix_offsets(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(params): QueryParams<ReadParams>,
    JsonBody(Flat(body)): JsonBody<Flat<SearchMatrixRequest>>,
) -> ApiResult {
    let start = Instant::now();
    let matrix = matrix(&state, &name, params, body).await?;
    Ok(ok(MatrixOffsets::new(matrix), start))
}

/// The distance matrix of either layout (validation paths inside Qdrant's
/// `search_request` wrapper).
async fn matrix(
    state: &AppState,
    name: &str,
    params: ReadParams,
    body: SearchMatrixRequest,
) -> Result<collection::query::DistanceMatrix, ApiError> {
    check_timeout(state, name, params.timeout)?;
    op::matrix(state, name, body)
        .await
        .map_err(|e| e.map_validation(|m| format!("search_request.{m}")))
}

/// Strict mode's `max_timeout` against the request's `timeout` parameter.
fn check_timeout(state: &AppState, name: &str, timeout: Option<u64>) -> Result<(), ApiError> {
    Ok(state.toc.get(name)?.check_timeout(timeout)?)
}
