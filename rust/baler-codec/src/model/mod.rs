//! `.balm` models of the `ae:` codec: parsing, writing, and deterministic fixed-point inference.
//!
//! A model is a multilayer perceptron K -> ... -> L -> ... -> K over normalised features of one
//! row of K values: dense layers with integer weights of 2 to 16 bits (a power-of-two scale per
//! layer),
//! leaky ReLU of slope 1/8 between layers (not after the latent or the output), and activations
//! in 64-bit fixed point with 16 fractional bits. Integer arithmetic gives the same bits on every
//! machine, build and thread count, whatever the floating-point environment (flush-to-zero,
//! contraction, vector width): the reconstruction never depends on the host. The format is in
//! `docs/format.md` ("Model file").

mod fit;
mod infer;
mod packing;

pub use fit::fit_linear;
pub(crate) use infer::{Scratch as InferScratch, TILE_ROWS};

use std::fmt;

use crate::error::CodecError;
use crate::varint::{put_uvarint, put_zigzag, Reader};
use packing::{get_weights, largest_weight, put_weights, MAX_WEIGHT_BITS, MIN_WEIGHT_BITS};

/// First four bytes of every `.balm` file.
pub const MODEL_MAGIC: [u8; 4] = *b"BALM";
/// `.balm` format version written by this crate. Version 1 (16-bit weights, float32
/// normalisation, 32-bit biases) is still read.
pub const MODEL_VERSION: u8 = 2;
/// Fractional bits of the fixed-point activations.
pub(crate) const FRAC_BITS: u32 = 16;
/// Most values per row (K) a model may take.
pub const MAX_FEATURES: usize = 4096;
/// Widest layer.
pub const MAX_WIDTH: usize = 4096;
/// Most dense layers.
pub const MAX_LAYERS: usize = 16;
/// Most weights in all layers together (4 Mi: 8 MiB of int16).
pub const MAX_WEIGHTS: usize = 1 << 22;
/// Normalisation scales outside [2^-64, 2^64] in magnitude are refused: they would take the
/// fixed-point features out of range (and keep every product far from subnormal numbers).
const SCALE_LIMIT: f64 = 18446744073709551616.0; // 2^64
/// Largest weight shift: weights are w_int * 2^-shift.
const MAX_SHIFT: u8 = 30;
/// Largest bias shift: biases are b_int * 2^bias_shift activation units.
const MAX_BIAS_SHIFT: u8 = 16;

/// Content hash of a model's canonical bytes: xxh3-128 of everything before the trailer. It
/// names the model in blocks and files and catches corruption; it is not a defence against a
/// crafted collision (the block's checksum of the decoded bytes still catches a wrong model).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModelId(pub [u8; 16]);

impl ModelId {
    /// Parses the 32 lowercase or uppercase hex digits of [`ModelId`]'s `Display`.
    pub fn from_hex(s: &str) -> Option<ModelId> {
        let s = s.as_bytes();
        if s.len() != 32 {
            return None;
        }
        let mut id = [0u8; 16];
        for (i, b) in id.iter_mut().enumerate() {
            let hi = (s[2 * i] as char).to_digit(16)?;
            let lo = (s[2 * i + 1] as char).to_digit(16)?;
            *b = (hi * 16 + lo) as u8;
        }
        Some(ModelId(id))
    }
}

impl fmt::Display for ModelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ModelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ModelId({self})")
    }
}

/// How a value becomes a feature before normalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    /// x itself (absolute bounds: the quantiser's codes are linear in x).
    Linear = 0,
    /// log2|x|, the sign coded apart (relative bounds: the codes are logarithmic in |x|).
    Log2Magnitude = 1,
}

/// One dense layer in floating point, as a trainer produces it: `weights` row-major
/// (outputs x inputs), `bias` per output.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseLayer {
    pub inputs: usize,
    pub outputs: usize,
    pub weights: Vec<f32>,
    pub bias: Vec<f32>,
}

