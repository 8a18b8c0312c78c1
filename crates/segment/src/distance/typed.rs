//! Kernels for f16 and u8 storage: an f32 query against f16 elements, and
//! byte vectors against byte vectors with exact integer sums.

/// Reference kernels.
pub mod scalar {
    use half::f16;

    /// Dot product of an f32 query and f16 elements.
    pub fn dot_f16(q: &[f32], d: &[f16]) -> f32 {
        q.iter().zip(d).map(|(x, y)| x * y.to_f32()).sum()
    }

    /// Squared Euclidean distance of an f32 query and f16 elements.
    pub fn l2_f16(q: &[f32], d: &[f16]) -> f32 {
        q.iter()
            .zip(d)
            .map(|(x, y)| (x - y.to_f32()) * (x - y.to_f32()))
            .sum()
    }

    /// Manhattan distance of an f32 query and f16 elements.
    pub fn l1_f16(q: &[f32], d: &[f16]) -> f32 {
        q.iter().zip(d).map(|(x, y)| (x - y.to_f32()).abs()).sum()
    }

    /// Dot product of byte vectors.
    pub fn dot_u8(a: &[u8], b: &[u8]) -> u32 {
        a.iter().zip(b).map(|(&x, &y)| x as u32 * y as u32).sum()
    }

    /// Squared Euclidean distance of byte vectors.
    pub fn l2_u8(a: &[u8], b: &[u8]) -> u32 {
        a.iter()
            .zip(b)
            .map(|(&x, &y)| (x as i32 - y as i32).pow(2) as u32)
            .sum()
    }

    /// Manhattan distance of byte vectors.
    pub fn l1_u8(a: &[u8], b: &[u8]) -> u32 {
        a.iter().zip(b).map(|(&x, &y)| x.abs_diff(y) as u32).sum()
    }

    /// Dot product of unsigned and signed bytes.
    pub fn dot_u8_i8(a: &[u8], b: &[i8]) -> i64 {
        a.iter().zip(b).map(|(&x, &y)| x as i64 * y as i64).sum()
    }
}

#[cfg(target_arch = "x86_64")]
pub mod avx2 {
    use std::arch::x86_64::*;

