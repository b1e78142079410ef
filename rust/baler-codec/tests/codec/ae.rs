//! The `ae:` codec end to end: the bound on every value, values identical to the per-value
//! codec's, the fallback, model lookup errors, hostile blocks, a committed fixture decoded bit for
//! bit, and a block encoded in one process and decoded in another.

use crate::common::{be32, from_be32};
use baler_codec::*;

/// A fixed pseudo-random sequence (64-bit LCG), the same on every machine.
struct Lcg(u64);
impl Lcg {
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        // sum of 12 uniforms: mean 6, variance 1 (no libm needed)
        (0..12).map(|_| self.unit()).sum::<f64>() - 6.0
    }
}

const K: usize = 6;

/// Rows like a covariance matrix's elements: log-magnitudes driven by two hidden factors plus a
/// little noise, off-diagonal elements with random signs. Column 4 is constant (-3000), column 5
/// an exact zero in every third row and a sentinel -1 in every seventh.
fn covariance_like_rows(n: usize, seed: u64) -> Vec<f32> {
    let mut r = Lcg(seed);
    let mut v = Vec::with_capacity(n * K);
    for i in 0..n {
        let (a, b) = (r.normal(), r.normal());
        for j in 0..4 {
            let log2 = -10.0 + 3.0 * a + (j as f64) * b + 0.01 * r.normal();
            let sign = if j >= 2 && r.unit() < 0.5 { -1.0 } else { 1.0 };
            v.push((sign * log2.exp2()) as f32);
        }
        v.push(-3000.0);
        v.push(if i % 3 == 0 {
            0.0
        } else if i % 7 == 0 {
            -1.0
        } else {
            ((-8.0 + 2.0 * a).exp2()) as f32
        });
    }
    v
}

/// Rows like a calorimeter's cells: each row's energy, log-uniform over three decades, spread
/// over K cells by one profile, each cell with noise of 0.2 sqrt(E_cell) and 0.02 (noise that
/// grows with the value, as a shower's does).
fn shower_like_rows(n: usize, seed: u64) -> Vec<f32> {
    shower_rows(K, n, seed)
}

/// [`shower_like_rows`] over `width` cells (a multiple of K): each share of the profile spread
/// evenly over width / K cells.
fn shower_rows(width: usize, n: usize, seed: u64) -> Vec<f32> {
    let mut r = Lcg(seed);
    let profile = [0.02, 0.1, 0.4, 0.3, 0.15, 0.03];
    let cells_per_share = (width / K) as f64;
    let mut v = Vec::with_capacity(n * width);
    for _ in 0..n {
        let energy = (10.0 * r.unit()).exp2();
        for share in profile.iter().flat_map(|&share| std::iter::repeat_n(share, width / K)) {
            let mean = energy * share / cells_per_share;
            v.push((mean + (0.2 * mean.sqrt() + 0.02) * r.normal()) as f32);
        }
    }
    v
}

/// A linear model of [`shower_rows`] `width` cells wide (one latent dimension, the energy, in
/// steps of 1% of a column's spread: coarser steps leave errors larger than the noise of most
/// cells).
fn shower_model_of(width: usize, seed: u64) -> Model {
    let train: Vec<f64> = shower_rows(width, 2000, seed).iter().map(|&x| x as f64).collect();
    fit_linear(&train, width, 1, Transform::Linear, 0.01).unwrap()
}

fn one_segment(src: &[u8]) -> [Segment; 1] {
    [Segment::new(SegmentKind::F32, src.len() as u32)]
}

fn model_for(rows: &[f32], spec: &Spec) -> Model {
    let transform = if matches!(spec, Spec::Abs(_)) { Transform::Linear } else { Transform::Log2Magnitude };
    let train: Vec<f64> = rows.iter().map(|&x| x as f64).collect();
    fit_linear(&train, K, 2, transform, 0.5).unwrap()
}

fn ae_spec(spec: &Spec, model: &Model) -> Spec {
    format!("ae:{spec}:{}", model.id()).parse().unwrap()
}

fn encode_ae(src: &[u8], layout: &[Segment], spec: &Spec, model: &Model) -> Vec<u8> {
    let mut block = Vec::new();
    encode_block_with_model(src, layout, &ae_spec(spec, model), Some(model), &mut block).unwrap();
    block
}

