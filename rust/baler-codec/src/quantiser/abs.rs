//! `abs:E`: the nearest multiple of the step 2E; the code is the (signed) multiple.

use std::marker::PhantomData;

use super::{is_special, reconstruct_predicted_each, within, Quantiser, RUN};
use crate::float::Flt;

pub(crate) struct Abs<T> {
    step: f64,
    bound: f64,
    ty: PhantomData<T>,
}

impl<T: Flt> Abs<T> {
    /// The quantiser for the absolute bound `e` (finite, > 0: the caller checks).
    pub(crate) fn new(e: f64) -> Self {
        Abs { step: 2.0 * e, bound: e, ty: PhantomData }
    }

    /// The quantiser a section with this step was written with (`step` finite, > 0).
    pub(crate) fn with_step(step: f64) -> Self {
        Abs { step, bound: step / 2.0, ty: PhantomData }
    }

    pub(crate) fn step(&self) -> f64 {
        self.step
    }
}

/// `v` rounded to the nearest integer, halves away from zero (as `f64::round`), through an i32:
/// the truncation and the fraction are exact, and unlike `round` (a libm call on x86-64 without
/// SSE4.1) and the saturating `as`, both vectorise. For the float32 runs, whose codes fit an i32
/// (returned as the i64 every code is).
///
/// # Safety
/// `v` is finite and |v| < 2^31 - 1.
#[inline(always)]
unsafe fn round_through_i32(v: f64) -> i64 {
    let truncated: i32 = v.to_int_unchecked();
    let fraction = v - truncated as f64;
    truncated as i64 + (fraction >= 0.5) as i64 - (fraction <= -0.5) as i64
}

impl<T: Flt> Quantiser<T> for Abs<T> {
    const SIGNS_APART: bool = false;

    #[inline(always)]
    fn quantise(&self, x: T) -> Option<(i64, T)> {
        if is_special::<T>(x.bits()) {
            return None;
        }
        let xf = x.to_f64();
        let qf = (xf / self.step).round();
        // x / step can overflow to infinity; the NaN test keeps the check total
        if qf.is_nan() || qf.abs() > T::Q_LIMIT {
            return None;
        }
        let q = qf as i64;
        let xr = self.reconstruct(q);
        within(xf, xr.to_f64(), self.bound).then_some((q, xr))
    }

    /// For f32, whose codes fit an i32, [`Quantiser::quantise`] of each value without a branch:
    /// the rounding as in `predicted_code`, through an i32, and the refusals or-ed together,
    /// all of which vectorise (a per-value section quantises its values a run at a time).
    /// `round(v)` is within the code limit, an integer, exactly when `|v|` is below it plus one
    /// half (never for NaN).
    #[inline(always)]
    fn quantise_run(&self, xs: &[T], codes: &mut [i64; RUN], recon: &mut [T; RUN]) -> bool {
        if T::Q_LIMIT > i32::MAX as f64 {
            return super::quantise_each(self, xs, codes, recon);
        }
        let mut accepted = true;
        for ((&x, code), y) in xs.iter().zip(codes.iter_mut()).zip(recon.iter_mut()) {
            let xf = x.to_f64();
            let v = xf / self.step;
            let in_range = v.abs() < T::Q_LIMIT + 0.5;
            // SAFETY: |v| < Q_LIMIT + 1/2 <= 2^31 - 1 (checked above)
            let q = unsafe { round_through_i32(if in_range { v } else { 0.0 }) };
            *code = q;
            // q fits an i32, whose conversion vectorises where an i64's does not
            *y = T::from_f64(q as i32 as f64 * self.step);
            accepted &= in_range & !is_special::<T>(x.bits()) & within(xf, y.to_f64(), self.bound);
        }
        accepted
    }

    #[inline(always)]
    fn within_bound(&self, x: T, y: T) -> bool {
        !is_special::<T>(x.bits()) && within(x.to_f64(), y.to_f64(), self.bound)
    }

    #[inline(always)]
    fn predicted_code(&self, x: T) -> i64 {
        let v = x.to_f64() / self.step;
        if v.is_nan() {
            return 0;
        }
        // v.round().clamp(-limit, limit), which every block was written with, without `round`: on
        // x86-64 without SSE4.1 that is a function call per value (7.5% of an ae: decode of the
        // pulses). The limit is an integer, so clamping first changes nothing; the truncation of
        // the clamped value and its fraction are exact, and a fraction of one half rounds away.
        let clamped = v.clamp(-T::Q_LIMIT, T::Q_LIMIT);
        // SAFETY: clamped is finite and within +-2^52
        let truncated: i64 = unsafe { clamped.to_int_unchecked() };
        let fraction = clamped - truncated as f64;
        truncated + (fraction >= 0.5) as i64 - (fraction <= -0.5) as i64
    }

    #[inline(always)]
    fn reconstruct(&self, q: i64) -> T {
        T::from_f64(q as f64 * self.step)
    }

