//! Integer codes under one static frequency table, range-ANS coded (number stream mode 5;
//! docs/format.md, "Number streams").
//!
//! Why a coder of our own beside pcodec: the `ae:` section's residual and latent codes are small
//! integers from one peaked distribution per stream. pcodec codes them in bins of a range and
//! offset bits, 5 to 25% above their empirical entropy, and its encoder (a sort, the bins'
//! optimisation, a search per value) was most of an `ae:` encode. Here every small code is a
//! symbol of its own, so a stream costs its entropy under the table's frequencies plus the table,
//! and the size of a layout of streams is known from their histograms before any is coded.
//!
//! A code c (i64) is zigzagged to u (0, -1, 1, -2, ... -> 0, 1, 2, 3, ...). u below 2^e (e, the
//! stream's exact bits, 2 to 6) is symbol u; a larger u with its highest set bit at b is symbol
//! `2^e + 4 (b - e) + (the two bits below b)`, followed by its b - 2 lowest bits stored raw. Mode
//! 5 streams have e = 6; mode 7 streams say theirs (a stream of a few hundred codes spread over
//! dozens of values pays less for four symbols per binary order than for a table entry per
//! value: [`Histogram::best_exact_bits`]).

use crate::error::{corrupt, CodecError};
use crate::scratch;
use crate::varint::{put_uvarint, uvarint_len, Reader};

/// Zigzagged codes below 2^e are symbols of their own, e (the exact bits) between these: 6 in
/// mode 5 and in every histogram as counted ([`Histogram::add`]).
pub(crate) const MIN_EXACT_BITS: u32 = 2;
pub(crate) const MAX_EXACT_BITS: u32 = 6;

/// Bits pcodec's chunk metadata spends on a bin at least: its lower bound (32 bits for the i32
/// streams codes are narrowed to) and its offset width (6 bits), before its weight.
const BIN_METADATA_BITS: u64 = 38;

/// The greatest common divisor (0 with 0 gives 0).
fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Symbols of the largest alphabet (e = 6): the exact ones, then four per bit length from 7 to 64
/// bits.
const ALPHABET: usize = (1 << MAX_EXACT_BITS) + 4 * 58;
/// The coder's states stay in [L, 2^32); words of 16 bits go in and out.
const L: u32 = 1 << 16;
/// Interleaved states: the decoder's four dependency chains run side by side.
const WAYS: usize = 4;
/// The table's total, 2^S, S between these: at least the alphabet, at most what keeps a symbol's
/// range and a state's renormalisation within 32 bits with one 16-bit word, and the encoder's
/// reciprocal exact ([`EncodeSymbol::quotient`]: frequencies up to 2^12).
const MIN_SCALE: u32 = 9;
const MAX_SCALE: u32 = 12;

#[inline(always)]
fn zigzag(c: i64) -> u64 {
    ((c << 1) ^ (c >> 63)) as u64
}

#[inline(always)]
fn unzigzag(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

/// The symbol of a zigzagged code under `exact_bits`, and how many of its low bits are stored raw.
#[inline(always)]
fn symbol_of(u: u64, exact_bits: u32) -> (u32, u32) {
    let exact = 1u32 << exact_bits;
    if u < u64::from(exact) {
        return (u as u32, 0);
    }
    let b = 63 - u.leading_zeros(); // exact_bits to 63
    (exact + 4 * (b - exact_bits) + ((u >> (b - 2)) & 3) as u32, b - 2)
}

/// Each symbol's zigzagged code without its raw bits, and how many raw bits follow it, under
/// each exact bits from [`MIN_EXACT_BITS`] (the decoder's table): the symbol itself and 0 for an
/// exact symbol; for an inexact one its top three bits (the highest set and the two below it)
/// in place, and the bits below them. Symbols past an alphabet's end are never read
/// ([`get_table`] stops at it).
static SYMBOL_PARTS: [[(u64, u32); ALPHABET]; (MAX_EXACT_BITS - MIN_EXACT_BITS + 1) as usize] = {
    let mut tables = [[(0u64, 0u32); ALPHABET]; (MAX_EXACT_BITS - MIN_EXACT_BITS + 1) as usize];
    let mut e = MIN_EXACT_BITS;
    while e <= MAX_EXACT_BITS {
        let exact = 1u32 << e;
        let mut s = 0u32;
        while (s as usize) < alphabet_len(e) {
            tables[(e - MIN_EXACT_BITS) as usize][s as usize] = if s < exact {
                (s as u64, 0)
            } else {
                let b = (s - exact) / 4 + e;
                ((4 | ((s - exact) % 4) as u64) << (b - 2), b - 2)
            };
            s += 1;
        }
        e += 1;
    }
    tables
};

/// Symbols under `exact_bits`: the exact ones, then four per bit length up to 64 bits.
const fn alphabet_len(exact_bits: u32) -> usize {
    (1 << exact_bits) + 4 * (64 - exact_bits as usize)
}

/// A count's level: 1 + round(4 log2 count), to the nearest quarter of a binary order (0 for an
/// absent symbol).
fn level_of(count: u32) -> u8 {
    if count == 0 {
        return 0;
    }
    let b = 31 - count.leading_zeros();
    // count / 2^b in [1, 2), 16 bits of it, against 2^(1/8), 2^(3/8), 2^(5/8), 2^(7/8)
    let fraction = (u64::from(count) << 16) >> b;
    let quarters = QUARTER_CUTS.iter().filter(|&&cut| fraction >= cut).count() as u32;
    (4 * b + quarters + 1).min(MAX_LEVEL) as u8
}

/// The half-byte of a table ([`put_table`]) that says a level follows in two more.
const LEVEL_FOLLOWS: u8 = 15;

/// The half-byte of a table ([`put_table`]) for a symbol of level `level` after one of
/// `previous`: the step between them, zigzagged, where it is below [`LEVEL_FOLLOWS`]; None where
/// the level itself follows.
fn level_step(previous: u8, level: u8) -> Option<u8> {
    let zigzagged = zigzag(i64::from(level) - i64::from(previous));
    (zigzagged < u64::from(LEVEL_FOLLOWS)).then_some(zigzagged as u8)
}

/// Half-bytes of the table ([`put_table`]) for a symbol of level `level` after one of `previous`.
fn table_halves(previous: u8, level: u8) -> usize {
    if level_step(previous, level).is_some() {
        1
    } else {
        3
    }
}

/// How many times each symbol occurs among some codes, and the raw bits they carry: what the
/// stream of those codes will cost ([`Histogram::coded_bytes`]) and its table.
#[derive(Clone)]
pub(crate) struct Histogram {
    counts: Box<[u32; ALPHABET]>,
    n: usize,
    raw_bits: u64,
    /// The alphabet the counts are of ([`Histogram::regrouped`]).
    exact_bits: u32,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram { counts: Box::new([0; ALPHABET]), n: 0, raw_bits: 0, exact_bits: MAX_EXACT_BITS }
    }
}

