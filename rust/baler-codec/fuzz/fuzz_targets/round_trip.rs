//! Arbitrary float bit patterns and specs: encode, decode, the bound holds for
//! every value and specials are bit-exact; then a corrupted copy never panics.
#![no_main]
use baler_codec::{decode_block, encode_block, f32_within_spec, f64_within_spec, Segment, SegmentKind, Spec};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let p = data[1] as f64;
    let spec = match data[0] % 4 {
        0 => Spec::Lossless,
        1 => Spec::Bits(1 + data[1] % 52),
        2 => Spec::Rel((-(1.0 + p / 4.0)).exp2()),
        _ => Spec::Abs(((p - 128.0) / 2.0).exp2()),
    };
    let f64_mode = data[2] & 1 == 1;
    let body = &data[3..];
    let size = if f64_mode { 8 } else { 4 };
    let n = body.len() / size * size;
    let mut src = body[..n].to_vec();
    // with bit 1 of data[2]: the first value repeated as a sentinel every (data[1] % 7 + 2)
    // values, so the sentinel table is written, decoded, and then corrupted below
    if data[2] & 2 != 0 && n >= 2 * size {
        let every = (data[1] % 7 + 2) as usize;
        let first = src[..size].to_vec();
        for value in src.chunks_exact_mut(size).step_by(every) {
            value.copy_from_slice(&first);
        }
    }
    let kind = if f64_mode { SegmentKind::F64 } else { SegmentKind::F32 };
    let layout = vec![Segment { kind, len: n as u32 }];
    let mut block = Vec::new();
    // every spec applies to both float types (bits:N above float32's 23 keeps every bit)
    encode_block(&src, &layout, &spec, &mut block).unwrap_or_else(|e| panic!("encode failed for {spec}: {e}"));
    let mut dst = vec![0u8; src.len()];
    decode_block(&block, &mut dst).expect("decode of a fresh block");
    if f64_mode {
        for (a, b) in src.chunks_exact(8).zip(dst.chunks_exact(8)) {
            let x = f64::from_be_bytes(a.try_into().unwrap());
            let y = f64::from_be_bytes(b.try_into().unwrap());
            assert!(f64_within_spec(&spec, x, y), "{spec}: {x:e} -> {y:e}");
        }
    } else {
        for (a, b) in src.chunks_exact(4).zip(dst.chunks_exact(4)) {
            let x = f32::from_be_bytes(a.try_into().unwrap());
            let y = f32::from_be_bytes(b.try_into().unwrap());
            assert!(f32_within_spec(&spec, x, y), "{spec}: {x:e} -> {y:e}");
        }
    }
    let i = data[1] as usize % block.len();
    block[i] ^= data[2] | 1;
    let _ = decode_block(&block, &mut dst);
    // the flip undone, a corrupted byte near the end instead, where the sentinel table and the
    // exceptions lie
    if block.len() > 2 {
        block[i] ^= data[2] | 1;
        let j = block.len() - 1 - (data[1] as usize % block.len().min(24));
        block[j] = block[j].wrapping_add(data[0] | 1);
        let _ = decode_block(&block, &mut dst);
    }
});
