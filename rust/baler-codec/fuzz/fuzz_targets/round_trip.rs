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
    let (src, layout) = if f64_mode {
        let n = body.len() / 8 * 8;
        (body[..n].to_vec(), vec![Segment { kind: SegmentKind::F64, len: n as u32 }])
    } else {
        let n = body.len() / 4 * 4;
        (body[..n].to_vec(), vec![Segment { kind: SegmentKind::F32, len: n as u32 }])
    };
    let mut block = Vec::new();
    if encode_block(&src, &layout, &spec, &mut block).is_err() {
        assert!(matches!(spec, Spec::Bits(n) if n > 23 && !f64_mode), "encode failed for {spec}");
        return;
    }
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
});
