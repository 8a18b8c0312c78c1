//! The universal query: a tree whose leaves are searches and whose inner
//! nodes fuse (RRF, DBSF) or rescore (nearest) the candidates of their
//! prefetches. Every search endpoint becomes one of these.
//!
//! Semantics follow Qdrant: a node's filter applies to every prefetch below
//! it; a prefetch returns its `limit` best (default 10); fusing ranks the
//! union of the prefetch results; a nearest query over prefetches scores
//! exactly the points they found.

use std::collections::{HashMap, HashSet};

use segment::filter::{Condition, Filter};
use segment::selector::{PayloadSelector, VectorSelector};
use segment::PointId;

use segment::distance::{max_sim, sparse_dot, Distance as SegmentDistance};
use segment::vectors::Vector;

use crate::collection::Collection;
use crate::error::{CollectionError, Result};
use crate::search::{QueryInput, ScoredPoint, SearchOptions, SearchRequest};

/// Qdrant's default RRF constant.
pub const DEFAULT_RRF_K: f64 = 2.0;

/// How fused prefetch results are scored.
#[derive(Debug, Clone, PartialEq)]
pub enum Fusion {
    /// Reciprocal rank fusion: `Σ 1 / ((rank + 1) / weight + k − 1)`.
    Rrf {
        /// Ranking constant.
        k: f64,
        /// Per-prefetch weights (all 1 when absent).
        weights: Option<Vec<f64>>,
    },
    /// Distribution-based score fusion: each result list normalized over
    /// its mean ± 3 standard deviations, then summed.
    Dbsf,
}

/// How positive and negative examples are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RecommendStrategy {
    /// Search near `2·mean(positive) − mean(negative)` (or the mean of the
    /// positives alone).
    #[default]
    AverageVector,
    /// Score by the best positive or, when a negative is closer, minus the
    /// best negative (both squashed into 0..1).
    BestScore,
    /// Score by the summed similarity to the positives minus the negatives.
    SumScores,
}

/// What a node computes.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryKind {
    /// Nearest to a vector or a stored point.
    Nearest(QueryInput),
    /// Like the positive examples, unlike the negative ones.
    Recommend {
        /// Positive examples.
        positive: Vec<QueryInput>,
        /// Negative examples.
        negative: Vec<QueryInput>,
        /// How they are combined.
        strategy: RecommendStrategy,
    },
    /// Discovery: near the target, within the positive side of the pairs.
    Discover {
        /// Target.
        target: QueryInput,
        /// Context pairs (positive, negative).
        context: Vec<(QueryInput, QueryInput)>,
    },
    /// Context search: the positive side of the pairs.
    Context(Vec<(QueryInput, QueryInput)>),
    /// Points ordered by a payload field (score 1).
    OrderBy(crate::operations::OrderBy),
    /// Points in random order (score 1).
    Sample,
    /// Nearest, re-ranked by maximal marginal relevance.
    Mmr {
        /// The query.
        query: QueryInput,
        /// 0: by relevance alone; 1: by diversity alone.
        diversity: f32,
        /// Candidates to re-rank (default: the limit).
        candidates: Option<usize>,
    },
    /// Fusion of the prefetches.
    Fusion(Fusion),
}

/// One node of the query tree.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryNode {
    /// Sub-queries whose results this node fuses or rescores.
    pub prefetch: Vec<QueryNode>,
    /// The node's own query.
    pub query: Option<QueryKind>,
    /// Vector name.
    pub using: String,
    /// Filter (also applied to every prefetch below).
    pub filter: Option<Filter>,
    /// Search parameters.
    pub params: SearchOptions,
    /// Drop results scoring worse.
    pub score_threshold: Option<f32>,
    /// Results to keep.
    pub limit: usize,
    /// Where the point ids of this node's query are read: another
    /// collection (and vector name). Resolved into vectors before the
    /// query runs (see [`QueryNode::lookups`]).
    pub lookup_from: Option<LookupFrom>,
}

/// `lookup_from`: a collection and optionally a vector name.
#[derive(Debug, Clone, PartialEq)]
pub struct LookupFrom {
    /// Collection.
    pub collection: String,
    /// Vector name (default: the node's `using`).
    pub vector: Option<String>,
}

impl QueryNode {
    /// Every query input of this node (for lookups).
    fn inputs_mut(&mut self) -> Vec<&mut QueryInput> {
        match &mut self.query {
            Some(QueryKind::Nearest(q)) | Some(QueryKind::Mmr { query: q, .. }) => vec![q],
            Some(QueryKind::Recommend {
                positive, negative, ..
            }) => positive.iter_mut().chain(negative.iter_mut()).collect(),
            Some(QueryKind::Discover { target, context }) => std::iter::once(target)
                .chain(context.iter_mut().flat_map(|(p, n)| [p, n]))
                .collect(),
            Some(QueryKind::Context(pairs)) => pairs.iter_mut().flat_map(|(p, n)| [p, n]).collect(),
            _ => Vec::new(),
        }
    }