impl Histogram {
    #[cfg(test)]
    pub(crate) fn of(codes: impl Iterator<Item = i64>) -> Self {
        let mut h = Self::default();
        codes.for_each(|c| h.add(c));
        h
    }

    /// Counts one more code (a histogram of the largest alphabet, e = 6).
    #[inline(always)]
    pub(crate) fn add(&mut self, code: i64) {
        debug_assert_eq!(self.exact_bits, MAX_EXACT_BITS);
        let (s, raw) = symbol_of(zigzag(code), MAX_EXACT_BITS);
        self.counts[s as usize] += 1;
        self.raw_bits += u64::from(raw);
        self.n += 1;
    }

    /// Adds the codes counted by `other`: the histogram of two streams' codes in one.
    pub(crate) fn absorb(&mut self, other: &Histogram) {
        debug_assert_eq!(self.exact_bits, other.exact_bits);
        for (c, &o) in self.counts.iter_mut().zip(other.counts.iter()) {
            *c += o;
        }
        self.n += other.n;
        self.raw_bits += other.raw_bits;
    }

    /// The exact bits (2 to 6) under which these codes, counted under 6, cost least: the codes
    /// below 64 (zigzagged) are where the alphabets differ, and there each choice costs the
    /// codes' ideal bits under their counts, their raw bits, and the table's half-bytes (up to
    /// the first symbol of 64 or more, the same for all), and a byte for any choice but 6 (mode
    /// 7's). The rounding of frequencies is left out; it moves a stream by a few bytes at most.
    /// Ties go to 6.
    pub(crate) fn best_exact_bits(&self) -> u32 {
        debug_assert_eq!(self.exact_bits, MAX_EXACT_BITS);
        let exact = &self.counts[..1 << MAX_EXACT_BITS];
        let k_log_k = |k: u32| if k > 1 { f64::from(k) * f64::from(k).log2() } else { 0.0 };
        // the inexact symbols of the codes below 64 under the fewest exact bits (bit lengths 2 to
        // 5, four each): under e exact bits, those of bit length e and up
        let first_inexact = 1usize << MIN_EXACT_BITS;
        let mut inexact = [0u32; 4 * (MAX_EXACT_BITS - MIN_EXACT_BITS) as usize];
        for (u, &k) in exact.iter().enumerate().skip(first_inexact) {
            inexact[symbol_of(u as u64, MIN_EXACT_BITS).0 as usize - first_inexact] += k;
        }
        let tail = self.counts[1 << MAX_EXACT_BITS..].iter().any(|&k| k > 0);
        let mut best = (f64::INFINITY, MAX_EXACT_BITS);
        for e in (MIN_EXACT_BITS..=MAX_EXACT_BITS).rev() {
            let from = 4 * (e - MIN_EXACT_BITS) as usize;
            let inexact = inexact[from..].iter().enumerate().map(|(i, &k)| (k, (from + i) as u32 / 4));
            let (mut bits, mut halves, mut halves_to_last, mut previous) = (0.0, 0, 0, 0u8);
            for (k, raw) in exact[..1 << e].iter().map(|&k| (k, 0)).chain(inexact) {
                let level = level_of(k);
                bits += f64::from(k) * f64::from(raw) - k_log_k(k);
                halves += table_halves(previous, level);
                if k > 0 {
                    halves_to_last = halves;
                }
                previous = level;
            }
            let halves = if tail { halves + table_halves(previous, level_of(self.counts[1 << MAX_EXACT_BITS])) } else { halves_to_last };
            let cost = bits + 4.0 * halves as f64 + if e < MAX_EXACT_BITS { 8.0 } else { 0.0 };
            if cost < best.0 {
                best = (cost, e);
            }
        }
        best.1
    }