    use half::f16;

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn hsum_ps(v: __m256) -> f32 {
        let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        _mm_cvtss_f32(_mm_add_ss(s, _mm_shuffle_ps(s, s, 1)))
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn hsum_epi32(v: __m256i) -> u32 {
        let s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0b01_00_11_10));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0b10_11_00_01));
        _mm_cvtsi128_si32(s) as u32
    }

    /// Eight f16 elements at `p` as f32 lanes.
    #[inline]
    #[target_feature(enable = "avx2,f16c")]
    unsafe fn load_f16(p: *const f16) -> __m256 {
        _mm256_cvtph_ps(_mm_loadu_si128(p as *const __m128i))
    }

    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn f16_impl(q: &[f32], d: &[f16], op: u8) -> f32 {
        let n = q.len().min(d.len());
        let (pq, pd) = (q.as_ptr(), d.as_ptr());
        let sign = _mm256_set1_ps(-0.0);
        let mut acc0 = _mm256_setzero_ps();
        let mut acc1 = _mm256_setzero_ps();
        let mut i = 0;
        // SAFETY: each step reads 8 elements at `i` and `i + 8`, inside both
        // slices by the loop bounds.
        while i + 16 <= n {
            let (a0, b0) = (_mm256_loadu_ps(pq.add(i)), load_f16(pd.add(i)));
            let (a1, b1) = (_mm256_loadu_ps(pq.add(i + 8)), load_f16(pd.add(i + 8)));
            match op {
                0 => {
                    acc0 = _mm256_fmadd_ps(a0, b0, acc0);
                    acc1 = _mm256_fmadd_ps(a1, b1, acc1);
                }
                1 => {
                    let (x, y) = (_mm256_sub_ps(a0, b0), _mm256_sub_ps(a1, b1));
                    acc0 = _mm256_fmadd_ps(x, x, acc0);
                    acc1 = _mm256_fmadd_ps(y, y, acc1);
                }
                _ => {
                    acc0 = _mm256_add_ps(acc0, _mm256_andnot_ps(sign, _mm256_sub_ps(a0, b0)));
                    acc1 = _mm256_add_ps(acc1, _mm256_andnot_ps(sign, _mm256_sub_ps(a1, b1)));
                }
            }
            i += 16;
        }
        let mut sum = hsum_ps(_mm256_add_ps(acc0, acc1));
        while i < n {
            let (x, y) = (q[i], d[i].to_f32());
            sum += match op {
                0 => x * y,
                1 => (x - y) * (x - y),
                _ => (x - y).abs(),
            };
            i += 1;
        }
        sum
    }

    /// Dot product, u8 or squared Euclidean: 16 bytes at a time widened to
    /// i16 and multiplied-added into i32 lanes.
    #[target_feature(enable = "avx2")]
    unsafe fn u8_impl(a: &[u8], b: &[u8], l2: bool) -> u32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc = _mm256_setzero_si256();
        let mut i = 0;
        // SAFETY: each step reads 16 bytes at `i`, inside both slices.
        while i + 16 <= n {
            let x = _mm256_cvtepu8_epi16(_mm_loadu_si128(pa.add(i) as *const __m128i));
            let y = _mm256_cvtepu8_epi16(_mm_loadu_si128(pb.add(i) as *const __m128i));
            let p = if l2 {
                let d = _mm256_sub_epi16(x, y);
                _mm256_madd_epi16(d, d)
            } else {
                _mm256_madd_epi16(x, y)
            };
            acc = _mm256_add_epi32(acc, p);
            i += 16;
        }
        let mut sum = hsum_epi32(acc);
        while i < n {
            let (x, y) = (a[i] as i32, b[i] as i32);
            sum += if l2 {
                ((x - y) * (x - y)) as u32
            } else {
                (x * y) as u32
            };
            i += 1;
        }
        sum
    }

    /// Manhattan distance of bytes with `vpsadbw`.
    #[target_feature(enable = "avx2")]
    unsafe fn l1_u8_impl(a: &[u8], b: &[u8]) -> u32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc = _mm256_setzero_si256();
        let mut i = 0;
        // SAFETY: each step reads 32 bytes at `i`, inside both slices.
        while i + 32 <= n {
            let x = _mm256_loadu_si256(pa.add(i) as *const __m256i);
            let y = _mm256_loadu_si256(pb.add(i) as *const __m256i);
            acc = _mm256_add_epi64(acc, _mm256_sad_epu8(x, y));
            i += 32;
        }
        let mut lanes = [0u64; 4];
        _mm256_storeu_si256(lanes.as_mut_ptr() as *mut __m256i, acc);
        let mut sum = lanes.iter().sum::<u64>() as u32;
        while i < n {
            sum += a[i].abs_diff(b[i]) as u32;
            i += 1;
        }
        sum
    }

    /// Unsigned by signed bytes, 16 at a time widened to i16.
    #[target_feature(enable = "avx2")]
    unsafe fn u8_i8_impl(a: &[u8], b: &[i8]) -> i64 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc = _mm256_setzero_si256();
        let mut i = 0;
        // SAFETY: each step reads 16 bytes at `i`, inside both slices.
        while i + 16 <= n {
            let x = _mm256_cvtepu8_epi16(_mm_loadu_si128(pa.add(i) as *const __m128i));
            let y = _mm256_cvtepi8_epi16(_mm_loadu_si128(pb.add(i) as *const __m128i));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(x, y));
            i += 16;
        }
        let mut lanes = [0i32; 8];
        _mm256_storeu_si256(lanes.as_mut_ptr() as *mut __m256i, acc);
        let mut sum: i64 = lanes.iter().map(|&l| l as i64).sum();
        while i < n {
            sum += a[i] as i64 * b[i] as i64;
            i += 1;
        }
        sum
    }

    /// Dot product of unsigned and signed bytes.
    pub fn dot_u8_i8(a: &[u8], b: &[i8]) -> i64 {
        // SAFETY: installed only after AVX2 was detected.
        unsafe { u8_i8_impl(a, b) }
    }

    // SAFETY (the wrappers below): installed only after
    // `is_x86_feature_detected!` found AVX2, FMA and F16C.

    /// Dot product of an f32 query and f16 elements.
    pub fn dot_f16(q: &[f32], d: &[f16]) -> f32 {
        unsafe { f16_impl(q, d, 0) }
    }

    /// Squared Euclidean distance of an f32 query and f16 elements.
    pub fn l2_f16(q: &[f32], d: &[f16]) -> f32 {
        unsafe { f16_impl(q, d, 1) }
    }

    /// Manhattan distance of an f32 query and f16 elements.
    pub fn l1_f16(q: &[f32], d: &[f16]) -> f32 {
        unsafe { f16_impl(q, d, 2) }
    }

    /// Dot product of byte vectors.
    pub fn dot_u8(a: &[u8], b: &[u8]) -> u32 {
        unsafe { u8_impl(a, b, false) }
    }

    /// Squared Euclidean distance of byte vectors.
    pub fn l2_u8(a: &[u8], b: &[u8]) -> u32 {
        unsafe { u8_impl(a, b, true) }
    }

    /// Manhattan distance of byte vectors.
    pub fn l1_u8(a: &[u8], b: &[u8]) -> u32 {
        unsafe { l1_u8_impl(a, b) }
    }
}

