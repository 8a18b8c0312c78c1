//! The optimizers: sealing and indexing, merging, vacuuming.
//!
//! The appendable segment is sealed once its vectors pass
//! `indexing_threshold`; sealed segments get their graphs built from their
//! vectors, shared rather than copied, with no lock held (rayon, up to
//! `max_indexing_threads`). Sealed segments are merged when there are more
//! than `default_segment_number`, and rewritten without their deleted
//! points past `deleted_threshold` (vacuum); swaps happen under the write
//! lock after carrying over what changed meanwhile.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::SystemTime;

use segment::hnsw::{HnswIndex, HnswParams};
use segment::payload_index::schema::PayloadSchemaType;
use segment::quantization::QuantizedVectors;
use segment::quantization::{Bits, Method};
use segment::segment::graph::GraphSource;
use segment::selector::{PayloadSelector, VectorSelector};
use segment::vector_storage::Element;

use crate::collection::Collection;
use crate::config::{
    BinaryEncoding, BinaryQueryEncoding, CollectionConfig, CompressionRatio, HnswConfig, Memory,
    QuantizationConfig, TurboBits,
};
use crate::error::Result;
use crate::holder::Held;
use plan::Task;

mod plan;
mod tracker;

pub use tracker::{
    Optimization, OptimizationStatus, OptimizationsReport, QueuedOptimization, Tracker,
};

/// Default `indexing_threshold` in kilobytes of vectors.
const DEFAULT_INDEXING_THRESHOLD_KB: u64 = 10_000;

/// Effective HNSW parameters of a named vector.
pub fn hnsw_config(config: &CollectionConfig, name: &str) -> HnswConfig {
    let mut hnsw = config.hnsw_config.clone();
    if let Some(diff) = config
        .params
        .vectors
        .get(name)
        .and_then(|p| p.hnsw_config.as_ref())
    {
        diff.apply_to(&mut hnsw);
    }
    hnsw
}

/// The quantization method of a named vector: its own setting, else the
/// collection's.
pub fn quantization_method(config: &CollectionConfig, name: &str) -> Option<Method> {
    let params = config.params.vectors.get(name)?;
    let q = params
        .quantization_config
        .as_ref()
        .or(config.quantization_config.as_ref())?;
    Some(match q {
        QuantizationConfig::Scalar(s) => Method::Scalar {
            quantile: s.quantile.unwrap_or(1.0),
        },
        QuantizationConfig::Product(p) => Method::Product {
            sub_dim: match p.compression {
                CompressionRatio::X4 => 1,
                CompressionRatio::X8 => 2,
                CompressionRatio::X16 => 4,
                CompressionRatio::X32 => 8,
                CompressionRatio::X64 => 16,
            },
        },
        QuantizationConfig::Binary(b) => {
            let bits = match b.encoding {
                Some(BinaryEncoding::TwoBits) => Bits::Two,
                Some(BinaryEncoding::OneAndHalfBits) => Bits::OneAndHalf,
                Some(BinaryEncoding::OneBit) | None => Bits::One,
            };
            Method::Binary {
                bits,
                symmetric: matches!(
                    b.query_encoding,
                    None | Some(BinaryQueryEncoding::Default | BinaryQueryEncoding::Binary)
                ),
            }
        }
        QuantizationConfig::Turbo(t) => Method::Turbo {
            bits: match t.bits {
                Some(TurboBits::Bits1) => Bits::One,
                Some(TurboBits::Bits1_5) => Bits::OneAndHalf,
                Some(TurboBits::Bits2) => Bits::Two,
                Some(TurboBits::Bits4) | None => Bits::Four,
            },
        },
    })
}

