//! Fixed-point inference: the encoder (writer only) and the decoder (writer and every reader).
//!
//! Only the decoder's result must be identical everywhere, and it is integer arithmetic up to the
//! normalised prediction; the inverse normalisation then uses two f64 operations on normal
//! numbers and, for the log transform, a power of two from a table built with correctly rounded
//! operations only (no libm). The encoder may use libm (`log2`): it only chooses the latent,
//! which is stored.
//!
//! Rows run a tile at a time, column-major inside the tile (feature i of row r at i·n + r), so
//! each weight multiplies a contiguous run of activations: the inner loop has no dependence
//! between iterations and no per-row bookkeeping. Integer sums are exact in any order (see
//! [`ACTIVATION_LIMIT`]), so a tile computes exactly what a row at a time computes.

use std::sync::OnceLock;

use super::{Layer, Model, Transform, FRAC_BITS};
use crate::quantiser::det_exp2;

/// Activations are clamped to this magnitude (2^18 in real units): with int16 weights and at
/// most 4096 inputs every partial sum stays below 2^62, so no order of summation overflows.
const ACTIVATION_LIMIT: i64 = 1 << 34;
/// Latent codes are clamped to this magnitude, so that `code << FRAC_BITS` is an activation.
pub(crate) const LATENT_LIMIT: i64 = 1 << 18;
/// Rows per tile: a tile's activations (at most the widest layer, 4096, times this, in i64) stay
/// bounded whatever the block's size, and for the usual widths fit in the first-level cache.
pub(crate) const TILE_ROWS: usize = 256;

/// Work buffers for one tile, reused across tiles and blocks.
#[derive(Default)]
pub(crate) struct Scratch {
    a: Vec<i64>,
    b: Vec<i64>,
}