    /// The same codes counted under `exact_bits` (from a histogram under 6).
    pub(crate) fn regrouped(&self, exact_bits: u32) -> Histogram {
        debug_assert!(self.exact_bits == MAX_EXACT_BITS && (MIN_EXACT_BITS..=MAX_EXACT_BITS).contains(&exact_bits));
        let mut h = Histogram { counts: Box::new([0; ALPHABET]), n: self.n, raw_bits: self.raw_bits, exact_bits };
        let (exact, tail) = self.counts.split_at(1 << MAX_EXACT_BITS);
        for (u, &k) in exact.iter().enumerate() {
            let (s, raw) = symbol_of(u as u64, exact_bits);
            h.counts[s as usize] += k;
            h.raw_bits += u64::from(k) * u64::from(raw);
        }
        // a symbol of bit length b >= 6 moves down by what the smaller exact range frees
        let first_tail = (1 << exact_bits) + 4 * (MAX_EXACT_BITS - exact_bits) as usize;
        h.counts[first_tail..first_tail + tail.len()].copy_from_slice(tail);
        h
    }

    /// Codes wide enough to carry four raw bits each on average, where pcodec's bins may fit
    /// what the table's coarse symbols lump together, and whose modes may find a structure (a
    /// common multiple): entry offsets whose differences spread this wide are left to pcodec
    /// (crate::differences), other codes are coded both ways (crate::stream::put_codes).
    pub(crate) fn mostly_raw(&self) -> bool {
        self.raw_bits >= 4 * self.n as u64
    }

    /// Whether pcodec's bins may code `codes` (this histogram's) in fewer bytes than the table,
    /// for codes that are [`Histogram::mostly_raw`]: where they lie on a lattice (every code the
    /// first plus a multiple of some base above 1, which pcodec's integer-multiple mode codes as
    /// the multiple), or where the codes of a symbol span so much less than its raw bits that
    /// bins of their own would save more than their metadata ([`BIN_METADATA_BITS`] each), and
    /// more than a hundredth of the raw bits in all (a cluster away from 0, such as a model's
    /// bias on one column; a few codes of a sparse symbol span less by chance). Elsewhere each
    /// symbol's codes fill its raw bits, and pcodec's bins save no more than they cost: on every
    /// mostly-raw stream of the benchmark's six cases pcodec wrote more than the table
    /// (docs/benchmarks.md), and trying it took a quarter of a small block's encode. A lattice
    /// that only some codes lie on is not seen; those then cost the table's bytes, never a
    /// wrong value.
    pub(crate) fn bins_may_fit<T: Copy + Into<i64>>(&self, codes: &[T]) -> bool {
        debug_assert_eq!(self.exact_bits, MAX_EXACT_BITS);
        let first = codes.first().map_or(0, |&c| c.into());
        let mut common = 0u64;
        for &c in codes {
            common = gcd(common, c.into().abs_diff(first));
            if common == 1 {
                break;
            }
        }
        if common > 1 {
            return true;
        }
        let (mut least, mut most) = (Box::new([u64::MAX; ALPHABET]), Box::new([0u64; ALPHABET]));
        for &c in codes {
            let u = zigzag(c.into());
            let s = symbol_of(u, MAX_EXACT_BITS).0 as usize;
            least[s] = least[s].min(u);
            most[s] = most[s].max(u);
        }
        let saved: u64 = (1 << MAX_EXACT_BITS..ALPHABET)
            .filter(|&s| self.counts[s] > 0)
            .map(|s| {
                let raw = SYMBOL_PARTS[(MAX_EXACT_BITS - MIN_EXACT_BITS) as usize][s].1;
                let spanned = u64::BITS - (most[s] - least[s]).leading_zeros();
                (u64::from(self.counts[s]) * u64::from(raw.saturating_sub(spanned))).saturating_sub(BIN_METADATA_BITS)
            })
            .sum();
        saved > self.raw_bits / 100
    }

    /// The table's scale for this many codes: 2^S no smaller than the codes (so that rare
    /// symbols keep their frequency where there are few codes), within [MIN_SCALE, MAX_SCALE].
    fn scale(&self) -> u32 {
        (usize::BITS - self.n.leading_zeros()).clamp(MIN_SCALE, MAX_SCALE)
    }

    /// Each symbol's count as a level, the nearest quarter of a binary order (level 1 + round(4
    /// log2 count); 0 for an absent symbol): what the table stores. The frequencies derived from
    /// levels are within 9% of proportional, which costs about 0.002 bits per code, and a level
    /// takes half a byte of table where a frequency took one or two.
    fn levels(&self) -> Box<[u8; ALPHABET]> {
        let mut levels = Box::new([0u8; ALPHABET]);
        for (level, &c) in levels.iter_mut().zip(self.counts.iter()) {
            *level = level_of(c);
        }
        levels
    }

