//! Property tests: for every spec, f32 and f64, adversarial values (extremes,
//! subnormals, huge dynamic range, mixed signs, zeros, -0.0, NaN payloads, Inf)
//! satisfy the bound with specials bit-exact; corrupted blocks never panic.
use baler_codec::*;
use crate::common::*;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

fn any_f32() -> impl Strategy<Value = f32> {
    prop_oneof![
        3 => any::<u32>().prop_map(f32::from_bits), // every bit pattern: NaN payloads, subnormals, Inf
        3 => -1e6f32..1e6f32,
        1 => prop::sample::select(specials32()),
        1 => (1u32..0x0080_0000).prop_map(f32::from_bits),     // subnormals
        1 => (0x7f00_0000u32..0x7f80_0000).prop_map(f32::from_bits), // near MAX
        1 => (0x0080_0000u32..0x0100_0000).prop_map(f32::from_bits), // near MIN_POSITIVE
    ]
}

fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => any::<u64>().prop_map(f64::from_bits),
        3 => -1e6f64..1e6f64,
        1 => prop::sample::select(specials64()),
        1 => (1u64..0x0010_0000_0000_0000).prop_map(f64::from_bits),
        1 => (0x7fe0_0000_0000_0000u64..0x7ff0_0000_0000_0000).prop_map(f64::from_bits),
        1 => (0x0010_0000_0000_0000u64..0x0030_0000_0000_0000).prop_map(f64::from_bits),
    ]
}

fn any_spec(max_bits: u8) -> impl Strategy<Value = Spec> {
    prop_oneof![
        Just(Spec::Lossless),
        (1u8..=max_bits).prop_map(Spec::Bits),
        (-60i32..0, 1.0f64..2.0).prop_map(|(k, m)| Spec::Rel((m * 2f64.powi(k)).min(0.999))),
        (-140i32..140, 1.0f64..2.0).prop_map(|(k, m)| Spec::Abs(m * 2f64.powi(k))),
    ]
}

proptest! {
    // The seeds of past failures are read from (and new ones written to) prop.proptest-regressions
    // beside this file: proptest's default looks elsewhere in a test binary with a main.rs.
    #![proptest_config(ProptestConfig {
        cases: 400,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..ProptestConfig::default()
    })]

    /// The bound holds for every f32 value, specials are bit-exact.
    #[test]
    fn f32_bound_holds(vals in prop::collection::vec(any_f32(), 0..300), spec in any_spec(23)) {
        check_f32(&vals, &spec);
    }

    /// The bound holds for every f64 value, specials are bit-exact.
    #[test]
    fn f64_bound_holds(vals in prop::collection::vec(any_f64(), 0..300), spec in any_spec(52)) {
        check_f64(&vals, &spec);
    }

    /// Narrow-range data (the usual case) with many repeats and sign changes.
    #[test]
    fn f32_clustered(base in -1e3f32..1e3, vals in prop::collection::vec(-1.0f32..1.0, 1..500), spec in any_spec(23)) {
        let v: Vec<f32> = vals.iter().map(|x| base + x * base.abs()).collect();
        check_f32(&v, &spec);
    }

    /// Values carrying only `kept` mantissa bits (data reduced upstream, as NanoAOD's) with any
    /// spec: the bound holds, specials stay exact, and a bits:N with N >= kept changes nothing.
    #[test]
    fn f32_pre_rounded(vals in prop::collection::vec(any_f32(), 1..300), kept in 0u32..=23, spec in any_spec(23)) {
        let drop_bits = |v: f32| if v.is_finite() && !v.is_subnormal() {
            f32::from_bits(v.to_bits() & !((1u32 << (23 - kept)) - 1))
        } else {
            v
        };
        let v: Vec<f32> = vals.into_iter().map(drop_bits).collect();
        let out = check_f32(&v, &spec);
        if let Spec::Bits(n) = spec {
            if n as u32 >= kept && v.iter().all(|x| x.is_finite() && !x.is_subnormal()) {
                prop_assert!(v.iter().zip(&out).all(|(a, b)| a.to_bits() == b.to_bits()));
            }
        }
    }

    /// decode(truncate/bitflip(encode(x))) never panics; it returns Err, or (if the
    /// checksum somehow passes) fills the same-length output.
    #[test]
    fn corrupt_blocks_never_panic(vals in prop::collection::vec(any_f32(), 0..200), spec in any_spec(23),
                                  flips in prop::collection::vec((any::<usize>(), 0u8..8), 1..4), cut in any::<usize>()) {
        let src = be32(&vals);
        let mut raw = b"0123456789".to_vec();
        raw.extend_from_slice(&src);
        raw.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 2]);
        let layout = [Segment::new(SegmentKind::Raw, 10), Segment::new(SegmentKind::F32, src.len() as u32), Segment::new(SegmentKind::I32, 8)];
        let mut block = Vec::new();
        encode_block(&raw, &layout, &spec, &mut block).unwrap();
        let mut dst = vec![0u8; raw.len()];
        let mut b = block.clone();
        for (pos, bit) in &flips {
            let p = pos % b.len();
            b[p] ^= 1 << bit;
        }
        let _ = decode_block(&b, &mut dst);
        let _ = decoded_len(&b);
        let t = &block[..cut % (block.len() + 1)];
        if t.len() < block.len() {
            prop_assert!(decode_block(t, &mut dst).is_err());
        }
        // random garbage after a valid header
        let mut g = block[..block.len().min(14)].to_vec();
        g.extend(flips.iter().map(|(p, _)| *p as u8));
        let _ = decode_block(&g, &mut dst);
    }
}
