//! A shard: one segment kept durable by a write-ahead log.

use segment::quantization::{Method, QuantizedVectors};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::{Mutex, RwLock, RwLockReadGuard};
use segment::json_path::JsonPath;
use segment::segment::Segment;
use segment::vector_storage::VectorKind;

use crate::error::{CollectionError, Result};
use crate::operations::Operation;
use crate::wal::Wal;

const SEGMENT_FILE: &str = "segment.bin";

/// A segment, its write-ahead log, and the lock order between them.
///
/// Updates hold the segment's write lock while they log and apply, so the
/// log never holds an operation the segment has not seen once the lock is
/// released; a flush holds the read lock, which keeps writers out while the
/// segment is written and the log cut.
pub struct Shard {
    dir: PathBuf,
    segment: RwLock<Segment>,
    wal: Mutex<Wal>,
    dirty: AtomicBool,
}

impl Shard {
    /// Opens the shard in `dir`, replaying logged operations newer than the
    /// persisted segment. `schema` names the vector storages the
    /// configuration expects.
    pub fn open(
        dir: &Path,
        schema: &BTreeMap<String, VectorKind>,
        wal_capacity_mb: u64,
    ) -> Result<Shard> {
        std::fs::create_dir_all(dir)?;
        let seg_path = dir.join(SEGMENT_FILE);
        let mut segment = if seg_path.exists() {
            Segment::load(&seg_path)?
        } else {
            Segment::new(schema)
        };
        for (name, kind) in schema {
            segment.add_vector_storage(name, *kind);
        }
        let (wal, records) = Wal::open(&dir.join("wal"), wal_capacity_mb, segment.version() + 1)?;
        let mut replayed = 0;
        for (op_num, body) in records {
            if op_num <= segment.version() {
                continue;
            }
            let op: Operation = serde_json::from_slice(&body).map_err(|e| {
                CollectionError::Service(format!("undecodable WAL record {op_num}: {e}"))
            })?;
            apply(&mut segment, op_num, &op)?;
            replayed += 1;
        }
        if replayed > 0 {
            tracing::info!(dir = %dir.display(), replayed, "replayed write-ahead log");
        }
        Ok(Shard {
            dir: dir.to_path_buf(),
            segment: RwLock::new(segment),
            wal: Mutex::new(wal),
            dirty: AtomicBool::new(replayed > 0),
        })
    }

    /// Read access to the segment.
    pub fn read(&self) -> RwLockReadGuard<'_, Segment> {
        self.segment.read()
    }

    /// Resolves an operation against the current state, logs it and applies
    /// it, all under the write lock; returns the operation number.
    pub fn update(&self, resolve: impl FnOnce(&Segment) -> Result<Operation>) -> Result<u64> {
        let mut segment = self.segment.write();
        let op = resolve(&segment)?;
        let body = serde_json::to_vec(&op).map_err(|e| CollectionError::Service(e.to_string()))?;
        let op_num = self.wal.lock().append(&body)?;
        self.dirty.store(true, Ordering::Release);
        apply(&mut segment, op_num, &op)?;
        Ok(op_num)
    }

    /// Installs a graph built from a snapshot of the segment (no log record:
    /// graphs are derived state, rebuilt after a restart).
    pub fn install_graph(
        &self,
        name: &str,
        index: segment::hnsw::HnswIndex,
        quantized: Option<(Method, QuantizedVectors)>,
        snapshot_version: u64,
    ) {
        self.segment
            .write()
            .install_graph(name, index, quantized, snapshot_version);
    }

    /// Replaces the quantized vectors of an installed graph.
    pub fn install_quantization(&self, name: &str, quantized: Option<(Method, QuantizedVectors)>) {
        self.segment.write().install_quantization(name, quantized);
    }

    /// Persists the segment if it changed and drops the log records it now
    /// holds.
    pub fn flush(&self) -> Result<()> {
        if !self.dirty.swap(false, Ordering::AcqRel) {
            return Ok(());
        }
        let segment = self.segment.read();
        let result = segment
            .save(&self.dir.join(SEGMENT_FILE))
            .map_err(CollectionError::from)
            .and_then(|_| {
                let mut wal = self.wal.lock();
                wal.sync()?;
                wal.truncate_through(segment.version())
            });
        if result.is_err() {
            self.dirty.store(true, Ordering::Release);
        }
        result
    }
}

fn paths(keys: &[String]) -> Result<Vec<JsonPath>> {
    keys.iter()
        .map(|k| JsonPath::parse(k).map_err(CollectionError::BadInput))
        .collect()
}

/// Applies one logged operation; replaying it again gives the same state.
pub fn apply(segment: &mut Segment, op_num: u64, op: &Operation) -> Result<()> {
    segment.bump_version(op_num);
    match op {
        Operation::Upsert(points) => {
            for p in points {
                segment.upsert(op_num, p.id, p.vectors.clone(), p.payload.clone());
            }
        }
        Operation::Delete(ids) => ids.iter().for_each(|id| {
            segment.delete(op_num, *id);
        }),
        Operation::UpdateVectors(points) => points.iter().for_each(|(id, v)| {
            segment.update_vectors(op_num, *id, v.clone());
        }),
        Operation::DeleteVectors(ids, names) => ids.iter().for_each(|id| {
            segment.delete_vectors(op_num, *id, names);
        }),
        Operation::SetPayload(ids, payload, key) => {
            let key = key
                .as_deref()
                .map(JsonPath::parse)
                .transpose()
                .map_err(CollectionError::BadInput)?;
            ids.iter().for_each(|id| {
                segment.set_payload(op_num, *id, payload, key.as_ref());
            });
        }
        Operation::OverwritePayload(ids, payload) => ids.iter().for_each(|id| {
            segment.overwrite_payload(op_num, *id, payload.clone());
        }),
        Operation::DeletePayload(ids, keys) => {
            let keys = paths(keys)?;
            ids.iter().for_each(|id| {
                segment.delete_payload(op_num, *id, &keys);
            });
        }
        Operation::ClearPayload(ids) => ids.iter().for_each(|id| {
            segment.clear_payload(op_num, *id);
        }),
        Operation::CreateVectorName(name, kind) => segment.add_vector_storage(name, *kind),
        Operation::DeleteVectorName(name) => segment.remove_vector_storage(name),
        Operation::CreateIndex(field, schema) => {
            segment.create_index(op_num, field, schema.clone())?
        }
        Operation::DeleteIndex(field) => {
            segment.delete_index(op_num, field);
        }
    }
    Ok(())
}
