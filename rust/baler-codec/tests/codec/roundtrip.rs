//! Round trips of encode_block/decode_block for every spec and segment kind.
use baler_codec::*;
use crate::common::*;

fn physics32(n: usize, seed: u64) -> Vec<f32> {
    // deterministic falling spectrum with signs, xorshift
    let mut s = seed | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let u = (s >> 11) as f64 / (1u64 << 53) as f64;
            let v = -30.0 * (1.0 - u).ln();
            (if s & 1 == 0 { v } else { -v }) as f32
        })
        .collect()
}

/// Every spec on float32 data: the bound holds for every value, specials are bit-exact.
#[test]
fn every_spec_f32_with_specials() {
    let mut vals = physics32(5000, 7);
    vals.extend(specials32());
    vals.extend(physics32(100, 9).iter().map(|v| v * 1e-30));
    vals.extend(physics32(100, 11).iter().map(|v| v * 1e30));
    for spec in all_specs() {
        let out = check_f32(&vals, &spec);
        for (x, y) in specials32().iter().zip(&out[5000..]) {
            if x.is_nan() || x.is_infinite() || x.is_subnormal() || (*x == 0.0 && x.is_sign_negative()) {
                assert_eq!(x.to_bits(), y.to_bits(), "{spec}: special {x:?} not exact");
            }
        }
        if spec == Spec::Lossless {
            assert!(vals.iter().zip(&out).all(|(a, b)| a.to_bits() == b.to_bits()));
        }
    }
}

/// Every spec on float64 data (bits up to 52).
#[test]
fn every_spec_f64_with_specials() {
    let mut vals: Vec<f64> = physics32(3000, 3).iter().map(|&v| v as f64 * 1.000_000_123).collect();
    vals.extend(specials64());
    let mut specs = all_specs();
    specs.extend([Spec::Bits(40), Spec::Bits(51), Spec::Bits(52), Spec::Rel(1e-12), Spec::Rel(1e-16), Spec::Abs(1e-12)]);
    for spec in specs {
        let out = check_f64(&vals, &spec);
        for (x, y) in specials64().iter().zip(&out[3000..]) {
            if x.is_nan() || x.is_infinite() || x.is_subnormal() || (*x == 0.0 && x.is_sign_negative()) {
                assert_eq!(x.to_bits(), y.to_bits(), "{spec}: special {x:?} not exact");
            }
        }
    }
}

/// bits:N rounds to nearest, like NanoAOD's reduceMantissaToNbitsRounding where that one is
/// correct (it never carries into the exponent; we do, so the bound always holds).
#[test]
fn bits_is_round_to_nearest() {
    let vals: Vec<f32> = vec![1.0, 1.5, 1.0 + 2f32.powi(-11), 1.0 + 3.0 * 2f32.powi(-11), 1.999_999_9, 3.14159, -2.71828];
    let out = check_f32(&vals, &Spec::Bits(10));
    assert_eq!(out[0], 1.0);
    assert_eq!(out[1], 1.5);
    assert_eq!(out[2], 1.0 + 2f32.powi(-10)); // tie rounds away from zero (like NanoAOD)
    assert_eq!(out[3], 1.0 + 2.0 * 2f32.powi(-10));
    assert_eq!(out[4], 2.0); // carries into the exponent (NanoAOD would truncate to 1.999)
    for &y in &out {
        assert_eq!(y.to_bits() & ((1 << 13) - 1), 0, "mantissa has more than 10 bits: {y}");
    }
}

/// bits:N above float32's 23 mantissa bits keeps float32 values bit for bit (rounding to N bits
/// changes nothing) and rounds float64 values to N bits. It was an encode error, so a basket that
/// held floats under `bits:30` (one policy for float and double branches) was stored raw.
#[test]
fn bits_above_the_float32_mantissa_keep_every_float32_bit() {
    let floats = [1.0f32, 1.0 + f32::EPSILON, -3.3e-39, f32::MAX, 0.1];
    let src = be32(&floats);
    assert_eq!(round_trip(&src, &[Segment::new(SegmentKind::F32, src.len() as u32)], &Spec::Bits(30)), src);
    let doubles = [1.0, 1.0 + f64::EPSILON, 0.1];
    let rounded = check_f64(&doubles, &Spec::Bits(30));
    assert_ne!(rounded[1], doubles[1], "float64 values are rounded to 30 bits");
}

