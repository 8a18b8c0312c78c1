//! Point and payload operations, reads, payload indexes and facets.

use api::rest::filter::convert_opt;
use api::rest::index::{
    infer_schema, order_value_json, CreateFieldIndex, FacetRequest, FacetResponse,
};
use api::rest::points::{
    payload_selector, vector_selector, CountRequest, PointRequest, ScrollRequest,
};
use api::rest::query::check_limit;
use api::rest::records::{CountResult, Record, ScrollResult, UpdateResult};
use collection::operations::UpdateRequest;
use collection::CollectionError;

use super::{blocking, AppState, OpResult};

/// Applies converted update requests in order; one result each.
pub async fn update(
    state: &AppState,
    name: &str,
    wait: bool,
    requests: Vec<UpdateRequest>,
) -> OpResult<Vec<UpdateResult>> {
    let c = super::collection(state, name)?;
    // deleting points frees resources: only the others are refused over quota
    if requests
        .iter()
        .any(|r| !matches!(r, UpdateRequest::Delete(_)))
    {
        state.quotas.check_update()?;
    }
    let ops = blocking(move || {
        let mut ops = Vec::with_capacity(requests.len());
        for r in requests {
            ops.push(c.update(r)?);
        }
        Ok(ops)
    })
    .await?;
    Ok(ops
        .into_iter()
        .map(|op| UpdateResult::new(op, wait))
        .collect())
}

/// Applies one update request.
pub async fn update_one(
    state: &AppState,
    name: &str,
    wait: bool,
    request: Result<UpdateRequest, CollectionError>,
) -> OpResult<UpdateResult> {
    let mut results = update(state, name, wait, vec![request?]).await?;
    Ok(results.pop().expect("one result per request"))
}

/// Points by id.
pub async fn retrieve(state: &AppState, name: &str, body: PointRequest) -> OpResult<Vec<Record>> {
    let c = super::collection(state, name)?;
    let payload = payload_selector(body.with_payload, true)?;
    let vectors = vector_selector(body.with_vector);
    let records = blocking(move || {
        c.take_read_rate(1)?;
        Ok(c.retrieve(&body.ids, &payload, &vectors)?)
    })
    .await?;
    Ok(records.into_iter().map(Record::from).collect())
}

/// A page of points, by id or by a payload field.
pub async fn scroll(state: &AppState, name: &str, body: ScrollRequest) -> OpResult<ScrollResult> {
    let c = super::collection(state, name)?;
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
        return Ok(ScrollResult {
            points,
            next_page_offset: None,
        });
    }
    let (page, next) =
        blocking(move || Ok(c.scroll(filter.as_ref(), body.offset, limit, &payload, &vectors)?))
            .await?;
    Ok(ScrollResult {
        points: page.into_iter().map(Record::from).collect(),
        next_page_offset: next,
    })
}

/// Number of points matching a filter.
pub async fn count(state: &AppState, name: &str, body: CountRequest) -> OpResult<CountResult> {
    let c = super::collection(state, name)?;
    let filter = convert_opt(body.filter)?;
    let count = blocking(move || {
        c.take_read_rate(1)?;
        c.check_read_filter(filter.as_ref())?;
        Ok(c.count(filter.as_ref()))
    })
    .await?;
    Ok(CountResult { count })
}

/// Creates a payload index (its type inferred from the data when not given).
pub async fn create_index(
    state: &AppState,
    name: &str,
    wait: bool,
    body: CreateFieldIndex,
) -> OpResult<UpdateResult> {
    let c = super::collection(state, name)?;
    state.quotas.check_update()?;
    let field = body.field_name.clone();
    let op = blocking(move || {
        let schema = match body.field_schema {
            Some(s) => s,
            None => infer_schema(c.sample_value(&body.field_name)?.as_ref())?,
        };
        if !schema.integer_lookup() && !schema.integer_range() {
            return Err(CollectionError::Validation(
                "field_schema.lookup: Validation error: the 'lookup' and 'range' capabilities \
                 can't be both disabled [{}]"
                    .into(),
            )
            .into());
        }
        Ok(c.create_index(&body.field_name, schema)?)
    })
    .await?;
    state.telemetry.issues.field_indexed(name, &field);
    Ok(UpdateResult::new(op, wait))
}

/// Drops a payload index.
pub async fn delete_index(
    state: &AppState,
    name: &str,
    wait: bool,
    field: String,
) -> OpResult<UpdateResult> {
    let c = super::collection(state, name)?;
    let op = blocking(move || Ok(c.delete_index(&field)?)).await?;
    Ok(UpdateResult::new(op, wait))
}

/// Counts of a payload field's values.
pub async fn facet(state: &AppState, name: &str, body: FacetRequest) -> OpResult<FacetResponse> {
    let c = super::collection(state, name)?;
    let limit = body.limit.unwrap_or(10);
    check_limit(limit)?;
    let filter = convert_opt(body.filter)?;
    let hits = blocking(move || Ok(c.facet(&body.key, filter.as_ref(), limit)?)).await?;
    Ok(FacetResponse::new(hits))
}
