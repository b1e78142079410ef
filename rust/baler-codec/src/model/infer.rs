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
//!
//! Activations are integers held in f64 (exact: at most 2^34 in magnitude). Where a layer's sums
//! provably stay below 2^51 for the tile at hand (the largest row sum of |weights| times the
//! largest input, checked per tile), the layer runs in f64, which vectorises on every x86-64 (an
//! i64 multiply does not before AVX-512): every product and partial sum is then an integer that
//! f64 holds exactly, and the shift, bias, clamp and activation are exact too ([`floor_exact`]),
//! so the result is the integer result bit for bit, in any order and with or without fused
//! multiply-add. Otherwise the layer runs in i64.

use std::sync::OnceLock;

use super::{Layer, Model, Transform, FRAC_BITS};
use crate::quantiser::det_exp2;

/// Activations are clamped to this magnitude (2^18 in real units): with int16 weights and at
/// most 4096 inputs every partial sum stays below 2^62, so no order of summation overflows.
const ACTIVATION_LIMIT: i64 = 1 << 34;
/// Latent codes are clamped to this magnitude, so that `code << FRAC_BITS` is an activation.
pub(crate) const LATENT_LIMIT: i64 = 1 << 18;
/// Rows per tile: a tile's activations (at most the widest layer, 4096, times this) stay
/// bounded whatever the block's size, and for the usual widths fit in the first-level cache.
pub(crate) const TILE_ROWS: usize = 256;
/// A layer runs in f64 when its sums stay below this: integers are exact in f64 up to 2^53, and
/// [`floor_exact`] needs magnitudes below 2^51.
const F64_SUM_LIMIT: u64 = 1 << 51;

/// Work buffers for one tile, reused across tiles and blocks.
#[derive(Default)]
pub(crate) struct Scratch {
    a: Vec<f64>,
    b: Vec<f64>,
    /// The i64 layer's accumulators.
    acc: Vec<i64>,
}

/// How a layer's multiply-adds are computed: both give the same integers (tested).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arithmetic {
    /// Exact in f64: only where every sum is known to stay below [`F64_SUM_LIMIT`].
    F64,
    I64,
}

/// The arithmetic a layer may use on `input`: f64 when no sum can reach [`F64_SUM_LIMIT`], i.e.
/// the largest row sum of |weights| times the largest |input| (plus the rounding term) stays
/// below it.
fn arithmetic_for(l: &Layer, input: &[f64]) -> Arithmetic {
    let largest_input = input.iter().fold(0f64, |m, x| m.max(x.abs())) as u64; // <= 2^34
    let largest_row: u64 = l.weights.chunks_exact(l.inputs).map(|row| row.iter().map(|w| w.unsigned_abs() as u64).sum()).max().unwrap_or(0); // <= 2^27
    if largest_row * largest_input + (1 << 30) < F64_SUM_LIMIT {
        Arithmetic::F64
    } else {
        Arithmetic::I64
    }
}

/// floor(u) for |u| < 2^51, in f64 operations only (so that it vectorises without SSE4.1's
/// rounding instruction): adding and subtracting 1.5·2^52 rounds u to the nearest integer
/// (binary64 in [2^52, 2^53) holds exactly the integers), and one down where that rounded up.
#[inline(always)]
fn floor_exact(u: f64) -> f64 {
    const MAGIC: f64 = 6755399441055744.0; // 1.5 * 2^52
    let r = (u + MAGIC) - MAGIC;
    if r > u {
        r - 1.0
    } else {
        r
    }
}

/// A layer's output from its sum `acc` (the integer Σ w·x): shift with rounding, bias, clamp,
/// and for hidden layers the leaky ReLU (slope 1/8).
#[inline(always)]
fn finish(acc: i64, l: &Layer, bias: i32, hidden: bool) -> f64 {
    let round = if l.shift > 0 { 1i64 << (l.shift - 1) } else { 0 };
    let mut v = (((acc + round) >> l.shift) + bias as i64).clamp(-ACTIVATION_LIMIT, ACTIVATION_LIMIT);
    if hidden && v < 0 {
        v >>= 3;
    }
    v as f64
}