/// Everything a model is made of, in floating point: the input of [`Model::from_parts`].
#[derive(Debug, Clone, PartialEq)]
pub struct ModelParts {
    pub transform: Transform,
    /// Per column: feature z = (t - offset) / scale, t the transformed value (stored as f32).
    pub offset: Vec<f64>,
    pub scale: Vec<f64>,
    /// Encoder layers then decoder layers; the encoder's last output is the latent.
    pub layers: Vec<DenseLayer>,
    /// How many of `layers` make the encoder (1 <= encoder_layers < layers.len()).
    pub encoder_layers: usize,
}

/// One dense layer as stored and run: y = (W x) * 2^-shift + bias, all fixed point.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Layer {
    pub inputs: usize,
    pub outputs: usize,
    pub shift: u8,
    /// Stored width of each weight (16 in version 1 files).
    pub bits: u8,
    pub weights: Vec<i16>,
    /// In activation units (FRAC_BITS fractional bits).
    pub bias: Vec<i32>,
}

/// The writer's bias step for weights of `bits` bits: biases are multiples of 2^bias_shift
/// activation units, steps of 2^-bits (2^-16, the activations' own, at 16 bits). Biases hardly
/// finer than the weights; finer ones cost bytes and predict no better.
fn bias_shift(bits: u8) -> u8 {
    FRAC_BITS as u8 - bits
}

/// A parsed, verified `.balm` model. Immutable; share it between threads.
#[derive(Debug, Clone)]
pub struct Model {
    id: ModelId,
    bytes: Vec<u8>,
    pub(crate) transform: Transform,
    pub(crate) offset: Vec<f64>,
    pub(crate) scale: Vec<f64>,
    pub(crate) layers: Vec<Layer>,
    pub(crate) encoder_layers: usize,
}

fn invalid<T>(msg: impl Into<String>) -> Result<T, CodecError> {
    Err(CodecError::InvalidModel(msg.into()))
}

impl Model {
    /// Values per row (K).
    pub fn features(&self) -> usize {
        self.offset.len()
    }

    /// Width of the latent (L).
    pub fn latent(&self) -> usize {
        self.layers[self.encoder_layers - 1].outputs
    }

    pub fn id(&self) -> ModelId {
        self.id
    }

    pub fn transform(&self) -> Transform {
        self.transform
    }

    /// Stored width of each layer's weights.
    pub fn weight_bits(&self) -> Vec<u8> {
        self.layers.iter().map(|l| l.bits).collect()
    }

    /// The canonical `.balm` bytes (what a file stores; the id is their hash).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The model in floating point, as stored (weights and biases dequantised):
    /// `Model::from_parts_with_weight_bits(&m.to_parts(), &m.weight_bits())` gives back the same
    /// model (a version 2 one) while every bias is below 256 in magnitude (f32 holds those exactly).
    pub fn to_parts(&self) -> ModelParts {
        let unit = (FRAC_BITS as f64).exp2();
        let layers = self
            .layers
            .iter()
            .map(|l| {
                let scale = (-(l.shift as f64)).exp2();
                DenseLayer {
                    inputs: l.inputs,
                    outputs: l.outputs,
                    weights: l.weights.iter().map(|&w| (w as f64 * scale) as f32).collect(),
                    bias: l.bias.iter().map(|&b| (b as f64 / unit) as f32).collect(),
                }
            })
            .collect();
        ModelParts { transform: self.transform, offset: self.offset.clone(), scale: self.scale.clone(), layers, encoder_layers: self.encoder_layers }
    }

    /// [`Model::from_parts_with_weight_bits`] at 16 bits a weight in every layer.
    pub fn from_parts(parts: &ModelParts) -> Result<Model, CodecError> {
        Model::from_parts_with_weight_bits(parts, &vec![MAX_WEIGHT_BITS; parts.layers.len()])
    }

