//! Graph files: written once after a build, read back with the level-0
//! links mapped from the file rather than copied.
//!
//! Layout (little-endian): magic, `m`, `m0`, node count, entry node (or
//! `u32::MAX`); per node its segment offset, its level-0 link count (u16)
//! and its top level (u8), each array padded to 4 bytes; the flat level-0
//! array (`m0` slots per node, 4-byte aligned); for every node above level
//! 0 and each of its levels, a count and the links; a CRC-32 of everything
//! before it.

use std::fs;
use std::path::Path;
use std::sync::Arc;

use super::{HnswIndex, Links};
use crate::error::{Result, SegmentError};
use crate::segment::write_atomically;

const MAGIC: &[u8; 8] = b"VZHNSW01";

fn pad4(buf: &mut Vec<u8>) {
    while !buf.len().is_multiple_of(4) {
        buf.push(0);
    }
}

fn corrupted(path: &Path, what: &str) -> SegmentError {
    SegmentError::Corrupted(format!("{}: {what}", path.display()))
}

/// Level-0 links inside a mapped graph file.
#[derive(Debug)]
pub(super) struct MappedLinks {
    map: memmap2::Mmap,
    /// Byte position of the first link.
    start: usize,
    /// Number of links.
    len: usize,
}

impl MappedLinks {
    pub(super) fn as_slice(&self) -> &[u32] {
        let bytes = &self.map[self.start..self.start + self.len * 4];
        // SAFETY: `load` checked that the range lies in the map, that it
        // starts 4-byte aligned (the map is page-aligned and `start` is a
        // multiple of 4) and that the target is little-endian, so the bytes
        // are `len` valid u32 values; the map lives as long as `self`.
        unsafe { std::slice::from_raw_parts(bytes.as_ptr() as *const u32, self.len) }
    }
}

