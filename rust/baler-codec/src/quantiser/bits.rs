//! `bits:N`: the mantissa rounded to N bits, to nearest (ties away from zero), carrying into the
//! exponent. The code is the rounded magnitude's bit pattern shifted right, with the value's sign.

use std::marker::PhantomData;

use super::{is_special, relative_candidate, within, Quantiser, RUN};
use crate::float::Flt;

pub(crate) struct Bits<T> {
    /// Mantissa bits dropped: M - N.
    shift: u32,
    /// Half a unit of the kept mantissa, added before the shift to round to nearest.
    half: u64,
    /// The relative bound 2^-(N+1).
    rel: f64,
    ty: PhantomData<T>,
}

impl<T: Flt> Bits<T> {
    /// Keeps `n` mantissa bits, 1 <= n < T::MBITS (the caller checks).
    pub(crate) fn new(n: u32) -> Self {
        let shift = T::MBITS - n;
        Bits { shift, half: 1u64 << (shift - 1), rel: (-((n + 1) as f64)).exp2(), ty: PhantomData }
    }

    /// N, as stored in the section header.
    pub(crate) fn kept_bits(&self) -> u32 {
        T::MBITS - self.shift
    }
}

impl<T: Flt> Quantiser<T> for Bits<T> {
    const SIGNS_APART: bool = true;

    #[inline(always)]
    fn quantise(&self, x: T) -> Option<(i64, T)> {
        let xf = relative_candidate(x)?;
        let b = x.bits();
        let mag = b & !T::SIGN;
        let qm = ((mag + self.half) >> self.shift) as i64;
        let q = if b & T::SIGN != 0 { -qm } else { qm };
        let xr = self.reconstruct(q);
        within(xf, xr.to_f64(), self.rel * xf.abs()).then_some((q, xr))
    }

    /// `quantise` of each value, every step computed for all of the run and the refusals or-ed
    /// together: the per-value branches of `quantise` (special values, the bound check) cost more
    /// than its arithmetic, and almost every run of a block has no value to refuse.
    #[inline(always)]
    fn quantise_run(&self, xs: &[T], codes: &mut [i64; RUN], recon: &mut [T; RUN]) -> bool {
        let mut accepted = true;
        for (k, &x) in xs.iter().enumerate() {
            let b = x.bits();
            let xf = x.to_f64();
            let mag = b & !T::SIGN;
            let qm = ((mag + self.half) >> self.shift) as i64;
            let q = if b & T::SIGN != 0 { -qm } else { qm };
            let xr = self.reconstruct(q);
            // relative_candidate and within, as quantise applies them
            accepted &= !is_special::<T>(b) & (xf.abs() >= T::MIN_REL) & within(xf, xr.to_f64(), self.rel * xf.abs());
            codes[k] = q;
            recon[k] = xr;
        }
        accepted
    }

    #[inline(always)]
    fn within_bound(&self, x: T, y: T) -> bool {
        relative_candidate(x).is_some_and(|xf| within(xf, y.to_f64(), self.rel * xf.abs()))
    }

    #[inline(always)]
    fn predicted_code(&self, x: T) -> i64 {
        let b = x.bits();
        if b & T::EXP_MASK == T::EXP_MASK {
            return 0;
        }
        let qm = (((b & !T::SIGN) + self.half) >> self.shift) as i64;
        if b & T::SIGN != 0 {
            -qm
        } else {
            qm
        }
    }

    #[inline(always)]
    fn reconstruct(&self, q: i64) -> T {
        let sign = if q < 0 { T::SIGN } else { 0 };
        let mag = (q.unsigned_abs() << self.shift) & (T::SIGN - 1);
        T::from_bits(sign | mag)
    }
}
