//! `bits:N`: the mantissa rounded to N bits, to nearest (ties away from zero), carrying into the
//! exponent. The code is the rounded magnitude's bit pattern shifted right, with the value's sign.

use std::marker::PhantomData;

use super::{is_special, within, Quantiser, RUN};
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

    /// The code of the value with bit pattern `b`: its magnitude rounded to N bits (to nearest,
    /// ties away from zero), with its sign.
    #[inline(always)]
    fn code(&self, b: u64) -> i64 {
        let magnitude = self.rounded_magnitude(b) as i64;
        if b & T::SIGN != 0 {
            -magnitude
        } else {
            magnitude
        }
    }

    /// The magnitude of the value with bit pattern `b` rounded to N bits (to nearest, ties away
    /// from zero), shifted right: the code without its sign.
    #[inline(always)]
    fn rounded_magnitude(&self, b: u64) -> u64 {
        ((b & !T::SIGN) + self.half) >> self.shift
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
        let q = self.code(x.bits());
        let xr = self.reconstruct(q);
        self.within_bound(x, xr).then_some((q, xr))
    }

    /// `quantise` of each value, the refusals or-ed together rather than a branch per value:
    /// the branches cost more than the arithmetic, and almost every run of a block has no value
    /// to refuse. Written lane by lane without a branch (the reconstruction from the value's own
    /// sign, the same as `reconstruct` of its code wherever the value is accepted:
    /// a refused value's code and reconstruction are not used), so that a full run vectorises.
    #[inline(always)]
    fn quantise_run(&self, xs: &[T], codes: &mut [i64; RUN], recon: &mut [T; RUN]) -> bool {
        // A short run is padded with 1.0, which is always accepted, so that every loop below has
        // RUN lanes.
        debug_assert!(xs.len() <= RUN, "a run of {} values", xs.len());
        let mut bits = [T::from_f64(1.0).bits(); RUN];
        for (b, x) in bits.iter_mut().zip(xs) {
            *b = x.bits();
        }
        for k in 0..RUN {
            codes[k] = self.code(bits[k]);
            recon[k] = T::from_bits((bits[k] & T::SIGN) | ((self.rounded_magnitude(bits[k]) << self.shift) & (T::SIGN - 1)));
        }
        let mut refused = false;
        for k in 0..RUN {
            refused |= !self.within_bound(T::from_bits(bits[k]), recon[k]);
        }
        !refused
    }

    /// Special values and magnitudes below `T::MIN_REL` are never within (as
    /// `relative_candidate` refuses them); computed without a branch, for `quantise_run`.
    #[inline(always)]
    fn within_bound(&self, x: T, y: T) -> bool {
        let xf = x.to_f64();
        !is_special::<T>(x.bits()) & (xf.abs() >= T::MIN_REL) & within(xf, y.to_f64(), self.rel * xf.abs())
    }

    #[inline(always)]
    fn predicted_code(&self, x: T) -> i64 {
        let b = x.bits();
        if b & T::EXP_MASK == T::EXP_MASK {
            return 0;
        }
        self.code(b)
    }

    #[inline(always)]
    fn reconstruct(&self, q: i64) -> T {
        let sign = if q < 0 { T::SIGN } else { 0 };
        let mag = (q.unsigned_abs() << self.shift) & (T::SIGN - 1);
        T::from_bits(sign | mag)
    }
}
