//! Per-name vector storage indexed by internal offset.

use half::f16;
use serde::{Deserialize, Serialize};

use crate::vectors::{SparseVector, Vector};

/// Element type of stored dense and multi-dense vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Element {
    /// 32-bit floats.
    #[default]
    F32,
    /// 16-bit floats.
    F16,
    /// Bytes: values are cast to `u8` (saturating, fraction dropped).
    U8,
}

impl Element {
    /// Rounds `v` in place to the values this element type stores.
    pub fn round(self, v: &mut [f32]) {
        match self {
            Element::F32 => {}
            Element::F16 => v.iter_mut().for_each(|x| *x = f16::from_f32(*x).to_f32()),
            Element::U8 => v.iter_mut().for_each(|x| *x = (*x as u8) as f32),
        }
    }
}

/// The shape of the vectors one storage holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VectorKind {
    /// Dense vectors of `dim` elements.
    Dense {
        /// Dimension.
        dim: usize,
        /// Element type.
        #[serde(default)]
        element: Element,
    },
    /// Multi-dense vectors whose sub-vectors have `dim` elements.
    Multi {
        /// Dimension of each sub-vector.
        dim: usize,
        /// Element type.
        #[serde(default)]
        element: Element,
    },
    /// Sparse vectors.
    Sparse,
}

impl VectorKind {
    /// Dense `f32` vectors of `dim` elements.
    pub fn dense(dim: usize) -> Self {
        VectorKind::Dense {
            dim,
            element: Element::F32,
        }
    }
}

/// Contiguous dense elements, `dim` per offset, in the storage's type.
#[derive(Debug, Clone)]
pub enum DenseData {
    /// 32-bit floats.
    F32(Vec<f32>),
    /// 16-bit floats.
    F16(Vec<f16>),
    /// Bytes.
    U8(Vec<u8>),
}

/// A borrowed view of [`DenseData`].
#[derive(Debug, Clone, Copy)]
pub enum DenseSlice<'a> {
    /// 32-bit floats.
    F32(&'a [f32]),
    /// 16-bit floats.
    F16(&'a [f16]),
    /// Bytes.
    U8(&'a [u8]),
}

impl DenseData {
    /// No elements, of type `element`.
    pub fn new(element: Element) -> Self {
        match element {
            Element::F32 => DenseData::F32(Vec::new()),
            Element::F16 => DenseData::F16(Vec::new()),
            Element::U8 => DenseData::U8(Vec::new()),
        }
    }

    /// The element type.
    pub fn element(&self) -> Element {
        match self {
            DenseData::F32(_) => Element::F32,
            DenseData::F16(_) => Element::F16,
            DenseData::U8(_) => Element::U8,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            DenseData::F32(d) => d.len(),
            DenseData::F16(d) => d.len(),
            DenseData::U8(d) => d.len(),
        }
    }

    /// Whether there is no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn resize(&mut self, len: usize) {
        match self {
            DenseData::F32(d) => d.resize(len, 0.0),
            DenseData::F16(d) => d.resize(len, f16::ZERO),
            DenseData::U8(d) => d.resize(len, 0),
        }
    }

    /// Writes `v` (converted to the element type) at element `at`.
    pub(crate) fn write(&mut self, at: usize, v: &[f32]) {
        match self {
            DenseData::F32(d) => d[at..at + v.len()].copy_from_slice(v),
            DenseData::F16(d) => d[at..at + v.len()]
                .iter_mut()
                .zip(v)
                .for_each(|(o, x)| *o = f16::from_f32(*x)),
            DenseData::U8(d) => d[at..at + v.len()]
                .iter_mut()
                .zip(v)
                .for_each(|(o, x)| *o = *x as u8),
        }
    }

    /// The `n` elements at `at`, as floats.
    pub fn read(&self, at: usize, n: usize) -> Vec<f32> {
        match self {
            DenseData::F32(d) => d[at..at + n].to_vec(),
            DenseData::F16(d) => d[at..at + n].iter().map(|x| x.to_f32()).collect(),
            DenseData::U8(d) => d[at..at + n].iter().map(|&x| x as f32).collect(),
        }
    }

    /// A borrowed view.
    pub fn as_slice(&self) -> DenseSlice<'_> {
        match self {
            DenseData::F32(d) => DenseSlice::F32(d),
            DenseData::F16(d) => DenseSlice::F16(d),
            DenseData::U8(d) => DenseSlice::U8(d),
        }
    }

    /// A copy of the first `len` elements.
    pub fn prefix(&self, len: usize) -> DenseData {
        match self {
            DenseData::F32(d) => DenseData::F32(d[..len].to_vec()),
            DenseData::F16(d) => DenseData::F16(d[..len].to_vec()),
            DenseData::U8(d) => DenseData::U8(d[..len].to_vec()),
        }
    }
}

