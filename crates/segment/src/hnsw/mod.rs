//! Hierarchical navigable small-world graph over dense vectors.
//!
//! Graph nodes are numbered `0..n` and map to segment offsets through
//! `offsets` (skipped when node `i` is offset `i`, as in a segment without
//! deletions). Level 0 keeps its links in one flat array with `m0` fixed
//! slots per node, used from the front (the first unused slot holds
//! `u32::MAX`: a walk reads one row and nothing else); the few nodes on
//! upper levels keep theirs in small vectors. Building inserts nodes in
//! parallel (rayon) with a lock per node, or sequentially for reproducible
//! graphs in tests.

mod build;
mod persist;
mod search;
mod visited;

use crate::distance::Distance;
use crate::vector_storage::{DenseQuery, DenseSlice};

pub use build::HnswBuilder;

/// Build parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HnswParams {
    /// Links per node on upper levels (level 0 has `2 * m`).
    pub m: usize,
    /// Candidates considered while linking a new node.
    pub ef_construct: usize,
    /// Seed of the level generator.
    pub seed: u64,
    /// Build on one thread, in insertion order, for a reproducible graph.
    pub deterministic: bool,
}

impl Default for HnswParams {
    fn default() -> Self {
        HnswParams {
            m: 16,
            ef_construct: 100,
            seed: 42,
            deterministic: false,
        }
    }
}

/// Read access to the vectors a graph is built over, in their stored
/// element type.
#[derive(Clone, Copy)]
pub struct DenseVectors<'a> {
    /// `dim` elements per offset.
    pub data: DenseSlice<'a>,
    /// Dimension.
    pub dim: usize,
    /// Distance function.
    pub distance: Distance,
}

impl DenseVectors<'_> {
    /// Ranking similarity (larger is better) of two stored vectors.
    #[inline]
    pub fn similarity(&self, a: u32, b: u32) -> f32 {
        match self.data {
            DenseSlice::F32(t) => self.distance.similarity(t.get(a), t.get(b)),
            DenseSlice::F16(t) => F16_BUF.with_borrow_mut(|buf| {
                buf.clear();
                buf.extend(t.get(a).iter().map(|x| x.to_f32()));
                self.distance.similarity_f16(buf, t.get(b))
            }),
            DenseSlice::U8(t) => self.distance.similarity_u8(t.get(a), t.get(b)),
            DenseSlice::Turbo4(t, codec) => {
                let (ca, cb) = (t.get(a), t.get(b));
                let dot = codec.dot(&codec.rotated(ca), cb);
                turbo_similarity(self.distance, dot, codec.norm(ca), codec.norm(cb), || {
                    (codec.decode(ca), codec.decode(cb))
                })
            }
        }
    }

    /// Similarity of a stored vector to a query prepared for this storage.
    #[inline]
    pub fn similarity_to(&self, query: &DenseQuery, offset: u32) -> f32 {
        match (self.data, query) {
            (DenseSlice::F32(t), DenseQuery::F32(q)) => self.distance.similarity(q, t.get(offset)),
            (DenseSlice::F16(t), DenseQuery::F32(q)) => {
                self.distance.similarity_f16(q, t.get(offset))
            }
            (DenseSlice::U8(t), DenseQuery::U8(q)) => self.distance.similarity_u8(q, t.get(offset)),
            (
                DenseSlice::Turbo4(t, codec),
                DenseQuery::Turbo {
                    rotated,
                    raw,
                    norm2,
                },
            ) => {
                let code = t.get(offset);
                let dot = codec.dot(rotated, code);
                turbo_similarity(self.distance, dot, norm2.sqrt(), codec.norm(code), || {
                    (raw.clone(), codec.decode(code))
                })
            }
            _ => f32::NEG_INFINITY,
        }
    }

    /// Hints the CPU to load the whole vector at `offset` into cache (every
    /// cache line of it: the hardware prefetcher alone would fetch the
    /// lines one stream at a time, after the first miss).
    #[inline]
    pub fn prefetch(&self, offset: u32) {
        let (ptr, bytes) = match self.data {
            DenseSlice::F32(t) => {
                let v = t.get(offset);
                (v.as_ptr() as *const u8, std::mem::size_of_val(v))
            }
            DenseSlice::F16(t) => {
                let v = t.get(offset);
                (v.as_ptr() as *const u8, std::mem::size_of_val(v))
            }
            DenseSlice::U8(t) | DenseSlice::Turbo4(t, _) => {
                let v = t.get(offset);
                (v.as_ptr(), v.len())
            }
        };
        prefetch_range(ptr, bytes);
    }
}

/// Ranking similarity from a dot product and both norms (Manhattan, which
/// rotations do not keep, compares the decoded vectors).
#[inline]
fn turbo_similarity(
    distance: Distance,
    dot: f32,
    norm_a: f32,
    norm_b: f32,
    decoded: impl FnOnce() -> (Vec<f32>, Vec<f32>),
) -> f32 {
    match distance {
        Distance::Cosine | Distance::Dot => dot,
        Distance::Euclid => -(norm_a * norm_a + norm_b * norm_b - 2.0 * dot)
            .max(0.0)
            .sqrt(),
        Distance::Manhattan => {
            let (a, b) = decoded();
            distance.similarity(&a, &b)
        }
    }
}

