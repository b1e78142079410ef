//! Every float column of every file in ../shared/data through every spec: zero
//! bound violations. Needs BALER_COLUMNS_DIR (from tests/tools/extract_columns.py);
//! `make test` sets it. Without it the test fails: a check that passes by not running proves nothing.
use baler_codec::*;
use crate::common::*;

#[test]
fn real_columns_every_spec_zero_violations() {
    let Ok(dir) = std::env::var("BALER_COLUMNS_DIR") else {
        panic!(
            "BALER_COLUMNS_DIR is not set: run `make test-rust`, or \
             `python tests/tools/extract_columns.py DIR && BALER_COLUMNS_DIR=DIR cargo test -p baler-codec`"
        );
    };
    let dir = std::path::PathBuf::from(dir);
    let idx = std::fs::read_to_string(dir.join("index.tsv")).expect("index.tsv in BALER_COLUMNS_DIR");
    let mut specs = all_specs();
    specs.extend([Spec::Bits(8), Spec::Rel(2f64.powi(-13)), Spec::Abs(2f64.powi(-10))]);
    let mut ncols = 0;
    let mut nvals = 0usize;
    for line in idx.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        assert!(f.len() >= 6, "bad index line {line:?}");
        let bytes = std::fs::read(dir.join(f[5])).unwrap();
        for spec in &specs {
            if f[3] == "f32" {
                let v = from_be32(&bytes);
                // check_f32 asserts every value; the message names the spec and value
                std::panic::catch_unwind(|| check_f32(&v, spec)).unwrap_or_else(|_| panic!("violation in {}:{}/{} under {spec}", f[0], f[1], f[2]));
            } else {
                let v = from_be64(&bytes);
                std::panic::catch_unwind(|| check_f64(&v, spec)).unwrap_or_else(|_| panic!("violation in {}:{}/{} under {spec}", f[0], f[1], f[2]));
            }
        }
        ncols += 1;
        nvals += bytes.len() / if f[3] == "f32" { 4 } else { 8 };
    }
    assert!(ncols > 0, "no columns in {dir:?}");
    eprintln!("checked {ncols} columns ({nvals} values) x {} specs: zero violations", specs.len());
}
