//! Float sections: the lossless and error-bounded lossy float codecs.
//!
//! Every lossy codec maps each value to an integer code `q` (stored with
//! pcodec); values that are special (NaN, ±Inf, -0.0, subnormal) or whose
//! reconstruction — computed by the very function the decoder uses — would
//! violate the bound go to an exact exception channel.

use std::cell::RefCell;
use std::rc::Rc;

use crate::error::{corrupt, CodecError};
use crate::scratch;
use crate::spec::Spec;
use crate::stream::{get_nums, put_nums, Num};
use crate::varint::{put_uvarint, Reader};
use pco::{ChunkConfig, DeltaSpec, ModeSpec};

pub(crate) const CODEC_LOSSLESS: u8 = 0;
pub(crate) const CODEC_BITS: u8 = 1;
pub(crate) const CODEC_LOG: u8 = 2;
pub(crate) const CODEC_ABS: u8 = 3;
/// `bits` / `log` / `lossless` with the signs in a separate bit stream and
/// magnitudes (|q|, or |x| bit patterns) in the number stream.
pub(crate) const CODEC_BITS_SPLIT: u8 = 4;
pub(crate) const CODEC_LOG_SPLIT: u8 = 5;
pub(crate) const CODEC_LOSSLESS_SPLIT: u8 = 6;

/// pcodec compression level of every number stream. ROOT compresses basket by basket
/// (typically 32 kB, 8k floats), and pcodec's time per chunk there is dominated by its binning
/// search, which grows with the level. Measured side by side (docs/benchmarks.md): level 6
/// instead of 4 saves 1-2% of the bytes on the anchors' HZZ columns (lossless 3.160 -> 3.133,
/// bits:10 1.536 -> 1.508 B/value) and moves the ROOT write time of 10^7 values from 1.01x to
/// 1.19x ZSTD-505 (target <= 1.5x); level 8 saves only 0.004 more at 1.6x the encode time.
pub(crate) const PCO_LEVEL: usize = 6;

/// Writes the sign stream: `0` = no negative code, or `1` + byte stream of
/// ceil(n/8) bytes, bit i%8 (LSB first) of byte i/8 set iff value i is negative.
fn put_signs(neg: &[u8], any: bool, out: &mut Vec<u8>) -> Result<(), CodecError> {
    if !any {
        out.push(0);
        return Ok(());
    }
    out.push(1);
    crate::stream::put_bytes(neg, out)
}

/// Reads a sign stream for `n` values (see [`put_signs`]); None = all non-negative.
fn get_signs(r: &mut Reader<'_>, n: usize) -> Result<Option<Vec<u8>>, CodecError> {
    match r.u8()? {
        0 => Ok(None),
        1 => {
            let mut v = vec![0u8; n.div_ceil(8)];
            crate::stream::get_bytes(r, &mut v)?;
            Ok(Some(v))
        }
        m => corrupt(format!("unknown sign stream mode {m}")),
    }
}

#[inline(always)]
fn sign_at(signs: &Option<Vec<u8>>, i: usize) -> bool {
    match signs {
        Some(s) => (s[i >> 3] >> (i & 7)) & 1 != 0,
        None => false,
    }
}

/// Largest number of log levels per binade (table size) for `rel:E`.
pub(crate) const MAX_LOG_LEVELS: u64 = 1 << 16;

/// Safety factor on every bound check: absorbs the rounding of the check itself
/// (|x'-x| and E*|x| are computed in f64), so the mathematical bound holds.
const SAFETY: f64 = 1.0 - 1.0 / (1u64 << 40) as f64;

/// IEEE binary32 / binary64 description.
pub(crate) trait Flt: Num {
    /// Integer code type of the lossy codecs.
    type Q: Num + Into<i64>;
    const MBITS: u32;
    const BIAS: u64;
    const SIGN: u64;
    const EXP_MASK: u64;
    /// Under rel/bits, |x| below this goes to the exception channel so that
    /// E*|x| cannot underflow in the f64 check.
    const MIN_REL: f64;
    /// Under abs, |q| above this goes to the exception channel.
    const Q_LIMIT: f64;
    fn bits(self) -> u64;
    fn from_bits(b: u64) -> Self;
    fn to_f64(self) -> f64;
    fn from_f64(v: f64) -> Self;
    fn q(v: i64) -> Self::Q;
    const NAME: &'static str;
}

