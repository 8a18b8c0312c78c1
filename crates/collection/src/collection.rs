//! A collection: its configuration and its shard.

use std::path::{Path, PathBuf};

use parking_lot::RwLock;
use std::collections::BTreeMap;

use segment::filter::Filter;
use segment::json_path::JsonPath;
use segment::payload_index::schema::PayloadFieldSchema;
use segment::payload_index::Cardinality;
use segment::segment::query::{FacetValue, IndexRequired, OrderValue};
use segment::segment::{write_atomically, Record};
use segment::selector::{PayloadSelector, VectorSelector};
use segment::vector_storage::VectorKind;
use segment::PointId;

use crate::config::CollectionConfig;
use crate::error::{CollectionError, Result};
use crate::holder::SegmentHolder;
use crate::operations::{Operation, OrderBy, PointSelection, UpdateMode, UpdateRequest};
use crate::shard::Shard;
use crate::vector_check::{check_names, check_vectors, storage_schema};

const CONFIG_FILE: &str = "config.json";

/// Counters reported in collection info.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectionStats {
    /// Live points.
    pub points_count: usize,
    /// Vectors held by a vector index.
    pub indexed_vectors_count: usize,
    /// Segments.
    pub segments_count: usize,
    /// An optimization is running.
    pub optimizing: bool,
}

/// What telemetry reports of one segment.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentSummary {
    /// File key (the segment's id).
    pub key: u64,
    /// Takes new points.
    pub appendable: bool,
    /// Live points.
    pub points: usize,
    /// Deleted points whose slots it still holds.
    pub deleted: usize,
    /// Per vector name: live vectors and those a graph covers.
    pub vectors: BTreeMap<String, (usize, usize)>,
}

/// A named set of points with one configuration.
pub struct Collection {
    dir: PathBuf,
    config: RwLock<CollectionConfig>,
    pub(crate) shard: Shard,
    pub(crate) optimizing: std::sync::atomic::AtomicBool,
    pub(crate) tracker: parking_lot::Mutex<crate::optimizer::Tracker>,
    pub(crate) searches: std::sync::atomic::AtomicU64,
    /// The shard's operation number when the optimizer last saw it change,
    /// and when (see `optimizer::QUIET`).
    pub(crate) last_write: parking_lot::Mutex<(u64, std::time::Instant)>,
    /// How long writes must pause for that, in milliseconds.
    pub(crate) quiet_ms: std::sync::atomic::AtomicU64,
    /// Strict mode's rate-limit buckets.
    rate: parking_lot::Mutex<crate::rate_limit::RateLimits>,
}

impl Collection {
    /// Creates a new collection in `dir` and persists its configuration.
    pub fn create(dir: &Path, config: CollectionConfig) -> Result<Collection> {
        std::fs::create_dir_all(dir)?;
        save_config(dir, &config)?;
        Self::with_config(dir, config)
    }

    /// Opens an existing collection from `dir`.
    pub fn open(dir: &Path) -> Result<Collection> {
        let raw = std::fs::read(dir.join(CONFIG_FILE))?;
        let config: CollectionConfig = serde_json::from_slice(&raw).map_err(|e| {
            CollectionError::Service(format!("bad config in {}: {e}", dir.display()))
        })?;
        Self::with_config(dir, config)
    }

    fn with_config(dir: &Path, config: CollectionConfig) -> Result<Collection> {
        let graphs_on_disk = config
            .params
            .vectors
            .iter()
            .map(|(name, _)| name)
            .filter(|name| crate::optimizer::hnsw_config(&config, name).on_disk == Some(true))
            .map(str::to_string)
            .collect();
        let shard = Shard::open(
            &dir.join("0"),
            &storage_schema(&config),
            &graphs_on_disk,
            config.wal_config.wal_capacity_mb,
        )?;
        Ok(Collection {
            dir: dir.to_path_buf(),
            config: RwLock::new(config),
            shard,
            optimizing: Default::default(),
            tracker: Default::default(),
            searches: Default::default(),
            last_write: parking_lot::Mutex::new((0, std::time::Instant::now())),
            quiet_ms: (crate::optimizer::QUIET.as_millis() as u64).into(),
            rate: Default::default(),
        })
    }

    /// A copy of the configuration.
    pub fn config(&self) -> CollectionConfig {
        self.config.read().clone()
    }

