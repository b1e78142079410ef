//! What a model saves: bytes of the rows under the per-value codec (measured: the codec crate's
//! `encode_block`) against bytes through the model: the rounded latent and the residual codes,
//! coded by the same codec's lossless integer path (pcodec), the signs of the log transform as a
//! packed bit stream (zstd), column by column, in blocks of about a basket's size.
//!
//! The residual of a value is code(x) - code(prediction) under the bound's per-value quantiser.
//! The quantisers live inside the codec crate and are not public yet, so `code` below follows the
//! specs' definitions: exact for `bits:N` (the rounded magnitude's bit pattern shifted right) and
//! `abs:E` (the nearest multiple of 2E), an approximation for `rel:E` (a uniform logarithmic grid;
//! the codec's grid has a whole number of levels per binade).

use baler_codec::{encode_block, Bound, Segment, SegmentKind, Spec};

use crate::dataset::Dataset;
use crate::model::{predict, Net, Normalisation, Transform};

/// Values per coded block: about a basket's worth.
const BLOCK_VALUES: usize = 1 << 15;

/// Bytes of one set of rows, both ways.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bytes {
    pub values: usize,
    pub per_value: usize,
    pub latent: usize,
    pub residual: usize,
}

impl Bytes {
    pub fn model_path(&self) -> usize {
        self.latent + self.residual
    }

    pub fn per_value_bpv(&self) -> f64 {
        self.per_value as f64 / self.values.max(1) as f64
    }

    pub fn model_path_bpv(&self) -> f64 {
        self.model_path() as f64 / self.values.max(1) as f64
    }

    /// Fraction saved against the per-value codec, with `extra` bytes (the model) on the model path.
    pub fn gain(&self, extra: usize) -> f64 {
        1.0 - (self.model_path() + extra) as f64 / self.per_value.max(1) as f64
    }
}

/// The quantiser code of `x` (for relative bounds, of |x|).
fn code(bound: &Bound, x: f64, is_f32: bool) -> i64 {
    match *bound {
        Bound::Bits(n) => {
            let n = n as u32;
            if is_f32 {
                let mag = ((x.abs() as f32).clamp(f32::MIN_POSITIVE, f32::MAX).to_bits()) as u64;
                ((mag + (1 << (22 - n.min(22)))) >> (23 - n.min(23))) as i64
            } else {
                let mag = x.abs().clamp(f64::MIN_POSITIVE, f64::MAX).to_bits();
                ((mag + (1 << (51 - n.min(51)))) >> (52 - n.min(52))) as i64
            }
        }
        Bound::Rel(e) => (x.abs().log2() / ((1.0 + e) / (1.0 - e)).log2()).round() as i64,
        Bound::Abs(e) => (x / (2.0 * e)).round().clamp(-9e18, 9e18) as i64,
    }
}

/// Measures `rows` both ways; every value must be one the model path codes ([`Transform::codes`]).
pub fn measure(net: &Net, norm: &Normalisation, bound: &Bound, rows: &Dataset) -> Result<Bytes, String> {
    let k = rows.k;
    let mut bytes = Bytes { values: rows.values.len(), ..Bytes::default() };
    let block_rows = (BLOCK_VALUES / k).max(1);
    for start in (0..rows.rows()).step_by(block_rows) {
        let block = rows.select(&(start..(start + block_rows).min(rows.rows())).collect::<Vec<_>>());
        bytes.per_value += per_value_bytes(&block, bound)?;
        let (latent, zhat) = predict(net, &norm.apply(&block));
        bytes.latent += int_bytes(&column_major(&latent, net.arch.latent), &[])?;
        let mut residual = Vec::with_capacity(block.values.len());
        for (i, &x) in block.values.iter().enumerate() {
            let prediction = norm.value(i % k, zhat[i] as f64, x);
            residual.push(code(bound, x, block.is_f32) - code(bound, prediction, block.is_f32));
        }
        let signs = match norm.transform {
            Transform::Log2Magnitude => packed_bits(&column_major(&block.values.iter().map(|&x| x < 0.0).collect::<Vec<_>>(), k)),
            Transform::Linear => vec![],
        };
        bytes.residual += int_bytes(&column_major(&residual, k), &signs)?;
    }
    Ok(bytes)
}

fn spec_of(bound: &Bound) -> Spec {
    match *bound {
        Bound::Bits(n) => Spec::Bits(n),
        Bound::Rel(e) => Spec::Rel(e),
        Bound::Abs(e) => Spec::Abs(e),
    }
}

fn per_value_bytes(rows: &Dataset, bound: &Bound) -> Result<usize, String> {
    let (src, kind): (Vec<u8>, _) = if rows.is_f32 {
        (rows.values.iter().flat_map(|&x| (x as f32).to_be_bytes()).collect(), SegmentKind::F32)
    } else {
        (rows.values.iter().flat_map(|&x| x.to_be_bytes()).collect(), SegmentKind::F64)
    };
    let mut out = Vec::new();
    encode_block(&src, &[Segment::new(kind, src.len() as u32)], &spec_of(bound), &mut out).map_err(|e| format!("per-value codec: {e}"))?;
    Ok(out.len())
}

/// Bytes of `ints` (each must fit in i32) and `raw` through the codec's lossless path.
fn int_bytes(ints: &[i64], raw: &[u8]) -> Result<usize, String> {
    let mut src: Vec<u8> = Vec::with_capacity(ints.len() * 4 + raw.len());
    for &v in ints {
        let v = i32::try_from(v).map_err(|_| format!("a code ({v}) does not fit in 32 bits"))?;
        src.extend_from_slice(&v.to_be_bytes());
    }
    let mut layout = vec![Segment::new(SegmentKind::I32, src.len() as u32)];
    if !raw.is_empty() {
        src.extend_from_slice(raw);
        layout.push(Segment::new(SegmentKind::Raw, raw.len() as u32));
    }
    let mut out = Vec::new();
    encode_block(&src, &layout, &Spec::Lossless, &mut out).map_err(|e| format!("integer coding: {e}"))?;
    Ok(out.len())
}

fn column_major<T: Copy>(row_major: &[T], width: usize) -> Vec<T> {
    let rows = row_major.len() / width.max(1);
    (0..width).flat_map(|j| (0..rows).map(move |i| row_major[i * width + j])).collect()
}

fn packed_bits(bits: &[bool]) -> Vec<u8> {
    bits.chunks(8).map(|c| c.iter().enumerate().fold(0u8, |acc, (i, &b)| acc | ((b as u8) << i))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_code_is_the_rounded_mantissa_and_steps_by_one_per_grid_point() {
        let b7 = Bound::Bits(7);
        assert_eq!(code(&b7, 1.0, true), (127 << 7) as i64);
        assert_eq!(code(&b7, -1.0, true), code(&b7, 1.0, true), "relative bounds code magnitudes");
        assert_eq!(code(&b7, 1.0 + 1.0 / 128.0, true) - code(&b7, 1.0, true), 1);
        assert_eq!(code(&b7, 2.0, true) - code(&b7, 1.0, true), 128, "2^N codes per binade");
        assert_eq!(code(&b7, 1.0 + 1.0 / 128.0, false) - code(&b7, 1.0, false), 1);
        assert_eq!(code(&Bound::Abs(0.5), -3.0, true), -3);
    }

    #[test]
    fn column_major_and_packed_bits() {
        assert_eq!(column_major(&[1, 2, 3, 4, 5, 6], 3), vec![1, 4, 2, 5, 3, 6]);
        assert_eq!(packed_bits(&[true, false, true, false, false, false, false, false, true]), vec![0b101, 1]);
    }
}