impl HnswIndex {
    /// Writes the graph to `path` atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        let n = self.offsets.len();
        let mut buf = Vec::with_capacity(32 + n * (self.m0 * 4 + 8));
        buf.extend_from_slice(MAGIC);
        for v in [
            self.m as u32,
            self.m0 as u32,
            n as u32,
            self.entry.unwrap_or(u32::MAX),
        ] {
            buf.extend_from_slice(&v.to_le_bytes());
        }
        self.offsets()
            .iter()
            .for_each(|o| buf.extend_from_slice(&o.to_le_bytes()));
        (0..n as u32).for_each(|node| {
            buf.extend_from_slice(&(self.links0(node).len() as u16).to_le_bytes())
        });
        pad4(&mut buf);
        buf.extend_from_slice(&self.levels);
        pad4(&mut buf);
        self.layer0
            .iter()
            .for_each(|l| buf.extend_from_slice(&l.to_le_bytes()));
        for (node, levels) in self.upper.iter() {
            debug_assert_eq!(levels.len(), self.levels[node as usize] as usize);
            for links in levels {
                buf.extend_from_slice(&(links.len() as u32).to_le_bytes());
                links
                    .iter()
                    .for_each(|l| buf.extend_from_slice(&l.to_le_bytes()));
            }
        }
        let crc = crc32fast::hash(&buf);
        buf.extend_from_slice(&crc.to_le_bytes());
        write_atomically(path, &buf)
    }

    /// Reads a graph written by [`HnswIndex::save`], mapping its level-0
    /// links (an `on_disk` graph: served from the page cache).
    pub fn load(path: &Path) -> Result<HnswIndex> {
        Self::read(path, true)
    }

    /// Reads a graph written by [`HnswIndex::save`] into memory (its
    /// level-0 links in huge pages where the system offers them).
    pub fn load_in_ram(path: &Path) -> Result<HnswIndex> {
        Self::read(path, false)
    }

    fn read(path: &Path, mapped: bool) -> Result<HnswIndex> {
        let file = fs::File::open(path)?;
        // SAFETY: graph files are written once (to a temporary name, then
        // renamed) and never modified in place, so the mapping does not
        // change under us.
        let map = unsafe { memmap2::Mmap::map(&file)? };
        if map.len() < MAGIC.len() + 20 || &map[..MAGIC.len()] != MAGIC {
            return Err(corrupted(path, "not a graph file"));
        }
        let (body, crc) = map.split_at(map.len() - 4);
        if crc32fast::hash(body) != u32::from_le_bytes(crc.try_into().expect("4 bytes")) {
            return Err(corrupted(path, "checksum mismatch"));
        }
        let mut pos = MAGIC.len();
        let u32_at = |pos: &mut usize| -> Result<u32> {
            let b = body
                .get(*pos..*pos + 4)
                .ok_or_else(|| corrupted(path, "truncated"))?;
            *pos += 4;
            Ok(u32::from_le_bytes(b.try_into().expect("4 bytes")))
        };
        let m = u32_at(&mut pos)? as usize;
        let m0 = u32_at(&mut pos)? as usize;
        let n = u32_at(&mut pos)? as usize;
        let entry = u32_at(&mut pos)?;
        let need = n * 4 + (n * 2).next_multiple_of(4) + n.next_multiple_of(4) + n * m0 * 4;
        if body.len() < pos + need || m0 == 0 || m0 > u16::MAX as usize {
            return Err(corrupted(path, "truncated"));
        }
        let offsets: Vec<u32> = body[pos..pos + n * 4]
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect();
        pos += n * 4;
        let counts0: Vec<u16> = body[pos..pos + n * 2]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes(c.try_into().expect("2 bytes")))
            .collect();
        pos += (n * 2).next_multiple_of(4);
        let levels = body[pos..pos + n].to_vec();
        pos += n.next_multiple_of(4);
        let layer0_start = pos;
        pos += n * m0 * 4;
        let mut upper = super::Upper::default();
        for (node, &level) in levels.iter().enumerate() {
            let mut node_levels = Vec::with_capacity(level as usize);
            for _ in 0..level {
                let len = u32_at(&mut pos)? as usize;
                let links: Vec<u32> = body
                    .get(pos..pos + len * 4)
                    .ok_or_else(|| corrupted(path, "truncated"))?
                    .chunks_exact(4)
                    .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
                    .collect();
                pos += len * 4;
                node_levels.push(links);
            }
            upper.push(node as u32, node_levels);
        }
        if counts0.iter().any(|&c| c as usize > m0)
            || (entry != u32::MAX && entry as usize >= n)
            || upper
                .iter()
                .flat_map(|(_, lists)| lists.iter().flatten())
                .any(|&l| l as usize >= n)
        {
            return Err(corrupted(path, "links out of range"));
        }
        // rows must hold their links first and nothing after them (files of
        // older builds may keep stale links past the count: copied clean)
        let slot = |i: usize| {
            u32::from_le_bytes(
                body[layer0_start + i * 4..layer0_start + i * 4 + 4]
                    .try_into()
                    .expect("4 bytes"),
            )
        };
        let clean = counts0.iter().enumerate().all(|(node, &c)| {
            let row = node * m0;
            (0..c as usize).all(|i| slot(row + i) != super::EMPTY)
                && (c as usize..m0).all(|i| slot(row + i) == super::EMPTY)
        });
        let layer0 = if mapped && cfg!(target_endian = "little") && clean {
            Links::Mapped(Arc::new(MappedLinks {
                map,
                start: layer0_start,
                len: n * m0,
            }))
        } else {
            Links::Owned(crate::huge_pages::collect(
                n * m0,
                (0..n * m0).map(|i| match i % m0 < counts0[i / m0] as usize {
                    true => slot(i),
                    false => super::EMPTY,
                }),
            ))
        };
        let index = HnswIndex {
            m,
            m0,
            offsets: super::NodeOffsets::new(offsets),
            levels,
            layer0,
            upper,
            entry: (entry != u32::MAX).then_some(entry),
        };
        // level-0 links are read in place: check them once
        if (0..n as u32).any(|node| index.links0(node).iter().any(|&l| l as usize >= n)) {
            return Err(corrupted(path, "links out of range"));
        }
        Ok(index)
    }
}