fn decode_with(block: &[u8], len: usize, model: Option<&Model>) -> Result<Vec<u8>, CodecError> {
    let mut dst = vec![0u8; len];
    decode_block_with_model(block, &mut dst, model).map(|()| dst)
}

/// Through the model, every value comes back exactly as the per-value codec returns it (so the
/// bound holds for each), in fewer bytes, and the block names its model.
#[test]
fn values_equal_the_per_value_codecs_and_the_model_pays() {
    let vals = covariance_like_rows(2000, 1);
    let src = be32(&vals);
    let layout = one_segment(&src);
    for text in ["bits:7", "bits:10", "bits:16", "rel:1e-3", "abs:1e-6"] {
        let spec: Spec = text.parse().unwrap();
        let model = model_for(&vals, &spec);
        let block = encode_ae(&src, &layout, &spec, &model);
        assert_eq!(block_model_id(&block).unwrap(), Some(model.id()), "{text}: the model was not used");
        if !text.starts_with("rel") {
            assert_eq!(block_spec(&block).unwrap(), format!("f32 ae:{text}:{}", model.id()));
        }
        let got = decode_with(&block, src.len(), Some(&model)).unwrap();
        let mut per_value = Vec::new();
        encode_block(&src, &layout, &spec, &mut per_value).unwrap();
        let want = decode_with(&per_value, src.len(), None).unwrap();
        assert_eq!(got, want, "{text}: values differ from the per-value codec's");
        for (x, y) in vals.iter().zip(from_be32(&got)) {
            assert!(f32_within_spec(&spec, *x, y), "{text}: {x:e} -> {y:e}");
        }
        assert!(block.len() < per_value.len(), "{text}: {} bytes through the model, {} per value", block.len(), per_value.len());
    }
}

/// Specials inside rows (NaN payloads, ±Inf, -0.0, subnormals), rows of another width, and other
/// segments around the rows: every special comes back bit for bit, every value within the bound.
#[test]
fn specials_and_odd_rows_come_back_exactly() {
    let mut vals = covariance_like_rows(600, 2);
    let specials = [f32::from_bits(0x7fc0_1234), f32::from_bits(0xffa0_0001), f32::INFINITY, f32::NEG_INFINITY, -0.0, f32::from_bits(1), f32::from_bits(0x807f_ffff)];
    for (i, s) in specials.iter().enumerate() {
        vals[37 * i * K + i % K] = *s;
    }
    let spec: Spec = "bits:10".parse().unwrap();
    let model = model_for(&covariance_like_rows(600, 3), &spec);
    // a basket-like layout: a raw header, rows, a 4-value vector (another width), an i32 table
    let mut src = vec![0x40, 0, 0, 9, 0, 1];
    let mut layout = vec![Segment::new(SegmentKind::Raw, 6)];
    for chunk in vals.chunks(K * 50) {
        src.extend(be32(chunk));
        layout.push(Segment::new(SegmentKind::F32, 4 * chunk.len() as u32));
        src.extend(be32(&[1.5, -2.5, f32::NAN, 7.0]));
        layout.push(Segment::new(SegmentKind::Raw, 0));
        layout.push(Segment::new(SegmentKind::F32, 16));
        src.extend(12345i32.to_be_bytes());
        layout.push(Segment::new(SegmentKind::I32, 4));
    }
    let block = encode_ae(&src, &layout, &spec, &model);
    assert_eq!(block_model_id(&block).unwrap(), Some(model.id()));
    let got = decode_with(&block, src.len(), Some(&model)).unwrap();
    let mut per_value = Vec::new();
    encode_block(&src, &layout, &spec, &mut per_value).unwrap();
    assert_eq!(got, decode_with(&per_value, src.len(), None).unwrap());
    // value by value: the floats sit at known offsets
    let mut off = 0;
    for seg in &layout {
        let (a, b) = (&src[off..off + seg.len as usize], &got[off..off + seg.len as usize]);
        if seg.kind == SegmentKind::F32 {
            for (x, y) in from_be32(a).iter().zip(from_be32(b)) {
                assert!(f32_within_spec(&spec, *x, y), "{x:e} ({:#x}) -> {y:e} ({:#x})", x.to_bits(), y.to_bits());
                if x.is_nan() || x.is_infinite() || x.is_subnormal() || *x == -3000.0 || *x == -1.0 || *x == 0.0 {
                    assert_eq!(x.to_bits(), y.to_bits(), "{x:e} must come back exactly");
                }
            }
        } else {
            assert_eq!(a, b);
        }
        off += seg.len as usize;
    }
}

