//! Sub-streams: number streams (raw little-endian, pcodec, integer codes under one frequency
//! table, or an I32 section's differences) and byte streams (stored or zstd). Each starts with a
//! mode byte and a varint payload length.

use crate::error::{corrupt, CodecError};
use crate::varint::{put_uvarint, Reader};
use crate::zstd_frames;
use pco::data_types::Number;
use pco::{ChunkConfig, DeltaSpec, ModeSpec};

pub(crate) const MODE_RAW: u8 = 0;
pub(crate) const MODE_PCO: u8 = 1;
pub(crate) const MODE_ZSTD: u8 = 2;
pub(crate) const MODE_PCO_WRAPPED: u8 = 3;
pub(crate) const MODE_PCO_WRAPPED_I32: u8 = 4;
pub(crate) const MODE_CODES: u8 = 5;
pub(crate) const MODE_DIFFERENCES: u8 = 6;
pub(crate) const MODE_CODES_EXACT_BITS: u8 = 7;

/// Numbers that can be stored as fixed-width little-endian and with pcodec, and that appear
/// big-endian in ROOT's buffers.
pub(crate) trait Num: Number + Copy + Default + crate::scratch::Pooled {
    const SIZE: usize;
    fn put_le(self, out: &mut Vec<u8>);
    fn get_le(b: &[u8]) -> Self;
    fn read_be(b: &[u8]) -> Self;
    fn write_be(self, out: &mut [u8]);
    /// The value as an i32, where it is an i64 that fits one: streams of such values are coded
    /// as i32s ([`MODE_PCO_WRAPPED_I32`]). None for every other value and type.
    fn narrowed(self) -> Option<i32> {
        None
    }
    /// A value of an i64 stream coded as i32s, read back; None for every other type.
    fn widened(_: i32) -> Option<Self> {
        None
    }
    /// An integer code as this type, where it is an integer type that holds it ([`MODE_CODES`]
    /// streams); None for every other value and type.
    fn from_code(_: i64) -> Option<Self> {
        None
    }
}

macro_rules! num_impl {
    ($t:ty, $n:expr $(, { $($narrowing:tt)* })?) => {
        impl Num for $t {
            const SIZE: usize = $n;
            #[inline]
            fn put_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            #[inline]
            fn get_le(b: &[u8]) -> Self {
                let mut a = [0u8; $n];
                a.copy_from_slice(&b[..$n]);
                <$t>::from_le_bytes(a)
            }
            #[inline]
            fn read_be(b: &[u8]) -> Self {
                let mut a = [0u8; $n];
                a.copy_from_slice(&b[..$n]);
                <$t>::from_be_bytes(a)
            }
            #[inline]
            fn write_be(self, out: &mut [u8]) {
                out[..$n].copy_from_slice(&self.to_be_bytes());
            }
            $($($narrowing)*)?
        }
    };
}
num_impl!(i32, 4, {
    #[inline]
    fn from_code(c: i64) -> Option<Self> {
        i32::try_from(c).ok()
    }
});
num_impl!(i64, 8, {
    #[inline]
    fn from_code(c: i64) -> Option<Self> {
        Some(c)
    }
    #[inline]
    fn narrowed(self) -> Option<i32> {
        i32::try_from(self).ok()
    }
    #[inline]
    fn widened(v: i32) -> Option<Self> {
        Some(i64::from(v))
    }
});
num_impl!(f32, 4);
num_impl!(f64, 8);

/// Below this many values the pcodec attempt is skipped (its header costs more).
pub(crate) const PCO_MIN_N: usize = 8;

/// Longest stream written as one wrapped chunk. Longer streams use pcodec's standalone format,
/// which splits them into chunks of this size: one chunk of 10^6 values (taus) took 1.6x the
/// encode time of four (bits:10 encode 129 vs 211 MB/s, same run), for 0.001 B/value.
const WRAPPED_MAX_N: usize = 1 << 18;

/// A stream of I32 values has this many decreasing steps at most (besides 2, the count before ROOT's
/// entry offsets and the 0 after them) per [`MONOTONE_SHARE`] values to be coded as consecutive
/// differences without trying other delta encodings ([`i32_config`]).
const MONOTONE_SHARE: usize = 32;

/// The pcodec configuration of a block's I32 values that are not written as differences
/// ([`put_i32s`]: fewer than [`FEW_I32S`] offsets where pcodec is smaller, offsets too spread,
/// any other I32 stream); `offsets_like` as [`never_decreasing_but_at_the_edges`] says. In a
/// ROOT basket these are mostly the entry offsets of a jagged branch: a count, then offsets that
/// never decrease, then a 0. For such a stream pcodec's automatic choices (delta encodings tried
/// on a sample, lookback among them, and mode detection) took about two thirds of its time, and
/// they chose first-order differences anyway; the fixed choice, first differences in classic
/// mode, codes the offsets 2 to 3 times faster within 1.5% of their bytes (docs/design.md). Any
/// other I32 stream (members of objects, integer leaves beside floats) keeps the automatic
/// choices.
fn i32_config(offsets_like: bool) -> ChunkConfig {
    let cfg = ChunkConfig::default().with_compression_level(crate::float::PCO_LEVEL);
    if offsets_like {
        cfg.with_delta_spec(DeltaSpec::TryConsecutive(1)).with_mode_spec(ModeSpec::Classic)
    } else {
        cfg
    }
}

