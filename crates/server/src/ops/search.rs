//! Query trees (every search endpoint), groups and the distance matrix.

use api::rest::groups::{
    group_id_value, group_point_id, GroupParams, GroupsResult, PointGroupOutput,
    SearchMatrixRequest,
};
use api::rest::query::ScoredPointOutput;
use collection::query::{DistanceMatrix, QueryRequest as QueryRequestCore};
use collection::CollectionError;

use super::{blocking, AppState, OpResult};

/// Replaces `lookup_from` point ids by the vectors of the collections
/// they name.
fn resolve_lookups(
    toc: &storage::toc::TableOfContent,
    request: &mut QueryRequestCore,
) -> Result<(), CollectionError> {
    let missing =
        |collection: &str| CollectionError::NotFound(format!("Collection {collection} not found"));
    // every collection named by `lookup_from` must exist, also where the
    // node's inputs are all vectors
    fn check(
        toc: &storage::toc::TableOfContent,
        node: &collection::query::QueryNode,
        missing: &dyn Fn(&str) -> CollectionError,
    ) -> Result<(), CollectionError> {
        if let Some(lookup) = &node.lookup_from {
            toc.get(&lookup.collection)
                .map_err(|_| missing(&lookup.collection))?;
        }
        node.prefetch
            .iter()
            .try_for_each(|p| check(toc, p, missing))
    }
    check(toc, &request.root, &missing)?;
    request.root.resolve_lookups(&mut |collection, vector, id| {
        let c = toc.get(collection).map_err(|_| missing(collection))?;
        let record = c
            .retrieve(
                &[id],
                &segment::selector::PayloadSelector::None,
                &segment::selector::VectorSelector::Names(vec![vector.to_string()]),
            )?
            .pop()
            .ok_or_else(|| CollectionError::NotFound(format!("No point with id {id} found")))?;
        record
            .vectors
            .and_then(|mut v| v.remove(vector))
            .ok_or_else(|| {
                CollectionError::NotFound(format!(
                    "Vector with name \"{vector}\" for point not found"
                ))
            })
    })
}

/// Runs query trees as one batch (prefetches repeated across it run once).
pub async fn query(
    state: &AppState,
    name: &str,
    requests: Vec<QueryRequestCore>,
) -> OpResult<Vec<Vec<ScoredPointOutput>>> {
    let c = super::collection(state, name)?;
    let toc = state.toc.clone();
    let state = state.clone();
    let name = name.to_owned();
    blocking(move || {
        let start = std::time::Instant::now();
        let mut requests = requests;
        for r in &mut requests {
            resolve_lookups(&toc, r)?;
        }
        let results = c.query_batch(&requests)?;
        if start.elapsed().as_secs_f64() > state.settings.service.slow_query_secs {
            report_unindexed(&state, &name, &c, &requests);
        }
        Ok(results
            .into_iter()
            .map(|hits| hits.into_iter().map(ScoredPointOutput::from).collect())
            .collect())
    })
    .await
}

/// Reports, as issues, the payload keys that the filters of a slow query
/// read without an index serving them.
fn report_unindexed(
    state: &AppState,
    name: &str,
    c: &collection::collection::Collection,
    requests: &[QueryRequestCore],
) {
    fn filters<'a>(
        node: &'a collection::query::QueryNode,
        out: &mut Vec<&'a segment::filter::Filter>,
    ) {
        out.extend(node.filter.as_ref());
        node.prefetch.iter().for_each(|p| filters(p, out));
    }
    let mut all = Vec::new();
    requests.iter().for_each(|r| filters(&r.root, &mut all));
    if all.is_empty() {
        return;
    }
    let schema = c.index_schema();
    for filter in all {
        for (key, kinds) in collection::strict::unserved_keys(filter, &schema) {
            state.telemetry.issues.unindexed_field(name, &key, kinds);
        }
    }
}

/// Runs converted requests (failing on the first that did not convert).
pub async fn query_converted<T>(
    state: &AppState,
    name: &str,
    bodies: Vec<T>,
    convert: fn(T) -> Result<QueryRequestCore, CollectionError>,
) -> OpResult<Vec<Vec<ScoredPointOutput>>> {
    let requests = bodies
        .into_iter()
        .map(convert)
        .collect::<Result<Vec<_>, _>>()?;
    query(state, name, requests).await
}

/// Runs one converted request.
pub async fn query_one(
    state: &AppState,
    name: &str,
    request: Result<QueryRequestCore, CollectionError>,
) -> OpResult<Vec<ScoredPointOutput>> {
    let mut results = query(state, name, vec![request?]).await?;
    Ok(results.pop().unwrap_or_default())
}

/// Runs a grouped query and looks group ids up when asked.
pub async fn groups(
    state: &AppState,
    name: &str,
    request: QueryRequestCore,
    groups: GroupParams,
) -> OpResult<GroupsResult> {
    let limit = request.root.limit;
    let c = super::collection(state, name)?;
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
}

/// The sampled distance matrix.
pub async fn matrix(
    state: &AppState,
    name: &str,
    body: SearchMatrixRequest,
) -> OpResult<DistanceMatrix> {
    let (using, filter, sample, limit) = body.convert()?;
    let c = super::collection(state, name)?;
    blocking(move || Ok(c.distance_matrix(&using, filter.as_ref(), sample, limit)?)).await
}
