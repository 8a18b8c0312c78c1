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

use super::Segment;
use crate::distance::Distance;
use crate::filter::{Condition, FieldCheck, FieldCondition, Filter, Match, MatchValue};
use crate::hnsw::{DenseVectors, HnswBuilder, HnswIndex, HnswParams};
use crate::payload_index::field_index::IndexKey;
use crate::quantization::{Method, QuantizedVectors};
use crate::vector_storage::{DenseData, VectorStorage};

/// A built graph and what it covers.
#[derive(Debug)]
pub struct VectorGraph {
    pub(super) index: HnswIndex,
    /// Quantized vectors for traversal, with the method that made them.
    pub(super) quantized: Option<(Method, QuantizedVectors)>,
    /// Payload-aware subgraphs: one graph over the points of each large
    /// value of a tenant-like field, walked when a filter asks for it.
    pub(super) blocks: BTreeMap<BlockKey, HnswIndex>,
    /// Offsets in the graph.
    pub(super) covered: RoaringBitmap,
    /// Offsets whose vectors changed (or appeared) since the snapshot the
    /// graph was built from: scored exactly.
    pub(super) stale: RoaringBitmap,
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
    pub(super) fn candidates(filter: &Filter) -> impl Iterator<Item = BlockKey> + '_ {
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
        // sparse vectors are indexed as they are written (inverted lists),
        // and Qdrant counts every stored one
        if let Some(storage @ VectorStorage::Sparse(_)) = self.vectors.get(name) {
            return self.ids.live_offsets().filter(|&o| storage.has(o)).count();
        }
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
}
