//! The segments of a shard: one appendable segment that takes new points,
//! and sealed segments (made by the optimizers, indexed) that only take
//! deletions and payload changes.
//!
//! A live point id is in exactly one segment. Writing the vectors of a
//! point that lives in a sealed segment moves it: the point is deleted
//! there and written, whole, into the appendable segment. Reads visit every
//! segment and merge (by id for scrolls, by score for searches).

use std::collections::{BTreeMap, HashMap};
use std::iter::Peekable;
use std::sync::atomic::{AtomicBool, Ordering};

use segment::filter::Filter;
use segment::hnsw::HnswIndex;
use segment::json_path::JsonPath;
use segment::payload_index::schema::PayloadFieldSchema;
use segment::payload_index::Cardinality;
use segment::quantization::{Method, QuantizedVectors};
use segment::segment::graph::BlockKey;
use segment::segment::query::{FacetValue, IndexRequired, OrderValue};
use segment::segment::search::idf;
use segment::segment::{Record, Segment};
use segment::selector::{PayloadSelector, VectorSelector};
use segment::vector_storage::VectorKind;
use segment::vectors::NamedVectors;
use segment::{Payload, PointId};

use crate::error::{CollectionError, Result};
use crate::operations::Operation;

/// A segment with the key its files are named by, and whether it changed
/// since it was last saved.
#[derive(Debug)]
pub struct Held {
    /// File key.
    pub key: u64,
    /// The segment.
    pub segment: Segment,
    /// Graph files by vector name.
    pub graph_files: BTreeMap<String, String>,
    /// Mapped vector files by vector name.
    pub vector_files: BTreeMap<String, String>,
    /// Payload block graph files: vector name, block, file.
    pub block_files: Vec<(String, BlockKey, String)>,
    pub(crate) dirty: AtomicBool,
}

impl Held {
    fn new(key: u64, segment: Segment) -> Self {
        Held {
            key,
            segment,
            graph_files: BTreeMap::new(),
            vector_files: BTreeMap::new(),
            block_files: Vec::new(),
            dirty: AtomicBool::new(true),
        }
    }

    /// A segment read from its file (unchanged since).
    pub fn loaded(key: u64, segment: Segment) -> Self {
        Held {
            key,
            segment,
            graph_files: BTreeMap::new(),
            vector_files: BTreeMap::new(),
            block_files: Vec::new(),
            dirty: AtomicBool::new(false),
        }
    }

    fn touch(&mut self) -> &mut Segment {
        *self.dirty.get_mut() = true;
        &mut self.segment
    }

    /// Takes the changed flag (for a flush).
    pub(crate) fn take_dirty(&self) -> bool {
        self.dirty.swap(false, Ordering::AcqRel)
    }

    /// Marks the segment changed again (after a failed save).
    pub(crate) fn set_dirty(&self) {
        self.dirty.store(true, Ordering::Release);
    }
}

/// The segments of one shard.
#[derive(Debug)]
pub struct SegmentHolder {
    version: u64,
    /// Sealed segments, oldest first.
    sealed: Vec<Held>,
    appendable: Held,
    next_key: u64,
}

impl SegmentHolder {
    /// One empty appendable segment.
    pub fn new(schema: &BTreeMap<String, VectorKind>) -> Self {
        SegmentHolder {
            version: 0,
            sealed: Vec::new(),
            appendable: Held::new(0, Segment::new(schema)),
            next_key: 1,
        }
    }

    /// Reassembles a holder from loaded segments. A point found in more
    /// than one segment (a move interrupted by a crash) is kept where its
    /// version is highest.
    pub fn from_parts(version: u64, sealed: Vec<Held>, appendable: Held) -> Self {
        let next_key = sealed
            .iter()
            .chain([&appendable])
            .map(|h| h.key)
            .max()
            .unwrap_or(0)
            + 1;
        let mut holder = SegmentHolder {
            version,
            sealed,
            appendable,
            next_key,
        };
        holder.dedupe();
        holder
    }

    fn dedupe(&mut self) {
        let mut best: HashMap<PointId, (u64, usize)> = HashMap::new();
        let mut duplicates = Vec::new();
        for (i, held) in self.all().enumerate() {
            for (id, offset) in held.segment.iter_from(None) {
                let version = held
                    .segment
                    .record(offset, &PayloadSelector::None, &VectorSelector::None)
                    .version;
                match best.get(&id) {
                    Some(&(v, _)) if v >= version => duplicates.push((i, id)),
                    Some(&(_, j)) => {
                        duplicates.push((j, id));
                        best.insert(id, (version, i));
                    }
                    None => {
                        best.insert(id, (version, i));
                    }
                }
            }
        }
        for (i, id) in duplicates {
            let version = self.version;
            self.all_mut()[i].touch().delete(version, id);
        }
    }

