//! Bytes per value, encode and decode MB/s of the per-value codec at a bound and of `ae:` at the
//! same bound with a trained model (a `.balm` file written by `baler train`), on rows of K float32
//! values (a raw big-endian file). The rows are coded in blocks of about a basket, 2^15 values of
//! whole rows, as `baler train` measures them. Every decoded value is checked against the bound.
//! Prints one JSON object per codec, for bench/vector_codecs.py.
//!
//! usage: rows_bench ROWS.be K SPEC [MODEL.balm]     (SPEC: bits:N, rel:E or abs:E)
//!
//! `ROWS_BENCH_BLOCK_VALUES=N` codes blocks of about N values instead (whole rows), for example
//! the size of the branch's ROOT baskets.

use std::time::{Duration, Instant};

use baler_codec::{block_spec, decode_block_with_model, encode_block_with_model, f32_within_spec, Model, Segment, SegmentKind, Spec};

/// Values per block, unless ROWS_BENCH_BLOCK_VALUES says otherwise: what `baler train` codes per
/// block (about a ROOT basket).
const BLOCK_VALUES: usize = 1 << 15;
/// Each timing repeats the whole data until this much time has passed (and at least 3 times); the
/// best repetition counts (the machine is shared: at 300 ms, side-by-side runs of one binary
/// varied by half).
const MIN_TIMING: Duration = Duration::from_millis(1500);

struct Measured {
    bytes: usize,
    blocks: usize,
    /// Blocks whose float section went through the model (the rest fell back to per-value coding).
    through_model: usize,
    encode_mbs: f64,
    decode_mbs: f64,
}

/// Best seconds of one pass of `work` over the data.
fn best_seconds(mut work: impl FnMut()) -> f64 {
    let (started, mut best, mut runs) = (Instant::now(), f64::INFINITY, 0);
    while runs < 3 || started.elapsed() < MIN_TIMING {
        let t = Instant::now();
        work();
        best = best.min(t.elapsed().as_secs_f64());
        runs += 1;
    }
    best
}

fn measure(blocks: &[Vec<u8>], originals: &[&[f32]], spec: &Spec, model: Option<&Model>) -> Measured {
    let encode_one = |src: &[u8]| {
        let mut out = Vec::new();
        encode_block_with_model(src, &[Segment::new(SegmentKind::F32, src.len() as u32)], spec, model, &mut out).expect("encode");
        out
    };
    let coded: Vec<Vec<u8>> = blocks.iter().map(|b| encode_one(b)).collect();
    let mut decoded: Vec<Vec<u8>> = blocks.iter().map(|b| vec![0u8; b.len()]).collect();
    for ((block, dst), original) in coded.iter().zip(decoded.iter_mut()).zip(originals) {
        decode_block_with_model(block, dst, model).expect("decode");
        for (x, y) in original.iter().zip(dst.chunks_exact(4)) {
            let y = f32::from_be_bytes([y[0], y[1], y[2], y[3]]);
            assert!(f32_within_spec(spec, *x, y), "{spec}: {x:e} decoded as {y:e}, outside the bound");
        }
    }
    let raw_mb = blocks.iter().map(Vec::len).sum::<usize>() as f64 / 1e6;
    let encode = best_seconds(|| {
        for b in blocks {
            std::hint::black_box(encode_one(b));
        }
    });
    let decode = best_seconds(|| {
        for (block, dst) in coded.iter().zip(decoded.iter_mut()) {
            decode_block_with_model(block, dst, model).expect("decode");
        }
    });
    let through_model = coded.iter().filter(|b| block_spec(b).expect("block spec").contains("ae:")).count();
    Measured { bytes: coded.iter().map(Vec::len).sum(), blocks: coded.len(), through_model, encode_mbs: raw_mb / encode, decode_mbs: raw_mb / decode }
}

fn print_json(codec: &str, spec: &Spec, values: usize, model_bytes: usize, m: &Measured) {
    println!(
        "{{\"codec\": \"{codec}\", \"spec\": \"{spec}\", \"values\": {values}, \"bytes\": {}, \"model_bytes\": {model_bytes}, \"blocks\": {}, \"blocks_through_model\": {}, \"encode_mbs\": {:.2}, \"decode_mbs\": {:.2}}}",
        m.bytes, m.blocks, m.through_model, m.encode_mbs, m.decode_mbs
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if !(4..=5).contains(&args.len()) {
        eprintln!("usage: rows_bench ROWS.be K SPEC [MODEL.balm]");
        std::process::exit(2);
    }
    let raw = std::fs::read(&args[1]).unwrap_or_else(|e| panic!("{}: {e}", args[1]));
    let k: usize = args[2].parse().expect("K: a row width");
    let spec: Spec = args[3].parse().expect("SPEC: bits:N, rel:E or abs:E");
    let values: Vec<f32> = raw.chunks_exact(4).map(|c| f32::from_be_bytes([c[0], c[1], c[2], c[3]])).collect();
    assert!(values.len() % k == 0, "{} values are not rows of {k}", values.len());
    let block_values = std::env::var("ROWS_BENCH_BLOCK_VALUES").map_or(BLOCK_VALUES, |v| v.parse().expect("ROWS_BENCH_BLOCK_VALUES: a number of values"));
    let per_block = (block_values / k).max(1) * k;
    let originals: Vec<&[f32]> = values.chunks(per_block).collect();
    let blocks: Vec<Vec<u8>> = originals.iter().map(|c| c.iter().flat_map(|v| v.to_be_bytes()).collect()).collect();

    print_json("per-value", &spec, values.len(), 0, &measure(&blocks, &originals, &spec, None));
    if let Some(path) = args.get(4) {
        let model = Model::parse(&std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"))).expect("a .balm model");
        let ae: Spec = format!("ae:{spec}:{}", model.id()).parse().expect("ae spec");
        print_json("ae", &spec, values.len(), model.bytes().len(), &measure(&blocks, &originals, &ae, Some(&model)));
    }
}
