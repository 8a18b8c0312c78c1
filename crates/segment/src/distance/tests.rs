use proptest::prelude::*;

use super::kernels::available;
use super::*;

fn close(a: f32, b: f32, scale: f32) -> bool {
    (a - b).abs() <= 1e-4 * scale.max(1.0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Every kernel agrees with the scalar reference on every length,
    /// including lengths that are not a multiple of the lane width.
    #[test]
    fn kernels_match_scalar(pairs in (0usize..300).prop_flat_map(|n| (
        prop::collection::vec(-10.0f32..10.0, n),
        prop::collection::vec(-10.0f32..10.0, n),
    ))) {
        let (a, b) = pairs;
        let scale = a.iter().chain(&b).map(|x| x.abs()).sum::<f32>();
        for k in available() {
            prop_assert!(close((k.dot)(&a, &b), scalar::dot(&a, &b), scale), "{} dot", k.name);
            prop_assert!(close((k.l2_squared)(&a, &b), scalar::l2_squared(&a, &b), scale * 20.0), "{} l2", k.name);
            prop_assert!(close((k.l1)(&a, &b), scalar::l1(&a, &b), scale), "{} l1", k.name);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The f16 and byte kernels agree with their scalar references.
    #[test]
    fn typed_kernels_match_scalar(pairs in (0usize..300).prop_flat_map(|n| (
        prop::collection::vec(-10.0f32..10.0, n),
        prop::collection::vec(-10.0f32..10.0, n),
        prop::collection::vec(any::<u8>(), n),
        prop::collection::vec(any::<u8>(), n),
    ))) {
        let (q, d, x, y) = pairs;
        let d: Vec<f16> = d.iter().map(|&v| f16::from_f32(v)).collect();
        let scale = q.iter().map(|v| v.abs()).sum::<f32>() * 10.0;
        for k in available() {
            prop_assert!(close((k.dot_f16)(&q, &d), typed_scalar::dot_f16(&q, &d), scale), "{} dot_f16", k.name);
            prop_assert!(close((k.l2_f16)(&q, &d), typed_scalar::l2_f16(&q, &d), scale * 20.0), "{} l2_f16", k.name);
            prop_assert!(close((k.l1_f16)(&q, &d), typed_scalar::l1_f16(&q, &d), scale), "{} l1_f16", k.name);
            prop_assert_eq!((k.dot_u8)(&x, &y), typed_scalar::dot_u8(&x, &y), "{} dot_u8", k.name);
            prop_assert_eq!((k.l2_u8)(&x, &y), typed_scalar::l2_u8(&x, &y), "{} l2_u8", k.name);
            prop_assert_eq!((k.l1_u8)(&x, &y), typed_scalar::l1_u8(&x, &y), "{} l1_u8", k.name);
            let signed: Vec<i8> = y.iter().map(|&v| v as i8).collect();
            prop_assert_eq!((k.dot_u8_i8)(&x, &signed), typed_scalar::dot_u8_i8(&x, &signed), "{} dot_u8_i8", k.name);
        }
    }
}

#[test]
fn byte_cosine_divides_by_norms() {
    let s = Distance::Cosine.similarity_u8(&[3, 4], &[6, 8]);
    assert!((s - 1.0).abs() < 1e-6);
    assert_eq!(Distance::Cosine.similarity_u8(&[0, 0], &[6, 8]), 0.0);
    assert_eq!(Distance::Dot.similarity_u8(&[3, 4], &[6, 8]), 50.0);
    assert_eq!(Distance::Euclid.similarity_u8(&[0, 0], &[3, 4]), -5.0);
}

#[test]
fn scores_as_qdrant_reports_them() {
    let a = [1.0, 2.0, 3.0];
    let b = [4.0, 6.0, 3.0];
    assert_eq!(Distance::Dot.score(&a, &b), 25.0);
    assert_eq!(Distance::Euclid.score(&a, &b), 5.0);
    assert_eq!(Distance::Manhattan.score(&a, &b), 7.0);
    assert!(Distance::Euclid.similarity(&a, &a) > Distance::Euclid.similarity(&a, &b));
    assert!(Distance::Euclid.passes(4.0, 5.0) && !Distance::Euclid.passes(6.0, 5.0));
    assert!(Distance::Dot.passes(6.0, 5.0));
}

#[test]
fn sparse_and_multi() {
    assert_eq!(
        sparse_dot(
            &[1, 3, 7],
            &[1.0, 2.0, 3.0],
            &[3, 7, 9],
            &[10.0, 100.0, 5.0]
        ),
        320.0
    );
    let q = vec![vec![1.0, 0.0], vec![0.5, 0.5]];
    let d = vec![vec![1.0, 0.0], vec![0.0, 1.0]];
    assert!((max_sim(Distance::Dot, &q, &d) - 1.5).abs() < 1e-6);
}

#[test]
fn max_sim_sums_raw_similarities_as_qdrant() {
    let q = vec![vec![0.0, 0.0], vec![1.0, 0.0]];
    let d = vec![vec![3.0, 4.0], vec![30.0, 40.0]];
    // Euclid: the square root of the summed best squared distances
    // (25 + 20), not the sum of the distances (5 + 4.47)
    assert!((max_sim_raw(Distance::Euclid, &q, &d) + 45.0).abs() < 1e-5);
    let score = Distance::Euclid.to_score(max_sim(Distance::Euclid, &q, &d));
    assert!((score - 45f32.sqrt()).abs() < 1e-5, "{score}");
    // Manhattan: the summed best distances (7 + 6)
    let score = Distance::Manhattan.to_score(max_sim(Distance::Manhattan, &q, &d));
    assert!((score - 13.0).abs() < 1e-5, "{score}");
}