impl Flt for f32 {
    type Q = i32;
    const MBITS: u32 = 23;
    const BIAS: u64 = 127;
    const SIGN: u64 = 1 << 31;
    const EXP_MASK: u64 = 0xff << 23;
    const MIN_REL: f64 = 0.0;
    const Q_LIMIT: f64 = (1u64 << 30) as f64;
    #[inline(always)]
    fn bits(self) -> u64 {
        self.to_bits() as u64
    }
    #[inline(always)]
    fn from_bits(b: u64) -> Self {
        f32::from_bits(b as u32)
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    #[inline(always)]
    fn q(v: i64) -> i32 {
        v as i32
    }
    const NAME: &'static str = "float32";
}

impl Flt for f64 {
    type Q = i64;
    const MBITS: u32 = 52;
    const BIAS: u64 = 1023;
    const SIGN: u64 = 1 << 63;
    const EXP_MASK: u64 = 0x7ff << 52;
    const MIN_REL: f64 = 1.0e-289; // ~2^-960
    const Q_LIMIT: f64 = (1u64 << 52) as f64;
    #[inline(always)]
    fn bits(self) -> u64 {
        self.to_bits()
    }
    #[inline(always)]
    fn from_bits(b: u64) -> Self {
        f64::from_bits(b)
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn q(v: i64) -> i64 {
        v
    }
    const NAME: &'static str = "float64";
}

/// NaN, ±Inf, -0.0 and subnormals: always stored exactly.
#[inline(always)]
fn is_special<T: Flt>(b: u64) -> bool {
    let e = b & T::EXP_MASK;
    e == T::EXP_MASK || (e == 0 && b != 0)
}

/// Deterministic 2^t for t in [0, 1], using only correctly rounded IEEE
/// operations (no libm), so every platform builds bit-identical tables.
pub(crate) fn det_exp2(t: f64) -> f64 {
    let y = t * std::f64::consts::LN_2;
    let mut acc = 1.0f64;
    let mut k = 27u32;
    while k >= 1 {
        acc = 1.0 + acc * y / k as f64;
        k -= 1;
    }
    acc
}

/// A cached reconstruction table: (levels per binade, mantissa bits of the float type, table).
type CachedLogTable = (u32, u32, Rc<Vec<u64>>);

thread_local! {
    static LOG_TABLES: RefCell<Vec<CachedLogTable>> = const { RefCell::new(Vec::new()) };
}

/// Reconstruction mantissas of the log quantiser with `k` levels per binade:
/// c_j = 2^((j + 1/2)/k), rounded to the float type, as bit patterns with the
/// exponent field of 1.0 (so adding `e << MBITS` scales by 2^e).
fn log_table<T: Flt>(k: u32) -> Rc<Vec<u64>> {
    LOG_TABLES.with(|t| {
        let mut t = t.borrow_mut();
        if let Some((_, _, tab)) = t.iter().find(|(kk, mb, _)| *kk == k && *mb == T::MBITS) {
            return tab.clone();
        }
        let tab: Vec<u64> = (0..k)
            .map(|j| {
                let c = det_exp2((j as f64 + 0.5) / k as f64);
                T::from_f64(c).bits()
            })
            .collect();
        let tab = Rc::new(tab);
        if t.len() >= 4 {
            t.remove(0);
        }
        t.push((k, T::MBITS, tab.clone()));
        tab
    })
}

/// log2(1 + i/1024) for i in 0..=1024: the encoder's first guess of a value's
/// log level (linear interpolation, error < 2e-7; the guess is then verified).
fn log2_table() -> &'static [f64; 1025] {
    static T: std::sync::OnceLock<Box<[f64; 1025]>> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        let mut t = Box::new([0f64; 1025]);
        for (i, v) in t.iter_mut().enumerate() {
            *v = (1.0 + i as f64 / 1024.0).log2();
        }
        t
    })
}

/// Approximately log2|x| + BIAS - 1 for a normal value with bit pattern `b`.
#[inline(always)]
fn fast_log2_biased<T: Flt>(b: u64, tab: &[f64; 1025]) -> f64 {
    let e = ((b & T::EXP_MASK) >> T::MBITS) as f64;
    let m = b & ((1u64 << T::MBITS) - 1);
    let lo_bits = T::MBITS - 10;
    let idx = (m >> lo_bits) as usize;
    let frac = (m & ((1u64 << lo_bits) - 1)) as f64 * (1.0 / (1u64 << lo_bits) as f64);
    let a = tab[idx];
    let b2 = tab[idx + 1];
    e - 1.0 + a + (b2 - a) * frac
}

