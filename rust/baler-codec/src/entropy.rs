//! The empirical entropy of a stream of integer codes: the fewest bits any coder spends on the
//! stream when it draws every value from one distribution fixed for the whole stream, as pcodec
//! does with no delta encoding ([`crate::stream::nums_floor`] builds a floor from it).

use crate::scratch;

/// The count table may span this many codes beyond four per value. Wider spreads are not counted:
/// clearing and scanning the table would cost more than the pcodec pass the floor can save (at
/// 2^16, 123b's blocks of 4,095 covariances at bits:10 encoded 7% slower), and codes spread over
/// many more values than there are codes are mostly unique, so that their empirical entropy is
/// far below what any coder writes and the floor would not bind.
const EXTRA_RANGE: u64 = 1 << 12;

/// n·H in bits, H the entropy of the empirical distribution of the `n` codes (each distinct code
/// c, seen k times, has probability k/n). None where the codes spread over more than
/// 4n + 2^12 distinct values.
pub(crate) fn empirical_bits(codes: impl Iterator<Item = i64> + Clone) -> Option<f64> {
    let (mut lo, mut hi, mut n) = (i64::MAX, i64::MIN, 0u64);
    for c in codes.clone() {
        lo = lo.min(c);
        hi = hi.max(c);
        n += 1;
    }
    if n == 0 {
        return Some(0.0);
    }
    let range = (hi as i128 - lo as i128 + 1) as u128;
    if range > (4 * n + EXTRA_RANGE) as u128 {
        return None;
    }
    let mut counts = scratch::zeroed::<i64>(range as usize);
    for c in codes {
        // within [0, range): lo <= c <= hi and the range fits the table
        counts[(c - lo) as usize] += 1;
    }
    let repeated: f64 = counts.iter().filter(|&&k| k > 1).map(|&k| k as f64 * (k as f64).log2()).sum();
    Some(n as f64 * (n as f64).log2() - repeated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_of_known_distributions() {
        let bits = |codes: &[i64]| empirical_bits(codes.iter().copied()).unwrap();
        assert_eq!(bits(&[]), 0.0);
        assert_eq!(bits(&[7; 100]), 0.0, "one value carries no information");
        assert!((bits(&[-3, 5, -3, 5]) - 4.0).abs() < 1e-12, "two equally likely values: a bit each");
        let quarter: Vec<i64> = (0..400).map(|i| [0, 1, 2, 3][i % 4]).collect();
        assert!((bits(&quarter) - 800.0).abs() < 1e-9, "four equally likely values: two bits each");
        // 3/4 and 1/4: H = 0.811278 bits
        let skewed: Vec<i64> = (0..400).map(|i| i64::from(i % 4 == 0)).collect();
        assert!((bits(&skewed) - 400.0 * 0.811_278_124_459_132_9).abs() < 1e-6);
        // extreme codes far apart need no table beyond their spread
        assert!((bits(&[i64::MIN, i64::MIN + 1]) - 2.0).abs() < 1e-12);
    }

    #[test]
    fn codes_spread_too_wide_are_not_counted() {
        assert_eq!(empirical_bits([0, 1 << 20].into_iter()), None);
        assert_eq!(empirical_bits([i64::MIN, i64::MAX].into_iter()), None);
        assert!(empirical_bits([0, 1 << 12].into_iter()).is_some(), "within the table's extra range");
        assert_eq!(empirical_bits([0, 1 << 13].into_iter()), None);
    }
}