/// ae: without its model is an encode error naming the model (tests/codec/ae.rs covers the codec).
#[test]
fn ae_without_its_model() {
    let spec: Spec = "ae:rel:1e-3:model.balm".parse().unwrap();
    let src = be32(&[1.0]);
    let mut out = Vec::new();
    let e = encode_block(&src, &[Segment::new(SegmentKind::F32, 4)], &spec, &mut out).unwrap_err();
    assert!(matches!(e, CodecError::InvalidArgument(ref m) if m.contains("needs its model model.balm")), "{e}");
}

/// Empty src / empty layout is a valid block; zero-length segments are fine.
#[test]
fn empty_blocks() {
    for spec in all_specs() {
        assert!(round_trip(&[], &[], &spec).is_empty());
        assert!(round_trip(&[], &[Segment::new(SegmentKind::F32, 0), Segment::new(SegmentKind::Raw, 0)], &spec).is_empty());
    }
}

/// Layout errors are caller bugs reported as Err: misaligned segments and wrong coverage.
#[test]
fn bad_layouts() {
    let src = vec![0u8; 12];
    let mut out = Vec::new();
    for layout in [
        vec![Segment::new(SegmentKind::F32, 6), Segment::new(SegmentKind::Raw, 6)],
        vec![Segment::new(SegmentKind::F64, 12)],
        vec![Segment::new(SegmentKind::I32, 2), Segment::new(SegmentKind::Raw, 10)],
        vec![Segment::new(SegmentKind::Raw, 11)],
        vec![Segment::new(SegmentKind::Raw, 13)],
        vec![Segment::new(SegmentKind::Raw, u32::MAX), Segment::new(SegmentKind::Raw, u32::MAX)],
    ] {
        let e = encode_block(&src, &layout, &Spec::Lossless, &mut out).unwrap_err();
        assert!(matches!(e, CodecError::InvalidLayout(_)), "{layout:?}: {e}");
    }
}

/// A std::vector<float>-like basket: thousands of tiny Raw(10)+F32(4n) segments plus an
/// I32 entry-offset tail. Raw and I32 bytes come back exactly, floats within the bound,
/// and the stored layout is compact.
#[test]
fn many_tiny_segments() {
    let vals = physics32(20000, 5);
    let mut src = Vec::new();
    let mut layout = Vec::new();
    let mut offsets = Vec::new();
    let mut i = 0;
    let mut entry = 0u32;
    while i < vals.len() {
        let n = ((entry * 7919) % 9) as usize;
        let n = n.min(vals.len() - i);
        offsets.push(src.len() as i32 + 100);
        src.extend_from_slice(&((6 + 4 * n as u32) | 0x4000_0000).to_be_bytes());
        src.extend_from_slice(&9u16.to_be_bytes());
        src.extend_from_slice(&(n as u32).to_be_bytes());
        layout.push(Segment::new(SegmentKind::Raw, 10));
        src.extend(be32(&vals[i..i + n]));
        layout.push(Segment::new(SegmentKind::F32, 4 * n as u32));
        i += n;
        entry += 1;
    }
    let tail_start = src.len();
    for o in &offsets {
        src.extend_from_slice(&o.to_be_bytes());
    }
    layout.push(Segment::new(SegmentKind::I32, (4 * offsets.len()) as u32));
    for spec in all_specs() {
        let mut block = Vec::new();
        encode_block(&src, &layout, &spec, &mut block).unwrap();
        let mut dst = vec![0u8; src.len()];
        decode_block(&block, &mut dst).unwrap();
        assert_eq!(&dst[tail_start..], &src[tail_start..], "{spec}: I32 tail");
        let mut off = 0;
        for seg in &layout {
            let l = seg.len as usize;
            match seg.kind {
                SegmentKind::Raw | SegmentKind::I32 => assert_eq!(&dst[off..off + l], &src[off..off + l]),
                SegmentKind::F32 => {
                    for (x, y) in from_be32(&src[off..off + l]).iter().zip(from_be32(&dst[off..off + l])) {
                        assert!(f32_within_spec(&spec, *x, y), "{spec}: {x} -> {y}");
                    }
                }
                SegmentKind::F64 => unreachable!(),
            }
            off += l;
        }
        if spec == Spec::Lossless {
            assert_eq!(dst, src);
            // the layout + raw + offsets must not cost much more than the floats themselves
            assert!(block.len() < src.len(), "lossless block {} >= raw {}", block.len(), src.len());
        }
    }
}