/// Whether `vals` look like ROOT's entry offsets: at most 2 (the count before the offsets and the
/// 0 after them) plus one per [`MONOTONE_SHARE`] values decrease.
fn never_decreasing_but_at_the_edges(vals: &[i32]) -> bool {
    let decreasing = vals.windows(2).filter(|w| w[1] < w[0]).count();
    decreasing <= 2 + vals.len() / MONOTONE_SHARE
}

/// Below this many I32 values the differences' table and coder states weigh about as much as
/// their codes, and pcodec was smaller on some streams of the shared files (8 bytes at most, on
/// streams of up to 102 values; never above): both are tried.
const FEW_I32S: usize = 128;

/// Writes a block's I32 values: entry offsets as their differences ([`MODE_DIFFERENCES`],
/// differences.rs) where that is smaller than the values as they are (and, for a few, than
/// pcodec); every other stream, and offsets too spread for it, with pcodec ([`i32_config`]).
pub(crate) fn put_i32s(vals: &[i32], out: &mut Vec<u8>) -> Result<(), CodecError> {
    let offsets_like = never_decreasing_but_at_the_edges(vals);
    let mut payload = crate::scratch::with_capacity::<u8>(vals.len() + 64);
    if offsets_like && crate::differences::put(vals, &mut payload) {
        if vals.len() < FEW_I32S {
            let mut bins = crate::scratch::with_capacity::<u8>(4 * vals.len() + 16);
            put_nums(vals, &i32_config(true), &mut bins)?;
            if bins.len() < 1 + crate::varint::uvarint_len(payload.len() as u64) + payload.len() {
                out.extend_from_slice(&bins);
                return Ok(());
            }
        }
        out.push(MODE_DIFFERENCES);
        put_uvarint(out, payload.len() as u64);
        out.extend_from_slice(&payload);
        return Ok(());
    }
    put_nums(vals, &i32_config(offsets_like), out)
}

/// Reads a block's I32 values as [`put_i32s`] wrote them: a [`MODE_DIFFERENCES`] stream (I32
/// values only) or any other number stream.
pub(crate) fn get_i32s(r: &mut Reader<'_>, dst: &mut [i32]) -> Result<(), CodecError> {
    let mut ahead = r.clone();
    if ahead.u8()? != MODE_DIFFERENCES {
        return get_nums(r, dst);
    }
    let len = ahead.len_at_most(ahead.remaining(), "number stream length")?;
    let payload = ahead.bytes(len)?;
    *r = ahead;
    crate::differences::get(payload, dst)
}

/// Writes a number stream: the smaller of pcodec and raw little-endian.
pub(crate) fn put_nums<T: Num>(vals: &[T], cfg: &ChunkConfig, out: &mut Vec<u8>) -> Result<(), CodecError> {
    let raw_len = vals.len() * T::SIZE;
    if vals.len() >= PCO_MIN_N {
        let narrow = if vals.len() <= WRAPPED_MAX_N { narrowed(vals) } else { None };
        let (mode, c) = if let Some(narrow) = narrow {
            (MODE_PCO_WRAPPED_I32, pco_wrapped_compress(&narrow, cfg)?)
        } else if vals.len() <= WRAPPED_MAX_N {
            (MODE_PCO_WRAPPED, pco_wrapped_compress(vals, cfg)?)
        } else {
            (MODE_PCO, pco::standalone::simple_compress(vals, cfg).map_err(pco_internal)?)
        };
        if c.len() < raw_len {
            out.push(mode);
            put_uvarint(out, c.len() as u64);
            out.extend_from_slice(&c);
            return Ok(());
        }
    }
    out.push(MODE_RAW);
    put_uvarint(out, raw_len as u64);
    out.reserve(raw_len);
    for &v in vals {
        v.put_le(out);
    }
    Ok(())
}

/// Writes integer codes, whose histogram is `hist`, under one frequency table (crate::rans):
/// a [`MODE_CODES`] stream, or a [`MODE_CODES_EXACT_BITS`] one (its exact bits, a byte, then the
/// same payload) where fewer exact symbols cost less ([`crate::rans::Histogram::best_exact_bits`]);
/// codes that are mostly raw bits ([`crate::rans::Histogram::mostly_raw`]) are also coded with
/// pcodec where its bins may fit them better ([`crate::rans::Histogram::bins_may_fit`]), and the
/// smaller kept. There the table's symbols are coarse (a quarter of a binary order each), and
/// pcodec's bins can fit what they lump together: codes in a narrow cluster away from 0 (a
/// model's bias on one column), or on a lattice (its modes); on such streams it wrote a third to
/// 85% of the table's bytes. Elsewhere the table with its exact bits chosen
/// per stream wrote 0.5 to 0.9% fewer bytes in all than the smaller of the table with 6 exact
/// bits and pcodec, which was tried beside it below 2,048 codes until 12-06 and then took up
/// to 46% of a small block's encode (docs/benchmarks.md).
pub(crate) fn put_codes<T: Num + Into<i64>>(vals: &[T], hist: &crate::rans::Histogram, out: &mut Vec<u8>) -> Result<(), CodecError> {
    let exact_bits = hist.best_exact_bits();
    let mut payload = crate::scratch::with_capacity::<u8>(vals.len() + 64);
    let mode = if exact_bits == crate::rans::MAX_EXACT_BITS {
        crate::rans::put(vals, hist, &mut payload);
        MODE_CODES
    } else {
        payload.push(exact_bits as u8);
        crate::rans::put(vals, &hist.regrouped(exact_bits), &mut payload);
        MODE_CODES_EXACT_BITS
    };
    let start = out.len();
    out.push(mode);
    put_uvarint(out, payload.len() as u64);
    out.extend_from_slice(&payload);
    // mostly raw under 6 exact bits (the histogram as counted): fewer exact bits add raw bits to
    // codes that the table of 6 holds exactly, and pcodec's bins no better
    if hist.mostly_raw() && hist.bins_may_fit(vals) {
        let mut bins = crate::scratch::with_capacity::<u8>(out.len() - start);
        put_nums(vals, &crate::float::pco_config(false), &mut bins)?;
        if bins.len() < out.len() - start {
            out.truncate(start);
            out.extend_from_slice(&bins);
        }
    }
    Ok(())
}