    /// Replaces the point ids of nodes with `lookup_from` by the vectors
    /// `fetch(collection, vector name, id)` returns, in the whole tree.
    pub fn resolve_lookups(
        &mut self,
        fetch: &mut impl FnMut(&str, &str, PointId) -> Result<Vector>,
    ) -> Result<()> {
        if let Some(lookup) = self.lookup_from.take() {
            let name = lookup.vector.clone().unwrap_or_else(|| self.using.clone());
            for input in self.inputs_mut() {
                if let QueryInput::Point(id) = input {
                    *input = QueryInput::Vector(fetch(&lookup.collection, &name, *id)?);
                }
            }
        }
        for p in &mut self.prefetch {
            p.resolve_lookups(fetch)?;
        }
        Ok(())
    }
}

/// A query: the root node plus what the response carries.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryRequest {
    /// The root of the tree.
    pub root: QueryNode,
    /// Results to skip at the root.
    pub offset: usize,
    /// Payload to return.
    pub with_payload: PayloadSelector,
    /// Vectors to return.
    pub with_vector: VectorSelector,
}

/// A candidate: id and score.
type Scored = (PointId, f32);

/// Results of prefetches already computed in a request or batch, by the
/// sub-query and the filter it ran under.
type PrefetchCache = std::cell::RefCell<HashMap<String, Vec<Scored>>>;

/// `a` and `b` together (either may be absent).
fn both(a: Option<&Filter>, b: Option<&Filter>) -> Option<Filter> {
    match (a, b) {
        (None, None) => None,
        (Some(f), None) | (None, Some(f)) => Some(f.clone()),
        (Some(a), Some(b)) => Some(Filter::must(vec![
            Condition::Filter(Box::new(a.clone())),
            Condition::Filter(Box::new(b.clone())),
        ])),
    }
}

/// Reciprocal rank fusion of ranked lists, best first (ties keep first
/// appearance).
pub fn rrf(sources: &[Vec<Scored>], k: f64, weights: Option<&[f64]>) -> Vec<Scored> {
    let mut order: Vec<PointId> = Vec::new();
    let mut scores: HashMap<PointId, f64> = HashMap::new();
    for (i, source) in sources.iter().enumerate() {
        let weight = weights.and_then(|w| w.get(i)).copied().unwrap_or(1.0);
        for (rank, (id, _)) in source.iter().enumerate() {
            let s = if weight <= 0.0 {
                0.0
            } else {
                1.0 / ((rank as f64 + 1.0) / weight + k - 1.0)
            };
            match scores.get_mut(id) {
                Some(total) => *total += s,
                None => {
                    order.push(*id);
                    scores.insert(*id, s);
                }
            }
        }
    }
    sorted(order, &scores)
}

/// Distribution-based score fusion, best first (ties keep first appearance).
pub fn dbsf(sources: &[Vec<Scored>]) -> Vec<Scored> {
    let mut order: Vec<PointId> = Vec::new();
    let mut scores: HashMap<PointId, f64> = HashMap::new();
    for source in sources.iter().filter(|s| !s.is_empty()) {
        let n = source.len() as f64;
        let mean = source.iter().map(|(_, s)| *s as f64).sum::<f64>() / n;
        let variance = if source.len() > 1 {
            source
                .iter()
                .map(|(_, s)| (*s as f64 - mean).powi(2))
                .sum::<f64>()
                / (n - 1.0)
        } else {
            0.0
        };
        let std = variance.sqrt();
        for (id, s) in source {
            let normalized = if source.len() == 1 || variance == 0.0 {
                0.5
            } else {
                let (low, high) = (mean - 3.0 * std, mean + 3.0 * std);
                (*s as f64 - low) / (high - low)
            };
            match scores.get_mut(id) {
                Some(total) => *total += normalized,
                None => {
                    order.push(*id);
                    scores.insert(*id, normalized);
                }
            }
        }
    }
    sorted(order, &scores)
}

fn sorted(order: Vec<PointId>, scores: &HashMap<PointId, f64>) -> Vec<Scored> {
    let mut out: Vec<Scored> = order
        .into_iter()
        .map(|id| (id, scores[&id] as f32))
        .collect();
    // stable: equal scores keep the order of first appearance
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}

impl Collection {
    /// Runs a query tree.
    pub fn query(&self, request: &QueryRequest) -> Result<Vec<ScoredPoint>> {
        let mut out = self.query_batch(std::slice::from_ref(request))?;
        Ok(out.pop().unwrap_or_default())
    }