    /// Changes the configuration with `change` and persists it; the change
    /// may reject the update.
    pub fn update_config(
        &self,
        change: impl FnOnce(&mut CollectionConfig) -> Result<()>,
    ) -> Result<()> {
        let mut config = self.config.write();
        let mut updated = config.clone();
        change(&mut updated)?;
        self.shard
            .write_files(|| save_config(&self.dir, &updated))
            .ok_or_else(|| CollectionError::NotFound("Collection was deleted".into()))??;
        *config = updated;
        Ok(())
    }

    /// Stops every write to the collection's files: it was deleted, and its
    /// directory may soon hold a new collection of the same name. Waits for
    /// writes in progress.
    pub fn mark_dropped(&self) {
        self.shard.mark_dropped();
    }

    /// Adds a vector name (dense, multi or sparse) to config and storage.
    pub fn create_vector_name(
        &self,
        name: &str,
        change: impl FnOnce(&mut CollectionConfig) -> Result<()>,
    ) -> Result<u64> {
        {
            let config = self.config.read();
            if config.params.vectors.get(name).is_some() || config.sparse(name).is_some() {
                return Err(CollectionError::BadInput(format!(
                    "Vector name `{name}` already exists"
                )));
            }
        }
        self.update_config(change)?;
        let kind = storage_schema(&self.config.read())
            .get(name)
            .copied()
            .ok_or_else(|| {
                CollectionError::Service(format!("vector `{name}` missing after creation"))
            })?;
        self.shard
            .update(|_| Ok(Operation::CreateVectorName(name.to_string(), kind)))
    }

    /// Removes a vector name and all its vectors.
    pub fn delete_vector_name(&self, name: &str) -> Result<u64> {
        self.update_config(|c| {
            check_names(c, [&name.to_string()])?;
            if let crate::config::VectorsConfig::Multi(m) = &mut c.params.vectors {
                m.remove(name);
            } else if name.is_empty() {
                c.params.vectors = Default::default();
            }
            if let Some(s) = &mut c.params.sparse_vectors {
                s.remove(name);
            }
            Ok(())
        })?;
        self.shard
            .update(|_| Ok(Operation::DeleteVectorName(name.to_string())))
    }

    /// Point and segment counters.
    pub fn stats(&self) -> CollectionStats {
        let holder = self.shard.read();
        let names = storage_schema(&self.config.read());
        CollectionStats {
            points_count: holder.points_count(),
            indexed_vectors_count: names.keys().map(|n| holder.indexed_count(n)).sum(),
            segments_count: holder.segments_count(),
            optimizing: self.is_optimizing() || self.has_pending_optimizations(),
        }
    }

    /// The number of the last operation applied.
    pub fn operation_number(&self) -> u64 {
        self.shard.read().version()
    }

    /// Live vectors per vector name (dense and sparse).
    pub fn vectors_by_name(&self) -> BTreeMap<String, usize> {
        let holder = self.shard.read();
        storage_schema(&self.config.read())
            .into_keys()
            .map(|name| {
                let count = holder.segments().map(|s| s.vectors_count(&name)).sum();
                (name, count)
            })
            .collect()
    }

    /// Each segment's counters, sealed ones oldest first, then the
    /// appendable one.
    pub fn segment_summaries(&self) -> Vec<SegmentSummary> {
        let holder = self.shard.read();
        let names = storage_schema(&self.config.read());
        holder
            .held()
            .map(|h| SegmentSummary {
                key: h.key,
                appendable: std::ptr::eq(&h.segment, holder.appendable()),
                points: h.segment.points_count(),
                deleted: h.segment.deleted_count(),
                vectors: names
                    .keys()
                    .map(|n| {
                        let counts = (h.segment.vectors_count(n), h.segment.indexed_count(n));
                        (n.clone(), counts)
                    })
                    .collect(),
            })
            .collect()
    }