/// The fields whose large values get payload-aware subgraphs in the graph
/// of `name`, the least points a value needs (smaller ones are scanned
/// exactly) and the most (a value holding more than half the segment's
/// points is walked in the main graph, which accepts every other node or
/// more): indexed keyword / integer fields unless `payload_m` is 0 (as
/// Qdrant, whose payload-aware links use `m` when `payload_m` is unset),
/// and tenant keyword fields always.
fn block_plan(
    config: &CollectionConfig,
    segment: &segment::segment::Segment,
    name: &str,
) -> (Vec<String>, usize, usize) {
    let hnsw = hnsw_config(config, name);
    let payload_m = hnsw.payload_m != Some(0);
    let fields = segment
        .payload_index()
        .schema()
        .into_iter()
        .filter(|(_, schema)| {
            schema.is_tenant()
                || (payload_m
                    && matches!(
                        schema.kind(),
                        PayloadSchemaType::Keyword | PayloadSchemaType::Integer
                    ))
        })
        .map(|(field, _)| field)
        .collect();
    let dim = config
        .params
        .vectors
        .get(name)
        .map_or(1, |p| p.size as usize);
    (
        fields,
        vectors_in_kb(hnsw.full_scan_threshold, dim).max(1),
        segment.points_count() / 2,
    )
}

/// Whether the vectors `name` live in a mapped file once sealed: `on_disk`,
/// or a `memory` placement read from disk.
pub fn vectors_on_disk(config: &CollectionConfig, name: &str) -> bool {
    config.params.vectors.get(name).is_some_and(|p| {
        p.on_disk == Some(true) || matches!(p.memory, Some(Memory::Cold | Memory::Cached))
    })
}

/// How long writes must pause, by default, before an appendable segment
/// below the indexing threshold is sealed into a merge.
pub const QUIET: std::time::Duration = std::time::Duration::from_secs(1);

/// Fewest points a graph build inserts for it to make int8 codes to guide
/// its walks when the vectors have none.
const GUIDED_BUILD_MIN: usize = 5_000;

/// Number of vectors of `dim` floats that fit in `kb` kilobytes.
pub fn vectors_in_kb(kb: u64, dim: usize) -> usize {
    (kb as usize * 1024) / (dim.max(1) * 4)
}

impl Collection {
    /// Dense, single-vector names (the ones graphs are built for).
    fn graph_names(config: &CollectionConfig) -> Vec<(String, usize)> {
        config
            .params
            .vectors
            .iter()
            .filter(|(_, p)| p.multivector_config.is_none())
            .map(|(name, p)| (name.to_string(), p.size as usize))
            .collect()
    }

    /// Running, queued, recently completed optimizations and the segments
    /// no optimization waits for.
    pub fn optimizations(&self) -> OptimizationsReport {
        let config = self.config();
        let queued: Vec<QueuedOptimization> = self
            .plan(&config)
            .iter()
            .map(|t| QueuedOptimization {
                optimizer: t.optimizer(),
                segments: self.task_segments(t),
            })
            .collect();
        let busy: std::collections::HashSet<u64> = queued
            .iter()
            .flat_map(|q| q.segments.iter().map(|s| s.0))
            .collect();
        let tracker = self.tracker.lock();
        let holder = self.shard.read();
        let idle = holder
            .held()
            .filter(|h| !busy.contains(&h.key))
            .filter(|h| {
                tracker
                    .running
                    .as_ref()
                    .is_none_or(|r| r.segments.iter().all(|s| s.0 != h.key))
            })
            .map(|h| (h.key, h.segment.points_count()))
            .collect();
        OptimizationsReport {
            running: tracker.running.iter().cloned().collect(),
            queued,
            completed: tracker.completed.iter().rev().cloned().collect(),
            idle,
        }
    }

