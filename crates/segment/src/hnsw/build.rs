//! Graph construction.

use std::sync::atomic::{AtomicU16, AtomicU32, Ordering};

use parking_lot::{Mutex, RwLock};
use rayon::prelude::*;

use super::search::{greedy, search_layer, Cand};
use super::visited::with_visited;
use super::{DenseVectors, HnswIndex, HnswParams, EMPTY};

/// Builds an [`HnswIndex`] over the vectors at given segment offsets.
pub struct HnswBuilder<'a> {
    params: HnswParams,
    vectors: DenseVectors<'a>,
    offsets: super::NodeOffsets,
    levels: Vec<u8>,
    /// Level-0 links in one flat array, `m0` slots per node (written under
    /// the node's lock in `upper`, read without it).
    links0: Vec<AtomicU32>,
    /// Used level-0 slots per node.
    counts0: Vec<AtomicU16>,
    /// Per node, its lock and its links on levels `1..=level`.
    upper: Vec<RwLock<Vec<Vec<u32>>>>,
    /// Entry node and top level.
    entry: Mutex<Option<(u32, u8)>>,
    /// Compact codes that guide the searches of the build (4x fewer bytes
    /// per hop with int8); the links are chosen by exact similarities.
    codes: Option<&'a crate::quantization::QuantizedVectors>,
    /// Nodes `0..based` come linked from an earlier graph
    /// ([`HnswBuilder::with_base`]); the build inserts the others.
    based: usize,
}

