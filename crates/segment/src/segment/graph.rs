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
use serde::{Deserialize, Serialize};

use super::search::{QueryVector, ScoredOffset, TopK};
use super::Segment;
use crate::distance::Distance;
use crate::filter::{Condition, FieldCheck, FieldCondition, Filter, Match, MatchValue};
use crate::hnsw::{DenseVectors, HnswBuilder, HnswIndex, HnswParams};
use crate::payload_index::field_index::IndexKey;
use crate::quantization::{Method, QuantizedVectors};
use crate::vector_storage::{DenseData, DenseQuery, VectorStorage};

/// A built graph and what it covers.
#[derive(Debug)]
pub struct VectorGraph {
    index: HnswIndex,
    /// Quantized vectors for traversal, with the method that made them.
    quantized: Option<(Method, QuantizedVectors)>,
    /// Payload-aware subgraphs: one graph over the points of each large
    /// value of a tenant-like field, walked when a filter asks for it.
    blocks: BTreeMap<BlockKey, HnswIndex>,
    /// Offsets in the graph.
    covered: RoaringBitmap,
    /// Offsets whose vectors changed (or appeared) since the snapshot the
    /// graph was built from: scored exactly.
    stale: RoaringBitmap,
}

/// A value of an indexed keyword or integer field, naming a payload block.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BlockKey {
    /// Field path.
    pub field: String,
    /// The value.
    pub value: BlockValue,
}

/// The value of a [`BlockKey`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum BlockValue {
    /// An integer.
    Int(i64),
    /// A keyword.
    Str(String),
}

impl BlockValue {
    /// The block value of an index key (keywords and integers only).
    fn of(key: &IndexKey) -> Option<BlockValue> {
        match key {
            IndexKey::Int(i) => Some(BlockValue::Int(*i)),
            IndexKey::Str(s) => Some(BlockValue::Str(s.clone())),
            _ => None,
        }
    }

    /// The index key holding this value's points.
    fn index_key(&self) -> IndexKey {
        match self {
            BlockValue::Int(i) => IndexKey::Int(*i),
            BlockValue::Str(s) => IndexKey::Str(s.clone()),
        }
    }
}

