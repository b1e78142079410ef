//! Per-value quantisers, one module per lossy spec behind one interface.
//!
//! A quantiser maps a value to an integer code whose reconstruction is checked against the bound
//! before the code is kept: `reconstruct(quantise(x))` is within the spec for every value it
//! accepts, whatever floating-point subtleties lie in the quantiser's arithmetic. Values it
//! refuses (NaN, ±Inf, -0.0, subnormals, and any value whose reconstruction would break the
//! bound or whose code would overflow) go to the float section's exact exception channel. The
//! per-value float section (`float.rs`) and the autoencoder's residual both code through this
//! interface, so a value comes back identical whichever path stored it.

mod abs;
mod bits;
mod rel;

pub(crate) use abs::Abs;
pub(crate) use bits::Bits;
pub(crate) use rel::{det_exp2, levels_named_bound, log_levels, Rel, MAX_LOG_LEVELS};

use crate::error::CodecError;
use crate::float::Flt;
use crate::spec::Spec;

/// One per-value quantiser for the float type `T`.
pub(crate) trait Quantiser<T: Flt> {
    /// Whether codes are stored as magnitudes with the signs in a separate bit stream (`bits`,
    /// `rel`): then the reconstruction of -q is that of q with the sign bit set, and code 0 (only
    /// ever the code of +0.0) reconstructs to +0.0.
    const SIGNS_APART: bool;

    /// The code of `x` and its reconstruction, or None when `x` must be stored exactly.
    fn quantise(&self, x: T) -> Option<(i64, T)>;

    /// The value of code `q`: exactly what the decoder computes. Total: any code gives some value.
    fn reconstruct(&self, q: i64) -> T;

    /// [`Quantiser::quantise`] of each value of `xs` (at most [`RUN`] values) into `codes` and
    /// `recon`, when every one of them is accepted; false when some value must be stored exactly
    /// (the contents of `codes` and `recon` are then meaningless). A quantiser can compute a run
    /// without a branch per value; this default is the value-by-value loop.
    #[inline(always)]
    fn quantise_run(&self, xs: &[T], codes: &mut [i64; RUN], recon: &mut [T; RUN]) -> bool {
        quantise_each(self, xs, codes, recon)
    }

    /// Whether `y` is within the encoder's bound of `x` (a value this quantiser accepted): the
    /// check a value takes before it is given another value than its own reconstruction (a
    /// sentinel's, `float::Sentinels`).
    fn within_bound(&self, x: T, y: T) -> bool;

    /// A code near `x` (a prediction, not a value to store): any code is correct, a near one is
    /// cheap. It must depend only on what a decoder knows (the section's parameters, not the
    /// encoder's bound) and use only operations that give the same bits everywhere (no libm),
    /// because the decoder of the autoencoder section recomputes it. 0 for non-finite `x`.
    fn predicted_code(&self, x: T) -> i64;

    /// The code of a model's prediction: [`Quantiser::predicted_code`] of the predicted value in
    /// the float type, of its magnitude where the quantiser keeps signs apart.
    #[inline(always)]
    fn prediction_code(&self, predicted: f64) -> i64 {
        let p = if Self::SIGNS_APART { predicted.abs() } else { predicted };
        self.predicted_code(T::from_f64(p))
    }

    /// What the decoder of a predicted section computes for each value: the reconstruction of
    /// the prediction's code plus the stored residual, `reconstruct(prediction_code(p) + r)`
    /// (wrapping), into `out`. A quantiser can compute it without the integer conversions that
    /// do not vectorise; this default is the value-by-value loop.
    #[inline(always)]
    fn reconstruct_predicted(&self, predicted: &[f64], residuals: &[i64], out: &mut [T]) {
        reconstruct_predicted_each(self, predicted, residuals, out)
    }
}

/// [`Quantiser::quantise_run`] value by value.
#[inline(always)]
pub(crate) fn quantise_each<T: Flt, Q: Quantiser<T> + ?Sized>(q: &Q, xs: &[T], codes: &mut [i64; RUN], recon: &mut [T; RUN]) -> bool {
    for (k, &x) in xs.iter().enumerate() {
        let Some((code, xr)) = q.quantise(x) else { return false };
        codes[k] = code;
        recon[k] = xr;
    }
    true
}