    /// Runs query trees; a prefetch that repeats (the same sub-query under
    /// the same filter, within one request or across the batch) is
    /// computed once.
    pub fn query_batch(&self, requests: &[QueryRequest]) -> Result<Vec<Vec<ScoredPoint>>> {
        let cache = PrefetchCache::default();
        requests
            .iter()
            .map(|r| {
                self.run_node(
                    &r.root,
                    None,
                    r.root.limit,
                    r.offset,
                    &r.with_payload,
                    &r.with_vector,
                    &cache,
                )
            })
            .collect()
    }

    /// One node: a search at a leaf, fusion or rescoring above; `outer` is
    /// the filter of the nodes above.
    #[allow(clippy::too_many_arguments)]
    fn run_node(
        &self,
        node: &QueryNode,
        outer: Option<&Filter>,
        limit: usize,
        offset: usize,
        with_payload: &PayloadSelector,
        with_vector: &VectorSelector,
        cache: &PrefetchCache,
    ) -> Result<Vec<ScoredPoint>> {
        let filter = both(outer, node.filter.as_ref());
        let search = |query: &QueryInput, filter: Option<Filter>| {
            self.search(&SearchRequest {
                using: node.using.clone(),
                query: query.clone(),
                filter,
                limit,
                offset,
                score_threshold: node.score_threshold,
                with_payload: with_payload.clone(),
                with_vector: with_vector.clone(),
                params: node.params,
            })
        };
        if node.prefetch.is_empty() {
            return match &node.query {
                Some(QueryKind::Nearest(q)) => search(q, filter),
                Some(QueryKind::Recommend {
                    positive,
                    negative,
                    strategy,
                }) => self.recommend(
                    node,
                    positive,
                    negative,
                    *strategy,
                    filter,
                    (limit, offset),
                    with_payload,
                    with_vector,
                ),
                Some(QueryKind::Discover { target, context }) => self.discover(
                    node,
                    Some(target),
                    context,
                    filter,
                    (limit, offset),
                    with_payload,
                    with_vector,
                ),
                Some(QueryKind::Context(pairs)) => self.discover(
                    node,
                    None,
                    pairs,
                    filter,
                    (limit, offset),
                    with_payload,
                    with_vector,
                ),
                Some(QueryKind::OrderBy(order)) => {
                    let rows = self.scroll_ordered(
                        filter.as_ref(),
                        order,
                        limit + offset,
                        with_payload,
                        with_vector,
                    )?;
                    Ok(rows
                        .into_iter()
                        .skip(offset)
                        .map(|(r, value)| ScoredPoint {
                            order_value: Some(value),
                            ..ScoredPoint::from_record(r, 1.0)
                        })
                        .collect())
                }
                Some(QueryKind::Sample) => {
                    self.sample(filter.as_ref(), limit, with_payload, with_vector)
                }
                Some(QueryKind::Mmr {
                    query,
                    diversity,
                    candidates,
                }) => self.mmr(
                    node,
                    query,
                    *diversity,
                    candidates.unwrap_or(limit),
                    filter,
                    (limit, offset),
                    with_payload,
                    with_vector,
                ),
                Some(QueryKind::Fusion(_)) => Err(CollectionError::BadInput(
                    "Fusion queries require prefetches".into(),
                )),
                None => Err(CollectionError::BadInput(
                    "a query without `query` or `prefetch` is not supported by this server yet"
                        .into(),
                )),
            };
        }
        let sources = node
            .prefetch
            .iter()
            .map(|p| {
                let key = format!("{p:?}|{filter:?}");
                if let Some(hit) = cache.borrow().get(&key) {
                    return Ok(hit.clone());
                }
                let found: Vec<Scored> = self
                    .run_node(
                        p,
                        filter.as_ref(),
                        p.limit,
                        0,
                        &PayloadSelector::None,
                        &VectorSelector::None,
                        cache,
                    )?
                    .into_iter()
                    .map(|h| (h.id, h.score))
                    .collect();
                cache.borrow_mut().insert(key, found.clone());
                Ok(found)
            })
            .collect::<Result<Vec<Vec<Scored>>>>()?;
        match &node.query {
            Some(QueryKind::Fusion(fusion)) => {
                let fused = match fusion {
                    Fusion::Rrf { k, weights } => rrf(&sources, *k, weights.as_deref()),
                    Fusion::Dbsf => dbsf(&sources),
                };
                let kept: Vec<Scored> = fused
                    .into_iter()
                    .take(limit + offset)
                    .filter(|(_, s)| node.score_threshold.is_none_or(|t| *s >= t))
                    .skip(offset)
                    .collect();
                Ok(self.scored(kept, with_payload, with_vector))
            }
            Some(query) => {
                // the query scores what the prefetches found, and only that
                let ids: HashSet<PointId> = sources.iter().flatten().map(|(id, _)| *id).collect();
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let only = Filter::must(vec![Condition::HasId(ids)]);
                let mut leaf = QueryNode {
                    prefetch: Vec::new(),
                    lookup_from: None,
                    filter: both(filter.as_ref(), Some(&only)),
                    ..node.clone()
                };
                // nearest and recommend rescore the candidates exactly
                leaf.params.exact |=
                    matches!(query, QueryKind::Nearest(_) | QueryKind::Recommend { .. });
                self.run_node(&leaf, None, limit, offset, with_payload, with_vector, cache)
            }
            None => {
                // no query: the prefetch results as they are (one prefetch)
                let first = sources.into_iter().next().unwrap_or_default();
                Ok(self.scored(
                    first.into_iter().skip(offset).take(limit),
                    with_payload,
                    with_vector,
                ))
            }
        }
    }
}

