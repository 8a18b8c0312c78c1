//! Dense nearest-neighbour search on one segment: the plan a filter and the
//! search parameters choose (an exact scan, a scan of the quantized codes,
//! or a graph walk), run for one query or for a batch sharing the filter.

use std::collections::HashSet;

use roaring::RoaringBitmap;

use super::graph::{BlockKey, SearchParams, VectorGraph};
use super::search::{QueryVector, ScoredOffset, TopK};
use super::Segment;
use crate::distance::Distance;
use crate::filter::Filter;
use crate::hnsw::{DenseVectors, HnswIndex};
use crate::vector_storage::{DenseQuery, VectorStorage};

/// How a segment answers a dense search: decided by the filter and the
/// parameters alone, so queries sharing both share it.
#[derive(Clone, Copy)]
enum Plan<'a> {
    /// Score every matching point with its stored vector.
    Exact,
    /// Score every matching point with its quantized codes, then rescore
    /// the best `limit * oversampling` with the stored vectors.
    QuantizedScan(&'a VectorGraph),
    /// Walk the graph, or the subgraph of the filter's value (`block`).
    Walk(&'a VectorGraph, Option<&'a HnswIndex>),
}

impl Segment {
    /// The plan for a search of `name` under `filter`, whose exact match set
    /// is `exact_set` when the indexes decide it.
    fn dense_plan<'a>(
        &'a self,
        name: &str,
        filter: Option<&Filter>,
        exact_set: Option<&RoaringBitmap>,
        params: &SearchParams,
    ) -> Plan<'a> {
        let (Some(graph), Some(VectorStorage::Dense { .. })) =
            (self.graphs.get(name), self.vectors.get(name))
        else {
            return Plan::Exact;
        };
        if params.exact {
            return Plan::Exact;
        }
        // the planner's scans of a small filtered set read the quantized
        // codes when there are some (4x+ fewer bytes)
        let scan = match graph.quantized.is_some()
            && !params.quantization.ignore
            && graph.stale.is_empty()
        {
            true => Plan::QuantizedScan(graph),
            false => Plan::Exact,
        };
        if filter.is_some() && (self.estimate(filter).max as usize) < params.full_scan_threshold {
            return scan;
        }
        // a filter on a value with its own subgraph walks that subgraph
        let block = filter.and_then(|f| BlockKey::candidates(f).find_map(|k| graph.blocks.get(&k)));
        // a filter the indexes decide exactly has a known size: below the
        // threshold it is scored in full (Qdrant's `full_scan_threshold`),
        // above it the graph is walked; a block's own graph beats both
        if let (Some(set), None) = (exact_set, block) {
            if (set.len() as usize) < params.full_scan_threshold {
                return scan;
            }
        }
        Plan::Walk(graph, block)
    }

    /// Nearest points to a dense query through the graph of `name` (plus an
    /// exact scan of what it does not cover), or an exact scan when there is
    /// no graph, the filter is selective, or `exact` is asked.
    pub fn search_dense(
        &self,
        name: &str,
        query: &[f32],
        distance: Distance,
        filter: Option<&Filter>,
        top: usize,
        params: SearchParams,
    ) -> Vec<ScoredOffset> {
        // when the indexes decide the filter exactly, membership is the test;
        // otherwise candidates are verified against the payload
        let exact_set = filter.and_then(|f| self.payload_index().exact_matches(f));
        let plan = self.dense_plan(name, filter, exact_set.as_ref(), &params);
        self.run_plan(
            plan,
            name,
            query,
            distance,
            filter,
            exact_set.as_ref(),
            top,
            &params,
        )
    }

    /// [`Segment::search_dense`] for several queries under one filter and
    /// one set of parameters, each with its own `top`: the plan is made
    /// once, and an exact scan reads each stored vector once for all the
    /// queries (a batch's scans of one filtered set then cost about one).
    pub fn search_dense_batch(
        &self,
        name: &str,
        queries: &[(&[f32], usize)],
        distance: Distance,
        filter: Option<&Filter>,
        params: SearchParams,
    ) -> Vec<Vec<ScoredOffset>> {
        let exact_set = filter.and_then(|f| self.payload_index().exact_matches(f));
        let plan = self.dense_plan(name, filter, exact_set.as_ref(), &params);
        match (plan, self.vectors.get(name)) {
            (Plan::Exact, Some(VectorStorage::Dense { dim, data, present }))
                if queries.len() > 1 =>
            {
                let vectors = DenseVectors {
                    data: data.as_slice(),
                    dim: *dim,
                    distance,
                };
                let prepared: Vec<DenseQuery> = queries
                    .iter()
                    .map(|(q, _)| DenseQuery::new(data.element(), q))
                    .collect();
                let mut best: Vec<TopK> = queries.iter().map(|(_, top)| TopK::new(*top)).collect();
                self.each_candidate(
                    filter,
                    exact_set.as_ref(),
                    |o| vectors.prefetch(o),
                    |offset| {
                        if present.get(offset as usize).copied().unwrap_or(false) {
                            for (b, q) in best.iter_mut().zip(&prepared) {
                                let similarity = vectors.similarity_to(q, offset);
                                b.push(ScoredOffset { similarity, offset });
                            }
                        }
                    },
                );
                best.into_iter().map(TopK::into_sorted).collect()
            }
            _ => queries
                .iter()
                .map(|(q, top)| {
                    self.run_plan(
                        plan,
                        name,
                        q,
                        distance,
                        filter,
                        exact_set.as_ref(),
                        *top,
                        &params,
                    )
                })
                .collect(),
        }
    }

    /// Runs `plan` for one query.
    #[allow(clippy::too_many_arguments)]
    fn run_plan(
        &self,
        plan: Plan<'_>,
        name: &str,
        query: &[f32],
        distance: Distance,
        filter: Option<&Filter>,
        exact_set: Option<&RoaringBitmap>,
        top: usize,
        params: &SearchParams,
    ) -> Vec<ScoredOffset> {
        let exact = || {
            let q = QueryVector::Dense(query.to_vec());
            self.search_exact_in(name, &q, distance, filter, exact_set, None, top)
        };
        let Some(VectorStorage::Dense { dim, data, present }) = self.vectors.get(name) else {
            return exact();
        };
        let vectors = DenseVectors {
            data: data.as_slice(),
            dim: *dim,
            distance,
        };
        let prepared = DenseQuery::new(data.element(), query);
        let sim = |o: u32| vectors.similarity_to(&prepared, o);
        let graph = match plan {
            Plan::Exact => return exact(),
            Plan::QuantizedScan(graph) => {
                let Some((_, quantized)) = &graph.quantized else {
                    return exact();
                };
                // preselect `limit * oversampling` by code, rescore those
                let q = quantized.query(query);
                let wanted =
                    ((top as f64) * params.quantization.oversampling.max(1.0)).ceil() as usize;
                let mut pre = TopK::new(wanted);
                self.each_candidate(
                    filter,
                    exact_set,
                    |o| quantized.prefetch(o),
                    |o| {
                        if present.get(o as usize).copied().unwrap_or(false) {
                            pre.push(ScoredOffset {
                                similarity: quantized.similarity(&q, o),
                                offset: o,
                            });
                        }
                    },
                );
                let mut best = TopK::new(top);
                for hit in pre.into_sorted() {
                    best.push(match params.quantization.rescore {
                        true => ScoredOffset {
                            similarity: sim(hit.offset),
                            offset: hit.offset,
                        },
                        false => hit,
                    });
                }
                return best.into_sorted();
            }
            Plan::Walk(graph, _) => graph,
        };
        let block = match plan {
            Plan::Walk(_, block) => block,
            _ => None,
        };
        let candidates = match exact_set {
            Some(_) => None,
            None => filter.and_then(|f| self.candidates_for(f)),
        };
        let accept = |o: u32| {
            self.ids.is_live(o)
                && !graph.stale.contains(o)
                && match exact_set {
                    Some(set) => set.contains(o),
                    None => {
                        candidates.as_ref().is_none_or(|c| c.contains(o))
                            && filter.is_none_or(|f| self.matches(o, f))
                    }
                }
        };
        let walked = block.unwrap_or(&graph.index);
        let mut best = TopK::new(top);
        let mut seen = HashSet::new();
        match graph
            .quantized
            .as_ref()
            .filter(|_| !params.quantization.ignore)
        {
            Some((_, quantized)) => {
                // preselect with the codes, then (by default) rescore
                let q = quantized.query(query);
                let wanted =
                    ((top as f64) * params.quantization.oversampling.max(1.0)).ceil() as usize;
                let found = walked.search_with_prefetch(
                    wanted,
                    params.ef.max(wanted),
                    |o| quantized.similarity(&q, o),
                    accept,
                    |o| quantized.prefetch(o),
                );
                for hit in found {
                    seen.insert(hit.offset);
                    best.push(match params.quantization.rescore {
                        true => ScoredOffset {
                            similarity: sim(hit.offset),
                            offset: hit.offset,
                        },
                        false => hit,
                    });
                }
            }
            None => {
                for hit in walked.search_with_prefetch(top, params.ef.max(top), sim, accept, |o| {
                    vectors.prefetch(o)
                }) {
                    seen.insert(hit.offset);
                    best.push(hit);
                }
            }
        }
        let exact_match = |o: u32| {
            self.ids.is_live(o)
                && present.get(o as usize).copied().unwrap_or(false)
                && exact_set.map_or_else(
                    || filter.is_none_or(|f| self.matches(o, f)),
                    |s| s.contains(o),
                )
        };
        // a block's points whose payload changed since it was built are
        // checked exactly
        if block.is_some() {
            for o in self.payload_touched.iter() {
                if !seen.contains(&o) && !graph.stale.contains(o) && exact_match(o) {
                    best.push(ScoredOffset {
                        similarity: sim(o),
                        offset: o,
                    });
                }
            }
        }
        if !params.indexed_only {
            for o in graph.stale.iter() {
                if exact_match(o) {
                    best.push(ScoredOffset {
                        similarity: sim(o),
                        offset: o,
                    });
                }
            }
        }
        best.into_sorted()
    }
}
