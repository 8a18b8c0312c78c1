//! Helpers shared by the collection's integration tests.
#![allow(dead_code)] // each test file uses its own subset

use collection::collection::Collection;
use collection::operations::{PointData, UpdateMode, UpdateRequest};

/// A deterministic, well-spread vector of `dim` floats for `id` and `seed`.
pub fn vector(id: u64, seed: u64, dim: usize) -> Vec<f32> {
    let mut x = id.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ seed;
    (0..dim)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % 2000) as f32 / 1000.0 - 1.0 + 0.001
        })
        .collect()
}

/// Inserts or replaces `points` (the test fails if the update does).
pub fn upsert(c: &Collection, points: Vec<PointData>) {
    c.update(UpdateRequest::Upsert {
        points,
        update_filter: None,
        mode: UpdateMode::Upsert,
    })
    .unwrap();
}

/// Runs the optimizers once as if writes had paused (merges wait for a
/// pause otherwise); whether any ran.
#[allow(dead_code)]
pub fn optimize_now(c: &collection::collection::Collection) -> bool {
    c.set_quiet_period(std::time::Duration::ZERO);
    c.optimize().unwrap()
}