    /// Adds a configured vector storage missing from the segments.
    pub fn apply_schema(&mut self, name: &str, kind: VectorKind) {
        for h in self.all_mut() {
            if h.segment.vector_kind(name).is_none() {
                h.touch().add_vector_storage(name, kind);
            }
        }
    }

    /// The highest operation number applied.
    pub fn version(&self) -> u64 {
        self.version
    }

    fn all(&self) -> impl Iterator<Item = &Held> {
        self.sealed.iter().chain(std::iter::once(&self.appendable))
    }

    fn all_mut(&mut self) -> Vec<&mut Held> {
        self.sealed
            .iter_mut()
            .chain(std::iter::once(&mut self.appendable))
            .collect()
    }

    /// Every segment with its key: sealed ones oldest first, then the
    /// appendable one.
    pub fn held(&self) -> impl Iterator<Item = &Held> {
        self.all()
    }

    /// Every segment, sealed ones oldest first, then the appendable one.
    pub fn segments(&self) -> impl Iterator<Item = &Segment> {
        self.all().map(|h| &h.segment)
    }

    /// The appendable segment.
    pub fn appendable(&self) -> &Segment {
        &self.appendable.segment
    }

    /// The sealed segment with file key `key`.
    pub fn sealed(&self, key: u64) -> Option<&Held> {
        self.sealed.iter().find(|h| h.key == key)
    }

    /// Mutable access to a sealed segment (marks it changed).
    pub fn sealed_mut(&mut self, key: u64) -> Option<&mut Segment> {
        self.sealed
            .iter_mut()
            .find(|h| h.key == key)
            .map(Held::touch)
    }

    /// Records the graph file of a sealed segment's vector `name`.
    pub fn set_graph_file(&mut self, key: u64, name: &str, file: String) {
        if let Some(h) = self.sealed.iter_mut().find(|h| h.key == key) {
            h.graph_files.insert(name.to_string(), file);
        }
    }

    /// Serves a sealed segment's vectors `name` from `file` (in `dir`),
    /// written from them.
    pub fn map_vectors(
        &mut self,
        key: u64,
        name: &str,
        dir: &std::path::Path,
        file: String,
    ) -> Result<()> {
        if let Some(h) = self.sealed.iter_mut().find(|h| h.key == key) {
            h.segment.map_vectors_file(name, &dir.join(&file))?;
            h.vector_files.insert(name.to_string(), file);
        }
        Ok(())
    }

    /// Installs payload block graphs of a sealed segment (with their files).
    pub fn install_blocks(
        &mut self,
        key: u64,
        name: &str,
        blocks: Vec<(BlockKey, HnswIndex, Option<String>)>,
    ) {
        if let Some(h) = self.sealed.iter_mut().find(|h| h.key == key) {
            let mut graphs = Vec::new();
            for (block, index, file) in blocks {
                if let Some(file) = file {
                    h.block_files.push((name.to_string(), block.clone(), file));
                }
                graphs.push((block, index));
            }
            h.segment.install_blocks(name, graphs);
        }
    }

    /// Keys of the sealed segments, oldest first.
    pub fn sealed_keys(&self) -> Vec<u64> {
        self.sealed.iter().map(|h| h.key).collect()
    }

    /// Number of segments, the appendable one included (as Qdrant counts
    /// its empty appendable segment).
    pub fn segments_count(&self) -> usize {
        self.sealed.len() + 1
    }

    /// Seals the appendable segment and starts an empty one; returns the
    /// sealed segment's key.
    pub fn seal_appendable(&mut self) -> u64 {
        let fresh = Held::new(self.next_key, self.appendable.segment.empty_like());
        self.next_key += 1;
        let mut sealed = std::mem::replace(&mut self.appendable, fresh);
        let key = sealed.key;
        *sealed.dirty.get_mut() = true;
        self.sealed.push(sealed);
        key
    }

    /// Replaces the sealed segments `sources` with `merged` (placed where
    /// the oldest of them was), or drops them; returns the new key.
    pub fn replace(&mut self, sources: &[u64], merged: Option<Segment>) -> Option<u64> {
        let at = self
            .sealed
            .iter()
            .position(|h| sources.contains(&h.key))
            .unwrap_or(self.sealed.len());
        self.sealed.retain(|h| !sources.contains(&h.key));
        let merged = merged?;
        let key = self.next_key;
        self.next_key += 1;
        self.sealed
            .insert(at.min(self.sealed.len()), Held::new(key, merged));
        Some(key)
    }