    /// Applies an update; returns its operation number.
    pub fn update(&self, request: UpdateRequest) -> Result<u64> {
        let config = self.config();
        if let Some(strict) = crate::strict::StrictMode::of(&config) {
            let written = match &request {
                UpdateRequest::Upsert { points, .. } => points.len(),
                UpdateRequest::UpdateVectors { points, .. } => points.len(),
                _ => 1,
            };
            self.rate.lock().take(
                crate::rate_limit::Access::Write,
                strict.write_rate_limit,
                written as u64,
            )?;
            match &request {
                UpdateRequest::Upsert { points, .. } => {
                    strict.check_upsert(points.len())?;
                    points
                        .iter()
                        .try_for_each(|p| strict.check_vectors(&p.vectors))?;
                }
                UpdateRequest::UpdateVectors { points, .. } => points
                    .iter()
                    .try_for_each(|(_, v)| strict.check_vectors(v))?,
                UpdateRequest::Delete(PointSelection::Filter(f)) => {
                    strict.check_filter(f)?;
                    strict.check_indexed(f, &self.index_schema(), true)?;
                }
                _ => {}
            }
        }
        let request = prepare(&config, request)?;
        self.shard.update(|holder| resolve(holder, request))
    }

    /// Reads points by id, in the order asked, skipping missing ones.
    pub fn retrieve(
        &self,
        ids: &[PointId],
        payload: &PayloadSelector,
        vectors: &VectorSelector,
    ) -> Result<Vec<Record>> {
        self.check_selector(vectors)?;
        let holder = self.shard.read();
        let mut seen = std::collections::HashSet::new();
        Ok(ids
            .iter()
            .filter(|id| seen.insert(**id))
            .filter_map(|id| holder.record(*id, payload, vectors))
            .collect())
    }

    /// One page of points in id order from `offset`, with the id that
    /// starts the next page.
    pub fn scroll(
        &self,
        filter: Option<&Filter>,
        offset: Option<PointId>,
        limit: usize,
        payload: &PayloadSelector,
        vectors: &VectorSelector,
    ) -> Result<(Vec<Record>, Option<PointId>)> {
        self.check_selector(vectors)?;
        self.take_read_rate(1)?;
        if let Some(strict) = self.strict_mode() {
            strict.check_limit(limit)?;
        }
        self.check_read_filter(filter)?;
        let holder = self.shard.read();
        let mut matching = holder.filtered_from(filter, offset);
        let page: Vec<Record> = matching
            .by_ref()
            .take(limit)
            .map(|(_, s, o)| s.record(o, payload, vectors))
            .collect();
        let next = matching.next().map(|(id, _, _)| id);
        Ok((page, next))
    }

    /// The limits of the collection's strict mode, when it is enabled (read
    /// under the config lock: no copy of the config per request).
    pub(crate) fn strict_mode(&self) -> Option<crate::strict::StrictMode> {
        crate::strict::StrictMode::of(&self.config.read())
    }

    /// Takes `cost` tokens of strict mode's read rate limit (one per search
    /// of a batch, one per scroll, count or retrieval).
    pub fn take_read_rate(&self, cost: usize) -> Result<()> {
        let limit = self.strict_mode().and_then(|s| s.read_rate_limit);
        self.rate
            .lock()
            .take(crate::rate_limit::Access::Read, limit, cost as u64)
    }

    /// Whether strict mode lets a request run with this `timeout` (seconds).
    pub fn check_timeout(&self, timeout: Option<u64>) -> Result<()> {
        match self.strict_mode() {
            Some(strict) => strict.check_timeout(timeout),
            None => Ok(()),
        }
    }

    /// Whether strict mode lets a read filter by `filter` (its size, and
    /// indexes on its fields when unindexed filtering is off).
    pub fn check_read_filter(&self, filter: Option<&Filter>) -> Result<()> {
        let (Some(strict), Some(f)) = (self.strict_mode(), filter) else {
            return Ok(());
        };
        strict.check_filter(f)?;
        strict.check_indexed(f, &self.index_schema(), false)
    }

    /// Number of points matching `filter`.
    pub fn count(&self, filter: Option<&Filter>) -> usize {
        self.shard.read().count_matching(filter)
    }

    /// Estimated number of points matching `filter`, from the indexes.
    pub fn estimate(&self, filter: Option<&Filter>) -> Cardinality {
        self.shard.read().estimate(filter)
    }

    /// Creates (or replaces) a payload index on `field`.
    pub fn create_index(&self, field: &str, schema: PayloadFieldSchema) -> Result<u64> {
        JsonPath::parse(field).map_err(CollectionError::BadInput)?;
        if let Some(strict) = self.strict_mode() {
            let existing = self.index_schema();
            if !existing.contains_key(field) {
                strict.check_index_count(existing.len())?;
            }
        }
        self.shard
            .update(|_| Ok(Operation::CreateIndex(field.to_string(), schema)))
    }