/// The bytes [`put_codes`] writes for codes of histogram `hist` under 6 exact bits, within a
/// few: what layouts of streams are chosen by (it writes fewer where other exact bits, or
/// pcodec, cost less).
pub(crate) fn codes_bytes(hist: &crate::rans::Histogram) -> usize {
    let payload = hist.coded_bytes();
    1 + crate::varint::uvarint_len(payload as u64) + payload
}

/// A margin under the codes' empirical entropy, for what an ANS coder may save on a particular
/// sequence (its cost per value depends on its state, and its final state is not all stream).
/// Measured (`floor_is_below_what_pcodec_writes`, 198 streams): pcodec never wrote less than
/// the entropy, and at least 6 bytes more; the margin is there for sequences not measured.
const FLOOR_SHARE: f64 = 0.99;
const FLOOR_BYTES: usize = 8;

/// A floor, in bytes, under what [`put_nums`] writes for the `n` values of `codes` in a lossy
/// stream's configuration ([`crate::float::pco_config`]`(false)`: no delta encoding). pcodec then
/// codes every value on its own, under one distribution for the stream, whatever its mode (a
/// bin and offsets, or a multiple and an adjustment, each such a code), so no stream is much
/// shorter than the codes' empirical entropy. Where that floor is below `enough` bytes (what the
/// caller needs to know the stream is above) and pcodec keeps to its classic mode (a bin and
/// offsets, [`written_in_classic_mode`]), the floor is that of a bin coder
/// ([`crate::entropy::binned_bits`], with the most bins pcodec's level makes), which holds for
/// codes spread far wider than there are codes; its search stops once it reaches `enough`.
/// 0 (no floor) for a stream longer than one chunk (each chunk has a distribution of its own),
/// or codes too widely spread to count in another mode.
pub(crate) fn nums_floor(codes: impl Iterator<Item = i64> + Clone, n: usize, enough: usize) -> usize {
    if n > WRAPPED_MAX_N {
        return 0;
    }
    // the empirical entropy first: where it is enough, pcodec need not be asked
    let entropy_floor = crate::entropy::empirical_bits(codes.clone()).map_or(0, floor_bytes);
    if entropy_floor >= enough || !written_in_classic_mode(codes.clone(), n) {
        return entropy_floor;
    }
    let enough_bits = (enough.saturating_add(FLOOR_BYTES) as f64 / FLOOR_SHARE * 8.0).ceil();
    floor_bytes(binned_floor_bits(codes, enough_bits)).max(entropy_floor)
}

/// The bytes no stream of codes whose entropy (under whatever coder bounds it) is `bits` goes below.
fn floor_bytes(bits: f64) -> usize {
    ((bits / 8.0 * FLOOR_SHARE) as usize).saturating_sub(FLOOR_BYTES)
}

/// [`crate::entropy::binned_bits`] with the most bins pcodec's level makes.
fn binned_floor_bits(codes: impl Iterator<Item = i64> + Clone, enough_bits: f64) -> f64 {
    crate::entropy::binned_bits(codes, 1 << crate::float::PCO_LEVEL, enough_bits)
}

/// Streams shorter than this are not asked about ([`written_in_classic_mode`]).
const CLASSIC_PROBE_MIN_N: usize = 1024;
/// Codes spread over this many values or more are not asked about.
const CLASSIC_PROBE_MAX_SPAN: i64 = 1 << 29;

/// Whether [`put_nums`] writes the `n` codes in pcodec's classic mode (or raw, a coder of one
/// bin), asked of pcodec itself. Its other mode for integers, a multiple of a base and an
/// adjustment, is chosen by a sampled test private to pcodec (`int_mult::choose_base`) on codes
/// that lie on a lattice: NanoAOD's coarse mantissas at a finer spec, `rel` codes of values with
/// few mantissas (a binary order is an odd number of levels), data on a decimal grid. That test
/// sees only the values, not the compression level; the level then only decides whether the
/// other mode falls back to classic where its worst case is larger than storing the values. So
/// pcodec is asked at level 0 (one bin a latent: 4 µs for 4,095 codes, against 38 at level 6),
/// where that fallback cannot happen for the codes asked about: i32 codes spread over fewer than
/// 2^29 values, whose worst case in the other mode (the offset bits of the multiple and of the
/// adjustment, one bin each) is at most 31 bits a code, one under storing them, and at least
/// 1,024 of them, whose 128 bytes saved on the worst case outweigh the other mode's metadata
/// (about 13 bytes more: the base and a second latent's bin). At level 0 classic then means
/// classic at every level (`the_mode_pcodec_takes_at_level_0_is_the_one_it_takes_at_level_6`).
/// Anything else answers false, which keeps the floor that holds in every mode.
pub(crate) fn written_in_classic_mode(codes: impl Iterator<Item = i64>, n: usize) -> bool {
    if n < CLASSIC_PROBE_MIN_N {
        return false;
    }
    let mut narrow = crate::scratch::with_capacity::<i32>(n);
    for c in codes {
        let Ok(c) = i32::try_from(c) else { return false };
        narrow.push(c);
    }
    let (lo, hi, _) = crate::entropy::extent(narrow.iter().map(|&c| i64::from(c)));
    hi - lo < CLASSIC_PROBE_MAX_SPAN && chunk_in_classic_mode(&narrow[..], 0) == Some(true)
}

