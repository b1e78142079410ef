//! CPU time of decoding every basket of a ROOT file as ROOT's reader gets them: Baler blocks with
//! `decode_block`, ZSTD blocks with libzstd (one context, reused), side by side and interleaved.
//! CPU time, not wall time, so that other jobs on a shared machine do not count; the checksum of
//! every Baler block is verified as in ROOT.
//!
//! usage: basket_decode_bench BASKETS...   (each written by bench/dump_baskets.py; REPS=20)
//! Prints, per file, the best wall and the mean CPU seconds of one pass over its baskets, and the
//! CPU time relative to the first file's.

use std::time::Instant;

#[path = "support/baskets.rs"]
mod baskets;
use baskets::load;

fn le24(b: &[u8]) -> usize {
    b[0] as usize | (b[1] as usize) << 8 | (b[2] as usize) << 16
}

/// Decodes one record (ROOT's 9-byte headers, each before a block) into `dst`.
fn decode_record(record: &[u8], dst: &mut [u8], zstd: &mut zstd::bulk::Decompressor<'_>) {
    if record.len() == dst.len() {
        dst.copy_from_slice(record); // stored uncompressed
        return;
    }
    let (mut at, mut out) = (0, 0);
    while at < record.len() {
        let header = &record[at..at + 9];
        let (stored, decoded) = (le24(&header[3..]), le24(&header[6..]));
        let block = &record[at + 9..at + 9 + stored];
        let dst = &mut dst[out..out + decoded];
        match &header[..2] {
            b"BA" => baler_codec::decode_block(block, dst).expect("a valid Baler block"),
            b"ZS" => assert_eq!(zstd.decompress_to_buffer(block, dst).expect("a valid zstd frame"), decoded),
            method => panic!("compression method {method:?} is not measured here"),
        }
        at += 9 + stored;
        out += decoded;
    }
}

/// CPU seconds (user + system) this process has used so far.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    let fields: Vec<&str> = stat.rsplit(')').next().expect("stat fields").split_whitespace().collect();
    // utime and stime, fields 14 and 15 of proc(5), in clock ticks of 1/100 s
    (fields[11].parse::<f64>().expect("utime") + fields[12].parse::<f64>().expect("stime")) / 100.0
}

fn main() {
    let reps: usize = std::env::var("REPS").ok().and_then(|r| r.parse().ok()).unwrap_or(20);
    let files: Vec<(String, Vec<(usize, Vec<u8>)>)> = std::env::args().skip(1).map(|p| (p.clone(), load(&p))).collect();
    if files.is_empty() {
        eprintln!("usage: basket_decode_bench BASKETS...   (from bench/dump_baskets.py)");
        std::process::exit(2);
    }
    let mut dst = vec![0u8; files.iter().flat_map(|f| f.1.iter().map(|r| r.0)).max().unwrap_or(0)];
    let mut zstd = zstd::bulk::Decompressor::new().expect("a zstd context");
    let mut wall = vec![f64::INFINITY; files.len()];
    let mut cpu = vec![0.0; files.len()];
    for _ in 0..reps {
        for (i, (_, records)) in files.iter().enumerate() {
            let (started, cpu_before) = (Instant::now(), cpu_seconds());
            for (decoded, record) in records {
                decode_record(record, &mut dst[..*decoded], &mut zstd);
            }
            wall[i] = wall[i].min(started.elapsed().as_secs_f64());
            cpu[i] += cpu_seconds() - cpu_before;
        }
    }
    for (i, (path, records)) in files.iter().enumerate() {
        let mb = records.iter().map(|r| r.0).sum::<usize>() as f64 / 1e6;
        let per_pass = cpu[i] / reps as f64;
        println!(
            "{path}: {} baskets, {mb:.1} MB decoded; wall best {:.4} s, CPU mean {per_pass:.4} s ({:.0} MB/s); CPU / first file {:.2}",
            records.len(),
            wall[i],
            mb / per_pass,
            cpu[i] / cpu[0]
        );
    }
}
