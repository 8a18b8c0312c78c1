//! Scalar and SIMD distance kernels.

use super::{typed, Kernels};

/// Portable reference kernels.
pub mod scalar {
    /// Dot product.
    pub fn dot(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    /// Squared Euclidean distance.
    pub fn l2_squared(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
    }

    /// Manhattan distance.
    pub fn l1(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum()
    }
}

/// Unrolled kernels the compiler vectorizes for the baseline target; used
/// when no better instruction set is present.
mod portable {
    const LANES: usize = 8;

    #[inline]
    fn reduce(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) -> f32 {
        let n = a.len().min(b.len());
        let mut acc = [0.0f32; LANES];
        let chunks = n / LANES;
        for c in 0..chunks {
            let (x, y) = (
                &a[c * LANES..c * LANES + LANES],
                &b[c * LANES..c * LANES + LANES],
            );
            for l in 0..LANES {
                acc[l] += f(x[l], y[l]);
            }
        }
        let mut sum: f32 = acc.iter().sum();
        for i in chunks * LANES..n {
            sum += f(a[i], b[i]);
        }
        sum
    }

    pub fn dot(a: &[f32], b: &[f32]) -> f32 {
        reduce(a, b, |x, y| x * y)
    }

    pub fn l2_squared(a: &[f32], b: &[f32]) -> f32 {
        reduce(a, b, |x, y| (x - y) * (x - y))
    }

    pub fn l1(a: &[f32], b: &[f32]) -> f32 {
        reduce(a, b, |x, y| (x - y).abs())
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    /// Sums the 8 lanes of a vector.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn hsum(v: __m256) -> f32 {
        let hi = _mm256_extractf128_ps(v, 1);
        let lo = _mm256_castps256_ps128(v);
        let s = _mm_add_ps(lo, hi);
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        let s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
        _mm_cvtss_f32(s)
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn dot_impl(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc0 = _mm256_setzero_ps();
        let mut acc1 = _mm256_setzero_ps();
        let mut acc2 = _mm256_setzero_ps();
        let mut acc3 = _mm256_setzero_ps();
        let mut i = 0;
        // SAFETY: every load reads 8 floats starting at `i`, `i + 8`, `i + 16`
        // or `i + 24`; each loop bound keeps them inside both slices.
        while i + 32 <= n {
            acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)), acc0);
            acc1 = _mm256_fmadd_ps(
                _mm256_loadu_ps(pa.add(i + 8)),
                _mm256_loadu_ps(pb.add(i + 8)),
                acc1,
            );
            acc2 = _mm256_fmadd_ps(
                _mm256_loadu_ps(pa.add(i + 16)),
                _mm256_loadu_ps(pb.add(i + 16)),
                acc2,
            );
            acc3 = _mm256_fmadd_ps(
                _mm256_loadu_ps(pa.add(i + 24)),
                _mm256_loadu_ps(pb.add(i + 24)),
                acc3,
            );
            i += 32;
        }
        acc0 = _mm256_add_ps(acc0, acc2);
        acc1 = _mm256_add_ps(acc1, acc3);
        while i + 16 <= n {
            acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)), acc0);
            acc1 = _mm256_fmadd_ps(
                _mm256_loadu_ps(pa.add(i + 8)),
                _mm256_loadu_ps(pb.add(i + 8)),
                acc1,
            );
            i += 16;
        }
        while i + 8 <= n {
            acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)), acc0);
            i += 8;
        }
        let mut sum = hsum(_mm256_add_ps(acc0, acc1));
        while i < n {
            sum += a[i] * b[i];
            i += 1;
        }
        sum
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn l2_impl(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc0 = _mm256_setzero_ps();
        let mut acc1 = _mm256_setzero_ps();
        let mut i = 0;
        // SAFETY: as in `dot_impl`, every load stays inside both slices.
        while i + 16 <= n {
            let d0 = _mm256_sub_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)));
            let d1 = _mm256_sub_ps(
                _mm256_loadu_ps(pa.add(i + 8)),
                _mm256_loadu_ps(pb.add(i + 8)),
            );
            acc0 = _mm256_fmadd_ps(d0, d0, acc0);
            acc1 = _mm256_fmadd_ps(d1, d1, acc1);
            i += 16;
        }
        while i + 8 <= n {
            let d = _mm256_sub_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)));
            acc0 = _mm256_fmadd_ps(d, d, acc0);
            i += 8;
        }
        let mut sum = hsum(_mm256_add_ps(acc0, acc1));
        while i < n {
            let d = a[i] - b[i];
            sum += d * d;
            i += 1;
        }
        sum
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn l1_impl(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let sign = _mm256_set1_ps(-0.0);
        let mut acc = _mm256_setzero_ps();
        let mut i = 0;
        // SAFETY: as in `dot_impl`, every load stays inside both slices.
        while i + 8 <= n {
            let d = _mm256_sub_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)));
            acc = _mm256_add_ps(acc, _mm256_andnot_ps(sign, d));
            i += 8;
        }
        let mut sum = hsum(acc);
        while i < n {
            sum += (a[i] - b[i]).abs();
            i += 1;
        }
        sum
    }

    pub fn dot(a: &[f32], b: &[f32]) -> f32 {
        // SAFETY: only installed after `is_x86_feature_detected!` found AVX2 and FMA.
        unsafe { dot_impl(a, b) }
    }

    pub fn l2_squared(a: &[f32], b: &[f32]) -> f32 {
        // SAFETY: only installed after `is_x86_feature_detected!` found AVX2 and FMA.
        unsafe { l2_impl(a, b) }
    }

    pub fn l1(a: &[f32], b: &[f32]) -> f32 {
        // SAFETY: only installed after `is_x86_feature_detected!` found AVX2 and FMA.
        unsafe { l1_impl(a, b) }
    }
}

