//! Distance functions and the SIMD kernels behind them.
//!
//! Kernels are chosen once at run time from the CPU's features (AVX2 + FMA
//! on x86-64, NEON on aarch64) with a scalar fallback that the vectorized
//! versions are tested against.

#[cfg(target_arch = "x86_64")]
mod avx512;
mod kernels;
mod typed;

use std::sync::OnceLock;

pub use half::f16;

pub use kernels::scalar;
pub use typed::scalar as typed_scalar;

/// How two dense vectors are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distance {
    /// Cosine similarity; stored and query vectors are unit length, so it is
    /// the dot product. Higher is better.
    Cosine,
    /// Dot product. Higher is better.
    Dot,
    /// Euclidean distance. Lower is better.
    Euclid,
    /// Manhattan distance. Lower is better.
    Manhattan,
}

impl Distance {
    /// Whether larger scores are better.
    pub fn higher_is_better(self) -> bool {
        matches!(self, Distance::Cosine | Distance::Dot)
    }

    /// The score of `a` against `b`, as Qdrant reports it.
    #[inline]
    pub fn score(self, a: &[f32], b: &[f32]) -> f32 {
        let k = kernels();
        match self {
            Distance::Cosine | Distance::Dot => (k.dot)(a, b),
            Distance::Euclid => (k.l2_squared)(a, b).sqrt(),
            Distance::Manhattan => (k.l1)(a, b),
        }
    }

    /// A score where larger is always better, for ranking.
    #[inline]
    pub fn similarity(self, a: &[f32], b: &[f32]) -> f32 {
        let s = self.score(a, b);
        if self.higher_is_better() {
            s
        } else {
            -s
        }
    }

    /// The ranking similarity as a plain function, with the kernel resolved
    /// once: for hot loops that score many vectors against one query.
    #[inline]
    pub fn similarity_fn(self) -> impl Fn(&[f32], &[f32]) -> f32 + Copy {
        let k = *kernels();
        move |a: &[f32], b: &[f32]| match self {
            Distance::Cosine | Distance::Dot => (k.dot)(a, b),
            Distance::Euclid => -(k.l2_squared)(a, b).sqrt(),
            Distance::Manhattan => -(k.l1)(a, b),
        }
    }

    /// Ranking similarity of an f32 query to f16 stored elements.
    #[inline]
    pub fn similarity_f16(self, q: &[f32], d: &[f16]) -> f32 {
        let k = kernels();
        match self {
            Distance::Cosine | Distance::Dot => (k.dot_f16)(q, d),
            Distance::Euclid => -(k.l2_f16)(q, d).sqrt(),
            Distance::Manhattan => -(k.l1_f16)(q, d),
        }
    }

    /// Ranking similarity of two byte vectors. Bytes cannot be normalized
    /// on write, so Cosine divides by both norms here.
    #[inline]
    pub fn similarity_u8(self, a: &[u8], b: &[u8]) -> f32 {
        let k = kernels();
        match self {
            Distance::Dot => (k.dot_u8)(a, b) as f32,
            Distance::Cosine => {
                let norms = ((k.dot_u8)(a, a) as f64 * (k.dot_u8)(b, b) as f64).sqrt();
                if norms == 0.0 {
                    0.0
                } else {
                    ((k.dot_u8)(a, b) as f64 / norms) as f32
                }
            }
            Distance::Euclid => -((k.l2_u8)(a, b) as f32).sqrt(),
            Distance::Manhattan => -((k.l1_u8)(a, b) as f32),
        }
    }

    /// Turns a ranking similarity back into the reported score.
    #[inline]
    pub fn to_score(self, similarity: f32) -> f32 {
        if self.higher_is_better() {
            similarity
        } else {
            -similarity
        }
    }

    /// Whether `score` passes `threshold`: strictly better, as Qdrant
    /// filters results.
    pub fn passes(self, score: f32, threshold: f32) -> bool {
        if self.higher_is_better() {
            score > threshold
        } else {
            score < threshold
        }
    }
}

/// The kernels in use on this CPU.
#[derive(Clone, Copy)]
pub struct Kernels {
    /// Name, for logs and benchmarks.
    pub name: &'static str,
    /// Dot product.
    pub dot: fn(&[f32], &[f32]) -> f32,
    /// Squared Euclidean distance.
    pub l2_squared: fn(&[f32], &[f32]) -> f32,
    /// Manhattan distance.
    pub l1: fn(&[f32], &[f32]) -> f32,
    /// Dot product of an f32 query and f16 stored elements.
    pub dot_f16: fn(&[f32], &[f16]) -> f32,
    /// Squared Euclidean distance of an f32 query and f16 stored elements.
    pub l2_f16: fn(&[f32], &[f16]) -> f32,
    /// Manhattan distance of an f32 query and f16 stored elements.
    pub l1_f16: fn(&[f32], &[f16]) -> f32,
    /// Dot product of byte vectors.
    pub dot_u8: fn(&[u8], &[u8]) -> u32,
    /// Squared Euclidean distance of byte vectors.
    pub l2_u8: fn(&[u8], &[u8]) -> u32,
    /// Manhattan distance of byte vectors.
    pub l1_u8: fn(&[u8], &[u8]) -> u32,
    /// Dot product of unsigned and signed bytes (scalar quantization).
    pub dot_u8_i8: fn(&[u8], &[i8]) -> i64,
}

/// The best kernels for this CPU, detected once.
pub fn kernels() -> &'static Kernels {
    static KERNELS: OnceLock<Kernels> = OnceLock::new();
    KERNELS.get_or_init(kernels::detect)
}

/// Sparse dot product of two index-sorted sparse vectors.
pub fn sparse_dot(ai: &[u32], av: &[f32], bi: &[u32], bv: &[f32]) -> f32 {
    let (mut i, mut j, mut sum) = (0, 0, 0.0f32);
    while i < ai.len() && j < bi.len() {
        match ai[i].cmp(&bi[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                sum += av[i] * bv[j];
                i += 1;
                j += 1;
            }
        }
    }
    sum
}

/// Multi-vector `max_sim` as Qdrant sums it: for each query sub-vector the
/// best raw similarity to a document sub-vector (a dot product for Cosine
/// and Dot, a negated squared Euclidean or negated Manhattan distance).
pub fn max_sim_raw(distance: Distance, query: &[Vec<f32>], doc: &[Vec<f32>]) -> f32 {
    let k = kernels();
    let raw = |q: &[f32], d: &[f32]| match distance {
        Distance::Cosine | Distance::Dot => (k.dot)(q, d),
        Distance::Euclid => -(k.l2_squared)(q, d),
        Distance::Manhattan => -(k.l1)(q, d),
    };
    query
        .iter()
        .map(|q| {
            doc.iter()
                .map(|d| raw(q, d))
                .fold(f32::NEG_INFINITY, f32::max)
        })
        .sum()
}

/// Multi-vector `max_sim` in ranking form (larger is better), whose
/// [`Distance::to_score`] is Qdrant's score: the square root of the summed
/// squared distances for Euclid, the raw sum otherwise.
pub fn max_sim(distance: Distance, query: &[Vec<f32>], doc: &[Vec<f32>]) -> f32 {
    let raw = max_sim_raw(distance, query, doc);
    match distance {
        Distance::Euclid => -(-raw).max(0.0).sqrt(),
        _ => raw,
    }
}

#[cfg(test)]
mod tests;