/// AVX-512 VNNI: `vpdpbusd` multiplies 64 unsigned by 64 signed bytes and
/// adds them into 16 i32 lanes in one instruction.
#[cfg(target_arch = "x86_64")]
pub mod vnni {
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    unsafe fn dot_impl(a: &[u8], b: &[i8]) -> i64 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc0 = _mm512_setzero_si512();
        let mut acc1 = _mm512_setzero_si512();
        let mut i = 0;
        // SAFETY: full loads read 64 bytes at `i` (and `i + 64`) inside
        // both slices by the loop bounds; the tail load is masked to the
        // `n - i` bytes that remain.
        while i + 128 <= n {
            acc0 = _mm512_dpbusd_epi32(
                acc0,
                _mm512_loadu_si512(pa.add(i) as *const _),
                _mm512_loadu_si512(pb.add(i) as *const _),
            );
            acc1 = _mm512_dpbusd_epi32(
                acc1,
                _mm512_loadu_si512(pa.add(i + 64) as *const _),
                _mm512_loadu_si512(pb.add(i + 64) as *const _),
            );
            i += 128;
        }
        while i + 64 <= n {
            acc0 = _mm512_dpbusd_epi32(
                acc0,
                _mm512_loadu_si512(pa.add(i) as *const _),
                _mm512_loadu_si512(pb.add(i) as *const _),
            );
            i += 64;
        }
        if i < n {
            let m: __mmask64 = (1u64 << (n - i)) - 1;
            acc1 = _mm512_dpbusd_epi32(
                acc1,
                _mm512_maskz_loadu_epi8(m, pa.add(i) as *const i8),
                _mm512_maskz_loadu_epi8(m, pb.add(i)),
            );
        }
        let mut lanes = [0i32; 16];
        _mm512_storeu_si512(lanes.as_mut_ptr() as *mut _, _mm512_add_epi32(acc0, acc1));
        lanes.iter().map(|&l| l as i64).sum()
    }

    /// Dot product of unsigned and signed bytes.
    pub fn dot_u8_i8(a: &[u8], b: &[i8]) -> i64 {
        // SAFETY: installed only after AVX-512F, BW and VNNI were detected.
        unsafe { dot_impl(a, b) }
    }
}

/// AVX-512 (F + BW) kernels for f16 and byte storage.
#[cfg(target_arch = "x86_64")]
pub mod avx512 {
    use std::arch::x86_64::*;

    use half::f16;

    #[target_feature(enable = "avx512f,avx512bw")]
    unsafe fn f16_impl(q: &[f32], d: &[f16], op: u8) -> f32 {
        let n = q.len().min(d.len());
        let (pq, pd) = (q.as_ptr(), d.as_ptr());
        let mut acc0 = _mm512_setzero_ps();
        let mut acc1 = _mm512_setzero_ps();
        let mut i = 0;
        // SAFETY: each step reads 16 floats and 16 halves at `i` and
        // `i + 16`, inside both slices by the loop bound.
        while i + 32 <= n {
            let a0 = _mm512_loadu_ps(pq.add(i));
            let b0 = _mm512_cvtph_ps(_mm256_loadu_si256(pd.add(i) as *const __m256i));
            let a1 = _mm512_loadu_ps(pq.add(i + 16));
            let b1 = _mm512_cvtph_ps(_mm256_loadu_si256(pd.add(i + 16) as *const __m256i));
            match op {
                0 => {
                    acc0 = _mm512_fmadd_ps(a0, b0, acc0);
                    acc1 = _mm512_fmadd_ps(a1, b1, acc1);
                }
                1 => {
                    let (x, y) = (_mm512_sub_ps(a0, b0), _mm512_sub_ps(a1, b1));
                    acc0 = _mm512_fmadd_ps(x, x, acc0);
                    acc1 = _mm512_fmadd_ps(y, y, acc1);
                }
                _ => {
                    acc0 = _mm512_add_ps(acc0, _mm512_abs_ps(_mm512_sub_ps(a0, b0)));
                    acc1 = _mm512_add_ps(acc1, _mm512_abs_ps(_mm512_sub_ps(a1, b1)));
                }
            }
            i += 32;
        }
        let mut sum = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
        while i < n {
            let (x, y) = (q[i], d[i].to_f32());
            sum += match op {
                0 => x * y,
                1 => (x - y) * (x - y),
                _ => (x - y).abs(),
            };
            i += 1;
        }
        sum
    }