    /// For f32, whose predicted codes fit an i32, a run at a time: the code's truncation through
    /// i32 and the sum's conversion to f64 by the exponent of 1.5·2^52 (exact for |q| < 2^51),
    /// both of which vectorise where i64 conversions do not. A run whose sum leaves that range
    /// (only a corrupt residual can) is computed again value by value.
    #[inline(always)]
    fn reconstruct_predicted(&self, predicted: &[f64], residuals: &[i64], out: &mut [T]) {
        if T::Q_LIMIT > i32::MAX as f64 {
            return reconstruct_predicted_each(self, predicted, residuals, out);
        }
        const MAGIC: f64 = 6755399441055744.0; // 1.5 * 2^52
        for ((p, r), y) in predicted.chunks(RUN).zip(residuals.chunks(RUN)).zip(out.chunks_mut(RUN)) {
            let mut exact = true;
            for ((y, &p), &r) in y.iter_mut().zip(p).zip(r) {
                // predicted_code, with the same clamp and rounding of the fraction
                let v = T::from_f64(p).to_f64() / self.step;
                let clamped = if v.is_nan() { 0.0 } else { v.clamp(-T::Q_LIMIT, T::Q_LIMIT) };
                // SAFETY: clamped is finite and within +-Q_LIMIT <= 2^31 - 1 (checked above)
                let code = unsafe { round_through_i32(clamped) };
                let q = code.wrapping_add(r);
                exact &= (q.wrapping_add(1 << 51) as u64) < 1 << 52;
                let qf = f64::from_bits(MAGIC.to_bits().wrapping_add(q as u64)) - MAGIC;
                *y = T::from_f64(qf * self.step);
            }
            if !exact {
                reconstruct_predicted_each(self, p, r, y);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The prediction's code is round(x / step) clamped to the code limit, bit for bit as the
    /// decoders of every committed block computed it: on halves either side of each code, values
    /// past the limit, the infinities and NaN, for both float types.
    fn predicted_code_is_the_clamped_rounding<T: Flt>() {
        for step in [0.02, 2.0, 1e-30, 3.0e20] {
            let q = Abs::<T>::with_step(step);
            let mut xs: Vec<f64> = (-3000..3000).flat_map(|i| [i as f64 * 0.25, (i as f64 + 0.5) * (1.0 + 1e-15), (i as f64 + 0.5) * (1.0 - 1e-15)]).map(|c| c * step).collect();
            xs.extend([0.0, -0.0, T::Q_LIMIT * step, -T::Q_LIMIT * step * 4.0, f64::MAX, f64::INFINITY, f64::NEG_INFINITY, f64::NAN]);
            for x in xs.into_iter().map(T::from_f64) {
                let v = (x.to_f64() / step).round();
                let expected = if v.is_nan() { 0 } else { v.clamp(-T::Q_LIMIT, T::Q_LIMIT) as i64 };
                assert_eq!(q.predicted_code(x), expected, "x = {:e}, step {step:e}", x.to_f64());
            }
        }
    }

    /// A run is accepted exactly when `quantise` accepts each of its values, with its codes and
    /// values: on values at and around the half steps, at and past the code limit (with a step
    /// that puts 1.0 at the limit plus one half exactly), and special values, in runs of every
    /// length (f32 takes the branch-free path, f64 value by value).
    fn runs_quantise_as_each_value_does<T: Flt>() {
        for step in [0.02, 2.0, 1e-30, 3.0e20, 1.0 / (T::Q_LIMIT + 0.5)] {
            let q = Abs::<T>::with_step(step);
            let mut xs: Vec<f64> = (-3000..3000).flat_map(|i| [i as f64 * 0.25, (i as f64 + 0.5) * (1.0 + 1e-7), (i as f64 + 0.5) * (1.0 - 1e-7)]).map(|c| c * step).collect();
            for c in [T::Q_LIMIT - 0.5, T::Q_LIMIT, T::Q_LIMIT + 0.5, T::Q_LIMIT + 1.0, 2.0 * T::Q_LIMIT] {
                xs.extend([c * step, -c * step]);
            }
            xs.extend([1.0, -1.0, 0.0, -0.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e-310, f64::MAX]);
            let xs: Vec<T> = xs.into_iter().map(T::from_f64).collect();
            let mut accepted_runs = 0;
            for len in 1..=RUN {
                for run in xs.chunks(len) {
                    let (mut codes, mut recon) = ([0i64; RUN], [T::from_bits(0); RUN]);
                    let each: Option<Vec<(i64, T)>> = run.iter().map(|&x| q.quantise(x)).collect();
                    let accepted = q.quantise_run(run, &mut codes, &mut recon);
                    assert_eq!(accepted, each.is_some(), "{} step {step:e}: run {:?}", T::NAME, run.iter().map(|x| x.to_f64()).collect::<Vec<_>>());
                    for (k, (code, xr)) in each.into_iter().flatten().enumerate() {
                        assert_eq!((codes[k], recon[k].bits()), (code, xr.bits()), "{} step {step:e}: value {k} of a run", T::NAME);
                    }
                    accepted_runs += usize::from(accepted);
                }
            }
            assert!(accepted_runs > 10_000, "{} step {step:e}: {accepted_runs} runs accepted", T::NAME);
        }
    }

    #[test]
    fn runs_quantise_as_each_value_does_f32_and_f64() {
        runs_quantise_as_each_value_does::<f32>();
        runs_quantise_as_each_value_does::<f64>();
    }

    #[test]
    fn predicted_code_is_the_clamped_rounding_f32_and_f64() {
        predicted_code_is_the_clamped_rounding::<f32>();
        predicted_code_is_the_clamped_rounding::<f64>();
    }
}
