//! Integers as their consecutive differences under one frequency table (number stream mode 6;
//! docs/format.md, "Number streams").
//!
//! Why: a block's I32 values are mostly ROOT's entry offsets of a jagged branch: a count, then
//! offsets that never decrease, then a 0 (stream.rs, `i32_config`). The differences between
//! offsets are the entries' sizes in bytes: a multiple of the element's size (plus a header for
//! a `std::vector`) over a few dozen values. pcodec coded them in bins of a range with offset
//! bits, and its bin search cost about a tenth of a `bits:10` basket's encode. Here each inner
//! difference d becomes the code (d - step) / scale, `step` in the middle of the differences'
//! range and `scale` the power of two they share (the element size), so that an entry of k
//! floats is a small symbol of one table (rans.rs): a stream costs about the entropy of the
//! entries' sizes plus the table. The first value and the first and last differences, which
//! hold the count and the trailing 0 of ROOT's array, are stored apart so that they neither
//! spoil the divisor nor widen the table.

use crate::error::{corrupt, CodecError};
use crate::rans;
use crate::scratch;
use crate::varint::{put_uvarint, put_zigzag, Reader};

/// Fewest values of a stream: the first value, the first and last differences, and one code.
pub(crate) const MIN_VALUES: usize = 4;

/// Writes `vals` as a mode-6 payload and returns true, or writes nothing and returns false where
/// the codes would be mostly raw bits (differences too spread for a table of symbols: pcodec's
/// bins serve those as well and decode faster; rans.rs, `Histogram::mostly_raw`) or where there
/// are fewer than [`MIN_VALUES`].
pub(crate) fn put(vals: &[i32], out: &mut Vec<u8>) -> bool {
    let n = vals.len();
    if n < MIN_VALUES {
        return false;
    }
    let mut inner = scratch::with_capacity::<i64>(n - 3);
    inner.extend(vals[1..n - 1].windows(2).map(|w| i64::from(w[1]) - i64::from(w[0])));
    let (low, high) = inner.iter().fold((i64::MAX, i64::MIN), |(l, h), &d| (l.min(d), h.max(d)));
    // the largest power of two dividing every difference from the smallest (no division per
    // value; a divisor that is not a power of two would leave gaps in the table, which cost
    // nothing), and a step of that multiple in the middle of the range
    let shift = inner.iter().fold(0, |bits, &d| bits | (d - low)).trailing_zeros().min(32);
    let step = low + ((((high - low) >> shift) / 2) << shift);
    let mut hist = rans::Histogram::default();
    for d in inner.iter_mut() {
        *d = (*d - step) >> shift;
        hist.add(*d);
    }
    if hist.mostly_raw() {
        return false;
    }
    put_zigzag(out, i64::from(vals[0]));
    put_zigzag(out, i64::from(vals[1]) - i64::from(vals[0]));
    put_zigzag(out, i64::from(vals[n - 1]) - i64::from(vals[n - 2]));
    put_zigzag(out, step);
    put_uvarint(out, 1 << shift);
    rans::put(&inner, &hist, out);
    true
}

/// Largest magnitude the header's differences, scale and coded differences may have: differences
/// of i32 values stay below 2^33 (between two inner differences, what a code carries), so a
/// stream beyond it is corrupt, and a running value (an i32 before each difference is added)
/// cannot overflow an i64.
const WIDEST: u64 = 1 << 34;

