//! Weights as signed integers of a few bits each, packed end to end. A model's weights need far
//! less precision than 16 bits to predict well (the residual holds the bound whatever the
//! prediction), and on files of a few thousand rows the model's own bytes are a large part of
//! what `ae:` pays, so `.balm` version 2 stores each layer's weights at the width its writer chose.

use crate::error::{corrupt, CodecError};
use crate::varint::Reader;

/// Narrowest and widest stored weight.
pub(crate) const MIN_WEIGHT_BITS: u8 = 2;
pub(crate) const MAX_WEIGHT_BITS: u8 = 16;

/// Largest magnitude a weight of `bits` bits holds (the range is symmetric: -2^(b-1) is unused).
pub(crate) fn largest_weight(bits: u8) -> i32 {
    (1 << (bits - 1)) - 1
}

/// Bytes that `n` weights of `bits` bits take.
fn packed_len(n: usize, bits: u8) -> usize {
    (n * bits as usize).div_ceil(8)
}

/// Appends `weights` (each within ±largest_weight(bits)) as `bits`-bit two's complement
/// integers, least significant bit first; the last byte's unused bits are zero.
pub(crate) fn put_weights(weights: &[i16], bits: u8, out: &mut Vec<u8>) {
    let mask = (1u32 << bits) - 1;
    let (mut acc, mut filled) = (0u32, 0u8);
    for &w in weights {
        debug_assert!((w as i32).abs() <= largest_weight(bits));
        acc |= (w as i32 as u32 & mask) << filled;
        filled += bits;
        while filled >= 8 {
            out.push(acc as u8);
            acc >>= 8;
            filled -= 8;
        }
    }
    if filled > 0 {
        out.push(acc as u8);
    }
}

/// Reads `n` weights written by [`put_weights`]. A weight of -2^(bits-1) and non-zero padding
/// are refused: neither is written, so every model has one byte form and one id.
pub(crate) fn get_weights(r: &mut Reader<'_>, n: usize, bits: u8) -> Result<Vec<i16>, CodecError> {
    let bytes = r.bytes(packed_len(n, bits))?;
    let shift = 32 - bits as u32;
    let mut weights = Vec::with_capacity(n);
    let (mut acc, mut filled, mut next) = (0u32, 0u8, 0usize);
    for _ in 0..n {
        while filled < bits {
            acc |= (bytes[next] as u32) << filled;
            next += 1;
            filled += 8;
        }
        let w = ((acc << shift) as i32) >> shift;
        if w < -largest_weight(bits) {
            return corrupt(format!("weight {w} is outside the {bits}-bit range written"));
        }
        weights.push(w as i16);
        acc >>= bits;
        filled -= bits;
    }
    if acc != 0 {
        return corrupt("non-zero padding after the weights");
    }
    Ok(weights)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every width round-trips the extremes and a spread of values in the bytes it promises, and
    /// a wrong padding bit or the unused most negative code is an error.
    #[test]
    fn weights_round_trip_at_every_width() {
        for bits in MIN_WEIGHT_BITS..=MAX_WEIGHT_BITS {
            let top = largest_weight(bits);
            let weights: Vec<i16> = (0..37).map(|i| ((i * 7919) % (2 * top + 1) - top) as i16).chain([top as i16, -top as i16, 0]).collect();
            let mut out = Vec::new();
            put_weights(&weights, bits, &mut out);
            assert_eq!(out.len(), packed_len(weights.len(), bits));
            assert_eq!(get_weights(&mut Reader::new(&out), weights.len(), bits).unwrap(), weights, "{bits} bits");
            if (weights.len() * bits as usize) % 8 != 0 {
                let mut padded = out.clone();
                *padded.last_mut().unwrap() |= 0x80;
                assert!(get_weights(&mut Reader::new(&padded), weights.len(), bits).is_err(), "{bits} bits: padding");
            }
            let mut most_negative = Vec::new();
            put_weights(&[0], bits, &mut most_negative);
            most_negative[(bits as usize - 1) / 8] |= 1 << ((bits - 1) % 8);
            assert!(get_weights(&mut Reader::new(&most_negative), 1, bits).is_err(), "{bits} bits: -2^(b-1)");
            assert!(get_weights(&mut Reader::new(&out[..out.len() - 1]), weights.len(), bits).is_err(), "{bits} bits: truncated");
        }
    }
}