    /// Runs optimizations until none is pending; returns whether any ran.
    pub fn optimize(&self) -> Result<bool> {
        let mut worked = false;
        loop {
            if self.shard.is_dropped() {
                break;
            }
            let config = self.config();
            // the first task that may run now
            let Some(task) = self.plan(&config).into_iter().find(|t| match t {
                Task::SealTail(version) => self.quiet(*version),
                Task::MergeWhenQuiet(_) => false,
                _ => true,
            }) else {
                break;
            };
            let started = Optimization {
                id: self.tracker.lock().next_id(),
                optimizer: task.optimizer(),
                segments: self.task_segments(&task),
                started: SystemTime::now(),
                finished: None,
                status: OptimizationStatus::Optimizing,
            };
            self.tracker.lock().running = Some(started);
            self.optimizing.store(true, Ordering::Release);
            let result = match task {
                Task::Seal | Task::SealTail(_) => {
                    self.shard.write().seal_appendable();
                    Ok(())
                }
                Task::Index(key, name) => self.index_sealed(&config, key, &name),
                Task::Quantize(key, name) => {
                    self.quantize_sealed(&config, key, &name);
                    Ok(())
                }
                Task::Merge(sources) | Task::MergeWhenQuiet(sources) => {
                    self.merge(&config, &sources)
                }
                Task::ToDisk(key, name) => self.move_to_disk(key, &name),
                Task::Blocks(key, name) => self.build_blocks(&config, key, &name),
            };
            self.optimizing.store(false, Ordering::Release);
            self.tracker.lock().finish(match &result {
                Ok(()) => OptimizationStatus::Done,
                Err(e) => OptimizationStatus::Error(e.to_string()),
            });
            result?;
            worked = true;
        }
        Ok(worked)
    }