/// Mixed f32 + f64 + i32 + raw in one block.
#[test]
fn mixed_kinds() {
    let f = physics32(100, 1);
    let d: Vec<f64> = f.iter().map(|&x| x as f64 / 3.0).collect();
    let mut src = b"header....".to_vec();
    src.extend(be32(&f));
    src.extend(be64(&d));
    src.extend((0..50i32).flat_map(|i| (i * 1000 - 7).to_be_bytes()));
    let layout = [
        Segment::new(SegmentKind::Raw, 10),
        Segment::new(SegmentKind::F32, 400),
        Segment::new(SegmentKind::F64, 800),
        Segment::new(SegmentKind::I32, 200),
    ];
    let dst = round_trip(&src, &layout, &Spec::Rel(1e-3));
    assert_eq!(&dst[..10], &src[..10]);
    assert_eq!(&dst[1210..], &src[1210..]);
    assert_eq!(round_trip(&src, &layout, &Spec::Lossless), src);
}

/// Decoding checks: wrong dst length, bad magic, version, checksum.
#[test]
fn decode_rejects_bad_blocks() {
    let src = be32(&physics32(1000, 2));
    let layout = [Segment::new(SegmentKind::F32, src.len() as u32)];
    let mut block = Vec::new();
    encode_block(&src, &layout, &Spec::Bits(12), &mut block).unwrap();
    let mut dst = vec![0u8; src.len() + 4];
    assert!(matches!(decode_block(&block, &mut dst), Err(CodecError::LengthMismatch { .. })));
    let mut dst = vec![0u8; src.len()];
    let mut b = block.clone();
    b[0] ^= 1;
    assert!(decode_block(&b, &mut dst).is_err());
    let mut b = block.clone();
    b[4] = 2;
    assert!(matches!(decode_block(&b, &mut dst), Err(CodecError::Unsupported(_))));
    // flip a bit of the stored checksum
    let mut b = block.clone();
    let hdr = 4 + 1 + 1 + 2; // magic, version, flags, 2-byte varint length (4000)
    b[hdr] ^= 0x10;
    assert_eq!(decode_block(&b, &mut dst), Err(CodecError::Checksum));
    for cut in 0..block.len() {
        assert!(decode_block(&block[..cut], &mut dst).is_err(), "truncated at {cut} accepted");
    }
}

/// The encoder appends to `out` (does not clear it).
#[test]
fn encode_appends() {
    let src = be32(&[1.0, 2.0, 3.0]);
    let mut out = b"prefix".to_vec();
    encode_block(&src, &[Segment::new(SegmentKind::F32, 12)], &Spec::Lossless, &mut out).unwrap();
    assert_eq!(&out[..6], b"prefix");
    let mut dst = vec![0u8; 12];
    decode_block(&out[6..], &mut dst).unwrap();
    assert_eq!(dst, src);
}

