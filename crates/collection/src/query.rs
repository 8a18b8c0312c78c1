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

/// What a node computes.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryKind {
    /// Nearest to a vector or a stored point.
    Nearest(QueryInput),
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
        let root = &request.root;
        let hits = self.run_node(
            root,
            None,
            root.limit,
            request.offset,
            &request.with_payload,
            &request.with_vector,
        )?;
        Ok(hits)
    }

    /// One node: a search at a leaf, fusion or rescoring above; `outer` is
    /// the filter of the nodes above.
    fn run_node(
        &self,
        node: &QueryNode,
        outer: Option<&Filter>,
        limit: usize,
        offset: usize,
        with_payload: &PayloadSelector,
        with_vector: &VectorSelector,
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
                self.run_node(
                    p,
                    filter.as_ref(),
                    p.limit,
                    0,
                    &PayloadSelector::None,
                    &VectorSelector::None,
                )
                .map(|hits| hits.into_iter().map(|h| (h.id, h.score)).collect())
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
                Ok(kept
                    .into_iter()
                    .filter_map(|(id, score)| {
                        let holder = self.shard.read();
                        holder
                            .record(id, with_payload, with_vector)
                            .map(|r| ScoredPoint {
                                id,
                                version: r.version,
                                score,
                                payload: r.payload,
                                vectors: r.vectors,
                            })
                    })
                    .collect())
            }
            Some(QueryKind::Nearest(q)) => {
                // rescore exactly what the prefetches found
                let ids: HashSet<PointId> = sources.iter().flatten().map(|(id, _)| *id).collect();
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let only = Filter::must(vec![Condition::HasId(ids)]);
                let mut exact = node.params;
                exact.exact = true;
                self.search(&SearchRequest {
                    using: node.using.clone(),
                    query: q.clone(),
                    filter: both(filter.as_ref(), Some(&only)),
                    limit,
                    offset,
                    score_threshold: node.score_threshold,
                    with_payload: with_payload.clone(),
                    with_vector: with_vector.clone(),
                    params: exact,
                })
            }
            None => {
                // no query: the prefetch results as they are (one prefetch)
                let first = sources.into_iter().next().unwrap_or_default();
                Ok(first
                    .into_iter()
                    .skip(offset)
                    .take(limit)
                    .filter_map(|(id, score)| {
                        let holder = self.shard.read();
                        holder
                            .record(id, with_payload, with_vector)
                            .map(|r| ScoredPoint {
                                id,
                                version: r.version,
                                score,
                                payload: r.payload,
                                vectors: r.vectors,
                            })
                    })
                    .collect())
            }
        }
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
