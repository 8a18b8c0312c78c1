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

use segment::distance::Distance as SegmentDistance;
use segment::vectors::Vector;

use crate::collection::Collection;
use crate::error::{CollectionError, Result};
use crate::search::{QueryInput, ScoredPoint, SearchOptions, SearchRequest};

mod formula;
mod groups;
mod scoring;
mod text;

pub use formula::{
    parse_variable, score_default_key, DecayKind, Expression, Formula, DEFAULT_DECAY_MIDPOINT,
    DEFAULT_DECAY_SCALE,
};
pub use groups::{DistanceMatrix, Group, GroupId};
pub use text::{DEFAULT_BM25_B, DEFAULT_BM25_K};

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
    /// The prefetched points rescored by a formula.
    Formula(Formula),
    /// BM25 over the text index of the payload field `using` names.
    Text {
        /// Query text.
        query: String,
        /// Term frequency saturation.
        k1: f32,
        /// Length normalization, 0..=1.
        b: f32,
    },
    /// Relevance feedback, naive strategy: `a·sim(target)` plus, for every
    /// pair of feedback examples whose scores differ by `confidence > 0`,
    /// `confidence^b · c · (sim(better) − sim(worse))`.
    RelevanceFeedback {
        /// Target.
        target: QueryInput,
        /// Examples with their relevance scores.
        feedback: Vec<(QueryInput, f32)>,
        /// Weight of the target.
        a: f32,
        /// Exponent of the confidence.
        b: f32,
        /// Weight of the feedback pairs.
        c: f32,
    },
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
            Some(QueryKind::RelevanceFeedback {
                target, feedback, ..
            }) => std::iter::once(target)
                .chain(feedback.iter_mut().map(|(e, _)| e))
                .collect(),
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

/// The search a request without prefetches asking for the points nearest
/// to a given vector runs (what [`Collection::run_node`] runs for it).
fn plain_search(r: &QueryRequest) -> Option<SearchRequest> {
    let node = &r.root;
    let Some(QueryKind::Nearest(query @ QueryInput::Vector(_))) = &node.query else {
        return None;
    };
    (node.prefetch.is_empty() && node.lookup_from.is_none()).then(|| SearchRequest {
        using: node.using.clone(),
        query: query.clone(),
        filter: node.filter.clone(),
        limit: node.limit,
        offset: r.offset,
        score_threshold: node.score_threshold,
        with_payload: r.with_payload.clone(),
        with_vector: r.with_vector.clone(),
        params: node.params.clone(),
    })
}

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
        self.take_read_rate(requests.len())?;
        if let Some(strict) = self.strict_mode() {
            let schema = self.shard.read().index_schema();
            requests
                .iter()
                .try_for_each(|r| strict.check_node(&r.root, &schema))?;
        }
        self.run_batch(requests)
    }

    /// [`Collection::query_batch`] without the strict-mode checks (the
    /// rounds of a group request, checked as a whole).
    pub(crate) fn run_batch(&self, requests: &[QueryRequest]) -> Result<Vec<Vec<ScoredPoint>>> {
        let cache = PrefetchCache::default();
        let mut out = Vec::with_capacity(requests.len());
        let mut rest = requests;
        while let Some(first) = rest.first() {
            // a run of plain nearest searches under one vector, filter and
            // parameters is searched together
            let run: Vec<SearchRequest> = rest
                .iter()
                .map_while(plain_search)
                .take_while(|s| {
                    (&s.using, &s.filter, &s.params)
                        == (&first.root.using, &first.root.filter, &first.root.params)
                })
                .collect();
            if run.len() > 1 {
                out.extend(self.search_batch(&run)?);
                rest = &rest[run.len()..];
                continue;
            }
            out.push(self.run_node(
                &first.root,
                None,
                first.root.limit,
                first.offset,
                &first.with_payload,
                &first.with_vector,
                &cache,
            )?);
            rest = &rest[1..];
        }
        Ok(out)
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
                params: node.params.clone(),
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
                Some(QueryKind::RelevanceFeedback {
                    target,
                    feedback,
                    a,
                    b,
                    c,
                }) => self.relevance_feedback(
                    node,
                    target,
                    feedback,
                    (*a, *b, *c),
                    filter,
                    (limit, offset),
                    with_payload,
                    with_vector,
                ),
                Some(QueryKind::Text { query, k1, b }) => self.text_search(
                    node,
                    query,
                    (*k1, *b),
                    filter.as_ref(),
                    (limit, offset),
                    with_payload,
                    with_vector,
                ),
                Some(QueryKind::Fusion(_)) => Err(CollectionError::BadInput(
                    "cannot apply Fusion without prefetches".into(),
                )),
                Some(QueryKind::Formula(_)) => Err(CollectionError::BadInput(
                    "cannot apply Formula without prefetches".into(),
                )),
                None => {
                    // no query: points in id order, score 1
                    let (rows, _) = self.scroll(
                        filter.as_ref(),
                        None,
                        limit + offset,
                        with_payload,
                        with_vector,
                    )?;
                    Ok(rows
                        .into_iter()
                        .skip(offset)
                        .map(|r| ScoredPoint::from_record(r, 1.0))
                        .collect())
                }
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
            Some(QueryKind::Formula(formula)) => {
                let scored = self.formula_scores(formula, &sources)?;
                let kept: Vec<Scored> = scored
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
                leaf.params.exact |= matches!(
                    query,
                    QueryKind::Nearest(_)
                        | QueryKind::Recommend { .. }
                        | QueryKind::RelevanceFeedback { .. }
                );
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
    /// The union of the prefetch results (in order of first appearance)
    /// scored by `formula`, best first.
    fn formula_scores(&self, formula: &Formula, sources: &[Vec<Scored>]) -> Result<Vec<Scored>> {
        let scores: Vec<HashMap<PointId, f32>> = sources
            .iter()
            .map(|s| s.iter().copied().collect())
            .collect();
        let mut seen = HashSet::new();
        let holder = self.shard.read();
        let mut out = Vec::new();
        for (id, _) in sources.iter().flatten() {
            if !seen.insert(*id) {
                continue;
            }
            let Some(record) = holder.record(*id, &PayloadSelector::All, &VectorSelector::None)
            else {
                continue;
            };
            let payload = record.payload.unwrap_or_default();
            let matches = |f: &Filter| holder.matches(*id, f);
            let score = formula.score(&formula::PointContext {
                id: *id,
                payload: &payload,
                scores: &scores,
                matches: &matches,
            })?;
            out.push((*id, score));
        }
        out.sort_by(|a, b| b.1.total_cmp(&a.1));
        Ok(out)
    }

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
