//! Bytes per value of the `ae:` codec with a linear (PCA) model against the per-value codec, on
//! rows of K float32 values (a raw big-endian file, e.g. a covariance branch dumped with uproot).
//! The model is fitted on the even rows; the figures are for all rows, and for the odd (unseen)
//! rows alone. Model bytes are counted once. Every value is checked against the bound.
//!
//! usage: ae_estimate ROWS.be K SPEC...   (SPEC: bits:N, rel:E or abs:E)

use baler_codec::{decode_block_with_model, encode_block, encode_block_with_model, f32_within_spec, fit_linear, Model, Segment, SegmentKind, Spec, Transform};

fn block_bytes(vals: &[f32], spec: &Spec, model: Option<&Model>) -> usize {
    let src: Vec<u8> = vals.iter().flat_map(|v| v.to_be_bytes()).collect();
    let layout = [Segment::new(SegmentKind::F32, src.len() as u32)];
    let mut block = Vec::new();
    match model {
        None => encode_block(&src, &layout, spec, &mut block).unwrap(),
        Some(m) => {
            let ae: Spec = format!("ae:{spec}:{}", m.id()).parse().unwrap();
            encode_block_with_model(&src, &layout, &ae, Some(m), &mut block).unwrap();
        }
    }
    let mut dst = vec![0u8; src.len()];
    decode_block_with_model(&block, &mut dst, model).unwrap();
    for (x, y) in vals.iter().zip(dst.chunks_exact(4)) {
        let y = f32::from_be_bytes([y[0], y[1], y[2], y[3]]);
        assert!(f32_within_spec(spec, *x, y), "{spec}: {x:e} -> {y:e}");
    }
    block.len()
}

/// Single-thread encode and decode MB/s (10^6 bytes of float input per second) through the model.
fn speed(vals: &[f32], spec: &Spec, model: &Model) -> (f64, f64) {
    let src: Vec<u8> = vals.iter().flat_map(|v| v.to_be_bytes()).collect();
    let layout = [Segment::new(SegmentKind::F32, src.len() as u32)];
    let ae: Spec = format!("ae:{spec}:{}", model.id()).parse().unwrap();
    let mut block = Vec::new();
    let runs = 50;
    let t = std::time::Instant::now();
    for _ in 0..runs {
        block.clear();
        encode_block_with_model(&src, &layout, &ae, Some(model), &mut block).unwrap();
    }
    let encode = t.elapsed().as_secs_f64();
    let mut dst = vec![0u8; src.len()];
    let t = std::time::Instant::now();
    for _ in 0..runs {
        decode_block_with_model(&block, &mut dst, Some(model)).unwrap();
    }
    let decode = t.elapsed().as_secs_f64();
    let mb = (src.len() * runs) as f64 / 1e6;
    (mb / encode, mb / decode)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: ae_estimate ROWS.be K SPEC...");
        std::process::exit(2);
    }
    let raw = std::fs::read(&args[1]).expect("rows file");
    let k: usize = args[2].parse().expect("K");
    let vals: Vec<f32> = raw.chunks_exact(4).map(|c| f32::from_be_bytes([c[0], c[1], c[2], c[3]])).collect();
    let rows = vals.len() / k;
    let vals = &vals[..rows * k];
    let pick = |parity: usize| -> Vec<f32> { vals.chunks_exact(k).skip(parity).step_by(2).flatten().copied().collect() };
    let (even, odd) = (pick(0), pick(1));
    println!("{rows} rows of {k} ({} values); model fitted on the {} even rows", vals.len(), even.len() / k);
    for spec_text in &args[3..] {
        let spec: Spec = spec_text.parse().expect("spec");
        let transform = if matches!(spec, Spec::Abs(_)) { Transform::Linear } else { Transform::Log2Magnitude };
        let per_value = block_bytes(vals, &spec, None);
        let per_value_odd = block_bytes(&odd, &spec, None);
        let train: Vec<f64> = even.iter().map(|&v| v as f64).collect();
        let mut best: Option<(usize, usize, f64, usize, usize)> = None;
        for latent in 1..k {
            for step in [0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0] {
                let model = fit_linear(&train, k, latent, transform, step).expect("fit");
                let all = block_bytes(vals, &spec, Some(&model)) + model.bytes().len();
                if best.map_or(true, |b| all < b.0) {
                    let unseen = block_bytes(&odd, &spec, Some(&model)) + model.bytes().len();
                    best = Some((all, latent, step, model.bytes().len(), unseen));
                }
            }
        }
        let (all, latent, step, model_bytes, unseen) = best.unwrap();
        let model = fit_linear(&train, k, latent, transform, step).expect("fit");
        let (encode_mbs, decode_mbs) = speed(vals, &spec, &model);
        let n = vals.len() as f64;
        println!(
            "{spec_text}: per-value {:.3} B/value; ae (PCA, latent {latent}, step {step}, model {model_bytes} B included) {:.3} B/value: {:+.1}%; unseen odd rows {:+.1}%; ae encode {encode_mbs:.0} MB/s, decode {decode_mbs:.0} MB/s",
            per_value as f64 / n,
            all as f64 / n,
            100.0 * (all as f64 / per_value as f64 - 1.0),
            100.0 * (unseen as f64 / per_value_odd as f64 - 1.0)
        );
    }
}