/// Under an absolute bound, where the noise grows with the value, the residuals go in streams by
/// their prediction (tag 21), in blocks of one decoder tile (256 rows) and of several: the values
/// are the per-value codec's, and the block is smaller than with tag 18's streams (the same data
/// with a bits bound, where the writer does not try them, stays tag 18). Rows of 24 cells: on
/// blocks of a few thousand values one stream's table costs more than streams by prediction save.
#[test]
fn residuals_by_prediction_where_the_noise_grows_with_the_value() {
    const WIDTH: usize = 24;
    for rows in [256, 1000] {
        let vals = shower_rows(WIDTH, rows, 21);
        let src = be32(&vals);
        let layout = one_segment(&src);
        let spec: Spec = "abs:0.01".parse().unwrap();
        let model = shower_model_of(WIDTH, 22);
        let block = encode_ae(&src, &layout, &spec, &model);
        assert_eq!(section_tags(&block), [1, 21], "{rows} rows");
        assert_eq!(block_model_id(&block).unwrap(), Some(model.id()));
        assert_eq!(block_spec(&block).unwrap(), format!("f32 ae:abs:0.01:{}", model.id()));
        let got = decode_with(&block, src.len(), Some(&model)).unwrap();
        let mut per_value = Vec::new();
        encode_block(&src, &layout, &spec, &mut per_value).unwrap();
        assert_eq!(got, decode_with(&per_value, src.len(), None).unwrap(), "{rows} rows: values differ from the per-value codec's");
        for (x, y) in vals.iter().zip(from_be32(&got)) {
            assert!(f32_within_spec(&spec, *x, y), "{x:e} -> {y:e}");
        }
        let bits: Spec = "bits:10".parse().unwrap();
        let bits_model = fit_linear(&vals.iter().map(|&x| x as f64).collect::<Vec<_>>(), WIDTH, 2, Transform::Log2Magnitude, 0.5).unwrap();
        assert_eq!(section_tags(&encode_ae(&src, &layout, &bits, &bits_model))[1], 18);
    }
}

/// A model that predicts nothing useful: the block falls back to the per-value section (no model
/// id), and decodes without the model; also where some values lie outside rows (the model's
/// section then gives no floor, and the per-value section's own is held against it).
#[test]
fn a_model_that_does_not_pay_falls_back_to_per_value() {
    let rows = covariance_like_rows(500, 4);
    let spec: Spec = "bits:10".parse().unwrap();
    // fitted on unrelated data: noise rows of another scale
    let mut r = Lcg(9);
    let noise: Vec<f64> = (0..K * 500).map(|_| (40.0 * r.normal()).exp2()).collect();
    let model = fit_linear(&noise, K, 1, Transform::Log2Magnitude, 1e-3).unwrap();
    let with_rest: Vec<f32> = rows.iter().copied().chain([1.5, -2.25]).collect();
    for vals in [rows, with_rest] {
        let src = be32(&vals);
        let block = encode_ae(&src, &one_segment(&src), &spec, &model);
        assert_eq!(block_model_id(&block).unwrap(), None, "{} values", vals.len());
        let mut per_value = Vec::new();
        encode_block(&src, &one_segment(&src), &spec, &mut per_value).unwrap();
        assert_eq!(block, per_value, "{} values", vals.len());
    }
}

