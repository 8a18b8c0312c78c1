//! Packed codes scored through per-query tables ("asymmetric distance
//! computation"): each code byte stands for `per_byte` elements, and a
//! query precomputes its partial score against every byte value at every
//! position, so scoring a vector is one table lookup per code byte.

use rayon::prelude::*;

use super::rotation::Rotation;
use crate::distance::Distance;

/// Bits per element of level quantizers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bits {
    /// Two levels.
    One,
    /// Three levels (log2 3 ≈ 1.58 bits; five elements per byte).
    OneAndHalf,
    /// Four levels.
    Two,
    /// Sixteen levels.
    Four,
}

impl Bits {
    /// Reconstruction points of the optimal (Lloyd–Max) quantizer of a
    /// standard normal value, ascending.
    pub(crate) fn levels(self) -> &'static [f32] {
        match self {
            Bits::One => &[-0.7979, 0.7979],
            Bits::OneAndHalf => &[-1.2240, 0.0, 1.2240],
            Bits::Two => &[-1.5104, -0.4528, 0.4528, 1.5104],
            Bits::Four => &[
                -2.7326, -2.0690, -1.6181, -1.2562, -0.9424, -0.6568, -0.3881, -0.1284, 0.1284,
                0.3881, 0.6568, 0.9424, 1.2562, 1.6181, 2.0690, 2.7326,
            ],
        }
    }

    /// Elements per code byte.
    fn per_byte(self) -> usize {
        match self {
            Bits::One => 8,
            Bits::OneAndHalf => 5,
            Bits::Two => 4,
            Bits::Four => 2,
        }
    }

    /// Index of the level nearest to the standard value `z`.
    pub(crate) fn nearest(self, z: f32) -> usize {
        let levels = self.levels();
        // levels are sorted: the first whose midpoint with the next is above z
        (0..levels.len() - 1)
            .find(|&i| z < (levels[i] + levels[i + 1]) / 2.0)
            .unwrap_or(levels.len() - 1)
    }
}

/// Packed codes of every vector and the codebook that decodes them.
#[derive(Debug)]
pub struct AdcCodes {
    /// Coded elements per vector (the dimension, padded).
    width: usize,
    /// Elements per code byte.
    per_byte: usize,
    /// Code bytes per vector.
    bytes: usize,
    /// `bytes` codes per offset.
    codes: Vec<u8>,
    /// `book[(p * 256 + c) * per_byte + j]`: element `j` of code `c` at
    /// byte position `p`.
    book: Vec<f32>,
    rotation: Option<Rotation>,
    /// Per-vector norms, when codes hold unit vectors.
    norms: Option<Vec<f32>>,
    /// One-bit codes scored by popcount.
    symmetric: bool,
}

/// A query prepared for [`AdcCodes`].
#[derive(Debug)]
pub struct AdcQuery {
    /// Partial scores, 256 per byte position.
    table: Vec<f32>,
    /// The query's own codes, for popcount scoring.
    bits: Vec<u8>,
    /// Squared norm of the query (for Euclid over unit codes).
    norm2: f32,
}

fn partial(distance: Distance, q: f32, x: f32) -> f32 {
    match distance {
        Distance::Cosine | Distance::Dot => q * x,
        Distance::Euclid => (q - x) * (q - x),
        Distance::Manhattan => (q - x).abs(),
    }
}

