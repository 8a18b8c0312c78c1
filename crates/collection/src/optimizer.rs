//! The indexing optimizer: builds HNSW graphs for dense vectors once a
//! segment holds enough of them, and rebuilds them when enough points were
//! written since.
//!
//! Vectors are copied under the read lock, the graph is built with no lock
//! held (rayon, all cores), and installed under the write lock; writes that
//! land meanwhile are scored exactly until the next build.

use std::sync::atomic::Ordering;

use segment::hnsw::HnswParams;
use segment::quantization::{Bits, Method};

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

impl Collection {
    /// Dense, single-vector names whose graph should be (re)built now.
    fn pending_indexing(&self) -> Vec<(String, usize)> {
        let config = self.config();
        let threshold_kb = config
            .optimizer_config
            .indexing_threshold
            .unwrap_or(DEFAULT_INDEXING_THRESHOLD_KB);
        if threshold_kb == 0 {
            return Vec::new();
        }
        let segment = self.shard.read();
        config
            .params
            .vectors
            .iter()
            .filter(|(_, p)| p.multivector_config.is_none())
            .filter_map(|(name, p)| {
                // like Qdrant's appendable segments: once the vectors not in a
                // graph pass the threshold, they get indexed
                let dim = p.size as usize;
                let threshold = vectors_in_kb(threshold_kb, dim).max(1);
                (segment.unindexed_count(name) >= threshold).then(|| (name.to_string(), dim))
            })
            .collect()
    }

    /// Graphs whose quantized vectors do not follow the configuration.
    fn pending_quantization(&self) -> Vec<String> {
        let config = self.config();
        let segment = self.shard.read();
        config
            .params
            .vectors
            .iter()
            .map(|(name, _)| name.to_string())
            .filter(|name| {
                segment.has_graph(name)
                    && segment.graph_quantization(name) != quantization_method(&config, name)
            })
            .collect()
    }

    /// Runs every pending graph build and quantization; returns whether any
    /// ran.
    pub fn optimize(&self) -> Result<bool> {
        let pending = self.pending_indexing();
        let requantize = self.pending_quantization();
        if pending.is_empty() && requantize.is_empty() {
            return Ok(false);
        }
        self.optimizing.store(true, Ordering::Release);
        let config = self.config();
        for name in requantize {
            if pending.iter().any(|(n, _)| *n == name) {
                continue;
            }
            let Some(snapshot) = self.shard.read().snapshot_dense(&name) else {
                continue;
            };
            let Some(params) = config.params.vectors.get(&name) else {
                continue;
            };
            let quantized = quantization_method(&config, &name)
                .map(|m| (m, snapshot.quantize(m, params.distance.into())));
            self.shard.install_quantization(&name, quantized);
        }
        for (name, _) in &pending {
            let Some(snapshot) = self.shard.read().snapshot_dense(name) else {
                continue;
            };
            let Some(params) = config.params.vectors.get(name) else {
                continue;
            };
            let hnsw = hnsw_config(&config, name);
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
                Ok(pool) => pool.install(|| snapshot.build(distance, build_params)),
                Err(_) => snapshot.build(distance, build_params),
            };
            tracing::info!(vector = %name, points = index.len(), "built HNSW graph");
            let quantized =
                quantization_method(&config, name).map(|m| (m, snapshot.quantize(m, distance)));
            self.shard
                .install_graph(name, index, quantized, snapshot.version);
        }
        self.optimizing.store(false, Ordering::Release);
        Ok(true)
    }

    /// Whether an optimization is running.
    pub fn is_optimizing(&self) -> bool {
        self.optimizing.load(Ordering::Acquire)
    }
}
