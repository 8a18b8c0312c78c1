//! One segment: id tracker, versions, payloads and vector storages.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::sync::Arc;

use crate::codec::{Reader, Writer};
use crate::error::{Result, SegmentError};
use crate::filter::{Filter, PointView};
use crate::json_path::JsonPath;
use crate::payload_index::schema::PayloadFieldSchema;
use crate::payload_index::PayloadIndex;
use crate::selector::{PayloadSelector, VectorSelector};
use crate::vector_storage::{Element, VectorKind, VectorStorage};
use crate::vectors::NamedVectors;
use crate::{Payload, PointId};
use ids::IdTracker;
use payloads::Payloads;

const MAGIC: &[u8; 8] = b"VZSEG003";

/// A point as a read returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// External id.
    pub id: PointId,
    /// Version: the number of the last operation that changed the point.
    pub version: u64,
    /// Selected payload, if requested.
    pub payload: Option<Payload>,
    /// Selected vectors, if requested.
    pub vectors: Option<NamedVectors>,
}

/// Points stored in memory, addressed by dense internal offsets.
///
/// Every mutation carries the number of the operation performing it; the
/// segment remembers the highest one as its own version so that a recovery
/// knows which logged operations it already holds.
#[derive(Debug, Default)]
pub struct Segment {
    version: u64,
    ids: IdTracker,
    versions: Vec<u64>,
    /// Operation that last changed each offset's vectors.
    vector_versions: Vec<u64>,
    payloads: Payloads,
    /// Shared with graph builds of a sealed segment, which read the vectors
    /// without a lock while the segment keeps taking deletions and payload
    /// changes; writes copy them only if a build still holds them.
    vectors: Arc<BTreeMap<String, VectorStorage>>,
    payload_index: PayloadIndex,
    graphs: BTreeMap<String, graph::VectorGraph>,
    /// Offsets whose payload changed in place (payload-aware graph blocks
    /// may hold them under an old value: they are checked exactly).
    payload_touched: roaring::RoaringBitmap,
}

impl Segment {
    /// An empty segment with the given vector storages.
    pub fn new(schema: &BTreeMap<String, VectorKind>) -> Self {
        let vectors = schema
            .iter()
            .map(|(n, k)| (n.clone(), VectorStorage::new(*k)))
            .collect();
        Segment {
            vectors: Arc::new(vectors),
            ..Segment::default()
        }
    }

    /// An empty segment with the same vector storages and payload index
    /// definitions.
    pub fn empty_like(&self) -> Segment {
        let schema: BTreeMap<String, VectorKind> = self
            .vectors
            .iter()
            .map(|(n, s)| (n.clone(), s.kind()))
            .collect();
        let mut segment = Segment::new(&schema);
        for (field, index) in self.payload_index.schema() {
            // an empty segment has no payload an index could reject
            let _ = segment.create_index(0, &field, index);
        }
        segment.version = self.version;
        segment
    }

    pub(crate) fn vectors_mut(&mut self) -> &mut BTreeMap<String, VectorStorage> {
        Arc::make_mut(&mut self.vectors)
    }

    /// Number of deleted points whose slots the segment still holds.
    pub fn deleted_count(&self) -> usize {
        self.ids.slots() - self.ids.len()
    }

    /// Number of slots (live and deleted points).
    pub fn slots(&self) -> usize {
        self.ids.slots()
    }

    /// The highest operation number applied.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Records that operation `op` was applied, even if it changed nothing.
    pub fn bump_version(&mut self, op: u64) {
        self.version = self.version.max(op);
    }

    /// Number of live points.
    pub fn points_count(&self) -> usize {
        self.ids.len()
    }

    /// Number of live points that have the vector `name`.
    pub fn vectors_count(&self, name: &str) -> usize {
        self.vectors
            .get(name)
            .map_or(0, |s| self.ids.live_offsets().filter(|&o| s.has(o)).count())
    }

    /// Whether the dense vectors of `name` are served from a mapped file.
    pub fn vectors_mapped(&self, name: &str) -> bool {
        matches!(self.vectors.get(name), Some(VectorStorage::Dense { data, .. }) if data.is_mapped())
    }

