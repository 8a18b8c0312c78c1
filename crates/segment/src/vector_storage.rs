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

/// Bytes per chunk of dense storage: large enough for long sequential
/// scans, small enough that growing never copies much.
const CHUNK_BYTES: usize = 4 << 20;

/// Dense elements in fixed-size chunks, `dim` per offset, in the storage's
/// type. A chunk holds a power of two of vectors, so an offset splits into
/// chunk and slot with a shift; chunks are never reallocated, so the
/// storage grows without copying (or doubling) what it holds.
#[derive(Debug, Clone)]
pub struct DenseData {
    dim: usize,
    /// log2 of the vectors per chunk.
    shift: u32,
    chunks: Chunks,
}

#[derive(Debug, Clone)]
enum Chunks {
    F32(Vec<Vec<f32>>),
    F16(Vec<Vec<f16>>),
    U8(Vec<Vec<u8>>),
}

/// A borrowed view of [`DenseData`].
#[derive(Debug, Clone, Copy)]
pub struct DenseSlice<'a> {
    dim: usize,
    shift: u32,
    /// The chunks, by element type.
    pub chunks: ChunkRefs<'a>,
}

/// The chunks of a [`DenseSlice`].
#[derive(Debug, Clone, Copy)]
pub enum ChunkRefs<'a> {
    /// 32-bit floats.
    F32(&'a [Vec<f32>]),
    /// 16-bit floats.
    F16(&'a [Vec<f16>]),
    /// Bytes.
    U8(&'a [Vec<u8>]),
}

impl DenseSlice<'_> {
    /// Chunk index and element position of `offset`.
    #[inline]
    pub fn locate(&self, offset: u32) -> (usize, usize) {
        let o = offset as usize;
        (o >> self.shift, (o & ((1 << self.shift) - 1)) * self.dim)
    }

    /// Dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }
}

impl DenseData {
    /// No vectors of `dim` elements of type `element`.
    pub fn new(element: Element, dim: usize) -> Self {
        let size = match element {
            Element::F32 => 4,
            Element::F16 => 2,
            Element::U8 => 1,
        };
        let per_chunk = (CHUNK_BYTES / (dim.max(1) * size)).max(1);
        let shift = usize::BITS - 1 - per_chunk.leading_zeros();
        let chunks = match element {
            Element::F32 => Chunks::F32(Vec::new()),
            Element::F16 => Chunks::F16(Vec::new()),
            Element::U8 => Chunks::U8(Vec::new()),
        };
        DenseData { dim, shift, chunks }
    }

    /// The element type.
    pub fn element(&self) -> Element {
        match self.chunks {
            Chunks::F32(_) => Element::F32,
            Chunks::F16(_) => Element::F16,
            Chunks::U8(_) => Element::U8,
        }
    }

    fn chunk_count(&self) -> usize {
        match &self.chunks {
            Chunks::F32(c) => c.len(),
            Chunks::F16(c) => c.len(),
            Chunks::U8(c) => c.len(),
        }
    }

    /// Number of vector slots.
    pub fn slots(&self) -> usize {
        self.chunk_count() << self.shift
    }

    /// Adds zeroed chunks until there are at least `slots` vector slots.
    pub(crate) fn ensure_slots(&mut self, slots: usize) {
        let len = self.dim << self.shift;
        while self.slots() < slots {
            match &mut self.chunks {
                Chunks::F32(c) => c.push(vec![0.0; len]),
                Chunks::F16(c) => c.push(vec![f16::ZERO; len]),
                Chunks::U8(c) => c.push(vec![0; len]),
            }
        }
    }

    /// Writes `v` (converted to the element type) at `offset`, growing as
    /// needed.
    pub(crate) fn write(&mut self, offset: u32, v: &[f32]) {
        self.ensure_slots(offset as usize + 1);
        let (c, at) = self.as_slice().locate(offset);
        let n = v.len().min(self.dim);
        match &mut self.chunks {
            Chunks::F32(ch) => ch[c][at..at + n].copy_from_slice(&v[..n]),
            Chunks::F16(ch) => ch[c][at..at + n]
                .iter_mut()
                .zip(v)
                .for_each(|(o, x)| *o = f16::from_f32(*x)),
            Chunks::U8(ch) => ch[c][at..at + n]
                .iter_mut()
                .zip(v)
                .for_each(|(o, x)| *o = *x as u8),
        }
    }

    /// The vector at `offset`, as floats (zeros past the end).
    pub fn read(&self, offset: u32) -> Vec<f32> {
        if offset as usize >= self.slots() {
            return vec![0.0; self.dim];
        }
        let (c, at) = self.as_slice().locate(offset);
        let n = self.dim;
        match &self.chunks {
            Chunks::F32(ch) => ch[c][at..at + n].to_vec(),
            Chunks::F16(ch) => ch[c][at..at + n].iter().map(|x| x.to_f32()).collect(),
            Chunks::U8(ch) => ch[c][at..at + n].iter().map(|&x| x as f32).collect(),
        }
    }

    /// A borrowed view.
    pub fn as_slice(&self) -> DenseSlice<'_> {
        DenseSlice {
            dim: self.dim,
            shift: self.shift,
            chunks: match &self.chunks {
                Chunks::F32(c) => ChunkRefs::F32(c),
                Chunks::F16(c) => ChunkRefs::F16(c),
                Chunks::U8(c) => ChunkRefs::U8(c),
            },
        }
    }

    /// `data.len() / dim` vectors from one flat array, at offsets from 0.
    pub fn from_flat(element: Element, dim: usize, data: &[f32]) -> Self {
        let mut out = DenseData::new(element, dim);
        for (i, v) in data.chunks(dim.max(1)).enumerate() {
            out.write(i as u32, v);
        }
        out
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
                data: DenseData::new(element, dim),
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
            VectorStorage::Dense { data, present, .. } => {
                if present.len() < len {
                    present.resize(len, false);
                    data.ensure_slots(len);
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
            (VectorStorage::Dense { data, present, .. }, Some(Vector::Dense(v))) => {
                data.write(offset, &v);
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
            VectorStorage::Dense { data, present, .. } => present
                .get(at)
                .copied()
                .unwrap_or(false)
                .then(|| Vector::Dense(data.read(offset))),
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
