//! LEB128 varints and a bounds-checked byte reader.

use crate::error::{corrupt, CodecError};

pub(crate) fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// The bytes [`put_uvarint`] writes for `v`.
pub(crate) fn uvarint_len(v: u64) -> usize {
    (64 - v.leading_zeros() as usize).div_ceil(7).max(1)
}

/// A signed integer as the varint of its zigzag code (0, -1, 1, -2, ... -> 0, 1, 2, 3, ...), so
/// small magnitudes of either sign take few bytes.
pub(crate) fn put_zigzag(out: &mut Vec<u8>, v: i64) {
    put_uvarint(out, ((v << 1) ^ (v >> 63)) as u64);
}

/// Bounds-checked cursor over an untrusted byte slice. Every read returns
/// `Err(Corrupt)` instead of panicking when the input is too short.
#[derive(Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }
    pub(crate) fn is_empty(&self) -> bool {
        self.remaining() == 0
    }
    pub(crate) fn u8(&mut self) -> Result<u8, CodecError> {
        match self.buf.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => corrupt("truncated (expected a byte)"),
        }
    }
    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        if n > self.remaining() {
            return corrupt(format!("truncated (need {n} bytes, {} left)", self.remaining()));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    pub(crate) fn u64_le(&mut self) -> Result<u64, CodecError> {
        let b = self.bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    pub(crate) fn uvarint(&mut self) -> Result<u64, CodecError> {
        let mut v: u64 = 0;
        for i in 0..10 {
            let b = self.u8()?;
            let part = (b & 0x7f) as u64;
            if i == 9 && part > 1 {
                return corrupt("varint overflows 64 bits");
            }
            v |= part << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        corrupt("varint too long")
    }
    /// A signed integer written by [`put_zigzag`].
    pub(crate) fn zigzag(&mut self) -> Result<i64, CodecError> {
        let u = self.uvarint()?;
        Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
    }
    /// A varint that must fit in `usize` and be at most `max`.
    pub(crate) fn len_at_most(&mut self, max: usize, what: &str) -> Result<usize, CodecError> {
        let v = self.uvarint()?;
        if v > max as u64 {
            return corrupt(format!("{what} {v} exceeds limit {max}"));
        }
        Ok(v as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Varints round-trip over the whole u64 range, and truncation is an error.
    #[test]
    fn varint_round_trip_and_truncation() {
        for &v in &[0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX - 1, u64::MAX] {
            let mut b = Vec::new();
            put_uvarint(&mut b, v);
            assert_eq!(Reader::new(&b).uvarint().unwrap(), v);
            assert!(Reader::new(&b[..b.len() - 1]).uvarint().is_err());
        }
        // 11 continuation bytes: too long
        assert!(Reader::new(&[0xff; 11]).uvarint().is_err());
    }

    /// Zigzag varints round-trip at both ends of i64, and small magnitudes take one byte.
    #[test]
    fn zigzag_round_trip() {
        for &v in &[0i64, -1, 1, -64, 63, i32::MIN as i64, i64::MIN, i64::MAX] {
            let mut b = Vec::new();
            put_zigzag(&mut b, v);
            assert_eq!(Reader::new(&b).zigzag().unwrap(), v);
            assert_eq!(b.len() == 1, (-64..64).contains(&v), "{v}");
        }
    }
}
