//! Planning: which optimization runs next (seal, merge, index, vacuum,
//! re-quantize, move to disk, build payload blocks), and when merges wait
//! for writes to pause.

use std::sync::atomic::Ordering;

use super::{
    block_plan, quantization_method, vectors_in_kb, vectors_on_disk, DEFAULT_INDEXING_THRESHOLD_KB,
};
use crate::collection::Collection;
use crate::config::{CollectionConfig, MaxOptimizationThreads};
use crate::holder::Held;

/// Qdrant's default largest segment a merge makes, per indexing thread.
const MAX_SEGMENT_PER_THREAD_KB: u64 = 256_000;

/// The largest segment a merge makes when `max_segment_size` is unset, as
/// Qdrant sizes it: 256 MB of vectors per core.
fn default_max_segment_kb() -> u64 {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    threads * MAX_SEGMENT_PER_THREAD_KB
}

/// Sealed segments that may pile up while writes flow before the smallest
/// half of them is merged (merges otherwise wait for writes to pause).
const BUSY_SEGMENTS: usize = 16;

/// How many of the leading entries of `sizes` (sorted: points and keys)
/// one merge takes: as many as fit under `max_kb` together (at least one).
fn merge_group(sizes: &[(usize, Vec<u64>)], max_kb: u64, kb_of: &dyn Fn(usize) -> u64) -> usize {
    let mut total = 0;
    let mut taken = 0;
    for (points, _) in sizes {
        if taken > 0 && kb_of(total + points) > max_kb {
            break;
        }
        total += points;
        taken += 1;
    }
    taken
}

/// What one optimizer pass does next.
pub(super) enum Task {
    /// Seal the appendable segment.
    Seal,
    /// Seal the appendable segment below the indexing threshold into a
    /// merge, once writes pause (the shard's operation number when planned).
    SealTail(u64),
    /// Build the graph of vector `name` in a sealed segment.
    Index(u64, String),
    /// Rebuild the quantized vectors of a sealed segment's graph.
    Quantize(u64, String),
    /// Move a sealed segment's vectors `name` to a mapped file.
    ToDisk(u64, String),
    /// Build the payload-aware subgraphs of a sealed segment's graph.
    Blocks(u64, String),
    /// Rewrite sealed segments as one (merge), or one without its deleted
    /// points (vacuum); an empty result drops them.
    Merge(Vec<u64>),
    /// A merge that waits for writes to pause (pending meanwhile).
    MergeWhenQuiet(Vec<u64>),
}

impl Task {
    /// The optimizer's name, as Qdrant reports it.
    pub(super) fn optimizer(&self) -> &'static str {
        match self {
            Task::Seal | Task::Index(..) | Task::Blocks(..) => "indexing",
            Task::SealTail(_) => "merge",
            Task::Quantize(..) | Task::ToDisk(..) => "config_mismatch",
            Task::Merge(keys) if keys.len() == 1 => "vacuum",
            Task::Merge(_) | Task::MergeWhenQuiet(_) => "merge",
        }
    }
}

