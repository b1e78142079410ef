//! What several modules use: values as the big-endian bytes ROOT stores and back, a round trip
//! checked against the bound, every spec, and the special values that must come back bit-exact.
use baler_codec::*;

pub fn be32(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_be_bytes()).collect()
}
pub fn be64(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_be_bytes()).collect()
}
pub fn from_be32(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4).map(|c| f32::from_be_bytes([c[0], c[1], c[2], c[3]])).collect()
}
pub fn from_be64(b: &[u8]) -> Vec<f64> {
    b.chunks_exact(8).map(|c| f64::from_be_bytes(c.try_into().unwrap())).collect()
}

pub fn round_trip(src: &[u8], layout: &[Segment], spec: &Spec) -> Vec<u8> {
    let mut block = Vec::new();
    encode_block(src, layout, spec, &mut block).unwrap_or_else(|e| panic!("encode {spec}: {e}"));
    assert_eq!(decoded_len(&block).unwrap(), src.len());
    let mut dst = vec![0u8; src.len()];
    decode_block(&block, &mut dst).unwrap_or_else(|e| panic!("decode {spec}: {e}"));
    dst
}

/// Asserts every value of an f32 round trip satisfies the spec; returns the decoded values.
pub fn check_f32(vals: &[f32], spec: &Spec) -> Vec<f32> {
    let src = be32(vals);
    let dst = round_trip(&src, &[Segment::new(SegmentKind::F32, src.len() as u32)], spec);
    let out = from_be32(&dst);
    for (i, (&x, &y)) in vals.iter().zip(&out).enumerate() {
        assert!(f32_within_spec(spec, x, y), "{spec}: value {i}: {x:e} ({:#x}) -> {y:e} ({:#x})", x.to_bits(), y.to_bits());
    }
    out
}

pub fn check_f64(vals: &[f64], spec: &Spec) -> Vec<f64> {
    let src = be64(vals);
    let dst = round_trip(&src, &[Segment::new(SegmentKind::F64, src.len() as u32)], spec);
    let out = from_be64(&dst);
    for (i, (&x, &y)) in vals.iter().zip(&out).enumerate() {
        assert!(f64_within_spec(spec, x, y), "{spec}: value {i}: {x:e} ({:#x}) -> {y:e} ({:#x})", x.to_bits(), y.to_bits());
    }
    out
}

pub fn all_specs() -> Vec<Spec> {
    let mut v = vec![Spec::Lossless];
    for n in [1u8, 2, 7, 10, 12, 16, 22, 23] {
        v.push(Spec::Bits(n));
    }
    for e in [0.5, 0.1, 1e-2, 2f64.powi(-11), 1e-4, 2f64.powi(-17), 1e-6, 1e-7, 1e-9] {
        v.push(Spec::Rel(e));
    }
    for e in [1e-30, 1e-6, 1e-3, 0.5, 3.0, 1e30] {
        v.push(Spec::Abs(e));
    }
    v
}

pub fn specials32() -> Vec<f32> {
    vec![
        f32::NAN,
        f32::from_bits(0x7fc0_1234),
        f32::from_bits(0xffa0_0001), // negative signalling NaN with payload
        f32::INFINITY,
        f32::NEG_INFINITY,
        -0.0,
        0.0,
        f32::from_bits(1),
        f32::from_bits(0x807f_ffff),
        f32::MIN_POSITIVE,
        -f32::MIN_POSITIVE,
        f32::MAX,
        f32::MIN,
        f32::EPSILON,
    ]
}

pub fn specials64() -> Vec<f64> {
    vec![
        f64::NAN,
        f64::from_bits(0x7ff8_0000_dead_beef),
        f64::from_bits(0xfff0_0000_0000_0001),
        f64::INFINITY,
        f64::NEG_INFINITY,
        -0.0,
        0.0,
        f64::from_bits(1),
        f64::from_bits(0x800f_ffff_ffff_ffff),
        f64::MIN_POSITIVE,
        -f64::MIN_POSITIVE,
        f64::MAX,
        f64::MIN,
        1e-300,
        -1e300,
    ]
}
