//! The write-ahead log: numbered operations appended to segment files.
//!
//! A record is `[len u32][crc32 u32][op u64][body]`, little-endian, where the
//! checksum covers the op number and the body. Files are named after their
//! first operation number. Appends go straight to the file with one
//! `write`, so an acknowledged record survives the process being killed;
//! `sync` adds an fsync for power loss. Reading stops at the first torn or
//! corrupt record, and opening cuts the log there.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::Result;

const HEADER: usize = 16;

/// One logged record: its operation number and body.
pub type LogRecord = (u64, Vec<u8>);

/// An append-only, checksummed operation log in one directory.
pub struct Wal {
    dir: PathBuf,
    /// Files in order: (first op number, path).
    files: Vec<(u64, PathBuf)>,
    current: File,
    current_len: u64,
    capacity: u64,
    next_op: u64,
}

fn file_name(first_op: u64) -> String {
    format!("{first_op:020}.wal")
}

/// Reads the intact records of one file; returns them and the byte length
/// of the intact prefix.
fn read_file(path: &Path) -> Result<(Vec<LogRecord>, u64)> {
    let mut data = Vec::new();
    File::open(path)?.read_to_end(&mut data)?;
    let mut records = Vec::new();
    let mut pos = 0usize;
    while data.len() - pos >= HEADER {
        let len = u32::from_le_bytes(data[pos..pos + 4].try_into().expect("4 bytes")) as usize;
        let crc = u32::from_le_bytes(data[pos + 4..pos + 8].try_into().expect("4 bytes"));
        let end = pos + HEADER + len;
        if end > data.len() || crc32fast::hash(&data[pos + 8..end]) != crc {
            break;
        }
        let op = u64::from_le_bytes(data[pos + 8..pos + 16].try_into().expect("8 bytes"));
        records.push((op, data[pos + HEADER..end].to_vec()));
        pos = end;
    }
    Ok((records, pos as u64))
}

impl Wal {
    /// Opens (or creates) the log in `dir` and returns it with every intact
    /// record, in order. A damaged tail is cut off; files after the damage
    /// are removed. `first_op` numbers the first record of a new log.
    pub fn open(dir: &Path, capacity_mb: u64, first_op: u64) -> Result<(Wal, Vec<LogRecord>)> {
        fs::create_dir_all(dir)?;
        let mut files: Vec<(u64, PathBuf)> = fs::read_dir(dir)?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let first = name.strip_suffix(".wal")?.parse().ok()?;
                Some((first, e.path()))
            })
            .collect();
        files.sort();
        let mut records = Vec::new();
        let mut keep = files.len();
        let mut last_len = 0;
        for (i, (_, path)) in files.iter().enumerate() {
            let (recs, intact) = read_file(path)?;
            let file_len = fs::metadata(path)?.len();
            records.extend(recs);
            last_len = intact;
            if intact < file_len {
                tracing::warn!(file = %path.display(), at = intact, "write-ahead log damaged; cutting it there");
                OpenOptions::new().write(true).open(path)?.set_len(intact)?;
                keep = i + 1;
                break;
            }
        }
        for (_, path) in files.drain(keep..) {
            fs::remove_file(path)?;
        }
        let newest_file = files.last().map_or(first_op, |f| f.0);
        let next_op = records
            .last()
            .map_or(first_op.max(newest_file), |r| r.0 + 1);
        if files.is_empty() {
            let path = dir.join(file_name(next_op));
            File::create(&path)?;
            files.push((next_op, path));
            last_len = 0;
        }
        let current = OpenOptions::new()
            .append(true)
            .open(&files.last().expect("one file").1)?;
        let wal = Wal {
            dir: dir.to_path_buf(),
            files,
            current,
            current_len: last_len,
            capacity: capacity_mb.max(1) << 20,
            next_op,
        };
        Ok((wal, records))
    }

    /// The number the next appended operation gets.
    pub fn next_op(&self) -> u64 {
        self.next_op
    }

    /// Appends one record and returns its operation number.
    pub fn append(&mut self, body: &[u8]) -> Result<u64> {
        if self.current_len >= self.capacity {
            self.rotate()?;
        }
        let op = self.next_op;
        let mut rec = Vec::with_capacity(HEADER + body.len());
        rec.extend_from_slice(&(body.len() as u32).to_le_bytes());
        rec.extend_from_slice(&[0; 4]);
        rec.extend_from_slice(&op.to_le_bytes());
        rec.extend_from_slice(body);
        let crc = crc32fast::hash(&rec[8..]);
        rec[4..8].copy_from_slice(&crc.to_le_bytes());
        self.current.write_all(&rec)?;
        self.current_len += rec.len() as u64;
        self.next_op += 1;
        Ok(op)
    }

    /// Forces appended records to stable storage.
    pub fn sync(&mut self) -> Result<()> {
        self.current.sync_data()?;
        Ok(())
    }

    /// Starts a new file for the next records.
    fn rotate(&mut self) -> Result<()> {
        self.current.sync_data()?;
        let path = self.dir.join(file_name(self.next_op));
        self.current = OpenOptions::new().create(true).append(true).open(&path)?;
        self.files.push((self.next_op, path));
        self.current_len = 0;
        Ok(())
    }

    /// Drops every record numbered `up_to` or lower that is no longer
    /// needed because the state holding it has been persisted.
    pub fn truncate_through(&mut self, up_to: u64) -> Result<()> {
        if self.next_op <= up_to + 1 && self.current_len > 0 {
            self.rotate()?;
        }
        while self.files.len() > 1 && self.files[1].0 <= up_to + 1 {
            let (_, path) = self.files.remove(0);
            fs::remove_file(path)?;
        }
        Ok(())
    }
}

pub mod record;

#[cfg(test)]
mod tests;
