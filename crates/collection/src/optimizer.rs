//! The optimizers: sealing and indexing, merging, vacuuming.
//!
//! The appendable segment is sealed once its vectors pass
//! `indexing_threshold`; sealed segments get their graphs built from their
//! vectors, shared rather than copied, with no lock held (rayon, up to
//! `max_indexing_threads`). Sealed segments are merged when there are more
//! than `default_segment_number`, and rewritten without their deleted
//! points past `deleted_threshold` (vacuum); swaps happen under the write
//! lock after carrying over what changed meanwhile.

use std::sync::atomic::Ordering;

use segment::hnsw::{HnswIndex, HnswParams};
use segment::quantization::QuantizedVectors;
use segment::quantization::{Bits, Method};
use segment::segment::graph::GraphSource;
use segment::selector::{PayloadSelector, VectorSelector};

use crate::collection::Collection;
use crate::config::{
    BinaryEncoding, BinaryQueryEncoding, CollectionConfig, CompressionRatio, HnswConfig,
    QuantizationConfig, TurboBits,
};
use crate::error::Result;

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

/// Number of vectors of `dim` floats that fit in `kb` kilobytes.
pub fn vectors_in_kb(kb: u64, dim: usize) -> usize {
    (kb as usize * 1024) / (dim.max(1) * 4)
}

/// What one optimizer pass does next.
enum Task {
    /// Seal the appendable segment.
    Seal,
    /// Build the graph of vector `name` in a sealed segment.
    Index(u64, String),
    /// Rebuild the quantized vectors of a sealed segment's graph.
    Quantize(u64, String),
    /// Rewrite sealed segments as one (merge), or one without its deleted
    /// points (vacuum); an empty result drops them.
    Merge(Vec<u64>),
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

    /// The next optimization to run, if any.
    fn next_task(&self, config: &CollectionConfig) -> Option<Task> {
        let holder = self.shard.read();
        let opt = &config.optimizer_config;
        let threshold_kb = opt
            .indexing_threshold
            .unwrap_or(DEFAULT_INDEXING_THRESHOLD_KB);
        let names = Self::graph_names(config);
        // like Qdrant's appendable segments: once their vectors pass the
        // indexing threshold, they are sealed and indexed
        if threshold_kb > 0
            && names.iter().any(|(name, dim)| {
                holder.appendable().vectors_count(name) >= vectors_in_kb(threshold_kb, *dim).max(1)
            })
        {
            return Some(Task::Seal);
        }
        for key in holder.sealed_keys() {
            let segment = &holder.sealed(key)?.segment;
            if segment.points_count() == 0 {
                return Some(Task::Merge(vec![key]));
            }
            for (name, _) in &names {
                if !segment.has_graph(name) && segment.vectors_count(name) > 0 {
                    return Some(Task::Index(key, name.clone()));
                }
                if segment.has_graph(name)
                    && segment.graph_quantization(name) != quantization_method(config, name)
                {
                    return Some(Task::Quantize(key, name.clone()));
                }
            }
        }
        // vacuum: a sealed segment with enough deleted points
        for key in holder.sealed_keys() {
            let segment = &holder.sealed(key)?.segment;
            let deleted = segment.deleted_count();
            if deleted as u64 >= opt.vacuum_min_vector_number
                && deleted as f64 > opt.deleted_threshold * segment.slots() as f64
            {
                return Some(Task::Merge(vec![key]));
            }
        }
        // merge: more sealed segments than wanted, the two smallest
        let target = match opt.default_segment_number {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n as usize,
        }
        .max(1);
        let mut sizes: Vec<(usize, u64)> = holder
            .sealed_keys()
            .into_iter()
            .filter_map(|k| holder.sealed(k).map(|h| (h.segment.points_count(), k)))
            .collect();
        if sizes.len() > target {
            sizes.sort();
            let max_kb = opt.max_segment_size.unwrap_or(u64::MAX);
            let dim = names.iter().map(|(_, d)| *d).sum::<usize>().max(1);
            let kb = ((sizes[0].0 + sizes[1].0) * dim * 4 / 1024) as u64;
            if kb <= max_kb {
                return Some(Task::Merge(vec![sizes[0].1, sizes[1].1]));
            }
        }
        None
    }

