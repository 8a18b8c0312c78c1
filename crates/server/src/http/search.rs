//! Search endpoints: the universal `query` and the legacy `search`,
//! `recommend` and `discover`, all run as one query tree.

use std::time::Instant;

use api::rest::groups::{
    group_id_value, group_point_id, GroupParams, GroupsResult, LegacyRecommendGroupsRequest,
    LegacySearchGroupsRequest, MatrixOffsets, MatrixPairs, PointGroupOutput, QueryGroupsRequest,
    SearchMatrixRequest,
};
use api::rest::legacy::{
    LegacyDiscoverRequest, LegacyDiscoverRequestBatch, LegacyRecommendRequest,
    LegacyRecommendRequestBatch, LegacySearchRequest, LegacySearchRequestBatch,
};
use api::rest::query::{QueryRequest, QueryRequestBatch, QueryResponse, ScoredPointOutput};
use axum::extract::{Path, State};
use collection::query::QueryRequest as QueryRequestCore;

use super::extract::{JsonBody, QueryParams, ReadParams};
use super::response::{ok, ApiResult};
use super::{blocking, AppState};

/// Replaces `lookup_from` point ids by the vectors of the collections
/// they name.
fn resolve_lookups(
    toc: &storage::toc::TableOfContent,
    request: &mut QueryRequestCore,
) -> Result<(), collection::CollectionError> {
    request.root.resolve_lookups(&mut |collection, vector, id| {
        let c = toc.get(collection).map_err(|_| {
            collection::CollectionError::NotFound(format!(
                "Collection `{collection}` doesn't exist!"
            ))
        })?;
        let record = c
            .retrieve(
                &[id],
                &segment::selector::PayloadSelector::None,
                &segment::selector::VectorSelector::Names(vec![vector.to_string()]),
            )?
            .pop()
            .ok_or_else(|| {
                collection::CollectionError::NotFound(format!("No point with id {id} found"))
            })?;
        record
            .vectors
            .and_then(|mut v| v.remove(vector))
            .ok_or_else(|| {
                collection::CollectionError::BadInput(format!(
                    "Point {id} has no vector `{vector}`"
                ))
            })
    })
}

async fn run_queries(
    state: &AppState,
    name: &str,
    requests: Vec<QueryRequestCore>,
) -> Result<Vec<Vec<ScoredPointOutput>>, super::ApiError> {
    let c = state.toc.get(name)?;
    let toc = state.toc.clone();
    blocking(move || {
        let mut requests = requests;
        for r in &mut requests {
            resolve_lookups(&toc, r)?;
        }
        // one batch: prefetches repeated across it run once
        Ok(c.query_batch(&requests)?
            .into_iter()
            .map(|hits| hits.into_iter().map(ScoredPointOutput::from).collect())
            .collect())
    })
    .await
}

/// Answers one (converted) request with its hits.
async fn answer_one(
    state: &AppState,
    name: &str,
    start: Instant,
    request: Result<QueryRequestCore, collection::CollectionError>,
) -> ApiResult {
    let mut results = run_queries(state, name, vec![request?]).await?;
    Ok(ok(results.pop().unwrap_or_default(), start))
}

/// Answers a batch: each body converted, the hits of each.
async fn answer_batch<T>(
    state: &AppState,
    name: &str,
    start: Instant,
    bodies: Vec<T>,
    convert: fn(T) -> Result<QueryRequestCore, collection::CollectionError>,
) -> ApiResult {
    let requests = bodies
        .into_iter()
        .map(convert)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ok(run_queries(state, name, requests).await?, start))
}

/// `POST /collections/{name}/points/query`.
pub async fn query(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(_params): QueryParams<ReadParams>,
    JsonBody(body): JsonBody<QueryRequest>,
) -> ApiResult {
    let start = Instant::now();
    let request = body.convert()?;
    let mut results = run_queries(&state, &name, vec![request]).await?;
    Ok(ok(
        QueryResponse {
            points: results.pop().unwrap_or_default(),
        },
        start,
    ))
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
    let results = run_queries(&state, &name, requests).await?;
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

/// Runs a grouped query and looks group ids up when asked.
async fn run_groups(
    state: &AppState,
    name: &str,
    start: Instant,
    request: QueryRequestCore,
    groups: GroupParams,
) -> ApiResult {
    let limit = request.root.limit;
    let c = state.toc.get(name)?;
    let size = groups.size()?;
    let lookup = match groups.with_lookup {
        Some(l) => {
            let (collection, payload, vectors) = l.resolve()?;
            Some((state.toc.get(&collection)?, payload, vectors))
        }
        None => None,
    };
    let group_by = groups.group_by;
    let toc = state.toc.clone();
    let mut request = request;
    blocking(move || {
        resolve_lookups(&toc, &mut request)?;
        let found = c.query_groups(&request, &group_by, size, limit)?;
        let mut out = Vec::with_capacity(found.len());
        for g in found {
            let lookup = match (&lookup, group_point_id(&g.id)) {
                (Some((lc, payload, vectors)), Some(id)) => lc
                    .retrieve(&[id], payload, vectors)?
                    .into_iter()
                    .next()
                    .map(api::rest::records::Record::from),
                _ => None,
            };
            out.push(PointGroupOutput {
                hits: g.hits.into_iter().map(ScoredPointOutput::from).collect(),
                id: group_id_value(&g.id),
                lookup,
            });
        }
        Ok(GroupsResult { groups: out })
    })
    .await
    .map(|groups| ok(groups, start))
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
    let (using, filter, sample, limit) = body.convert()?;
    let c = state.toc.get(&name)?;
    let matrix =
        blocking(move || Ok(c.distance_matrix(&using, filter.as_ref(), sample, limit)?)).await?;
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
    let (using, filter, sample, limit) = body.convert()?;
    let c = state.toc.get(&name)?;
    let matrix =
        blocking(move || Ok(c.distance_matrix(&using, filter.as_ref(), sample, limit)?)).await?;
    Ok(ok(MatrixOffsets::new(matrix), start))
}
