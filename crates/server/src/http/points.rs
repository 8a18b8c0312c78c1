//! Point and payload endpoints.

use std::time::Instant;

use api::rest::filter::convert_opt;
use api::rest::index::{
    infer_schema, order_value_json, CreateFieldIndex, FacetRequest, FacetResponse,
};
use api::rest::points::{
    payload_selector, vector_selector, CountRequest, DeletePayload, DeleteVectors,
    PointInsertOperations, PointRequest, PointsSelector, ScrollRequest, SetPayload,
    UpdateOperations, UpdateVectors,
};
use api::rest::query::check_limit;
use api::rest::records::{CountResult, Record, ScrollResult, UpdateResult};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use collection::operations::UpdateRequest;
use collection::CollectionError;
use segment::selector::{PayloadSelector, VectorSelector};
use segment::PointId;

use super::extract::{JsonBody, OptionalJson, QueryParams, ReadParams, UpdateParams};
use super::response::{ok, ApiError, ApiResult};
use super::{blocking, AppState};

/// Applies converted update requests in order and answers with one result
/// (or a list, for batches).
async fn run_updates(
    state: AppState,
    name: String,
    params: UpdateParams,
    requests: Vec<UpdateRequest>,
    list: bool,
) -> ApiResult {
    let start = Instant::now();
    let c = state.toc.get(&name)?;
    let wait = params.wait();
    let ops = blocking(move || {
        let mut ops = Vec::with_capacity(requests.len());
        for r in requests {
            ops.push(c.update(r)?);
        }
        Ok(ops)
    })
    .await?;
    let results: Vec<UpdateResult> = ops
        .into_iter()
        .map(|op| UpdateResult::new(op, wait))
        .collect();
    if list {
        Ok(ok(results, start))
    } else {
        Ok(ok(results.into_iter().next(), start))
    }
}

async fn run_update(
    state: AppState,
    name: String,
    params: UpdateParams,
    request: Result<UpdateRequest, CollectionError>,
) -> ApiResult {
    run_updates(state, name, params, vec![request?], false).await
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
    let requests = body
        .operations
        .into_iter()
        .map(|op| op.convert())
        .collect::<Result<Vec<_>, _>>()?;
    run_updates(state, name, params, requests, true).await
}

/// `POST /collections/{name}/points`.
pub async fn retrieve(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(_params): QueryParams<ReadParams>,
    JsonBody(body): JsonBody<PointRequest>,
) -> ApiResult {
    let start = Instant::now();
    let c = state.toc.get(&name)?;
    let payload = payload_selector(body.with_payload, true)?;
    let vectors = vector_selector(body.with_vector);
    let records = blocking(move || Ok(c.retrieve(&body.ids, &payload, &vectors)?)).await?;
    Ok(ok(
        records.into_iter().map(Record::from).collect::<Vec<_>>(),
        start,
    ))
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
    OptionalJson(body): OptionalJson<ScrollRequest>,
) -> ApiResult {
    let start = Instant::now();
    let body = body.unwrap_or_default();
    let c = state.toc.get(&name)?;
    let limit = body.limit.unwrap_or(10);
    check_limit(limit)?;
    let filter = convert_opt(body.filter)?;
    let payload = payload_selector(body.with_payload, true)?;
    let vectors = vector_selector(body.with_vector);
    if let Some(order_by) = body.order_by {
        if body.offset.is_some() {
            return Err(CollectionError::BadInput(
                "Offset is not supported in conjunction with `order_by` scroll parameter".into(),
            )
            .into());
        }
        let order = order_by.convert()?;
        let rows = blocking(move || {
            Ok(c.scroll_ordered(filter.as_ref(), &order, limit, &payload, &vectors)?)
        })
        .await?;
        let points = rows
            .into_iter()
            .map(|(r, v)| Record {
                order_value: Some(order_value_json(v)),
                ..Record::from(r)
            })
            .collect();
        return Ok(ok(
            ScrollResult {
                points,
                next_page_offset: None,
            },
            start,
        ));
    }
    let (page, next) =
        blocking(move || Ok(c.scroll(filter.as_ref(), body.offset, limit, &payload, &vectors)?))
            .await?;
    Ok(ok(
        ScrollResult {
            points: page.into_iter().map(Record::from).collect(),
            next_page_offset: next,
        },
        start,
    ))
}

/// `POST /collections/{name}/points/count`.
pub async fn count(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(_params): QueryParams<ReadParams>,
    OptionalJson(body): OptionalJson<CountRequest>,
) -> ApiResult {
    let start = Instant::now();
    let body = body.unwrap_or_default();
    let c = state.toc.get(&name)?;
    let filter = convert_opt(body.filter)?;
    let count = blocking(move || Ok(c.count(filter.as_ref()))).await?;
    Ok(ok(CountResult { count }, start))
}

/// `PUT /collections/{name}/index`.
pub async fn create_index(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(params): QueryParams<UpdateParams>,
    JsonBody(body): JsonBody<CreateFieldIndex>,
) -> ApiResult {
    let start = Instant::now();
    let c = state.toc.get(&name)?;
    let op = blocking(move || {
        let schema = match body.field_schema {
            Some(s) => s,
            None => infer_schema(c.sample_value(&body.field_name)?.as_ref())?,
        };
        Ok(c.create_index(&body.field_name, schema)?)
    })
    .await?;
    Ok(ok(UpdateResult::new(op, params.wait()), start))
}

/// `DELETE /collections/{name}/index/{field}`.
pub async fn delete_index(
    State(state): State<AppState>,
    Path((name, field)): Path<(String, String)>,
    QueryParams(params): QueryParams<UpdateParams>,
) -> ApiResult {
    let start = Instant::now();
    let c = state.toc.get(&name)?;
    let op = blocking(move || Ok(c.delete_index(&field)?)).await?;
    Ok(ok(UpdateResult::new(op, params.wait()), start))
}

/// `POST /collections/{name}/facet`.
pub async fn facet(
    State(state): State<AppState>,
    Path(name): Path<String>,
    QueryParams(_params): QueryParams<ReadParams>,
    JsonBody(body): JsonBody<FacetRequest>,
) -> ApiResult {
    let start = Instant::now();
    let c = state.toc.get(&name)?;
    let limit = body.limit.unwrap_or(10);
    check_limit(limit)?;
    let filter = convert_opt(body.filter)?;
    let hits = blocking(move || Ok(c.facet(&body.key, filter.as_ref(), limit)?)).await?;
    Ok(ok(FacetResponse::new(hits), start))
}