/// Decoding without the model, or with another one, is an error naming the needed id.
#[test]
fn a_missing_or_wrong_model_is_an_error_naming_its_id() {
    let vals = covariance_like_rows(1000, 5);
    let src = be32(&vals);
    let spec: Spec = "bits:7".parse().unwrap();
    let model = model_for(&vals, &spec);
    let block = encode_ae(&src, &one_segment(&src), &spec, &model);
    let id = model.id().to_string();
    let e = decode_with(&block, src.len(), None).unwrap_err();
    assert!(matches!(e, CodecError::MissingModel { .. }) && e.to_string().contains(&id), "{e}");
    let e = decode_block(&block, &mut vec![0u8; src.len()]).unwrap_err();
    assert!(e.to_string().contains(&id), "{e}");
    let other = model_for(&covariance_like_rows(1000, 6), &spec);
    let e = decode_with(&block, src.len(), Some(&other)).unwrap_err();
    assert!(e.to_string().contains(&id) && e.to_string().contains(&other.id().to_string()), "{e}");
    // encoding an ae: spec without its model says so
    let mut out = Vec::new();
    let e = encode_block(&src, &one_segment(&src), &ae_spec(&spec, &model), &mut out).unwrap_err();
    assert!(e.to_string().contains("needs its model"), "{e}");
}

/// Truncated and bit-flipped blocks: an error or, where the flip changed nothing the decoder
/// reads, the same values; never a panic.
#[test]
fn hostile_ae_blocks_are_errors_not_panics() {
    // tag 18, and tag 21 (residual streams by prediction)
    let covariances = covariance_like_rows(600, 7);
    for (vals, text, model, tag) in [(covariances.clone(), "bits:10", model_for(&covariances, &"bits:10".parse().unwrap()), 18), (shower_rows(24, 600, 8), "abs:0.01", shower_model_of(24, 9), 21)] {
        let spec: Spec = text.parse().unwrap();
        let src = be32(&vals);
        let block = encode_ae(&src, &one_segment(&src), &spec, &model);
        assert_eq!(section_tags(&block)[1], tag, "{text}");
        hostile_copies_are_errors_not_panics(&block, src.len(), &model);
    }
}

fn hostile_copies_are_errors_not_panics(block: &[u8], len: usize, model: &Model) {
    let good = decode_with(block, len, Some(model)).unwrap();
    for cut in 0..block.len() {
        assert!(decode_with(&block[..cut], len, Some(model)).is_err(), "truncated at {cut} accepted");
    }
    // every bit of the header and the section's start, one bit of every later byte
    let flips = (0..64.min(block.len())).flat_map(|i| (0..8).map(move |bit| (i, bit))).chain((64..block.len()).map(|i| (i, i % 8)));
    for (i, bit) in flips {
        let mut b = block.to_vec();
        b[i] ^= 1 << bit;
        if let Ok(got) = decode_with(&b, len, Some(model)) {
            assert_eq!(got, good, "byte {i} bit {bit}: accepted with other values");
        }
        let _ = block_model_id(&b);
    }
}

fn fixture_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The tags of a block's sections, in order.
fn section_tags(block: &[u8]) -> Vec<u8> {
    let varint = |at: &mut usize| {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = block[*at];
            *at += 1;
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                break;
            }
        }
        v as usize
    };
    let mut at = 6; // magic and version, flags
    varint(&mut at); // decoded length
    at += 8; // checksum
    let mut tags = Vec::new();
    while at < block.len() {
        tags.push(block[at]);
        at += 1;
        let len = varint(&mut at);
        at += len;
    }
    tags
}

