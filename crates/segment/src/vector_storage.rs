//! Per-name vector storage indexed by internal offset.

use std::sync::Arc;

use half::f16;

use crate::quantization::turbo4::Turbo4Codec;
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
    /// 4-bit TurboQuant codes (lossy; see `quantization::turbo4`).
    Turbo4,
    /// 8-bit TurboQuant codes.
    Turbo8,
}

impl Element {
    /// Rounds `v` in place to the values this element type stores.
    pub fn round(self, v: &mut [f32]) {
        match self {
            Element::F32 => {}
            Element::F16 => v.iter_mut().for_each(|x| *x = f16::from_f32(*x).to_f32()),
            Element::U8 => v.iter_mut().for_each(|x| *x = (*x as u8) as f32),
            // multi-vectors keep floats; dense storage encodes
            Element::Turbo4 | Element::Turbo8 => {}
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

/// Bytes per chunk of dense storage (at most): large enough for long
/// sequential scans and mostly whole 2 MiB huge pages, small enough that
/// growing never copies much (a chunk's unwritten tail takes no memory).
const CHUNK_BYTES: usize = 16 << 20;

/// Dense elements, `dim` per offset, in the storage's type: in RAM as
/// fixed-size chunks (a power of two of vectors each, so an offset splits
/// into chunk and slot with a shift, and growing never copies what is
/// held), or mapped from a flat file (`on_disk` vectors of sealed
/// segments, served from the page cache).
#[derive(Debug, Clone)]
pub struct DenseData {
    dim: usize,
    /// log2 of the vectors per chunk.
    shift: u32,
    chunks: Chunks,
    /// The codec of `turbo4` storage (whose chunks hold its codes).
    turbo: Option<Arc<Turbo4Codec>>,
}

#[derive(Debug, Clone)]
enum Chunks {
    F32(Vec<Vec<f32>>),
    F16(Vec<Vec<f16>>),
    U8(Vec<Vec<u8>>),
    /// A flat little-endian file of `element`s.
    Mapped {
        map: Arc<memmap2::Mmap>,
        element: Element,
    },
}

/// Elements of one type, in chunks or flat.
#[derive(Debug, Clone, Copy)]
enum Layout<'a, T> {
    Chunks(&'a [Vec<T>]),
    Flat(&'a [T]),
}

/// Read access to dense vectors of element type `T`.
#[derive(Debug, Clone, Copy)]
pub struct Typed<'a, T> {
    dim: usize,
    shift: u32,
    layout: Layout<'a, T>,
}

impl<'a, T> Typed<'a, T> {
    /// The vector at `offset` (which must be below the slot count).
    #[inline]
    pub fn get(&self, offset: u32) -> &'a [T] {
        let o = offset as usize;
        match self.layout {
            Layout::Chunks(c) => {
                let at = (o & ((1 << self.shift) - 1)) * self.dim;
                &c[o >> self.shift][at..at + self.dim]
            }
            Layout::Flat(f) => &f[o * self.dim..(o + 1) * self.dim],
        }
    }

    /// The first element of the vector at `offset`, if there is a slot.
    #[inline]
    pub fn first(&self, offset: u32) -> Option<&'a T> {
        let o = offset as usize;
        match self.layout {
            Layout::Chunks(c) => c
                .get(o >> self.shift)?
                .get((o & ((1 << self.shift) - 1)) * self.dim),
            Layout::Flat(f) => f.get(o * self.dim),
        }
    }
}

/// A borrowed view of [`DenseData`], by element type.
#[derive(Debug, Clone, Copy)]
pub enum DenseSlice<'a> {
    /// 32-bit floats.
    F32(Typed<'a, f32>),
    /// 16-bit floats.
    F16(Typed<'a, f16>),
    /// Bytes.
    U8(Typed<'a, u8>),
    /// `turbo4` codes (`stride` bytes per vector) and their codec.
    Turbo4(Typed<'a, u8>, &'a Turbo4Codec),
}

/// Bytes per stored vector.
fn vector_bytes(element: Element, dim: usize) -> usize {
    match element {
        Element::F32 => dim * 4,
        Element::F16 => dim * 2,
        Element::U8 => dim,
        Element::Turbo4 => Turbo4Codec::with_bits(dim, 4).stride(),
        Element::Turbo8 => Turbo4Codec::with_bits(dim, 8).stride(),
    }
}

/// `bytes` as a slice of `T` (a little-endian file mapped page-aligned).
fn cast<T>(bytes: &[u8]) -> &[T] {
    let size = std::mem::size_of::<T>();
    assert!(
        (bytes.as_ptr() as usize).is_multiple_of(std::mem::align_of::<T>()),
        "mapped vectors are page-aligned"
    );
    // SAFETY: the pointer is aligned for `T` (checked above), the length
    // is rounded down to whole elements, and f32 / f16 / u8 accept every
    // bit pattern; mapped files are only used on little-endian targets,
    // where the file's byte order is the native one.
    unsafe { std::slice::from_raw_parts(bytes.as_ptr() as *const T, bytes.len() / size) }
}

/// Appends a chunk of `len` copies of `zero` to `chunks`; returns where
/// its bytes start and how many there are.
fn push_chunk<T: Clone>(chunks: &mut Vec<Vec<T>>, len: usize, zero: T) -> (*const u8, usize) {
    chunks.push(vec![zero; len]);
    let chunk = &chunks[chunks.len() - 1];
    (
        chunk.as_ptr() as *const u8,
        std::mem::size_of_val(&chunk[..]),
    )
}

impl DenseData {
    /// No vectors of `dim` elements of type `element`.
    pub fn new(element: Element, dim: usize) -> Self {
        let per_chunk = (CHUNK_BYTES / vector_bytes(element, dim.max(1))).max(1);
        let shift = usize::BITS - 1 - per_chunk.leading_zeros();
        let chunks = match element {
            Element::F32 => Chunks::F32(Vec::new()),
            Element::F16 => Chunks::F16(Vec::new()),
            Element::U8 | Element::Turbo4 | Element::Turbo8 => Chunks::U8(Vec::new()),
        };
        let turbo = match element {
            Element::Turbo4 => Some(Arc::new(Turbo4Codec::with_bits(dim, 4))),
            Element::Turbo8 => Some(Arc::new(Turbo4Codec::with_bits(dim, 8))),
            _ => None,
        };
        DenseData {
            dim,
            shift,
            chunks,
            turbo,
        }
    }

    /// Elements per slot in the chunks: the dimension, or the code size.
    fn width(&self) -> usize {
        self.turbo.as_ref().map_or(self.dim, |t| t.stride())
    }

    /// The element type.
    pub fn element(&self) -> Element {
        if let Some(t) = &self.turbo {
            return if t.bits() == 8 {
                Element::Turbo8
            } else {
                Element::Turbo4
            };
        }
        match self.chunks {
            Chunks::F32(_) => Element::F32,
            Chunks::F16(_) => Element::F16,
            Chunks::U8(_) => Element::U8,
            Chunks::Mapped { element, .. } => element,
        }
    }

    /// Whether the vectors are mapped from a file.
    pub fn is_mapped(&self) -> bool {
        matches!(self.chunks, Chunks::Mapped { .. })
    }

    /// Number of vector slots.
    pub fn slots(&self) -> usize {
        match &self.chunks {
            Chunks::F32(c) => c.len() << self.shift,
            Chunks::F16(c) => c.len() << self.shift,
            Chunks::U8(c) => c.len() << self.shift,
            Chunks::Mapped { map, element } => map.len() / vector_bytes(*element, self.dim.max(1)),
        }
    }

    /// Copies mapped vectors back into RAM chunks (before a write).
    fn load_into_ram(&mut self) {
        if let Chunks::Mapped { element, .. } = self.chunks {
            let mut owned = DenseData::new(element, self.dim);
            for o in 0..self.slots() as u32 {
                owned.write(o, &self.read(o));
            }
            *self = owned;
        }
    }

    /// Adds zeroed chunks until there are at least `slots` vector slots.
    pub(crate) fn ensure_slots(&mut self, slots: usize) {
        if self.slots() >= slots {
            return;
        }
        self.load_into_ram();
        let len = self.width() << self.shift;
        // a storage past its first chunk is a large one: its next chunks
        // are backed by huge pages (asked before the zeroed, still unwritten
        // memory is first touched)
        let large = slots > 1 << self.shift;
        while self.slots() < slots {
            let (ptr, bytes) = match &mut self.chunks {
                Chunks::F32(c) => push_chunk(c, len, 0.0),
                Chunks::F16(c) => push_chunk(c, len, f16::ZERO),
                Chunks::U8(c) => push_chunk(c, len, 0),
                Chunks::Mapped { .. } => unreachable!("copied to RAM above"),
            };
            if large {
                crate::huge_pages::advise(ptr, bytes);
            }
        }
    }

    /// Writes `v` (converted to the element type) at `offset`, growing as
    /// needed.
    pub(crate) fn write(&mut self, offset: u32, v: &[f32]) {
        self.ensure_slots(offset as usize + 1);
        self.load_into_ram();
        let o = offset as usize;
        let (c, at) = (
            o >> self.shift,
            (o & ((1 << self.shift) - 1)) * self.width(),
        );
        let n = v.len().min(self.dim);
        if let (Some(codec), Chunks::U8(ch)) = (&self.turbo, &mut self.chunks) {
            codec.encode(v, &mut ch[c][at..at + codec.stride()]);
            return;
        }
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
            Chunks::Mapped { .. } => unreachable!("copied to RAM above"),
        }
    }

    /// The vector at `offset`, as floats (zeros past the end).
    pub fn read(&self, offset: u32) -> Vec<f32> {
        if offset as usize >= self.slots() {
            return vec![0.0; self.dim];
        }
        match self.as_slice() {
            DenseSlice::F32(t) => t.get(offset).to_vec(),
            DenseSlice::F16(t) => t.get(offset).iter().map(|x| x.to_f32()).collect(),
            DenseSlice::U8(t) => t.get(offset).iter().map(|&x| x as f32).collect(),
            DenseSlice::Turbo4(t, codec) => codec.decode(t.get(offset)),
        }
    }

    /// A borrowed view.
    pub fn as_slice(&self) -> DenseSlice<'_> {
        let (dim, shift) = (self.width(), self.shift);
        if let Some(codec) = &self.turbo {
            let layout = match &self.chunks {
                Chunks::Mapped { map, .. } => Layout::Flat(cast(map)),
                Chunks::U8(c) => Layout::Chunks(c),
                _ => unreachable!("turbo4 codes are bytes"),
            };
            return DenseSlice::Turbo4(Typed { dim, shift, layout }, codec);
        }
        match &self.chunks {
            Chunks::F32(c) => DenseSlice::F32(Typed {
                dim,
                shift,
                layout: Layout::Chunks(c),
            }),
            Chunks::F16(c) => DenseSlice::F16(Typed {
                dim,
                shift,
                layout: Layout::Chunks(c),
            }),
            Chunks::U8(c) => DenseSlice::U8(Typed {
                dim,
                shift,
                layout: Layout::Chunks(c),
            }),
            Chunks::Mapped { map, element } => match element {
                Element::F32 => DenseSlice::F32(Typed {
                    dim,
                    shift,
                    layout: Layout::Flat(cast(map)),
                }),
                Element::F16 => DenseSlice::F16(Typed {
                    dim,
                    shift,
                    layout: Layout::Flat(cast(map)),
                }),
                Element::U8 | Element::Turbo4 | Element::Turbo8 => DenseSlice::U8(Typed {
                    dim,
                    shift,
                    layout: Layout::Flat(cast(map)),
                }),
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

    /// Writes the vectors to `path` as one flat little-endian file, for
    /// [`DenseData::map_file`].
    pub fn write_file(&self, path: &std::path::Path) -> crate::error::Result<()> {
        crate::segment::write_atomically_with(path, |out| {
            for o in 0..self.slots() as u32 {
                match self.as_slice() {
                    DenseSlice::F32(t) => t
                        .get(o)
                        .iter()
                        .try_for_each(|x| out.write_all(&x.to_le_bytes()))?,
                    DenseSlice::F16(t) => t
                        .get(o)
                        .iter()
                        .try_for_each(|x| out.write_all(&x.to_le_bytes()))?,
                    DenseSlice::U8(t) | DenseSlice::Turbo4(t, _) => out.write_all(t.get(o))?,
                }
            }
            Ok(())
        })
    }

    /// Serves the vectors from the flat file at `path` (written by
    /// [`DenseData::write_file`]).
    /// Big-endian targets keep the vectors in RAM.
    pub fn map_file(
        &mut self,
        path: &std::path::Path,
        element: Element,
    ) -> crate::error::Result<()> {
        if cfg!(target_endian = "big") {
            return Ok(());
        }
        let file = std::fs::File::open(path)?;
        // SAFETY: vector files are written once (to a temporary name, then
        // renamed) and never modified in place.
        let map = unsafe { memmap2::Mmap::map(&file)? };
        if map.len() % vector_bytes(element, self.dim.max(1)) != 0 {
            return Err(crate::error::SegmentError::Corrupted(format!(
                "{}: not a whole number of vectors",
                path.display()
            )));
        }
        self.chunks = Chunks::Mapped {
            map: Arc::new(map),
            element,
        };
        Ok(())
    }
}

/// A dense query in the form a storage's kernels take: floats (rounded to
/// f16 for f16 storage), bytes, or rotated floats for `turbo4` codes.
#[derive(Debug, Clone, PartialEq)]
pub enum DenseQuery {
    /// Floats, for f32 and f16 storage.
    F32(Vec<f32>),
    /// Bytes, for u8 storage.
    U8(Vec<u8>),
    /// For `turbo4` storage.
    Turbo {
        /// The query in rotated coordinates.
        rotated: Vec<f32>,
        /// The query itself (Manhattan decodes).
        raw: Vec<f32>,
        /// Squared norm of the query.
        norm2: f32,
    },
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
            Element::Turbo4 | Element::Turbo8 => DenseQuery::Turbo {
                rotated: Turbo4Codec::new(query.len()).prepare(query),
                raw: query.to_vec(),
                norm2: query.iter().map(|x| x * x).sum(),
            },
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
