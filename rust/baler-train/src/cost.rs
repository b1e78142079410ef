//! What a model saves, measured with the codec itself: the rows' bytes under the per-value codec
//! (`encode_block` with the bound's spec) against their bytes under `ae:BOUND:MODEL`
//! (`encode_block_with_model`: latent codes, residual codes, signs and exceptions, and the
//! codec's own fallback to per-value coding where the model does not pay), in blocks of about a
//! basket's size. The model's own bytes are counted apart: a file stores it once.

use baler_codec::{encode_block, encode_block_with_model, per_value_spec, Bound, Model, Segment, SegmentKind, Spec};

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

/// Codes `rows` both ways.
pub fn measure(model: &Model, bound: &Bound, rows: &Dataset) -> Result<Bytes, String> {
    let ae = Spec::Ae { bound: bound.clone(), model: model.id().to_string() };
    let per_value = per_value_spec(bound);
    let mut bytes = Bytes { values: rows.values.len(), ..Bytes::default() };
    let block_values = (BLOCK_VALUES / rows.k).max(1) * rows.k;
    let (src, kind): (Vec<u8>, _) = if rows.is_f32 {
        (rows.values.iter().flat_map(|&x| (x as f32).to_be_bytes()).collect(), SegmentKind::F32)
    } else {
        (rows.values.iter().flat_map(|&x| x.to_be_bytes()).collect(), SegmentKind::F64)
    };
    let mut out = Vec::new();
    for block in src.chunks(block_values * kind.elem_size()) {
        let layout = [Segment::new(kind, block.len() as u32)];
        out.clear();
        encode_block(block, &layout, &per_value, &mut out).map_err(|e| format!("per-value codec: {e}"))?;
        bytes.per_value += out.len();
        out.clear();
        encode_block_with_model(block, &layout, &ae, Some(model), &mut out).map_err(|e| format!("ae codec: {e}"))?;
        bytes.through_model += out.len();
    }
    Ok(bytes)
}
