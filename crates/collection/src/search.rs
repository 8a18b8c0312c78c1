//! Nearest-neighbour search requests and their execution on a collection.

use segment::distance::Distance as SegmentDistance;
use segment::filter::Filter;
use segment::segment::graph::{QuantizationUse, SearchParams};
use segment::segment::search::{QueryVector, ScoredOffset};
use segment::segment::Segment;
use segment::selector::{PayloadSelector, VectorSelector};
use segment::vectors::{normalize, NamedVectors, Vector};
use segment::{Payload, PointId};

use crate::collection::Collection;
use crate::config::{CollectionConfig, Distance, Modifier};
use crate::error::{CollectionError, Result};
use crate::holder::SegmentHolder;
use crate::vector_check::{dim_error, kind_mismatch, unknown_name};

/// What to search near.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryInput {
    /// A vector given in the request.
    Vector(Vector),
    /// The stored vector of a point (the point itself is left out).
    Point(PointId),
}

/// A nearest-neighbour search.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest {
    /// Vector name (`""` for the unnamed vector).
    pub using: String,
    /// The query.
    pub query: QueryInput,
    /// Only points matching this filter.
    pub filter: Option<Filter>,
    /// Hits to return.
    pub limit: usize,
    /// Hits to skip first.
    pub offset: usize,
    /// Drop hits scoring worse than this.
    pub score_threshold: Option<f32>,
    /// Payload to return.
    pub with_payload: PayloadSelector,
    /// Vectors to return.
    pub with_vector: VectorSelector,
    /// Search parameters.
    pub params: SearchOptions,
}

/// Search parameters of a request (`params`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchOptions {
    /// Beam width; defaults to the index's `ef_construct`.
    pub hnsw_ef: Option<usize>,
    /// Score every candidate exactly.
    pub exact: bool,
    /// Skip points the index does not cover yet.
    pub indexed_only: bool,
    /// Use of quantized vectors.
    pub quantization: QuantizationUse,
    /// The points sparse IDF statistics are computed over (all of them
    /// when `None`).
    pub idf_corpus: Option<Filter>,
}

/// One search hit.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredPoint {
    /// Id.
    pub id: PointId,
    /// Version.
    pub version: u64,
    /// Score as Qdrant reports it.
    pub score: f32,
    /// Selected payload.
    pub payload: Option<Payload>,
    /// Selected vectors.
    pub vectors: Option<NamedVectors>,
    /// The value an `order_by` query ordered by.
    pub order_value: Option<segment::segment::query::OrderValue>,
}

impl ScoredPoint {
    /// A hit from a read record and its score.
    pub fn from_record(record: segment::segment::Record, score: f32) -> Self {
        ScoredPoint {
            id: record.id,
            version: record.version,
            score,
            payload: record.payload,
            vectors: record.vectors,
            order_value: None,
        }
    }
}

impl From<Distance> for SegmentDistance {
    fn from(d: Distance) -> Self {
        match d {
            Distance::Cosine => SegmentDistance::Cosine,
            Distance::Dot => SegmentDistance::Dot,
            Distance::Euclid => SegmentDistance::Euclid,
            Distance::Manhattan => SegmentDistance::Manhattan,
        }
    }
}

/// Points times queries of a batch above which its segments are searched
/// in parallel (a batch of 16 over 100k points).
const PARALLEL_BATCH_WORK: usize = 1_600_000;

