//! Per-name vector storage indexed by internal offset.

use serde::{Deserialize, Serialize};

use crate::vectors::{SparseVector, Vector};

/// The shape of the vectors one storage holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VectorKind {
    /// Dense vectors of `dim` elements.
    Dense {
        /// Dimension.
        dim: usize,
    },
    /// Multi-dense vectors whose sub-vectors have `dim` elements.
    Multi {
        /// Dimension of each sub-vector.
        dim: usize,
    },
    /// Sparse vectors.
    Sparse,
}

/// Vectors of one name, one slot per internal offset.
///
/// Dense vectors live in one contiguous array (`dim` floats per offset) so
/// scans read memory in order; a presence flag marks offsets without one.
#[derive(Debug, Clone)]
pub enum VectorStorage {
    /// Contiguous dense vectors.
    Dense {
        /// Dimension.
        dim: usize,
        /// `dim` floats per offset.
        data: Vec<f32>,
        /// Whether the offset holds a vector.
        present: Vec<bool>,
    },
    /// Multi-dense vectors.
    Multi {
        /// Sub-vector dimension.
        dim: usize,
        /// One optional list of sub-vectors per offset.
        data: Vec<Option<Vec<Vec<f32>>>>,
    },
    /// Sparse vectors, sorted by index.
    Sparse(Vec<Option<SparseVector>>),
}

impl VectorStorage {
    /// An empty storage for `kind`.
    pub fn new(kind: VectorKind) -> Self {
        match kind {
            VectorKind::Dense { dim } => VectorStorage::Dense {
                dim,
                data: Vec::new(),
                present: Vec::new(),
            },
            VectorKind::Multi { dim } => VectorStorage::Multi {
                dim,
                data: Vec::new(),
            },
            VectorKind::Sparse => VectorStorage::Sparse(Vec::new()),
        }
    }

    /// The kind of vectors stored.
    pub fn kind(&self) -> VectorKind {
        match self {
            VectorStorage::Dense { dim, .. } => VectorKind::Dense { dim: *dim },
            VectorStorage::Multi { dim, .. } => VectorKind::Multi { dim: *dim },
            VectorStorage::Sparse(_) => VectorKind::Sparse,
        }
    }

    fn grow(&mut self, len: usize) {
        match self {
            VectorStorage::Dense { dim, data, present } => {
                if present.len() < len {
                    present.resize(len, false);
                    data.resize(len * *dim, 0.0);
                }
            }
            VectorStorage::Multi { data, .. } => {
                if data.len() < len {
                    data.resize(len, None);
                }
            }
            VectorStorage::Sparse(data) => {
                if data.len() < len {
                    data.resize(len, None);
                }
            }
        }
    }

    /// Stores `vector` at `offset` (or clears it with `None`).
    ///
    /// The caller has validated that the vector fits this storage's kind.
    pub fn set(&mut self, offset: u32, vector: Option<Vector>) {
        let at = offset as usize;
        self.grow(at + 1);
        match (self, vector) {
            (VectorStorage::Dense { dim, data, present }, Some(Vector::Dense(v))) => {
                data[at * *dim..(at + 1) * *dim].copy_from_slice(&v);
                present[at] = true;
            }
            (VectorStorage::Dense { present, .. }, _) => present[at] = false,
            (VectorStorage::Multi { data, .. }, Some(Vector::Multi(v))) => data[at] = Some(v),
            (VectorStorage::Multi { data, .. }, _) => data[at] = None,
            (VectorStorage::Sparse(data), Some(Vector::Sparse(v))) => data[at] = Some(v.sorted()),
            (VectorStorage::Sparse(data), _) => data[at] = None,
        }
    }

    /// Whether `offset` holds a vector.
    pub fn has(&self, offset: u32) -> bool {
        let at = offset as usize;
        match self {
            VectorStorage::Dense { present, .. } => present.get(at).copied().unwrap_or(false),
            VectorStorage::Multi { data, .. } => data.get(at).is_some_and(Option::is_some),
            VectorStorage::Sparse(data) => data.get(at).is_some_and(Option::is_some),
        }
    }

    /// The vector at `offset`, if any.
    pub fn get(&self, offset: u32) -> Option<Vector> {
        let at = offset as usize;
        match self {
            VectorStorage::Dense { dim, data, present } => present
                .get(at)
                .copied()
                .unwrap_or(false)
                .then(|| Vector::Dense(data[at * dim..(at + 1) * dim].to_vec())),
            VectorStorage::Multi { data, .. } => data.get(at).cloned().flatten().map(Vector::Multi),
            VectorStorage::Sparse(data) => data.get(at).cloned().flatten().map(Vector::Sparse),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_slots() {
        let mut s = VectorStorage::new(VectorKind::Dense { dim: 2 });
        s.set(3, Some(Vector::Dense(vec![1.0, 2.0])));
        assert!(!s.has(0) && s.has(3) && !s.has(9));
        assert_eq!(s.get(3), Some(Vector::Dense(vec![1.0, 2.0])));
        s.set(3, None);
        assert_eq!(s.get(3), None);
    }
}