/// [`Quantiser::reconstruct_predicted`] value by value.
#[inline(always)]
pub(crate) fn reconstruct_predicted_each<T: Flt, Q: Quantiser<T> + ?Sized>(q: &Q, predicted: &[f64], residuals: &[i64], out: &mut [T]) {
    for ((y, &p), &r) in out.iter_mut().zip(predicted).zip(residuals) {
        *y = q.reconstruct(q.prediction_code(p).wrapping_add(r));
    }
}

/// Values per [`Quantiser::quantise_run`]: a run's codes and reconstructions stay in registers.
pub(crate) const RUN: usize = 8;

/// The quantiser a spec asks for, for one float type.
pub(crate) enum Choice<T: Flt> {
    Lossless,
    Bits(Bits<T>),
    Rel(Rel<T>),
    Abs(Abs<T>),
}

/// The quantiser for `spec` on data of type `T`, or why the spec cannot apply to that data.
pub(crate) fn choose<T: Flt>(spec: &Spec) -> Result<Choice<T>, CodecError> {
    Ok(match *spec {
        Spec::Lossless => Choice::Lossless,
        Spec::Bits(n) => {
            let n = n as u32;
            if n == 0 || n > f64::MBITS {
                return Err(CodecError::InvalidArgument(format!(
                    "bits:{n} is not valid for {} data: N must satisfy 1 <= N <= {}",
                    T::NAME,
                    f64::MBITS
                )));
            }
            // N at or above the type's mantissa rounds nothing: one spec over float and double
            // branches (`bits:30`) keeps every bit of the floats and rounds the doubles.
            if n >= T::MBITS {
                Choice::Lossless
            } else {
                Choice::Bits(Bits::new(n))
            }
        }
        Spec::Rel(e) => {
            if !(e > 0.0 && e < 1.0) {
                return Err(CodecError::InvalidArgument(format!("rel:{e}: relative bound must satisfy 0 < E < 1")));
            }
            let k = log_levels(e);
            if k <= MAX_LOG_LEVELS {
                Choice::Rel(Rel::with_levels(k as u32))
            } else {
                // very tight bound: mantissa rounding to the fewest bits that meet it
                let mut n = 1u32;
                while n < T::MBITS && (-((n + 1) as f64)).exp2() > e {
                    n += 1;
                }
                if n >= T::MBITS {
                    Choice::Lossless
                } else {
                    Choice::Bits(Bits::new(n))
                }
            }
        }
        Spec::Abs(e) => {
            if !(e > 0.0 && e.is_finite()) {
                return Err(CodecError::InvalidArgument(format!("abs:{e}: absolute bound must satisfy E > 0")));
            }
            Choice::Abs(Abs::new(e))
        }
        // the autoencoder codes each value with its bound's per-value quantiser
        Spec::Ae { ref bound, .. } => return choose(&crate::ae::per_value_spec(bound)),
    })
}

/// Safety factor on every bound check: absorbs the rounding of the check itself
/// (|x'-x| and E*|x| are computed in f64), so the mathematical bound holds.
const SAFETY: f64 = 1.0 - 1.0 / (1u64 << 40) as f64;

/// The bound check every quantiser applies to its reconstruction.
#[inline(always)]
fn within(x: f64, xr: f64, bound: f64) -> bool {
    (xr - x).abs() <= bound * SAFETY
}

/// For the relative quantisers (`bits`, `rel`): `x` as f64 when it is theirs to code, None when
/// it goes to the exception channel (special values, and magnitudes below `T::MIN_REL`, where a
/// relative bound has no room).
#[inline(always)]
pub(crate) fn relative_candidate<T: Flt>(x: T) -> Option<f64> {
    if is_special::<T>(x.bits()) {
        return None;
    }
    let xf = x.to_f64();
    (xf.abs() >= T::MIN_REL).then_some(xf)
}

