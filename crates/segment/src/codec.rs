//! Little-endian binary encoding shared by the segment file and the WAL.

use crate::error::{Result, SegmentError};
use crate::vectors::{SparseVector, Vector};
use crate::PointId;

/// Appends little-endian values to a byte buffer.
#[derive(Default)]
pub struct Writer {
    /// The bytes written so far.
    pub buf: Vec<u8>,
}

impl Writer {
    /// Writes a byte.
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    /// Writes a u32.
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    /// Writes a u64.
    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    /// Writes a length-prefixed byte string.
    pub fn bytes(&mut self, v: &[u8]) {
        self.u32(v.len() as u32);
        self.buf.extend_from_slice(v);
    }
    /// Writes a length-prefixed UTF-8 string.
    pub fn str(&mut self, v: &str) {
        self.bytes(v.as_bytes());
    }
    /// Writes a length-prefixed f32 slice.
    pub fn f32s(&mut self, v: &[f32]) {
        self.u32(v.len() as u32);
        for x in v {
            self.buf.extend_from_slice(&x.to_le_bytes());
        }
    }
    /// Writes a point id.
    pub fn point_id(&mut self, id: PointId) {
        match id {
            PointId::Num(n) => {
                self.u8(0);
                self.u64(n);
            }
            PointId::Uuid(u) => {
                self.u8(1);
                self.buf.extend_from_slice(u.as_bytes());
            }
        }
    }
    /// Writes a vector value.
    pub fn vector(&mut self, v: &Vector) {
        match v {
            Vector::Dense(d) => {
                self.u8(0);
                self.f32s(d);
            }
            Vector::Sparse(s) => {
                self.u8(1);
                self.u32(s.indices.len() as u32);
                s.indices.iter().for_each(|i| self.u32(*i));
                self.f32s(&s.values);
            }
            Vector::Multi(m) => {
                self.u8(2);
                self.u32(m.len() as u32);
                m.iter().for_each(|d| self.f32s(d));
            }
        }
    }
}

/// Reads little-endian values from a byte source (a slice, or a buffered
/// file streamed without holding it whole), failing on truncation.
pub struct Reader<R> {
    src: R,
    /// Bytes left in the source.
    remaining: u64,
}

impl<'a> Reader<&'a [u8]> {
    /// Starts reading `data` from its first byte.
    pub fn new(data: &'a [u8]) -> Self {
        Reader::from_read(data, data.len() as u64)
    }
}

impl<R: std::io::Read> Reader<R> {
    /// Reads the next `len` bytes of `src`.
    pub fn from_read(src: R, len: u64) -> Self {
        Reader {
            src,
            remaining: len,
        }
    }

    /// Whether every byte was consumed.
    pub fn is_empty(&self) -> bool {
        self.remaining == 0
    }

    fn fill(&mut self, buf: &mut [u8]) -> Result<()> {
        if buf.len() as u64 > self.remaining {
            return Err(SegmentError::Corrupted("unexpected end of data".into()));
        }
        self.src.read_exact(buf).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => {
                SegmentError::Corrupted("unexpected end of data".into())
            }
            _ => SegmentError::Io(e),
        })?;
        self.remaining -= buf.len() as u64;
        Ok(())
    }

    /// The next `n` bytes (checked against what is left before anything is
    /// allocated).
    fn take(&mut self, n: usize) -> Result<Vec<u8>> {
        if n as u64 > self.remaining {
            return Err(SegmentError::Corrupted("unexpected end of data".into()));
        }
        let mut out = vec![0; n];
        self.fill(&mut out)?;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0; N];
        self.fill(&mut out)?;
        Ok(out)
    }

    /// Reads a byte.
    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }
    /// Reads a u32.
    pub fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    /// Reads a u64.
    pub fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    /// Reads a length-prefixed byte string.
    pub fn bytes(&mut self) -> Result<Vec<u8>> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    /// Reads a length-prefixed UTF-8 string.
    pub fn str(&mut self) -> Result<String> {
        String::from_utf8(self.bytes()?).map_err(|e| SegmentError::Corrupted(e.to_string()))
    }
    /// Reads a length-prefixed f32 slice.
    pub fn f32s(&mut self) -> Result<Vec<f32>> {
        let n = self.u32()? as usize;
        let raw = self.take(
            n.checked_mul(4)
                .ok_or_else(|| SegmentError::Corrupted("length overflow".into()))?,
        )?;
        Ok(raw
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect())
    }
    /// Reads a point id.
    pub fn point_id(&mut self) -> Result<PointId> {
        match self.u8()? {
            0 => Ok(PointId::Num(self.u64()?)),
            1 => Ok(PointId::Uuid(uuid::Uuid::from_bytes(self.array()?))),
            t => Err(SegmentError::Corrupted(format!("unknown point id tag {t}"))),
        }
    }
    /// Reads a vector value.
    pub fn vector(&mut self) -> Result<Vector> {
        match self.u8()? {
            0 => Ok(Vector::Dense(self.f32s()?)),
            1 => {
                let n = self.u32()? as usize;
                let indices = (0..n).map(|_| self.u32()).collect::<Result<Vec<_>>>()?;
                let values = self.f32s()?;
                if values.len() != indices.len() {
                    return Err(SegmentError::Corrupted(
                        "sparse vector length mismatch".into(),
                    ));
                }
                Ok(Vector::Sparse(SparseVector { indices, values }))
            }
            2 => {
                let n = self.u32()? as usize;
                Ok(Vector::Multi(
                    (0..n).map(|_| self.f32s()).collect::<Result<_>>()?,
                ))
            }
            t => Err(SegmentError::Corrupted(format!("unknown vector tag {t}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut w = Writer::default();
        let id = PointId::Uuid(uuid::Uuid::from_u128(7));
        w.point_id(id);
        w.point_id(PointId::Num(3));
        let vs = [
            Vector::Dense(vec![1.0, -2.5]),
            Vector::Sparse(SparseVector {
                indices: vec![1, 9],
                values: vec![0.5, 0.25],
            }),
            Vector::Multi(vec![vec![1.0], vec![2.0]]),
        ];
        vs.iter().for_each(|v| w.vector(v));
        w.str("héllo");
        let mut r = Reader::new(&w.buf);
        assert_eq!(r.point_id().unwrap(), id);
        assert_eq!(r.point_id().unwrap(), PointId::Num(3));
        for v in &vs {
            assert_eq!(&r.vector().unwrap(), v);
        }
        assert_eq!(r.str().unwrap(), "héllo");
        assert!(r.is_empty());
        assert!(Reader::new(&w.buf[..w.buf.len() - 1]).point_id().is_ok());
        let mut short = Reader::new(&[0, 1, 2]);
        assert!(short.point_id().is_err());
    }
}
