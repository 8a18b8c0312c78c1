//! The `turbo4` / `turbo8` datatypes: vectors stored as TurboQuant codes.
//! A vector is scaled to unit length, rotated (a fixed randomized Hadamard
//! rotation, so no training is needed and any vector can be written at any
//! time), and each rotated coordinate — close to normal — becomes the
//! nearest of 16 Lloyd–Max levels (4 bits, two codes per byte) or of 256
//! even steps over ±4 deviations (8 bits). Each vector keeps its norm and
//! the scale that gives the decoded vector that norm. A query is rotated
//! once and scored against the codes directly.

use std::sync::OnceLock;

use super::adc::Bits;
use super::rotation::Rotation;

/// Seed of the shared rotation: fixed, so codes written by one process
/// decode in another.
const SEED: u64 = 0x7475_7262_6f34_0001;

/// Encoder and scorer of TurboQuant codes for one dimension.
#[derive(Debug)]
pub struct Turbo4Codec {
    dim: usize,
    /// Bits per coordinate: 4 or 8.
    bits: u8,
    rotation: Rotation,
}

/// The 256 levels of 8-bit codes: even steps over ±4.
fn levels8() -> &'static [f32] {
    static LEVELS: OnceLock<Vec<f32>> = OnceLock::new();
    LEVELS.get_or_init(|| (0..256).map(|i| i as f32 / 255.0 * 8.0 - 4.0).collect())
}

impl Turbo4Codec {
    /// The 4-bit codec of `dim`-element vectors.
    pub fn new(dim: usize) -> Self {
        Self::with_bits(dim, 4)
    }

    /// The codec of `dim`-element vectors with 4 or 8 bits per coordinate.
    pub fn with_bits(dim: usize, bits: u8) -> Self {
        Turbo4Codec {
            dim,
            bits: if bits == 8 { 8 } else { 4 },
            rotation: Rotation::new(dim, SEED),
        }
    }

    /// Bits per coordinate.
    pub fn bits(&self) -> u8 {
        self.bits
    }

    /// Bytes of codes per vector.
    fn code_bytes(&self) -> usize {
        self.rotation.width() * self.bits as usize / 8
    }

    /// Bytes per vector: the codes, then the scale and the norm (f32 each).
    pub fn stride(&self) -> usize {
        self.code_bytes() + 8
    }