    /// Dot product or squared distance of bytes: 32 at a time widened to
    /// i16 and multiplied-added into i32 lanes.
    #[target_feature(enable = "avx512f,avx512bw")]
    unsafe fn u8_impl(a: &[u8], b: &[u8], l2: bool) -> u32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc = _mm512_setzero_si512();
        let mut i = 0;
        // SAFETY: each step reads 32 bytes at `i`, inside both slices.
        while i + 32 <= n {
            let x = _mm512_cvtepu8_epi16(_mm256_loadu_si256(pa.add(i) as *const __m256i));
            let y = _mm512_cvtepu8_epi16(_mm256_loadu_si256(pb.add(i) as *const __m256i));
            let p = if l2 {
                let d = _mm512_sub_epi16(x, y);
                _mm512_madd_epi16(d, d)
            } else {
                _mm512_madd_epi16(x, y)
            };
            acc = _mm512_add_epi32(acc, p);
            i += 32;
        }
        let mut sum = _mm512_reduce_add_epi32(acc) as u32;
        while i < n {
            let (x, y) = (a[i] as i32, b[i] as i32);
            sum += if l2 {
                ((x - y) * (x - y)) as u32
            } else {
                (x * y) as u32
            };
            i += 1;
        }
        sum
    }

    /// Manhattan distance of bytes with `vpsadbw` over 64 bytes.
    #[target_feature(enable = "avx512f,avx512bw")]
    unsafe fn l1_u8_impl(a: &[u8], b: &[u8]) -> u32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc = _mm512_setzero_si512();
        let mut i = 0;
        // SAFETY: each step reads 64 bytes at `i`, inside both slices.
        while i + 64 <= n {
            let x = _mm512_loadu_si512(pa.add(i) as *const _);
            let y = _mm512_loadu_si512(pb.add(i) as *const _);
            acc = _mm512_add_epi64(acc, _mm512_sad_epu8(x, y));
            i += 64;
        }
        let mut sum = _mm512_reduce_add_epi64(acc) as u32;
        while i < n {
            sum += a[i].abs_diff(b[i]) as u32;
            i += 1;
        }
        sum
    }

    // SAFETY (the wrappers below): installed only after
    // `is_x86_feature_detected!` found AVX-512F and AVX-512BW.

    /// Dot product of an f32 query and f16 elements.
    pub fn dot_f16(q: &[f32], d: &[f16]) -> f32 {
        unsafe { f16_impl(q, d, 0) }
    }

    /// Squared Euclidean distance of an f32 query and f16 elements.
    pub fn l2_f16(q: &[f32], d: &[f16]) -> f32 {
        unsafe { f16_impl(q, d, 1) }
    }

    /// Manhattan distance of an f32 query and f16 elements.
    pub fn l1_f16(q: &[f32], d: &[f16]) -> f32 {
        unsafe { f16_impl(q, d, 2) }
    }

    /// Dot product of byte vectors.
    pub fn dot_u8(a: &[u8], b: &[u8]) -> u32 {
        unsafe { u8_impl(a, b, false) }
    }

    /// Squared Euclidean distance of byte vectors.
    pub fn l2_u8(a: &[u8], b: &[u8]) -> u32 {
        unsafe { u8_impl(a, b, true) }
    }

    /// Manhattan distance of byte vectors.
    pub fn l1_u8(a: &[u8], b: &[u8]) -> u32 {
        unsafe { l1_u8_impl(a, b) }
    }
}

/// NEON kernels (aarch64 baseline). f16 elements are widened a block at a
/// time with the hardware conversion `half` selects, then scored by the
/// f32 NEON kernels; bytes are multiplied and summed in widening lanes.
#[cfg(target_arch = "aarch64")]
pub mod neon {
    use std::arch::aarch64::*;

    use half::f16;
    use half::slice::HalfFloatSliceExt;

    use super::super::kernels::neon as f32k;

    const BLOCK: usize = 64;

    /// `f` over the query and the widened elements, block by block.
    #[inline]
    fn f16_blocks(q: &[f32], d: &[f16], f: fn(&[f32], &[f32]) -> f32) -> f32 {
        let n = q.len().min(d.len());
        let mut buf = [0f32; BLOCK];
        let mut sum = 0.0;
        for (qc, dc) in q[..n].chunks(BLOCK).zip(d[..n].chunks(BLOCK)) {
            let wide = &mut buf[..dc.len()];
            dc.convert_to_f32_slice(wide);
            sum += f(qc, wide);
        }
        sum
    }