/// Reads a mode-6 payload of exactly `dst.len()` values. The input is not trusted: the header's
/// numbers and every code are checked against [`WIDEST`] and every value against i32, and the
/// codes' payload is checked as mode 5's is.
pub(crate) fn get(payload: &[u8], dst: &mut [i32]) -> Result<(), CodecError> {
    let n = dst.len();
    if n < MIN_VALUES {
        return corrupt(format!("difference stream of {n} values (at least {MIN_VALUES})"));
    }
    let mut r = Reader::new(payload);
    let first = r.zigzag()?;
    let head = r.zigzag()?;
    let tail = r.zigzag()?;
    let step = r.zigzag()?;
    let scale = r.uvarint()?;
    let mut codes = scratch::zeroed::<i64>(n - 3);
    rans::get(r.bytes(r.remaining())?, rans::MAX_EXACT_BITS, &mut codes, Some)?;
    let within = |v: i64| v.unsigned_abs() <= WIDEST;
    if !(1..=WIDEST).contains(&scale) || ![head, tail, step].into_iter().all(within) {
        return corrupt("difference stream with a scale of 0 or a difference beyond those of i32 values");
    }
    let scale = scale as i64;
    // One pass without a branch: the running value in wrapping arithmetic, and what tells whether
    // it stayed within i32 and each code within [`WIDEST`] / scale, checked after. Where both
    // hold, nothing wrapped: a value within i32 plus a difference of at most 2^35 fits an i64.
    let mut value = first;
    let mut beyond_i32 = 0u64;
    let mut put = |d: &mut i32, v: i64| {
        *d = v as i32;
        beyond_i32 |= (v.wrapping_sub(i64::from(i32::MIN)) as u64) >> 32;
    };
    put(&mut dst[0], value);
    value = value.wrapping_add(head);
    put(&mut dst[1], value);
    // each code's magnitude less one where negative, or-ed: at least the largest less one
    let mut widest_code = 0u64;
    for (d, &c) in dst[2..n - 1].iter_mut().zip(codes.iter()) {
        widest_code |= (c ^ (c >> 63)) as u64;
        value = value.wrapping_add(step.wrapping_add(scale.wrapping_mul(c)));
        put(d, value);
    }
    value = value.wrapping_add(tail);
    put(&mut dst[n - 1], value);
    if u128::from(widest_code + 1) * scale as u128 > u128::from(WIDEST) {
        return corrupt("difference stream with a difference beyond those of i32 values");
    }
    if beyond_i32 != 0 {
        return corrupt("difference stream of values beyond i32");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(vals: &[i32]) -> Vec<u8> {
        let mut payload = Vec::new();
        assert!(put(vals, &mut payload), "coded as differences: {vals:?}");
        let mut back = vec![0i32; vals.len()];
        get(&payload, &mut back).expect("a valid payload");
        assert_eq!(back, vals);
        payload
    }

    /// ROOT's entry offsets of a `x[n]/F` branch (a 75-byte key, 4 bytes per float).
    fn root_offsets(sizes: &[i32]) -> Vec<i32> {
        crate::test_baskets::root_offsets(75, 4, sizes)
    }

    /// The entry sizes in floats of a deterministic collection (0 to 10 per entry).
    fn sizes(n: usize) -> Vec<i32> {
        (0..n as u64).map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 60) as i32 % 11).collect()
    }

    #[test]
    fn entry_offsets_come_back_exactly_at_about_the_entropy_of_the_entries_sizes() {
        let vals = root_offsets(&sizes(1700));
        let payload = round_trip(&vals);
        // 11 sizes, each about as frequent: log2(11) = 3.46 bits per entry, plus the table
        let bits_per_entry = payload.len() as f64 * 8.0 / 1700.0;
        assert!(bits_per_entry < 3.7, "{bits_per_entry} bits per entry");
    }

    #[test]
    fn the_edges_and_extremes_of_i32_come_back() {
        round_trip(&[i32::MAX, i32::MIN, i32::MAX, i32::MIN]);
        round_trip(&[7, 7, 7, 7, 7]);
        round_trip(&[i32::MIN, 0, 4, 8, 12, 20, i32::MAX]);
        round_trip(&[-5, -9, -13, -13, -17, 3]);
    }

    #[test]
    fn spread_differences_and_short_streams_are_left_to_pcodec() {
        let spread: Vec<i32> = (0..2000u64).map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 33) as i32).collect();
        assert!(!put(&spread, &mut Vec::new()));
        assert!(!put(&[1, 2, 3], &mut Vec::new()));
    }

    /// A stream whose header or codes hold more than differences of i32 values can, or whose
    /// values leave i32, is refused (and no sum overflows on the way).
    #[test]
    fn values_beyond_i32_or_differences_too_wide_are_refused() {
        let header = |fields: [i64; 4], scale: u64, codes: &[i64]| {
            let mut payload = Vec::new();
            fields.iter().for_each(|&f| put_zigzag(&mut payload, f));
            put_uvarint(&mut payload, scale);
            rans::put(codes, &rans::Histogram::of(codes.iter().copied()), &mut payload);
            payload
        };
        let mut back = [0i32; 5];
        assert!(get(&header([0, 1, 1, 1], 1, &[0, 0]), &mut back).is_ok());
        assert_eq!(back, [0, 1, 2, 3, 4]);
        assert!(get(&header([i64::from(i32::MAX), 1, 0, 0], 1, &[0, 0]), &mut back).is_err(), "MAX + 1");
        assert!(get(&header([1 << 40, 0, 0, 0], 1, &[0, 0]), &mut back).is_err(), "a first value beyond i32");
        assert!(get(&header([0, 1 << 62, 1 << 62, 0], 1, &[0, 0]), &mut back).is_err(), "head and tail of 2^62");
        assert!(get(&header([0, 0, 0, 0], 1 << 40, &[0, 1]), &mut back).is_err(), "a scale of 2^40");
        assert!(get(&header([0, 0, 0, 0], 1 << 20, &[0, 1 << 20]), &mut back).is_err(), "a coded difference of 2^40");
        // 4 * 2^62 wraps to 0 in i64: every value would be 0, only the codes' width tells
        assert!(get(&header([0, 0, 0, 0], 4, &[0, 1 << 62]), &mut back).is_err(), "a coded difference of 2^64");
        assert!(get(&header([0, 0, 0, 0], 1, &[0, 0]), &mut back[..3]).is_err(), "too few values");
    }

    #[test]
    fn a_scale_of_zero_or_a_damaged_payload_is_refused() {
        let vals = root_offsets(&sizes(300));
        let mut payload = Vec::new();
        assert!(put(&vals, &mut payload));
        let mut back = vec![0i32; vals.len()];
        for cut in 0..payload.len() {
            assert!(get(&payload[..cut], &mut back).is_err(), "cut at {cut}");
        }
        // rebuild the header with scale 0 before the same codes
        let mut r = Reader::new(&payload);
        let fields: Vec<i64> = (0..4).map(|_| r.zigzag().unwrap()).collect();
        r.uvarint().unwrap();
        let codes = r.bytes(r.remaining()).unwrap();
        let mut zero = Vec::new();
        fields.iter().for_each(|&f| put_zigzag(&mut zero, f));
        put_uvarint(&mut zero, 0);
        zero.extend_from_slice(codes);
        assert!(get(&zero, &mut back).is_err());
    }
}
