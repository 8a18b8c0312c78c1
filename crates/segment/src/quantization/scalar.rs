//! Scalar quantization: each element becomes a byte on a range clipped to
//! a quantile of the values; scores come from integer byte kernels and
//! per-vector corrections.

use crate::distance::{kernels, Distance};

/// Byte codes of every vector.
#[derive(Debug)]
pub struct ScalarCodes {
    dim: usize,
    /// Lower end of the range.
    min: f32,
    /// Value step of one code unit.
    step: f32,
    /// `dim` codes per offset.
    codes: Vec<u8>,
    /// Sum of each vector's codes (for the dot product correction).
    sums: Vec<f32>,
    /// Sum of each vector's squared codes (for Euclid).
    squares: Vec<f32>,
}

/// A query as codes: unsigned, and shifted to signed for the
/// unsigned-by-signed dot product (`Σ c·q = Σ c·(q − 128) + 128·Σ c`).
#[derive(Debug)]
pub struct ScalarQuery {
    codes: Vec<u8>,
    shifted: Vec<i8>,
    sum: f32,
    square: f32,
}

/// The `lo` and `hi` quantiles of `values` (reordered in place).
fn quantile_range(values: &mut [f32], quantile: f32) -> (f32, f32) {
    if values.is_empty() {
        return (0.0, 1.0);
    }
    let n = values.len();
    let tail = ((1.0 - quantile.clamp(0.5, 1.0)) / 2.0 * n as f32) as usize;
    let lo_at = tail.min(n - 1);
    let hi_at = (n - 1 - tail).max(lo_at);
    let lo = *values.select_nth_unstable_by(lo_at, f32::total_cmp).1;
    let hi = *values.select_nth_unstable_by(hi_at, f32::total_cmp).1;
    (lo, hi)
}

impl ScalarCodes {
    /// Encodes the vectors `read` returns for `offsets`.
    pub fn build(
        quantile: f32,
        dim: usize,
        slots: usize,
        offsets: &[u32],
        read: impl Fn(u32) -> Vec<f32>,
    ) -> Self {
        // the range comes from a sample of at most ~1M values
        let stride = (offsets.len() * dim / 1_000_000).max(1);
        let mut sample: Vec<f32> = offsets
            .iter()
            .step_by(stride)
            .flat_map(|&o| read(o))
            .filter(|x| x.is_finite())
            .collect();
        let (min, max) = quantile_range(&mut sample, quantile);
        let step = if max > min { (max - min) / 255.0 } else { 1.0 };
        let mut codes = vec![0u8; slots * dim];
        let mut sums = vec![0.0f32; slots];
        let mut squares = vec![0.0f32; slots];
        for &o in offsets {
            let at = o as usize * dim;
            let v = read(o);
            let (mut sum, mut square) = (0u64, 0u64);
            for (c, x) in codes[at..at + dim].iter_mut().zip(&v) {
                *c = ((x - min) / step).round().clamp(0.0, 255.0) as u8;
                sum += *c as u64;
                square += (*c as u64) * (*c as u64);
            }
            sums[o as usize] = sum as f32;
            squares[o as usize] = square as f32;
        }
        ScalarCodes {
            dim,
            min,
            step,
            codes,
            sums,
            squares,
        }
    }

    /// Encodes a query the same way.
    pub fn query(&self, q: &[f32]) -> ScalarQuery {
        let codes: Vec<u8> = q
            .iter()
            .map(|x| ((x - self.min) / self.step).round().clamp(0.0, 255.0) as u8)
            .collect();
        let sum = codes.iter().map(|&c| c as u64).sum::<u64>() as f32;
        let square = codes.iter().map(|&c| (c as u64) * (c as u64)).sum::<u64>() as f32;
        let shifted = codes.iter().map(|&c| (c as i16 - 128) as i8).collect();
        ScalarQuery {
            codes,
            shifted,
            sum,
            square,
        }
    }

    /// Approximate ranking similarity.
    #[inline]
    pub fn similarity(&self, distance: Distance, q: &ScalarQuery, offset: u32) -> f32 {
        let at = offset as usize * self.dim;
        let Some(codes) = self.codes.get(at..at + self.dim) else {
            return f32::NEG_INFINITY;
        };
        let k = kernels();
        let s = self.step;
        let at = offset as usize;
        let dot = || ((k.dot_u8_i8)(codes, &q.shifted) as f32) + 128.0 * self.sums[at];
        match distance {
            Distance::Cosine | Distance::Dot => {
                // (min + s·c)·(min + s·d) summed over the elements
                s * s * dot()
                    + self.min * s * (q.sum + self.sums[at])
                    + self.dim as f32 * self.min * self.min
            }
            Distance::Euclid => {
                // exact in integers: Σc² + Σq² − 2·Σc·q
                let cq = (k.dot_u8_i8)(codes, &q.shifted) + 128 * self.sums[at] as i64;
                let l2 = self.squares[at] as i64 + q.square as i64 - 2 * cq;
                -(s * s * l2.max(0) as f32).sqrt()
            }
            Distance::Manhattan => -(s * (k.l1_u8)(&q.codes, codes) as f32),
        }
    }

    /// Hints the CPU to load the codes and the code sum of `offset`.
    #[inline]
    pub fn prefetch(&self, offset: u32) {
        crate::hnsw::prefetch_range(self.codes_of(offset).as_ptr(), self.dim);
        if let Some(sum) = self.sums.get(offset as usize) {
            crate::hnsw::prefetch(sum as *const f32 as *const u8);
        }
    }

    /// The codes of `offset` (empty past the end).
    #[inline]
    pub fn codes_of(&self, offset: u32) -> &[u8] {
        let at = offset as usize * self.dim;
        self.codes.get(at..at + self.dim).unwrap_or(&[])
    }

    /// Bytes held.
    pub fn memory_bytes(&self) -> usize {
        self.codes.len() + self.sums.len() * 8
    }
}