/// Whether pcodec at compression `level` writes `vals` as one chunk in its classic mode, in a
/// lossy stream's configuration; None where it refuses them.
fn chunk_in_classic_mode<T: Num>(vals: &[T], level: usize) -> Option<bool> {
    let cfg = crate::float::pco_config(false).with_compression_level(level).with_paging_spec(pco::PagingSpec::Exact(vec![vals.len()]));
    let chunk = pco::wrapped::FileCompressor::default().chunk_compressor(vals, &cfg).ok()?;
    Some(matches!(chunk.meta().mode, pco::metadata::Mode::Classic))
}

/// The values as i32s, where they are i64s that all fit one. pcodec then writes each bin's lower
/// bound in 32 bits instead of 64 and sorts and searches narrower numbers: same values, same
/// bins, fewer bytes (an `ae:` block's residuals, a float64 section's codes).
fn narrowed<T: Num>(vals: &[T]) -> Option<crate::scratch::Scratch<i32>> {
    T::widened(0)?;
    let mut narrow = crate::scratch::with_capacity::<i32>(vals.len());
    for &v in vals {
        narrow.push(v.narrowed()?);
    }
    Some(narrow)
}

fn pco_internal(e: pco::errors::PcoError) -> CodecError {
    CodecError::Internal(format!("pcodec: {e}"))
}

/// pcodec's wrapped format: its file header, then one chunk of one page. The value count and
/// the framing live in our stream header, so the standalone format's magic, type byte, counts
/// and footer (about 13 bytes per stream, 5% of a 200-value NanoAOD basket) are not repeated.
fn pco_wrapped_compress<T: Num>(vals: &[T], cfg: &ChunkConfig) -> Result<Vec<u8>, CodecError> {
    let cfg = cfg.clone().with_paging_spec(pco::PagingSpec::Exact(vec![vals.len()]));
    let file = pco::wrapped::FileCompressor::default();
    let mut c = file.write_header(Vec::new()).map_err(pco_internal)?;
    let mut chunk = file.chunk_compressor(vals, &cfg).map_err(pco_internal)?;
    c = chunk.write_meta(c).map_err(pco_internal)?;
    chunk.write_page(0, c).map_err(pco_internal)
}

/// Whether pcodec codes `vals` in its classic mode in a lossy stream's configuration, given them
/// as [`put_nums`] gives them (i64s that all fit an i32 as i32s), for tests of the floor that
/// holds in that mode only.
#[cfg(test)]
pub(crate) fn in_classic_mode<T: Num>(vals: &[T]) -> bool {
    if vals.len() < PCO_MIN_N {
        return true; // stored raw
    }
    let level = crate::float::PCO_LEVEL;
    match narrowed(vals).filter(|_| vals.len() <= WRAPPED_MAX_N) {
        Some(narrow) => chunk_in_classic_mode(&narrow[..], level),
        None => chunk_in_classic_mode(vals, level),
    }
    .expect("pcodec compresses the codes")
}

thread_local! {
    /// pcodec's decoding work space, one per thread and reused: a chunk decompressor would
    /// otherwise allocate and initialise its own (about 12 kB) for every stream, a few percent of
    /// the decode time of a basket's 8k values.
    static PCO_SCRATCH: std::cell::RefCell<pco::DecompressorScratch> = std::cell::RefCell::default();
}

fn pco_wrapped_decompress<T: Num>(payload: &[u8], dst: &mut [T]) -> Result<(), CodecError> {
    let bad = |e: pco::errors::PcoError| CodecError::Corrupt(format!("pcodec: {e}"));
    let (file, rest) = pco::wrapped::FileDecompressor::new(payload).map_err(bad)?;
    let (chunk, rest) = file.chunk_decompressor::<T, _>(rest).map_err(bad)?;
    let read = crate::scratch::with_local(&PCO_SCRATCH, |scratch| {
        let mut scratch = scratch.borrow_mut();
        let mut page = chunk.page_decompressor_with_scratch(rest, dst.len(), &mut scratch)?;
        let progress = page.read(dst)?;
        Ok((progress, page.into_src().is_empty()))
    });
    let (p, consumed) = read.map_err(bad)?;
    if p.n_processed != dst.len() || !p.finished {
        return corrupt("pcodec stream has the wrong number of values");
    }
    // a page of more values than the layout's, its first ones read, is not this stream
    if !consumed {
        return corrupt("pcodec stream has bytes after its page");
    }
    Ok(())
}