impl AdcCodes {
    /// Level quantization: each element (after an optional rotation, of
    /// unit vectors whose norms are kept) snaps to one of `bits`' levels
    /// around its dimension's mean, in units of its standard deviation.
    #[allow(clippy::too_many_arguments)]
    pub fn levels(
        bits: Bits,
        rotate: bool,
        symmetric: bool,
        _distance: Distance,
        dim: usize,
        slots: usize,
        offsets: &[u32],
        read: impl Fn(u32) -> Vec<f32> + Sync,
    ) -> Self {
        let rotation = rotate.then(|| Rotation::new(dim, 0x9e37_79b9_7f4a_7c15));
        let per_byte = bits.per_byte();
        let base = rotation.as_ref().map_or(dim, Rotation::width);
        let width = base.div_ceil(per_byte) * per_byte;
        let bytes = width / per_byte;
        // vectors as coded: rotated unit vectors, or the vectors themselves
        let prepare = |v: Vec<f32>| -> (Vec<f32>, f32) {
            match &rotation {
                Some(r) => {
                    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                    let unit: Vec<f32> = if norm > 0.0 {
                        v.iter().map(|x| x / norm).collect()
                    } else {
                        v
                    };
                    (r.apply(&unit), norm)
                }
                None => (v, 1.0),
            }
        };
        // per-element mean and deviation over a sample
        let stride = (offsets.len() / 20_000).max(1);
        let (mut mean, mut var) = (vec![0f64; width], vec![0f64; width]);
        let mut count = 0f64;
        for &o in offsets.iter().step_by(stride) {
            let (v, _) = prepare(read(o));
            for (i, x) in v.iter().enumerate() {
                mean[i] += *x as f64;
                var[i] += (*x as f64) * (*x as f64);
            }
            count += 1.0;
        }
        let count = count.max(1.0);
        let center: Vec<f32> = if symmetric {
            vec![0.0; width]
        } else {
            mean.iter().map(|m| (m / count) as f32).collect()
        };
        let scale: Vec<f32> = (0..width)
            .map(|i| {
                let m = mean[i] / count;
                let s = (var[i] / count - m * m).max(0.0).sqrt() as f32;
                if s > 0.0 {
                    s
                } else {
                    1.0
                }
            })
            .collect();
        let levels = bits.levels();
        let radix = levels.len();
        let mut book = vec![0f32; bytes * 256 * per_byte];
        for p in 0..bytes {
            for c in 0..256 {
                let mut rest = c;
                for j in 0..per_byte {
                    let e = p * per_byte + j;
                    let l = rest % radix;
                    rest /= radix;
                    book[(p * 256 + c) * per_byte + j] = center[e] + scale[e] * levels[l];
                }
            }
        }
        let encode = |v: &[f32], out: &mut [u8]| {
            for (p, byte) in out.iter_mut().enumerate() {
                let mut code = 0usize;
                for j in (0..per_byte).rev() {
                    let e = p * per_byte + j;
                    let x = v.get(e).copied().unwrap_or(0.0);
                    code = code * radix + bits.nearest((x - center[e]) / scale[e]);
                }
                *byte = code as u8;
            }
        };
        let mut codes = vec![0u8; slots * bytes];
        let mut norms = rotation.as_ref().map(|_| vec![0f32; slots]);
        let encoded: Vec<(u32, Vec<u8>, f32)> = offsets
            .par_iter()
            .map(|&o| {
                let (v, norm) = prepare(read(o));
                let mut out = vec![0u8; bytes];
                encode(&v, &mut out);
                (o, out, norm)
            })
            .collect();
        for (o, out, norm) in encoded {
            let at = o as usize * bytes;
            codes[at..at + bytes].copy_from_slice(&out);
            if let Some(n) = norms.as_mut() {
                n[o as usize] = norm;
            }
        }
        AdcCodes {
            width,
            per_byte,
            bytes,
            codes,
            book,
            rotation,
            norms,
            // popcount ranks in steps of one bit: too coarse for a graph
            // walk below a few hundred dimensions, where tables are cheap
            symmetric: symmetric && bits == Bits::One && width >= 512,
        }
    }

    /// Product quantization: `sub_dim` consecutive elements per byte, each
    /// byte the nearest of 256 centroids found by k-means on a sample.
    pub fn product(
        sub_dim: usize,
        dim: usize,
        slots: usize,
        offsets: &[u32],
        read: impl Fn(u32) -> Vec<f32> + Sync,
    ) -> Self {
        let sub_dim = sub_dim.clamp(1, dim.max(1));
        let width = dim.div_ceil(sub_dim) * sub_dim;
        let bytes = width / sub_dim;
        let pad = |mut v: Vec<f32>| {
            v.resize(width, 0.0);
            v
        };
        let stride = (offsets.len() / 2_000).max(1);
        let sample: Vec<Vec<f32>> = offsets
            .iter()
            .step_by(stride)
            .map(|&o| pad(read(o)))
            .collect();
        let book: Vec<f32> = (0..bytes)
            .into_par_iter()
            .flat_map_iter(|p| {
                let points: Vec<&[f32]> = sample
                    .iter()
                    .map(|v| &v[p * sub_dim..(p + 1) * sub_dim])
                    .collect();
                kmeans(&points, sub_dim, 256, 8)
            })
            .collect();
        let encoded: Vec<(u32, Vec<u8>)> = offsets
            .par_iter()
            .map(|&o| {
                let v = pad(read(o));
                let out = (0..bytes)
                    .map(|p| {
                        nearest(
                            &book[p * 256 * sub_dim..],
                            &v[p * sub_dim..(p + 1) * sub_dim],
                        )
                    })
                    .collect();
                (o, out)
            })
            .collect();
        let mut codes = vec![0u8; slots * bytes];
        for (o, out) in encoded {
            codes[o as usize * bytes..(o as usize + 1) * bytes].copy_from_slice(&out);
        }
        AdcCodes {
            width,
            per_byte: sub_dim,
            bytes,
            codes,
            book,
            rotation: None,
            norms: None,
            symmetric: false,
        }
    }