    /// Dot product of an f32 query and f16 elements.
    pub fn dot_f16(q: &[f32], d: &[f16]) -> f32 {
        f16_blocks(q, d, f32k::dot)
    }

    /// Squared Euclidean distance of an f32 query and f16 elements.
    pub fn l2_f16(q: &[f32], d: &[f16]) -> f32 {
        f16_blocks(q, d, f32k::l2_squared)
    }

    /// Manhattan distance of an f32 query and f16 elements.
    pub fn l1_f16(q: &[f32], d: &[f16]) -> f32 {
        f16_blocks(q, d, f32k::l1)
    }

    /// Dot product of byte vectors.
    pub fn dot_u8(a: &[u8], b: &[u8]) -> u32 {
        let n = a.len().min(b.len());
        let mut i = 0;
        // SAFETY: NEON is part of the aarch64 baseline; each load reads 16
        // bytes at `i..i + 16` with `i + 16 <= n`, inside both slices.
        let mut total = unsafe {
            let mut acc = vdupq_n_u32(0);
            while i + 16 <= n {
                let (x, y) = (vld1q_u8(a.as_ptr().add(i)), vld1q_u8(b.as_ptr().add(i)));
                acc = vpadalq_u16(acc, vmull_u8(vget_low_u8(x), vget_low_u8(y)));
                acc = vpadalq_u16(acc, vmull_high_u8(x, y));
                i += 16;
            }
            vaddvq_u32(acc)
        };
        while i < n {
            total += a[i] as u32 * b[i] as u32;
            i += 1;
        }
        total
    }

    /// Squared Euclidean distance of byte vectors.
    pub fn l2_u8(a: &[u8], b: &[u8]) -> u32 {
        let n = a.len().min(b.len());
        let mut i = 0;
        // SAFETY: as in `dot_u8`.
        let mut total = unsafe {
            let mut acc = vdupq_n_u32(0);
            while i + 16 <= n {
                let d = vabdq_u8(vld1q_u8(a.as_ptr().add(i)), vld1q_u8(b.as_ptr().add(i)));
                acc = vpadalq_u16(acc, vmull_u8(vget_low_u8(d), vget_low_u8(d)));
                acc = vpadalq_u16(acc, vmull_high_u8(d, d));
                i += 16;
            }
            vaddvq_u32(acc)
        };
        while i < n {
            let d = a[i].abs_diff(b[i]) as u32;
            total += d * d;
            i += 1;
        }
        total
    }

    /// Manhattan distance of byte vectors.
    pub fn l1_u8(a: &[u8], b: &[u8]) -> u32 {
        let n = a.len().min(b.len());
        let mut i = 0;
        // SAFETY: as in `dot_u8`.
        let mut total = unsafe {
            let mut acc = vdupq_n_u32(0);
            while i + 16 <= n {
                let d = vabdq_u8(vld1q_u8(a.as_ptr().add(i)), vld1q_u8(b.as_ptr().add(i)));
                acc = vpadalq_u16(acc, vpaddlq_u8(d));
                i += 16;
            }
            vaddvq_u32(acc)
        };
        while i < n {
            total += a[i].abs_diff(b[i]) as u32;
            i += 1;
        }
        total
    }

    /// Dot product of unsigned and signed bytes.
    pub fn dot_u8_i8(a: &[u8], b: &[i8]) -> i64 {
        let n = a.len().min(b.len());
        let mut i = 0;
        // SAFETY: as in `dot_u8` (16 bytes of each slice per step).
        let mut total = unsafe {
            let mut acc = vdupq_n_s64(0);
            while i + 16 <= n {
                let x = vld1q_u8(a.as_ptr().add(i));
                let y = vld1q_s8(b.as_ptr().add(i));
                let xl = vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(x)));
                let xh = vreinterpretq_s16_u16(vmovl_high_u8(x));
                let (yl, yh) = (vmovl_s8(vget_low_s8(y)), vmovl_high_s8(y));
                acc = vpadalq_s32(acc, vmull_s16(vget_low_s16(xl), vget_low_s16(yl)));
                acc = vpadalq_s32(acc, vmull_high_s16(xl, yl));
                acc = vpadalq_s32(acc, vmull_s16(vget_low_s16(xh), vget_low_s16(yh)));
                acc = vpadalq_s32(acc, vmull_high_s16(xh, yh));
                i += 16;
            }
            vaddvq_s64(acc)
        };
        while i < n {
            total += a[i] as i64 * b[i] as i64;
            i += 1;
        }
        total
    }
}