/// `filter` that also leaves out `ids` (the points a query names).
fn excluding(filter: Option<Filter>, ids: HashSet<PointId>) -> Option<Filter> {
    if ids.is_empty() {
        return filter;
    }
    let mut f = filter.unwrap_or_default();
    f.must_not.push(Condition::HasId(ids));
    Some(f)
}

/// The distance of the dense or multi vector `using` (dot products for
/// sparse vectors).
fn distance_of(config: &crate::config::CollectionConfig, using: &str) -> SegmentDistance {
    config
        .params
        .vectors
        .get(using)
        .map_or(SegmentDistance::Dot, |p| p.distance.into())
}

impl Collection {
    /// Hits for ids with known scores, read under one lock (points deleted
    /// meanwhile are left out).
    fn scored(
        &self,
        hits: impl IntoIterator<Item = Scored>,
        with_payload: &PayloadSelector,
        with_vector: &VectorSelector,
    ) -> Vec<ScoredPoint> {
        let holder = self.shard.read();
        hits.into_iter()
            .filter_map(|(id, score)| {
                holder
                    .record(id, with_payload, with_vector)
                    .map(|r| ScoredPoint::from_record(r, score))
            })
            .collect()
    }
}

/// `x / (1 + |x|)` moved into 0..1.
fn scaled_sigmoid(x: f32) -> f32 {
    if x.is_nan() || x.is_infinite() {
        return x;
    }
    0.5 * (x / (1.0 + x.abs()) + 1.0)
}

/// The raw similarity examples are compared with: dot products for Cosine
/// and Dot, negated squared Euclidean or Manhattan distances.
fn raw_similarity(distance: SegmentDistance, a: &Vector, b: &Vector) -> Option<f32> {
    match (a, b) {
        (Vector::Dense(a), Vector::Dense(b)) => Some(match distance {
            SegmentDistance::Euclid => -segment::distance::scalar::l2_squared(a, b),
            d => d.similarity(a, b),
        }),
        (Vector::Sparse(a), Vector::Sparse(b)) => {
            Some(sparse_dot(&a.indices, &a.values, &b.indices, &b.values))
        }
        (Vector::Multi(a), Vector::Multi(b)) => Some(max_sim(distance, a, b)),
        _ => None,
    }
}

impl Collection {
    /// The vector `using` of each example (stored points read), and the
    /// ids of the example points.
    fn examples(
        &self,
        using: &str,
        examples: &[QueryInput],
    ) -> Result<(Vec<Vector>, Vec<PointId>)> {
        let mut vectors = Vec::new();
        let mut ids = Vec::new();
        let holder = self.shard.read();
        for e in examples {
            match e {
                QueryInput::Vector(v) => vectors.push(v.clone()),
                QueryInput::Point(id) => {
                    let record = holder
                        .record(
                            *id,
                            &PayloadSelector::None,
                            &VectorSelector::Names(vec![using.to_string()]),
                        )
                        .ok_or_else(|| {
                            CollectionError::NotFound(format!("No point with id {id} found"))
                        })?;
                    let v = record
                        .vectors
                        .and_then(|mut v| v.remove(using))
                        .ok_or_else(|| {
                            CollectionError::BadInput(format!("Point {id} has no vector `{using}`"))
                        })?;
                    vectors.push(v);
                    ids.push(*id);
                }
            }
        }
        Ok((vectors, ids))
    }