thread_local! {
    /// Scratch space for widening one f16 vector during graph builds.
    static F16_BUF: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Prefetches the cache line at `ptr` (a hint; no effect on other targets).
#[inline]
pub fn prefetch(ptr: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults and reads nothing observable; `ptr`
    // points into a live slice.
    unsafe {
        std::arch::x86_64::_mm_prefetch(ptr as *const i8, std::arch::x86_64::_MM_HINT_T0);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = ptr;
}

/// Prefetches every cache line of `bytes` bytes from `ptr`.
#[inline]
pub fn prefetch_range(ptr: *const u8, bytes: usize) {
    let mut at = 0;
    while at < bytes {
        prefetch(ptr.wrapping_add(at));
        at += 64;
    }
}

/// A built, read-only graph.
#[derive(Debug, Clone)]
pub struct HnswIndex {
    m: usize,
    m0: usize,
    /// Segment offset of each node.
    offsets: NodeOffsets,
    /// Top level of each node.
    levels: Vec<u8>,
    /// `m0` slots per node, the used ones first.
    layer0: Links,
    /// Links of levels `1..=levels[node]` of the nodes above level 0.
    upper: Upper,
    entry: Option<u32>,
}

/// The flat level-0 array: built in memory, or mapped from a graph file.
#[derive(Debug, Clone)]
enum Links {
    Owned(Vec<u32>),
    Mapped(std::sync::Arc<persist::MappedLinks>),
}

impl std::ops::Deref for Links {
    type Target = [u32];

    #[inline]
    fn deref(&self) -> &[u32] {
        match self {
            Links::Owned(v) => v,
            Links::Mapped(m) => m.as_slice(),
        }
    }
}

/// The links above level 0, kept for the few nodes that have some (about
/// one in `m`): a per-node table would cost more than the links.
#[derive(Debug, Clone, Default, PartialEq)]
struct Upper {
    /// Nodes with upper levels, ascending.
    nodes: Vec<u32>,
    /// Their links on levels `1..`, in the order of `nodes`.
    lists: Vec<Vec<Vec<u32>>>,
}

impl Upper {
    /// Adds the upper-level links of `node` (above every node added so
    /// far); nodes without upper levels are skipped.
    fn push(&mut self, node: u32, levels: Vec<Vec<u32>>) {
        debug_assert!(self.nodes.last().is_none_or(|&last| last < node));
        if !levels.is_empty() {
            self.nodes.push(node);
            self.lists.push(levels);
        }
    }

    /// Links of `node` on `level` (at least 1).
    fn links(&self, node: u32, level: usize) -> &[u32] {
        self.nodes
            .binary_search(&node)
            .ok()
            .and_then(|i| self.lists[i].get(level - 1))
            .map_or(&[][..], Vec::as_slice)
    }

    /// Nodes with upper levels and their links, by node.
    fn iter(&self) -> impl Iterator<Item = (u32, &[Vec<u32>])> {
        self.nodes
            .iter()
            .copied()
            .zip(self.lists.iter().map(Vec::as_slice))
    }
}

/// Marks an unused slot in the flat level-0 array.
const EMPTY: u32 = u32::MAX;

/// The segment offset of each graph node; the lookup is skipped when node
/// `i` is offset `i` for every node (a segment without deletions).
#[derive(Debug, Clone)]
struct NodeOffsets {
    offsets: Vec<u32>,
    identity: bool,
}

impl NodeOffsets {
    fn new(offsets: Vec<u32>) -> Self {
        let identity = offsets.iter().enumerate().all(|(i, &o)| o as usize == i);
        NodeOffsets { offsets, identity }
    }

    /// Number of nodes.
    fn len(&self) -> usize {
        self.offsets.len()
    }

    /// The segment offset of `node`.
    #[inline]
    fn of(&self, node: u32) -> u32 {
        match self.identity {
            true => node,
            false => self.offsets[node as usize],
        }
    }
}

/// Prefetches the level-0 row of `node` in a flat array of `m0` slots per
/// node.
#[inline]
fn prefetch_row<T>(rows: &[T], node: u32, m0: usize) {
    let row = rows.as_ptr().wrapping_add(node as usize * m0);
    prefetch_range(row as *const u8, m0 * std::mem::size_of::<T>());
}

impl HnswIndex {
    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.offsets.len()
    }

    /// Whether the graph has no node.
    pub fn is_empty(&self) -> bool {
        self.offsets.len() == 0
    }

    /// Segment offsets covered by the graph, by node.
    pub fn offsets(&self) -> &[u32] {
        &self.offsets.offsets
    }

    /// Level-0 links of a node.
    #[inline]
    fn links0(&self, node: u32) -> &[u32] {
        let at = node as usize * self.m0;
        let row = &self.layer0[at..at + self.m0];
        &row[..row.iter().position(|&l| l == EMPTY).unwrap_or(self.m0)]
    }

    /// The segment offset of a node.
    #[inline]
    fn offset_of(&self, node: u32) -> u32 {
        self.offsets.of(node)
    }

    /// Links of a node on `level`.
    #[inline]
    fn links(&self, node: u32, level: usize) -> &[u32] {
        if level == 0 {
            self.links0(node)
        } else {
            self.upper.links(node, level)
        }
    }

    /// Links per node on upper levels.
    pub fn m(&self) -> usize {
        self.m
    }
}

#[cfg(test)]
mod tests;
