//! What a model saves, measured with the codec itself: the rows' bytes under the per-value codec
//! (the bound's spec, no model) against their bytes under `ae:BOUND:MODEL`
//! (`encode_block_with_model`: latent codes, residual codes, signs and exceptions, and the
//! codec's own fallback to per-value coding where the model does not pay), in blocks of about a
//! basket's size. The model's own bytes are counted apart: a file stores it once.

use baler_codec::{encode_block_with_model, per_value_spec, Bound, Model, ModelParts, Segment, SegmentKind, Spec};

use crate::dataset::Dataset;

/// Values per coded block: about a basket's worth.
const BLOCK_VALUES: usize = 1 << 15;

/// Bytes of one set of rows, both ways.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bytes {
    pub values: usize,
    pub per_value: usize,
    pub through_model: usize,
}

impl Bytes {
    pub fn per_value_bpv(&self) -> f64 {
        self.per_value as f64 / self.values.max(1) as f64
    }

    pub fn through_model_bpv(&self) -> f64 {
        self.through_model as f64 / self.values.max(1) as f64
    }
}

/// The rows as the codec takes them: their values big-endian, one segment of `kind` a block.
struct CodecInput {
    src: Vec<u8>,
    kind: SegmentKind,
    block_bytes: usize,
}

impl CodecInput {
    fn of(rows: &Dataset) -> CodecInput {
        let block_values = (BLOCK_VALUES / rows.k).max(1) * rows.k;
        let (src, kind): (Vec<u8>, _) = if rows.is_f32 {
            (rows.values.iter().flat_map(|&x| (x as f32).to_be_bytes()).collect(), SegmentKind::F32)
        } else {
            (rows.values.iter().flat_map(|&x| x.to_be_bytes()).collect(), SegmentKind::F64)
        };
        CodecInput { src, kind, block_bytes: block_values * kind.elem_size() }
    }

    /// Bytes of the blocks coded with `spec` (through `model`, for an `ae:` spec).
    fn coded_bytes(&self, spec: &Spec, model: Option<&Model>) -> Result<usize, String> {
        let what = if model.is_some() { "ae codec" } else { "per-value codec" };
        let mut out = Vec::new();
        let mut bytes = 0;
        for block in self.src.chunks(self.block_bytes) {
            out.clear();
            encode_block_with_model(block, &[Segment::new(self.kind, block.len() as u32)], spec, model, &mut out).map_err(|e| format!("{what}: {e}"))?;
            bytes += out.len();
        }
        Ok(bytes)
    }

    /// Bytes of the blocks coded through `model` at `bound`.
    fn through(&self, model: &Model, bound: &Bound) -> Result<usize, String> {
        self.coded_bytes(&Spec::Ae { bound: bound.clone(), model: model.id().to_string() }, Some(model))
    }
}

/// Codes `rows` both ways.
pub fn measure(model: &Model, bound: &Bound, rows: &Dataset) -> Result<Bytes, String> {
    let input = CodecInput::of(rows);
    Ok(Bytes { values: rows.values.len(), per_value: input.coded_bytes(&per_value_spec(bound), None)?, through_model: input.through(model, bound)? })
}

/// Stored weight widths tried, widest first: below 3 bits the predictions of every model measured
/// so far were too coarse to pay.
const WEIGHT_BITS: [u8; 9] = [16, 12, 10, 8, 7, 6, 5, 4, 3];