/// Levels per binade needed for a relative bound `e` (max error 2^(1/(2k)) - 1 <= e).
pub(crate) fn log_levels(e: f64) -> u64 {
    let k = (1.0 / (2.0 * (1.0 + e).log2())).ceil();
    // a bound so loose that one level meets it, or NaN from a NaN bound: one level
    if k.is_nan() || k < 1.0 {
        return 1;
    }
    if k > (MAX_LOG_LEVELS * 4) as f64 {
        return u64::MAX;
    }
    let mut k = k as u64;
    // margin: keep the nominal worst case a hair below e
    while (0.5 / k as f64).exp2() - 1.0 > e * (1.0 - 1e-6) {
        k += 1;
    }
    k
}

/// The concrete quantiser chosen for a spec and float type.
#[derive(Clone)]
enum Quant {
    Lossless,
    Bits { n: u32 },
    Log { k: u32 },
    Abs { step: f64, bound: f64 },
}

fn choose<T: Flt>(spec: &Spec) -> Result<Quant, CodecError> {
    Ok(match *spec {
        Spec::Lossless => Quant::Lossless,
        Spec::Bits(n) => {
            let n = n as u32;
            if n == 0 || n > T::MBITS {
                return Err(CodecError::InvalidArgument(format!(
                    "bits:{n} is not valid for {} data: N must satisfy 1 <= N <= {}",
                    T::NAME,
                    T::MBITS
                )));
            }
            if n == T::MBITS {
                Quant::Lossless
            } else {
                Quant::Bits { n }
            }
        }
        Spec::Rel(e) => {
            if !(e > 0.0 && e < 1.0) {
                return Err(CodecError::InvalidArgument(format!("rel:{e}: relative bound must satisfy 0 < E < 1")));
            }
            let k = log_levels(e);
            if k <= MAX_LOG_LEVELS {
                Quant::Log { k: k as u32 }
            } else {
                // very tight bound: mantissa rounding to the fewest bits that meet it
                let mut n = 1u32;
                while n < T::MBITS && (-((n + 1) as f64)).exp2() > e {
                    n += 1;
                }
                if n >= T::MBITS {
                    Quant::Lossless
                } else {
                    Quant::Bits { n }
                }
            }
        }
        Spec::Abs(e) => {
            if !(e > 0.0 && e.is_finite()) {
                return Err(CodecError::InvalidArgument(format!("abs:{e}: absolute bound must satisfy E > 0")));
            }
            Quant::Abs { step: 2.0 * e, bound: e }
        }
        Spec::Ae { .. } => {
            return Err(CodecError::Unsupported(
                "ae: autoencoder codec not implemented yet (the spec parses; use bits:N, rel:E or abs:E for now)".into(),
            ))
        }
    })
}

/// Validates a spec for a float type without encoding anything.
pub(crate) fn check_spec<T: Flt>(spec: &Spec) -> Result<(), CodecError> {
    choose::<T>(spec).map(|_| ())
}

fn pco_config(lossless: bool) -> ChunkConfig {
    let c = ChunkConfig::default().with_compression_level(PCO_LEVEL);
    if lossless {
        c
    } else {
        c.with_delta_spec(DeltaSpec::NoOp).with_mode_spec(ModeSpec::Auto)
    }
}

#[inline(always)]
fn within(x: f64, xr: f64, bound: f64) -> bool {
    (xr - x).abs() <= bound * SAFETY
}

// ---- reconstruction: exactly what the decoder computes ----

#[inline(always)]
fn recon_bits<T: Flt>(q: i64, shift: u32) -> T {
    let sign = if q < 0 { T::SIGN } else { 0 };
    let mag = (q.unsigned_abs() << shift) & (T::SIGN - 1);
    T::from_bits(sign | mag)
}

#[inline(always)]
fn recon_log<T: Flt>(q: i64, k: u64, magic: u64, tab: &[u64]) -> T {
    let sign = if q < 0 { T::SIGN } else { 0 };
    let u = q.unsigned_abs();
    if u == 0 {
        return T::from_bits(0); // +0.0
    }
    let v = u - 1;
    // e = v / k via multiply-high; exact after one correction step (v < 2^42)
    let mut e = ((v as u128 * magic as u128) >> 64) as u64;
    let mut j = v.wrapping_sub(e.wrapping_mul(k));
    if j >= k {
        e = e.wrapping_add(1);
        j = j.wrapping_sub(k);
    }
    let j = if j < k { j as usize } else { 0 };
    let c = tab[j.min(tab.len() - 1)];
    let mag = c.wrapping_add((e.wrapping_add(1).wrapping_sub(T::BIAS)) << T::MBITS) & (T::SIGN - 1);
    T::from_bits(sign | mag)
}