#[cfg(target_arch = "aarch64")]
pub(super) mod neon {
    use std::arch::aarch64::*;

    pub fn dot(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let mut i = 0;
        // SAFETY: NEON is part of the aarch64 baseline; loads read 4 floats at
        // `i..i + 4` with `i + 4 <= n`, inside both slices.
        unsafe {
            let mut acc = vdupq_n_f32(0.0);
            while i + 4 <= n {
                acc = vfmaq_f32(
                    acc,
                    vld1q_f32(a.as_ptr().add(i)),
                    vld1q_f32(b.as_ptr().add(i)),
                );
                i += 4;
            }
            let mut sum = vaddvq_f32(acc);
            while i < n {
                sum += a[i] * b[i];
                i += 1;
            }
            sum
        }
    }

    pub fn l2_squared(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let mut i = 0;
        // SAFETY: as in `dot`.
        unsafe {
            let mut acc = vdupq_n_f32(0.0);
            while i + 4 <= n {
                let d = vsubq_f32(vld1q_f32(a.as_ptr().add(i)), vld1q_f32(b.as_ptr().add(i)));
                acc = vfmaq_f32(acc, d, d);
                i += 4;
            }
            let mut sum = vaddvq_f32(acc);
            while i < n {
                let d = a[i] - b[i];
                sum += d * d;
                i += 1;
            }
            sum
        }
    }

    pub fn l1(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let mut i = 0;
        // SAFETY: as in `dot`.
        unsafe {
            let mut acc = vdupq_n_f32(0.0);
            while i + 4 <= n {
                let d = vsubq_f32(vld1q_f32(a.as_ptr().add(i)), vld1q_f32(b.as_ptr().add(i)));
                acc = vaddq_f32(acc, vabsq_f32(d));
                i += 4;
            }
            let mut sum = vaddvq_f32(acc);
            while i < n {
                sum += (a[i] - b[i]).abs();
                i += 1;
            }
            sum
        }
    }
}

/// The portable kernels.
pub fn portable() -> Kernels {
    Kernels {
        name: "portable",
        dot: portable::dot,
        l2_squared: portable::l2_squared,
        l1: portable::l1,
        dot_f16: typed::scalar::dot_f16,
        l2_f16: typed::scalar::l2_f16,
        l1_f16: typed::scalar::l1_f16,
        dot_u8: typed::scalar::dot_u8,
        l2_u8: typed::scalar::l2_u8,
        l1_u8: typed::scalar::l1_u8,
        dot_u8_i8: typed::scalar::dot_u8_i8,
    }
}

/// Every kernel set this CPU can run, best first.
#[allow(clippy::vec_init_then_push)] // the pushes depend on the target
pub fn available() -> Vec<Kernels> {
    let mut out = Vec::new();
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx2")
        && is_x86_feature_detected!("fma")
        && is_x86_feature_detected!("f16c")
    {
        let avx2 = Kernels {
            name: "avx2+fma",
            dot: avx2::dot,
            l2_squared: avx2::l2_squared,
            l1: avx2::l1,
            dot_f16: typed::avx2::dot_f16,
            l2_f16: typed::avx2::l2_f16,
            l1_f16: typed::avx2::l1_f16,
            dot_u8: typed::avx2::dot_u8,
            l2_u8: typed::avx2::l2_u8,
            l1_u8: typed::avx2::l1_u8,
            dot_u8_i8: typed::avx2::dot_u8_i8,
        };
        if is_x86_feature_detected!("avx512f") {
            let bw = is_x86_feature_detected!("avx512bw");
            let vnni = bw && is_x86_feature_detected!("avx512vnni");
            let f32_only = Kernels {
                name: "avx512f",
                dot: super::avx512::dot,
                l2_squared: super::avx512::l2_squared,
                l1: super::avx512::l1,
                ..avx2
            };
            out.push(match bw {
                true => Kernels {
                    name: if vnni { "avx512bw+vnni" } else { "avx512bw" },
                    dot_f16: typed::avx512::dot_f16,
                    l2_f16: typed::avx512::l2_f16,
                    l1_f16: typed::avx512::l1_f16,
                    dot_u8: typed::avx512::dot_u8,
                    l2_u8: typed::avx512::l2_u8,
                    l1_u8: typed::avx512::l1_u8,
                    dot_u8_i8: if vnni {
                        typed::vnni::dot_u8_i8
                    } else {
                        typed::avx2::dot_u8_i8
                    },
                    ..f32_only
                },
                false => f32_only,
            });
        }
        out.push(avx2);
    }
    #[cfg(target_arch = "aarch64")]
    out.push(Kernels {
        name: "neon",
        dot: neon::dot,
        l2_squared: neon::l2_squared,
        l1: neon::l1,
        dot_f16: typed::neon::dot_f16,
        l2_f16: typed::neon::l2_f16,
        l1_f16: typed::neon::l1_f16,
        dot_u8: typed::neon::dot_u8,
        l2_u8: typed::neon::l2_u8,
        l1_u8: typed::neon::l1_u8,
        dot_u8_i8: typed::neon::dot_u8_i8,
    });
    out.push(portable());
    out
}

pub(super) fn detect() -> Kernels {
    available()[0]
}
