//! Quantized copies of dense vectors: smaller codes scored approximately,
//! for graph traversal and scans, with the original vectors kept for
//! rescoring.
//!
//! - [`Method::Scalar`]: one byte per element over a clipped value range,
//!   scored with the byte kernels.
//! - [`Method::Binary`], [`Method::Turbo`], [`Method::Product`]: packed
//!   codes, each code byte decoding to a few elements through a codebook;
//!   a query is scored by a per-query table of partial scores for every
//!   (position, byte) pair ([`adc`]). One-bit binary codes are also scored
//!   symmetrically by popcount.

mod adc;
pub(crate) mod rotation;
mod scalar;
pub mod turbo4;

use crate::distance::Distance;
use crate::vector_storage::DenseData;

pub use adc::Bits;

/// How vectors are quantized.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    /// Bytes over the range that holds `quantile` of the values.
    Scalar {
        /// Share of values inside the range (1.0: all of them).
        quantile: f32,
    },
    /// Product quantization: `sub_dim` elements per one-byte code.
    Product {
        /// Elements per sub-vector.
        sub_dim: usize,
    },
    /// Per-element levels around each dimension's mean.
    Binary {
        /// Bits per element.
        bits: Bits,
        /// Score queries by popcount against one-bit codes (otherwise by
        /// table, from the float query).
        symmetric: bool,
    },
    /// TurboQuant: a random rotation, then per-element levels scaled by
    /// the vector's norm.
    Turbo {
        /// Bits per element.
        bits: Bits,
    },
}

/// Quantized vectors of one name, one code slot per offset.
#[derive(Debug)]
pub struct QuantizedVectors {
    distance: Distance,
    store: Store,
}

#[derive(Debug)]
enum Store {
    Scalar(scalar::ScalarCodes),
    Adc(adc::AdcCodes),
}

/// A query prepared for one [`QuantizedVectors`].
#[derive(Debug)]
pub enum QuantizedQuery {
    /// Scalar codes of the query.
    Scalar(scalar::ScalarQuery),
    /// Per-query tables (or bits).
    Adc(adc::AdcQuery),
}

impl QuantizedVectors {
    /// Encodes the vectors at `offsets` (`dim` elements each in `data`);
    /// other offsets get empty codes.
    pub fn build(
        method: Method,
        distance: Distance,
        dim: usize,
        data: &DenseData,
        offsets: &[u32],
    ) -> Self {
        let slots = offsets.iter().max().map_or(0, |&o| o as usize + 1);
        // Cosine over bytes is not normalized on write: codes are
        let normalize = distance == Distance::Cosine;
        let read = |o: u32| {
            let mut v = data.read(o);
            if normalize {
                crate::vectors::normalize(&mut v);
            }
            v
        };
        let store = match method {
            Method::Scalar { quantile } => Store::Scalar(scalar::ScalarCodes::build(
                quantile, dim, slots, offsets, read,
            )),
            Method::Product { sub_dim } => {
                Store::Adc(adc::AdcCodes::product(sub_dim, dim, slots, offsets, read))
            }
            Method::Binary { bits, symmetric } => Store::Adc(adc::AdcCodes::levels(
                bits, false, symmetric, distance, dim, slots, offsets, read,
            )),
            Method::Turbo { bits } => Store::Adc(adc::AdcCodes::levels(
                bits,
                distance != Distance::Manhattan,
                false,
                distance,
                dim,
                slots,
                offsets,
                read,
            )),
        };
        QuantizedVectors { distance, store }
    }

    /// Prepares a query (normalized for Cosine by the caller).
    pub fn query(&self, query: &[f32]) -> QuantizedQuery {
        let mut q = query.to_vec();
        if self.distance == Distance::Cosine {
            crate::vectors::normalize(&mut q);
        }
        match &self.store {
            Store::Scalar(s) => QuantizedQuery::Scalar(s.query(&q)),
            Store::Adc(a) => QuantizedQuery::Adc(a.query(&q, self.distance)),
        }
    }

    /// Approximate ranking similarity (larger is better) of `offset`.
    #[inline]
    pub fn similarity(&self, query: &QuantizedQuery, offset: u32) -> f32 {
        match (&self.store, query) {
            (Store::Scalar(s), QuantizedQuery::Scalar(q)) => s.similarity(self.distance, q, offset),
            (Store::Adc(a), QuantizedQuery::Adc(q)) => a.similarity(self.distance, q, offset),
            _ => f32::NEG_INFINITY,
        }
    }

    /// Hints the CPU to load the codes of `offset` (every cache line).
    #[inline]
    pub fn prefetch(&self, offset: u32) {
        match &self.store {
            Store::Scalar(s) => s.prefetch(offset),
            Store::Adc(a) => {
                let codes = a.codes_of(offset);
                crate::hnsw::prefetch_range(codes.as_ptr(), codes.len());
            }
        }
    }

    /// Bytes held by the codes.
    pub fn memory_bytes(&self) -> usize {
        match &self.store {
            Store::Scalar(s) => s.memory_bytes(),
            Store::Adc(a) => a.memory_bytes(),
        }
    }
}

#[cfg(test)]
mod tests;