#[inline(always)]
fn recon_abs<T: Flt>(q: i64, step: f64) -> T {
    T::from_f64(q as f64 * step)
}

fn magic_for(k: u64) -> u64 {
    // floor(2^64 / k); with the one-step correction in recon_log this gives v / k
    ((1u128 << 64) / k as u128).min(u64::MAX as u128) as u64
}

/// Whether the values are already on a grid no finer than the quantiser's, so that storing them
/// exactly costs no more than quantising them (and changes nothing). This is the case for data
/// written with reduced precision upstream, such as NanoAOD's floats (10 to 12 mantissa bits),
/// re-written with a finer spec: quantising them again would only spread their few distinct
/// mantissas over many more codes, which pcodec codes worse than the floats themselves.
fn already_coarser<T: Flt>(vals: &[T], quant: &Quant) -> bool {
    let mantissa_mask = (1u64 << T::MBITS) - 1;
    let used = vals.iter().fold(0u64, |acc, x| acc | (x.bits() & mantissa_mask));
    // mantissa bits in use: every value's mantissa is a multiple of 2^trailing_zeros
    let bits_in_use = T::MBITS.saturating_sub(used.trailing_zeros());
    match *quant {
        Quant::Bits { n } => bits_in_use <= n,
        Quant::Log { k } => (1u64 << bits_in_use) <= k as u64,
        Quant::Abs { step, .. } => {
            // a value with exponent field e is a multiple of 2^(e - BIAS - bits_in_use); when even
            // the smallest such spacing is no finer than the step, quantising maps distinct
            // values to distinct codes and saves nothing
            let exponent_field = |x: &T| (x.bits() & T::EXP_MASK) >> T::MBITS;
            let smallest = vals.iter().filter(|x| x.bits() & !T::SIGN != 0).map(exponent_field).min();
            match smallest {
                Some(e) => ((e as i32 - T::BIAS as i32 - bits_in_use as i32) as f64).exp2() >= step,
                None => false,
            }
        }
        Quant::Lossless => false,
    }
}