    /// A recommendation at one node.
    #[allow(clippy::too_many_arguments)]
    fn recommend(
        &self,
        node: &QueryNode,
        positive: &[QueryInput],
        negative: &[QueryInput],
        strategy: RecommendStrategy,
        filter: Option<Filter>,
        (limit, offset): (usize, usize),
        with_payload: &PayloadSelector,
        with_vector: &VectorSelector,
    ) -> Result<Vec<ScoredPoint>> {
        let using = node.using.as_str();
        let (mut pos, pos_ids) = self.examples(using, positive)?;
        let (mut neg, neg_ids) = self.examples(using, negative)?;
        // the examples themselves are never recommended
        let examples: HashSet<PointId> = pos_ids.into_iter().chain(neg_ids).collect();
        let filter = excluding(filter, examples);
        let config = self.config();
        // examples are checked; scoring normalizes them (Cosine), the
        // average takes them as given and is normalized as a query
        for v in pos.iter_mut().chain(neg.iter_mut()) {
            let raw = v.clone();
            crate::vector_check::check_query_vector(&config, using, v)?;
            if strategy == RecommendStrategy::AverageVector {
                if let (Vector::Dense(_), Vector::Dense(_)) = (&raw, &*v) {
                    *v = raw;
                }
            }
        }
        match strategy {
            RecommendStrategy::AverageVector => {
                let query = average(&pos, &neg).ok_or_else(|| {
                    CollectionError::BadInput(
                        "No positive examples given with 'average_vector' strategy".into(),
                    )
                })?;
                self.search(&SearchRequest {
                    using: using.to_string(),
                    query: QueryInput::Vector(query),
                    filter,
                    limit,
                    offset,
                    score_threshold: node.score_threshold,
                    with_payload: with_payload.clone(),
                    with_vector: with_vector.clone(),
                    params: node.params,
                })
            }
            RecommendStrategy::BestScore | RecommendStrategy::SumScores => {
                if pos.is_empty() && neg.is_empty() {
                    return Err(CollectionError::BadInput(
                        "No positive or negative examples given".into(),
                    ));
                }
                let distance = distance_of(&config, using);
                let score = |stored: &Vector| -> Option<f32> {
                    let sims = |examples: &[Vector]| -> Option<Vec<f32>> {
                        examples
                            .iter()
                            .map(|e| raw_similarity(distance, e, stored))
                            .collect()
                    };
                    let (p, n) = (sims(&pos)?, sims(&neg)?);
                    Some(match strategy {
                        RecommendStrategy::BestScore => {
                            let bp = p.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                            let bn = n.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                            if bp > bn {
                                scaled_sigmoid(bp)
                            } else {
                                -scaled_sigmoid(bn)
                            }
                        }
                        _ => p.iter().sum::<f32>() - n.iter().sum::<f32>(),
                    })
                };
                self.scan_scores(
                    node,
                    filter.as_ref(),
                    (limit, offset),
                    with_payload,
                    with_vector,
                    score,
                )
            }
        }
    }
}

impl Collection {
    /// Every point matching `filter` scored by `score` on its vector
    /// `node.using` (higher is better), merged over segments, thresholded
    /// (strictly), offset and limited.
    fn scan_scores(
        &self,
        node: &QueryNode,
        filter: Option<&Filter>,
        (limit, offset): (usize, usize),
        with_payload: &PayloadSelector,
        with_vector: &VectorSelector,
        score: impl Fn(&Vector) -> Option<f32> + Copy,
    ) -> Result<Vec<ScoredPoint>> {
        let holder = self.shard.read();
        let segments: Vec<&segment::segment::Segment> = holder.segments().collect();
        let wanted = limit + offset;
        let mut hits: Vec<(f32, usize, u32)> = segments
            .iter()
            .enumerate()
            .flat_map(|(i, s)| {
                s.scan_scored(&node.using, filter, wanted, score)
                    .into_iter()
                    .map(move |h| (h.similarity, i, h.offset))
            })
            .collect();
        hits.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        Ok(hits
            .into_iter()
            .filter(|(s, _, _)| node.score_threshold.is_none_or(|t| *s > t))
            .skip(offset)
            .take(limit)
            .map(|(score, i, offset)| {
                ScoredPoint::from_record(
                    segments[i].record(offset, with_payload, with_vector),
                    score,
                )
            })
            .collect())
    }

