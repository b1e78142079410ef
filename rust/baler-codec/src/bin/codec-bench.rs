//! Side-by-side codec benchmark on real columns.
//!
//! usage: codec-bench COLUMNS_DIR [--quick]
//! COLUMNS_DIR is the output of tests/tools/extract_columns.py.
//! Prints bytes/value (total block bytes / values, one block per column) and
//! single-thread encode/decode MB/s (10^6 bytes of raw float input per second).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use baler_codec::{decode_block, encode_block, Segment, SegmentKind, Spec};

struct Col {
    name: String,
    vals: Vec<f32>,
    be: Vec<u8>,
}

const USAGE: &str = "usage: codec-bench COLUMNS_DIR [--quick]   (COLUMNS_DIR from tests/tools/extract_columns.py)";

/// Paths of the f32 columns of `stem.root`:`tree` listed in COLUMNS_DIR/index.tsv, in file order.
fn index(dir: &Path, stem: &str, tree: &str) -> Result<Vec<(String, PathBuf)>, String> {
    let path = dir.join("index.tsv");
    let idx = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}; {USAGE}", path.display()))?;
    Ok(idx
        .lines()
        .map(|line| line.split('\t').collect::<Vec<&str>>())
        .filter(|f| f.len() >= 6 && f[0] == format!("{stem}.root") && f[1] == tree && f[3] == "f32")
        .map(|f| (f[2].to_string(), dir.join(f[5])))
        .collect())
}

fn read_column(name: &str, path: &Path) -> Result<Col, String> {
    let be = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let vals = be.chunks_exact(4).map(|c| f32::from_be_bytes([c[0], c[1], c[2], c[3]])).collect();
    Ok(Col { name: name.to_string(), vals, be })
}

fn load(dir: &Path, stem: &str, tree: &str, branches: &[&str]) -> Result<Vec<Col>, String> {
    let map: HashMap<String, PathBuf> = index(dir, stem, tree)?.into_iter().collect();
    branches
        .iter()
        .map(|b| {
            let p = map.get(*b).ok_or_else(|| format!("column {stem}:{tree}/{b} is not in {}", dir.join("index.tsv").display()))?;
            read_column(b, p)
        })
        .collect()
}

/// Every non-empty f32 column of a file.
fn load_all(dir: &Path, stem: &str, tree: &str) -> Result<Vec<Col>, String> {
    let cols: Result<Vec<Col>, String> = index(dir, stem, tree)?.iter().map(|(name, p)| read_column(name, p)).collect();
    Ok(cols?.into_iter().filter(|c| !c.vals.is_empty()).collect())
}

/// The anchors' HZZ columns (`shared/notes/anchors.md`): NanoAOD-style pt, eta, phi, mass of each
/// jet and muon, computed in f64 from the file's Px, Py, Pz, E and stored as float32. Every
/// reference figure of the anchors table (zstd-5, pcodec, rounding @10/12/16) is reproduced to
/// 0.005 B/value on these columns, not on the raw Px, Py, Pz, E.
fn pt_eta_phi_mass(prefix: &str, cols: &[Col]) -> Vec<Col> {
    let [px, py, pz, e] = cols else { panic!("{prefix}: expected Px, Py, Pz, E") };
    let mut out: Vec<(&str, Vec<f32>)> = vec![("pt", vec![]), ("eta", vec![]), ("phi", vec![]), ("mass", vec![])];
    for i in 0..px.vals.len() {
        let (x, y, z, en) = (px.vals[i] as f64, py.vals[i] as f64, pz.vals[i] as f64, e.vals[i] as f64);
        let pt = x.hypot(y);
        let p2 = pt * pt + z * z;
        let derived = [pt, (z / pt).asinh(), y.atan2(x), (en * en - p2).max(0.0).sqrt()];
        for (o, v) in out.iter_mut().zip(derived) {
            o.1.push(v as f32);
        }
    }
    out.into_iter()
        .map(|(name, vals)| Col { name: format!("{prefix}_{name}"), be: vals.iter().flat_map(|v| v.to_be_bytes()).collect(), vals })
        .collect()
}

/// CMS NanoAOD MiniFloatConverter::reduceMantissaToNbitsRounding, verbatim behaviour.
fn nano_round(f: f32, bits: u32) -> f32 {
    let shift = 23 - bits;
    let mask: u32 = (0xFFFF_FFFFu32 >> shift) << shift;
    let test: u32 = 1 << (shift - 1);
    let maxn: u32 = (1 << bits) - 2;
    let mut i = f.to_bits();
    if i & test != 0 {
        let mut m = (i & 0x007F_FFFF) >> shift;
        if m < maxn {
            m += 1;
        }
        i = (i & 0xFF80_0000) | (m << shift);
    } else {
        i &= mask;
    }
    f32::from_bits(i)
}