/// NaN, ±Inf, -0.0 and subnormals (bit pattern `b`): always stored exactly.
#[inline(always)]
pub(crate) fn is_special<T: Flt>(b: u64) -> bool {
    let e = b & T::EXP_MASK;
    // `|` and `&`, not `||` and `&&`: no branch, so that the checks of a run vectorise
    (e == T::EXP_MASK) | ((e == 0) & (b != 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::f64_within_spec;

    /// The interface's contract on values spread over every binade and the specials: an accepted
    /// value's reconstruction equals `reconstruct(code)` and is within the spec; specials are refused;
    /// `quantise_run` accepts a run exactly when `quantise` accepts each of its values, with the same
    /// codes and reconstructions.
    fn contract<T: Flt, Q: Quantiser<T>>(q: &Q, spec: &Spec, vals: &[T]) {
        let mut refused = 0;
        let ordinary = vals.iter().filter(|x| (1e-3..=1e3).contains(&x.to_f64().abs())).count();
        for &x in vals {
            let special = is_special::<T>(x.bits());
            match q.quantise(x) {
                Some((code, xr)) => {
                    assert!(!special, "{spec}: special {:#x} accepted", x.bits());
                    assert_eq!(q.reconstruct(code).bits(), xr.bits(), "{spec}: reconstruct(quantise(x)) differs");
                    assert!(f64_within_spec(spec, x.to_f64(), xr.to_f64()), "{spec}: {:e} -> {:e}", x.to_f64(), xr.to_f64());
                    if Q::SIGNS_APART {
                        assert_eq!(code < 0, x.bits() & T::SIGN != 0, "{spec}: code sign");
                    }
                    // a prediction that is the value itself costs (nearly) nothing
                    let p = q.predicted_code(x);
                    assert!((p - code).abs() <= 1, "{spec}: predicted code {p} for code {code}");
                }
                None => {
                    let a = x.to_f64().abs();
                    if (1e-3..=1e3).contains(&a) {
                        refused += 1;
                    }
                }
            }
        }
        // a run is accepted exactly when each of its values is, with the codes and values of
        // quantise: full runs and the shorter ones a block ends with
        for run in [RUN, 5, 1].into_iter().flat_map(|len| vals.chunks(len)) {
            let (mut codes, mut recon) = ([0i64; RUN], [T::from_bits(0); RUN]);
            let each: Option<Vec<(i64, T)>> = run.iter().map(|&x| q.quantise(x)).collect();
            let accepted = q.quantise_run(run, &mut codes, &mut recon);
            assert_eq!(accepted, each.is_some(), "{spec}: run of {:x?}", run.iter().map(|x| x.bits()).collect::<Vec<_>>());
            for (k, (code, xr)) in each.into_iter().flatten().enumerate() {
                assert_eq!((codes[k], recon[k].bits()), (code, xr.bits()), "{spec}: value {k} of a run");
            }
        }
        // refusing is always safe, but these specs have a code for nearly every ordinary value
        // (abs refuses those whose rounding to the float type pushes them past the bound)
        assert!(refused * 100 <= ordinary, "{spec}: {refused} of {ordinary} ordinary values refused");
    }

    fn values_f32() -> Vec<f32> {
        let mut v: Vec<f32> = (0..5000u32).map(|i| f32::from_bits(i.wrapping_mul(2654435761) & 0x7fff_ffff)).collect();
        v.extend(v.clone().iter().map(|x| -x));
        v.extend([0.0, -0.0, f32::NAN, f32::INFINITY, f32::from_bits(1), f32::MAX, 1.0, -3000.0]);
        v
    }

    fn values_f64() -> Vec<f64> {
        let mut v: Vec<f64> = (0..5000u64).map(|i| f64::from_bits(i.wrapping_mul(0x9E37_79B9_7F4A_7C15) & 0x7fff_ffff_ffff_ffff)).collect();
        v.extend(v.clone().iter().map(|x| -x));
        v.extend([0.0, -0.0, f64::NAN, f64::INFINITY, f64::from_bits(1), f64::MAX, 1.0, -3000.0]);
        v
    }

    fn check_all<T: Flt>(vals: &[T]) {
        for s in ["bits:1", "bits:7", "bits:10", "bits:22", "rel:0.5", "rel:1e-3", "rel:1e-6", "abs:1e-3", "abs:7", "abs:1e30"] {
            let spec: Spec = s.parse().unwrap();
            match choose::<T>(&spec).unwrap() {
                Choice::Lossless => {}
                Choice::Bits(q) => contract(&q, &spec, vals),
                Choice::Rel(q) => contract(&q, &spec, vals),
                Choice::Abs(q) => contract(&q, &spec, vals),
            }
        }
    }

    #[test]
    fn every_quantiser_keeps_its_contract_f32() {
        check_all::<f32>(&values_f32());
    }

    #[test]
    fn every_quantiser_keeps_its_contract_f64() {
        check_all::<f64>(&values_f64());
    }
}
