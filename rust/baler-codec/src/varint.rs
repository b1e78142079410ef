//! LEB128 varints and a bounds-checked byte reader.

use crate::error::{corrupt, CodecError};

pub(crate) fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Bounds-checked cursor over an untrusted byte slice. Every read returns
/// `Err(Corrupt)` instead of panicking when the input is too short.
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
}