    /// Builds a graph from `source` with the collection's parameters.
    fn build_graph(
        config: &CollectionConfig,
        name: &str,
        source: &GraphSource,
        base: Option<&HnswIndex>,
    ) -> Option<(HnswIndex, Option<(Method, QuantizedVectors)>)> {
        let params = config.params.vectors.get(name)?;
        let hnsw = hnsw_config(config, name);
        let build_params = HnswParams {
            m: hnsw.m as usize,
            ef_construct: hnsw.ef_construct as usize,
            seed: 42,
            deterministic: false,
        };
        let distance = params.distance.into();
        // `max_indexing_threads` (0: all of them) within the threads the
        // optimizers run on (the server's `optimizer_cpu_budget` pool)
        let budget = rayon::current_num_threads();
        let threads = match hnsw.max_indexing_threads as usize {
            0 => budget,
            n => n.min(budget),
        };
        // codes first: int8 codes also guide the graph build (its walks read
        // 4x fewer bytes; links are still chosen by exact similarities)
        let quantized =
            quantization_method(config, name).map(|m| (m, source.quantize(m, distance)));
        // without int8 codes of its own, a large build of f32 vectors (the
        // only ones codes guide) makes some for its walks only and drops
        // them after (a quarter of the vectors' memory, for a build ~30%
        // faster)
        let scratch = match &quantized {
            Some((Method::Scalar { .. }, _)) => None,
            _ if source.element() == Element::F32
                && source
                    .offsets
                    .len()
                    .saturating_sub(base.map_or(0, HnswIndex::len))
                    >= GUIDED_BUILD_MIN =>
            {
                Some(source.quantize(Method::Scalar { quantile: 0.99 }, distance))
            }
            _ => None,
        };
        let guide = match &quantized {
            Some((Method::Scalar { .. }, codes)) => Some(codes),
            _ => scratch.as_ref(),
        };
        let build = || source.extend_guided(distance, build_params, guide, base);
        let index = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
            Ok(pool) => pool.install(build),
            Err(_) => build(),
        };
        Some((index, quantized))
    }

    /// Saves a sealed segment's graph file and records it.
    fn save_graph(&self, key: u64, name: &str, index: &HnswIndex) {
        let file = crate::shard::graph_file(key, name);
        let saved = self
            .shard
            .write_files(|| index.save(&self.shard.segments_dir().join(&file)));
        match saved {
            Some(Ok(())) => self.shard.write().set_graph_file(key, name, file),
            Some(Err(e)) => tracing::warn!(error = %e, "graph file not saved"),
            None => {}
        }
    }

    fn index_sealed(&self, config: &CollectionConfig, key: u64, name: &str) -> Result<()> {
        let Some(source) = self
            .shard
            .read()
            .sealed(key)
            .and_then(|h| h.segment.graph_source(name))
        else {
            return Ok(());
        };
        let Some((index, quantized)) = Self::build_graph(config, name, &source, None) else {
            return Ok(());
        };
        drop(source);
        tracing::info!(vector = %name, points = index.len(), segment = key, "built HNSW graph");
        self.save_graph(key, name, &index);
        let mut holder = self.shard.write();
        holder.install_graph(key, name, index, quantized);
        Ok(())
    }

    /// Builds the payload-aware subgraphs a sealed segment's graph lacks,
    /// saves and installs them.
    fn build_blocks(&self, config: &CollectionConfig, key: u64, name: &str) -> Result<()> {
        let (source, blocks) = {
            let holder = self.shard.read();
            let Some(held) = holder.sealed(key) else {
                return Ok(());
            };
            let (fields, min, max) = block_plan(config, &held.segment, name);
            let built = held.segment.graph_blocks(name);
            let blocks: Vec<_> = held
                .segment
                .payload_blocks(&fields, min, max)
                .into_iter()
                .filter(|(k, _)| !built.contains(k))
                .collect();
            match held.segment.graph_source(name) {
                Some(source) => (source, blocks),
                None => return Ok(()),
            }
        };
        let Some(params) = config.params.vectors.get(name) else {
            return Ok(());
        };
        let hnsw = hnsw_config(config, name);
        let m = hnsw.payload_m.filter(|&m| m > 0).unwrap_or(hnsw.m) as usize;
        let build_params = HnswParams {
            m,
            ef_construct: hnsw.ef_construct as usize,
            seed: 42,
            deterministic: false,
        };
        let built = source.build_blocks(blocks, params.distance.into(), build_params);
        drop(source);
        let dir = self.shard.segments_dir();
        let installed = built
            .into_iter()
            .map(|(block, index)| {
                let file = crate::shard::block_file(key, name, &block);
                let saved = match self.shard.write_files(|| index.save(&dir.join(&file))) {
                    Some(Ok(())) => Some(file),
                    Some(Err(e)) => {
                        tracing::warn!(error = %e, "block graph file not saved");
                        None
                    }
                    None => None,
                };
                (block, index, saved)
            })
            .collect();
        self.shard.write().install_blocks(key, name, installed);
        Ok(())
    }

    /// Writes a sealed segment's vectors to a file (no lock held: they are
    /// shared), then serves them from its mapping.
    fn move_to_disk(&self, key: u64, name: &str) -> Result<()> {
        let Some(source) = self
            .shard
            .read()
            .sealed(key)
            .and_then(|h| h.segment.graph_source(name))
        else {
            return Ok(());
        };
        let file = crate::shard::vectors_file(key, name);
        let dir = self.shard.segments_dir();
        match self
            .shard
            .write_files(|| source.write_file(&dir.join(&file)))
        {
            Some(written) => written?,
            None => return Ok(()),
        }
        drop(source);
        self.shard.write().map_vectors(key, name, &dir, file)
    }

    fn quantize_sealed(&self, config: &CollectionConfig, key: u64, name: &str) {
        let Some(source) = self
            .shard
            .read()
            .sealed(key)
            .and_then(|h| h.segment.graph_source(name))
        else {
            return;
        };
        let Some(params) = config.params.vectors.get(name) else {
            return;
        };
        let quantized = quantization_method(config, name)
            .map(|m| (m, source.quantize(m, params.distance.into())));
        drop(source);
        self.shard
            .write()
            .install_quantization(key, name, quantized);
    }

    /// Rewrites the sealed segments `sources` as one segment of their live
    /// points, then swaps it in; changes made to the sources meanwhile are
    /// carried over under the write lock. The largest source whose graphs
    /// cover its points exactly is copied first, in offset order, and keeps
    /// its graphs: only the other sources' points are inserted into them.
    fn merge(&self, config: &CollectionConfig, sources: &[u64]) -> Result<()> {
        let graph_names = Self::graph_names(config);
        let (mut merged, bases) = {
            let holder = self.shard.read();
            let Some(mut held) = sources
                .iter()
                .map(|k| holder.sealed(*k))
                .collect::<Option<Vec<_>>>()
            else {
                return Ok(());
            };
            let reusable = |h: &Held| {
                graph_names
                    .iter()
                    .filter_map(|(name, _)| {
                        h.segment
                            .reusable_graph(name)
                            .map(|g| (name.clone(), g.clone()))
                    })
                    .collect::<BTreeMap<String, HnswIndex>>()
            };
            let base = held
                .iter()
                .filter(|h| graph_names.iter().any(|(n, _)| h.segment.has_graph(n)))
                .max_by_key(|h| h.segment.points_count())
                .map(|h| (h.key, reusable(h)))
                .filter(|(_, graphs)| !graphs.is_empty());
            let mut merged = held[0].segment.empty_like();
            let mut copy = |h: &Held| {
                for (id, offset) in h.segment.iter_by_offset() {
                    let r = h
                        .segment
                        .record(offset, &PayloadSelector::All, &VectorSelector::All);
                    merged.upsert(
                        r.version,
                        id,
                        r.vectors.unwrap_or_default(),
                        r.payload.unwrap_or_default(),
                    );
                }
            };
            // the base first, so its graph's nodes are the first offsets
            let base_key = base.as_ref().map(|(k, _)| *k);
            held.sort_by_key(|h| Some(h.key) != base_key);
            held.iter().for_each(|h| copy(h));
            (merged, base.map(|(_, graphs)| graphs).unwrap_or_default())
        };
        let mut graphs = Vec::new();
        if merged.points_count() > 0 {
            for (name, _) in graph_names {
                if let Some(source) = merged.graph_source(&name) {
                    if let Some(built) = Self::build_graph(config, &name, &source, bases.get(&name))
                    {
                        graphs.push((name, built));
                    }
                }
            }
        }
        let names: Vec<String> = graphs.iter().map(|(n, _)| n.clone()).collect();
        for (name, (index, quantized)) in graphs {
            merged.install_graph(&name, index, quantized, u64::MAX);
        }
        let key = {
            let mut holder = self.shard.write();
            if sources.iter().any(|k| holder.sealed(*k).is_none()) {
                return Ok(());
            }
            holder.reconcile(sources, &mut merged);
            let empty = merged.points_count() == 0;
            holder.replace(sources, (!empty).then_some(merged))
        };
        if let Some(key) = key {
            for name in &names {
                let file = crate::shard::graph_file(key, name);
                // the files lock before the holder's, as a deletion takes them
                let saved = self
                    .shard
                    .write_files(|| {
                        let holder = self.shard.read();
                        holder
                            .sealed(key)
                            .and_then(|h| h.segment.graph_index(name))
                            .map(|index| index.save(&self.shard.segments_dir().join(&file)))
                    })
                    .flatten();
                match saved {
                    Some(Ok(())) => self.shard.write().set_graph_file(key, name, file),
                    Some(Err(e)) => tracing::warn!(error = %e, "graph file not saved"),
                    None => {}
                }
            }
            tracing::info!(segments = ?sources, into = key, "merged segments");
        }
        Ok(())
    }

    /// Whether an optimization waits to run.
    pub fn has_pending_optimizations(&self) -> bool {
        !self.plan(&self.config()).is_empty()
    }

    /// Whether an optimization is running.
    pub fn is_optimizing(&self) -> bool {
        self.optimizing.load(Ordering::Acquire)
    }
}
