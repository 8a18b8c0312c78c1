//! Vector values and their per-name storage.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The name of the default (unnamed) vector.
pub const DEFAULT_VECTOR_NAME: &str = "";

/// A sparse vector: parallel lists of dimension indices and values.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SparseVector {
    /// Dimension indices, unique.
    pub indices: Vec<u32>,
    /// Values, one per index.
    pub values: Vec<f32>,
}

impl SparseVector {
    /// Checks that indices and values pair up and indices are unique.
    pub fn validate(&self) -> Result<(), String> {
        if self.indices.len() != self.values.len() {
            return Err("indices and values must have the same length".to_string());
        }
        let mut seen = self.indices.clone();
        seen.sort_unstable();
        if seen.windows(2).any(|w| w[0] == w[1]) {
            return Err("indices must be unique".to_string());
        }
        Ok(())
    }

    /// Returns a copy sorted by index, the order the storage keeps.
    pub fn sorted(&self) -> SparseVector {
        let mut pairs: Vec<(u32, f32)> = self
            .indices
            .iter()
            .copied()
            .zip(self.values.iter().copied())
            .collect();
        pairs.sort_unstable_by_key(|p| p.0);
        SparseVector {
            indices: pairs.iter().map(|p| p.0).collect(),
            values: pairs.iter().map(|p| p.1).collect(),
        }
    }
}

/// One vector value of a point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Vector {
    /// A dense vector.
    Dense(Vec<f32>),
    /// A sparse vector.
    Sparse(SparseVector),
    /// A multi-dense vector: several dense vectors of equal size.
    Multi(Vec<Vec<f32>>),
}

/// All vectors of a point, by vector name (`""` is the unnamed vector).
pub type NamedVectors = BTreeMap<String, Vector>;

/// Scales `v` to unit length in place; zero vectors stay as they are.
pub fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > f32::EPSILON {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_matches_qdrant_example() {
        let mut v = vec![0.05, 0.61, 0.76, 0.74];
        normalize(&mut v);
        let expected = [0.04082755, 0.4980961, 0.62057877, 0.60424775];
        for (a, b) in v.iter().zip(expected) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
    }

    #[test]
    fn sparse_validation() {
        let ok = SparseVector {
            indices: vec![3, 1],
            values: vec![0.1, 0.2],
        };
        assert!(ok.validate().is_ok());
        assert_eq!(ok.sorted().indices, vec![1, 3]);
        assert_eq!(ok.sorted().values, vec![0.2, 0.1]);
        let dup = SparseVector {
            indices: vec![1, 1],
            values: vec![0.1, 0.2],
        };
        assert!(dup.validate().is_err());
        let short = SparseVector {
            indices: vec![1],
            values: vec![],
        };
        assert!(short.validate().is_err());
    }
}
