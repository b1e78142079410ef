//! The derived-offsets section (section tag 20, docs/format.md): the I32 values of an object
//! model's member (ROOT's entry offsets) derived from those of another member's basket for the
//! same entries, instead of an I32 section.
//!
//! Every member of a collection shares one counter, so every member's basket stores the same
//! per-entry counts as entry offsets: absolute byte positions that include the basket's key
//! length (which depends on the branch name) and scale with the element size. Member m's offsets
//! are then an affine function of its source's: `v = (mul·u + add) >> shift` for all but a few
//! positions (ROOT's count word and its trailing zero), which are stored as exceptions (their
//! difference to the source's value). The section records what it was derived from (the source
//! member and the entry range), so a reader fetches exactly that basket, and the block's checksum
//! fails on any other. No model: the derivation does not depend on one.

use crate::error::{corrupt, CodecError};
use crate::object::{get_name, put_name};
use crate::varint::{put_uvarint, put_zigzag, Reader};

/// What a derived-offsets section says it was derived from: the I32 values of the basket of
/// member `source` (a branch of the same tree) for entries `first_entry`.. +`entries`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetsSource {
    pub source: String,
    pub first_entry: u64,
    pub entries: u64,
}

/// Candidate ratios of element sizes (own / source): (mul, shift).
const RATIOS: [(i64, u8); 7] = [(1, 0), (2, 0), (1, 1), (4, 0), (1, 2), (8, 0), (1, 3)];

#[inline]
fn derive(u: i32, mul: i64, add: i64, shift: u8) -> i32 {
    (mul.wrapping_mul(u as i64).wrapping_add(add) >> shift) as i32
}

/// The section payload deriving `own` from `source` (the same count), or None when no affine map
/// holds for most positions (the caller then keeps the I32 section, and compares sizes).
pub(crate) fn encode(own: &[i32], source: &[i32], record: &OffsetsSource) -> Option<Vec<u8>> {
    let n = own.len();
    if n != source.len() || n < 2 {
        return None;
    }
    // The map from the first position where it is not the count word (ROOT's first offset, the
    // key length): position 1, else 0.
    let at = if n > 2 { 1 } else { 0 };
    let mut best: Option<(usize, i64, i64, u8)> = None;
    for (mul, shift) in RATIOS {
        let add = ((own[at] as i64) << shift).wrapping_sub(mul.wrapping_mul(source[at] as i64));
        let misses = own.iter().zip(source).filter(|&(&v, &u)| derive(u, mul, add, shift) != v).count();
        if best.is_none_or(|b| misses < b.0) {
            best = Some((misses, mul, add, shift));
        }
    }
    let (misses, mul, add, shift) = best?;
    if misses > n / 2 {
        return None;
    }
    let mut out = Vec::with_capacity(64 + 5 * misses);
    put_uvarint(&mut out, record.first_entry);
    put_uvarint(&mut out, record.entries);
    put_name(&mut out, &record.source);
    put_uvarint(&mut out, n as u64);
    put_zigzag(&mut out, mul);
    out.push(shift);
    put_zigzag(&mut out, add);
    let exceptions: Vec<usize> = (0..n).filter(|&i| derive(source[i], mul, add, shift) != own[i]).collect();
    put_uvarint(&mut out, exceptions.len() as u64);
    let mut next = 0;
    for &p in &exceptions {
        put_uvarint(&mut out, (p - next) as u64);
        next = p + 1;
    }
    for &p in &exceptions {
        // the difference to the source's value: ROOT's count word and trailing zero are the same
        // in every member's basket, one byte each
        put_zigzag(&mut out, own[p] as i64 - source[p] as i64);
    }
    Some(out)
}

/// Reads the section's record of what it was derived from.
pub(crate) fn read_record(r: &mut Reader<'_>) -> Result<OffsetsSource, CodecError> {
    let first_entry = r.uvarint()?;
    let entries = r.uvarint()?;
    let source = get_name(r)?;
    Ok(OffsetsSource { source, first_entry, entries })
}

/// Decodes the section into `dst` (the block's I32 values, n of them) from `source`, the I32
/// values of the recorded source member's basket, which the caller fetched.
pub(crate) fn decode(r: &mut Reader<'_>, source: Option<&[i32]>, dst: &mut [i32]) -> Result<(), CodecError> {
    let record = read_record(r)?;
    let n = dst.len();
    let stored = r.uvarint()?;
    if stored != n as u64 {
        return corrupt(format!("derived-offsets section holds {stored} values, the layout {n}"));
    }
    let Some(source) = source.filter(|s| s.len() == n) else {
        return Err(CodecError::MissingContext(format!(
            "the block derives its {n} entry offsets from those of {} for entries {}..{}{}",
            record.source,
            record.first_entry,
            record.first_entry.saturating_add(record.entries),
            source.map(|s| format!(" ({} given)", s.len())).unwrap_or_default()
        )));
    };
    let mul = r.zigzag()?;
    let shift = r.u8()?;
    if shift > 63 {
        return corrupt(format!("derived-offsets shift {shift}"));
    }
    let add = r.zigzag()?;
    for (d, &u) in dst.iter_mut().zip(source) {
        *d = derive(u, mul, add, shift);
    }
    let count = r.len_at_most(n, "offset exception count")?;
    let mut pos = Vec::with_capacity(count);
    let mut next: u64 = 0;
    for _ in 0..count {
        let p = next.checked_add(r.uvarint()?).filter(|&p| p < n as u64).ok_or(CodecError::Corrupt("offset exception position out of range".into()))?;
        pos.push(p as usize);
        next = p + 1;
    }
    for p in pos {
        dst[p] = (source[p] as i64).wrapping_add(r.zigzag()?) as i32;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_baskets::root_offsets;

    fn record() -> OffsetsSource {
        OffsetsSource { source: "Jet_Px".into(), first_entry: 10, entries: 5 }
    }

    #[test]
    fn affine_offsets_round_trip_with_their_source_only() {
        let counts = [3, 0, 5, 1, 2];
        let source = root_offsets(70, 4, &counts);
        for (keylen, size) in [(72, 4), (64, 4), (75, 8), (66, 2), (90, 1)] {
            let own = root_offsets(keylen, size, &counts);
            let payload = encode(&own, &source, &record()).expect("affine");
            let mut dst = vec![0; own.len()];
            decode(&mut Reader::new(&payload), Some(&source), &mut dst).unwrap();
            assert_eq!(dst, own, "keylen {keylen} size {size}");
            // two exceptions at most: the count word and the trailing zero
            // record 9, n 1, map 4 to 5, two exceptions at 2 bytes each
            assert!(payload.len() <= 9 + 1 + 5 + 1 + 4 + 2, "{} bytes", payload.len());
            let mut r = Reader::new(&payload);
            assert_eq!(read_record(&mut r).unwrap(), record());
            // without the source, an error naming it
            let err = decode(&mut Reader::new(&payload), None, &mut dst).unwrap_err();
            assert!(matches!(&err, CodecError::MissingContext(m) if m.contains("Jet_Px") && m.contains("10..15")), "{err}");
            assert!(decode(&mut Reader::new(&payload), Some(&source[1..]), &mut dst).is_err());
        }
    }

    #[test]
    fn unrelated_offsets_are_not_derived() {
        let source = root_offsets(70, 4, &[3, 0, 5, 1, 2, 4, 4, 1]);
        let own = root_offsets(70, 4, &[1, 1, 1, 1, 9, 0, 0, 3]);
        assert!(encode(&own, &source, &record()).is_none());
        assert!(encode(&own[1..], &source, &record()).is_none());
    }
}