/// Reads a number stream of exactly `dst.len()` values.
pub(crate) fn get_nums<T: Num>(r: &mut Reader<'_>, dst: &mut [T]) -> Result<(), CodecError> {
    let mode = r.u8()?;
    let len = r.len_at_most(r.remaining(), "number stream length")?;
    let payload = r.bytes(len)?;
    match mode {
        MODE_RAW => {
            if len != dst.len() * T::SIZE {
                return corrupt("raw number stream has the wrong length");
            }
            for (d, c) in dst.iter_mut().zip(payload.chunks_exact(T::SIZE)) {
                *d = T::get_le(c);
            }
            Ok(())
        }
        MODE_PCO => {
            if dst.is_empty() {
                return corrupt("pcodec stream for zero values");
            }
            let p = pco::standalone::simple_decompress_into(payload, dst)
                .map_err(|e| CodecError::Corrupt(format!("pcodec: {e}")))?;
            if p.n_processed != dst.len() || !p.finished {
                return corrupt("pcodec stream has the wrong number of values");
            }
            Ok(())
        }
        MODE_PCO_WRAPPED => {
            if dst.is_empty() {
                return corrupt("pcodec stream for zero values");
            }
            pco_wrapped_decompress(payload, dst)
        }
        MODE_PCO_WRAPPED_I32 => {
            if dst.is_empty() || T::widened(0).is_none() {
                return corrupt("i32 pcodec stream for zero values or in place of values that are not i64");
            }
            let mut narrow = crate::scratch::zeroed::<i32>(dst.len());
            pco_wrapped_decompress(payload, &mut narrow)?;
            for (d, &v) in dst.iter_mut().zip(narrow.iter()) {
                *d = T::widened(v).unwrap_or_default();
            }
            Ok(())
        }
        MODE_CODES | MODE_CODES_EXACT_BITS => {
            if T::from_code(0).is_none() {
                return corrupt("integer code stream in place of floats");
            }
            match (mode, payload) {
                (MODE_CODES, _) => crate::rans::get(payload, crate::rans::MAX_EXACT_BITS, dst, T::from_code),
                (_, [exact_bits, payload @ ..]) => crate::rans::get(payload, u32::from(*exact_bits), dst, T::from_code),
                _ => corrupt("integer code stream without its exact bits"),
            }
        }
        m => corrupt(format!("unknown number stream mode {m}")),
    }
}

/// Writes a byte stream: the smaller of zstd and stored.
pub(crate) fn put_bytes(data: &[u8], out: &mut Vec<u8>) -> Result<(), CodecError> {
    if data.len() >= 16 {
        let c = zstd_frames::compress_stream(data)?;
        if c.len() < data.len() {
            out.push(MODE_ZSTD);
            put_uvarint(out, c.len() as u64);
            out.extend_from_slice(&c);
            return Ok(());
        }
    }
    out.push(MODE_RAW);
    put_uvarint(out, data.len() as u64);
    out.extend_from_slice(data);
    Ok(())
}