    /// Prepares a query: its table of partial scores (and its own codes for
    /// popcount scoring).
    pub fn query(&self, q: &[f32], distance: Distance) -> AdcQuery {
        let norm2 = q.iter().map(|x| x * x).sum::<f32>();
        let (q, distance) = match &self.rotation {
            // unit codes: the table holds dot products with the rotated query
            Some(r) => (
                {
                    let mut v = r.apply(q);
                    v.resize(self.width, 0.0);
                    v
                },
                match distance {
                    Distance::Manhattan => Distance::Manhattan,
                    _ => Distance::Dot,
                },
            ),
            None => {
                let mut v = q.to_vec();
                v.resize(self.width, 0.0);
                (v, distance)
            }
        };
        if self.symmetric {
            let bits = (0..self.bytes)
                .map(|p| {
                    (0..8).fold(0u8, |b, j| {
                        let e = p * 8 + j;
                        // the level nearer to the query element
                        let (lo, hi) = (
                            self.book[p * 256 * 8 + j],
                            self.book[(p * 256 + 255) * 8 + j],
                        );
                        b | (u8::from((q[e] - hi).abs() < (q[e] - lo).abs()) << j)
                    })
                })
                .collect();
            return AdcQuery {
                table: Vec::new(),
                bits,
                norm2,
            };
        }
        let k = self.per_byte;
        let mut table = vec![0f32; self.bytes * 256];
        for p in 0..self.bytes {
            let qs = &q[p * k..(p + 1) * k];
            for c in 0..256 {
                let entry = &self.book[(p * 256 + c) * k..(p * 256 + c + 1) * k];
                table[p * 256 + c] = qs
                    .iter()
                    .zip(entry)
                    .map(|(a, b)| partial(distance, *a, *b))
                    .sum();
            }
        }
        AdcQuery {
            table,
            bits: Vec::new(),
            norm2,
        }
    }

    /// Approximate ranking similarity of `offset`.
    #[inline]
    pub fn similarity(&self, distance: Distance, q: &AdcQuery, offset: u32) -> f32 {
        let at = offset as usize * self.bytes;
        let Some(codes) = self.codes.get(at..at + self.bytes) else {
            return f32::NEG_INFINITY;
        };
        if self.symmetric {
            let differ: u32 = codes
                .chunks(8)
                .zip(q.bits.chunks(8))
                .map(|(a, b)| {
                    let (mut x, mut y) = ([0u8; 8], [0u8; 8]);
                    x[..a.len()].copy_from_slice(a);
                    y[..b.len()].copy_from_slice(b);
                    (u64::from_le_bytes(x) ^ u64::from_le_bytes(y)).count_ones()
                })
                .sum();
            return -(differ as f32);
        }
        let sum: f32 = codes
            .iter()
            .enumerate()
            .map(|(p, &c)| q.table[p * 256 + c as usize])
            .sum();
        match (&self.norms, distance) {
            (Some(norms), Distance::Cosine | Distance::Dot) => norms[offset as usize] * sum,
            (Some(norms), Distance::Euclid) => {
                let n = norms[offset as usize];
                -(q.norm2 + n * n - 2.0 * n * sum).max(0.0).sqrt()
            }
            (_, Distance::Cosine | Distance::Dot) => sum,
            (_, Distance::Euclid) => -sum.max(0.0).sqrt(),
            (_, Distance::Manhattan) => -sum,
        }
    }

    /// The codes of `offset` (empty past the end).
    #[inline]
    pub fn codes_of(&self, offset: u32) -> &[u8] {
        let at = offset as usize * self.bytes;
        self.codes.get(at..at + self.bytes).unwrap_or(&[])
    }

    /// Bytes held.
    pub fn memory_bytes(&self) -> usize {
        self.codes.len() + self.norms.as_ref().map_or(0, |n| n.len() * 4)
    }
}

/// Index of the centroid (of `dim` elements each, 256 of them) nearest `v`.
fn nearest(centroids: &[f32], v: &[f32]) -> u8 {
    let dim = v.len();
    let mut best = (f32::INFINITY, 0u8);
    for c in 0..256 {
        let e = &centroids[c * dim..(c + 1) * dim];
        let d: f32 = v.iter().zip(e).map(|(a, b)| (a - b) * (a - b)).sum();
        if d < best.0 {
            best = (d, c as u8);
        }
    }
    best.1
}

/// `k` centroids of `points` by Lloyd's k-means (`iterations` rounds),
/// seeded with evenly spaced points; flattened, `k * dim` values (empty
/// clusters keep their previous centroid, missing ones repeat points).
fn kmeans(points: &[&[f32]], dim: usize, k: usize, iterations: usize) -> Vec<f32> {
    let mut centroids = vec![0f32; k * dim];
    if points.is_empty() {
        return centroids;
    }
    for c in 0..k {
        let p = points[c * points.len() / k];
        centroids[c * dim..(c + 1) * dim].copy_from_slice(p);
    }
    for _ in 0..iterations {
        let mut sums = vec![0f64; k * dim];
        let mut counts = vec![0usize; k];
        for p in points {
            let c = nearest(&centroids, p) as usize;
            counts[c] += 1;
            for (s, x) in sums[c * dim..(c + 1) * dim].iter_mut().zip(p.iter()) {
                *s += *x as f64;
            }
        }
        for c in 0..k {
            if counts[c] > 0 {
                for j in 0..dim {
                    centroids[c * dim + j] = (sums[c * dim + j] / counts[c] as f64) as f32;
                }
            }
        }
    }
    centroids
}
