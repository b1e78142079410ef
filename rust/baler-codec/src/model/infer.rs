//! Fixed-point inference: the encoder (writer only) and the decoder (writer and every reader).
//!
//! Only the decoder's result must be identical everywhere, and it is integer arithmetic up to the
//! normalised prediction; the inverse normalisation then uses two f64 operations on normal
//! numbers and, for the log transform, a power of two from a table built with correctly rounded
//! operations only (no libm). The encoder may use libm (`log2`): it only chooses the latent,
//! which is stored.

use std::sync::OnceLock;

use super::{Layer, Model, Transform, FRAC_BITS};
use crate::quantiser::det_exp2;

/// Activations are clamped to this magnitude (2^18 in real units): with int16 weights and at
/// most 4096 inputs a sum stays below 2^62: no overflow.
const ACTIVATION_LIMIT: i64 = 1 << 34;
/// Latent codes are clamped to this magnitude, so that `code << FRAC_BITS` is an activation.
pub(crate) const LATENT_LIMIT: i64 = 1 << 18;

/// Work buffers for one row, reused across rows.
#[derive(Default)]
pub(crate) struct Scratch {
    a: Vec<i64>,
    b: Vec<i64>,
}

/// Runs `layers` on `x` (in `s.a`), leaky ReLU after every layer but the last; result in `s.a`.
fn run(layers: &[Layer], s: &mut Scratch) {
    let last = layers.len() - 1;
    for (i, l) in layers.iter().enumerate() {
        s.b.clear();
        let round = if l.shift > 0 { 1i64 << (l.shift - 1) } else { 0 };
        for (o, w_row) in l.weights.chunks_exact(l.inputs).enumerate() {
            let mut acc: i64 = 0;
            for (w, x) in w_row.iter().zip(&s.a) {
                acc += *w as i64 * *x;
            }
            let mut y = ((acc + round) >> l.shift) + l.bias[o] as i64;
            y = y.clamp(-ACTIVATION_LIMIT, ACTIVATION_LIMIT);
            if i != last && y < 0 {
                y >>= 3; // leaky ReLU, slope 1/8
            }
            s.b.push(y);
        }
        std::mem::swap(&mut s.a, &mut s.b);
    }
}

/// 2^(i/1024) for i in 0..=1024, from `det_exp2`: the same bits everywhere.
fn exp2_table() -> &'static [f64; 1025] {
    static T: OnceLock<Box<[f64; 1025]>> = OnceLock::new();
    T.get_or_init(|| {
        let mut t = Box::new([0f64; 1025]);
        for (i, v) in t.iter_mut().enumerate() {
            *v = det_exp2(i as f64 / 1024.0);
        }
        t
    })
}

/// 2^t for t clamped to [-1022, 1023]: t in fixed point with 20 fractional bits (truncated),
/// the exponent from its integer part, the mantissa by linear interpolation in `exp2_table`
/// between its 1024ths (relative error below 1e-6: the prediction only needs to be close, and
/// the same on every machine). Integer operations and correctly rounded IEEE operations only.
fn deterministic_exp2(t: f64) -> f64 {
    let t = if t.is_nan() { 0.0 } else { t.clamp(-1022.0, 1023.0) };
    let fixed = (t * 1048576.0) as i64; // 2^20
    let whole = fixed >> 20;
    let i = ((fixed >> 10) & 1023) as usize;
    let r = (fixed & 1023) as f64 * (1.0 / 1024.0);
    let tab = exp2_table();
    let m = tab[i] + (tab[i + 1] - tab[i]) * r;
    m * f64::from_bits(((whole + 1023) as u64) << 52)
}

/// 2^FRAC_BITS: one unit of the fixed-point activations.
const UNIT: f64 = (1u64 << FRAC_BITS) as f64;

impl Model {
    /// The latent codes of one row (K values; values the transform cannot take, such as zeros
    /// and non-finite values under the log transform, enter as the column's mean).
    pub(crate) fn encode_row(&self, row: &[f64], latent: &mut Vec<i64>, s: &mut Scratch) {
        s.a.clear();
        for ((&x, &o), &sc) in row.iter().zip(&self.offset).zip(&self.scale) {
            let t = match self.transform {
                Transform::Linear => x,
                Transform::Log2Magnitude => x.abs().log2(),
            };
            let z = (t - o) / sc;
            let v = if z.is_finite() { (z * UNIT).round().clamp(-(ACTIVATION_LIMIT as f64), ACTIVATION_LIMIT as f64) as i64 } else { 0 };
            s.a.push(v);
        }
        run(&self.layers[..self.encoder_layers], s);
        latent.clear();
        let half = 1i64 << (FRAC_BITS - 1);
        latent.extend(s.a.iter().map(|&v| ((v + half) >> FRAC_BITS).clamp(-LATENT_LIMIT, LATENT_LIMIT)));
    }

    /// The predicted values of one row from its latent codes (for the log transform, the
    /// predicted magnitudes), appended to `out`.
    pub(crate) fn decode_row(&self, latent: &[i64], out: &mut Vec<f64>, s: &mut Scratch) {
        s.a.clear();
        s.a.extend(latent.iter().map(|&c| c.clamp(-LATENT_LIMIT, LATENT_LIMIT) << FRAC_BITS));
        run(&self.layers[self.encoder_layers..], s);
        for ((&v, &o), &sc) in s.a.iter().zip(&self.offset).zip(&self.scale) {
            let t = o + sc * (v as f64 / UNIT);
            out.push(match self.transform {
                Transform::Linear => t,
                Transform::Log2Magnitude => deterministic_exp2(t),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp2_is_close_and_monotonic() {
        let mut prev = 0.0;
        for i in -4000..4000 {
            let t = i as f64 / 997.0;
            let y = deterministic_exp2(t);
            assert!((y / t.exp2() - 1.0).abs() < 1e-6, "2^{t}: {y}");
            assert!(y >= prev);
            prev = y;
        }
        assert_eq!(deterministic_exp2(3.0), 8.0);
        assert_eq!(deterministic_exp2(-1.0), 0.5);
        assert!(deterministic_exp2(f64::NAN).is_finite() && deterministic_exp2(1e9).is_finite());
    }
}
