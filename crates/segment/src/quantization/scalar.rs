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
}

/// A query as codes.
#[derive(Debug)]
pub struct ScalarQuery {
    codes: Vec<u8>,
    sum: f32,
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
        for &o in offsets {
            let at = o as usize * dim;
            let v = read(o);
            let mut sum = 0u32;
            for (c, x) in codes[at..at + dim].iter_mut().zip(&v) {
                *c = ((x - min) / step).round().clamp(0.0, 255.0) as u8;
                sum += *c as u32;
            }
            sums[o as usize] = sum as f32;
        }
        ScalarCodes {
            dim,
            min,
            step,
            codes,
            sums,
        }
    }

    /// Encodes a query the same way.
    pub fn query(&self, q: &[f32]) -> ScalarQuery {
        let codes: Vec<u8> = q
            .iter()
            .map(|x| ((x - self.min) / self.step).round().clamp(0.0, 255.0) as u8)
            .collect();
        let sum = codes.iter().map(|&c| c as u32).sum::<u32>() as f32;
        ScalarQuery { codes, sum }
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
        match distance {
            Distance::Cosine | Distance::Dot => {
                // (min + s·c)·(min + s·d) summed over the elements
                let dot = (k.dot_u8)(&q.codes, codes) as f32;
                s * s * dot
                    + self.min * s * (q.sum + self.sums[offset as usize])
                    + self.dim as f32 * self.min * self.min
            }
            Distance::Euclid => -(s * s * (k.l2_u8)(&q.codes, codes) as f32).sqrt(),
            Distance::Manhattan => -(s * (k.l1_u8)(&q.codes, codes) as f32),
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
        self.codes.len() + self.sums.len() * 4
    }
}