/// Runs `layers` on the `n` rows of a tile (column-major in `s.a`), leaky ReLU after every layer
/// but the last; the result column-major in `s.a`.
fn run(layers: &[Layer], n: usize, s: &mut Scratch) {
    let last = layers.len() - 1;
    for (i, l) in layers.iter().enumerate() {
        s.b.clear();
        s.b.resize(l.outputs * n, 0);
        let round = if l.shift > 0 { 1i64 << (l.shift - 1) } else { 0 };
        for ((out, w_row), &bias) in s.b.chunks_exact_mut(n).zip(l.weights.chunks_exact(l.inputs)).zip(&l.bias) {
            for (&w, input) in w_row.iter().zip(s.a.chunks_exact(n)) {
                let w = w as i64;
                for (acc, &x) in out.iter_mut().zip(input) {
                    *acc += w * x;
                }
            }
            for y in out.iter_mut() {
                let mut v = (((*y + round) >> l.shift) + bias as i64).clamp(-ACTIVATION_LIMIT, ACTIVATION_LIMIT);
                if i != last && v < 0 {
                    v >>= 3; // leaky ReLU, slope 1/8
                }
                *y = v;
            }
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
/// the exponent from its integer part, the mantissa by linear interpolation in `tab` (the
/// [`exp2_table`]) between its 1024ths (relative error below 1e-6: the prediction only needs to
/// be close, and the same on every machine). Integer operations and correctly rounded IEEE
/// operations only.
#[inline(always)]
fn deterministic_exp2(t: f64, tab: &[f64; 1025]) -> f64 {
    let t = if t.is_nan() { 0.0 } else { t.clamp(-1022.0, 1023.0) };
    let fixed = (t * 1048576.0) as i64; // 2^20
    let whole = fixed >> 20;
    let i = ((fixed >> 10) & 1023) as usize;
    let r = (fixed & 1023) as f64 * (1.0 / 1024.0);
    let m = tab[i] + (tab[i + 1] - tab[i]) * r;
    m * f64::from_bits(((whole + 1023) as u64) << 52)
}

/// 2^FRAC_BITS: one unit of the fixed-point activations.
const UNIT: f64 = (1u64 << FRAC_BITS) as f64;

impl Model {
    /// The latent codes of a tile of `n` rows (at most [`TILE_ROWS`]): `x` holds the K values of
    /// each row column-major (value j of row r at j·n + r), `latent` receives L·n codes
    /// column-major. Values the transform cannot take (zeros and non-finite values under the log
    /// transform) enter as the column's mean.
    pub(crate) fn encode_tile(&self, x: &[f64], n: usize, latent: &mut Vec<i64>, s: &mut Scratch) {
        s.a.clear();
        for ((column, &o), &sc) in x.chunks_exact(n).zip(&self.offset).zip(&self.scale) {
            s.a.extend(column.iter().map(|&x| {
                let t = match self.transform {
                    Transform::Linear => x,
                    Transform::Log2Magnitude => x.abs().log2(),
                };
                let z = (t - o) / sc;
                if z.is_finite() {
                    (z * UNIT).round().clamp(-(ACTIVATION_LIMIT as f64), ACTIVATION_LIMIT as f64) as i64
                } else {
                    0
                }
            }));
        }
        run(&self.layers[..self.encoder_layers], n, s);
        latent.clear();
        let half = 1i64 << (FRAC_BITS - 1);
        latent.extend(s.a.iter().map(|&v| ((v + half) >> FRAC_BITS).clamp(-LATENT_LIMIT, LATENT_LIMIT)));
    }

    /// The predicted values of a tile of `n` rows from their latent codes (L·n, column-major):
    /// K·n values column-major into `out` (for the log transform, the predicted magnitudes).
    pub(crate) fn decode_tile(&self, latent: &[i64], n: usize, out: &mut Vec<f64>, s: &mut Scratch) {
        s.a.clear();
        s.a.extend(latent.iter().map(|&c| c.clamp(-LATENT_LIMIT, LATENT_LIMIT) << FRAC_BITS));
        run(&self.layers[self.encoder_layers..], n, s);
        out.clear();
        let tab = exp2_table();
        for ((column, &o), &sc) in s.a.chunks_exact(n).zip(&self.offset).zip(&self.scale) {
            match self.transform {
                Transform::Linear => out.extend(column.iter().map(|&v| o + sc * (v as f64 / UNIT))),
                Transform::Log2Magnitude => out.extend(column.iter().map(|&v| deterministic_exp2(o + sc * (v as f64 / UNIT), tab))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DenseLayer, ModelParts};

    /// A model with hidden layers on both sides and weights of every sign and size, so clamping,
    /// the activation and every shift run.
    fn model(transform: Transform) -> Model {
        let mut state = 5u64;
        let mut next = move || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) as f32
        };
        let mut layer = |inputs: usize, outputs: usize, size: f32| DenseLayer {
            inputs,
            outputs,
            weights: (0..inputs * outputs).map(|_| size * next()).collect(),
            bias: (0..outputs).map(|_| next()).collect(),
        };
        let layers = vec![layer(7, 9, 3.0), layer(9, 3, 40.0), layer(3, 6, 0.01), layer(6, 7, 2.0)];
        Model::from_parts(&ModelParts { transform, offset: vec![-1.0; 7], scale: vec![3.0; 7], layers, encoder_layers: 2 }).unwrap()
    }

    /// A tile of many rows gives, row for row, the bits of tiles of one row: the result does not
    /// depend on how rows are grouped (integer sums are exact in any order).
    #[test]
    fn a_tile_computes_what_each_row_alone_computes() {
        for transform in [Transform::Linear, Transform::Log2Magnitude] {
            let m = model(transform);
            let (k, l, n) = (m.features(), m.latent(), TILE_ROWS);
            let x: Vec<f64> = (0..k * n).map(|i| ((i * 7919 % 1013) as f64 - 500.0) * 0.37).collect();
            let mut s = Scratch::default();
            let (mut latent, mut predicted) = (Vec::new(), Vec::new());
            m.encode_tile(&x, n, &mut latent, &mut s);
            // latents spread over the clamp too
            latent[0] = 1 << 40;
            latent[n + 1] = -(1 << 40);
            m.decode_tile(&latent, n, &mut predicted, &mut s);
            let (mut one_latent, mut one_predicted) = (Vec::new(), Vec::new());
            for r in 0..n {
                let row: Vec<f64> = (0..k).map(|j| x[j * n + r]).collect();
                m.encode_tile(&row, 1, &mut one_latent, &mut s);
                if r > 1 {
                    assert_eq!(one_latent, (0..l).map(|j| latent[j * n + r]).collect::<Vec<_>>(), "row {r}: latent");
                }
                let row_latent: Vec<i64> = (0..l).map(|j| latent[j * n + r]).collect();
                m.decode_tile(&row_latent, 1, &mut one_predicted, &mut s);
                let want: Vec<u64> = (0..k).map(|j| predicted[j * n + r].to_bits()).collect();
                assert_eq!(one_predicted.iter().map(|p| p.to_bits()).collect::<Vec<_>>(), want, "row {r}: prediction");
            }
        }
    }

    #[test]
    fn exp2_is_close_and_monotonic() {
        let tab = exp2_table();
        let mut prev = 0.0;
        for i in -4000..4000 {
            let t = i as f64 / 997.0;
            let y = deterministic_exp2(t, tab);
            assert!((y / t.exp2() - 1.0).abs() < 1e-6, "2^{t}: {y}");
            assert!(y >= prev);
            prev = y;
        }
        assert_eq!(deterministic_exp2(3.0, tab), 8.0);
        assert_eq!(deterministic_exp2(-1.0, tab), 0.5);
        assert!(deterministic_exp2(f64::NAN, tab).is_finite() && deterministic_exp2(1e9, tab).is_finite());
    }
}