/// The committed fixtures decode to exactly the recorded bytes on this machine and build:
/// - `ae-model.balm`, `.balm` version 1 (16-bit weights, float32 normalisation), with a block in
///   each section layout a writer has produced: `ae-block.bin` (tag 17, one number stream per
///   latent dimension and per column) and `ae-block-grouped.bin` (tag 18, grouped streams);
/// - `ae-model-v2.balm`, version 2 (7-bit packed weights, bfloat16 normalisation, varint
///   biases), with `ae-block-v2.bin` (tag 18);
///   all three decode to `ae-decoded.bin` (bits:10's per-value values, whatever the model);
/// - `ae-model-abs.balm`, version 2 (16-bit weights), linear, with `ae-block-by-prediction.bin` (tag 21, residual
///   streams by prediction, pcodec's number streams) decoding to `ae-decoded-by-prediction.bin`
///   (abs:0.01's values), and `ae-block-codes.bin` (tag 21 in number streams of mode 5, integer
///   codes under one frequency table) decoding to `ae-decoded-codes.bin`.
///
/// Files written by earlier versions stay as they are. Rewrite the newest, the mode-5 files (only
/// on a deliberate format change), with
/// `BALER_WRITE_AE_FIXTURE=1 cargo test -p baler-codec --test codec ae::committed_fixture`.
#[test]
fn committed_fixtures_decode_bit_for_bit() {
    let dir = fixture_dir();
    if std::env::var_os("BALER_WRITE_AE_FIXTURE").is_some() {
        let model = Model::parse(&std::fs::read(dir.join("ae-model-abs.balm")).unwrap()).unwrap();
        let src = be32(&shower_like_rows(1000, 14));
        let block = encode_ae(&src, &one_segment(&src), &"abs:0.01".parse().unwrap(), &model);
        std::fs::write(dir.join("ae-decoded-codes.bin"), decode_with(&block, src.len(), Some(&model)).unwrap()).unwrap();
        std::fs::write(dir.join("ae-block-codes.bin"), block).unwrap();
    }
    for (model_file, version, bits, spec, decoded, blocks) in [
        ("ae-model.balm", 1u8, vec![16u8; 4], "bits:10", "ae-decoded.bin", &[("ae-block.bin", 17u8), ("ae-block-grouped.bin", 18)][..]),
        ("ae-model-v2.balm", 2, vec![7; 4], "bits:10", "ae-decoded.bin", &[("ae-block-v2.bin", 18)][..]),
        ("ae-model-abs.balm", 2, vec![16; 2], "abs:0.01", "ae-decoded-by-prediction.bin", &[("ae-block-by-prediction.bin", 21)][..]),
        ("ae-model-abs.balm", 2, vec![16; 2], "abs:0.01", "ae-decoded-codes.bin", &[("ae-block-codes.bin", 21)][..]),
    ] {
        let bytes = std::fs::read(dir.join(model_file)).unwrap();
        let model = Model::parse(&bytes).unwrap();
        assert_eq!((bytes[4], model.weight_bits()), (version, bits), "{model_file}: version and weight width");
        let want = std::fs::read(dir.join(decoded)).unwrap();
        for &(file, tag) in blocks {
            let block = std::fs::read(dir.join(file)).unwrap();
            assert_eq!(section_tags(&block), [1, tag], "{file}: a layout section, then the AE section");
            assert_eq!(block_model_id(&block).unwrap(), Some(model.id()), "{file}");
            assert_eq!(block_spec(&block).unwrap(), format!("f32 ae:{spec}:{}", model.id()), "{file}");
            assert_eq!(decode_with(&block, want.len(), Some(&model)).unwrap(), want, "{file}");
        }
    }
}

/// A block encoded in a child process (this test binary, run again) decodes here to the values
/// the child decoded there.
#[test]
fn encoded_in_one_process_decoded_in_another() {
    let vals = covariance_like_rows(800, 12);
    let src = be32(&vals);
    let spec: Spec = "bits:7".parse().unwrap();
    if let Some(dir) = std::env::var_os("BALER_AE_CHILD_DIR") {
        let dir = std::path::PathBuf::from(dir);
        let model = model_for(&vals, &spec);
        let block = encode_ae(&src, &one_segment(&src), &spec, &model);
        std::fs::write(dir.join("model.balm"), model.bytes()).unwrap();
        std::fs::write(dir.join("decoded.bin"), decode_with(&block, src.len(), Some(&model)).unwrap()).unwrap();
        std::fs::write(dir.join("block.bin"), &block).unwrap();
        return;
    }
    let dir = std::env::temp_dir().join(format!("baler-ae-child-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "ae::encoded_in_one_process_decoded_in_another", "--test-threads", "1"])
        .env("BALER_AE_CHILD_DIR", &dir)
        .status()
        .unwrap();
    assert!(status.success());
    let model = Model::parse(&std::fs::read(dir.join("model.balm")).unwrap()).unwrap();
    let block = std::fs::read(dir.join("block.bin")).unwrap();
    let theirs = std::fs::read(dir.join("decoded.bin")).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(block_model_id(&block).unwrap(), Some(model.id()));
    let ours = decode_with(&block, src.len(), Some(&model)).unwrap();
    assert_eq!(ours, theirs);
    for (x, y) in vals.iter().zip(from_be32(&ours)) {
        assert!(f32_within_spec(&spec, *x, y));
    }
}