/// Data already rounded upstream (NanoAOD keeps 10 mantissa bits) and re-written with a finer
/// grid (bits:16, rel:2^-17, an abs step below the data's smallest spacing) comes back unchanged,
/// in no more bytes than lossless coding takes; a coarser grid (bits:8) still quantises.
#[test]
fn values_already_coarser_than_the_spec_are_stored_exactly() {
    let keep10 = |v: f32| f32::from_bits(v.to_bits() & !((1u32 << 13) - 1));
    let vals: Vec<f32> = physics32(4000, 5).into_iter().map(keep10).collect();
    let src = be32(&vals);
    let layout = [Segment::new(SegmentKind::F32, src.len() as u32)];
    let block_len = |spec: &Spec| {
        let mut b = Vec::new();
        encode_block(&src, &layout, spec, &mut b).unwrap();
        b.len()
    };
    let lossless = block_len(&Spec::Lossless);
    for spec in [Spec::Bits(16), Spec::Bits(10), Spec::Rel(2f64.powi(-17)), Spec::Abs(2f64.powi(-60))] {
        let out = check_f32(&vals, &spec);
        assert!(vals.iter().zip(&out).all(|(a, b)| a.to_bits() == b.to_bits()), "{spec} changed pre-rounded values");
        assert!(block_len(&spec) <= lossless, "{spec}: {} bytes > lossless {lossless}", block_len(&spec));
    }
    let out = check_f32(&vals, &Spec::Bits(8));
    assert!(vals.iter().zip(&out).any(|(a, b)| a.to_bits() != b.to_bits()), "bits:8 must still quantise");
}

/// Every value of a `rel:E` block meets the worst case of its K levels, 2^(1/(2K)) - 1, a hair under
/// E, and the block reports E as written. Every float32 in [36, 37) at rel:1e-3 (347 levels, worst
/// case 9.9924e-4): before, values whose reconstruction rounded to float32 landed just past the
/// levels' midpoint (36.436687 came back 9.99302e-4 away, past 9.99270e-4) were coded.
#[test]
fn rel_values_meet_the_worst_case_of_their_levels() {
    let vals: Vec<f32> = (36.0f32.to_bits()..37.0f32.to_bits()).map(f32::from_bits).collect();
    let src = be32(&vals);
    let mut block = Vec::new();
    encode_block(&src, &[Segment::new(SegmentKind::F32, src.len() as u32)], &Spec::Rel(1e-3), &mut block).unwrap();
    assert_eq!(block_spec(&block).unwrap(), "f32 rel:1e-3");
    let worst_case = Spec::Rel((0.5f64 / 347.0).exp2() - 1.0);
    let mut dst = vec![0u8; src.len()];
    decode_block(&block, &mut dst).unwrap();
    let past = vals.iter().zip(from_be32(&dst)).filter(|&(&x, y)| !f32_within_spec(&worst_case, x, y)).count();
    assert_eq!(past, 0, "{past} of {} values past the levels' worst case {worst_case}", vals.len());
}

/// Codes a block and a zstd frame from a thread-local destructor that runs after the codec's own
/// thread-locals are gone, as when ROOT closes a program's open files from an exit handler and
/// writes their keys through the plugin: each use of a thread's work space panicked there
/// ("cannot access a Thread Local Storage value during or after destruction"), and the process
/// aborted with its files unclosed.
#[test]
fn coding_after_the_threads_locals_are_destroyed() {
    struct CodesWhenDropped;
    impl Drop for CodesWhenDropped {
        fn drop(&mut self) {
            let vals: Vec<f32> = (0..5000).map(|i| (i as f32 * 0.37).sin() * 100.0).collect();
            for spec in [Spec::Bits(10), Spec::Rel(1e-3), Spec::Abs(1e-2)] {
                check_f32(&vals, &spec);
            }
            let bytes = be32(&vals);
            let mut frame = vec![0u8; bytes.len() + 1024];
            let size = compress_frame(5, &bytes, &mut frame).expect("a zstd frame");
            let mut back = vec![0u8; bytes.len()];
            assert_eq!(decompress_frame(&frame[..size], &mut back).unwrap(), bytes.len());
            assert_eq!(back, bytes);
        }
    }
    thread_local! {
        static AT_EXIT: CodesWhenDropped = const { CodesWhenDropped };
    }
    std::thread::spawn(|| {
        // registered first, so destroyed last (destructors run in reverse order of registration)
        AT_EXIT.with(|_| ());
        check_f32(&[1.5, -2.25, 3.0], &Spec::Bits(10));
        check_f32(&[1.5, -2.25, 3.0], &Spec::Rel(1e-3));
        let mut frame = vec![0u8; 64];
        let size = compress_frame(5, b"a frame", &mut frame).unwrap();
        decompress_frame(&frame[..size], &mut [0u8; 7]).unwrap();
    })
    .join()
    .expect("the thread codes to the end");
}