    /// The bytes [`put`] writes for these codes, within a few (the coder's last words): what a
    /// layout of streams costs, known before any is coded.
    pub(crate) fn coded_bytes(&self) -> usize {
        let scale = self.scale();
        let levels = self.levels();
        let freqs = frequencies(&levels, scale);
        // each code costs -log2 of its symbol's share of the total, the states carry the rest
        let symbol_bits: f64 = freqs.iter().zip(self.counts.iter()).filter(|(_, &c)| c > 0).map(|(&f, &c)| f64::from(c) * (f64::from(scale) - f64::from(f).log2())).sum();
        let mut table = Vec::new();
        put_table(&levels, &mut table);
        let raw_bytes = self.raw_bits.div_ceil(8);
        1 + table.len() + uvarint_len(raw_bytes) + raw_bytes as usize + 4 * WAYS + 2 * (symbol_bits / 16.0).ceil() as usize
    }
}

/// Highest level of a count: 2^31.5, beyond any stream's length.
const MAX_LEVEL: u32 = 127;
/// 2^(1/8), 2^(3/8), 2^(5/8) and 2^(7/8) in 16 fractional bits: where a count's level goes up
/// by a quarter of a binary order.
const QUARTER_CUTS: [u64; 4] = [71_468, 84_990, 101_071, 120_194];
/// 2^(k/4) for k = 0 to 3, in 10 fractional bits: the weight of a level.
const QUARTER_WEIGHTS: [u64; 4] = [1024, 1218, 1448, 1722];

/// Frequencies summing to 2^scale from the symbols' levels: each present symbol's weight
/// 2^((level - 1) / 4) scaled to the total and rounded, at least 1, and what rounding left over
/// or short moved onto the largest (where it changes the cost per code least). Integer
/// arithmetic only: writer and reader derive the same table. Every present symbol keeps at
/// least 1, which fits since 2^MIN_SCALE >= ALPHABET.
fn frequencies(levels: &[u8; ALPHABET], scale: u32) -> Box<[u32; ALPHABET]> {
    let weight = |level: u8| QUARTER_WEIGHTS[(level as usize - 1) % 4] << ((level as u32 - 1) / 4);
    // weights below 2^42 (MAX_LEVEL), at most ALPHABET of them, totals at most 2^12: within u64
    let total_weight: u64 = levels.iter().filter(|&&l| l > 0).map(|&l| weight(l)).sum();
    let total = 1u64 << scale;
    let mut freqs = Box::new([0u32; ALPHABET]);
    let mut sum = 0u64;
    for (f, &level) in freqs.iter_mut().zip(levels.iter()) {
        if level > 0 {
            let share = (2 * weight(level) * total + total_weight) / (2 * total_weight);
            *f = (share as u32).max(1);
            sum += u64::from(*f);
        }
    }
    // Rounding and the floor of 1 leave the sum off by a few per symbol, the largest frequency
    // takes the difference (in one step unless it would fall below 1: then the next largest
    // too). The last of equal largest, so that writer and reader pick the same.
    while sum != total {
        let largest = (0..ALPHABET).max_by_key(|&s| freqs[s]).expect("a symbol");
        if sum < total {
            freqs[largest] += (total - sum) as u32;
            sum = total;
        } else {
            let take = (sum - total).min(u64::from(freqs[largest] - 1));
            freqs[largest] -= take as u32;
            sum -= take;
        }
    }
    freqs
}

/// The table: A (varint: symbols 0..A are described, A - 1 the last present), then each
/// symbol's level as half-bytes (low half first), as the difference from the previous
/// symbol's level (0 before the first), zigzagged: 0 to 14 in one half-byte, or 15 and then the
/// level itself in two (low half first); the last byte padded with 0.
fn put_table(levels: &[u8; ALPHABET], out: &mut Vec<u8>) {
    let span = levels.iter().rposition(|&l| l > 0).map_or(0, |s| s + 1);
    put_uvarint(out, span as u64);
    let mut halves = Vec::with_capacity(2 * span);
    let mut previous = 0;
    for &level in &levels[..span] {
        match level_step(previous, level) {
            Some(step) => halves.push(step),
            None => halves.extend([LEVEL_FOLLOWS, level & 15, level >> 4]),
        }
        previous = level;
    }
    out.extend(halves.chunks(2).map(|pair| pair[0] | pair.get(1).map_or(0, |h| h << 4)));
}