/// One layer on the `n` rows of a tile: `input` column-major (inputs x n), `out` receives
/// outputs x n.
fn layer(l: &Layer, n: usize, input: &[f64], hidden: bool, arithmetic: Arithmetic, out: &mut Vec<f64>, acc: &mut Vec<i64>) {
    out.clear();
    out.resize(l.outputs * n, 0.0);
    for ((y, w_row), &bias) in out.chunks_exact_mut(n).zip(l.weights.chunks_exact(l.inputs)).zip(&l.bias) {
        match arithmetic {
            Arithmetic::F64 => {
                for (&w, x) in w_row.iter().zip(input.chunks_exact(n)) {
                    let w = w as f64;
                    for (s, &x) in y.iter_mut().zip(x) {
                        *s += w * x;
                    }
                }
                // finish() in f64: (acc + round) >> shift is floor((acc + round) / 2^shift), both
                // operations exact below 2^51; v >> 3 is floor(v / 8)
                let round = if l.shift > 0 { (1u64 << (l.shift - 1)) as f64 } else { 0.0 };
                let scale = 1.0 / (1u64 << l.shift) as f64;
                let (bias, limit) = (bias as f64, ACTIVATION_LIMIT as f64);
                for s in y.iter_mut() {
                    let v = (floor_exact((*s + round) * scale) + bias).clamp(-limit, limit);
                    *s = if hidden && v < 0.0 { floor_exact(v * 0.125) } else { v };
                }
            }
            Arithmetic::I64 => {
                acc.clear();
                acc.resize(n, 0);
                for (&w, x) in w_row.iter().zip(input.chunks_exact(n)) {
                    let w = w as i64;
                    for (s, &x) in acc.iter_mut().zip(x) {
                        *s += w * x as i64;
                    }
                }
                for (s, &a) in y.iter_mut().zip(acc.iter()) {
                    *s = finish(a, l, bias, hidden);
                }
            }
        }
    }
}

/// Runs `layers` on the `n` rows of a tile (column-major in `s.a`), leaky ReLU after every layer
/// but the last; the result column-major in `s.a`.
fn run(layers: &[Layer], n: usize, s: &mut Scratch) {
    let last = layers.len() - 1;
    for (i, l) in layers.iter().enumerate() {
        let arithmetic = arithmetic_for(l, &s.a);
        layer(l, n, &s.a, i != last, arithmetic, &mut s.b, &mut s.acc);
        std::mem::swap(&mut s.a, &mut s.b);
    }
}