    /// Quantises a floating-point model to the stored form: layer i's weights to integers of
    /// `weight_bits[i]` bits (2 to 16) with the finest power-of-two scale that holds its largest
    /// weight, biases to fixed point, the normalisation to [`stored_normalisation`]. Fewer bits
    /// make a smaller model and a coarser prediction; the bound holds either way.
    pub fn from_parts_with_weight_bits(parts: &ModelParts, weight_bits: &[u8]) -> Result<Model, CodecError> {
        if weight_bits.len() != parts.layers.len() || weight_bits.iter().any(|b| !(MIN_WEIGHT_BITS..=MAX_WEIGHT_BITS).contains(b)) {
            return Err(CodecError::InvalidArgument(format!(
                "weight widths {weight_bits:?} for {} layers (one each, from {MIN_WEIGHT_BITS} to {MAX_WEIGHT_BITS} bits)",
                parts.layers.len()
            )));
        }
        let mut layers = Vec::with_capacity(parts.layers.len());
        for ((i, l), &weight_bits) in parts.layers.iter().enumerate().zip(weight_bits) {
            let top = largest_weight(weight_bits) as f64;
            if l.weights.len() != l.inputs.saturating_mul(l.outputs) || l.bias.len() != l.outputs {
                return invalid(format!("layer {i}: {} weights and {} biases for {} inputs and {} outputs", l.weights.len(), l.bias.len(), l.inputs, l.outputs));
            }
            if l.weights.iter().any(|w| !w.is_finite()) {
                return invalid(format!("layer {i}: a weight is not finite"));
            }
            let max = l.weights.iter().fold(0f64, |m, w| m.max((*w as f64).abs()));
            if max > top {
                return invalid(format!("layer {i}: weight magnitude {max} is not storable in {weight_bits} bits (at most {top})"));
            }
            let mut shift = 0u8;
            while shift < MAX_SHIFT && max * ((shift + 1) as f64).exp2() <= top {
                shift += 1;
            }
            let scale = (shift as f64).exp2();
            let weights = l.weights.iter().map(|w| (*w as f64 * scale).round() as i16).collect();
            let step = (weight_bits as f64).exp2();
            let mut bias = Vec::with_capacity(l.outputs);
            for b in &l.bias {
                let v = (*b as f64 * step).round() * (bias_shift(weight_bits) as f64).exp2();
                if v.is_nan() || v.abs() > i32::MAX as f64 {
                    return invalid(format!("layer {i}: bias {b} is not storable"));
                }
                bias.push(v as i32);
            }
            layers.push(Layer { inputs: l.inputs, outputs: l.outputs, shift, bits: weight_bits, weights, bias });
        }
        let mut bytes = Vec::new();
        write_body(parts.transform, &parts.offset, &parts.scale, &layers, parts.encoder_layers, &mut bytes);
        let hash = xxhash_rust::xxh3::xxh3_128(&bytes);
        bytes.extend_from_slice(&hash.to_le_bytes());
        // parsing the bytes just written applies every check in one place
        Model::parse(&bytes)
    }

