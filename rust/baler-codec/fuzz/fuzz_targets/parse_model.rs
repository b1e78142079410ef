//! Hostile `.balm` models: parsing returns Err or Ok, never panics. The input is tried as it is
//! and with a valid content hash appended (so the fuzzer gets past the hash check into the
//! structure); a model that parses is then used to code and decode a few rows, which must hold
//! the bound whatever its weights.
#![no_main]
use baler_codec::{decode_block_with_model, encode_block_with_model, f32_within_spec, Model, Segment, SegmentKind, Spec};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = Model::parse(data);
    let mut sealed = data.to_vec();
    sealed.extend_from_slice(&xxhash_rust::xxh3::xxh3_128(data).to_le_bytes());
    let Ok(model) = Model::parse(&sealed) else { return };
    assert_eq!(Model::parse(model.bytes()).map(|m| m.id()), Ok(model.id()));
    let k = model.features();
    if k > 64 {
        return;
    }
    let vals: Vec<f32> = (0..k * 40).map(|i| ((i * 7919 % 1009) as f32 - 500.0) * 0.013).collect();
    let src: Vec<u8> = vals.iter().flat_map(|v| v.to_be_bytes()).collect();
    let layout = [Segment::new(SegmentKind::F32, src.len() as u32)];
    for text in ["bits:7", "rel:1e-3", "abs:1e-3"] {
        let spec: Spec = format!("ae:{text}:{}", model.id()).parse().unwrap();
        let mut block = Vec::new();
        encode_block_with_model(&src, &layout, &spec, Some(&model), &mut block).unwrap();
        let mut dst = vec![0u8; src.len()];
        decode_block_with_model(&block, &mut dst, Some(&model)).unwrap();
        let bound: Spec = text.parse().unwrap();
        for (x, y) in vals.iter().zip(dst.chunks_exact(4)) {
            assert!(f32_within_spec(&bound, *x, f32::from_be_bytes([y[0], y[1], y[2], y[3]])));
        }
    }
});
