//! Point and payload endpoints.

use std::time::Instant;

use api::rest::index::{CreateFieldIndex, FacetRequest};
use api::rest::points::{
    CountRequest, DeletePayload, DeleteVectors, PointInsertOperations, PointRequest,
    PointsSelector, ScrollRequest, SetPayload, UpdateOperations, UpdateVectors,
};
use api::rest::records::Record;
use api::rest::Flat;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use collection::operations::UpdateRequest;
use collection::CollectionError;
use segment::selector::{PayloadSelector, VectorSelector};
use segment::PointId;

use super::extract::{JsonBody, OptionalJson, QueryParams, ReadParams, UpdateParams};
use super::response::{ok, ApiError, ApiResult};
use super::{blocking, AppState};
use crate::ops::points as op;

async fn run_update(
    state: AppState,
    name: String,
    params: UpdateParams,
    request: Result<UpdateRequest, CollectionError>,
) -> ApiResult {
    let start = Instant::now();
    Ok(ok(
        op::update_one(&state, &name, params.wait(), request).await?,
        start,
    ))
}

/// `PUT /collections/{name}/points`.
pub async fn upsert(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(params): QueryParams<UpdateParams>,
    JsonBody(body): JsonBody<PointInsertOperations>,
) -> ApiResult {
    run_update(state, name, params, body.convert()).await
}

/// `POST /collections/{name}/points/delete`.
pub async fn delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(params): QueryParams<UpdateParams>,
    JsonBody(body): JsonBody<PointsSelector>,
) -> ApiResult {
    run_update(
        state,
        name,
        params,
        body.convert().map(UpdateRequest::Delete),
    )
    .await
}

/// `PUT /collections/{name}/points/vectors`.
pub async fn update_vectors(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(params): QueryParams<UpdateParams>,
    JsonBody(body): JsonBody<UpdateVectors>,
) -> ApiResult {
    run_update(state, name, params, body.convert()).await
}

/// `POST /collections/{name}/points/vectors/delete`.
pub async fn delete_vectors(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(params): QueryParams<UpdateParams>,
    JsonBody(body): JsonBody<DeleteVectors>,
) -> ApiResult {
    run_update(state, name, params, body.convert()).await
}

/// `POST /collections/{name}/points/payload`.
pub async fn set_payload(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(params): QueryParams<UpdateParams>,
    JsonBody(body): JsonBody<SetPayload>,
) -> ApiResult {
    run_update(state, name, params, body.convert_set()).await
}

/// `PUT /collections/{name}/points/payload`.
pub async fn overwrite_payload(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(params): QueryParams<UpdateParams>,
    JsonBody(body): JsonBody<SetPayload>,
) -> ApiResult {
    run_update(state, name, params, body.convert_overwrite()).await
}

/// `POST /collections/{name}/points/payload/delete`.
pub async fn delete_payload(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(params): QueryParams<UpdateParams>,
    JsonBody(body): JsonBody<DeletePayload>,
) -> ApiResult {
    run_update(state, name, params, body.convert()).await
}

/// `POST /collections/{name}/points/payload/clear`.
pub async fn clear_payload(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(params): QueryParams<UpdateParams>,
    JsonBody(body): JsonBody<PointsSelector>,
) -> ApiResult {
    run_update(
        state,
        name,
        params,
        body.convert().map(UpdateRequest::ClearPayload),
    )
    .await
}

/// `POST /collections/{name}/points/batch`.
pub async fn batch(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(params): QueryParams<UpdateParams>,
    JsonBody(body): JsonBody<UpdateOperations>,
) -> ApiResult {
    let start = Instant::now();
    let requests = body
        .operations
        .into_iter()
        .map(|op| op.convert())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ok(
        op::update(&state, &name, params.wait(), requests).await?,
        start,
    ))
}

/// `POST /collections/{name}/points`.
pub async fn retrieve(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(_params): QueryParams<ReadParams>,
    JsonBody(Flat(body)): JsonBody<Flat<PointRequest>>,
) -> ApiResult {
    let start = Instant::now();
    Ok(ok(op::retrieve(&state, &name, body).await?, start))
}

/// `GET /collections/{name}/points/{id}`.
pub async fn get_point(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, String)>,
) -> ApiResult {
    let start = Instant::now();
    let c = state.toc.get(&name)?;
    let point_id: PointId = id.parse().map_err(|e: String| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("Format error in path: {e}"),
        )
    })?;
    let found = blocking(move || {
        Ok(c.retrieve(&[point_id], &PayloadSelector::All, &VectorSelector::All)?)
    })
    .await?;
    let record = found.into_iter().next().ok_or_else(|| {
        CollectionError::NotFound(format!("Point with id {point_id} does not exists!"))
    })?;
    Ok(ok(Record::from(record), start))
}

/// `POST /collections/{name}/points/scroll`.
pub async fn scroll(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(_params): QueryParams<ReadParams>,
    OptionalJson(body): OptionalJson<Flat<ScrollRequest>>,
) -> ApiResult {
    let start = Instant::now();
    let body = body.map(|Flat(b)| b).unwrap_or_default();
    let found = op::scroll(&state, &name, body).await;
    Ok(ok(
        found.map_err(|e| e.map_validation(|m| format!("scroll_request.{m}")))?,
        start,
    ))
}

/// `POST /collections/{name}/points/count`.
pub async fn count(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(_params): QueryParams<ReadParams>,
    OptionalJson(body): OptionalJson<Flat<CountRequest>>,
) -> ApiResult {
    let start = Instant::now();
    let body = body.map(|Flat(b)| b).unwrap_or_default();
    let found = op::count(&state, &name, body).await;
    Ok(ok(
        found.map_err(|e| e.map_validation(|m| format!("count_request.{m}")))?,
        start,
    ))
}

/// `PUT /collections/{name}/index`.
pub async fn create_index(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(params): QueryParams<UpdateParams>,
    JsonBody(body): JsonBody<CreateFieldIndex>,
) -> ApiResult {
    let start = Instant::now();
    Ok(ok(
        op::create_index(&state, &name, params.wait(), body).await?,
        start,
    ))
}

/// `DELETE /collections/{name}/index/{field}`.
pub async fn delete_index(
    State(state): State<AppState>,
    Path((name, field)): Path<(String, String)>,
    QueryParams(params): QueryParams<UpdateParams>,
) -> ApiResult {
    let start = Instant::now();
    Ok(ok(
        op::delete_index(&state, &name, params.wait(), field).await?,
        start,
    ))
}

/// `POST /collections/{name}/facet`.
pub async fn facet(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(_params): QueryParams<ReadParams>,
    JsonBody(Flat(body)): JsonBody<Flat<FacetRequest>>,
) -> ApiResult {
    let start = Instant::now();
    let found = op::facet(&state, &name, body).await;
    Ok(ok(
        found.map_err(|e| e.map_validation(|m| format!("facet_request.{m}")))?,
        start,
    ))
}