    fn levels(&self) -> &'static [f32] {
        if self.bits == 8 {
            levels8()
        } else {
            Bits::Four.levels()
        }
    }

    fn nearest(&self, z: f32) -> usize {
        if self.bits == 8 {
            ((z + 4.0) / 8.0 * 255.0).round().clamp(0.0, 255.0) as usize
        } else {
            Bits::Four.nearest(z)
        }
    }

    /// Level indexes of a code, one per rotated coordinate.
    fn indexes<'a>(&self, code: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
        let eight = self.bits == 8;
        code[..self.code_bytes()].iter().flat_map(move |&b| {
            let pair = if eight {
                [b as usize, usize::MAX]
            } else {
                [(b & 15) as usize, (b >> 4) as usize]
            };
            pair.into_iter().filter(|&i| i != usize::MAX)
        })
    }

    /// Writes the code of `v` into `out` (`stride` bytes).
    pub fn encode(&self, v: &[f32], out: &mut [u8]) {
        let n = self.rotation.width();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        let unit: Vec<f32> = if norm > 0.0 {
            v.iter().map(|x| x / norm).collect()
        } else {
            v.to_vec()
        };
        let rotated = self.rotation.apply(&unit);
        let sqrt_n = (n as f32).sqrt();
        let levels = self.levels();
        let mut level_norm = 0.0f32;
        if self.bits == 8 {
            for (o, x) in out.iter_mut().zip(&rotated) {
                let i = self.nearest(x * sqrt_n);
                level_norm += levels[i] * levels[i];
                *o = i as u8;
            }
        } else {
            for (i, pair) in rotated.chunks(2).enumerate() {
                let lo = self.nearest(pair[0] * sqrt_n);
                let hi = self.nearest(pair.get(1).copied().unwrap_or(0.0) * sqrt_n);
                level_norm += levels[lo].powi(2) + levels[hi].powi(2);
                out[i] = (lo | (hi << 4)) as u8;
            }
        }
        let level_norm = level_norm.sqrt();
        let scale = if level_norm > 0.0 {
            norm / level_norm
        } else {
            0.0
        };
        let at = self.code_bytes();
        out[at..at + 4].copy_from_slice(&scale.to_le_bytes());
        out[at + 4..at + 8].copy_from_slice(&norm.to_le_bytes());
    }

    fn scale_and_norm(&self, code: &[u8]) -> (f32, f32) {
        let at = self.code_bytes();
        let f = |i: usize| f32::from_le_bytes(code[i..i + 4].try_into().expect("4 bytes"));
        (f(at), f(at + 4))
    }

    /// The stored vector's norm.
    pub fn norm(&self, code: &[u8]) -> f32 {
        self.scale_and_norm(code).1
    }

    /// The vector in rotated coordinates.
    pub fn rotated(&self, code: &[u8]) -> Vec<f32> {
        let (scale, _) = self.scale_and_norm(code);
        let levels = self.levels();
        self.indexes(code).map(|i| levels[i] * scale).collect()
    }

    /// The vector a code stands for.
    pub fn decode(&self, code: &[u8]) -> Vec<f32> {
        self.rotation.invert(&self.rotated(code), self.dim)
    }

    /// A query in rotated coordinates, for [`Turbo4Codec::dot`].
    pub fn prepare(&self, query: &[f32]) -> Vec<f32> {
        self.rotation.apply(query)
    }

    /// Dot product of a prepared query with a code.
    #[inline]
    pub fn dot(&self, rotated_query: &[f32], code: &[u8]) -> f32 {
        let (scale, _) = self.scale_and_norm(code);
        let levels = self.levels();
        let codes = &code[..self.code_bytes()];
        let sum: f32 = if self.bits == 8 {
            codes
                .iter()
                .zip(rotated_query)
                .map(|(&b, q)| q * levels[b as usize])
                .sum()
        } else {
            codes
                .iter()
                .zip(rotated_query.chunks_exact(2))
                .map(|(b, q)| q[0] * levels[(b & 15) as usize] + q[1] * levels[(b >> 4) as usize])
                .sum()
        };
        sum * scale
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_closely_and_stably() {
        for bits in [4, 8] {
            round_trip(bits);
        }
    }

    fn round_trip(bits: u8) {
        let codec = Turbo4Codec::with_bits(48, bits);
        let v: Vec<f32> = (0..48)
            .map(|i| ((i * 7919) % 101) as f32 / 50.0 - 1.0)
            .collect();
        let mut code = vec![0u8; codec.stride()];
        codec.encode(&v, &mut code);
        let back = codec.decode(&code);
        let norm = |x: &[f32]| x.iter().map(|a| a * a).sum::<f32>().sqrt();
        let err: f32 = v
            .iter()
            .zip(&back)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f32>()
            .sqrt();
        let tolerance = if bits == 8 { 0.02 } else { 0.15 };
        assert!(err < tolerance * norm(&v), "{bits} bits: error {err}");
        assert!((norm(&back) - norm(&v)).abs() < 1e-3 * norm(&v));
        // writing the decoded vector again gives the same code
        let mut again = vec![0u8; codec.stride()];
        codec.encode(&back, &mut again);
        assert_eq!(code[..codec.stride() - 8], again[..codec.stride() - 8]);
        let q: Vec<f32> = (0..48).map(|i| (i as f32).sin()).collect();
        let exact: f32 = q.iter().zip(&back).map(|(a, b)| a * b).sum();
        assert!((codec.dot(&codec.prepare(&q), &code) - exact).abs() < 1e-3);
    }
}