impl BlockKey {
    /// The blocks the `must` conditions of `filter` select.
    fn candidates(filter: &Filter) -> impl Iterator<Item = BlockKey> + '_ {
        filter.must.iter().filter_map(|c| match c {
            Condition::Field(FieldCondition {
                key,
                check: FieldCheck::Match(Match::Value(v)),
            }) => {
                let value = match v {
                    MatchValue::Keyword(s) => BlockValue::Str(s.clone()),
                    MatchValue::Integer(i) => BlockValue::Int(*i),
                    MatchValue::Bool(_) => return None,
                };
                Some(BlockKey {
                    field: key.to_string(),
                    value,
                })
            }
            _ => None,
        })
    }
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

    /// The element type the vectors are stored in.
    pub fn element(&self) -> crate::vector_storage::Element {
        self.dense().1.element()
    }

    /// Builds the graph.
    pub fn build(&self, distance: Distance, params: HnswParams) -> HnswIndex {
        self.build_guided(distance, params, None)
    }

    /// [`GraphSource::build`] whose searches walk `codes` (quantized from
    /// these vectors) instead of the originals; links are still chosen by
    /// exact similarities.
    pub fn build_guided(
        &self,
        distance: Distance,
        params: HnswParams,
        codes: Option<&QuantizedVectors>,
    ) -> HnswIndex {
        self.extend_guided(distance, params, codes, None)
    }

    /// [`GraphSource::build_guided`] that keeps the links of `base`, a
    /// graph over this source's first `base.len()` offsets (in order), and
    /// inserts only the rest (see [`HnswBuilder::with_base`]).
    pub fn extend_guided(
        &self,
        distance: Distance,
        params: HnswParams,
        codes: Option<&QuantizedVectors>,
        base: Option<&HnswIndex>,
    ) -> HnswIndex {
        let (dim, data) = self.dense();
        let vectors = DenseVectors {
            data: data.as_slice(),
            dim,
            distance,
        };
        HnswBuilder::new(params, vectors, self.offsets.clone())
            .with_codes(codes)
            .with_base(base)
            .build()
    }

    /// Builds a graph over each block's offsets (those with a vector of
    /// this name), with `m` links: the payload-aware subgraphs.
    pub fn build_blocks(
        &self,
        blocks: Vec<(BlockKey, Vec<u32>)>,
        distance: Distance,
        params: HnswParams,
    ) -> Vec<(BlockKey, HnswIndex)> {
        let (dim, data) = self.dense();
        let vectors = DenseVectors {
            data: data.as_slice(),
            dim,
            distance,
        };
        let live: std::collections::HashSet<u32> = self.offsets.iter().copied().collect();
        blocks
            .into_iter()
            .map(|(key, offsets)| {
                let offsets: Vec<u32> = offsets.into_iter().filter(|o| live.contains(o)).collect();
                (key, HnswBuilder::new(params, vectors, offsets).build())
            })
            .collect()
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
        self.ids
            .live_offsets()
            .filter(|&o| storage.has(o) && graph.is_none_or(|g| !self.is_fresh(g, o)))
            .count()
    }

    /// Live points with a vector `name` that its graph covers.
    pub fn indexed_count(&self, name: &str) -> usize {
        let Some(graph) = self.graphs.get(name) else {
            return 0;
        };
        self.ids
            .live_offsets()
            .filter(|&o| self.is_fresh(graph, o))
            .count()
    }

    /// The dense vectors of `name` for a graph build, shared with the
    /// segment.
    pub fn graph_source(&self, name: &str) -> Option<GraphSource> {
        let storage = self.vectors.get(name)?;
        if !matches!(storage, VectorStorage::Dense { .. }) {
            return None;
        }
        let offsets: Vec<u32> = self
            .ids
            .live_offsets()
            .filter(|&o| storage.has(o))
            .collect();
        Some(GraphSource {
            vectors: Arc::clone(&self.vectors),
            name: name.to_string(),
            offsets,
            version: self.version,
        })
    }

    /// Large values of indexed keyword / integer `fields`: each value with
    /// at least `min_points` and at most `max_points` live points, and
    /// their offsets.
    pub fn payload_blocks(
        &self,
        fields: &[String],
        min_points: usize,
        max_points: usize,
    ) -> Vec<(BlockKey, Vec<u32>)> {
        let mut out = Vec::new();
        for field in fields {
            let Some(index) = self.payload_index.get(field) else {
                continue;
            };
            let Some(values) = index.value_bitmaps() else {
                continue;
            };
            for (key, bitmap) in values {
                let Some(value) = BlockValue::of(key) else {
                    continue;
                };
                let offsets: Vec<u32> =
                    bitmap.iter().filter(|&o| self.id_of(o).is_some()).collect();
                if (min_points.max(1)..=max_points).contains(&offsets.len()) {
                    out.push((
                        BlockKey {
                            field: field.clone(),
                            value,
                        },
                        offsets,
                    ));
                }
            }
        }
        out
    }

    /// Keys of the values [`Segment::payload_blocks`] would return.
    pub fn payload_block_keys(
        &self,
        fields: &[String],
        min_points: usize,
        max_points: usize,
    ) -> Vec<BlockKey> {
        let mut out = Vec::new();
        for field in fields {
            let Some(values) = self
                .payload_index
                .get(field)
                .and_then(|i| i.value_bitmaps())
            else {
                continue;
            };
            for (key, bitmap) in values {
                let Some(value) = BlockValue::of(key) else {
                    continue;
                };
                if (min_points.max(1)..=max_points).contains(&(bitmap.len() as usize)) {
                    out.push(BlockKey {
                        field: field.clone(),
                        value,
                    });
                }
            }
        }
        out
    }

    /// The payload blocks of the graph of `name`.
    pub fn graph_blocks(&self, name: &str) -> Vec<BlockKey> {
        self.graphs
            .get(name)
            .map(|g| g.blocks.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The subgraph of one payload block.
    pub fn block_index(&self, name: &str, key: &BlockKey) -> Option<&HnswIndex> {
        self.graphs.get(name)?.blocks.get(key)
    }

    /// Adds payload-aware subgraphs to the graph of `name`.
    ///
    /// Points of a block's value that its graph lacks (their payload took
    /// the value after the graph was built, e.g. before a restart that
    /// loads an older block file) are marked as touched: block walks check
    /// them exactly.
    pub fn install_blocks(&mut self, name: &str, blocks: Vec<(BlockKey, HnswIndex)>) {
        if !self.graphs.contains_key(name) {
            return;
        }
        let storage = self.vectors.get(name);
        for (key, index) in &blocks {
            let Some(current) = self
                .payload_index
                .get(&key.field)
                .and_then(|i| i.value_bitmaps())
                .and_then(|values| values.get(&key.value.index_key()))
            else {
                continue;
            };
            let covered: RoaringBitmap = index.offsets().iter().copied().collect();
            let lacking: Vec<u32> = (current - &covered)
                .into_iter()
                .filter(|&o| self.ids.is_live(o) && storage.is_some_and(|s| s.has(o)))
                .collect();
            self.payload_touched.extend(lacking);
        }
        if let Some(graph) = self.graphs.get_mut(name) {
            graph.blocks.extend(blocks);
        }
    }

    /// The quantization method of the graph of `name`, if any.
    pub fn graph_quantization(&self, name: &str) -> Option<Method> {
        self.graphs.get(name)?.quantized.as_ref().map(|(m, _)| *m)
    }

    /// The graph of `name`, if any.
    pub fn graph_index(&self, name: &str) -> Option<&HnswIndex> {
        self.graphs.get(name).map(|g| &g.index)
    }

    /// The graph of `name` when it covers exactly the live points with a
    /// vector `name`, as nodes in offset order: a graph a merge can keep
    /// for the copy of these points made in [`Segment::iter_by_offset`]
    /// order.
    pub fn reusable_graph(&self, name: &str) -> Option<&HnswIndex> {
        let graph = self.graphs.get(name)?;
        let nodes = graph.index.offsets();
        let in_order = nodes.windows(2).all(|w| w[0] < w[1]);
        (in_order
            && graph.stale.is_empty()
            && self.indexed_count(name) == nodes.len()
            && self.unindexed_count(name) == 0)
            .then_some(&graph.index)
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
                blocks: BTreeMap::new(),
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
        // the planner's scans of a small filtered set read the quantized
        // codes when there are some (4x+ fewer bytes), preselecting
        // `limit * oversampling` and rescoring those with the originals
        let vectors = DenseVectors {
            data: data.as_slice(),
            dim: *dim,
            distance,
        };
        let prepared = DenseQuery::new(data.element(), query);
        let sim = |o: u32| vectors.similarity_to(&prepared, o);
        let scan = || match graph
            .quantized
            .as_ref()
            .filter(|_| !params.quantization.ignore && graph.stale.is_empty())
        {
            None => exact(),
            Some((_, quantized)) => {
                let q = quantized.query(query);
                let wanted =
                    ((top as f64) * params.quantization.oversampling.max(1.0)).ceil() as usize;
                let mut pre = TopK::new(wanted);
                let mut offer = |o: u32| {
                    if present.get(o as usize).copied().unwrap_or(false) {
                        pre.push(ScoredOffset {
                            similarity: quantized.similarity(&q, o),
                            offset: o,
                        });
                    }
                };
                match &exact_set {
                    Some(set) => set.iter().for_each(&mut offer),
                    None => self.filtered_from(filter, None).for_each(|(_, o)| offer(o)),
                }
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
                best.into_sorted()
            }
        };
        if filter.is_some() && (self.estimate(filter).max as usize) < params.full_scan_threshold {
            return scan();
        }
        // a filter on a value with its own subgraph walks that subgraph; its
        // points whose payload changed since are checked exactly below
        let block = filter.and_then(|f| BlockKey::candidates(f).find_map(|k| graph.blocks.get(&k)));
        // a filter the indexes decide exactly has a known size: below the
        // threshold it is scored in full (Qdrant's `full_scan_threshold`),
        // above it the graph is walked; a block's own graph beats both
        if let (Some(set), None) = (&exact_set, block) {
            if (set.len() as usize) < params.full_scan_threshold {
                return scan();
            }
        }
        let candidates = if exact_set.is_some() {
            None
        } else {
            filter.and_then(|f| self.candidates_for(f))
        };
        let accept = |o: u32| {
            self.ids.is_live(o)
                && !graph.stale.contains(o)
                && match &exact_set {
                    Some(set) => set.contains(o),
                    None => {
                        candidates.as_ref().is_none_or(|c| c.contains(o))
                            && filter.is_none_or(|f| self.matches(o, f))
                    }
                }
        };
        let walked = block.unwrap_or(&graph.index);
        let mut best = TopK::new(top);
        let mut seen = std::collections::HashSet::new();
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
                && exact_set.as_ref().map_or_else(
                    || filter.is_none_or(|f| self.matches(o, f)),
                    |s| s.contains(o),
                )
        };
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