/// Encodes a float section (without tag/length) for `vals`; writes the values
/// the decoder will produce into `recon`.
pub(crate) fn encode<T: Flt>(vals: &[T], spec: &Spec, out: &mut Vec<u8>, recon: &mut Vec<T>) -> Result<(), CodecError> {
    let mut quant = choose::<T>(spec)?;
    recon.clear();
    if already_coarser(vals, &quant) {
        quant = Quant::Lossless;
    }
    if let Quant::Lossless = quant {
        // plain pcodec floats, or signs apart + magnitudes' bit patterns as
        // integers; the smaller wins
        let start = out.len();
        out.push(CODEC_LOSSLESS);
        put_nums(vals, &pco_config(true), out)?;
        let plain_len = out.len() - start;
        let mut alt = scratch::with_capacity::<u8>(plain_len);
        alt.push(CODEC_LOSSLESS_SPLIT);
        let mut neg = scratch::zeroed::<u8>(vals.len().div_ceil(8));
        let mut any = false;
        let mut mags = scratch::with_capacity::<T::Q>(vals.len());
        mags.extend(vals.iter().enumerate().map(|(i, x)| {
            let b = x.bits();
            if b & T::SIGN != 0 {
                neg[i >> 3] |= 1 << (i & 7);
                any = true;
            }
            T::q((b & !T::SIGN) as i64)
        }));
        put_signs(&neg, any, &mut alt)?;
        put_nums(&mags, &pco_config(false), &mut alt)?;
        if alt.len() < plain_len {
            out.truncate(start);
            out.extend_from_slice(&alt);
        }
        recon.extend_from_slice(vals);
        return Ok(());
    }
    let mut qs = scratch::with_capacity::<T::Q>(vals.len());
    let mut exc_pos: Vec<u64> = Vec::new();
    let mut exc_val: Vec<u64> = Vec::new();
    recon.reserve(vals.len());
    let mut prev: i64 = 0;

    macro_rules! run {
        ($quantise:expr) => {
            for (i, &x) in vals.iter().enumerate() {
                let b = x.bits();
                let got: Option<(i64, T)> = if is_special::<T>(b) { None } else { $quantise(x, b) };
                match got {
                    Some((q, xr)) => {
                        qs.push(T::q(q));
                        recon.push(xr);
                        prev = q;
                    }
                    None => {
                        qs.push(T::q(prev));
                        recon.push(x);
                        exc_pos.push(i as u64);
                        exc_val.push(b);
                    }
                }
            }
        };
    }

    match quant {
        Quant::Lossless => unreachable!(),
        Quant::Bits { n } => {
            out.push(CODEC_BITS_SPLIT);
            out.push(n as u8);
            let shift = T::MBITS - n;
            let half = 1u64 << (shift - 1);
            let rel = (-((n + 1) as f64)).exp2();
            run!(|x: T, b: u64| {
                let xf = x.to_f64();
                if xf.abs() < T::MIN_REL {
                    return None;
                }
                let mag = b & !T::SIGN;
                let qm = ((mag + half) >> shift) as i64;
                let q = if b & T::SIGN != 0 { -qm } else { qm };
                let xr: T = recon_bits(q, shift);
                let xrf = xr.to_f64();
                if within(xf, xrf, rel * xf.abs()) {
                    Some((q, xr))
                } else {
                    None
                }
            });
        }
        Quant::Log { k } => {
            out.push(CODEC_LOG_SPLIT);
            put_uvarint(out, k as u64);
            let tab = log_table::<T>(k);
            let k64 = k as u64;
            let magic = magic_for(k64);
            let e = match *spec {
                Spec::Rel(e) => e,
                _ => unreachable!(),
            };
            let kf = k as f64;
            let l2 = log2_table();
            run!(|x: T, b: u64| {
                let xf = x.to_f64();
                let a = xf.abs();
                if a < T::MIN_REL {
                    return None;
                }
                if a == 0.0 {
                    return Some((0, T::from_bits(0)));
                }
                let u0 = (fast_log2_biased::<T>(b, l2) * kf) as i64 + 1;
                let neg = b & T::SIGN != 0;
                let bound = e * a;
                for u in [u0, u0 - 1, u0 + 1] {
                    if u < 1 {
                        continue;
                    }
                    let q = if neg { -u } else { u };
                    let xr: T = recon_log(q, k64, magic, &tab);
                    if within(xf, xr.to_f64(), bound) {
                        return Some((q, xr));
                    }
                }
                None
            });
        }
        Quant::Abs { step, bound } => {
            out.push(CODEC_ABS);
            out.extend_from_slice(&step.to_le_bytes());
            run!(|x: T, _b: u64| {
                let xf = x.to_f64();
                let qf = (xf / step).round();
                // x / step can overflow to infinity; the NaN test keeps the check total
                if qf.is_nan() || qf.abs() > T::Q_LIMIT {
                    return None;
                }
                let q = qf as i64;
                let xr: T = recon_abs(q, step);
                if within(xf, xr.to_f64(), bound) {
                    Some((q, xr))
                } else {
                    None
                }
            });
        }
    }
    let split = matches!(quant, Quant::Bits { .. } | Quant::Log { .. });
    if split {
        let mut neg = scratch::zeroed::<u8>(qs.len().div_ceil(8));
        let mut any = false;
        for (i, q) in qs.iter_mut().enumerate() {
            let v: i64 = (*q).into();
            if v < 0 {
                neg[i >> 3] |= 1 << (i & 7);
                any = true;
                *q = T::q(-v);
            }
        }
        put_signs(&neg, any, out)?;
    }
    put_nums(&qs, &pco_config(false), out)?;
    // exceptions: count, delta-coded positions, raw little-endian bit patterns
    put_uvarint(out, exc_pos.len() as u64);
    let mut last: u64 = 0;
    for (i, &p) in exc_pos.iter().enumerate() {
        put_uvarint(out, if i == 0 { p } else { p - last - 1 });
        last = p;
    }
    for &v in &exc_val {
        T::from_bits(v).put_le(out);
    }
    Ok(())
}

/// Writes `recon(q)` for every code. Codes of real data cluster in a few binades, so when their
/// range is small next to the block, each distinct code is reconstructed once into a table and
/// the values are looked up (the log quantiser's reconstruction, a division and a table read,
/// costs several times a lookup).
fn reconstruct_through_lookup<T: Flt>(qs: &[T::Q], dst: &mut [T], recon: impl Fn(i64) -> T) {
    let (lo, hi) = qs.iter().fold((i64::MAX, i64::MIN), |(lo, hi), &q| {
        let q: i64 = q.into();
        (lo.min(q), hi.max(q))
    });
    let span = (hi as i128 - lo as i128 + 1) as u128;
    if qs.is_empty() || span > (qs.len() / 2) as u128 || span > 1 << 20 {
        for (d, &q) in dst.iter_mut().zip(qs) {
            *d = recon(q.into());
        }
        return;
    }
    let mut lookup = scratch::with_capacity::<T>(span as usize);
    lookup.extend((lo..=hi).map(&recon));
    for (d, &q) in dst.iter_mut().zip(qs) {
        let q: i64 = q.into();
        *d = lookup[(q - lo) as usize];
    }
}