fn abs_bound(vals: &[f32], k: i32) -> f64 {
    let m = vals.iter().filter(|v| v.is_finite()).fold(0f64, |a, &v| a.max((v as f64).abs()));
    if m == 0.0 {
        return 2f64.powi(-k - 1);
    }
    2f64.powi(m.log2().floor() as i32 - k - 1)
}

/// Runs `f` repeatedly for at least `min_s` seconds (and at least 3 times); returns the best time.
fn time_best(min_s: f64, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut best = f64::INFINITY;
    let mut reps = 0;
    while reps < 3 || start.elapsed().as_secs_f64() < min_s {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed().as_secs_f64());
        reps += 1;
    }
    best
}

struct Row {
    method: String,
    /// Block bytes of each column, in the group's column order.
    col_bytes: Vec<usize>,
    bytes: usize,
    n: usize,
    enc_s: f64,
    dec_s: f64,
    violations: usize,
}

fn run_ours(cols: &[Col], label: &str, spec_for: &dyn Fn(&Col) -> Spec, min_s: f64) -> Row {
    let mut col_bytes = Vec::new();
    let mut n = 0;
    let mut enc_s = 0.0;
    let mut dec_s = 0.0;
    let mut violations = 0;
    for c in cols {
        let spec = spec_for(c);
        let layout = [Segment { kind: SegmentKind::F32, len: c.be.len() as u32 }];
        let mut block = Vec::new();
        encode_block(&c.be, &layout, &spec, &mut block).expect("encode");
        let mut out = Vec::with_capacity(block.len());
        enc_s += time_best(min_s, || {
            out.clear();
            encode_block(&c.be, &layout, &spec, &mut out).unwrap();
        });
        let mut dst = vec![0u8; c.be.len()];
        dec_s += time_best(min_s, || decode_block(&block, &mut dst).unwrap());
        for (x, y) in c.vals.iter().zip(dst.chunks_exact(4)) {
            let y = f32::from_be_bytes([y[0], y[1], y[2], y[3]]);
            if !baler_codec::f32_within_spec(&spec, *x, y) {
                violations += 1;
            }
        }
        col_bytes.push(block.len());
        n += c.vals.len();
    }
    let bytes = col_bytes.iter().sum();
    Row { method: format!("baler {label}"), col_bytes, bytes, n, enc_s, dec_s, violations }
}

fn run_ref(cols: &[Col], label: &str, min_s: f64, pre: &dyn Fn(f32) -> f32, use_pco: bool) -> Row {
    let mut col_bytes = Vec::new();
    let mut n = 0;
    let mut enc_s = 0.0;
    let mut dec_s = 0.0;
    for c in cols {
        let v: Vec<f32> = c.vals.iter().map(|&x| pre(x)).collect();
        let be: Vec<u8> = v.iter().flat_map(|x| x.to_be_bytes()).collect();
        if use_pco {
            let cfg = pco::ChunkConfig::default();
            let blk = pco::standalone::simple_compress(&v, &cfg).unwrap();
            enc_s += time_best(min_s, || {
                let w: Vec<f32> = c.vals.iter().map(|&x| pre(x)).collect();
                std::hint::black_box(pco::standalone::simple_compress(&w, &cfg).unwrap());
            });
            let mut d = vec![0f32; v.len()];
            dec_s += time_best(min_s, || {
                pco::standalone::simple_decompress_into(&blk, &mut d).unwrap();
            });
            col_bytes.push(blk.len());
        } else {
            let blk = zstd::bulk::compress(&be, 5).unwrap();
            enc_s += time_best(min_s, || {
                let w: Vec<u8> = c.vals.iter().flat_map(|&x| pre(x).to_be_bytes()).collect();
                std::hint::black_box(zstd::bulk::compress(&w, 5).unwrap());
            });
            let mut d = vec![0u8; be.len()];
            dec_s += time_best(min_s, || {
                zstd::bulk::decompress_to_buffer(&blk, &mut d).unwrap();
            });
            col_bytes.push(blk.len());
        }
        n += c.vals.len();
    }
    let bytes = col_bytes.iter().sum();
    Row { method: label.to_string(), col_bytes, bytes, n, enc_s, dec_s, violations: 0 }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 2 || args[1].starts_with('-') {
        eprintln!("{USAGE}");
        std::process::exit(2);
    }
    if let Err(e) = run(&PathBuf::from(&args[1]), args.iter().any(|a| a == "--quick")) {
        eprintln!("codec-bench: {e}");
        std::process::exit(1);
    }
}

