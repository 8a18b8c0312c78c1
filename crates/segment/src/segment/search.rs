//! Exact nearest-neighbour search over a segment's vectors.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use super::Segment;
use crate::distance::{max_sim, sparse_dot, Distance};
use crate::filter::Filter;
use crate::hnsw::DenseVectors;
use crate::vector_storage::{DenseQuery, VectorStorage};
use crate::vectors::SparseVector;

/// A query vector.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryVector {
    /// Dense (normalized by the caller for Cosine).
    Dense(Vec<f32>),
    /// Sparse.
    Sparse(SparseVector),
    /// Multi-dense (each sub-vector normalized by the caller for Cosine).
    Multi(Vec<Vec<f32>>),
}

/// One search hit: a similarity where larger is better, and the offset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoredOffset {
    /// Ranking similarity (negated distance for Euclid / Manhattan).
    pub similarity: f32,
    /// Internal offset.
    pub offset: u32,
}

impl Eq for ScoredOffset {}

impl Ord for ScoredOffset {
    /// Better hits compare greater: higher similarity, then lower offset.
    fn cmp(&self, other: &Self) -> Ordering {
        self.similarity
            .total_cmp(&other.similarity)
            .then_with(|| other.offset.cmp(&self.offset))
    }
}

impl PartialOrd for ScoredOffset {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Keeps the `k` best hits seen.
pub struct TopK {
    k: usize,
    heap: BinaryHeap<std::cmp::Reverse<ScoredOffset>>,
}

impl TopK {
    /// An empty collector of `k` hits.
    pub fn new(k: usize) -> Self {
        TopK {
            k,
            heap: BinaryHeap::with_capacity(k + 1),
        }
    }

    /// Offers a hit.
    #[inline]
    pub fn push(&mut self, hit: ScoredOffset) {
        if self.k == 0 {
            return;
        }
        if self.heap.len() < self.k {
            self.heap.push(std::cmp::Reverse(hit));
        } else if let Some(worst) = self.heap.peek() {
            if hit > worst.0 {
                self.heap.pop();
                self.heap.push(std::cmp::Reverse(hit));
            }
        }
    }

    /// The hits, best first.
    pub fn into_sorted(self) -> Vec<ScoredOffset> {
        let mut v: Vec<ScoredOffset> = self.heap.into_iter().map(|r| r.0).collect();
        v.sort_by(|a, b| b.cmp(a));
        v
    }
}

/// Inverse document frequency of each sparse index from document
/// frequencies over `n` points: `ln(1 + (N - n + 0.5) / (n + 0.5))`.
pub fn idf(n: u32, df: &HashMap<u32, u32>) -> Idf {
    let weight = |d: u32| {
        let (n, d) = (n as f32, d as f32);
        (1.0 + (n - d + 0.5) / (d + 0.5)).ln()
    };
    Idf {
        weights: df.iter().map(|(&i, &d)| (i, weight(d))).collect(),
        absent: weight(0),
    }
}

/// Inverse document frequencies of the indices of a sparse vector.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Idf {
    weights: HashMap<u32, f32>,
    /// The weight of an index no document of the corpus has.
    absent: f32,
}

impl Idf {
    /// The weight of `index`.
    pub fn weight(&self, index: u32) -> f32 {
        self.weights.get(&index).copied().unwrap_or(self.absent)
    }
}

impl Segment {
    /// Document frequencies of the sparse vector `name`: how many live
    /// points have it, and how many of them use each index.
    pub fn sparse_df(&self, name: &str, corpus: Option<&Filter>) -> (u32, HashMap<u32, u32>) {
        let Some(VectorStorage::Sparse(data)) = self.vectors.get(name) else {
            return (0, HashMap::new());
        };
        let mut df: HashMap<u32, u32> = HashMap::new();
        let mut n = 0u32;
        for offset in self.ids.live_offsets() {
            if corpus.is_some_and(|f| !self.matches(offset, f)) {
                continue;
            }
            if let Some(Some(v)) = data.get(offset as usize) {
                n += 1;
                for i in &v.indices {
                    *df.entry(*i).or_default() += 1;
                }
            }
        }
        (n, df)
    }

    /// The `top` points with the highest `score` of their stored vector
    /// `name` (points where it returns `None` are skipped), among those
    /// matching `filter`: for scorings no index serves (recommendation by
    /// best or summed example scores).
    pub fn scan_scored(
        &self,
        name: &str,
        filter: Option<&Filter>,
        top: usize,
        score: impl Fn(&crate::vectors::Vector) -> Option<f32>,
    ) -> Vec<ScoredOffset> {
        let Some(storage) = self.vectors.get(name) else {
            return Vec::new();
        };
        let mut best = TopK::new(top);
        for (_, offset) in self.filtered_from(filter, None) {
            if let Some(similarity) = storage.get(offset).as_ref().and_then(&score) {
                best.push(ScoredOffset { similarity, offset });
            }
        }
        best.into_sorted()
    }

    /// The `top` most similar points to `query` in the vector storage
    /// `name`, among those matching `filter`, best first.
    pub fn search_exact(
        &self,
        name: &str,
        query: &QueryVector,
        distance: Distance,
        filter: Option<&Filter>,
        idf: Option<&Idf>,
        top: usize,
    ) -> Vec<ScoredOffset> {
        let exact_set = filter.and_then(|f| self.payload_index().exact_matches(f));
        self.search_exact_in(name, query, distance, filter, exact_set.as_ref(), idf, top)
    }