/// A node's level from a hash of the seed and node number: geometric with
/// ratio `1 / m`, so each level holds about `1 / m` of the one below.
fn random_level(seed: u64, node: u32, m: usize) -> u8 {
    let mut x = seed ^ (node as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^= x >> 33;
    let u = ((x >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    let ml = 1.0 / (m.max(2) as f64).ln();
    ((-u.ln() * ml).floor() as u32).min(15) as u8
}

impl<'a> HnswBuilder<'a> {
    /// Prepares a build over `offsets`.
    pub fn new(params: HnswParams, vectors: DenseVectors<'a>, offsets: Vec<u32>) -> Self {
        let params = HnswParams {
            m: params.m.max(2),
            ef_construct: params.ef_construct.max(4),
            ..params
        };
        let levels: Vec<u8> = (0..offsets.len() as u32)
            .map(|n| random_level(params.seed, n, params.m))
            .collect();
        let upper = levels
            .iter()
            .map(|&l| RwLock::new(vec![Vec::new(); l as usize]))
            .collect();
        let m0 = params.m * 2;
        HnswBuilder {
            params,
            vectors,
            links0: crate::huge_pages::collect(
                offsets.len() * m0,
                std::iter::repeat_with(|| AtomicU32::new(EMPTY)),
            ),
            counts0: (0..offsets.len()).map(|_| AtomicU16::new(0)).collect(),
            offsets: super::NodeOffsets::new(offsets),
            levels,
            upper,
            entry: Mutex::new(None),
            codes: None,
            based: 0,
        }
    }

    /// Starts from the links of `base`, a graph whose node `i` is node `i`
    /// here (the same vectors, in the same order, before any other): the
    /// build then inserts only the nodes after them. This is how a merge
    /// keeps the graph of its largest segment instead of building it
    /// again. A base of another `m`, or larger than this graph, is ignored.
    pub fn with_base(mut self, base: Option<&HnswIndex>) -> Self {
        let Some(base) = base.filter(|b| {
            b.m == self.params.m
                && b.m0 == self.params.m * 2
                && b.len() <= self.offsets.len()
                && b.entry.is_some()
        }) else {
            return self;
        };
        let m0 = self.params.m * 2;
        for node in 0..base.len() {
            let links = base.links0(node as u32);
            for (slot, &link) in self.links0[node * m0..].iter_mut().zip(links) {
                *slot.get_mut() = link;
            }
            *self.counts0[node].get_mut() = links.len() as u16;
            let level = base.levels[node];
            self.levels[node] = level;
            *self.upper[node].get_mut() = (1..=level as usize)
                .map(|l| base.upper.links(node as u32, l).to_vec())
                .collect();
        }
        let entry = base.entry.expect("checked above");
        *self.entry.get_mut() = Some((entry, base.levels[entry as usize]));
        self.based = base.len();
        self
    }

    /// Guides the build's searches with `codes` (of the same vectors, at
    /// the same offsets) when the vectors are f32.
    pub fn with_codes(mut self, codes: Option<&'a crate::quantization::QuantizedVectors>) -> Self {
        if matches!(self.vectors.data, crate::vector_storage::DenseSlice::F32(_)) {
            self.codes = codes;
        }
        self
    }

    /// The segment offset of a node.
    #[inline]
    fn offset_of(&self, node: u32) -> u32 {
        self.offsets.of(node)
    }

    fn sim(&self, a: u32, b: u32) -> f32 {
        self.vectors
            .similarity(self.offset_of(a), self.offset_of(b))
    }

    fn max_links(&self, level: usize) -> usize {
        if level == 0 {
            self.params.m * 2
        } else {
            self.params.m
        }
    }

    /// Keeps candidates (best first, similarities to `base`) that are closer
    /// to `base` than to any already kept one, up to `limit`.
    fn select(&self, candidates: &[Cand], limit: usize) -> Vec<u32> {
        let mut kept: Vec<u32> = Vec::with_capacity(limit);
        for c in candidates {
            if kept.len() >= limit {
                break;
            }
            // a tie keeps the candidate: an exact duplicate of `base` would
            // otherwise shadow every other candidate and leave `base` with a
            // single link
            if kept.iter().all(|&k| self.sim(c.node, k) <= c.sim) {
                kept.push(c.node);
            }
        }
        kept
    }

    fn neighbors(&self, node: u32, level: usize, buf: &mut Vec<u32>) {
        if level == 0 {
            // no lock: the slots are atomics and a row ends at its first
            // empty slot, so a row being rewritten reads as a mix of its
            // old and new links, every one of them a node; acquiring a link
            // to a new node also makes the links it stored before visible
            let at = node as usize * self.params.m * 2;
            buf.extend(
                self.links0[at..at + self.params.m * 2]
                    .iter()
                    .map(|l| l.load(Ordering::Acquire))
                    .take_while(|&l| l != EMPTY),
            );
        } else if let Some(list) = self.upper[node as usize].read().get(level - 1) {
            buf.extend_from_slice(list);
        }
    }

    /// Replaces the level-0 links of `node` (its lock held by the caller).
    fn store0(&self, node: u32, list: &[u32]) {
        let m0 = self.params.m * 2;
        let at = node as usize * m0;
        let used = list.len().min(m0);
        let old = self.counts0[node as usize].load(Ordering::Relaxed) as usize;
        for (slot, &l) in self.links0[at..at + used].iter().zip(list) {
            slot.store(l, Ordering::Release);
        }
        // the slots after the used ones stay empty: a finished graph's rows
        // end at the first empty slot
        for slot in &self.links0[at + used..at + old.max(used)] {
            slot.store(EMPTY, Ordering::Release);
        }
        self.counts0[node as usize].store(used as u16, Ordering::Relaxed);
    }

    /// The level-0 links of `node` (its lock held by the caller).
    fn load0(&self, node: u32) -> Vec<u32> {
        let at = node as usize * self.params.m * 2;
        let count = self.counts0[node as usize].load(Ordering::Relaxed) as usize;
        self.links0[at..at + count]
            .iter()
            .map(|l| l.load(Ordering::Relaxed))
            .collect()
    }

    fn insert(&self, node: u32) {
        let level = self.levels[node as usize] as usize;
        let Some((entry, top)) = ({
            let mut e = self.entry.lock();
            match *e {
                None => {
                    *e = Some((node, level as u8));
                    None
                }
                some => some,
            }
        }) else {
            return;
        };
        let exact = |n: u32| self.sim(node, n);
        // the searches walk the codes when there are some; what they find
        // is rescored exactly before links are chosen
        let guide = self.codes.map(|codes| {
            let crate::vector_storage::DenseSlice::F32(t) = self.vectors.data else {
                unreachable!("codes guide f32 builds only")
            };
            (codes, codes.query(t.get(self.offset_of(node))))
        });
        let sim = |n: u32| match &guide {
            Some((codes, q)) => codes.similarity(q, self.offset_of(n)),
            None => exact(n),
        };
        let prefetch = |n: u32| match &guide {
            Some((codes, _)) => codes.prefetch(self.offset_of(n)),
            None => self.vectors.prefetch(self.offset_of(n)),
        };
        let mut cur = Cand {
            sim: sim(entry),
            node: entry,
        };
        for l in ((level + 1)..=top as usize).rev() {
            cur = greedy(cur, |n, buf| self.neighbors(n, l, buf), sim);
        }
        // first the links of `node` on every level, then the reverse links:
        // until those exist no search can reach `node`, so none sees it
        // half-linked (a walk entering it on a level it has no links yet
        // would stop there) and no reverse link to it is overwritten
        let mut chosen: Vec<(usize, Vec<u32>)> = Vec::with_capacity(level + 1);
        for l in (0..=level.min(top as usize)).rev() {
            let mut found = with_visited(self.offsets.len(), |visited| {
                search_layer(
                    &[cur],
                    self.params.ef_construct,
                    visited,
                    |n, buf| self.neighbors(n, l, buf),
                    sim,
                    |n| n != node,
                    prefetch,
                    |n| {
                        if l == 0 {
                            super::prefetch_row(&self.links0, n, self.params.m * 2);
                        }
                    },
                )
            });
            if guide.is_some() {
                for c in found.iter_mut() {
                    c.sim = exact(c.node);
                }
                found.sort_by(|a, b| b.cmp(a));
            }
            let limit = self.max_links(l);
            chosen.push((l, self.select(&found, self.params.m.max(limit / 2))));
            if let Some(best) = found.first() {
                // the next level's walk compares in the walk's own scale
                cur = Cand {
                    sim: sim(best.node),
                    node: best.node,
                };
            }
        }
        {
            let mut guard = self.upper[node as usize].write();
            for (l, selected) in &chosen {
                if *l == 0 {
                    self.store0(node, selected);
                } else {
                    guard[l - 1] = selected.clone();
                }
            }
        }
        for (l, selected) in chosen {
            let limit = self.max_links(l);
            for &s in &selected {
                let mut guard = self.upper[s as usize].write();
                let mut list = if l == 0 {
                    self.load0(s)
                } else {
                    std::mem::take(&mut guard[l - 1])
                };
                if !list.contains(&node) {
                    if list.len() < limit {
                        list.push(node);
                    } else {
                        let mut cands: Vec<Cand> = list
                            .iter()
                            .chain(std::iter::once(&node))
                            .map(|&x| Cand {
                                sim: self.sim(s, x),
                                node: x,
                            })
                            .collect();
                        cands.sort_by(|a, b| b.cmp(a));
                        list = self.select(&cands, limit);
                    }
                }
                if l == 0 {
                    self.store0(s, &list);
                } else {
                    guard[l - 1] = list;
                }
            }
        }
        if level > top as usize {
            let mut e = self.entry.lock();
            if e.is_none_or(|(_, t)| (t as usize) < level) {
                *e = Some((node, level as u8));
            }
        }
    }

    /// Gives every level-0 node without incoming links one from its own
    /// nearest linked neighbour. Link pruning can leave such orphans, and
    /// concurrent inserts more often:
    /// two copies of one vector inserted at once do not see each other, pick
    /// the same neighbours, and each neighbour's link pruning keeps only one
    /// copy. The slot taken is a free one, else the one to the neighbour's
    /// least similar node that is no more similar than the orphan (a copy
    /// is as similar) and keeps another incoming link: no node loses its
    /// last one, and no closer link is given up.
    fn link_orphans(&self) {
        let Some((entry, _)) = *self.entry.lock() else {
            return;
        };
        let mut incoming = self.incoming0();
        let m0 = self.params.m * 2;
        for u in 0..self.offsets.len() as u32 {
            if incoming[u as usize] > 0 || u == entry {
                continue;
            }
            for v in self.load0(u) {
                let mut list = self.load0(v);
                if list.len() < m0 {
                    list.push(u);
                } else if let Some(slot) =
                    self.weakest_link(v, &list, &incoming, Some(self.sim(v, u)))
                {
                    incoming[list[slot] as usize] -= 1;
                    list[slot] = u;
                } else {
                    continue;
                }
                incoming[u as usize] += 1;
                self.store0(v, &list);
                break;
            }
        }
    }

    /// Number of level-0 links into each node.
    fn incoming0(&self) -> Vec<u32> {
        let mut incoming = vec![0u32; self.offsets.len()];
        for node in 0..self.offsets.len() as u32 {
            for l in self.load0(node) {
                incoming[l as usize] += 1;
            }
        }
        incoming
    }

    /// The slot of `v`'s level-0 `list` that may give way to a new link:
    /// the one to `v`'s least similar node (among those no more similar
    /// than `at_most`, if given) whose node keeps another incoming link.
    fn weakest_link(
        &self,
        v: u32,
        list: &[u32],
        incoming: &[u32],
        at_most: Option<f32>,
    ) -> Option<usize> {
        (0..list.len())
            .filter(|&i| incoming[list[i] as usize] > 1)
            .map(|i| (i, self.sim(v, list[i])))
            .filter(|&(_, sim)| at_most.is_none_or(|max| sim <= max))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i)
    }

    /// Marks `from` and every level-0 node reachable from it.
    fn mark_reachable0(&self, from: u32, reached: &mut [bool]) {
        let mut stack = vec![from];
        reached[from as usize] = true;
        while let Some(v) = stack.pop() {
            for l in self.load0(v) {
                if !std::mem::replace(&mut reached[l as usize], true) {
                    stack.push(l);
                }
            }
        }
    }

    /// Links every level-0 node that no walk from the entry can reach (a
    /// group of copies of one vector can end up linking only among
    /// themselves) from a reachable node near it: one with a free slot
    /// among the nearest found by a walk, else the nearest, in place of
    /// its least similar link whose node keeps another incoming link.
    fn connect_unreachable(&self) {
        let Some((entry, _)) = *self.entry.lock() else {
            return;
        };
        let m0 = self.params.m * 2;
        // each pass links at least one unreachable node (and what it
        // reaches); a few passes settle any graph this builder makes
        for _ in 0..8 {
            let mut reached = vec![false; self.offsets.len()];
            self.mark_reachable0(entry, &mut reached);
            if reached.iter().all(|&r| r) {
                return;
            }
            let mut incoming = self.incoming0();
            for u in 0..self.offsets.len() as u32 {
                if reached[u as usize] {
                    continue;
                }
                // a walk from the entry visits reachable nodes only
                let found = with_visited(self.offsets.len(), |visited| {
                    search_layer(
                        &[Cand {
                            sim: self.sim(u, entry),
                            node: entry,
                        }],
                        self.params.ef_construct,
                        visited,
                        |n, buf| buf.extend(self.load0(n)),
                        |n| self.sim(u, n),
                        |n| n != u,
                        |n| self.vectors.prefetch(self.offset_of(n)),
                        |_| {},
                    )
                });
                let free = found.iter().find(|c| self.load0(c.node).len() < m0);
                let attached = match free {
                    Some(c) => {
                        let mut list = self.load0(c.node);
                        list.push(u);
                        self.store0(c.node, &list);
                        true
                    }
                    None => found.iter().any(|c| {
                        let mut list = self.load0(c.node);
                        let evict = self.weakest_link(c.node, &list, &incoming, None);
                        if let Some(i) = evict {
                            incoming[list[i] as usize] -= 1;
                            list[i] = u;
                            self.store0(c.node, &list);
                        }
                        evict.is_some()
                    }),
                };
                if attached {
                    incoming[u as usize] += 1;
                    // `u` and what it links to are reachable now
                    self.mark_reachable0(u, &mut reached);
                }
            }
        }
    }

    /// Inserts every node and freezes the graph.
    pub fn build(self) -> HnswIndex {
        let n = self.offsets.len() as u32;
        let mut first = self.based as u32;
        if first == 0 && n > 0 {
            self.insert(0);
            first = 1;
        }
        if self.params.deterministic {
            (first..n).for_each(|node| self.insert(node));
        } else {
            (first..n)
                .into_par_iter()
                .for_each(|node| self.insert(node));
        }
        self.link_orphans();
        self.connect_unreachable();
        let m0 = self.params.m * 2;
        let layer0: Vec<u32> = self.links0.into_iter().map(AtomicU32::into_inner).collect();
        let mut upper = super::Upper::default();
        for (node, lists) in self.upper.into_iter().enumerate() {
            upper.push(node as u32, lists.into_inner());
        }
        HnswIndex {
            m: self.params.m,
            m0,
            offsets: self.offsets,
            levels: self.levels,
            layer0: super::Links::Owned(layer0),
            upper,
            entry: self.entry.into_inner().map(|(e, _)| e),
        }
    }
}
