//! Buffer layouts: consecutive typed segments, and their compact serialisation.

use crate::error::{corrupt, CodecError};
use crate::varint::{put_uvarint, Reader};

/// Element type of a segment. Numbers inside `src` are big-endian.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SegmentKind {
    /// Opaque bytes, stored losslessly.
    Raw = 0,
    /// Big-endian IEEE-754 binary32 values, coded with the block's spec.
    F32 = 1,
    /// Big-endian IEEE-754 binary64 values, coded with the block's spec.
    F64 = 2,
    /// Big-endian 32-bit integers (counters, entry-offset tables), lossless.
    I32 = 3,
}

impl SegmentKind {
    /// Size of one element in bytes (1 for Raw).
    pub fn elem_size(self) -> usize {
        match self {
            SegmentKind::Raw => 1,
            SegmentKind::F32 | SegmentKind::I32 => 4,
            SegmentKind::F64 => 8,
        }
    }
    pub(crate) fn from_u8(b: u8) -> Option<SegmentKind> {
        Some(match b {
            0 => SegmentKind::Raw,
            1 => SegmentKind::F32,
            2 => SegmentKind::F64,
            3 => SegmentKind::I32,
            _ => return None,
        })
    }
}

/// One segment of a layout. `len` is in BYTES.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub kind: SegmentKind,
    pub len: u32,
}

impl Segment {
    pub fn new(kind: SegmentKind, len: u32) -> Self {
        Segment { kind, len }
    }
}

/// Byte totals per kind.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Totals {
    pub raw: usize,
    pub f32: usize,
    pub f64: usize,
    pub i32: usize,
}

impl Totals {
    pub(crate) fn add(&mut self, kind: SegmentKind, len: usize) {
        match kind {
            SegmentKind::Raw => self.raw += len,
            SegmentKind::F32 => self.f32 += len,
            SegmentKind::F64 => self.f64 += len,
            SegmentKind::I32 => self.i32 += len,
        }
    }
}

/// Validates a caller's layout against `src_len` and normalises it: drops empty
/// segments and merges neighbours of the same kind (lengths stay in bytes).
pub(crate) fn normalise(layout: &[Segment], src_len: usize) -> Result<(Vec<(SegmentKind, usize)>, Totals), CodecError> {
    let mut out: Vec<(SegmentKind, usize)> = Vec::new();
    let mut total: usize = 0;
    let mut totals = Totals::default();
    for (i, seg) in layout.iter().enumerate() {
        let len = seg.len as usize;
        if len % seg.kind.elem_size() != 0 {
            return Err(CodecError::InvalidLayout(format!(
                "segment {i} ({:?}) has length {len} bytes, not a multiple of its element size {}",
                seg.kind,
                seg.kind.elem_size()
            )));
        }
        total = total.checked_add(len).ok_or_else(|| CodecError::InvalidLayout("total length overflows".into()))?;
        if len == 0 {
            continue;
        }
        totals.add(seg.kind, len);
        match out.last_mut() {
            Some((k, l)) if *k == seg.kind => *l += len,
            _ => out.push((seg.kind, len)),
        }
    }
    if total != src_len {
        return Err(CodecError::InvalidLayout(format!(
            "segments cover {total} bytes but the source buffer has {src_len} bytes"
        )));
    }
    Ok((out, totals))
}

/// Serialises a normalised layout: varint count, then per segment a varint
/// `(len_in_elements << 2) | kind`.
pub(crate) fn serialise(segs: &[(SegmentKind, usize)], out: &mut Vec<u8>) {
    put_uvarint(out, segs.len() as u64);
    for &(k, len) in segs {
        let elems = (len / k.elem_size()) as u64;
        put_uvarint(out, (elems << 2) | k as u64);
    }
}

/// Parses a serialised layout; checks that it covers exactly `decoded_len` bytes,
/// with no empty segments, so the number of segments is at most `decoded_len`.
pub(crate) fn deserialise(bytes: &[u8], decoded_len: usize) -> Result<(Vec<(SegmentKind, usize)>, Totals), CodecError> {
    let mut r = Reader::new(bytes);
    let n = r.len_at_most(decoded_len, "segment count")?;
    // Each serialised segment takes at least one byte.
    if n > r.remaining() {
        return corrupt("layout segment count larger than its data");
    }
    let mut segs = Vec::with_capacity(n);
    let mut totals = Totals::default();
    let mut covered: usize = 0;
    for _ in 0..n {
        let v = r.uvarint()?;
        let kind = SegmentKind::from_u8((v & 3) as u8).expect("2-bit kind");
        let elems = v >> 2;
        if elems == 0 {
            return corrupt("empty segment in stored layout");
        }
        let len = elems
            .checked_mul(kind.elem_size() as u64)
            .filter(|&l| l <= (decoded_len - covered) as u64)
            .ok_or(CodecError::Corrupt("layout covers more than the decoded length".into()))?
            as usize;
        covered += len;
        totals.add(kind, len);
        segs.push((kind, len));
    }
    if covered != decoded_len {
        return corrupt(format!("layout covers {covered} bytes, header says {decoded_len}"));
    }
    if !r.is_empty() {
        return corrupt("trailing bytes after layout");
    }
    Ok((segs, totals))
}
