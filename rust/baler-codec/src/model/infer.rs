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
use crate::scratch as pool;

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

/// Work buffers for one tile, reused across tiles, and across blocks through the thread's pool:
/// a tile of wide rows takes hundreds of kB per buffer, which the allocator would map afresh
/// (and the kernel zero page by page) for every block.
pub(crate) struct Scratch {
    a: pool::Scratch<f64>,
    b: pool::Scratch<f64>,
    /// The i64 layer's accumulators.
    acc: pool::Scratch<i64>,
    /// The f64 layer's weights, converted once per tile rather than once per block of rows.
    weights: pool::Scratch<f64>,
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch { a: pool::with_capacity(0), b: pool::with_capacity(0), acc: pool::with_capacity(0), weights: pool::with_capacity(0) }
    }
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

/// Rows whose sums the f64 kernel keeps in registers at once (four AVX2 vectors per output,
/// two outputs at a time), summing over a layer's inputs without a store per multiply-add.
const ROW_BLOCK: usize = 16;

/// [`finish`] in f64, for layers whose sums stay below 2^51: (acc + round) >> shift is
/// floor((acc + round) / 2^shift), both operations exact; v >> 3 is floor(v / 8). `FLOOR` says
/// whether the processor rounds in one instruction (SSE4.1); otherwise [`floor_exact`], the same
/// value in plain arithmetic.
#[derive(Clone, Copy)]
struct FinishF64 {
    round: f64,
    scale: f64,
    bias: f64,
    /// 1/8 after hidden layers (the leaky ReLU), 1 after the last (v is an integer, so
    /// floor(v · 1) = v): a factor rather than a test, so that the rows vectorise.
    negative_slope: f64,
}

impl FinishF64 {
    fn new(l: &Layer, bias: i32, hidden: bool) -> Self {
        let round = if l.shift > 0 { (1u64 << (l.shift - 1)) as f64 } else { 0.0 };
        FinishF64 { round, scale: 1.0 / (1u64 << l.shift) as f64, bias: bias as f64, negative_slope: if hidden { 0.125 } else { 1.0 } }
    }

    #[inline(always)]
    fn apply<const FLOOR: bool>(self, sum: f64) -> f64 {
        let floor = |u: f64| if FLOOR { u.floor() } else { floor_exact(u) };
        let limit = ACTIVATION_LIMIT as f64;
        let v = (floor((sum + self.round) * self.scale) + self.bias).clamp(-limit, limit);
        if v < 0.0 {
            floor(v * self.negative_slope)
        } else {
            v
        }
    }
}