    /// Discovery (with a target) or context search (without): context
    /// pairs rank points by how many pairs they are on the positive side
    /// of; the target's similarity breaks ties (discovery), or the pairs'
    /// soft margins score them (context).
    #[allow(clippy::too_many_arguments)]
    fn discover(
        &self,
        node: &QueryNode,
        target: Option<&QueryInput>,
        pairs: &[(QueryInput, QueryInput)],
        filter: Option<Filter>,
        page: (usize, usize),
        with_payload: &PayloadSelector,
        with_vector: &VectorSelector,
    ) -> Result<Vec<ScoredPoint>> {
        let using = node.using.as_str();
        let config = self.config();
        let mut mentioned: HashSet<PointId> = HashSet::new();
        let mut resolve = |inputs: Vec<QueryInput>| -> Result<Vec<Vector>> {
            let (mut vectors, ids) = self.examples(using, &inputs)?;
            mentioned.extend(ids);
            for v in vectors.iter_mut() {
                crate::vector_check::check_query_vector(&config, using, v)?;
            }
            Ok(vectors)
        };
        let target = match target {
            Some(t) => resolve(vec![t.clone()])?.pop(),
            None => None,
        };
        let mut resolved = Vec::with_capacity(pairs.len());
        for (p, n) in pairs {
            let mut v = resolve(vec![p.clone(), n.clone()])?;
            let neg = v.pop().expect("two examples");
            let pos = v.pop().expect("two examples");
            resolved.push((pos, neg));
        }
        let filter = excluding(filter, mentioned);
        let distance = distance_of(&config, using);
        let target = target.as_ref();
        let resolved = &resolved;
        let score = move |stored: &Vector| -> Option<f32> {
            match target {
                Some(t) => {
                    let mut rank = 0i32;
                    for (p, n) in resolved {
                        let (sp, sn) = (
                            raw_similarity(distance, p, stored)?,
                            raw_similarity(distance, n, stored)?,
                        );
                        rank += match sp.partial_cmp(&sn) {
                            Some(std::cmp::Ordering::Greater) => 1,
                            Some(std::cmp::Ordering::Equal) => 0,
                            _ => -1,
                        };
                    }
                    Some(rank as f32 + scaled_sigmoid(raw_similarity(distance, t, stored)?))
                }
                None => {
                    let mut total = 0.0f32;
                    for (p, n) in resolved {
                        let d = raw_similarity(distance, p, stored)?
                            - raw_similarity(distance, n, stored)?
                            - f32::EPSILON;
                        let x = d.min(0.0);
                        total += x / (1.0 + x.abs());
                    }
                    Some(total)
                }
            }
        };
        self.scan_scores(
            node,
            filter.as_ref(),
            page,
            with_payload,
            with_vector,
            score,
        )
    }
}

/// A group's id: a keyword or an integer value of the `group_by` field.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GroupId {
    /// A keyword.
    Str(String),
    /// An integer.
    Int(i64),
}

/// One group of hits.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The shared value.
    pub id: GroupId,
    /// Its best hits, best first.
    pub hits: Vec<ScoredPoint>,
}

/// The distinct group ids of a payload (in payload order), or `None` when
/// the point cannot be grouped: the field is missing, or one of its values
/// is neither a keyword nor an integer (Qdrant then drops the point).
fn group_ids(
    payload: &segment::Payload,
    path: &segment::json_path::JsonPath,
) -> Option<Vec<GroupId>> {
    let values = path.leaf_values(payload);
    if values.is_empty() {
        return None;
    }
    let mut out: Vec<GroupId> = Vec::new();
    for v in values {
        let id = match v {
            serde_json::Value::String(s) => GroupId::Str(s.clone()),
            serde_json::Value::Number(n) => GroupId::Int(n.as_i64()?),
            _ => return None,
        };
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Some(out)
}

fn raise_limits(node: &mut QueryNode, limit: usize) {
    node.limit = limit;
    for p in &mut node.prefetch {
        raise_limits(p, limit);
    }
}

impl Collection {
    /// Hits grouped by the values of `group_by`: groups ordered by their
    /// best hit, at most `group_size` hits each, at most `groups` groups.
    pub fn query_groups(
        &self,
        request: &QueryRequest,
        group_by: &str,
        group_size: usize,
        groups: usize,
    ) -> Result<Vec<Group>> {
        let path =
            segment::json_path::JsonPath::parse(group_by).map_err(CollectionError::BadInput)?;
        // every point may be needed: rank them all (prefetches included)
        let all = self.count(None).max(1);
        let mut full = request.clone();
        raise_limits(&mut full.root, all);
        full.offset = 0;
        full.with_payload = PayloadSelector::All;
        let hits = self.query(&full)?;
        let mut out: Vec<Group> = Vec::new();
        let mut index: HashMap<GroupId, usize> = HashMap::new();
        for mut hit in hits {
            let Some(ids) = hit.payload.as_ref().and_then(|p| group_ids(p, &path)) else {
                continue;
            };
            hit.payload = hit
                .payload
                .as_ref()
                .and_then(|p| request.with_payload.apply(p));
            for id in ids {
                let at = *index.entry(id.clone()).or_insert_with(|| {
                    out.push(Group {
                        id,
                        hits: Vec::new(),
                    });
                    out.len() - 1
                });
                if out[at].hits.len() < group_size {
                    out[at].hits.push(hit.clone());
                }
            }
        }
        out.truncate(groups);
        Ok(out)
    }
}

/// A random permutation seed from the clock.
fn random_state() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0x9e37_79b9, |d| d.as_nanos() as u64)
        | 1
}

