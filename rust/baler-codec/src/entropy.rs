//! Floors under the bits of a stream of integer codes, from which [`crate::stream::nums_floor`]
//! builds its floor: the empirical entropy, the fewest bits any coder spends on the stream when
//! it draws every value from one distribution fixed for the whole stream, as pcodec does with no
//! delta encoding; and the fewest a bin coder spends (pcodec's classic mode), which also holds
//! for codes spread over many more values than there are codes.

use crate::scratch;

/// The count table may span this many codes beyond four per value. Wider spreads are not counted
/// one by one: clearing and scanning the table would cost more than the pcodec pass the floor can
/// save (at 2^16, 123b's blocks of 4,095 covariances at bits:10 encoded 7% slower), and codes
/// spread over many more values than there are codes are mostly unique, so that their empirical
/// entropy is far below what any coder writes and the floor would not bind ([`binned_bits`]
/// counts them in wider cells).
const EXTRA_RANGE: u64 = 1 << 12;

/// n·H in bits, H the entropy of the empirical distribution of the `n` codes (each distinct code
/// c, seen k times, has probability k/n). None where the codes spread over more than
/// 4n + 2^12 distinct values.
pub(crate) fn empirical_bits(codes: impl Iterator<Item = i64> + Clone) -> Option<f64> {
    let (lo, hi, n) = extent(codes.clone());
    let n = n as u64;
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

/// A floor, in bits, under what a coder in pcodec's classic mode writes for the codes: every code
/// as one of at most `max_bins` bins (its ANS symbol) and uniform offset bits within the bin. The
/// empirical entropy ([`empirical_bits`]) is a floor under any coder, but codes spread over many
/// more values than there are codes are mostly unique, and their empirical entropy (at most
/// log2 n bits a code) then lies far below what any bin coder writes. The search stops once the
/// floor reaches `enough` bits (what the caller needs to know it is above).
///
/// Why it holds: cut the codes' range into cells of 2^s values. A bin that holds a whole cell
/// gives every value there the same probability, so the codes of such a cell cost s bits beyond
/// the cell's own share; the cells that hold a bin's edge (at most two a bin, so `2 * max_bins`)
/// cost at least their share. So the stream costs at least n·H(cells) + s·(the codes outside the
/// `2 * max_bins` fullest cells), for every s; the best s found is taken (s = 0, where the range
/// is narrow enough to count, is the empirical entropy itself).
pub(crate) fn binned_bits(codes: impl Iterator<Item = i64> + Clone, max_bins: usize, enough: f64) -> f64 {
    let (lo, hi, n) = extent(codes.clone());
    if n == 0 {
        return 0.0;
    }
    let span = (hi as i128 - lo as i128) as u128;
    // Codes within empirical_bits' spread are counted one by one (s = 0, that floor). Wider
    // spreads start at cells about as many as the codes: finer cells hold one code or none,
    // where n·H(cells) is log2 n a code at every width and the s term grows with the width.
    let counted_one_by_one = (4 * n as u128) + EXTRA_RANGE as u128;
    let table_max = if span < counted_one_by_one { counted_one_by_one } else { n as u128 };
    let mut shift = 0u32;
    while (span >> shift) >= table_max {
        shift += 1;
    }
    let mut table = scratch::zeroed::<i32>((span >> shift) as usize + 1);
    for c in codes {
        // within the table: lo <= c <= hi
        table[((c as i128 - lo as i128) as u128 >> shift) as usize] += 1;
    }
    let n_bits = n as f64 * (n as f64).log2();
    // the floor at the current width, and whether the fullest cells hold every code (the s term
    // is then gone, and wider cells only lower n·H(cells))
    let floor_at = |counts: &[i32], shift: u32| {
        let (repeated, in_edge_cells) = entropy_and_fullest(counts, n, 2 * max_bins);
        (n_bits - repeated + f64::from(shift) * (n - in_edge_cells) as f64, in_edge_cells == n)
    };
    // the first width from the table itself (empty cells add nothing)
    let (mut best, last) = floor_at(&table, shift);
    if last || best >= enough {
        return best;
    }
    // the occupied cells in order: their index at the current width, and their count
    // (branch-free: written at every cell, kept where occupied; one spare slot for the last)
    let (mut cells, mut counts) = (scratch::zeroed::<i64>(n + 1), scratch::zeroed::<i32>(n + 1));
    let mut occupied = 0;
    for (i, &k) in table.iter().enumerate() {
        cells[occupied] = i as i64;
        counts[occupied] = k;
        occupied += usize::from(k > 0);
    }
    drop(table);
    cells.truncate(occupied);
    counts.truncate(occupied);
    loop {
        // merge cell pairs: the next width
        let mut kept = 0;
        for i in 0..cells.len() {
            let cell = cells[i] >> 1;
            if kept > 0 && cells[kept - 1] == cell {
                counts[kept - 1] += counts[i];
            } else {
                cells[kept] = cell;
                counts[kept] = counts[i];
                kept += 1;
            }
        }
        cells.truncate(kept);
        counts.truncate(kept);
        shift += 1;
        // The floor rises with the width while the cells hold a code or two, and falls as they
        // fill; the first fall ends the search. Every width gives a valid floor: stopping there
        // can only leave a lower one.
        let (bits, last) = floor_at(&counts, shift);
        if bits <= best || last || bits >= enough {
            return best.max(bits);
        }
        best = bits;
    }
}

/// The least and greatest code, and how many codes there are.
pub(crate) fn extent(codes: impl Iterator<Item = i64>) -> (i64, i64, usize) {
    codes.fold((i64::MAX, i64::MIN, 0), |(lo, hi, n), c| (lo.min(c), hi.max(c), n + 1))
}

/// Counts below this are tallied by value (most cells hold a few codes).
const SMALL_COUNT: usize = 256;

/// Σ k·log2(k) over the `counts` (of `n` codes in all), and the sum of the `fullest` largest of
/// them. From a tally of the counts by value, which skips the empty cells and those of one code
/// (they add nothing to the sum, and make up the rest of the `n`): no sort, and no chain of
/// additions to one place.
fn entropy_and_fullest(counts: &[i32], n: usize, fullest: usize) -> (f64, usize) {
    static K_LOG2_K: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    let k_log2_k = K_LOG2_K.get_or_init(|| (0..SMALL_COUNT).map(|k| if k < 2 { 0.0 } else { k as f64 * (k as f64).log2() }).collect());
    let mut tally = [0u32; SMALL_COUNT];
    let mut large = Vec::new();
    for &k in counts {
        if k > 1 {
            match tally.get_mut(k as usize) {
                Some(t) => *t += 1,
                None => large.push(k as usize),
            }
        }
    }
    large.sort_unstable_by(|a, b| b.cmp(a));
    let mut repeated: f64 = large.iter().map(|&k| k as f64 * (k as f64).log2()).sum();
    repeated += tally.iter().zip(k_log2_k).map(|(&t, &v)| f64::from(t) * v).sum::<f64>();
    let in_repeated: usize = large.iter().sum::<usize>() + tally.iter().enumerate().map(|(k, &t)| k * t as usize).sum::<usize>();
    tally[1] = (n - in_repeated) as u32;
    let mut left = fullest;
    let mut in_fullest: usize = large.iter().take(left).sum();
    left -= large.len().min(left);
    for (k, &t) in tally.iter().enumerate().rev() {
        let taken = (t as usize).min(left);
        in_fullest += taken * k;
        left -= taken;
    }
    (repeated, in_fullest)
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

    /// The bin coder's floor is the empirical entropy where that is the better floor (a few
    /// values, counted one by one), and far above it for codes spread over many more values than
    /// there are codes, where the empirical entropy is about log2 n a code: 4,096 codes uniform
    /// over 2^20 values cost a bin coder 20 bits each, less what a few bins' edges may save.
    #[test]
    fn a_bin_coder_pays_for_codes_spread_wide() {
        let few: Vec<i64> = (0..400).map(|i| [0, 1, 2, 3][i % 4]).collect();
        assert!((binned_bits(few.iter().copied(), 64, f64::INFINITY) - 800.0).abs() < 1e-9);
        let mut state = 0x853c_49e6_748f_ea9bu64;
        let spread: Vec<i64> = (0..4096)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (state >> 44) as i64
            })
            .collect();
        let entropy = empirical_bits(spread.iter().copied());
        assert!(entropy.is_none(), "too wide to count one by one");
        let per_code = binned_bits(spread.iter().copied(), 64, f64::INFINITY) / 4096.0;
        assert!((17.0..20.0).contains(&per_code), "{per_code} bits a code");
        // fewer bins leave fewer cells uncharged
        assert!(binned_bits(spread.iter().copied(), 4, f64::INFINITY) > binned_bits(spread.iter().copied(), 64, f64::INFINITY));
    }

    /// The tally gives the sums a sort would, for counts below and above the tally's range.
    #[test]
    fn entropy_and_fullest_cells_from_the_tally() {
        let counts: Vec<i32> = (1..2000i32).map(|i| i % 2 + (i % 3) * (i * 7919 % 600)).collect();
        let sum = |counts: &[i32]| counts.iter().map(|&k| k as usize).sum::<usize>();
        let (repeated, fullest) = entropy_and_fullest(&counts, sum(&counts), 128);
        let expected: f64 = counts.iter().filter(|&&k| k > 0).map(|&k| k as f64 * (k as f64).log2()).sum();
        assert!((repeated - expected).abs() < 1e-6 * expected);
        let mut sorted = counts.clone();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        assert_eq!(fullest, sum(&sorted[..128]));
        let few = &counts[..100];
        assert_eq!(entropy_and_fullest(few, sum(few), 128).1, sum(few), "fewer cells than the fullest: all of them");
        let ones = [1, 0, 1, 1, 0, 3];
        assert_eq!(entropy_and_fullest(&ones, 6, 2).1, 4, "the cells of one code count among the fullest");
    }

    #[test]
    fn codes_spread_too_wide_are_not_counted() {
        assert_eq!(empirical_bits([0, 1 << 20].into_iter()), None);
        assert_eq!(empirical_bits([i64::MIN, i64::MAX].into_iter()), None);
        assert!(empirical_bits([0, 1 << 12].into_iter()).is_some(), "within the table's extra range");
        assert_eq!(empirical_bits([0, 1 << 13].into_iter()), None);
    }
}