/// Decodes a float section into `dst` (exactly the number of values of the block).
pub(crate) fn decode<T: Flt>(r: &mut Reader<'_>, dst: &mut [T]) -> Result<(), CodecError> {
    let codec = r.u8()?;
    let n = dst.len();
    if codec == CODEC_LOSSLESS {
        return get_nums(r, dst);
    }
    if codec == CODEC_LOSSLESS_SPLIT {
        let signs = get_signs(r, n)?;
        let mut mags = scratch::zeroed::<T::Q>(n);
        get_nums(r, &mut mags)?;
        for (i, (d, &m)) in dst.iter_mut().zip(mags.iter()).enumerate() {
            let m: i64 = m.into();
            let m = (m as u64) & (T::SIGN - 1);
            *d = T::from_bits(if sign_at(&signs, i) { m | T::SIGN } else { m });
        }
        return Ok(());
    }
    enum Dq {
        Bits(u32),
        Log(u64),
        Abs(f64),
    }
    let split = codec == CODEC_BITS_SPLIT || codec == CODEC_LOG_SPLIT;
    let dq = match codec {
        CODEC_BITS | CODEC_BITS_SPLIT => {
            let nb = r.u8()? as u32;
            if nb == 0 || nb >= T::MBITS {
                return corrupt(format!("bits codec with N={nb}"));
            }
            Dq::Bits(T::MBITS - nb)
        }
        CODEC_LOG | CODEC_LOG_SPLIT => {
            let k = r.uvarint()?;
            if k == 0 || k > MAX_LOG_LEVELS {
                return corrupt(format!("log codec with {k} levels"));
            }
            Dq::Log(k)
        }
        CODEC_ABS => {
            let step = f64::from_bits(r.u64_le()?);
            if !(step > 0.0 && step.is_finite()) {
                return corrupt("abs codec with a bad step");
            }
            Dq::Abs(step)
        }
        c => return Err(CodecError::Unsupported(format!("float codec id {c} (written by a newer version?)"))),
    };
    let signs = if split { get_signs(r, n)? } else { None };
    let mut qs = scratch::zeroed::<T::Q>(n);
    get_nums(r, &mut qs)?;
    match dq {
        Dq::Bits(shift) => {
            for (d, &q) in dst.iter_mut().zip(qs.iter()) {
                *d = recon_bits(q.into(), shift);
            }
        }
        Dq::Log(k) => {
            let tab = log_table::<T>(k as u32);
            let magic = magic_for(k);
            reconstruct_through_lookup(&qs, dst, |q| recon_log(q, k, magic, &tab));
        }
        Dq::Abs(step) => {
            for (d, &q) in dst.iter_mut().zip(qs.iter()) {
                *d = recon_abs(q.into(), step);
            }
        }
    }
    if let Some(s) = &signs {
        // split codecs store magnitudes: the reconstruction of -q is that of q with the sign set
        for (byte, chunk) in s.iter().zip(dst.chunks_mut(8)) {
            if *byte != 0 {
                for (bit, d) in chunk.iter_mut().enumerate() {
                    if (byte >> bit) & 1 != 0 {
                        *d = T::from_bits(d.bits() | T::SIGN);
                    }
                }
            }
        }
    }
    let n_exc = r.len_at_most(n, "exception count")?;
    let mut pos: Vec<usize> = Vec::with_capacity(n_exc);
    let mut next: u64 = 0;
    for _ in 0..n_exc {
        let d = r.uvarint()?;
        let p = next.checked_add(d).filter(|&p| p < n as u64).ok_or(CodecError::Corrupt("exception position out of range".into()))?;
        pos.push(p as usize);
        next = p + 1;
    }
    let raw = r.bytes(n_exc.checked_mul(T::SIZE).ok_or(CodecError::Corrupt("exception size overflow".into()))?)?;
    for (&p, c) in pos.iter().zip(raw.chunks_exact(T::SIZE)) {
        dst[p] = T::get_le(c);
    }
    Ok(())
}