impl Collection {
    /// Every pending optimization, in the order they run (each pass plans
    /// again, so the tail is an estimate).
    ///
    /// Segments converge to `default_segment_number` as Qdrant's merge
    /// optimizer makes them: while there are more (the appendable segment
    /// counts), the smallest sealed ones are merged, all in one merge.
    /// Merges wait for writes to pause (an upload seals segment after
    /// segment; merging them as they come would copy the growing result
    /// again and again), unless more than `BUSY_SEGMENTS` pile up. Merges
    /// come before graph builds, and a segment a merge will consume gets no
    /// graph of its own; a merge keeps the graph of its largest indexed
    /// source. An appendable segment below the indexing threshold is sealed
    /// into a merge only once writes have paused ([`QUIET`]), so an ongoing
    /// upload is not merged batch by batch, and only when it holds 1% of
    /// the points or more.
    ///
    /// [`QUIET`]: Collection::set_quiet_period
    pub(super) fn plan(&self, config: &CollectionConfig) -> Vec<Task> {
        let holder = self.shard.read();
        let opt = &config.optimizer_config;
        let threshold_kb = opt
            .indexing_threshold
            .unwrap_or(DEFAULT_INDEXING_THRESHOLD_KB);
        let names = Self::graph_names(config);
        let mut tasks = Vec::new();
        // no optimization threads: optimizations are off
        if opt.max_optimization_threads == Some(MaxOptimizationThreads::Threads(0)) {
            return tasks;
        }
        let appendable = holder.appendable();
        // like Qdrant's appendable segments: once their vectors pass the
        // indexing threshold, they are sealed and indexed
        if threshold_kb > 0
            && names.iter().any(|(name, dim)| {
                appendable.vectors_count(name) >= vectors_in_kb(threshold_kb, *dim).max(1)
            })
        {
            tasks.push(Task::Seal);
        }
        let sealed: Vec<&Held> = holder.held().take(holder.segments_count() - 1).collect();
        // merge: more segments than wanted, smallest first; the appendable
        // segment is one of them, empty or not, as in Qdrant (which ends an
        // upload with its indexed segments and an empty appendable one)
        let target = match opt.default_segment_number {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n as usize,
        }
        .saturating_sub(1)
        .max(1);
        let mut sizes: Vec<(usize, Vec<u64>)> = sealed
            .iter()
            .filter(|h| h.segment.points_count() > 0)
            .map(|h| (h.segment.points_count(), vec![h.key]))
            .collect();
        let max_kb = opt.max_segment_size.unwrap_or_else(default_max_segment_kb);
        let dim = names.iter().map(|(_, d)| *d).sum::<usize>().max(1);
        let kb_of = |points: usize| (points * dim * 4 / 1024) as u64;
        // while writes flow, merging would copy the growing segments again
        // and again: merges wait for a pause, unless small segments pile up
        // past BUSY_SEGMENTS (then the smallest half is merged: similar
        // sizes, so each point is copied a few times in a long upload)
        let quiet = self.quiet(holder.version());
        let mut merging = std::collections::HashSet::new();
        let mut groups: Vec<Vec<u64>> = Vec::new();
        if !quiet && sizes.len() > BUSY_SEGMENTS {
            sizes.sort();
            let taken = merge_group(&sizes[..sizes.len() / 2], max_kb, &kb_of);
            if taken >= 2 {
                groups.push(sizes[..taken].iter().flat_map(|s| s.1.clone()).collect());
            }
        }
        let busy_merge = !groups.is_empty();
        let runnable = busy_merge || quiet;
        // the merges that bring the count to the target: the smallest
        // segments, all of them in one pass (each point copied once)
        while !busy_merge && sizes.len() > target {
            sizes.sort();
            let wanted = sizes.len() - target + 1;
            let taken = merge_group(&sizes[..wanted], max_kb, &kb_of);
            if taken < 2 {
                break;
            }
            let (points, keys) =
                sizes
                    .drain(..taken)
                    .fold((0, Vec::new()), |(points, mut keys), (p, k)| {
                        keys.extend(k);
                        (points + p, keys)
                    });
            sizes.push((points, keys.clone()));
            groups.push(keys);
        }
        for group in groups {
            merging.extend(group.iter().copied());
            // points below the threshold join a merge that runs anyway
            if quiet
                && appendable.points_count() > 0
                && !tasks.iter().any(|t| matches!(t, Task::Seal))
            {
                tasks.push(Task::Seal);
            }
            tasks.push(if runnable {
                Task::Merge(group)
            } else {
                Task::MergeWhenQuiet(group)
            });
        }
        for held in &sealed {
            let (key, segment) = (held.key, &held.segment);
            if segment.points_count() == 0 {
                tasks.push(Task::Merge(vec![key]));
                continue;
            }
            for (name, _) in &names {
                if vectors_on_disk(config, name) && !segment.vectors_mapped(name) {
                    tasks.push(Task::ToDisk(key, name.clone()));
                }
                if !segment.has_graph(name) && segment.vectors_count(name) > 0 {
                    if !merging.contains(&key) {
                        tasks.push(Task::Index(key, name.clone()));
                    }
                } else if segment.has_graph(name)
                    && segment.graph_quantization(name) != quantization_method(config, name)
                {
                    tasks.push(Task::Quantize(key, name.clone()));
                }
                if segment.has_graph(name) {
                    let (fields, min, max) = block_plan(config, segment, name);
                    let built = segment.graph_blocks(name);
                    if segment
                        .payload_block_keys(&fields, min, max)
                        .iter()
                        .any(|k| !built.contains(k))
                    {
                        tasks.push(Task::Blocks(key, name.clone()));
                    }
                }
            }
            // vacuum: enough deleted points
            let deleted = segment.deleted_count();
            if deleted as u64 >= opt.vacuum_min_vector_number
                && deleted as f64 > opt.deleted_threshold * segment.slots() as f64
            {
                tasks.push(Task::Merge(vec![key]));
            }
        }
        // points left in the appendable segment below the indexing threshold:
        // sealed once writes pause (the next pass merges them into the
        // smallest sealed segment, whose graph is kept) when they are 1% of
        // the points or more, so a trickle of writes does not copy a large
        // segment for every few points; pending (and reported) meanwhile
        let tail = appendable.points_count();
        if tasks.is_empty()
            && threshold_kb > 0
            && tail > 0
            && sizes.len() >= target
            && tail * 100 >= holder.points_count()
        {
            tasks.push(Task::SealTail(holder.version()));
        }
        tasks
    }

    /// Whether no write has come for [`QUIET`](super::QUIET) (`version` is the shard's
    /// current operation number).
    pub(super) fn quiet(&self, version: u64) -> bool {
        let mut last = self.last_write.lock();
        if last.0 != version {
            *last = (version, std::time::Instant::now());
        }
        last.1.elapsed().as_millis() as u64 >= self.quiet_ms.load(Ordering::Relaxed)
    }

    /// Sets how long writes must pause before an appendable segment below
    /// the indexing threshold is sealed into a merge ([`QUIET`](super::QUIET) by
    /// default).
    pub fn set_quiet_period(&self, period: std::time::Duration) {
        self.quiet_ms
            .store(period.as_millis() as u64, Ordering::Relaxed);
    }

    /// The segments a task works on, with their live points.
    pub(super) fn task_segments(&self, task: &Task) -> Vec<(u64, usize)> {
        let holder = self.shard.read();
        let keys = match task {
            Task::Seal | Task::SealTail(_) => vec![holder.held().last().map_or(0, |h| h.key)],
            Task::Index(k, _) | Task::Quantize(k, _) | Task::ToDisk(k, _) | Task::Blocks(k, _) => {
                vec![*k]
            }
            Task::Merge(keys) | Task::MergeWhenQuiet(keys) => keys.clone(),
        };
        keys.into_iter()
            .filter_map(|k| {
                holder
                    .held()
                    .find(|h| h.key == k)
                    .map(|h| (k, h.segment.points_count()))
            })
            .collect()
    }
}
