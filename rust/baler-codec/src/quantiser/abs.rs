//! `abs:E`: the nearest multiple of the step 2E; the code is the (signed) multiple.

use std::marker::PhantomData;

use super::{is_special, within, Quantiser};
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

    #[inline(always)]
    fn within_bound(&self, x: T, y: T) -> bool {
        !is_special::<T>(x.bits()) && within(x.to_f64(), y.to_f64(), self.bound)
    }

    #[inline(always)]
    fn predicted_code(&self, x: T) -> i64 {
        let qf = (x.to_f64() / self.step).round();
        if qf.is_nan() {
            0
        } else {
            qf.clamp(-T::Q_LIMIT, T::Q_LIMIT) as i64
        }
    }

    #[inline(always)]
    fn reconstruct(&self, q: i64) -> T {
        T::from_f64(q as f64 * self.step)
    }
}
