//! AVX-512 f32 kernels: 16 lanes, four accumulators, masked tails.

use std::arch::x86_64::*;

/// Lanes per register.
const L: usize = 16;

/// Mask selecting the first `n < 16` lanes.
#[inline]
fn tail_mask(n: usize) -> __mmask16 {
    ((1u32 << n) - 1) as __mmask16
}

#[target_feature(enable = "avx512f")]
unsafe fn dot_impl(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let mut acc = [_mm512_setzero_ps(); 4];
    let mut i = 0;
    // SAFETY (all loads below): each full load reads 16 floats at an index
    // the loop bound keeps inside both slices; the tail load is masked to
    // the `n - i` floats that remain.
    while i + 4 * L <= n {
        for (k, a_k) in acc.iter_mut().enumerate() {
            let at = i + k * L;
            *a_k = _mm512_fmadd_ps(
                _mm512_loadu_ps(pa.add(at)),
                _mm512_loadu_ps(pb.add(at)),
                *a_k,
            );
        }
        i += 4 * L;
    }
    while i + L <= n {
        acc[0] = _mm512_fmadd_ps(
            _mm512_loadu_ps(pa.add(i)),
            _mm512_loadu_ps(pb.add(i)),
            acc[0],
        );
        i += L;
    }
    if i < n {
        let m = tail_mask(n - i);
        acc[1] = _mm512_fmadd_ps(
            _mm512_maskz_loadu_ps(m, pa.add(i)),
            _mm512_maskz_loadu_ps(m, pb.add(i)),
            acc[1],
        );
    }
    let s = _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3]));
    _mm512_reduce_add_ps(s)
}

#[target_feature(enable = "avx512f")]
unsafe fn l2_impl(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let mut acc0 = _mm512_setzero_ps();
    let mut acc1 = _mm512_setzero_ps();
    let mut i = 0;
    // SAFETY: as in `dot_impl`.
    while i + 2 * L <= n {
        let d0 = _mm512_sub_ps(_mm512_loadu_ps(pa.add(i)), _mm512_loadu_ps(pb.add(i)));
        let d1 = _mm512_sub_ps(
            _mm512_loadu_ps(pa.add(i + L)),
            _mm512_loadu_ps(pb.add(i + L)),
        );
        acc0 = _mm512_fmadd_ps(d0, d0, acc0);
        acc1 = _mm512_fmadd_ps(d1, d1, acc1);
        i += 2 * L;
    }
    while i + L <= n {
        let d = _mm512_sub_ps(_mm512_loadu_ps(pa.add(i)), _mm512_loadu_ps(pb.add(i)));
        acc0 = _mm512_fmadd_ps(d, d, acc0);
        i += L;
    }
    if i < n {
        let m = tail_mask(n - i);
        let d = _mm512_sub_ps(
            _mm512_maskz_loadu_ps(m, pa.add(i)),
            _mm512_maskz_loadu_ps(m, pb.add(i)),
        );
        acc1 = _mm512_fmadd_ps(d, d, acc1);
    }
    _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1))
}

#[target_feature(enable = "avx512f")]
unsafe fn l1_impl(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let mut acc = _mm512_setzero_ps();
    let mut i = 0;
    // SAFETY: as in `dot_impl`.
    while i + L <= n {
        let d = _mm512_sub_ps(_mm512_loadu_ps(pa.add(i)), _mm512_loadu_ps(pb.add(i)));
        acc = _mm512_add_ps(acc, _mm512_abs_ps(d));
        i += L;
    }
    if i < n {
        let m = tail_mask(n - i);
        let d = _mm512_sub_ps(
            _mm512_maskz_loadu_ps(m, pa.add(i)),
            _mm512_maskz_loadu_ps(m, pb.add(i)),
        );
        acc = _mm512_add_ps(acc, _mm512_abs_ps(d));
    }
    _mm512_reduce_add_ps(acc)
}

/// Dot product.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    // SAFETY: only installed after `is_x86_feature_detected!` found AVX-512F.
    unsafe { dot_impl(a, b) }
}

/// Squared Euclidean distance.
pub fn l2_squared(a: &[f32], b: &[f32]) -> f32 {
    // SAFETY: only installed after `is_x86_feature_detected!` found AVX-512F.
    unsafe { l2_impl(a, b) }
}

/// Manhattan distance.
pub fn l1(a: &[f32], b: &[f32]) -> f32 {
    // SAFETY: only installed after `is_x86_feature_detected!` found AVX-512F.
    unsafe { l1_impl(a, b) }
}