/// The stored form of `parts` whose own bytes plus the bytes of `rows` coded through it are
/// fewest. Fewer bits shrink the model and coarsen its prediction (the bound holds either way);
/// on files of a few thousand rows the model's bytes weigh as much as the prediction, so the
/// widths are chosen on the codec's real output: the best width for every layer alike, then each
/// layer in turn narrowed while the total falls (an encoder's error only moves the latent, which
/// the latent's own rounding already does, so it often takes fewer bits than the decoder).
pub fn smallest_storage(parts: &ModelParts, bound: &Bound, rows: &Dataset) -> Result<Model, String> {
    let layers = parts.layers.len();
    // only the bytes through the model differ between widths: the per-value codec's are not coded
    let input = CodecInput::of(rows);
    let mut refused = String::new();
    let mut total_for = |widths: &[u8]| -> Result<Option<(usize, Model)>, String> {
        match Model::from_parts_with_weight_bits(parts, widths) {
            Ok(model) => Ok(Some((input.through(&model, bound)? + model.bytes().len(), model))),
            Err(e) => {
                // e.g. a weight too large for this width; the widest width's reason is the one to
                // give, since every narrower width refuses too when it does
                if refused.is_empty() {
                    refused = e.to_string();
                }
                Ok(None)
            }
        }
    };
    let mut best: Option<(usize, Model)> = None;
    for bits in WEIGHT_BITS {
        if let Some((total, model)) = total_for(&vec![bits; layers])? {
            if best.as_ref().is_none_or(|(fewest, _)| total < *fewest) {
                best = Some((total, model));
            }
        }
    }
    let Some((mut fewest, mut model)) = best else {
        // the latent's quantisation step is folded into the weights, so a fine bound asks for
        // weights beyond 16 bits: say what to change, not only what the format refused
        let advice = if refused.contains("not storable") {
            "; the bound is too fine for this model (its latent's step, folded into the weights, needs \
             more than 16 bits): train for a coarser --bound, or use the per-value codec at this one"
        } else {
            ""
        };
        return Err(format!("the trained model cannot be stored: {refused}{advice}"));
    };
    for layer in 0..layers {
        let mut widths = model.weight_bits();
        let kept = widths[layer];
        for &narrower in WEIGHT_BITS.iter().filter(|&&b| b < kept) {
            widths[layer] = narrower;
            match total_for(&widths)? {
                Some((total, narrowed)) if total < fewest => (fewest, model) = (total, narrowed),
                _ => break,
            }
        }
    }
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;
    use baler_codec::{fit_linear, Transform};

    /// 300 rows of 6 positive values driven by 2 factors, as covariance elements are: few rows,
    /// so the model's own bytes matter.
    fn few_correlated_rows() -> Dataset {
        let n = 300;
        let values = (0..n)
            .flat_map(|i| {
                let (a, b) = ((i * 37 % 101) as f64 / 25.0, (i * 53 % 89) as f64 / 20.0);
                [a, b, a + b, a - b, 0.5 * a + 0.01 * (i % 7) as f64, 2.0 * b].map(|t| t.exp2() as f32 as f64)
            })
            .collect();
        Dataset { values, k: 6, names: vec![], entry: (0..n as i64).collect(), is_f32: true, skipped: 0, collection: false }
    }

    /// The stored widths make fewer bytes in all than any one width for both layers, and on few
    /// rows they are below 16 bits: the narrower model costs less than the finer prediction it
    /// gives up.
    #[test]
    fn the_width_with_the_fewest_bytes_in_all_is_kept() {
        let rows = few_correlated_rows();
        let bound = Bound::Bits(7);
        let parts = fit_linear(&rows.values, rows.k, 2, Transform::Log2Magnitude, 0.5).unwrap().to_parts();
        let total = |m: &Model| measure(m, &bound, &rows).unwrap().through_model + m.bytes().len();
        let chosen = smallest_storage(&parts, &bound, &rows).unwrap();
        assert!(chosen.weight_bits().iter().all(|&b| b < 16), "kept {:?} bits", chosen.weight_bits());
        for bits in WEIGHT_BITS {
            let other = Model::from_parts_with_weight_bits(&parts, &[bits, bits]).unwrap();
            assert!(total(&chosen) <= total(&other), "{:?} bits: {} bytes, {bits} bits: {}", chosen.weight_bits(), total(&chosen), total(&other));
        }
    }
}
