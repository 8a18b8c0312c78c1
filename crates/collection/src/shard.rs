//! A shard: its segments kept durable by a write-ahead log.
//!
//! On disk: `segments/seg-<key>.bin` per segment, graph files
//! `segments/seg-<key>-<name hash>.hnsw` written once when built, and the
//! manifest `segments.json` naming the segments, which one is appendable,
//! their graph files and the operation number everything is saved through.
//! A flush saves changed segments, then replaces the manifest atomically,
//! then trims the log: a crash at any point leaves a manifest whose files
//! exist and a log that covers everything after its version.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use segment::hnsw::HnswIndex;
use segment::segment::graph::BlockKey;
use segment::segment::{write_atomically, Segment};
use segment::vector_storage::VectorKind;
use serde::{Deserialize, Serialize};

use crate::error::{CollectionError, Result};
use crate::holder::{Held, SegmentHolder};
use crate::operations::Operation;
use crate::wal::Wal;

const MANIFEST: &str = "segments.json";
const SEGMENTS_DIR: &str = "segments";

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    version: u64,
    appendable: u64,
    sealed: Vec<SealedEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct SealedEntry {
    key: u64,
    graphs: BTreeMap<String, String>,
    #[serde(default)]
    vectors: BTreeMap<String, String>,
    #[serde(default)]
    blocks: Vec<(String, BlockKey, String)>,
}

/// Segments, their write-ahead log, and the lock order between them.
///
/// Updates hold the holder's write lock while they log and apply, so the
/// log never holds an operation the segments have not seen once the lock is
/// released; a flush holds the read lock, which keeps writers out while the
/// segments are written and the log cut.
pub struct Shard {
    dir: PathBuf,
    holder: RwLock<SegmentHolder>,
    wal: Mutex<Wal>,
    dirty: AtomicBool,
    /// The collection was deleted: its directory may already belong to a
    /// new collection of the same name, so nothing is written any more.
    dropped: AtomicBool,
    /// Held (shared) by every write of a file outside an update, so that
    /// dropping waits for them.
    files: RwLock<()>,
}

fn segment_file(key: u64) -> String {
    format!("seg-{key}.bin")
}

/// The file name of the graph of vector `name` in segment `key`.
pub fn graph_file(key: u64, name: &str) -> String {
    format!("seg-{key}-{:08x}.hnsw", crc32fast::hash(name.as_bytes()))
}

/// The file name of the mapped vectors `name` of segment `key`.
pub fn vectors_file(key: u64, name: &str) -> String {
    format!("seg-{key}-{:08x}.vec", crc32fast::hash(name.as_bytes()))
}

/// The file name of a payload block graph of vector `name` in segment `key`.
pub fn block_file(key: u64, name: &str, block: &BlockKey) -> String {
    let tag = serde_json::to_vec(block).unwrap_or_default();
    format!(
        "seg-{key}-{:08x}-{:08x}.blk",
        crc32fast::hash(name.as_bytes()),
        crc32fast::hash(&tag)
    )
}

