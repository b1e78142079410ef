//! The basket files of bench/dump_baskets.py, for the basket benches: records of
//! [u32 a][u32 n][n bytes], little-endian (a: the decoded length of a stored record, or with
//! --decoded the data length of a decoded basket).

/// (a, the n bytes) of each record of the file at `path`.
pub fn load(path: &str) -> Vec<(usize, Vec<u8>)> {
    let raw = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let le32 = |at: usize| u32::from_le_bytes(raw[at..at + 4].try_into().expect("4 bytes")) as usize;
    let mut records = Vec::new();
    let mut at = 0;
    while at < raw.len() {
        let (a, n) = (le32(at), le32(at + 4));
        records.push((a, raw[at + 8..at + 8 + n].to_vec()));
        at += 8 + n;
    }
    records
}