    /// The first stored value at `field`, for inferring an index type.
    pub fn sample_value(&self, field: &str) -> Result<Option<serde_json::Value>> {
        let path = JsonPath::parse(field).map_err(CollectionError::BadInput)?;
        let holder = self.shard.read();
        let sample = holder.filtered_from(None, None).find_map(|(_, s, o)| {
            s.payload_of(o).and_then(|p| {
                path.leaf_values(&p)
                    .into_iter()
                    .find(|v| !v.is_null())
                    .cloned()
            })
        });
        Ok(sample)
    }

    /// Drops the payload index on `field`.
    pub fn delete_index(&self, field: &str) -> Result<u64> {
        self.shard
            .update(|_| Ok(Operation::DeleteIndex(field.to_string())))
    }

    /// Index definitions by field.
    pub fn index_schema(&self) -> BTreeMap<String, PayloadFieldSchema> {
        self.shard.read().index_schema()
    }

    /// Index definitions with the number of points each holds.
    pub fn payload_schema(&self) -> BTreeMap<String, (PayloadFieldSchema, u64)> {
        self.shard.read().payload_schema()
    }

    /// Value counts of an indexed field among points matching `filter`.
    pub fn facet(
        &self,
        key: &str,
        filter: Option<&Filter>,
        limit: usize,
    ) -> Result<Vec<(FacetValue, u64)>> {
        self.take_read_rate(1)?;
        self.shard
            .read()
            .facet(key, filter, limit)
            .map_err(index_required)
    }

    /// Points matching `filter` ordered by a range-indexed payload field,
    /// each with the value it was ordered by.
    pub fn scroll_ordered(
        &self,
        filter: Option<&Filter>,
        order: &OrderBy,
        limit: usize,
        payload: &PayloadSelector,
        vectors: &VectorSelector,
    ) -> Result<Vec<(Record, OrderValue)>> {
        self.check_selector(vectors)?;
        self.take_read_rate(1)?;
        let holder = self.shard.read();
        let rows = holder
            .order_by(
                &order.key,
                order.descending,
                order.start_from,
                filter,
                limit,
            )
            .map_err(index_required)?;
        Ok(rows
            .into_iter()
            .map(|(value, s, o)| (s.record(o, payload, vectors), value))
            .collect())
    }

    /// Persists changed state and trims the log.
    pub fn flush(&self) -> Result<()> {
        self.shard.flush()
    }

    fn check_selector(&self, vectors: &VectorSelector) -> Result<()> {
        if let VectorSelector::Names(names) = vectors {
            check_names(&self.config.read(), names)?;
        }
        Ok(())
    }

    /// The kind of storage behind a vector name, if configured.
    pub fn vector_kind(&self, name: &str) -> Option<VectorKind> {
        storage_schema(&self.config.read()).get(name).copied()
    }
}

fn index_required(e: IndexRequired) -> CollectionError {
    match e {
        IndexRequired::Facet(key) => CollectionError::BadRequest(format!(
            "Index required but not found for \"{key}\" of one of the following types: [keyword, integer, bool, uuid]. Help: Create an index for this key or use a different filter."
        )),
        IndexRequired::OrderBy(key) => CollectionError::BadInput(format!(
            "No range index for `order_by` key: `{key}`. Please create one to use `order_by`. Check https://qdrant.tech/documentation/concepts/indexing/#payload-index to see which payload schemas support Range conditions"
        )),
    }
}

fn save_config(dir: &Path, config: &CollectionConfig) -> Result<()> {
    let data =
        serde_json::to_vec_pretty(config).map_err(|e| CollectionError::Service(e.to_string()))?;
    write_atomically(&dir.join(CONFIG_FILE), &data)?;
    Ok(())
}