/// Moves a random choice of `take` elements to the front (partial
/// Fisher–Yates) and drops the rest.
fn random_subset<T>(items: &mut Vec<T>, take: usize) {
    let mut state = random_state();
    let take = take.min(items.len());
    for i in 0..take {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let j = i + (state % (items.len() - i) as u64) as usize;
        items.swap(i, j);
    }
    items.truncate(take);
}

impl Collection {
    /// `limit` random points matching `filter` (score 1).
    fn sample(
        &self,
        filter: Option<&Filter>,
        limit: usize,
        with_payload: &PayloadSelector,
        with_vector: &VectorSelector,
    ) -> Result<Vec<ScoredPoint>> {
        let holder = self.shard.read();
        let mut ids: Vec<PointId> = holder
            .filtered_from(filter, None)
            .map(|(id, _, _)| id)
            .collect();
        random_subset(&mut ids, limit);
        Ok(ids
            .into_iter()
            .filter_map(|id| holder.record(id, with_payload, with_vector))
            .map(|r| ScoredPoint::from_record(r, 1.0))
            .collect())
    }
}

impl Collection {
    /// Maximal marginal relevance: the nearest `candidates`, then picked one
    /// by one by `(1 − diversity)·relevance − diversity·(max similarity to
    /// those picked)`, the most relevant first (ties go to the later
    /// candidate, as Qdrant picks them). Hits keep their search scores.
    #[allow(clippy::too_many_arguments)]
    fn mmr(
        &self,
        node: &QueryNode,
        query: &QueryInput,
        diversity: f32,
        candidates: usize,
        filter: Option<Filter>,
        (limit, offset): (usize, usize),
        with_payload: &PayloadSelector,
        with_vector: &VectorSelector,
    ) -> Result<Vec<ScoredPoint>> {
        let using = node.using.as_str();
        let hits = self.search(&SearchRequest {
            using: using.to_string(),
            query: query.clone(),
            filter,
            limit: candidates.max(1),
            offset: 0,
            score_threshold: node.score_threshold,
            with_payload: with_payload.clone(),
            with_vector: with_vector.clone(),
            params: node.params,
        })?;
        if hits.is_empty() {
            return Ok(hits);
        }
        let config = self.config();
        let (mut q, _) = self.examples(using, std::slice::from_ref(query))?;
        let mut q = q.pop().expect("one query");
        crate::vector_check::check_query_vector(&config, using, &mut q)?;
        let distance = distance_of(&config, using);
        let ids: Vec<QueryInput> = hits.iter().map(|h| QueryInput::Point(h.id)).collect();
        let (vectors, _) = self.examples(using, &ids)?;
        let sim =
            |a: &Vector, b: &Vector| raw_similarity(distance, a, b).unwrap_or(f32::NEG_INFINITY);
        let relevance: Vec<f32> = vectors.iter().map(|v| sim(&q, v)).collect();
        let lambda = 1.0 - diversity;
        let last_argmax = |scores: &[f32]| {
            let mut best = 0;
            for (i, s) in scores.iter().enumerate() {
                if *s >= scores[best] {
                    best = i;
                }
            }
            best
        };
        let mut pending: Vec<usize> = (0..hits.len()).collect();
        let first = last_argmax(&pending.iter().map(|&i| relevance[i]).collect::<Vec<_>>());
        let mut selected = vec![pending.swap_remove(first)];
        while selected.len() < limit + offset && !pending.is_empty() {
            let scores: Vec<f32> = pending
                .iter()
                .map(|&p| {
                    let closest = selected
                        .iter()
                        .map(|&s| sim(&vectors[p], &vectors[s]))
                        .fold(f32::NEG_INFINITY, f32::max);
                    lambda * relevance[p] - (1.0 - lambda) * closest
                })
                .collect();
            if scores.iter().all(|s| *s == f32::NEG_INFINITY) {
                break;
            }
            selected.push(pending.swap_remove(last_argmax(&scores)));
        }
        let mut hits: Vec<Option<ScoredPoint>> = hits.into_iter().map(Some).collect();
        Ok(selected
            .into_iter()
            .skip(offset)
            .filter_map(|i| hits[i].take())
            .collect())
    }
}

/// A sampled distance matrix: the sampled ids (sorted) and, per sample,
/// its nearest other samples with their scores.
pub type DistanceMatrix = (Vec<PointId>, Vec<Vec<(PointId, f32)>>);