/// One layer on the `n` rows of a tile: its input column-major (inputs x n) in `s.a`, its output
/// (outputs x n) into `s.b`.
#[inline(always)]
fn layer<const FLOOR: bool>(l: &Layer, n: usize, hidden: bool, arithmetic: Arithmetic, s: &mut Scratch) {
    let Scratch { a: input, b: out, acc, weights } = s;
    // every output is written below: what an earlier layer left in `out` need not be zeroed
    out.resize(l.outputs * n, 0.0);
    match arithmetic {
        Arithmetic::F64 => {
            weights.clear();
            weights.extend(l.weights.iter().map(|&w| w as f64));
            let mut outputs = out.chunks_exact_mut(n).zip(weights.chunks_exact(l.inputs)).zip(&l.bias);
            loop {
                match (outputs.next(), outputs.next()) {
                    (Some(((y0, w0), &b0)), Some(((y1, w1), &b1))) => {
                        let finish = [FinishF64::new(l, b0, hidden), FinishF64::new(l, b1, hidden)];
                        outputs_f64::<2, FLOOR>([w0, w1], input, n, [y0, y1], finish)
                    }
                    (Some(((y, w), &b)), None) => outputs_f64::<1, FLOOR>([w], input, n, [y], [FinishF64::new(l, b, hidden)]),
                    _ => break,
                }
            }
        }
        Arithmetic::I64 => {
            for ((y, w_row), &bias) in out.chunks_exact_mut(n).zip(l.weights.chunks_exact(l.inputs)).zip(&l.bias) {
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

/// The sums of rows r..r + [`ROW_BLOCK`] for the M outputs whose weights are `w`.
#[inline(always)]
fn block_sums<const M: usize>(w: &[&[f64]; M], input: &[f64], n: usize, r: usize) -> [[f64; ROW_BLOCK]; M] {
    let mut sums = [[0f64; ROW_BLOCK]; M];
    for (i, column) in input.chunks_exact(n).enumerate() {
        let x: &[f64; ROW_BLOCK] = column[r..r + ROW_BLOCK].try_into().expect("a block of rows");
        for (sums, w) in sums.iter_mut().zip(w) {
            let w = w[i];
            for (s, &x) in sums.iter_mut().zip(x) {
                *s += w * x;
            }
        }
    }
    sums
}

/// The M outputs whose weights are `w`, over the `n` rows, into `y`: each sum Σ_i w[i]·x[i][r]
/// is an integer below 2^51 (so exact, in any order), then finished. [`ROW_BLOCK`] rows at a time
/// in registers, each input column loaded once for all M outputs; where n is not a multiple of
/// the block, the last block overlaps the one before (its rows computed twice, to the same bits)
/// rather than leaving a tail to a loop that does not vectorise (a basket of showers has 31
/// rows). Fewer rows than a block are summed in place.
#[inline(always)]
fn outputs_f64<const M: usize, const FLOOR: bool>(w: [&[f64]; M], input: &[f64], n: usize, mut y: [&mut [f64]; M], finish: [FinishF64; M]) {
    if n < ROW_BLOCK {
        for ((w, y), f) in w.iter().zip(y.iter_mut()).zip(finish) {
            y.fill(0.0);
            for (&w, x) in w.iter().zip(input.chunks_exact(n)) {
                for (s, &x) in y.iter_mut().zip(x) {
                    *s += w * x;
                }
            }
            for s in y.iter_mut() {
                *s = f.apply::<FLOOR>(*s);
            }
        }
        return;
    }
    let overlapping_last = (n % ROW_BLOCK != 0).then_some(n - ROW_BLOCK);
    for r in (0..n / ROW_BLOCK * ROW_BLOCK).step_by(ROW_BLOCK).chain(overlapping_last) {
        let sums = block_sums(&w, input, n, r);
        for ((y, sums), f) in y.iter_mut().zip(&sums).zip(finish) {
            for (y, &s) in y[r..r + ROW_BLOCK].iter_mut().zip(sums) {
                *y = f.apply::<FLOOR>(s);
            }
        }
    }
}

/// Runs `layers` on the `n` rows of a tile (column-major in `s.a`), leaky ReLU after every layer
/// but the last; the result column-major in `s.a`. With AVX2 where the processor has it: the same
/// IEEE operations on four lanes instead of two (no fused multiply-add), so the same bits
/// (`wide_and_portable_code_give_the_same_bits`).
fn run(layers: &[Layer], n: usize, s: &mut Scratch) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2 (checked just above)
        return unsafe { run_avx2(layers, n, s) };
    }
    run_portable(layers, n, s)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn run_avx2(layers: &[Layer], n: usize, s: &mut Scratch) {
    run_with::<true>(layers, n, s)
}

fn run_portable(layers: &[Layer], n: usize, s: &mut Scratch) {
    run_with::<false>(layers, n, s)
}

/// The layers, `FLOOR` saying whether the code may round with SSE4.1's instruction (which every
/// AVX2 processor has; [`FinishF64`]).
#[inline(always)]
fn run_with<const FLOOR: bool>(layers: &[Layer], n: usize, s: &mut Scratch) {
    let last = layers.len() - 1;
    for (i, l) in layers.iter().enumerate() {
        let arithmetic = arithmetic_for(l, &s.a);
        layer::<FLOOR>(l, n, i != last, arithmetic, s);
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

/// `out[i] = deterministic_exp2(o + sc * (column[i] / UNIT))`: the log transform's inverse on
/// a column of decoder outputs. With AVX2 where the processor has it ([`exp2_column_avx2`]).
fn exp2_column(o: f64, sc: f64, column: &[f64], out: &mut [f64], tab: &[(f64, f64); 1024]) {
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2 (checked just above)
        done = unsafe { exp2_column_avx2(o, sc, column, out, tab) };
    }
    for (y, &v) in out[done..].iter_mut().zip(&column[done..]) {
        *y = deterministic_exp2(o + sc * (v / UNIT), tab);
    }
}

/// [`deterministic_exp2`] four values at a time, the same IEEE operations in the same order
/// (division by UNIT as the multiplication by its exact inverse; the truncation to an integer in
/// 32 bits, which holds |t·2^20| <= 1023·2^20); the table read by a gather. Returns how many
/// leading values it wrote (a multiple of 4); the caller does the rest.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn exp2_column_avx2(o: f64, sc: f64, column: &[f64], out: &mut [f64], tab: &[(f64, f64); 1024]) -> usize {
    use std::arch::x86_64::*;
    let whole = column.len().min(out.len()) / 4 * 4;
    let (o4, sc4, inv_unit) = (_mm256_set1_pd(o), _mm256_set1_pd(sc), _mm256_set1_pd(1.0 / UNIT));
    let (lo, hi) = (_mm256_set1_pd(-1022.0), _mm256_set1_pd(1023.0));
    let (two20, inv1024) = (_mm256_set1_pd(1048576.0), _mm256_set1_pd(1.0 / 1024.0));
    let (mask10, bias) = (_mm_set1_epi32(1023), _mm256_set1_epi64x(1023));
    let base = tab.as_ptr() as *const f64;
    for i in (0..whole).step_by(4) {
        // SAFETY: i + 4 <= whole <= column.len(), out.len(); unaligned loads and stores
        let v = _mm256_loadu_pd(column.as_ptr().add(i));
        let t = _mm256_add_pd(o4, _mm256_mul_pd(sc4, _mm256_mul_pd(v, inv_unit)));
        // NaN -> 0 (ordered compare is false for NaN), then clamp as f64::clamp does on numbers
        let t = _mm256_and_pd(t, _mm256_cmp_pd::<_CMP_ORD_Q>(t, t));
        let t = _mm256_min_pd(_mm256_max_pd(t, lo), hi);
        let fixed = _mm256_cvttpd_epi32(_mm256_mul_pd(t, two20));
        let exponent = _mm_srai_epi32::<20>(fixed);
        let index = _mm_and_si128(_mm_srli_epi32::<10>(fixed), mask10);
        // four loads of an (E_i, step) pair rather than a gather: gathers are slow on processors
        // with the Gather Data Sampling mitigation (this box's: 45% of this loop's time)
        let mut at = [0i32; 4];
        _mm_storeu_si128(at.as_mut_ptr() as *mut __m128i, index);
        // SAFETY: index < 1024 (masked), so each pair is inside the table
        let pair = |k: usize| _mm_loadu_pd(base.add(2 * at[k] as usize));
        let (p02, p13) = (_mm256_set_m128d(pair(2), pair(0)), _mm256_set_m128d(pair(3), pair(1)));
        let (e, step) = (_mm256_unpacklo_pd(p02, p13), _mm256_unpackhi_pd(p02, p13));
        let r = _mm256_mul_pd(_mm256_cvtepi32_pd(_mm_and_si128(fixed, mask10)), inv1024);
        let m = _mm256_add_pd(e, _mm256_mul_pd(step, r));
        let scale = _mm256_castsi256_pd(_mm256_slli_epi64::<52>(_mm256_add_epi64(_mm256_cvtepi32_epi64(exponent), bias)));
        _mm256_storeu_pd(out.as_mut_ptr().add(i), _mm256_mul_pd(m, scale));
    }
    whole
}

/// 2^FRAC_BITS: one unit of the fixed-point activations.
const UNIT: f64 = (1u64 << FRAC_BITS) as f64;

impl Model {
    /// The latent codes of a tile of `n` rows (at most [`TILE_ROWS`]): `x` holds the K values of
    /// each row column-major (value j of row r at j·n + r), `latent` receives L·n codes
    /// column-major. Values the transform cannot take (zeros and non-finite values under the log
    /// transform) enter as the column's mean.
    #[inline(always)] // into the AVX2 encode, where rounding takes one instruction
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
                Transform::Log2Magnitude => {
                    let at = out.len();
                    out.resize(at + n, 0.0);
                    exp2_column(o, sc, column, &mut out[at..], tab);
                }
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

    /// `l` on the `n` rows of `x` (column-major) in the given arithmetic.
    fn one_layer<const FLOOR: bool>(l: &Layer, n: usize, x: &[f64], hidden: bool, arithmetic: Arithmetic) -> Vec<f64> {
        let mut s = Scratch::default();
        s.a.extend_from_slice(x);
        layer::<FLOOR>(l, n, hidden, arithmetic, &mut s);
        s.b.to_vec()
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
            let l = Layer { inputs, outputs, shift, bits: 16, weights, bias };
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
                for hidden in [false, true] {
                    let by_i64 = one_layer::<false>(&l, n, &x, hidden, Arithmetic::I64);
                    assert_eq!(one_layer::<false>(&l, n, &x, hidden, Arithmetic::F64), by_i64, "{inputs} inputs, limit {limit}, hidden {hidden}");
                    assert_eq!(one_layer::<true>(&l, n, &x, hidden, Arithmetic::F64), by_i64, "{inputs} inputs, limit {limit}, hidden {hidden}, floor()");
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
        let l = Layer { inputs: 65, outputs: 1, shift: 20, bits: 16, weights, bias: vec![0] };
        let mut x = vec![(1i64 << 34) as f64; 63];
        x.push(((1i64 << 34) - 609) as f64);
        x.push(16383.0);
        let (by_f64, by_i64) = (one_layer::<false>(&l, 1, &x, false, Arithmetic::F64), one_layer::<false>(&l, 1, &x, false, Arithmetic::I64));
        assert_eq!(by_i64, [((1i64 << 34) - 10) as f64]);
        assert_eq!(by_f64, [((1i64 << 34) - 9) as f64], "f64 rounds this sum");
        assert_eq!(arithmetic_for(&l, &x), Arithmetic::I64);
    }

    /// The AVX2 code computes the portable code's bits: the layers on inputs that admit f64 and
    /// on inputs that need i64, and the power of two on arguments over the whole clamp range,
    /// past it, at the table's steps and NaN, with lengths that leave a remainder.
    #[test]
    fn wide_and_portable_code_give_the_same_bits() {
        if !std::is_x86_feature_detected!("avx2") {
            eprintln!("no AVX2 here: nothing to compare");
            return;
        }
        let m = model(Transform::Log2Magnitude);
        let n = 203;
        for size in [1e3, 1e9, (1i64 << 34) as f64] {
            let x: Vec<f64> = (0..m.features() * n).map(|i| ((i * 7919 % 1013) as f64 - 506.0) / 506.0 * size).map(f64::round).collect();
            let (mut wide, mut portable) = (Scratch::default(), Scratch::default());
            wide.a.clone_from(&x);
            portable.a.clone_from(&x);
            // SAFETY: AVX2 checked above
            unsafe { run_avx2(&m.layers, n, &mut wide) };
            run_portable(&m.layers, n, &mut portable);
            assert_eq!(wide.a.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), portable.a.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), "layers, inputs up to {size}");
        }
        let tab = exp2_table();
        let mut column: Vec<f64> = (0..4099).map(|i| ((i as f64 - 2049.0) * 1e9).round()).collect();
        column.extend((0..2051).map(|i| (i as f64) * UNIT / 1024.0 + 0.5));
        column.extend([f64::NAN, 1e300, -1e300, 1023.0 * UNIT, -1022.0 * UNIT, 0.0, -0.0, 1.0]);
        for (o, sc) in [(0.0, 1.0), (-3.7, 0.031), (12.5, 2.0), (0.0, f64::INFINITY)] {
            let mut wide = vec![0.0; column.len()];
            exp2_column(o, sc, &column, &mut wide, tab);
            for (&v, w) in column.iter().zip(&wide) {
                let want = deterministic_exp2(o + sc * (v / UNIT), tab);
                assert_eq!(w.to_bits(), want.to_bits(), "2^({o} + {sc}·{v}/UNIT)");
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