fn run(dir: &Path, quick: bool) -> Result<(), String> {
    let min_s = if quick { 0.02 } else { 0.3 };
    let mut hzz_four_vectors = load(dir, "uproot-HZZ", "events", &["Jet_Px", "Jet_Py", "Jet_Pz", "Jet_E"])?;
    let hzz_muons = load(dir, "uproot-HZZ", "events", &["Muon_Px", "Muon_Py", "Muon_Pz", "Muon_E"])?;
    let mut hzz_kinematics = pt_eta_phi_mass("Jet", &hzz_four_vectors);
    hzz_kinematics.extend(pt_eta_phi_mass("Muon", &hzz_muons));
    hzz_four_vectors.extend(hzz_muons);
    let groups: Vec<(&str, Vec<Col>)> = vec![
        ("HZZ jets+muons as pt, eta, phi, mass (the anchors' columns)", hzz_kinematics),
        ("HZZ jets+muons (Jet/Muon Px,Py,Pz,E)", hzz_four_vectors),
        (
            "real CMS 2012 muons (Muon_pt,eta,phi,mass)",
            load(dir, "Run2012BC_DoubleMuParked_Muons_1000evts", "Events", &["Muon_pt", "Muon_eta", "Muon_phi", "Muon_mass"])?,
        ),
        ("taus pt (uproot-issue79)", load(dir, "uproot-issue79", "taus", &["pt"])?),
        (
            "NanoAOD ttbar, every float column (200 values each: per-block overhead shows)",
            load_all(dir, "nanoAOD_2015_CMS_Open_Data_ttbar", "Events")?,
        ),
    ];
    for (gname, cols) in &groups {
        // the timing budget is per row: a group of many small columns shares it
        let min_s = min_s / cols.len() as f64;
        let n: usize = cols.iter().map(|c| c.vals.len()).sum();
        println!("\n## {gname}: {} columns, {n} values", cols.len());
        println!("{:<52} {:>8} {:>10} {:>10} {:>6}", "method", "B/value", "enc MB/s", "dec MB/s", "viol");
        let mut rows = vec![
            run_ref(cols, "zstd-5 lossless", min_s, &|x| x, false),
            run_ref(cols, "pcodec lossless", min_s, &|x| x, true),
            run_ref(cols, "NanoAOD round@10 + zstd-5", min_s, &|x| nano_round(x, 10), false),
            run_ref(cols, "NanoAOD round@10 + pcodec", min_s, &|x| nano_round(x, 10), true),
            run_ours(cols, "lossless", &|_| Spec::Lossless, min_s),
        ];
        for k in [16i32, 12, 10] {
            rows.push(run_ours(cols, &format!("bits:{k}"), &|_| Spec::Bits(k as u8), min_s));
            rows.push(run_ours(cols, &format!("rel:2^-{}", k + 1), &|_| Spec::Rel(2f64.powi(-k - 1)), min_s));
            rows.push(run_ours(cols, &format!("abs @{k} (per column 2^(floor(log2 max|x|)-{k}-1))"), &|c| Spec::Abs(abs_bound(&c.vals, k)), min_s));
            rows.push(run_ours(
                cols,
                &format!("@{k} mixed: rel for x>=0 columns, abs for signed"),
                &|c| {
                    if c.vals.iter().all(|&v| v >= 0.0) {
                        Spec::Rel(2f64.powi(-k - 1))
                    } else {
                        Spec::Abs(abs_bound(&c.vals, k))
                    }
                },
                min_s,
            ));
        }
        for r in &rows {
            let mb = (r.n * 4) as f64 / 1e6;
            println!(
                "{:<52} {:>8.3} {:>10.1} {:>10.1} {:>6}",
                r.method,
                r.bytes as f64 / r.n as f64,
                mb / r.enc_s,
                mb / r.dec_s,
                r.violations
            );
        }
        if (2..=16).contains(&cols.len()) {
            print_per_column(cols, &rows);
        }
    }
    Ok(())
}

/// B/value of each column for the rows that show where the bytes go at the @10 level.
fn print_per_column(cols: &[Col], rows: &[Row]) {
    let shown = [
        ("pcodec lossless", "pcodec"),
        ("baler lossless", "lossless"),
        ("NanoAOD round@10 + pcodec", "round@10+pcodec"),
        ("baler bits:10", "bits:10"),
        ("baler @10 mixed", "@10 mixed"),
    ];
    let picked: Vec<(&Row, &str)> =
        shown.iter().filter_map(|(m, short)| rows.iter().find(|r| r.method.starts_with(m)).map(|r| (r, *short))).collect();
    println!("\nper column, B/value:");
    print!("{:<12} {:>7}", "column", "values");
    for (_, short) in &picked {
        print!(" {short:>15}");
    }
    println!();
    for (i, c) in cols.iter().enumerate() {
        print!("{:<12} {:>7}", c.name, c.vals.len());
        for (r, _) in &picked {
            print!(" {:>15.3}", r.col_bytes[i] as f64 / c.vals.len() as f64);
        }
        println!();
    }
}