    /// Brings `merged` (copied from the sealed `sources` earlier) up to date
    /// with them: points deleted or moved out since are dropped, payloads
    /// changed since are copied again, index and vector-name changes are
    /// repeated.
    pub fn reconcile(&self, sources: &[u64], merged: &mut Segment) {
        let sources: Vec<&Segment> = sources
            .iter()
            .filter_map(|k| self.sealed(*k))
            .map(|h| &h.segment)
            .collect();
        let Some(first) = sources.first() else {
            return;
        };
        let version = merged.version();
        let ids: Vec<(PointId, u32)> = merged.iter_from(None).collect();
        for (id, offset) in ids {
            let now = sources.iter().find_map(|s| s.offset(id).map(|o| (s, o)));
            match now {
                None => {
                    merged.delete(version, id);
                }
                Some((s, o)) => {
                    let current = s.record(o, &PayloadSelector::All, &VectorSelector::None);
                    let copied =
                        merged.record(offset, &PayloadSelector::None, &VectorSelector::None);
                    if current.version > copied.version {
                        merged.overwrite_payload(
                            current.version,
                            id,
                            current.payload.unwrap_or_default(),
                        );
                    }
                }
            }
        }
        let wanted = first.payload_index().schema();
        let have = merged.payload_index().schema();
        for (field, schema) in &wanted {
            if have.get(field) != Some(schema) {
                // the sources hold the same payloads, so it cannot fail here
                let _ = merged.create_index(version, field, schema.clone());
            }
        }
        for field in have.keys().filter(|f| !wanted.contains_key(*f)) {
            merged.delete_index(version, field);
        }
        for name in merged.vector_names() {
            if first.vector_kind(&name).is_none() {
                merged.remove_vector_storage(&name);
            }
        }
        for name in first.vector_names() {
            if let (None, Some(kind)) = (merged.vector_kind(&name), first.vector_kind(&name)) {
                merged.add_vector_storage(&name, kind);
            }
        }
    }

    /// Installs a graph built for a sealed segment (derived state: the
    /// segment's file does not change).
    pub fn install_graph(
        &mut self,
        key: u64,
        name: &str,
        index: HnswIndex,
        quantized: Option<(Method, QuantizedVectors)>,
    ) {
        if let Some(h) = self.sealed.iter_mut().find(|h| h.key == key) {
            h.segment.install_graph(name, index, quantized, u64::MAX);
        }
    }

    /// Replaces the quantized vectors of a sealed segment's graph.
    pub fn install_quantization(
        &mut self,
        key: u64,
        name: &str,
        quantized: Option<(Method, QuantizedVectors)>,
    ) {
        if let Some(h) = self.sealed.iter_mut().find(|h| h.key == key) {
            h.segment.install_quantization(name, quantized);
        }
    }

    /// The segment and offset of a live point.
    pub fn locate(&self, id: PointId) -> Option<(&Segment, u32)> {
        self.segments().find_map(|s| s.offset(id).map(|o| (s, o)))
    }

    /// Whether the live point `id` satisfies `filter` (missing points do not).
    pub fn matches(&self, id: PointId, filter: &Filter) -> bool {
        self.locate(id).is_some_and(|(s, o)| s.matches(o, filter))
    }

    /// Number of live points.
    pub fn points_count(&self) -> usize {
        self.segments().map(Segment::points_count).sum()
    }

    /// Points of vector `name` covered by a graph.
    pub fn indexed_count(&self, name: &str) -> usize {
        self.segments().map(|s| s.indexed_count(name)).sum()
    }