/// Reads [`put_table`]'s levels: at most `alphabet` symbols (at most [`ALPHABET`]), levels at
/// most [`MAX_LEVEL`], the last present.
fn get_table(r: &mut Reader<'_>, alphabet: usize) -> Result<Box<[u8; ALPHABET]>, CodecError> {
    let span = r.len_at_most(alphabet, "symbols in a code table")?;
    let mut levels = Box::new([0u8; ALPHABET]);
    let (mut byte, mut high) = (0u8, false);
    let mut half = || -> Result<u8, CodecError> {
        high = !high;
        if high {
            byte = r.u8()?;
            Ok(byte & 15)
        } else {
            Ok(byte >> 4)
        }
    };
    let mut previous = 0i32;
    for level in levels[..span].iter_mut() {
        let zigzagged = half()?;
        let value = if zigzagged < LEVEL_FOLLOWS {
            previous + unzigzag(u64::from(zigzagged)) as i32
        } else {
            i32::from(half()? | half()? << 4)
        };
        if !(0..=MAX_LEVEL as i32).contains(&value) {
            return corrupt(format!("code table with a level of {value}"));
        }
        *level = value as u8;
        previous = value;
    }
    if span == 0 || levels[span - 1] == 0 {
        return corrupt("code table without a symbol, or ending on an absent one");
    }
    // an odd count of half-bytes leaves the last byte's high half, written 0 (docs/format.md)
    if high && byte >> 4 != 0 {
        return corrupt("code table whose padding half-byte is not 0");
    }
    Ok(levels)
}

/// Writes `codes`, whose histogram is `hist`, as a mode-5 payload: the scale S (a byte), the
/// table, the raw bits (a varint byte count, then the bits, least significant first, code after
/// code), the coder's WAYS final states (u32 little-endian) and its 16-bit words
/// (little-endian), in the order the decoder reads them. Code i goes through state i mod WAYS.
/// A stream holds at least one code (its table a symbol).
pub(crate) fn put<T: Copy + Into<i64>>(codes: &[T], hist: &Histogram, out: &mut Vec<u8>) {
    debug_assert!(hist.n == codes.len() && !codes.is_empty(), "the histogram of these codes, at least one");
    let scale = hist.scale();
    let levels = hist.levels();
    let freqs = frequencies(&levels, scale);
    let mut symbols = [EncodeSymbol::default(); ALPHABET];
    let mut start = 0;
    for (symbol, &f) in symbols.iter_mut().zip(freqs.iter()) {
        if f > 0 {
            *symbol = EncodeSymbol::new(f, start, scale);
        }
        start += f;
    }
    out.push(scale as u8);
    put_table(&levels, out);

    let raw_len = hist.raw_bits.div_ceil(8) as usize;
    put_uvarint(out, raw_len as u64);
    if raw_len > 0 {
        let mut raw = BitWriter { out, acc: 0, filled: 0 };
        for &c in codes {
            let u = zigzag(c.into());
            raw.put(u, symbol_of(u, hist.exact_bits).1);
        }
        raw.finish();
    }

    // rANS codes backwards: the decoder's first code is the encoder's last. Code i goes through
    // state i mod WAYS: the last codes (a partial run) first, then whole runs of WAYS.
    // room for 8 bits a code (the buffer grows past it; not the estimate, which would derive
    // the table a second time)
    let mut words = scratch::with_capacity::<u16>(codes.len() / 2 + WAYS);
    let mut states = [L; WAYS];
    let (runs, tail) = codes.split_at(codes.len() / WAYS * WAYS);
    let mut put_one = |x: &mut u32, c: T| {
        let symbol = &symbols[symbol_of(zigzag(c.into()), hist.exact_bits).0 as usize];
        // keep the state below f 2^(32 - S) so that the step below stays within 32 bits
        if u64::from(*x) >= symbol.limit {
            words.push(*x as u16);
            *x >>= 16;
        }
        let quotient = symbol.quotient(*x);
        *x = (quotient << scale) + (*x - quotient * symbol.freq) + symbol.start;
    };
    for (x, &c) in states.iter_mut().zip(tail).rev() {
        put_one(x, c);
    }
    for run in runs.chunks_exact(WAYS).rev() {
        for (x, &c) in states.iter_mut().zip(run).rev() {
            put_one(x, c);
        }
    }
    for x in states {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.reserve(2 * words.len());
    for &w in words.iter().rev() {
        out.extend_from_slice(&w.to_le_bytes());
    }
}

/// A symbol as the encoder uses it: its frequency, first slot, the state from which a word goes
/// out before it, and a reciprocal of its frequency.
#[derive(Clone, Copy, Default)]
struct EncodeSymbol {
    freq: u32,
    start: u32,
    limit: u64,
    reciprocal: u64,
}

impl EncodeSymbol {
    fn new(freq: u32, start: u32, scale: u32) -> Self {
        EncodeSymbol { freq, start, limit: u64::from(freq) << (32 - scale), reciprocal: (1u64 << 44).div_ceil(u64::from(freq)) }
    }

    /// floor(x / freq) without a division: x·ceil(2^44 / freq) / 2^44 exceeds x / freq by less
    /// than 2^32 / 2^44 <= 1 / freq (freq <= 2^12), which is less than x / freq needs to reach
    /// the next integer.
    #[inline(always)]
    fn quotient(&self, x: u32) -> u32 {
        ((u128::from(x) * u128::from(self.reciprocal)) >> 44) as u32
    }
}

struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    acc: u64,
    filled: u32,
}