impl Collection {
    /// Nearest-neighbour searches run so far (for metrics and tests).
    pub fn searches_run(&self) -> u64 {
        self.searches.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Runs a nearest-neighbour search.
    pub fn search(&self, request: &SearchRequest) -> Result<Vec<ScoredPoint>> {
        self.searches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let config = self.config();
        let holder = self.shard.read();
        let prepared = prepare(&config, &holder, request)?;
        let segments: Vec<&Segment> = holder.segments().collect();
        // segments are searched one after the other on the request's thread:
        // concurrent requests keep the cores busy, and a fan-out per query
        // costs more in hand-offs and spinning pool threads than it saves
        // (server CPU per query at 2 client threads: 0.9 ms fanned out,
        // 0.77 ms in turn)
        let hits = segments
            .iter()
            .map(|s| prepared.search_segment(s, &config, request))
            .collect();
        Ok(finish(&segments, hits, request, &prepared))
    }

    /// Runs nearest-neighbour searches; dense queries sharing a vector, a
    /// filter and parameters are planned once per segment, and a segment
    /// that scans its points exactly reads each vector once for all of
    /// them.
    pub fn search_batch(&self, requests: &[SearchRequest]) -> Result<Vec<Vec<ScoredPoint>>> {
        let shared = requests.windows(2).all(|w| {
            (&w[0].using, &w[0].filter, &w[0].params) == (&w[1].using, &w[1].filter, &w[1].params)
        });
        if requests.len() < 2 || !shared {
            return requests.iter().map(|r| self.search(r)).collect();
        }
        self.searches
            .fetch_add(requests.len() as u64, std::sync::atomic::Ordering::Relaxed);
        let config = self.config();
        let holder = self.shard.read();
        let prepared = requests
            .iter()
            .map(|r| prepare(&config, &holder, r))
            .collect::<Result<Vec<_>>>()?;
        let dense: Option<Vec<(&[f32], usize)>> = prepared
            .iter()
            .map(|p| match &p.query {
                QueryVector::Dense(q) => Some((q.as_slice(), p.wanted)),
                _ => None,
            })
            .collect();
        let segments: Vec<&Segment> = holder.segments().collect();
        let Some(dense) = dense else {
            return Ok(requests
                .iter()
                .zip(&prepared)
                .map(|(r, p)| {
                    let hits = segments
                        .iter()
                        .map(|s| p.search_segment(s, &config, r))
                        .collect();
                    finish(&segments, hits, r, p)
                })
                .collect());
        };
        let first = &requests[0];
        let params = segment_params(&config, first, dense[0].0.len());
        // per segment, the hits of every query; then per query, of every
        // segment. A batch over several large segments searches them in
        // parallel: its work dwarfs the hand-off (single queries stay on
        // their thread, see `search`)
        let run = |s: &&Segment| {
            s.search_dense_batch(
                &first.using,
                &dense,
                prepared[0].distance,
                first.filter.as_ref(),
                params,
            )
            .into_iter()
        };
        let populated = segments.iter().filter(|s| s.points_count() > 0).count();
        let points: usize = segments.iter().map(|s| s.points_count()).sum();
        let mut by_segment: Vec<std::vec::IntoIter<Vec<ScoredOffset>>> =
            if populated >= 2 && points * dense.len() >= PARALLEL_BATCH_WORK {
                use rayon::prelude::*;
                segments.par_iter().map(run).collect()
            } else {
                segments.iter().map(run).collect()
            };
        Ok(requests
            .iter()
            .zip(&prepared)
            .map(|(r, p)| {
                let hits = by_segment
                    .iter_mut()
                    .map(|s| s.next().unwrap_or_default())
                    .collect();
                finish(&segments, hits, r, p)
            })
            .collect())
    }
}

/// A request checked against the collection: its query in the form the
/// segments take.
struct Prepared {
    distance: SegmentDistance,
    query: QueryVector,
    /// Inverse document frequencies of a sparse vector with the `idf`
    /// modifier.
    idf: Option<segment::segment::search::Idf>,
    /// The point whose vector is the query: never a hit.
    exclude: Option<PointId>,
    /// Hits to ask each segment for.
    wanted: usize,
}

impl Prepared {
    /// The best `wanted` hits of one segment.
    fn search_segment(
        &self,
        segment: &Segment,
        config: &CollectionConfig,
        request: &SearchRequest,
    ) -> Vec<ScoredOffset> {
        let name = request.using.as_str();
        match &self.query {
            QueryVector::Dense(q) => segment.search_dense(
                name,
                q,
                self.distance,
                request.filter.as_ref(),
                self.wanted,
                segment_params(config, request, q.len()),
            ),
            query => segment.search_exact(
                name,
                query,
                self.distance,
                request.filter.as_ref(),
                self.idf.as_ref(),
                self.wanted,
            ),
        }
    }
}

/// The segment-level parameters of a dense search of `dim` dimensions.
fn segment_params(config: &CollectionConfig, request: &SearchRequest, dim: usize) -> SearchParams {
    let hnsw = crate::optimizer::hnsw_config(config, &request.using);
    SearchParams {
        ef: request.params.hnsw_ef.unwrap_or(hnsw.ef_construct as usize),
        exact: request.params.exact,
        full_scan_threshold: crate::optimizer::vectors_in_kb(hnsw.full_scan_threshold, dim),
        indexed_only: request.params.indexed_only,
        quantization: request.params.quantization,
    }
}

/// Checks `request` against the collection's vectors and puts its query in
/// the form segments take (normalized for Cosine, sorted when sparse).
fn prepare(
    config: &CollectionConfig,
    holder: &SegmentHolder,
    request: &SearchRequest,
) -> Result<Prepared> {
    let name = request.using.as_str();
    let (query, exclude) = match &request.query {
        QueryInput::Vector(v) => (v.clone(), None),
        QueryInput::Point(id) => {
            let (segment, offset) = holder
                .locate(*id)
                .ok_or_else(|| CollectionError::NotFound(format!("No point with id {id} found")))?;
            let record = segment.record(
                offset,
                &PayloadSelector::None,
                &VectorSelector::Names(vec![name.to_string()]),
            );
            let vector = record
                .vectors
                .and_then(|mut v| v.remove(name))
                .ok_or_else(|| {
                    if config.params.vectors.get(name).is_none() && config.sparse(name).is_none() {
                        unknown_name(name)
                    } else {
                        CollectionError::NotFound(format!(
                            "Vector with name \"{name}\" for point not found"
                        ))
                    }
                })?;
            (vector, Some(*id))
        }
    };
    let (distance, query, idf) = if let Some(params) = config.params.vectors.get(name) {
        let dim = params.size as usize;
        let cosine = params.normalizes();
        let query = match (query, params.multivector_config.is_some()) {
            (Vector::Dense(mut v), false) => {
                if v.len() != dim {
                    return Err(dim_error(dim, v.len()));
                }
                if cosine {
                    normalize(&mut v);
                }
                QueryVector::Dense(v)
            }
            (Vector::Dense(v), true) => QueryVector::Multi(vec![v]),
            (Vector::Multi(m), true) => QueryVector::Multi(m),
            (Vector::Multi(_), false) => {
                return Err(CollectionError::BadInput(format!(
                    "Vector `{name}` is not a multi-vector; send a single dense vector"
                )))
            }
            (Vector::Sparse(_), _) => {
                return Err(kind_mismatch());
            }
        };
        let query = match query {
            QueryVector::Multi(mut m) => {
                for v in m.iter_mut() {
                    if v.len() != dim {
                        return Err(dim_error(dim, v.len()));
                    }
                    if cosine {
                        normalize(v);
                    }
                }
                QueryVector::Multi(m)
            }
            other => other,
        };
        (SegmentDistance::from(params.distance), query, None)
    } else if let Some(sparse) = config.sparse(name) {
        let Vector::Sparse(s) = query else {
            return Err(kind_mismatch());
        };
        s.validate()
            .map_err(|m| match s.indices.len() == s.values.len() {
                true => CollectionError::BadInput(m),
                false => CollectionError::Validation(
                    "query.values: Validation error: must be the same length as indices [{}]"
                        .into(),
                ),
            })?;
        let idf = (sparse.modifier == Some(Modifier::Idf))
            .then(|| holder.sparse_idf(name, request.params.idf_corpus.as_ref()));
        (SegmentDistance::Dot, QueryVector::Sparse(s.sorted()), idf)
    } else {
        return Err(unknown_name(name));
    };
    Ok(Prepared {
        distance,
        query,
        idf,
        exclude,
        wanted: request.offset + request.limit + usize::from(exclude.is_some()),
    })
}

/// Every segment's best (`hits`, in the order of `segments`), merged into
/// the request's page: higher similarity first, ties in segment order
/// (oldest first), then by offset.
fn finish(
    segments: &[&Segment],
    hits: Vec<Vec<ScoredOffset>>,
    request: &SearchRequest,
    prepared: &Prepared,
) -> Vec<ScoredPoint> {
    let distance = prepared.distance;
    let mut hits: Vec<(f32, usize, u32)> = hits
        .into_iter()
        .enumerate()
        .flat_map(|(i, h)| h.into_iter().map(move |h| (h.similarity, i, h.offset)))
        .collect();
    hits.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    hits.into_iter()
        .filter_map(|(similarity, i, offset)| {
            let segment = segments[i];
            let id = segment.id_of(offset)?;
            (Some(id) != prepared.exclude).then_some((
                segment,
                offset,
                distance.to_score(similarity),
            ))
        })
        .filter(|(_, _, score)| {
            request
                .score_threshold
                .is_none_or(|t| distance.passes(*score, t))
        })
        .skip(request.offset)
        .take(request.limit)
        .map(|(segment, offset, score)| {
            let record = segment.record(offset, &request.with_payload, &request.with_vector);
            ScoredPoint::from_record(record, score)
        })
        .collect()
}
