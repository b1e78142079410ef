//! `rel:E`: logarithmic levels, K per binade (geometric with ratio 2^(1/K)); the code is the
//! level's index counted from the smallest binade, with the value's sign. Reconstruction reads
//! the level's mantissa from a table built bit-identically everywhere.

use std::cell::RefCell;
use std::marker::PhantomData;
use std::rc::Rc;

use super::{relative_candidate, within, Quantiser};
use crate::float::Flt;

/// Largest number of log levels per binade (table size).
pub(crate) const MAX_LOG_LEVELS: u64 = 1 << 16;

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
    crate::scratch::with_local(&LOG_TABLES, |t| {
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

/// The worst relative error of `k` levels per binade, 2^(1/(2k)) - 1: the bound a section with
/// `k` levels is coded to and reports.
pub(crate) fn levels_bound(k: u64) -> f64 {
    (0.5 / k as f64).exp2() - 1.0
}

/// The bound `rel:E` by which `k` levels per binade are named to a reader (`baler inspect`): the
/// decimal E of fewest significant digits that a writer turns into the same `k` ([`log_levels`]).
/// It is never tighter than the levels' worst case ([`levels_bound`], which every value meets).
/// A bound of one significant digit below about 1%, as most are written, reads as written:
/// `rel:1e-3` codes 347 levels, whose worst case is 9.9924e-4, and reads as `rel:1e-3`. Coarser
/// levels cover wider ranges of E (`rel:0.3` and `rel:0.2` both code 2) and read as the least.
pub(crate) fn levels_named_bound(k: u64) -> f64 {
    let worst = levels_bound(k);
    // the least E that log_levels turns into k levels (no fewer: see its margin)
    let least = worst / (1.0 - LEVELS_MARGIN);
    for digits in 1..=17 {
        let scale = 10f64.powi(digits - 1 - least.log10().floor() as i32);
        let e = (least * scale).ceil() / scale;
        if log_levels(e) == k {
            return e;
        }
    }
    least
}

/// How far below a bound E the nominal worst case of the levels chosen for it stays, relatively
/// ([`log_levels`]): a hair, so that rounding in the coding never takes a value past E.
const LEVELS_MARGIN: f64 = 1e-6;

/// Levels per binade needed for a relative bound `e` (max error [`levels_bound`] <= e).
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
    while levels_bound(k) > e * (1.0 - LEVELS_MARGIN) {
        k += 1;
    }
    k
}

pub(crate) struct Rel<T> {
    k: u64,
    /// floor(2^64 / k): division by k as a multiply-high (see `reconstruct`).
    magic: u64,
    table: Rc<Vec<u64>>,
    /// The encoder's first-guess table (see `fast_log2_biased`).
    log2: &'static [f64; 1025],
    /// The relative bound E the codes are checked against.
    bound: f64,
    ty: PhantomData<T>,
}

impl<T: Flt> Rel<T> {
    /// `k` levels per binade (1..=MAX_LOG_LEVELS: the caller checks). Codes are checked against
    /// the levels' nominal worst case, [`levels_bound`]: the bound a section with `k` levels
    /// reports (`baler inspect`, `baler eval`), a hair under the E that chose `k`
    /// ([`log_levels`]). A value whose reconstruction, rounded to T, lands past it (within a
    /// rounding of the levels' midpoint) is an exception, so every value meets the bound the
    /// block reports, not only the E the writer asked for.
    pub(crate) fn with_levels(k: u32) -> Self {
        let k64 = k as u64;
        let magic = ((1u128 << 64) / k64 as u128).min(u64::MAX as u128) as u64;
        Rel { k: k64, magic, table: log_table::<T>(k), log2: log2_table(), bound: levels_bound(k64), ty: PhantomData }
    }

    /// K, as stored in the section header.
    pub(crate) fn levels(&self) -> u64 {
        self.k
    }
}

impl<T: Flt> Quantiser<T> for Rel<T> {
    const SIGNS_APART: bool = true;

    #[inline(always)]
    fn quantise(&self, x: T) -> Option<(i64, T)> {
        let xf = relative_candidate(x)?;
        let b = x.bits();
        let a = xf.abs();
        if a == 0.0 {
            return Some((0, T::from_bits(0)));
        }
        let u0 = (fast_log2_biased::<T>(b, self.log2) * self.k as f64) as i64 + 1;
        let neg = b & T::SIGN != 0;
        let bound = self.bound * a;
        for u in [u0, u0 - 1, u0 + 1] {
            if u < 1 {
                continue;
            }
            let q = if neg { -u } else { u };
            let xr = self.reconstruct(q);
            if within(xf, xr.to_f64(), bound) {
                return Some((q, xr));
            }
        }
        None
    }

    #[inline(always)]
    fn within_bound(&self, x: T, y: T) -> bool {
        relative_candidate(x).is_some_and(|xf| within(xf, y.to_f64(), self.bound * xf.abs()))
    }

    /// The level whose reconstruction mantissa is nearest to x's (compared as bit patterns, which
    /// order like the values within a binade), in x's binade: integer operations only.
    #[inline(always)]
    fn predicted_code(&self, x: T) -> i64 {
        let b = x.bits();
        let exponent = (b & T::EXP_MASK) >> T::MBITS;
        if exponent == 0 || b & T::EXP_MASK == T::EXP_MASK {
            return 0; // zero, subnormal, non-finite
        }
        let mantissa = (b & ((1u64 << T::MBITS) - 1)) | (T::BIAS << T::MBITS);
        let above = self.table.partition_point(|&c| c < mantissa);
        let j = if above == 0 {
            0
        } else if above == self.table.len() || mantissa - self.table[above - 1] <= self.table[above] - mantissa {
            above - 1
        } else {
            above
        };
        let u = ((exponent - 1) * self.k + j as u64 + 1) as i64;
        if b & T::SIGN != 0 {
            -u
        } else {
            u
        }
    }

    #[inline(always)]
    fn reconstruct(&self, q: i64) -> T {
        let sign = if q < 0 { T::SIGN } else { 0 };
        let u = q.unsigned_abs();
        if u == 0 {
            return T::from_bits(0); // +0.0
        }
        let v = u - 1;
        let k = self.k;
        // e = v / k via multiply-high; exact after one correction step (v < 2^42)
        let mut e = ((v as u128 * self.magic as u128) >> 64) as u64;
        let mut j = v.wrapping_sub(e.wrapping_mul(k));
        if j >= k {
            e = e.wrapping_add(1);
            j = j.wrapping_sub(k);
        }
        let j = if j < k { j as usize } else { 0 };
        let c = self.table[j.min(self.table.len() - 1)];
        let mag = c.wrapping_add((e.wrapping_add(1).wrapping_sub(T::BIAS)) << T::MBITS) & (T::SIGN - 1);
        T::from_bits(sign | mag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_level_count_is_named_by_a_bound_that_codes_it_again_and_holds() {
        for k in 1..=MAX_LOG_LEVELS {
            let named = levels_named_bound(k);
            assert_eq!(log_levels(named), k, "k={k}: rel:{named}");
            assert!(named >= levels_bound(k), "k={k}: rel:{named} is tighter than the levels' worst case");
        }
    }

    #[test]
    fn a_round_bound_is_named_as_written() {
        for e in [1e-3, 2e-4, 5e-3, 3e-4, 1e-5, 7e-6, 1e-2] {
            assert_eq!(levels_named_bound(log_levels(e)), e);
        }
    }
}