impl BitWriter<'_> {
    /// Appends the `n` (at most 61) low bits of `v`.
    #[inline(always)]
    fn put(&mut self, v: u64, n: u32) {
        if n == 0 {
            return;
        }
        let v = v & ((1u64 << n) - 1);
        self.acc |= v << self.filled;
        if self.filled + n >= 64 {
            self.out.extend_from_slice(&self.acc.to_le_bytes());
            // the bits of v that did not fit (filled > 0 here, as n < 64)
            self.acc = v >> (64 - self.filled);
            self.filled = self.filled + n - 64;
        } else {
            self.filled += n;
        }
    }

    fn finish(self) {
        let bytes = self.filled.div_ceil(8) as usize;
        self.out.extend_from_slice(&self.acc.to_le_bytes()[..bytes]);
    }
}

struct BitReader<'a> {
    bytes: &'a [u8],
    pos: usize,
    acc: u64,
    held: u32,
}

impl BitReader<'_> {
    /// The next `n` (at most 61) bits; None past the end.
    #[inline(always)]
    fn get(&mut self, n: u32) -> Option<u64> {
        if self.held < n && self.pos + 8 <= self.bytes.len() {
            // as many whole bytes as the accumulator takes, in one load
            let next = u64::from_le_bytes(self.bytes[self.pos..self.pos + 8].try_into().expect("8 bytes"));
            let taken = (63 - self.held) / 8;
            self.acc |= (next & ((1u64 << (8 * taken)) - 1)) << self.held;
            self.pos += taken as usize;
            self.held += 8 * taken;
        }
        while self.held < n {
            if self.held > 56 {
                // n is at most 61: take what is held, then the rest
                let got = self.held;
                let low = self.get(got)?;
                return Some(low | self.get(n - got)? << got);
            }
            self.acc |= u64::from(*self.bytes.get(self.pos)?) << self.held;
            self.pos += 1;
            self.held += 8;
        }
        let v = self.acc & ((1u64 << n) - 1);
        self.acc >>= n;
        self.held -= n;
        Some(v)
    }
}