    /// [`Segment::search_exact`] given the filter's exact match set when the
    /// indexes decide it (`exact_set`), which is then scored directly.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn search_exact_in(
        &self,
        name: &str,
        query: &QueryVector,
        distance: Distance,
        filter: Option<&Filter>,
        exact_set: Option<&roaring::RoaringBitmap>,
        idf: Option<&Idf>,
        top: usize,
    ) -> Vec<ScoredOffset> {
        let Some(storage) = self.vectors.get(name) else {
            return Vec::new();
        };
        let mut best = TopK::new(top);
        let dense = match (storage, query) {
            (VectorStorage::Dense { dim, data, .. }, QueryVector::Dense(q)) => Some((
                DenseVectors {
                    data: data.as_slice(),
                    dim: *dim,
                    distance,
                },
                DenseQuery::new(data.element(), q),
            )),
            _ => None,
        };
        let score = |offset: u32| -> Option<f32> {
            match (storage, query) {
                (VectorStorage::Dense { present, .. }, QueryVector::Dense(_)) => {
                    let (vectors, q) = dense.as_ref()?;
                    (*present.get(offset as usize)?).then(|| vectors.similarity_to(q, offset))
                }
                (VectorStorage::Multi { data, .. }, QueryVector::Multi(q)) => data
                    .get(offset as usize)?
                    .as_ref()
                    .map(|d| max_sim(distance, q, d)),
                (VectorStorage::Sparse(data), QueryVector::Sparse(q)) => {
                    let d = data.get(offset as usize)?.as_ref()?;
                    let overlap = d.indices.iter().any(|i| q.indices.binary_search(i).is_ok());
                    overlap.then(|| match idf {
                        Some(idf) => {
                            let weighted: Vec<f32> = q
                                .indices
                                .iter()
                                .zip(&q.values)
                                .map(|(i, v)| v * idf.weight(*i))
                                .collect();
                            sparse_dot(&q.indices, &weighted, &d.indices, &d.values)
                        }
                        None => sparse_dot(&q.indices, &q.values, &d.indices, &d.values),
                    })
                }
                _ => None,
            }
        };
        let offer = |offset: u32| {
            if let Some(similarity) = score(offset) {
                best.push(ScoredOffset { similarity, offset });
            }
        };
        let prefetch = |offset: u32| {
            if let Some((vectors, _)) = &dense {
                vectors.prefetch(offset);
            }
        };
        self.each_candidate(filter, exact_set, prefetch, offer);
        best.into_sorted()
    }

    /// Calls `f` on every live offset matching `filter` in offset order:
    /// the members of `exact_set` when the indexes decide the filter
    /// exactly, else the points the filter accepts. The matching points of a
    /// filter lie scattered over the storage: `prefetch` asks for each one's
    /// data a few points ahead of `f`.
    pub(crate) fn each_candidate(
        &self,
        filter: Option<&Filter>,
        exact_set: Option<&roaring::RoaringBitmap>,
        prefetch: impl Fn(u32),
        f: impl FnMut(u32),
    ) {
        match (filter, exact_set) {
            // slots in order: the vectors are read front to back
            (None, _) => self.ids.live_offsets().for_each(f),
            (Some(_), Some(set)) => each_prefetched(set.iter(), prefetch, f),
            (Some(_), None) => each_prefetched(
                self.filtered_from(filter, None).map(|(_, o)| o),
                prefetch,
                f,
            ),
        }
    }
}

/// How many offsets ahead of the one scored a scan asks for vectors.
const PREFETCH_AHEAD: usize = 4;

/// Calls `f` on each of `offsets` in order after hinting the load of the
/// offset [`PREFETCH_AHEAD`] places later: a scan of scattered vectors
/// then overlaps its memory reads instead of waiting on each in turn.
pub(crate) fn each_prefetched(
    offsets: impl Iterator<Item = u32>,
    prefetch: impl Fn(u32),
    mut f: impl FnMut(u32),
) {
    let mut ring = [0u32; PREFETCH_AHEAD];
    let mut n = 0usize;
    for offset in offsets {
        prefetch(offset);
        let slot = &mut ring[n % PREFETCH_AHEAD];
        if n >= PREFETCH_AHEAD {
            f(*slot);
        }
        *slot = offset;
        n += 1;
    }
    for i in n.saturating_sub(PREFETCH_AHEAD)..n {
        f(ring[i % PREFETCH_AHEAD]);
    }
}

#[cfg(test)]
mod prefetch_tests {
    use super::each_prefetched;

    #[test]
    fn every_offset_is_visited_once_in_order() {
        for n in [0u32, 1, 3, 4, 5, 17] {
            let mut seen = Vec::new();
            let hinted = std::cell::RefCell::new(Vec::new());
            each_prefetched(0..n, |o| hinted.borrow_mut().push(o), |o| seen.push(o));
            assert_eq!(seen, (0..n).collect::<Vec<_>>());
            assert_eq!(*hinted.borrow(), seen);
        }
    }
}
