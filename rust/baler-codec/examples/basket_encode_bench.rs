//! CPU time of encoding every basket of a tree's Float_t branches as ROOT's write hook hands them
//! to the codec (the values as an F32 segment, the entry offsets after them as I32), side by side
//! with libzstd at ROOT's ZSTD-505 level (5, one context, reused) on the same bytes. CPU time, not
//! wall time, so that other jobs on a shared machine count less; each block is decoded once and
//! checked against the spec before timing.
//!
//! usage: basket_encode_bench SPEC BASKETS...   (each written by `bench/dump_baskets.py --decoded`;
//! REPS=20). Prints, per file, the best wall and the mean CPU seconds of one pass over its
//! baskets for Baler and for zstd-5, the bytes of each, and Baler's CPU time over zstd's.

use std::time::Instant;

#[path = "support/baskets.rs"]
mod baskets;
use baskets::load;

use baler_codec::{decode_block, encode_block, f32_within_spec, Segment, SegmentKind, Spec};

/// The layout the plugin describes for a basket of a Float_t leaf (root-plugin/src/BasketLayout.cxx).
fn layout(data: usize, decoded: usize) -> Vec<Segment> {
    let tail = decoded - data;
    let tail_kind = if tail % 4 == 0 { SegmentKind::I32 } else { SegmentKind::Raw };
    vec![Segment::new(SegmentKind::F32, data as u32), Segment::new(tail_kind, tail as u32)]
}

/// CPU seconds this thread has run so far (the first field of /proc/thread-self/schedstat, in ns:
/// finer than the clock ticks of /proc/self/stat, which small files need).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").expect("/proc/thread-self/schedstat");
    stat.split_whitespace().next().expect("run time").parse::<f64>().expect("nanoseconds") / 1e9
}

fn check(spec: &Spec, data: usize, basket: &[u8], block: &[u8]) {
    let mut back = vec![0u8; basket.len()];
    decode_block(block, &mut back).expect("a valid Baler block");
    assert_eq!(back[data..], basket[data..], "the entry offsets came back changed");
    for (x, y) in basket[..data].chunks_exact(4).zip(back[..data].chunks_exact(4)) {
        let (x, y) = (f32::from_be_bytes(x.try_into().unwrap()), f32::from_be_bytes(y.try_into().unwrap()));
        assert!(f32_within_spec(spec, x, y), "{spec}: {x:e} decoded as {y:e}");
    }
}

fn main() {
    let reps: usize = std::env::var("REPS").ok().and_then(|r| r.parse().ok()).unwrap_or(20);
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: basket_encode_bench SPEC BASKETS...   (from bench/dump_baskets.py --decoded)");
        std::process::exit(2);
    }
    let spec: Spec = args[0].parse().expect("a spec");
    let files: Vec<(String, Vec<(usize, Vec<u8>)>)> = args[1..].iter().map(|p| (p.clone(), load(p))).collect();
    let mut zstd = zstd::bulk::Compressor::new(5).expect("a zstd context");
    for (_, baskets) in &files {
        for (data, basket) in baskets {
            let mut block = Vec::new();
            encode_block(basket, &layout(*data, basket.len()), &spec, &mut block).expect("encode");
            check(&spec, *data, basket, &block);
        }
    }
    // per file: [baler, zstd] best wall, summed CPU, bytes of one pass
    let mut wall = vec![[f64::INFINITY; 2]; files.len()];
    let mut cpu = vec![[0.0; 2]; files.len()];
    let mut bytes = vec![[0usize; 2]; files.len()];
    let mut block = Vec::with_capacity(1 << 20);
    for _ in 0..reps {
        for (i, (_, baskets)) in files.iter().enumerate() {
            for which in 0..2 {
                let (started, cpu_before) = (Instant::now(), cpu_seconds());
                let mut total = 0;
                for (data, basket) in baskets {
                    block.clear();
                    if which == 0 {
                        encode_block(basket, &layout(*data, basket.len()), &spec, &mut block).expect("encode");
                        total += block.len();
                    } else {
                        total += zstd.compress(basket).expect("zstd").len();
                    }
                }
                wall[i][which] = wall[i][which].min(started.elapsed().as_secs_f64());
                cpu[i][which] += cpu_seconds() - cpu_before;
                bytes[i][which] = total;
            }
        }
    }
    for (i, (path, baskets)) in files.iter().enumerate() {
        let mb = baskets.iter().map(|b| b.1.len()).sum::<usize>() as f64 / 1e6;
        let per_pass = [cpu[i][0] / reps as f64, cpu[i][1] / reps as f64];
        println!(
            "{path}: {} baskets, {mb:.1} MB; {spec}: {} bytes, wall best {:.4} s, CPU mean {:.4} s ({:.0} MB/s); zstd-5: {} bytes, wall best {:.4} s, CPU mean {:.4} s; CPU {spec} / zstd-5 {:.2}",
            baskets.len(),
            bytes[i][0],
            wall[i][0],
            per_pass[0],
            mb / per_pass[0],
            bytes[i][1],
            wall[i][1],
            per_pass[1],
            per_pass[0] / per_pass[1]
        );
    }
}