/// For i in 0..1024: E_i = 2^(i/1024) from `det_exp2` (the same bits everywhere) and the step
/// E_{i+1} − E_i to the next, computed once here rather than per value (the same operation on
/// the same operands, so the same bits).
fn exp2_table() -> &'static [(f64, f64); 1024] {
    static T: OnceLock<Box<[(f64, f64); 1024]>> = OnceLock::new();
    T.get_or_init(|| {
        let mut t = Box::new([(0f64, 0f64); 1024]);
        for (i, v) in t.iter_mut().enumerate() {
            let (e, next) = (det_exp2(i as f64 / 1024.0), det_exp2((i + 1) as f64 / 1024.0));
            *v = (e, next - e);
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
fn deterministic_exp2(t: f64, tab: &[(f64, f64); 1024]) -> f64 {
    let t = if t.is_nan() { 0.0 } else { t.clamp(-1022.0, 1023.0) };
    let fixed = (t * 1048576.0) as i64; // 2^20
    let whole = fixed >> 20;
    let (e, step) = tab[((fixed >> 10) & 1023) as usize];
    let r = (fixed & 1023) as f64 * (1.0 / 1024.0);
    let m = e + step * r;
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
                    (z * UNIT).round().clamp(-(ACTIVATION_LIMIT as f64), ACTIVATION_LIMIT as f64)
                } else {
                    0.0
                }
            }));
        }
        run(&self.layers[..self.encoder_layers], n, s);
        latent.clear();
        let half = 1i64 << (FRAC_BITS - 1);
        latent.extend(s.a.iter().map(|&v| ((v as i64 + half) >> FRAC_BITS).clamp(-LATENT_LIMIT, LATENT_LIMIT)));
    }

    /// The predicted values of a tile of `n` rows from their latent codes (L·n, column-major):
    /// K·n values column-major into `out` (for the log transform, the predicted magnitudes).
    pub(crate) fn decode_tile(&self, latent: &[i64], n: usize, out: &mut Vec<f64>, s: &mut Scratch) {
        s.a.clear();
        s.a.extend(latent.iter().map(|&c| (c.clamp(-LATENT_LIMIT, LATENT_LIMIT) << FRAC_BITS) as f64));
        run(&self.layers[self.encoder_layers..], n, s);
        out.clear();
        let tab = exp2_table();
        for ((column, &o), &sc) in s.a.chunks_exact(n).zip(&self.offset).zip(&self.scale) {
            match self.transform {
                Transform::Linear => out.extend(column.iter().map(|&v| o + sc * (v / UNIT))),
                Transform::Log2Magnitude => out.extend(column.iter().map(|&v| deterministic_exp2(o + sc * (v / UNIT), tab))),
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

    /// Where the check admits f64 arithmetic, it gives the i64 results bit for bit, up to the
    /// largest inputs it admits (sums just below 2^51); past that the check falls back to i64.
    #[test]
    fn f64_arithmetic_equals_i64_wherever_it_is_chosen() {
        let mut state = 11u64;
        let mut next = move |limit: i64| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((state >> 11) % (2 * limit as u64 + 1)) as i64 - limit
        };
        let n = 37;
        for (inputs, outputs, weight_limit, shift) in [(5, 15, 32767, 14), (256, 32, 32767, 3), (7, 9, 300, 0), (4096, 2, 32767, 30)] {
            let weights: Vec<i16> = (0..inputs * outputs).map(|_| next(weight_limit) as i16).collect();
            let bias: Vec<i32> = (0..outputs).map(|_| next(i32::MAX as i64) as i32).collect();
            let l = Layer { inputs, outputs, shift, weights, bias };
            let largest_row = l.weights.chunks_exact(inputs).map(|r| r.iter().map(|w| w.unsigned_abs() as i64).sum::<i64>()).max().unwrap();
            let admitted = ((F64_SUM_LIMIT as i64 - (1 << 30) - 1) / largest_row).min(ACTIVATION_LIMIT);
            for limit in [admitted, admitted / 3, 1 << 16] {
                // every input at the limit, with the signs of the largest row's weights in some rows
                let mut x: Vec<f64> = (0..inputs * n).map(|_| next(limit) as f64).collect();
                for (i, w) in l.weights[..inputs].iter().enumerate() {
                    x[i * n] = (limit * w.signum() as i64) as f64;
                    x[i * n + 1] = -(limit as f64);
                }
                assert_eq!(arithmetic_for(&l, &x), Arithmetic::F64, "{inputs} inputs, limit {limit}");
                let (mut by_f64, mut by_i64, mut acc) = (Vec::new(), Vec::new(), Vec::new());
                for hidden in [false, true] {
                    layer(&l, n, &x, hidden, Arithmetic::F64, &mut by_f64, &mut acc);
                    layer(&l, n, &x, hidden, Arithmetic::I64, &mut by_i64, &mut acc);
                    assert_eq!(by_f64, by_i64, "{inputs} inputs, limit {limit}, hidden {hidden}");
                }
            }
            if admitted < ACTIVATION_LIMIT {
                let x = vec![(admitted + 1) as f64; inputs * n];
                assert_eq!(arithmetic_for(&l, &x), Arithmetic::I64, "{inputs} inputs past the limit");
            }
        }
    }

    /// A sum past 2^53 that f64 rounds: 64 products of 2^14·2^34 and one odd term, built so that
    /// the rounded sum crosses the output's rounding boundary (the f64 result is one more than the
    /// integer one, and both are inside the clamp). The check must refuse f64 for it.
    #[test]
    fn a_sum_f64_would_round_runs_in_i64() {
        let mut weights = vec![1i16 << 14; 64];
        weights.push(1);
        let l = Layer { inputs: 65, outputs: 1, shift: 20, weights, bias: vec![0] };
        let mut x = vec![(1i64 << 34) as f64; 63];
        x.push(((1i64 << 34) - 609) as f64);
        x.push(16383.0);
        let (mut by_f64, mut by_i64, mut acc) = (Vec::new(), Vec::new(), Vec::new());
        layer(&l, 1, &x, false, Arithmetic::F64, &mut by_f64, &mut acc);
        layer(&l, 1, &x, false, Arithmetic::I64, &mut by_i64, &mut acc);
        assert_eq!(by_i64, [((1i64 << 34) - 10) as f64]);
        assert_eq!(by_f64, [((1i64 << 34) - 9) as f64], "f64 rounds this sum");
        assert_eq!(arithmetic_for(&l, &x), Arithmetic::I64);
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