    /// Writes the dense vectors of `name` to a flat file at `path`; returns
    /// whether `name` is a dense storage.
    pub fn write_vectors_file(&self, name: &str, path: &Path) -> Result<bool> {
        match self.vectors.get(name) {
            Some(VectorStorage::Dense { data, .. }) => data.write_file(path).map(|_| true),
            _ => Ok(false),
        }
    }

    /// Serves the dense vectors of `name` from the file at `path` (written
    /// by [`Segment::write_vectors_file`] from these vectors).
    pub fn map_vectors_file(&mut self, name: &str, path: &Path) -> Result<()> {
        if let Some(VectorStorage::Dense { data, .. }) = self.vectors_mut().get_mut(name) {
            let element = data.element();
            data.map_file(path, element)?;
        }
        Ok(())
    }

    /// Names of the vector storages.
    pub fn vector_names(&self) -> Vec<String> {
        self.vectors.keys().cloned().collect()
    }

    /// The kind of the storage of vector `name`, if there is one.
    pub fn vector_kind(&self, name: &str) -> Option<VectorKind> {
        self.vectors.get(name).map(VectorStorage::kind)
    }

    /// Adds an empty storage for a new vector name.
    pub fn add_vector_storage(&mut self, name: &str, kind: VectorKind) {
        if self.vectors.contains_key(name) {
            return;
        }
        self.vectors_mut()
            .entry(name.to_string())
            .or_insert_with(|| VectorStorage::new(kind));
    }

    /// Drops the storage of a vector name and all its vectors.
    pub fn remove_vector_storage(&mut self, name: &str) {
        if self.vectors.contains_key(name) {
            self.vectors_mut().remove(name);
        }
        self.graphs.remove(name);
    }

    /// The internal offset of a live point.
    pub fn offset(&self, id: PointId) -> Option<u32> {
        self.ids.get(id)
    }