    /// Parses and verifies `.balm` bytes. Never panics; memory is bounded by the limits above.
    pub fn parse(bytes: &[u8]) -> Result<Model, CodecError> {
        if bytes.len() < MODEL_MAGIC.len() + 2 + 16 {
            return invalid(format!("{} bytes is too short for a .balm model", bytes.len()));
        }
        let (body, trailer) = bytes.split_at(bytes.len() - 16);
        let mut r = Reader::new(body);
        let m = r.bytes(4).map_err(model_err)?;
        if m != MODEL_MAGIC {
            return invalid("bad magic (not a .balm model)");
        }
        let version = r.u8().map_err(model_err)?;
        if !(1..=MODEL_VERSION).contains(&version) {
            return Err(CodecError::Unsupported(format!(".balm version {version} (this reader knows 1 to {MODEL_VERSION})")));
        }
        let flags = r.u8().map_err(model_err)?;
        if flags != 0 {
            return Err(CodecError::Unsupported(format!(".balm flags {flags:#x}")));
        }
        let hash = xxhash_rust::xxh3::xxh3_128(body).to_le_bytes();
        if hash != trailer {
            return invalid("content hash mismatch (the model file is corrupt)");
        }
        let id = ModelId(hash);
        let transform = match r.u8().map_err(model_err)? {
            0 => Transform::Linear,
            1 => Transform::Log2Magnitude,
            t => return invalid(format!("unknown feature transform {t}")),
        };
        let activation = r.u8().map_err(model_err)?;
        if activation != 1 {
            return invalid(format!("unknown activation {activation} (1 = leaky ReLU, slope 1/8)"));
        }
        let k = r.len_at_most(MAX_FEATURES, "features").map_err(model_err)?;
        let n_layers = r.len_at_most(MAX_LAYERS, "layers").map_err(model_err)?;
        let encoder_layers = r.len_at_most(MAX_LAYERS, "encoder layers").map_err(model_err)?;
        if k == 0 || n_layers < 2 || encoder_layers == 0 || encoder_layers >= n_layers {
            return invalid(format!("{k} features, {n_layers} layers of which {encoder_layers} encode: need K >= 1 and 1 <= encoder < layers"));
        }
        let mut offset = Vec::with_capacity(k);
        let mut scale = Vec::with_capacity(k);
        for j in 0..k {
            let (o, s) = if version == 1 {
                (get_f32(&mut r)?, get_f32(&mut r)?)
            } else {
                (get_bf16(&mut r)?, get_bf16(&mut r)?)
            };
            if !(o.is_finite() && s.abs() >= 1.0 / SCALE_LIMIT && s.abs() <= SCALE_LIMIT) {
                return invalid(format!("column {j}: normalisation offset {o}, scale {s} out of range"));
            }
            offset.push(o);
            scale.push(s);
        }
        let mut layers = Vec::with_capacity(n_layers);
        let mut total = 0usize;
        let mut width = k;
        for i in 0..n_layers {
            let inputs = r.len_at_most(MAX_WIDTH, "layer inputs").map_err(model_err)?;
            let outputs = r.len_at_most(MAX_WIDTH, "layer outputs").map_err(model_err)?;
            if inputs != width || outputs == 0 {
                return invalid(format!("layer {i}: {inputs} inputs and {outputs} outputs after a layer of {width}"));
            }
            total += inputs * outputs;
            if total > MAX_WEIGHTS {
                return invalid(format!("more than {MAX_WEIGHTS} weights"));
            }
            let shift = r.u8().map_err(model_err)?;
            if shift > MAX_SHIFT {
                return invalid(format!("layer {i}: weight shift {shift} (at most {MAX_SHIFT})"));
            }
            let (bits, weights, bias) = if version == 1 {
                let w = r.bytes(inputs * outputs * 2).map_err(model_err)?;
                let weights = w.chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect();
                let b = r.bytes(outputs * 4).map_err(model_err)?;
                (MAX_WEIGHT_BITS, weights, b.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
            } else {
                let bits = r.u8().map_err(model_err)?;
                if !(MIN_WEIGHT_BITS..=MAX_WEIGHT_BITS).contains(&bits) {
                    return invalid(format!("layer {i}: {bits} bits a weight (from {MIN_WEIGHT_BITS} to {MAX_WEIGHT_BITS})"));
                }
                let weights = get_weights(&mut r, inputs * outputs, bits).map_err(model_err)?;
                let bias_shift = r.u8().map_err(model_err)?;
                if bias_shift > MAX_BIAS_SHIFT {
                    return invalid(format!("layer {i}: bias shift {bias_shift} (at most {MAX_BIAS_SHIFT})"));
                }
                let mut bias = Vec::with_capacity(outputs);
                for _ in 0..outputs {
                    let b = r.zigzag().map_err(model_err)?;
                    let scaled = b.checked_mul(1 << bias_shift).and_then(|v| i32::try_from(v).ok());
                    bias.push(scaled.map_or_else(|| invalid(format!("layer {i}: bias {b} << {bias_shift} exceeds 32 bits")), Ok)?);
                }
                (bits, weights, bias)
            };
            layers.push(Layer { inputs, outputs, shift, bits, weights, bias });
            width = outputs;
        }
        if width != k {
            return invalid(format!("the last layer has {width} outputs for {k} features"));
        }
        // a latent wider than the row saves nothing, and bounds the decoder's memory by the block's
        let latent = layers[encoder_layers - 1].outputs;
        if latent > k {
            return invalid(format!("latent of {latent} for rows of {k}"));
        }
        if !r.is_empty() {
            return invalid("trailing bytes after the last layer");
        }
        Ok(Model { id, bytes: bytes.to_vec(), transform, offset, scale, layers, encoder_layers })
    }
}

/// Rounds a normalisation offset or scale to what `.balm` stores (bfloat16: float32's sign,
/// exponent and top 7 mantissa bits, rounded to nearest even). A trainer normalises with these
/// values so that the model it fits sees the features a reader computes.
pub fn stored_normalisation(v: f64) -> f64 {
    bf16_value(bf16_bits(v))
}

fn bf16_bits(v: f64) -> u16 {
    let b = (v as f32).to_bits();
    if (v as f32).is_nan() {
        return (b >> 16) as u16 | 0x40; // stays a NaN (refused on parsing)
    }
    ((b + 0x7fff + ((b >> 16) & 1)) >> 16) as u16
}

fn bf16_value(h: u16) -> f64 {
    f32::from_bits((h as u32) << 16) as f64
}

fn get_f32(r: &mut Reader<'_>) -> Result<f64, CodecError> {
    Ok(f32::from_le_bytes(r.bytes(4).map_err(model_err)?.try_into().expect("4 bytes")) as f64)
}

fn get_bf16(r: &mut Reader<'_>) -> Result<f64, CodecError> {
    Ok(bf16_value(u16::from_le_bytes(r.bytes(2).map_err(model_err)?.try_into().expect("2 bytes"))))
}

fn model_err(e: CodecError) -> CodecError {
    match e {
        CodecError::Corrupt(m) => CodecError::InvalidModel(m),
        other => other,
    }
}

fn write_body(transform: Transform, offset: &[f64], scale: &[f64], layers: &[Layer], encoder_layers: usize, out: &mut Vec<u8>) {
    out.extend_from_slice(&MODEL_MAGIC);
    out.push(MODEL_VERSION);
    out.push(0); // flags
    out.push(transform as u8);
    out.push(1); // activation: leaky ReLU, slope 1/8
    put_uvarint(out, offset.len() as u64);
    put_uvarint(out, layers.len() as u64);
    put_uvarint(out, encoder_layers as u64);
    for (o, s) in offset.iter().zip(scale) {
        out.extend_from_slice(&bf16_bits(*o).to_le_bytes());
        out.extend_from_slice(&bf16_bits(*s).to_le_bytes());
    }
    for l in layers {
        put_uvarint(out, l.inputs as u64);
        put_uvarint(out, l.outputs as u64);
        out.push(l.shift);
        out.push(l.bits);
        put_weights(&l.weights, l.bits, out);
        // only models from_parts quantised are written: their biases are on the writer's step
        let shift = bias_shift(l.bits);
        out.push(shift);
        for &b in &l.bias {
            put_zigzag(out, (b >> shift) as i64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small_parts() -> ModelParts {
        ModelParts {
            transform: Transform::Log2Magnitude,
            offset: vec![1.0, -2.0, 0.5],
            scale: vec![2.0, 1.0, 0.25],
            layers: vec![
                DenseLayer { inputs: 3, outputs: 2, weights: vec![0.5, -0.25, 0.125, 1.5, 0.0, -1.0], bias: vec![0.1, -0.2] },
                DenseLayer { inputs: 2, outputs: 3, weights: vec![1.0, 0.5, -0.5, 0.25, 2.0, -3.0], bias: vec![0.0, 0.3, -0.7] },
            ],
            encoder_layers: 1,
        }
    }

    #[test]
    fn written_models_parse_to_the_same_model_and_id() {
        let m = Model::from_parts(&small_parts()).unwrap();
        let again = Model::parse(m.bytes()).unwrap();
        assert_eq!(again.id(), m.id());
        assert_eq!(again.bytes(), m.bytes());
        assert_eq!((m.features(), m.latent()), (3, 2));
        assert_eq!(ModelId::from_hex(&m.id().to_string()), Some(m.id()));
        assert_eq!(m.id().to_string().len(), 32);
        // the id is a content hash: another weight, another id
        let mut p = small_parts();
        p.layers[0].weights[0] = 0.75;
        assert_ne!(Model::from_parts(&p).unwrap().id(), m.id());
        assert_eq!(Model::from_parts(&m.to_parts()).unwrap().bytes(), m.bytes());
    }

    #[test]
    fn every_truncation_and_bit_flip_is_an_error() {
        for bits in [16, 5] {
            let m = Model::from_parts_with_weight_bits(&small_parts(), &[bits, 16]).unwrap();
            let b = m.bytes();
            for n in 0..b.len() {
                assert!(Model::parse(&b[..n]).is_err(), "{bits} bits, truncated to {n}");
            }
            for i in 0..b.len() {
                for bit in 0..8 {
                    let mut c = b.to_vec();
                    c[i] ^= 1 << bit;
                    assert!(Model::parse(&c).is_err(), "{bits} bits, byte {i} bit {bit}");
                }
            }
        }
    }

    /// Fewer bits a weight make a smaller model that round-trips through its parts, each weight
    /// within half a step (the finest power of two that holds the layer's largest weight) of the
    /// float one. Widths outside 2..16, and weights too large for the width, are refused.
    #[test]
    fn narrow_weights_make_smaller_models() {
        let p = small_parts();
        let wide = Model::from_parts(&p).unwrap();
        let narrow = Model::from_parts_with_weight_bits(&p, &[4, 5]).unwrap();
        assert_eq!((wide.weight_bits(), narrow.weight_bits()), (vec![16, 16], vec![4, 5]));
        assert!(narrow.bytes().len() < wide.bytes().len(), "{} against {}", narrow.bytes().len(), wide.bytes().len());
        assert_eq!(Model::from_parts_with_weight_bits(&narrow.to_parts(), &[4, 5]).unwrap().bytes(), narrow.bytes());
        for ((float, stored), (top, bits)) in p.layers.iter().zip(narrow.to_parts().layers).zip([(7.0, 4), (15.0, 5)]) {
            let max = float.weights.iter().fold(0f32, |m, w| m.max(w.abs()));
            for (w, s) in float.weights.iter().zip(&stored.weights) {
                assert!((w - s).abs() <= max / top, "{w} stored as {s} (largest {max})");
            }
            // biases in steps of 2^-bits: within half a step
            for (b, s) in float.bias.iter().zip(&stored.bias) {
                assert!((b - s).abs() <= 0.5 * (-(bits as f32)).exp2(), "bias {b} stored as {s}");
            }
        }
        assert_ne!(narrow.to_parts().layers[0].bias, p.layers[0].bias, "0.1 and -0.2 are not multiples of 2^-4");
        for bits in [[0, 16], [1, 16], [16, 17]] {
            assert!(Model::from_parts_with_weight_bits(&p, &bits).is_err(), "{bits:?} bits");
        }
        assert!(Model::from_parts_with_weight_bits(&p, &[16]).is_err(), "one width for two layers");
        assert!(Model::from_parts_with_weight_bits(&p, &[16, 2]).is_err(), "a weight of -3 in 2 bits (at most 1)");
    }

    /// The normalisation is stored as bfloat16, rounded to nearest even; what a trainer gets from
    /// `stored_normalisation` is what a reader parses.
    #[test]
    fn normalisation_is_stored_to_bfloat16() {
        let one_ulp = (-7f64).exp2();
        assert_eq!(stored_normalisation(1.0 + one_ulp / 2.0), 1.0, "a tie goes to the even mantissa");
        assert_eq!(stored_normalisation(1.0 + 1.5 * one_ulp), 1.0 + 2.0 * one_ulp);
        let small = stored_normalisation(-3.0e-5);
        assert_eq!((small as f32).to_bits() & 0xffff, 0, "float32's low 16 bits are not stored");
        assert!((small / -3.0e-5 - 1.0).abs() <= 1.0 / 256.0, "{small}");
        assert!(stored_normalisation(f64::NAN).is_nan());
        let mut p = small_parts();
        p.offset[0] = 1.3;
        p.scale[2] = 0.3;
        let m = Model::from_parts(&p).unwrap();
        assert_eq!((m.offset[0], m.scale[2]), (stored_normalisation(1.3), stored_normalisation(0.3)));
        assert_ne!(stored_normalisation(1.3), 1.3);
    }

    #[test]
    fn bad_parts_are_refused() {
        let mut p = small_parts();
        p.layers[1].outputs = 2;
        assert!(Model::from_parts(&p).is_err());
        let mut p = small_parts();
        p.scale[1] = 0.0;
        assert!(Model::from_parts(&p).is_err());
        let mut p = small_parts();
        p.layers[0].weights[2] = f32::NAN;
        assert!(Model::from_parts(&p).is_err());
        let mut p = small_parts();
        p.encoder_layers = 2;
        assert!(Model::from_parts(&p).is_err());
    }
}