/// A dense query in the form a storage's kernels take: floats (rounded to
/// f16 for f16 storage) or bytes.
#[derive(Debug, Clone, PartialEq)]
pub enum DenseQuery {
    /// Floats, for f32 and f16 storage.
    F32(Vec<f32>),
    /// Bytes, for u8 storage.
    U8(Vec<u8>),
}

impl DenseQuery {
    /// Converts `query` as `element` storage stores vectors.
    pub fn new(element: Element, query: &[f32]) -> Self {
        match element {
            Element::F32 => DenseQuery::F32(query.to_vec()),
            Element::F16 => {
                let mut q = query.to_vec();
                Element::F16.round(&mut q);
                DenseQuery::F32(q)
            }
            Element::U8 => DenseQuery::U8(query.iter().map(|&x| x as u8).collect()),
        }
    }
}

/// Vectors of one name, one slot per internal offset.
///
/// Dense vectors live in one contiguous array (`dim` elements per offset) so
/// scans read memory in order; a presence flag marks offsets without one.
#[derive(Debug, Clone)]
pub enum VectorStorage {
    /// Contiguous dense vectors.
    Dense {
        /// Dimension.
        dim: usize,
        /// `dim` elements per offset.
        data: DenseData,
        /// Whether the offset holds a vector.
        present: Vec<bool>,
    },
    /// Multi-dense vectors (values rounded to `element` on write).
    Multi {
        /// Sub-vector dimension.
        dim: usize,
        /// Element type.
        element: Element,
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
            VectorKind::Dense { dim, element } => VectorStorage::Dense {
                dim,
                data: DenseData::new(element),
                present: Vec::new(),
            },
            VectorKind::Multi { dim, element } => VectorStorage::Multi {
                dim,
                element,
                data: Vec::new(),
            },
            VectorKind::Sparse => VectorStorage::Sparse(Vec::new()),
        }
    }

    /// The kind of vectors stored.
    pub fn kind(&self) -> VectorKind {
        match self {
            VectorStorage::Dense { dim, data, .. } => VectorKind::Dense {
                dim: *dim,
                element: data.element(),
            },
            VectorStorage::Multi { dim, element, .. } => VectorKind::Multi {
                dim: *dim,
                element: *element,
            },
            VectorStorage::Sparse(_) => VectorKind::Sparse,
        }
    }

    /// Number of slots.
    pub fn len(&self) -> usize {
        match self {
            VectorStorage::Dense { present, .. } => present.len(),
            VectorStorage::Multi { data, .. } => data.len(),
            VectorStorage::Sparse(data) => data.len(),
        }
    }

    /// Whether there is no slot.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Grows to at least `len` empty slots.
    pub fn ensure_len(&mut self, len: usize) {
        self.grow(len);
    }

    fn grow(&mut self, len: usize) {
        match self {
            VectorStorage::Dense { dim, data, present } => {
                if present.len() < len {
                    present.resize(len, false);
                    data.resize(len * *dim);
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
                data.write(at * *dim, &v);
                present[at] = true;
            }
            (VectorStorage::Dense { present, .. }, _) => present[at] = false,
            (VectorStorage::Multi { data, element, .. }, Some(Vector::Multi(mut v))) => {
                v.iter_mut().for_each(|s| element.round(s));
                data[at] = Some(v)
            }
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
                .then(|| Vector::Dense(data.read(at * dim, *dim))),
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
        let mut s = VectorStorage::new(VectorKind::dense(2));
        s.set(3, Some(Vector::Dense(vec![1.0, 2.0])));
        assert!(!s.has(0) && s.has(3) && !s.has(9));
        assert_eq!(s.get(3), Some(Vector::Dense(vec![1.0, 2.0])));
        s.set(3, None);
        assert_eq!(s.get(3), None);
    }

    #[test]
    fn typed_elements_round_on_write() {
        let mut s = VectorStorage::new(VectorKind::Dense {
            dim: 3,
            element: Element::U8,
        });
        s.set(0, Some(Vector::Dense(vec![1.9, -4.0, 300.0])));
        assert_eq!(s.get(0), Some(Vector::Dense(vec![1.0, 0.0, 255.0])));
        let mut s = VectorStorage::new(VectorKind::Dense {
            dim: 1,
            element: Element::F16,
        });
        s.set(0, Some(Vector::Dense(vec![0.1])));
        assert_eq!(
            s.get(0),
            Some(Vector::Dense(vec![f16::from_f32(0.1).to_f32()]))
        );
    }
}