/// Reads a byte stream of exactly `dst.len()` bytes.
pub(crate) fn get_bytes(r: &mut Reader<'_>, dst: &mut [u8]) -> Result<(), CodecError> {
    let mode = r.u8()?;
    let len = r.len_at_most(r.remaining(), "byte stream length")?;
    let payload = r.bytes(len)?;
    match mode {
        MODE_RAW => {
            if len != dst.len() {
                return corrupt("stored byte stream has the wrong length");
            }
            dst.copy_from_slice(payload);
            Ok(())
        }
        MODE_ZSTD => {
            let n = zstd_frames::decompress_frame(payload, dst)?;
            if n != dst.len() {
                return corrupt("zstd stream has the wrong decoded length");
            }
            Ok(())
        }
        m => corrupt(format!("unknown byte stream mode {m}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_draws::gaussian;

    /// The floor holds where pcodec codes closest to the entropy: streams of every length from one
    /// value to a whole chunk, one to thousands of distinct codes, uniform, skewed, bell-shaped and
    /// heavy-tailed, spread over far more values than there are codes (as a bits code of values
    /// over many decades), multiples of a common factor (pcodec's integer-multiple mode) and a few
    /// widely spaced values (its dictionary mode), as i32 and i64. The bin coder's floor holds
    /// wherever pcodec kept to its classic mode, and is checked there. Prints the closest approach
    /// of each floor.
    #[test]
    fn floor_is_below_what_pcodec_writes() {
        let mut uniform = crate::test_draws::uniform(0x9e37_79b9_7f4a_7c15);
        // a code from two uniform draws in [0, 1)
        type Draw = Box<dyn Fn(f64, f64) -> i64>;
        let draws: Vec<(&str, Draw)> = vec![
            ("constant", Box::new(|_, _| 42)),
            ("two values, 1% and 99%", Box::new(|u, _| i64::from(u < 0.01))),
            ("two values, 1/3 and 2/3", Box::new(|u, _| if u < 1.0 / 3.0 { -5 } else { 9 })),
            ("five equally likely", Box::new(|u, _| (u * 5.0) as i64)),
            ("uniform over 3000", Box::new(|u, _| (u * 3000.0) as i64 - 1500)),
            ("Gaussian, sigma 0.4", Box::new(|u, v| (0.4 * gaussian(u, v)).round() as i64)),
            ("Gaussian, sigma 3", Box::new(|u, v| (3.0 * gaussian(u, v)).round() as i64)),
            ("Gaussian, sigma 300", Box::new(|u, v| (300.0 * gaussian(u, v)).round() as i64 + 7000)),
            ("Cauchy", Box::new(|u, _| (3.0 * (std::f64::consts::PI * (u - 0.5)).tan()).clamp(-30000.0, 30000.0).round() as i64)),
            ("Gaussian, sigma 10^5", Box::new(|u, v| (1e5 * gaussian(u, v)).round() as i64)),
            ("uniform over 10^9", Box::new(|u, _| (u * 1e9) as i64)),
            ("log-normal over decades", Box::new(|u, v| (1024.0 * (8.0 * gaussian(u, v)).exp2().log2() + 90_000.0).round() as i64)),
            ("bits codes of log-normal values", Box::new(|u, v| i64::from(((3.0 * gaussian(u, v)).exp2() as f32).to_bits() >> 13))),
            ("two Gaussians far apart", Box::new(|u, v| (300.0 * gaussian(u, v)).round() as i64 + if u < 0.3 { 0 } else { 1 << 22 })),
            ("multiples of 12", Box::new(|u, v| 12 * (20.0 * gaussian(u, v)).round() as i64)),
            ("four far-apart values", Box::new(|u, _| [-1_000_000, 3, 77_777, 1_000_003][(u * 4.0) as usize])),
        ];
        // (the least share of pcodec's bytes above the floor, case), from 100 codes on, for the
        // floor under any mode and the bin coder's
        let (mut least_above, mut least_above_binned) = ((f64::INFINITY, String::new()), (f64::INFINITY, String::new()));
        let mut classic_cases = 0;
        for n in [1, 7, 8, 9, 30, 100, 1000, 8192, WRAPPED_MAX_N] {
            for (name, draw) in &draws {
                let codes: Vec<i64> = (0..n).map(|_| draw(uniform(), uniform())).collect();
                let floor = nums_floor(codes.iter().copied(), n, usize::MAX);
                let binned_floor = bin_coders_floor(&codes);
                let narrow: Vec<i32> = codes.iter().map(|&c| c as i32).collect();
                for (written, classic) in [(coded(&codes).len(), in_classic_mode(&codes)), (coded(&narrow).len(), in_classic_mode(&narrow))] {
                    assert!(written >= floor, "{name}, n = {n}: pcodec wrote {written} bytes, under the floor {floor}");
                    let above = 1.0 - floor as f64 / written as f64;
                    if n >= 100 && above < least_above.0 {
                        least_above = (above, format!("{name}, n = {n}"));
                    }
                    if classic {
                        assert!(written >= binned_floor, "{name}, n = {n}: pcodec wrote {written} bytes in its classic mode, under the bin coder's floor {binned_floor}");
                        assert!(binned_floor >= floor, "{name}, n = {n}: the bin coder's floor {binned_floor} is below the entropy's {floor}");
                        classic_cases += 1;
                        let above = 1.0 - binned_floor as f64 / written as f64;
                        if n >= 100 && above < least_above_binned.0 {
                            least_above_binned = (above, format!("{name}, n = {n}"));
                        }
                    }
                }
            }
        }
        assert!(classic_cases > 200, "only {classic_cases} streams in pcodec's classic mode");
        println!("from 100 codes on, pcodec wrote at least {:.1}% more than the floor ({})", 100.0 * least_above.0, least_above.1);
        println!("in its classic mode, at least {:.1}% more than the bin coder's floor ({})", 100.0 * least_above_binned.0, least_above_binned.1);
    }

    /// Why the bin coder's floor needs pcodec's classic mode: on codes that are multiples of a
    /// base, its integer-multiple mode writes less than the floor of a bin coder.
    #[test]
    fn codes_on_a_lattice_are_written_below_the_bin_coders_floor() {
        let mut uniform = crate::test_draws::uniform(0x5851_f42d_4c95_7f2d);
        let codes: Vec<i64> = (0..8192).map(|_| 12 * (2000.0 * gaussian(uniform(), uniform())).round() as i64).collect();
        assert!(!in_classic_mode(&codes));
        let binned_floor = bin_coders_floor(&codes);
        let written = coded(&codes).len();
        assert!(written < binned_floor, "pcodec wrote {written} bytes, the bin coder's floor is {binned_floor}");
    }

    /// The floor of a bin coder under `codes`, as [`nums_floor`] takes it in pcodec's classic mode.
    fn bin_coders_floor(codes: &[i64]) -> usize {
        floor_bytes(binned_floor_bits(codes.iter().copied(), f64::INFINITY))
    }

    /// pcodec asked at level 0 never answers classic where at the codec's level it takes its
    /// multiple mode: codes on lattices of even and odd bases, 2 to 16,384, with all or part of
    /// the codes on them (the rest anywhere), spread narrow to wide, 1,024 to 2^16 of them. And
    /// where the probe answers classic, the floor is the bin coder's.
    #[test]
    fn the_mode_pcodec_takes_at_level_0_is_the_one_it_takes_at_level_6() {
        let mut uniform = crate::test_draws::uniform(0x2545_f491_4f6c_dd1d);
        let (mut multiples, mut classic) = (0, 0);
        for n in [1024, 4095, 8192, 1 << 16] {
            for base in [2i64, 3, 4, 5, 7, 10, 12, 35, 347, 1000, 2048, 16384] {
                for on_lattice in [1.0, 0.95, 0.8, 0.6] {
                    for spread in [30.0, 3e3, 3e5] {
                        let codes: Vec<i64> = (0..n)
                            .map(|_| {
                                let x = (spread * gaussian(uniform(), uniform())).round() as i64;
                                if uniform() < on_lattice { base * x + 7 } else { base * x + (uniform() * base as f64) as i64 }
                            })
                            .collect();
                        // codes wider than i32 are not asked about: nothing to compare
                        if codes.iter().any(|&c| i32::try_from(c).is_err()) {
                            continue;
                        }
                        let at_level_6 = in_classic_mode(&codes);
                        let at_level_0 = written_in_classic_mode(codes.iter().copied(), n);
                        assert!(at_level_6 || !at_level_0, "n = {n}, base {base}, {on_lattice} on the lattice, spread {spread}: classic at level 0 only");
                        multiples += usize::from(!at_level_6);
                        classic += usize::from(at_level_0);
                        if at_level_0 {
                            assert_eq!(nums_floor(codes.iter().copied(), n, usize::MAX), bin_coders_floor(&codes));
                        }
                    }
                }
            }
        }
        assert!(multiples > 100 && classic > 20, "{multiples} streams in the multiple mode, {classic} judged classic");
    }

    /// The number stream put_nums writes for `vals` in a lossy stream's configuration.
    fn coded<T: Num>(vals: &[T]) -> Vec<u8> {
        let mut out = Vec::new();
        put_nums(vals, &crate::float::pco_config(false), &mut out).unwrap();
        out
    }

    /// An i64 stream whose values all fit an i32 is coded as i32s (mode 4), in fewer bytes than
    /// as i64s, and reads back exactly; one value beyond i32 keeps mode 3. Mode 4 in place of
    /// any other type, or for no values, is a corrupt stream.
    #[test]
    fn i64_streams_that_fit_i32_are_coded_narrow() {
        let fits: Vec<i64> = (0..5000).map(|i| (i * 7919 % 2003) - 1000 + if i % 97 == 0 { i64::from(i32::MIN) + 1000 } else { 0 }).collect();
        let mut beyond = fits.clone();
        beyond[1234] = i64::from(i32::MAX) + 1;
        let read = |bytes: &[u8], n: usize| {
            let mut back = vec![0i64; n];
            get_nums(&mut Reader::new(bytes), &mut back).map(|()| back)
        };
        let (narrow, wide) = (coded(&fits), coded(&beyond));
        assert_eq!((narrow[0], wide[0]), (MODE_PCO_WRAPPED_I32, MODE_PCO_WRAPPED));
        assert_eq!(read(&narrow, fits.len()).unwrap(), fits);
        assert_eq!(read(&wide, beyond.len()).unwrap(), beyond);
        let mut as_wide = vec![MODE_PCO_WRAPPED];
        let payload = pco_wrapped_compress(&fits, &crate::float::pco_config(false)).unwrap();
        put_uvarint(&mut as_wide, payload.len() as u64);
        as_wide.extend_from_slice(&payload);
        assert!(narrow.len() < as_wide.len(), "narrow {} bytes, wide {}", narrow.len(), as_wide.len());
        assert_eq!(read(&as_wide, fits.len()).unwrap(), fits, "mode 3 of the same values is still read");

        let as_i32: Vec<i32> = fits.iter().map(|&v| v as i32).collect();
        let mut other_type = coded(&as_i32);
        other_type[0] = MODE_PCO_WRAPPED_I32;
        let mut dst = vec![0i32; fits.len()];
        assert!(matches!(get_nums(&mut Reader::new(&other_type), &mut dst), Err(CodecError::Corrupt(_))));
        let mut dst = vec![0f64; fits.len()];
        assert!(matches!(get_nums(&mut Reader::new(&narrow), &mut dst), Err(CodecError::Corrupt(_))));
        assert!(matches!(read(&narrow, 0), Err(CodecError::Corrupt(_))));
        assert!(read(&narrow, fits.len() - 1).is_err(), "a count that is not the stream's");
        // a page of all the values read as its first quarter: those decode, the rest is left over
        assert!(read(&narrow, fits.len() / 4).is_err(), "a page of more values than the stream's");
    }

    /// Integer codes go under one frequency table: a basket's worth of peaked codes with all 64
    /// exact symbols (mode 5); codes spread thinly over more values than they fill, as a few
    /// hundred latent codes over dozens of values, or codes of many raw bits each (residuals of
    /// a bits:10 model, 4,095 of them), with fewer (mode 7, in fewer bytes than mode 5 would
    /// take). Codes of many raw bits in a narrow cluster away from 0 go to pcodec (mode 4), in
    /// under half the table's bytes. All read back exactly; a mode-7 stream without its exact
    /// bits, or with exact bits outside 2 to 6, is corrupt.
    #[test]
    fn codes_go_under_one_table_with_the_exact_symbols_that_cost_least() {
        let mut uniform = crate::test_draws::uniform(0x2545_f491_4f6c_dd1d);
        let mut draw = |n: usize, f: &dyn Fn(f64, f64) -> f64| -> Vec<i64> { (0..n).map(|_| f(uniform(), uniform()).round() as i64).collect() };
        let wide = draw(4095, &|u, v| 300.0 * gaussian(u, v));
        let peaked = draw(32768, &|u, v| 3.0 * gaussian(u, v));
        // one-sided, as a latent dimension's codes: 550 codes between 0 and about 40
        let thin = draw(550, &|u, _| -8.0 * (1.0 - u).ln());
        let cluster = draw(2000, &|u, v| -785.0 + 1.5 * gaussian(u, v));
        for (name, codes, mode) in [("wide", &wide, MODE_CODES_EXACT_BITS), ("peaked", &peaked, MODE_CODES), ("thin", &thin, MODE_CODES_EXACT_BITS), ("cluster", &cluster, MODE_PCO_WRAPPED_I32)] {
            let mut hist = crate::rans::Histogram::default();
            codes.iter().for_each(|&c| hist.add(c));
            let mut out = Vec::new();
            put_codes(codes, &hist, &mut out).unwrap();
            assert_eq!(out[0], mode, "{name}");
            let mut back = vec![0i64; codes.len()];
            get_nums(&mut Reader::new(&out), &mut back).unwrap();
            assert_eq!(&back, codes, "{name}");
            let mut table = Vec::new();
            crate::rans::put(codes, &hist, &mut table);
            if mode == MODE_PCO_WRAPPED_I32 {
                assert!(2 * out.len() < table.len(), "{name}: pcodec {} bytes, the table {}", out.len(), table.len());
            }
            if mode == MODE_CODES_EXACT_BITS {
                assert!(out.len() < table.len(), "{name}: {} bytes with fewer exact symbols, {} with 64", out.len(), table.len());
                let len_at = 1 + crate::varint::uvarint_len((out.len() - 2) as u64);
                for (exact_bits, why) in [(1u8, "1 exact bit"), (7, "7 exact bits")] {
                    let mut bad = out.clone();
                    bad[len_at] = exact_bits;
                    assert!(matches!(get_nums(&mut Reader::new(&bad), &mut back), Err(CodecError::Corrupt(_))), "{why} accepted");
                }
                assert!(get_nums(&mut Reader::new(&[MODE_CODES_EXACT_BITS, 0]), &mut back[..0]).is_err(), "no exact bits");
            }
        }
    }

    /// pcodec is tried beside the table only where its bins may fit the codes better
    /// (`Histogram::bins_may_fit`): codes of many raw bits in a cluster away from 0, and codes on
    /// a lattice (multiples of 12, shifted), are tried, and pcodec writes fewer bytes there; codes
    /// spread widely about 0 (a bits:10 model's 4,095 residuals) are not, and pcodec writes more.
    #[test]
    fn pcodec_is_tried_where_its_bins_may_fit_the_codes() {
        let mut uniform = crate::test_draws::uniform(0x9e37_79b9_7f4a_7c15);
        let mut draw = |n: usize, f: &dyn Fn(f64, f64) -> f64| -> Vec<i64> { (0..n).map(|_| f(uniform(), uniform()).round() as i64).collect() };
        let wide = draw(4095, &|u, v| 300.0 * gaussian(u, v));
        let cluster = draw(2000, &|u, v| -785.0 + 1.5 * gaussian(u, v));
        let lattice: Vec<i64> = draw(4095, &|u, v| 300.0 * gaussian(u, v)).iter().map(|&c| 12 * c + 5).collect();
        for (name, codes, tried) in [("wide", &wide, false), ("cluster", &cluster, true), ("lattice", &lattice, true)] {
            let hist = crate::rans::Histogram::of(codes.iter().copied());
            assert!(hist.mostly_raw(), "{name}");
            assert_eq!(hist.bins_may_fit(codes), tried, "{name}");
            let mut table = Vec::new();
            crate::rans::put(codes, &hist.regrouped(hist.best_exact_bits()), &mut table);
            let bins = coded(codes);
            assert_eq!(bins.len() < table.len(), tried, "{name}: pcodec {} bytes, the table {}", bins.len(), table.len());
        }
    }

    /// Whether pcodec would code `vals` as first differences in classic mode ([`i32_config`] of
    /// what [`put_i32s`] finds in them).
    fn consecutive_classic(vals: &[i32]) -> bool {
        let cfg = i32_config(never_decreasing_but_at_the_edges(vals));
        matches!(cfg.delta_spec, DeltaSpec::TryConsecutive(1)) && matches!(cfg.mode_spec, ModeSpec::Classic)
    }

    /// ROOT's entry-offset tail (a count, offsets that never decrease, a 0) and any other stream
    /// that rarely decreases are coded as first differences; streams that often decrease keep
    /// pcodec's automatic choices; the first two are written as differences (mode 6), which only
    /// the I32 section's reader takes, the others with pcodec, and all read back exactly.
    #[test]
    fn i32_streams_that_rarely_decrease_are_coded_as_differences() {
        let monotone: Vec<i32> = std::iter::once(1133).chain((0..1133).scan(75, |at, i| {
            *at += 4 * (i * 7 % 11);
            Some(*at)
        })).chain([0]).collect();
        let mut rare = monotone.clone();
        for i in (1..rare.len()).step_by(40) {
            rare[i] = 0; // a decrease every 40 values: within 2 + n/32
        }
        let mut bumpy = monotone.clone();
        for i in (1..bumpy.len()).step_by(20) {
            bumpy[i] = 0; // one every 20: beyond it
        }
        let alternating: Vec<i32> = (0..1000).map(|i| if i % 2 == 0 { i } else { -i }).collect();
        assert!(consecutive_classic(&monotone));
        assert!(consecutive_classic(&rare));
        assert!(!consecutive_classic(&bumpy));
        assert!(!consecutive_classic(&alternating));
        assert!(consecutive_classic(&[]) && consecutive_classic(&[5, 1, 0]));
        for (vals, mode) in [(&monotone, MODE_DIFFERENCES), (&rare, MODE_DIFFERENCES), (&bumpy, MODE_PCO_WRAPPED), (&alternating, MODE_PCO_WRAPPED)] {
            let mut out = Vec::new();
            put_i32s(vals, &mut out).unwrap();
            assert_eq!(out[0], mode);
            let mut back = vec![0i32; vals.len()];
            get_i32s(&mut Reader::new(&out), &mut back).unwrap();
            assert_eq!(&back, vals);
            // a difference stream anywhere but the I32 section is corrupt
            assert_eq!(get_nums(&mut Reader::new(&out), &mut back).is_err(), mode == MODE_DIFFERENCES);
        }
    }
}
