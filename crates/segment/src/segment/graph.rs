//! HNSW graphs over a segment's dense vectors, and search that combines a
//! graph with an exact scan of what the graph does not cover.
//!
//! A graph is built from a snapshot of the vectors taken at some segment
//! version. Points written after that (new points, changed vectors) are not
//! in the graph, or are in it at a stale position; they are scored exactly
//! until the next build. Deleted points are skipped.

use std::collections::BTreeMap;
use std::sync::Arc;

use roaring::RoaringBitmap;

use super::search::{QueryVector, ScoredOffset, TopK};
use super::Segment;
use crate::distance::Distance;
use crate::filter::Filter;
use crate::hnsw::{DenseVectors, HnswBuilder, HnswIndex, HnswParams};
use crate::quantization::{Method, QuantizedVectors};
use crate::vector_storage::{DenseData, DenseQuery, VectorStorage};

/// A built graph and what it covers.
#[derive(Debug)]
pub struct VectorGraph {
    index: HnswIndex,
    /// Quantized vectors for traversal, with the method that made them.
    quantized: Option<(Method, QuantizedVectors)>,
    /// Offsets in the graph.
    covered: RoaringBitmap,
    /// Offsets whose vectors changed (or appeared) since the snapshot the
    /// graph was built from: scored exactly.
    stale: RoaringBitmap,
}

/// One vector name's dense vectors, shared (not copied) with the segment,
/// to build a graph from without holding the segment's lock. Writes to the
/// segment meanwhile copy its vectors first, so the source never changes;
/// sealed segments take no vector writes at all.
pub struct GraphSource {
    vectors: Arc<BTreeMap<String, VectorStorage>>,
    name: String,
    /// Live offsets with a vector.
    pub offsets: Vec<u32>,
    /// Segment version when taken.
    pub version: u64,
}

impl GraphSource {
    fn dense(&self) -> (usize, &DenseData) {
        match self.vectors.get(&self.name) {
            Some(VectorStorage::Dense { dim, data, .. }) => (*dim, data),
            _ => unreachable!("a graph source is taken from a dense storage"),
        }
    }

    /// Builds the graph.
    pub fn build(&self, distance: Distance, params: HnswParams) -> HnswIndex {
        let (dim, data) = self.dense();
        let vectors = DenseVectors {
            data: data.as_slice(),
            dim,
            distance,
        };
        HnswBuilder::new(params, vectors, self.offsets.clone()).build()
    }

    /// Writes the vectors to a flat file (see [`Segment::map_vectors_file`]).
    pub fn write_file(&self, path: &std::path::Path) -> crate::error::Result<()> {
        self.dense().1.write_file(path)
    }

    /// Quantizes the vectors.
    pub fn quantize(&self, method: Method, distance: Distance) -> QuantizedVectors {
        let (dim, data) = self.dense();
        QuantizedVectors::build(method, distance, dim, data, &self.offsets)
    }
}

/// How a search uses quantized vectors (`params.quantization`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuantizationUse {
    /// Traverse with the original vectors.
    pub ignore: bool,
    /// Rescore the preselected points with the original vectors.
    pub rescore: bool,
    /// Preselect `limit * oversampling` points.
    pub oversampling: f64,
}

impl Default for QuantizationUse {
    fn default() -> Self {
        QuantizationUse {
            ignore: false,
            rescore: true,
            oversampling: 1.0,
        }
    }
}

/// How a search may run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchParams {
    /// Beam width of graph search.
    pub ef: usize,
    /// Score every candidate exactly.
    pub exact: bool,
    /// Filters estimated to match fewer points than this are scored exactly.
    pub full_scan_threshold: usize,
    /// Only search the graph, skipping points it does not cover yet.
    pub indexed_only: bool,
    /// Use of quantized vectors.
    pub quantization: QuantizationUse,
}

impl Segment {
    fn is_fresh(&self, graph: &VectorGraph, offset: u32) -> bool {
        graph.covered.contains(offset) && !graph.stale.contains(offset)
    }

    /// Records that the vectors at `offset` changed: graphs no longer cover it.
    pub(crate) fn mark_vectors_changed(&mut self, offset: u32) {
        for graph in self.graphs.values_mut() {
            graph.stale.insert(offset);
        }
    }

    /// Live points with a vector `name` that a graph does not cover (all of
    /// them when there is no graph).
    pub fn unindexed_count(&self, name: &str) -> usize {
        let Some(storage) = self.vectors.get(name) else {
            return 0;
        };
        let graph = self.graphs.get(name);
        self.id_map
            .values()
            .filter(|&&o| storage.has(o) && graph.is_none_or(|g| !self.is_fresh(g, o)))
            .count()
    }

    /// Live points with a vector `name` that its graph covers.
    pub fn indexed_count(&self, name: &str) -> usize {
        let Some(graph) = self.graphs.get(name) else {
            return 0;
        };
        self.id_map
            .values()
            .filter(|&&o| self.is_fresh(graph, o))
            .count()
    }