thread_local! {
    /// The decoder's table of each slot's symbol, one per thread and reused (2^12 slots, 8 kB at
    /// most).
    static SLOTS: std::cell::RefCell<Vec<u16>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Reads a mode-5 payload of exactly `dst.len()` codes, each through `narrow` (None: a code
/// beyond the stream's type). The input is not trusted: the table must cover its total exactly,
/// the raw bits and words must be used up to the last, and every state must end where the
/// encoder began.
pub(crate) fn get<T>(payload: &[u8], exact_bits: u32, dst: &mut [T], narrow: impl Fn(i64) -> Option<T>) -> Result<(), CodecError> {
    crate::scratch::with_local(&SLOTS, |slots| {
        let slots = &mut slots.borrow_mut();
        // one decoder for each exact bits, so that the test for an exact symbol compares with a
        // constant (measured: a variable there cost the showers' decode 2 to 3%)
        match exact_bits {
            2 => get_with::<2, T>(payload, dst, narrow, slots),
            3 => get_with::<3, T>(payload, dst, narrow, slots),
            4 => get_with::<4, T>(payload, dst, narrow, slots),
            5 => get_with::<5, T>(payload, dst, narrow, slots),
            6 => get_with::<6, T>(payload, dst, narrow, slots),
            _ => corrupt(format!("code stream of {exact_bits} exact bits")),
        }
    })
}

fn get_with<const EXACT_BITS: u32, T>(payload: &[u8], dst: &mut [T], narrow: impl Fn(i64) -> Option<T>, slots: &mut Vec<u16>) -> Result<(), CodecError> {
    let mut r = Reader::new(payload);
    let scale = u32::from(r.u8()?);
    if !(MIN_SCALE..=MAX_SCALE).contains(&scale) {
        return corrupt(format!("code table of scale 2^{scale}"));
    }
    let levels = get_table(&mut r, alphabet_len(EXACT_BITS))?;
    let parts = &SYMBOL_PARTS[(EXACT_BITS - MIN_EXACT_BITS) as usize];
    let freqs = frequencies(&levels, scale);
    // every slot of the total: its symbol's frequency, its offset within the symbol's slots, and
    // the symbol, so that a code costs one table read
    // each slot's symbol (filled run by run: a stream of a few hundred codes must not pay a
    // write per slot), and each symbol's frequency and first slot
    slots.clear();
    slots.resize(1 << scale, 0);
    let mut ranges = [(0u32, 0u32); ALPHABET];
    let mut at = 0usize;
    for (s, &f) in freqs.iter().enumerate() {
        slots[at..at + f as usize].fill(s as u16);
        ranges[s] = (f, at as u32);
        at += f as usize;
    }
    let raw_len = r.len_at_most(r.remaining(), "raw bits")?;
    let mut raw = BitReader { bytes: r.bytes(raw_len)?, pos: 0, acc: 0, held: 0 };
    let mut states = [0u32; WAYS];
    for x in states.iter_mut() {
        *x = u32::from_le_bytes(r.bytes(4)?.try_into().expect("4 bytes"));
    }
    let rest = r.bytes(r.remaining())?;
    if rest.len() % 2 != 0 {
        return corrupt("code stream of an odd number of bytes");
    }
    let mask = (1u32 << scale) - 1;
    let mut next_word = 0usize;
    // One code through state x: its symbol, and x renormalised without a branch (a word is read
    // every time and taken where the state needs it; past the end it is 0, and the count of
    // words taken tells the stream was short).
    let mut step = |x: &mut u32| -> u32 {
        let slot = *x & mask;
        let symbol = slots[slot as usize];
        let (freq, start) = ranges[symbol as usize];
        // slot - start < freq and x >> S < 2^(32 - S): stays below 2^32
        let y = freq * (*x >> scale) + slot - start;
        let word = rest.get(2 * next_word..2 * next_word + 2).map_or(0, |w| u32::from(u16::from_le_bytes([w[0], w[1]])));
        let needs = y < L;
        *x = if needs { (y << 16) | word } else { y };
        next_word += usize::from(needs);
        u32::from(symbol)
    };
    let mut code = |s: u32| -> Result<T, CodecError> {
        let u = if s < 1 << EXACT_BITS {
            u64::from(s)
        } else {
            let (top, n_raw) = parts[s as usize];
            top | raw.get(n_raw).ok_or_else(|| CodecError::Corrupt("code stream's raw bits cut short".into()))?
        };
        narrow(unzigzag(u)).ok_or_else(|| CodecError::Corrupt("a code beyond the stream's integer type".into()))
    };
    // the symbols first, in a loop with nothing else in it (the states' chains then overlap),
    // then their codes
    let mut symbols = scratch::zeroed::<u16>(dst.len());
    let mut ways = symbols.chunks_exact_mut(WAYS);
    for run in &mut ways {
        for (symbol, x) in run.iter_mut().zip(states.iter_mut()) {
            *symbol = step(x) as u16;
        }
    }
    for (symbol, x) in ways.into_remainder().iter_mut().zip(states.iter_mut()) {
        *symbol = step(x) as u16;
    }
    for (d, &symbol) in dst.iter_mut().zip(symbols.iter()) {
        *d = code(u32::from(symbol))?;
    }
    if 2 * next_word != rest.len() || states.iter().any(|&x| x != L) || raw.pos != raw_len || raw.acc != 0 {
        return corrupt("code stream does not end where its codes do");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_draws::gaussian;

    fn coded<T: Copy + Into<i64>>(codes: &[T]) -> Vec<u8> {
        let mut out = Vec::new();
        put(codes, &Histogram::of(codes.iter().map(|&c| c.into())), &mut out);
        out
    }

    fn read(payload: &[u8], n: usize) -> Result<Vec<i64>, CodecError> {
        let mut back = vec![0i64; n];
        get(payload, MAX_EXACT_BITS, &mut back, Some).map(|()| back)
    }

    fn draws(n: usize, mut draw: impl FnMut(f64, f64) -> i64) -> Vec<i64> {
        let mut uniform = crate::test_draws::uniform(0x2545_f491_4f6c_dd1d);
        (0..n).map(|_| draw(uniform(), uniform())).collect()
    }

    /// Every code comes back, from one code to a basket's worth, whatever the spread: a single
    /// value, small peaked codes, codes needing raw bits of every length up to the extremes of
    /// i64; under every exact bits from 2 to 6; and the size is what `coded_bytes` said
    /// beforehand, within the coder's last words.
    #[test]
    fn codes_of_every_spread_round_trip_at_their_estimated_size() {
        let cases: Vec<(&str, Vec<i64>)> = vec![
            ("one code", vec![-3]),
            ("constant", vec![7; 5000]),
            ("Gaussian, sigma 3", draws(32768, |u, v| (3.0 * gaussian(u, v)).round() as i64)),
            ("Gaussian, sigma 300", draws(4095, |u, v| (300.0 * gaussian(u, v)).round() as i64)),
            ("Cauchy", draws(20000, |u, _| (2.0 * (std::f64::consts::PI * (u - 0.5)).tan()).clamp(-1e15, 1e15) as i64)),
            ("every bit length", (0..64).flat_map(|b| [1i64 << b, (1i64 << b).wrapping_neg(), (1i64 << b).wrapping_sub(1)]).chain([i64::MIN, i64::MAX]).collect()),
            ("two symbols, 1 in 10^4", draws(100_000, |u, _| i64::from(u < 1e-4))),
        ];
        for (name, codes) in &cases {
            for exact_bits in MIN_EXACT_BITS..=MAX_EXACT_BITS {
                let hist = Histogram::of(codes.iter().copied()).regrouped(exact_bits);
                let mut bytes = Vec::new();
                put(codes, &hist, &mut bytes);
                let mut back = vec![0i64; codes.len()];
                get(&bytes, exact_bits, &mut back, Some).unwrap_or_else(|e| panic!("{name}, {exact_bits} exact bits: {e}"));
                assert_eq!(&back, codes, "{name}, {exact_bits} exact bits");
                let estimate = hist.coded_bytes();
                assert!(bytes.len().abs_diff(estimate) <= 2 * WAYS + 2, "{name}, {exact_bits} exact bits: {} bytes written, {estimate} estimated", bytes.len());
            }
        }
        let narrow: Vec<i32> = draws(3000, |u, v| (9.0 * gaussian(u, v)).round() as i64).iter().map(|&c| c as i32).collect();
        let mut back = vec![0i32; narrow.len()];
        get(&coded(&narrow), MAX_EXACT_BITS, &mut back, |c| i32::try_from(c).ok()).unwrap();
        assert_eq!(back, narrow);
    }

    /// The encoder's division by a reciprocal is exact for every frequency and the states at
    /// the edges of their range.
    #[test]
    fn reciprocal_quotients_are_exact() {
        for freq in 1..=1u32 << MAX_SCALE {
            let symbol = EncodeSymbol::new(freq, 0, MAX_SCALE);
            for x in [0, 1, freq - 1, freq, L, u32::MAX - 1, u32::MAX, (u32::MAX / freq) * freq, (u32::MAX / freq) * freq - 1] {
                assert_eq!(symbol.quotient(x), x / freq, "{x} / {freq}");
            }
        }
    }

    /// Peaked codes cost their empirical entropy plus a table: within 2% and 40 bytes of it.
    #[test]
    fn peaked_codes_cost_near_their_entropy() {
        for sigma in [0.7, 3.0, 12.0] {
            let codes = draws(32768, |u, v| (sigma * gaussian(u, v)).round() as i64);
            let entropy = crate::entropy::empirical_bits(codes.iter().copied()).unwrap() / 8.0;
            let written = coded(&codes).len() as f64;
            assert!(written < entropy * 1.02 + 40.0, "sigma {sigma}: {written} bytes, entropy {entropy:.0}");
        }
    }

    /// A hostile payload is an error or other codes, never a panic or a wrong count: every
    /// truncation and every single flipped bit. The stream does not catch every flip (a raw bit
    /// is a code's low bit; a flipped word can lead the decoder back onto the encoder's states
    /// after a few other codes): the block's checksum over the decoded values does. Also a code
    /// too wide for the integer type asked for, and malformed tables.
    #[test]
    fn hostile_payloads_are_errors() {
        let codes = draws(2000, |u, v| (40.0 * gaussian(u, v)).round() as i64);
        let bytes = coded(&codes);
        for cut in 0..bytes.len() {
            assert!(read(&bytes[..cut], codes.len()).is_err(), "truncated to {cut}");
        }
        let mut caught = 0;
        for bit in 0..bytes.len() * 8 {
            let mut flipped = bytes.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            match read(&flipped, codes.len()) {
                Ok(back) => assert_eq!(back.len(), codes.len()),
                Err(CodecError::Corrupt(_)) => caught += 1,
                Err(e) => panic!("bit {bit}: {e}"),
            }
        }
        assert!(caught * 2 > bytes.len() * 8, "{caught} of {} flipped bits caught", bytes.len() * 8);
        assert!(read(&bytes, codes.len() - 1).is_err() && read(&bytes, codes.len() + 1).is_err(), "a count that is not the stream's");
        let wide = coded(&[i64::from(i32::MAX) + 1]);
        assert!(get(&wide, MAX_EXACT_BITS, &mut [0i32], |c| i32::try_from(c).ok()).is_err());
        // scale 9, one symbol of frequency 511 (not 512), no raw bits, states
        // one code 0: scale 9, one symbol of level 1 (a step of 1, zigzagged 2), no raw bits, the
        // states; then the same with no symbol, with a last symbol absent, with a level past
        // MAX_LEVEL, and with a scale beyond 12
        let states: Vec<u8> = L.to_le_bytes().repeat(WAYS);
        let stream = |head: &[u8]| -> Vec<u8> { head.iter().copied().chain(states.iter().copied()).collect() };
        assert_eq!(read(&stream(&[9, 1, 2, 0]), 1).unwrap(), [0]);
        assert_eq!(coded(&[0i64]), stream(&[9, 1, 2, 0]), "the encoder writes what this test reads");
        // 253 symbols, the last of level 1 (252 steps of 0, then 1): one past the alphabet of 2
        // exact bits (252 symbols), within that of 6
        let mut beyond = vec![9u8, 253, 1];
        beyond.extend(std::iter::repeat_n(0u8, 125));
        beyond.extend([2 << 4, 0]);
        assert!(matches!(get(&stream(&beyond), 2, &mut [0i64], Some), Err(CodecError::Corrupt(why)) if why.contains("symbols in a code table")), "a symbol beyond 2 exact bits' alphabet accepted");
        assert!(matches!(get(&stream(&beyond), 6, &mut [0i64], Some), Err(CodecError::Corrupt(_))), "a code past the stream's end");
        for exact_bits in [0, 1, 7, 64] {
            assert!(matches!(get(&stream(&[9, 1, 2, 0]), exact_bits, &mut [0i64], Some), Err(CodecError::Corrupt(_))), "{exact_bits} exact bits accepted");
        }
        for (head, why) in [(&[9u8, 0, 0][..], "no symbol"), (&[9, 2, 2 | 1 << 4, 0], "a last symbol absent"), (&[9, 1, 15 | 15 << 4, 15, 0], "level 255"), (&[13, 1, 2, 0], "scale 13"), (&[9, 1, 2 | 1 << 4, 0], "a padding half-byte of 1")] {
            assert!(matches!(read(&stream(head), 1), Err(CodecError::Corrupt(_))), "{why} accepted");
        }
    }
}
