use super::*;
use crate::distance::Distance;
use crate::vector_storage::{DenseData, Element};

/// Clustered data (so that neighbours are meaningful), `n` vectors.
fn dataset(n: usize, dim: usize, seed: u64) -> Vec<f32> {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as f32 / (1u64 << 31) as f32) * 2.0 - 1.0
    };
    let centers: Vec<Vec<f32>> = (0..20)
        .map(|_| (0..dim).map(|_| next()).collect())
        .collect();
    (0..n)
        .flat_map(|i| {
            let c = &centers[i % centers.len()];
            c.iter().map(|x| x + 0.5 * next()).collect::<Vec<_>>()
        })
        .collect()
}

/// Share of the true top 10 found by taking the 40 best by quantized
/// score and rescoring them exactly.
fn rescored_recall(method: Method, distance: Distance) -> f64 {
    let (n, dim) = (1000, 32);
    let mut all = dataset(n + 30, dim, 3);
    if distance == Distance::Cosine {
        all.chunks_mut(dim).for_each(crate::vectors::normalize);
    }
    let (data, queries) = all.split_at(n * dim);
    let stored = DenseData::from_flat(Element::F32, dim, data);
    let offsets: Vec<u32> = (0..n as u32).collect();
    let q = QuantizedVectors::build(method, distance, dim, &stored, &offsets);
    let exact = |query: &[f32], o: u32| {
        distance.similarity(query, &data[o as usize * dim..(o as usize + 1) * dim])
    };
    let (mut hit, mut total) = (0, 0);
    for query in queries.chunks(dim) {
        let mut truth: Vec<u32> = offsets.clone();
        truth.sort_by(|&a, &b| exact(query, b).total_cmp(&exact(query, a)));
        let prepared = q.query(query);
        let mut approx = offsets.clone();
        approx.sort_by(|&a, &b| {
            q.similarity(&prepared, b)
                .total_cmp(&q.similarity(&prepared, a))
        });
        let mut rescored: Vec<u32> = approx[..40].to_vec();
        rescored.sort_by(|&a, &b| exact(query, b).total_cmp(&exact(query, a)));
        total += 10;
        hit += truth[..10]
            .iter()
            .filter(|o| rescored[..10].contains(o))
            .count();
    }
    hit as f64 / total as f64
}

#[test]
fn every_method_finds_neighbours_after_rescoring() {
    let methods = [
        (Method::Scalar { quantile: 1.0 }, 0.97),
        (Method::Scalar { quantile: 0.99 }, 0.97),
        (Method::Product { sub_dim: 2 }, 0.95),
        (Method::Product { sub_dim: 8 }, 0.65),
        (
            Method::Binary {
                bits: Bits::One,
                symmetric: true,
            },
            0.45,
        ),
        (
            Method::Binary {
                bits: Bits::One,
                symmetric: false,
            },
            0.55,
        ),
        (
            Method::Binary {
                bits: Bits::OneAndHalf,
                symmetric: false,
            },
            0.7,
        ),
        (
            Method::Binary {
                bits: Bits::Two,
                symmetric: false,
            },
            0.75,
        ),
        (Method::Turbo { bits: Bits::One }, 0.65),
        (
            Method::Turbo {
                bits: Bits::OneAndHalf,
            },
            0.68,
        ),
        (Method::Turbo { bits: Bits::Two }, 0.72),
        (Method::Turbo { bits: Bits::Four }, 0.95),
    ];
    for distance in [
        Distance::Cosine,
        Distance::Dot,
        Distance::Euclid,
        Distance::Manhattan,
    ] {
        for (method, floor) in methods {
            let r = rescored_recall(method, distance);
            eprintln!("{method:?} {distance:?}: {r:.3}");
            assert!(r >= floor, "{method:?} {distance:?}: recall {r}");
        }
    }
}

#[test]
fn scalar_scores_are_close() {
    let dim = 16;
    let data = dataset(100, dim, 9);
    let stored = DenseData::from_flat(Element::F32, dim, &data);
    let offsets: Vec<u32> = (0..100).collect();
    for distance in [Distance::Dot, Distance::Euclid, Distance::Manhattan] {
        let q = QuantizedVectors::build(
            Method::Scalar { quantile: 1.0 },
            distance,
            dim,
            &stored,
            &offsets,
        );
        let query = &data[..dim];
        let prepared = q.query(query);
        for o in 0..100u32 {
            let exact = distance.similarity(query, &data[o as usize * dim..(o as usize + 1) * dim]);
            let approx = q.similarity(&prepared, o);
            assert!(
                (exact - approx).abs() < 0.05 * exact.abs().max(1.0),
                "{distance:?} {exact} {approx}"
            );
        }
    }
}