    /// The dense vectors of `name` for a graph build, shared with the
    /// segment.
    pub fn graph_source(&self, name: &str) -> Option<GraphSource> {
        let storage = self.vectors.get(name)?;
        if !matches!(storage, VectorStorage::Dense { .. }) {
            return None;
        }
        let mut offsets: Vec<u32> = self
            .id_map
            .values()
            .copied()
            .filter(|&o| storage.has(o))
            .collect();
        offsets.sort_unstable();
        Some(GraphSource {
            vectors: Arc::clone(&self.vectors),
            name: name.to_string(),
            offsets,
            version: self.version,
        })
    }

    /// The quantization method of the graph of `name`, if any.
    pub fn graph_quantization(&self, name: &str) -> Option<Method> {
        self.graphs.get(name)?.quantized.as_ref().map(|(m, _)| *m)
    }

    /// The graph of `name`, if any.
    pub fn graph_index(&self, name: &str) -> Option<&HnswIndex> {
        self.graphs.get(name).map(|g| &g.index)
    }

    /// Whether `name` has a graph.
    pub fn has_graph(&self, name: &str) -> bool {
        self.graphs.contains_key(name)
    }

    /// Replaces the quantized vectors of the graph of `name`.
    pub fn install_quantization(
        &mut self,
        name: &str,
        quantized: Option<(Method, QuantizedVectors)>,
    ) {
        if let Some(graph) = self.graphs.get_mut(name) {
            graph.quantized = quantized;
        }
    }

    /// Installs a graph built from a snapshot.
    pub fn install_graph(
        &mut self,
        name: &str,
        index: HnswIndex,
        quantized: Option<(Method, QuantizedVectors)>,
        snapshot_version: u64,
    ) {
        // a graph loaded from disk may cover slots of points deleted before
        // the segment was saved, which hold no vector now
        if let Some(&max) = index.offsets().iter().max() {
            if let Some(storage) = self.vectors.get(name) {
                if storage.len() <= max as usize {
                    if let Some(s) = self.vectors_mut().get_mut(name) {
                        s.ensure_len(max as usize + 1);
                    }
                }
            }
        }
        let covered: RoaringBitmap = index.offsets().iter().copied().collect();
        let stale: RoaringBitmap = (0..self.vector_versions.len() as u32)
            .filter(|&o| self.vector_versions[o as usize] > snapshot_version)
            .collect();
        self.graphs.insert(
            name.to_string(),
            VectorGraph {
                index,
                quantized,
                covered,
                stale,
            },
        );
    }

    /// Drops the graph of `name`.
    pub fn drop_graph(&mut self, name: &str) {
        self.graphs.remove(name);
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
        let exact = || {
            let q = QueryVector::Dense(query.to_vec());
            self.search_exact_in(name, &q, distance, filter, exact_set.as_ref(), None, top)
        };
        let (Some(graph), Some(VectorStorage::Dense { dim, data, present })) =
            (self.graphs.get(name), self.vectors.get(name))
        else {
            return exact();
        };
        if params.exact {
            return exact();
        }
        if filter.is_some() && (self.estimate(filter).max as usize) < params.full_scan_threshold {
            return exact();
        }
        // a filter the indexes decide exactly has a known size: scoring that
        // many vectors in order beats a filtered graph walk up to a few times
        // the threshold (the walk visits about as many nodes, at random)
        if let Some(set) = &exact_set {
            if (set.len() as usize) < params.full_scan_threshold.saturating_mul(2) {
                return exact();
            }
        }
        let vectors = DenseVectors {
            data: data.as_slice(),
            dim: *dim,
            distance,
        };
        let prepared = DenseQuery::new(data.element(), query);
        let sim = |o: u32| vectors.similarity_to(&prepared, o);
        let candidates = if exact_set.is_some() {
            None
        } else {
            filter.and_then(|f| self.candidates_for(f))
        };
        let accept = |o: u32| {
            self.id_of(o).is_some()
                && !graph.stale.contains(o)
                && match &exact_set {
                    Some(set) => set.contains(o),
                    None => {
                        candidates.as_ref().is_none_or(|c| c.contains(o))
                            && filter.is_none_or(|f| self.matches(o, f))
                    }
                }
        };
        let mut best = TopK::new(top);
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
                let found = graph.index.search_with_prefetch(
                    wanted,
                    params.ef.max(wanted),
                    |o| quantized.similarity(&q, o),
                    accept,
                    |o| quantized.prefetch(o),
                );
                for hit in found {
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
                for hit in
                    graph
                        .index
                        .search_with_prefetch(top, params.ef.max(top), sim, accept, |o| {
                            vectors.prefetch(o)
                        })
                {
                    best.push(hit);
                }
            }
        }
        if !params.indexed_only {
            for o in graph.stale.iter() {
                if self.id_of(o).is_some()
                    && present.get(o as usize).copied().unwrap_or(false)
                    && exact_set.as_ref().map_or_else(
                        || filter.is_none_or(|f| self.matches(o, f)),
                        |s| s.contains(o),
                    )
                {
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