    /// Live points matching `filter` in id order from `from`, with the
    /// segment and offset of each.
    pub fn filtered_from<'a>(
        &'a self,
        filter: Option<&'a Filter>,
        from: Option<PointId>,
    ) -> impl Iterator<Item = (PointId, &'a Segment, u32)> + 'a {
        let heads: Vec<_> = self
            .segments()
            .map(|s| {
                let it: Box<dyn Iterator<Item = (PointId, u32)> + 'a> =
                    Box::new(s.filtered_from(filter, from));
                (it.peekable(), s)
            })
            .collect();
        MergeById { heads }
    }

    /// Number of points matching `filter`.
    pub fn count_matching(&self, filter: Option<&Filter>) -> usize {
        self.segments().map(|s| s.count_matching(filter)).sum()
    }

    /// Estimated number of points matching `filter`.
    pub fn estimate(&self, filter: Option<&Filter>) -> Cardinality {
        self.segments().map(|s| s.estimate(filter)).fold(
            Cardinality {
                min: 0,
                exp: 0,
                max: 0,
            },
            |a, b| Cardinality {
                min: a.min + b.min,
                exp: a.exp + b.exp,
                max: a.max + b.max,
            },
        )
    }

    /// Value counts of an indexed field among points matching `filter`: by
    /// count descending, then value ascending, at most `limit`.
    pub fn facet(
        &self,
        key: &str,
        filter: Option<&Filter>,
        limit: usize,
    ) -> std::result::Result<Vec<(FacetValue, u64)>, IndexRequired> {
        let mut counts: BTreeMap<FacetValue, u64> = BTreeMap::new();
        for s in self.segments() {
            for (value, n) in s.facet(key, filter, usize::MAX)? {
                *counts.entry(value).or_default() += n;
            }
        }
        let mut hits: Vec<(FacetValue, u64)> = counts.into_iter().collect();
        hits.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        hits.truncate(limit);
        Ok(hits)
    }

    /// Points matching `filter` ordered by a range-indexed field, with the
    /// segment and offset of each; ties keep segment order (oldest first).
    pub fn order_by(
        &self,
        key: &str,
        descending: bool,
        start_from: Option<f64>,
        filter: Option<&Filter>,
        limit: usize,
    ) -> std::result::Result<Vec<(OrderValue, &Segment, u32)>, IndexRequired> {
        let mut rows = Vec::new();
        for s in self.segments() {
            for (value, offset) in s.order_by(key, descending, start_from, filter, limit)? {
                rows.push((value, s, offset));
            }
        }
        rows.sort_by(|a, b| {
            let o = a.0.as_f64().total_cmp(&b.0.as_f64());
            if descending {
                o.reverse()
            } else {
                o
            }
        });
        rows.truncate(limit);
        Ok(rows)
    }

    /// Inverse document frequencies of sparse vector `name` over all
    /// segments.
    pub fn sparse_idf(&self, name: &str, corpus: Option<&Filter>) -> segment::segment::search::Idf {
        let mut n = 0;
        let mut df: HashMap<u32, u32> = HashMap::new();
        for s in self.segments() {
            let (sn, sdf) = s.sparse_df(name, corpus);
            n += sn;
            for (i, d) in sdf {
                *df.entry(i).or_default() += d;
            }
        }
        idf(n, &df)
    }

    /// Index definitions by field (those of the appendable segment, which
    /// every index change reaches).
    pub fn index_schema(&self) -> BTreeMap<String, PayloadFieldSchema> {
        self.appendable.segment.payload_index().schema()
    }

    /// Index definitions with the number of points each holds.
    pub fn payload_schema(&self) -> BTreeMap<String, (PayloadFieldSchema, u64)> {
        let mut out: BTreeMap<String, (PayloadFieldSchema, u64)> = self
            .appendable
            .segment
            .payload_index()
            .schema()
            .into_iter()
            .map(|(field, schema)| (field, (schema, 0)))
            .collect();
        for s in self.segments() {
            for (field, (_, points)) in out.iter_mut() {
                *points += s.payload_index().get(field).map_or(0, |i| i.points());
            }
        }
        out
    }

    /// Reads a point.
    pub fn record(
        &self,
        id: PointId,
        payload: &PayloadSelector,
        vectors: &VectorSelector,
    ) -> Option<Record> {
        self.locate(id).map(|(s, o)| s.record(o, payload, vectors))
    }

    fn position(&self, id: PointId) -> Option<usize> {
        self.all().position(|h| h.segment.offset(id).is_some())
    }

    /// Applies one logged operation; replaying it again gives the same
    /// state.
    pub fn apply(&mut self, op_num: u64, op: &Operation) -> Result<()> {
        self.version = self.version.max(op_num);
        self.appendable.touch().bump_version(op_num);
        match op {
            Operation::Upsert(points) => {
                for p in points {
                    self.remove_from_sealed(op_num, p.id);
                    self.appendable.touch().upsert(
                        op_num,
                        p.id,
                        p.vectors.clone(),
                        p.payload.clone(),
                    );
                }
            }
            Operation::Delete(ids) => {
                for id in ids {
                    self.with_point(*id, |s| {
                        s.delete(op_num, *id);
                    });
                }
            }
            Operation::UpdateVectors(points) => {
                for (id, vectors) in points {
                    if let Some(mut moved) = self.take_from_sealed(op_num, *id) {
                        moved.0.extend(vectors.clone());
                        self.appendable
                            .touch()
                            .upsert(op_num, *id, moved.0, moved.1);
                    } else {
                        self.appendable
                            .touch()
                            .update_vectors(op_num, *id, vectors.clone());
                    }
                }
            }
            Operation::DeleteVectors(ids, names) => {
                for id in ids {
                    if let Some(mut moved) = self.take_from_sealed(op_num, *id) {
                        names.iter().for_each(|n| {
                            moved.0.remove(n);
                        });
                        self.appendable
                            .touch()
                            .upsert(op_num, *id, moved.0, moved.1);
                    } else {
                        self.appendable.touch().delete_vectors(op_num, *id, names);
                    }
                }
            }
            Operation::SetPayload(ids, payload, key) => {
                let key = key
                    .as_deref()
                    .map(JsonPath::parse)
                    .transpose()
                    .map_err(CollectionError::BadInput)?;
                for id in ids {
                    self.with_point(*id, |s| {
                        s.set_payload(op_num, *id, payload, key.as_ref());
                    });
                }
            }
            Operation::OverwritePayload(ids, payload) => {
                for id in ids {
                    self.with_point(*id, |s| {
                        s.overwrite_payload(op_num, *id, payload.clone());
                    });
                }
            }
            Operation::DeletePayload(ids, keys) => {
                let keys = keys
                    .iter()
                    .map(|k| JsonPath::parse(k).map_err(CollectionError::BadInput))
                    .collect::<Result<Vec<_>>>()?;
                for id in ids {
                    self.with_point(*id, |s| {
                        s.delete_payload(op_num, *id, &keys);
                    });
                }
            }
            Operation::ClearPayload(ids) => {
                for id in ids {
                    self.with_point(*id, |s| {
                        s.clear_payload(op_num, *id);
                    });
                }
            }
            Operation::CreateVectorName(name, kind) => {
                for h in self.all_mut() {
                    h.touch().add_vector_storage(name, *kind);
                }
            }
            Operation::DeleteVectorName(name) => {
                for h in self.all_mut() {
                    h.touch().remove_vector_storage(name);
                    h.graph_files.remove(name);
                    h.vector_files.remove(name);
                    h.block_files.retain(|(n, _, _)| n != name);
                }
            }
            Operation::CreateIndex(field, schema) => {
                for h in self.all_mut() {
                    h.touch().create_index(op_num, field, schema.clone())?;
                }
            }
            Operation::DeleteIndex(field) => {
                for h in self.all_mut() {
                    h.touch().delete_index(op_num, field);
                }
            }
        }
        Ok(())
    }

    /// Runs `f` on the segment holding `id`, if any.
    fn with_point(&mut self, id: PointId, f: impl FnOnce(&mut Segment)) {
        if let Some(i) = self.position(id) {
            f(self.all_mut().swap_remove(i).touch());
        }
    }

    fn remove_from_sealed(&mut self, op_num: u64, id: PointId) {
        for h in &mut self.sealed {
            if h.segment.offset(id).is_some() {
                h.touch().delete(op_num, id);
            }
        }
    }

    /// Deletes `id` from the sealed segment holding it, returning its
    /// vectors and payload.
    fn take_from_sealed(&mut self, op_num: u64, id: PointId) -> Option<(NamedVectors, Payload)> {
        let h = self
            .sealed
            .iter_mut()
            .find(|h| h.segment.offset(id).is_some())?;
        let offset = h.segment.offset(id)?;
        let record = h
            .segment
            .record(offset, &PayloadSelector::All, &VectorSelector::All);
        h.touch().delete(op_num, id);
        Some((
            record.vectors.unwrap_or_default(),
            record.payload.unwrap_or_default(),
        ))
    }
}

/// One segment's matching points in id order.
type SegmentPoints<'a> = Peekable<Box<dyn Iterator<Item = (PointId, u32)> + 'a>>;

/// Merges per-segment id-ordered iterators into one id-ordered iterator.
struct MergeById<'a> {
    heads: Vec<(SegmentPoints<'a>, &'a Segment)>,
}

impl<'a> Iterator for MergeById<'a> {
    type Item = (PointId, &'a Segment, u32);

    fn next(&mut self) -> Option<Self::Item> {
        let mut best: Option<(usize, PointId)> = None;
        for (i, (it, _)) in self.heads.iter_mut().enumerate() {
            if let Some(&(id, _)) = it.peek() {
                if best.is_none_or(|(_, b)| id < b) {
                    best = Some((i, id));
                }
            }
        }
        let (i, _) = best?;
        let (it, segment) = &mut self.heads[i];
        it.next().map(|(id, o)| (id, *segment, o))
    }
}