    /// Live points in id order, starting at `from` (inclusive).
    pub fn iter_from(&self, from: Option<PointId>) -> impl Iterator<Item = (PointId, u32)> + '_ {
        self.ids.iter_from(from)
    }

    /// Live points in offset order.
    pub fn iter_by_offset(&self) -> impl Iterator<Item = (PointId, u32)> + '_ {
        self.ids
            .live_offsets()
            .filter_map(|o| self.ids.id_of(o).map(|id| (id, o)))
    }

    /// Whether the point at `offset` satisfies `filter`.
    pub fn matches(&self, offset: u32, filter: &Filter) -> bool {
        let at = offset as usize;
        let has_vector = |name: &str| self.vectors.get(name).is_some_and(|s| s.has(offset));
        self.payload_index.index_reading(filter).check(&PointView {
            id: self.ids.id_of(offset),
            payload: &self.payloads.get(at),
            vector_names: &has_vector,
            indexes: Some(&self.payload_index),
        })
    }

    /// The point at `offset` with the selected payload and vectors.
    pub fn record(
        &self,
        offset: u32,
        payload: &PayloadSelector,
        vectors: &VectorSelector,
    ) -> Record {
        let at = offset as usize;
        let id = self.ids.id_of(offset).expect("offset of a live point");
        let vectors = (*vectors != VectorSelector::None).then(|| {
            self.vectors
                .iter()
                .filter(|(name, _)| vectors.includes(name))
                .filter_map(|(name, s)| s.get(offset).map(|v| (name.clone(), v)))
                .collect()
        });
        Record {
            id,
            version: self.versions[at],
            payload: payload.apply(|| self.payloads.get(at)),
            vectors,
        }
    }

    /// Stores a point, replacing all vectors and the payload of an existing one.
    pub fn upsert(&mut self, op: u64, id: PointId, vectors: NamedVectors, payload: Payload) {
        self.bump_version(op);
        let offset = match self.ids.get(id) {
            Some(o) => o,
            None => {
                self.versions.push(0);
                self.vector_versions.push(0);
                self.payloads.push_empty();
                self.ids.push(id)
            }
        };
        let at = offset as usize;
        self.versions[at] = op;
        self.vector_versions[at] = op;
        self.mark_vectors_changed(offset);
        let old = self.indexed_payload(at);
        self.payload_index.update(offset, &old, &payload);
        self.payloads.set(at, &payload);
        let mut vectors = vectors;
        for (name, storage) in self.vectors_mut() {
            storage.set(offset, vectors.remove(name));
        }
    }

    /// Deletes a point; returns whether it existed.
    pub fn delete(&mut self, op: u64, id: PointId) -> bool {
        self.bump_version(op);
        let Some(offset) = self.ids.remove(id) else {
            return false;
        };
        let at = offset as usize;
        // the vectors stay in their slot (a sealed segment's vectors never
        // change) until a vacuum rewrites the segment
        let old = self.indexed_payload(at);
        self.payload_index.remove(offset, &old);
        self.payloads.clear(at);
        true
    }

    /// The stored payload of slot `at` when payload indexes need it to
    /// unindex it (empty otherwise: nothing is parsed).
    fn indexed_payload(&self, at: usize) -> Payload {
        if self.payload_index.is_empty() {
            Payload::new()
        } else {
            self.payloads.get(at)
        }
    }

    fn touch(&mut self, op: u64, id: PointId) -> Option<usize> {
        self.bump_version(op);
        let at = self.ids.get(id)? as usize;
        self.versions[at] = op;
        Some(at)
    }

    /// Replaces the given vectors of an existing point, keeping the others.
    pub fn update_vectors(&mut self, op: u64, id: PointId, vectors: NamedVectors) -> bool {
        let Some(at) = self.touch(op, id) else {
            return false;
        };
        self.vector_versions[at] = op;
        self.mark_vectors_changed(at as u32);
        for (name, v) in vectors {
            if let Some(storage) = self.vectors_mut().get_mut(&name) {
                storage.set(at as u32, Some(v));
            }
        }
        true
    }

    /// Removes the named vectors of an existing point.
    pub fn delete_vectors(&mut self, op: u64, id: PointId, names: &[String]) -> bool {
        let Some(at) = self.touch(op, id) else {
            return false;
        };
        self.vector_versions[at] = op;
        self.mark_vectors_changed(at as u32);
        for name in names {
            if let Some(storage) = self.vectors_mut().get_mut(name) {
                storage.set(at as u32, None);
            }
        }
        true
    }

    /// Merges `payload` into the point's payload, or into the object at `key`.
    pub fn set_payload(
        &mut self,
        op: u64,
        id: PointId,
        payload: &Payload,
        key: Option<&JsonPath>,
    ) -> bool {
        let Some(at) = self.touch(op, id) else {
            return false;
        };
        let old = self.payloads.get(at);
        let mut target = old.clone();
        match key {
            Some(path) => path.merge_at(&mut target, payload),
            None => payload.iter().for_each(|(k, v)| {
                target.insert(k.clone(), v.clone());
            }),
        }
        self.payload_index.update(at as u32, &old, &target);
        self.payloads.set(at, &target);
        self.payload_touched.insert(at as u32);
        true
    }

    /// Replaces the point's payload.
    pub fn overwrite_payload(&mut self, op: u64, id: PointId, payload: Payload) -> bool {
        let Some(at) = self.touch(op, id) else {
            return false;
        };
        let old = self.indexed_payload(at);
        self.payload_index.update(at as u32, &old, &payload);
        self.payloads.set(at, &payload);
        self.payload_touched.insert(at as u32);
        true
    }

    /// Removes the given keys (paths) from the point's payload.
    pub fn delete_payload(&mut self, op: u64, id: PointId, keys: &[JsonPath]) -> bool {
        let Some(at) = self.touch(op, id) else {
            return false;
        };
        let old = self.payloads.get(at);
        let mut target = old.clone();
        keys.iter().for_each(|k| k.remove(&mut target));
        self.payload_index.update(at as u32, &old, &target);
        self.payloads.set(at, &target);
        self.payload_touched.insert(at as u32);
        true
    }

    /// Empties the point's payload.
    pub fn clear_payload(&mut self, op: u64, id: PointId) -> bool {
        self.overwrite_payload(op, id, Payload::new())
    }

    /// The payload indexes.
    pub fn payload_index(&self) -> &PayloadIndex {
        &self.payload_index
    }

    /// Creates (or replaces) a payload index and fills it.
    pub fn create_index(&mut self, op: u64, field: &str, schema: PayloadFieldSchema) -> Result<()> {
        self.bump_version(op);
        let points = self
            .ids
            .live_offsets()
            .map(|o| (o, self.payloads.get(o as usize)));
        self.payload_index
            .create(field, schema, points)
            .map_err(SegmentError::BadInput)
    }

    /// Drops a payload index; returns whether it existed.
    pub fn delete_index(&mut self, op: u64, field: &str) -> bool {
        self.bump_version(op);
        self.payload_index.drop_index(field)
    }

    /// Writes the segment to `path` atomically (see [`write_atomically_with`]),
    /// streaming point by point with a trailing CRC-32 of everything before it.
    pub fn save(&self, path: &Path) -> Result<()> {
        write_atomically_with(path, |out| {
            let mut hasher = crc32fast::Hasher::new();
            let mut w = Writer::default();
            let mut emit = |w: &mut Writer, out: &mut dyn Write| -> Result<()> {
                hasher.update(&w.buf);
                out.write_all(&w.buf)?;
                w.buf.clear();
                Ok(())
            };
            w.buf.extend_from_slice(MAGIC);
            w.u64(self.version);
            w.u32(self.vectors.len() as u32);
            for (name, storage) in self.vectors.iter() {
                w.str(name);
                match storage.kind() {
                    VectorKind::Dense { dim, element } => {
                        (w.u8(3), w.u64(dim as u64), w.u8(element_tag(element)))
                    }
                    VectorKind::Multi { dim, element } => {
                        (w.u8(4), w.u64(dim as u64), w.u8(element_tag(element)))
                    }
                    VectorKind::Sparse => (w.u8(2), w.u64(0), ()),
                };
            }
            let indexes = serde_json::to_vec(&self.payload_index.schema())
                .map_err(|e| SegmentError::BadInput(e.to_string()))?;
            w.bytes(&indexes);
            w.u64(self.ids.len() as u64);
            w.u32(self.ids.slots() as u32);
            emit(&mut w, out)?;
            for (id, offset) in self.ids.iter_from(None) {
                let at = offset as usize;
                w.u32(offset);
                w.point_id(id);
                w.u64(self.versions[at]);
                w.bytes(self.payloads.raw(at));
                let present: Vec<_> = self
                    .vectors
                    .iter()
                    .filter_map(|(n, s)| s.get(offset).map(|v| (n, v)))
                    .collect();
                w.u32(present.len() as u32);
                for (name, v) in present {
                    w.str(name);
                    w.vector(&v);
                }
                emit(&mut w, out)?;
            }
            out.write_all(&hasher.finalize().to_le_bytes())?;
            Ok(())
        })
    }

    /// Reads a segment written by [`Segment::save`].
    pub fn load(path: &Path) -> Result<Segment> {
        // two sequential passes, neither holding the file in memory: the
        // checksum first (nothing is trusted before it), then the points
        let len = fs::metadata(path)?.len();
        let not_segment =
            || SegmentError::Corrupted(format!("{} is not a segment file", path.display()));
        if len < (MAGIC.len() + 4) as u64 {
            return Err(not_segment());
        }
        let body_len = len - 4;
        {
            let mut file = fs::File::open(path)?;
            let mut magic = [0u8; MAGIC.len()];
            file.read_exact(&mut magic)?;
            if &magic != MAGIC {
                return Err(not_segment());
            }
            let mut hasher = crc32fast::Hasher::new();
            hasher.update(&magic);
            let mut left = body_len - MAGIC.len() as u64;
            let mut buf = vec![0u8; 1 << 20];
            while left > 0 {
                let n = left.min(buf.len() as u64) as usize;
                file.read_exact(&mut buf[..n])?;
                hasher.update(&buf[..n]);
                left -= n as u64;
            }
            let mut crc = [0u8; 4];
            file.read_exact(&mut crc)?;
            if hasher.finalize() != u32::from_le_bytes(crc) {
                return Err(SegmentError::Corrupted(format!(
                    "checksum mismatch in {}",
                    path.display()
                )));
            }
        }
        let file = BufReader::with_capacity(1 << 20, fs::File::open(path)?);
        let mut r = Reader::from_read(file, body_len);
        // the magic, checked above
        r.u64()?;
        let version = r.u64()?;
        let mut schema = BTreeMap::new();
        for _ in 0..r.u32()? {
            let name = r.str()?;
            let (tag, dim) = (r.u8()?, r.u64()? as usize);
            let kind = match tag {
                0 => VectorKind::dense(dim),
                1 => VectorKind::Multi {
                    dim,
                    element: Element::F32,
                },
                3 => VectorKind::Dense {
                    dim,
                    element: element_from_tag(r.u8()?)?,
                },
                4 => VectorKind::Multi {
                    dim,
                    element: element_from_tag(r.u8()?)?,
                },
                2 => VectorKind::Sparse,
                t => return Err(SegmentError::Corrupted(format!("unknown vector kind {t}"))),
            };
            schema.insert(name, kind);
        }
        let mut segment = Segment::new(&schema);
        let indexes: BTreeMap<String, PayloadFieldSchema> = serde_json::from_slice(&r.bytes()?)
            .map_err(|e| SegmentError::Corrupted(e.to_string()))?;
        for (field, index) in indexes {
            segment.create_index(0, &field, index)?;
        }
        let points = r.u64()?;
        let slots = r.u32()? as usize;
        if (points as usize) > slots {
            return Err(SegmentError::Corrupted("more points than slots".into()));
        }
        // slots keep their offsets (graphs refer to them); deleted ones stay
        // empty
        segment.ids = IdTracker::with_slots(slots);
        segment.versions = vec![0; slots];
        segment.vector_versions = vec![0; slots];
        segment.payloads = Payloads::with_slots(slots);
        for _ in 0..points {
            let offset = r.u32()?;
            let id = r.point_id()?;
            let point_version = r.u64()?;
            let payload: Payload = serde_json::from_slice(&r.bytes()?)
                .map_err(|e| SegmentError::Corrupted(e.to_string()))?;
            let mut vectors = NamedVectors::new();
            for _ in 0..r.u32()? {
                let name = r.str()?;
                vectors.insert(name, r.vector()?);
            }
            let at = offset as usize;
            if !segment.ids.place(offset, id) {
                return Err(SegmentError::Corrupted(format!("bad slot {offset}")));
            }
            segment.versions[at] = point_version;
            segment.vector_versions[at] = point_version;
            segment
                .payload_index
                .update(offset, &Payload::new(), &payload);
            segment.payloads.set(at, &payload);
            for (name, storage) in segment.vectors_mut() {
                storage.set(offset, vectors.remove(name));
            }
        }
        segment.ids.compact();
        segment.version = version;
        Ok(segment)
    }
}