    /// Runs optimizations until none is pending; returns whether any ran.
    pub fn optimize(&self) -> Result<bool> {
        let mut worked = false;
        loop {
            let config = self.config();
            let Some(task) = self.next_task(&config) else {
                break;
            };
            self.optimizing.store(true, Ordering::Release);
            let result = match task {
                Task::Seal => {
                    self.shard.write().seal_appendable();
                    Ok(())
                }
                Task::Index(key, name) => self.index_sealed(&config, key, &name),
                Task::Quantize(key, name) => {
                    self.quantize_sealed(&config, key, &name);
                    Ok(())
                }
                Task::Merge(sources) => self.merge(&config, &sources),
            };
            self.optimizing.store(false, Ordering::Release);
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
        // `max_indexing_threads`: 0 uses every core
        let index = match rayon::ThreadPoolBuilder::new()
            .num_threads(hnsw.max_indexing_threads as usize)
            .build()
        {
            Ok(pool) => pool.install(|| source.build(distance, build_params)),
            Err(_) => source.build(distance, build_params),
        };
        let quantized =
            quantization_method(config, name).map(|m| (m, source.quantize(m, distance)));
        Some((index, quantized))
    }

    /// Saves a sealed segment's graph file and records it.
    fn save_graph(&self, key: u64, name: &str, index: &HnswIndex) {
        let file = crate::shard::graph_file(key, name);
        match index.save(&self.shard.segments_dir().join(&file)) {
            Ok(()) => self.shard.write().set_graph_file(key, name, file),
            Err(e) => tracing::warn!(error = %e, "graph file not saved"),
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
        let Some((index, quantized)) = Self::build_graph(config, name, &source) else {
            return Ok(());
        };
        drop(source);
        tracing::info!(vector = %name, points = index.len(), segment = key, "built HNSW graph");
        self.save_graph(key, name, &index);
        let mut holder = self.shard.write();
        holder.install_graph(key, name, index, quantized);
        Ok(())
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
    /// points with fresh graphs, then swaps it in; changes made to the
    /// sources meanwhile are carried over under the write lock.
    fn merge(&self, config: &CollectionConfig, sources: &[u64]) -> Result<()> {
        let mut merged = {
            let holder = self.shard.read();
            let Some(first) = sources.first().and_then(|k| holder.sealed(*k)) else {
                return Ok(());
            };
            let mut merged = first.segment.empty_like();
            for key in sources {
                let Some(held) = holder.sealed(*key) else {
                    return Ok(());
                };
                for (id, offset) in held.segment.iter_from(None) {
                    let r =
                        held.segment
                            .record(offset, &PayloadSelector::All, &VectorSelector::All);
                    merged.upsert(
                        r.version,
                        id,
                        r.vectors.unwrap_or_default(),
                        r.payload.unwrap_or_default(),
                    );
                }
            }
            merged
        };
        let mut graphs = Vec::new();
        if merged.points_count() > 0 {
            for (name, _) in Self::graph_names(config) {
                if let Some(source) = merged.graph_source(&name) {
                    if let Some(built) = Self::build_graph(config, &name, &source) {
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
                let saved = {
                    let holder = self.shard.read();
                    holder
                        .sealed(key)
                        .and_then(|h| h.segment.graph_index(name))
                        .map(|index| index.save(&self.shard.segments_dir().join(&file)))
                };
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

    /// Whether an optimization is running.
    pub fn is_optimizing(&self) -> bool {
        self.optimizing.load(Ordering::Acquire)
    }
}
