//! Greedy and beam search over graph levels.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use super::visited::{with_visited, Visited};
use super::HnswIndex;
use crate::segment::search::ScoredOffset;

/// A node with its similarity to the query (larger is better).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Cand {
    pub sim: f32,
    pub node: u32,
}

impl Eq for Cand {}

impl Ord for Cand {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sim
            .total_cmp(&other.sim)
            .then_with(|| other.node.cmp(&self.node))
    }
}

impl PartialOrd for Cand {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Beam search on one level from `entries`, keeping the `ef` best nodes that
/// `accept` admits (all nodes are traversed). Returns them best first.
/// `prefetch` hints a node's vector ahead of scoring it, `prefetch_links`
/// its links ahead of expanding it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn search_layer(
    entries: &[Cand],
    ef: usize,
    visited: &mut Visited,
    mut neighbors: impl FnMut(u32, &mut Vec<u32>),
    sim: impl Fn(u32) -> f32,
    accept: impl Fn(u32) -> bool,
    prefetch: impl Fn(u32),
    prefetch_links: impl Fn(u32),
) -> Vec<Cand> {
    let mut candidates: BinaryHeap<Cand> = BinaryHeap::new();
    let mut results: BinaryHeap<Reverse<Cand>> = BinaryHeap::new();
    for &e in entries {
        if visited.check_and_mark(e.node) {
            continue;
        }
        candidates.push(e);
        if accept(e.node) {
            results.push(Reverse(e));
        }
    }
    while results.len() > ef {
        results.pop();
    }
    let mut buf = Vec::new();
    let mut fresh = Vec::new();
    while let Some(c) = candidates.pop() {
        if results.len() >= ef {
            if let Some(worst) = results.peek() {
                if c.sim < worst.0.sim {
                    break;
                }
            }
        }
        // the next best candidate is most likely expanded next: its links
        // load while this one's are read and its neighbours scored
        if let Some(next) = candidates.peek() {
            prefetch_links(next.node);
        }
        buf.clear();
        neighbors(c.node, &mut buf);
        // first mark and prefetch every new neighbour, then score them, so
        // their vectors are on their way while the first ones are scored
        fresh.clear();
        for &n in &buf {
            if !visited.check_and_mark(n) {
                prefetch(n);
                fresh.push(n);
            }
        }
        for &n in &fresh {
            let s = sim(n);
            let full = results.len() >= ef;
            let worst = results.peek().map_or(f32::NEG_INFINITY, |w| w.0.sim);
            if !full || s > worst {
                candidates.push(Cand { sim: s, node: n });
                if accept(n) {
                    results.push(Reverse(Cand { sim: s, node: n }));
                    if results.len() > ef {
                        results.pop();
                    }
                }
            }
        }
    }
    let mut out: Vec<Cand> = results.into_iter().map(|r| r.0).collect();
    out.sort_by(|a, b| b.cmp(a));
    out
}

/// Greedy descent on one level: moves to the best neighbour until none is
/// better.
pub(crate) fn greedy(
    start: Cand,
    mut neighbors: impl FnMut(u32, &mut Vec<u32>),
    sim: impl Fn(u32) -> f32,
) -> Cand {
    let mut cur = start;
    let mut buf = Vec::new();
    loop {
        let mut improved = false;
        buf.clear();
        neighbors(cur.node, &mut buf);
        for &n in &buf {
            let s = sim(n);
            if s > cur.sim {
                cur = Cand { sim: s, node: n };
                improved = true;
            }
        }
        if !improved {
            return cur;
        }
    }
}

impl HnswIndex {
    /// The `top` best points for a query, given its similarity to each
    /// segment offset, among offsets `accept` admits; `ef` is the beam width.
    pub fn search(
        &self,
        top: usize,
        ef: usize,
        sim_to_offset: impl Fn(u32) -> f32,
        accept: impl Fn(u32) -> bool,
    ) -> Vec<ScoredOffset> {
        self.search_with_prefetch(top, ef, sim_to_offset, accept, |_| {})
    }

    /// [`HnswIndex::search`] with a hint that loads a segment offset's
    /// vector ahead of scoring it.
    pub fn search_with_prefetch(
        &self,
        top: usize,
        ef: usize,
        sim_to_offset: impl Fn(u32) -> f32,
        accept: impl Fn(u32) -> bool,
        prefetch: impl Fn(u32),
    ) -> Vec<ScoredOffset> {
        let Some(entry) = self.entry else {
            return Vec::new();
        };
        let sim = |node: u32| sim_to_offset(self.offset_of(node));
        let mut cur = Cand {
            sim: sim(entry),
            node: entry,
        };
        for level in (1..=self.levels[entry as usize] as usize).rev() {
            cur = greedy(
                cur,
                |n, buf| buf.extend_from_slice(self.links(n, level)),
                sim,
            );
        }
        let found = with_visited(self.len(), |visited| {
            search_layer(
                &[cur],
                ef.max(top),
                visited,
                |n, buf| buf.extend_from_slice(self.links0(n)),
                sim,
                |n| accept(self.offset_of(n)),
                |n| prefetch(self.offset_of(n)),
                |n| super::prefetch_row(&self.layer0, n, self.m0),
            )
        });
        found
            .into_iter()
            .take(top)
            .map(|c| ScoredOffset {
                similarity: c.sim,
                offset: self.offset_of(c.node),
            })
            .collect()
    }
}