/// Validates vectors and names against the configuration, before any lock
/// is taken.
fn prepare(config: &CollectionConfig, mut request: UpdateRequest) -> Result<UpdateRequest> {
    match &mut request {
        UpdateRequest::Upsert { points, .. } if points.is_empty() => {
            return Err(CollectionError::BadRequest("Empty update request".into()));
        }
        UpdateRequest::Delete(PointSelection::Ids(ids)) if ids.is_empty() => {
            return Err(CollectionError::BadRequest("Empty update request".into()));
        }
        UpdateRequest::Upsert { points, .. } => {
            for (i, p) in points.iter_mut().enumerate() {
                // Qdrant validates a sparse vector's shape in the body
                let uneven = p.vectors.values().any(|v| {
                    matches!(v, segment::vectors::Vector::Sparse(s) if s.indices.len() != s.values.len())
                });
                if uneven {
                    return Err(CollectionError::Validation(format!(
                        "points[{i}].vector.?.values: Validation error: must be the same length \
                         as indices [{{}}]"
                    )));
                }
                check_vectors(config, &mut p.vectors)?;
            }
        }
        UpdateRequest::UpdateVectors { points, .. } => {
            for (_, v) in points.iter_mut() {
                if v.is_empty() {
                    return Err(CollectionError::BadInput(
                        "No vectors provided for update".into(),
                    ));
                }
                check_vectors(config, v)?;
            }
        }
        UpdateRequest::DeleteVectors { names, .. } => check_names(config, names.iter())?,
        _ => {}
    }
    Ok(request)
}

fn select(holder: &SegmentHolder, selection: &PointSelection) -> Vec<PointId> {
    match selection {
        PointSelection::Ids(ids) => ids.clone(),
        PointSelection::Filter(f) => holder
            .filtered_from(Some(f), None)
            .map(|(id, _, _)| id)
            .collect(),
    }
}

/// Like [`select`], but every explicit id must exist.
fn select_existing(holder: &SegmentHolder, selection: &PointSelection) -> Result<Vec<PointId>> {
    if let PointSelection::Ids(ids) = selection {
        if let Some(missing) = ids.iter().find(|id| holder.locate(**id).is_none()) {
            return Err(CollectionError::NotFound(format!(
                "No point with id {missing} found"
            )));
        }
    }
    Ok(select(holder, selection))
}

/// Turns a request into a logged operation with explicit ids.
fn resolve(holder: &SegmentHolder, request: UpdateRequest) -> Result<Operation> {
    let passes = |filter: &Option<Filter>, id: PointId| match (filter, holder.locate(id)) {
        (Some(f), Some((s, o))) => s.matches(o, f),
        _ => true,
    };
    Ok(match request {
        UpdateRequest::Upsert {
            points,
            update_filter,
            mode,
        } => Operation::Upsert(
            points
                .into_iter()
                .filter(|p| {
                    let exists = holder.locate(p.id).is_some();
                    let by_mode = match mode {
                        UpdateMode::Upsert => true,
                        UpdateMode::InsertOnly => !exists,
                        UpdateMode::UpdateOnly => exists,
                    };
                    by_mode && passes(&update_filter, p.id)
                })
                .collect(),
        ),
        UpdateRequest::Delete(sel) => Operation::Delete(select(holder, &sel)),
        UpdateRequest::UpdateVectors {
            points,
            update_filter,
        } => {
            if let Some((missing, _)) = points.iter().find(|(id, _)| holder.locate(*id).is_none()) {
                return Err(CollectionError::NotFound(format!(
                    "No point with id {missing} found"
                )));
            }
            Operation::UpdateVectors(
                points
                    .into_iter()
                    .filter(|(id, _)| passes(&update_filter, *id))
                    .collect(),
            )
        }
        UpdateRequest::DeleteVectors { selection, names } => {
            Operation::DeleteVectors(select_existing(holder, &selection)?, names)
        }
        UpdateRequest::SetPayload {
            selection,
            payload,
            key,
        } => Operation::SetPayload(
            select_existing(holder, &selection)?,
            payload,
            key.map(|k| k.to_string()),
        ),
        UpdateRequest::OverwritePayload { selection, payload } => {
            Operation::OverwritePayload(select_existing(holder, &selection)?, payload)
        }
        UpdateRequest::DeletePayload { selection, keys } => Operation::DeletePayload(
            select_existing(holder, &selection)?,
            keys.iter().map(|k| k.to_string()).collect(),
        ),
        UpdateRequest::ClearPayload(sel) => Operation::ClearPayload(select_existing(holder, &sel)?),
    })
}

#[cfg(test)]
mod tests;