fn element_tag(element: Element) -> u8 {
    match element {
        Element::F32 => 0,
        Element::F16 => 1,
        Element::U8 => 2,
        Element::Turbo4 => 3,
        Element::Turbo8 => 4,
    }
}

fn element_from_tag(tag: u8) -> Result<Element> {
    match tag {
        0 => Ok(Element::F32),
        1 => Ok(Element::F16),
        2 => Ok(Element::U8),
        3 => Ok(Element::Turbo4),
        4 => Ok(Element::Turbo8),
        t => Err(SegmentError::Corrupted(format!("unknown element type {t}"))),
    }
}

/// Replaces `path` with `data` atomically; see [`write_atomically_with`].
pub fn write_atomically(path: &Path, data: &[u8]) -> Result<()> {
    write_atomically_with(path, |out| Ok(out.write_all(data)?))
}

/// Replaces `path` with what `write` produces so that a crash leaves either
/// the old or the new content: write a sibling temporary file, fsync it,
/// rename it over `path`, fsync the directory.
pub fn write_atomically_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut out = BufWriter::new(fs::File::create(&tmp)?);
        write(&mut out)?;
        out.flush()?;
        out.get_ref().sync_all()?;
    }
    fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

mod dense;
pub mod graph;
mod ids;
mod payloads;
pub mod query;
pub mod search;
#[cfg(test)]
mod tests;