impl Collection {
    /// Samples up to `sample` points with the vector `using` (and matching
    /// `filter`) at random, and finds for each its `limit` nearest among
    /// the other samples. Fewer than two samples give an empty matrix.
    pub fn distance_matrix(
        &self,
        using: &str,
        filter: Option<&Filter>,
        sample: usize,
        limit: usize,
    ) -> Result<DistanceMatrix> {
        crate::vector_check::check_names(&self.config(), std::iter::once(&using.to_string()))?;
        let mut with_vector = filter.cloned().unwrap_or_default();
        with_vector
            .must
            .push(Condition::HasVector(using.to_string()));
        let mut ids: Vec<PointId> = {
            let holder = self.shard.read();
            holder
                .filtered_from(Some(&with_vector), None)
                .map(|(id, _, _)| id)
                .collect()
        };
        random_subset(&mut ids, sample);
        ids.sort();
        if ids.len() < 2 {
            return Ok((Vec::new(), Vec::new()));
        }
        let mut rows = Vec::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            let others: HashSet<PointId> = ids
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, o)| *o)
                .collect();
            let only = Filter::must(vec![Condition::HasId(others)]);
            let hits = self.search(&SearchRequest {
                using: using.to_string(),
                query: QueryInput::Point(*id),
                filter: both(filter, Some(&only)),
                limit,
                offset: 0,
                score_threshold: None,
                with_payload: PayloadSelector::None,
                with_vector: VectorSelector::None,
                params: SearchOptions {
                    exact: true,
                    ..SearchOptions::default()
                },
            })?;
            rows.push(hits.into_iter().map(|h| (h.id, h.score)).collect());
        }
        Ok((ids, rows))
    }
}

/// `2·mean(positive) − mean(negative)`, or the mean of the positives
/// (dense and sparse examples; sparse means over the union of indices).
fn average(pos: &[Vector], neg: &[Vector]) -> Option<Vector> {
    fn mean_dense(vs: &[Vector]) -> Option<Vec<f32>> {
        let first = match vs.first()? {
            Vector::Dense(d) => d.len(),
            _ => return None,
        };
        let mut out = vec![0.0f32; first];
        for v in vs {
            if let Vector::Dense(d) = v {
                out.iter_mut().zip(d).for_each(|(o, x)| *o += x);
            }
        }
        out.iter_mut().for_each(|o| *o /= vs.len() as f32);
        Some(out)
    }
    fn mean_sparse(vs: &[Vector]) -> Option<std::collections::BTreeMap<u32, f32>> {
        let mut out = std::collections::BTreeMap::new();
        for v in vs {
            let Vector::Sparse(s) = v else { return None };
            for (i, x) in s.indices.iter().zip(&s.values) {
                *out.entry(*i).or_insert(0.0) += x / vs.len() as f32;
            }
        }
        Some(out)
    }
    match pos.first()? {
        Vector::Dense(_) => {
            let p = mean_dense(pos)?;
            Some(Vector::Dense(match mean_dense(neg) {
                Some(n) => p.iter().zip(&n).map(|(a, b)| a + a - b).collect(),
                None => p,
            }))
        }
        Vector::Sparse(_) => {
            let mut p = mean_sparse(pos)?;
            if !neg.is_empty() {
                let n = mean_sparse(neg).unwrap_or_default();
                p.values_mut().for_each(|v| *v *= 2.0);
                for (i, x) in n {
                    *p.entry(i).or_insert(0.0) -= x;
                }
            }
            Some(Vector::Sparse(segment::vectors::SparseVector {
                indices: p.keys().copied().collect(),
                values: p.values().copied().collect(),
            }))
        }
        Vector::Multi(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rrf_matches_the_formula() {
        let a = vec![(PointId::Num(1), 0.9), (PointId::Num(2), 0.8)];
        let b = vec![(PointId::Num(2), 5.0), (PointId::Num(3), 4.0)];
        let fused = rrf(&[a, b], DEFAULT_RRF_K, None);
        // id 2: 1/(2/1 + 1) + 1/(1/1 + 1) = 1/3 + 1/2
        assert_eq!(fused[0].0, PointId::Num(2));
        assert!((fused[0].1 - (1.0 / 3.0 + 0.5) as f32).abs() < 1e-6);
        assert_eq!(fused.len(), 3);
    }

    #[test]
    fn dbsf_normalizes_each_list() {
        let a = vec![(PointId::Num(1), 1.0)];
        let b = vec![(PointId::Num(1), 3.0), (PointId::Num(2), 1.0)];
        let fused = dbsf(&[a, b]);
        assert_eq!(fused[0].0, PointId::Num(1));
        // single-element list: 0.5; two elements: mean 2, sd √2
        let (low, high) = (2.0 - 3.0 * 2f64.sqrt(), 2.0 + 3.0 * 2f64.sqrt());
        let expected = 0.5 + (3.0 - low) / (high - low);
        assert!((fused[0].1 as f64 - expected).abs() < 1e-6);
    }
}