/// The segment key a file in the segments directory belongs to.
fn key_of(file: &str) -> Option<u64> {
    let rest = file.strip_prefix("seg-")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

impl Shard {
    /// Opens the shard in `dir`, replaying logged operations newer than the
    /// saved segments. `schema` names the vector storages the configuration
    /// expects; the graphs of the vectors in `graphs_on_disk` are mapped
    /// from their files, the others read into memory.
    pub fn open(
        dir: &Path,
        schema: &BTreeMap<String, VectorKind>,
        graphs_on_disk: &HashSet<String>,
        wal_capacity_mb: u64,
    ) -> Result<Shard> {
        let seg_dir = dir.join(SEGMENTS_DIR);
        std::fs::create_dir_all(&seg_dir)?;
        let manifest_path = dir.join(MANIFEST);
        let mut holder = if manifest_path.exists() {
            let manifest: Manifest = serde_json::from_slice(&std::fs::read(&manifest_path)?)
                .map_err(|e| CollectionError::Service(format!("bad segment manifest: {e}")))?;
            let load = |key: u64| -> Result<Held> {
                let segment = Segment::load(&seg_dir.join(segment_file(key)))?;
                Ok(Held::loaded(key, segment))
            };
            let load_graph = |name: &String, file: &String| match graphs_on_disk.contains(name) {
                true => HnswIndex::load(&seg_dir.join(file)),
                false => HnswIndex::load_in_ram(&seg_dir.join(file)),
            };
            let mut sealed = Vec::new();
            for entry in &manifest.sealed {
                let mut held = load(entry.key)?;
                for (name, file) in &entry.graphs {
                    match load_graph(name, file) {
                        Ok(index) => {
                            held.segment.install_graph(name, index, None, u64::MAX);
                            held.graph_files.insert(name.clone(), file.clone());
                        }
                        // derived state: the optimizer builds it again
                        Err(e) => tracing::warn!(file, error = %e, "graph not loaded"),
                    }
                }
                for (name, block, file) in &entry.blocks {
                    match load_graph(name, file) {
                        Ok(index) => {
                            held.segment
                                .install_blocks(name, vec![(block.clone(), index)]);
                            held.block_files
                                .push((name.clone(), block.clone(), file.clone()));
                        }
                        Err(e) => tracing::warn!(file, error = %e, "block graph not loaded"),
                    }
                }
                for (name, file) in &entry.vectors {
                    held.segment.map_vectors_file(name, &seg_dir.join(file))?;
                    held.vector_files.insert(name.clone(), file.clone());
                }
                sealed.push(held);
            }
            SegmentHolder::from_parts(manifest.version, sealed, load(manifest.appendable)?)
        } else {
            SegmentHolder::new(schema)
        };
        for (name, kind) in schema {
            holder.apply_schema(name, *kind);
        }
        let (wal, records) = Wal::open(&dir.join("wal"), wal_capacity_mb, holder.version() + 1)?;
        let mut replayed = 0;
        for (op_num, body) in records {
            if op_num <= holder.version() {
                continue;
            }
            let op = crate::wal::record::decode(&body)
                .map_err(|e| CollectionError::Service(format!("WAL record {op_num}: {e}")))?;
            holder.apply(op_num, &op)?;
            replayed += 1;
        }
        if replayed > 0 {
            tracing::info!(dir = %dir.display(), replayed, "replayed write-ahead log");
        }
        Ok(Shard {
            dir: dir.to_path_buf(),
            holder: RwLock::new(holder),
            wal: Mutex::new(wal),
            dirty: AtomicBool::new(true),
            dropped: AtomicBool::new(false),
            files: RwLock::new(()),
        })
    }

    /// Read access to the segments.
    pub fn read(&self) -> RwLockReadGuard<'_, SegmentHolder> {
        self.holder.read()
    }

    /// Write access for the optimizers (segment swaps, installed graphs);
    /// the change is persisted at the next flush.
    pub fn write(&self) -> RwLockWriteGuard<'_, SegmentHolder> {
        self.dirty.store(true, Ordering::Release);
        self.holder.write()
    }

    /// Where the files of the segments live.
    pub fn segments_dir(&self) -> PathBuf {
        self.dir.join(SEGMENTS_DIR)
    }

    /// Resolves an operation against the current state, logs it and applies
    /// it, all under the write lock; returns the operation number.
    pub fn update(&self, resolve: impl FnOnce(&SegmentHolder) -> Result<Operation>) -> Result<u64> {
        let mut holder = self.holder.write();
        if self.is_dropped() {
            return Err(CollectionError::NotFound("Collection was deleted".into()));
        }
        let op = resolve(&holder)?;
        let body = crate::wal::record::encode(&op)?;
        let op_num = self.wal.lock().append(&body)?;
        self.dirty.store(true, Ordering::Release);
        holder.apply(op_num, &op)?;
        Ok(op_num)
    }

    /// Stops every write to the shard's files, for good (the collection was
    /// deleted). Waits for an update (under the holder lock) or a file write
    /// (under the files lock) in progress.
    pub fn mark_dropped(&self) {
        let _files = self.files.write();
        let _holder = self.holder.write();
        self.dropped.store(true, Ordering::Release);
    }

    /// Runs `write` (which writes files of the shard) unless the collection
    /// was deleted; a deletion waits for it.
    pub fn write_files<T>(&self, write: impl FnOnce() -> T) -> Option<T> {
        let _files = self.files.read();
        (!self.is_dropped()).then(write)
    }

    /// Whether the collection was deleted.
    pub fn is_dropped(&self) -> bool {
        self.dropped.load(Ordering::Acquire)
    }

    /// Saves changed segments and the manifest, then drops the log records
    /// they now hold and the files of segments that are gone.
    pub fn flush(&self) -> Result<()> {
        // under the files lock: a deletion waits for a save in progress, and
        // a save that would start after it writes nothing
        self.write_files(|| {
            if !self.dirty.swap(false, Ordering::AcqRel) {
                return Ok(());
            }
            let holder = self.holder.read();
            let result = self.save(&holder);
            if result.is_err() {
                self.dirty.store(true, Ordering::Release);
            }
            result
        })
        .unwrap_or(Ok(()))
    }

    fn save(&self, holder: &SegmentHolder) -> Result<()> {
        let seg_dir = self.segments_dir();
        for held in holder.held() {
            if held.take_dirty() {
                if let Err(e) = held.segment.save(&seg_dir.join(segment_file(held.key))) {
                    held.set_dirty();
                    return Err(e.into());
                }
            }
        }
        let keys: Vec<u64> = holder.held().map(|h| h.key).collect();
        let manifest = Manifest {
            version: holder.version(),
            appendable: *keys.last().expect("an appendable segment"),
            sealed: holder
                .held()
                .take(keys.len() - 1)
                .map(|h| SealedEntry {
                    key: h.key,
                    graphs: h.graph_files.clone(),
                    vectors: h.vector_files.clone(),
                    blocks: h.block_files.clone(),
                })
                .collect(),
        };
        let data = serde_json::to_vec_pretty(&manifest)
            .map_err(|e| CollectionError::Service(e.to_string()))?;
        write_atomically(&self.dir.join(MANIFEST), &data)?;
        {
            let mut wal = self.wal.lock();
            wal.sync()?;
            wal.truncate_through(holder.version())?;
        }
        // files of segments merged away or never listed
        let live: HashSet<u64> = keys.into_iter().collect();
        if let Ok(entries) = std::fs::read_dir(&seg_dir) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().to_string();
                if key_of(&name).is_some_and(|k| !live.contains(&k)) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        Ok(())
    }
}
