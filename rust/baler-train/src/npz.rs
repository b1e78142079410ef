//! Reads Baler's `.npz` files: a zip of `.npy` arrays, of which the trainer uses `data` (a 2-D
//! float array, one row per entry, one column per feature) and `names` (the column names, a 1-D
//! unicode or byte-string array); the ROOT extraction (`root_rows.py`) adds `entry` (the entry
//! each row came from) and `skipped` (vectors of another width left out). Only what `numpy.savez` writes for those arrays is accepted;
//! everything else (object arrays, pickles, other dtypes, shapes that disagree) is a clear error.

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Largest array this reader allocates (bytes): far above any training set, far below a header
/// that lies about its shape.
const MAX_ARRAY_BYTES: usize = 1 << 34;

/// The arrays of a Baler `.npz`: `data` row-major, `rows` x `names.len()`.
#[derive(Debug)]
pub struct NpzTable {
    pub data: Vec<f64>,
    pub rows: usize,
    pub names: Vec<String>,
    /// Whether `data` was stored as float32 (else float64): the codec's per-value cost depends on it.
    pub is_f32: bool,
    /// The entry each row came from, when the file says (else each row is its own entry).
    pub entry: Option<Vec<i64>>,
    /// Vectors the extraction left out because their width differed from the rows'.
    pub skipped: i64,
}

pub fn read_npz(path: &Path) -> Result<NpzTable, String> {
    let fail = |what: String| format!("{}: {what}", path.display());
    let file = File::open(path).map_err(|e| fail(e.to_string()))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| fail(format!("not a .npz (zip) file: {e}")))?;
    let data = read_member(&mut zip, "data.npy").map_err(fail)?;
    let names = read_member(&mut zip, "names.npy").map_err(fail)?;
    let (rows, cols) = match data.shape[..] {
        [rows, cols] if cols > 0 => (rows, cols),
        _ => return Err(fail(format!("array `data` has shape {:?}, expected (rows, columns)", data.shape))),
    };
    let names = match names.shape[..] {
        [n] if n == cols => names.strings()?,
        _ => return Err(fail(format!("array `names` has shape {:?}, expected ({cols},), one name per column of `data`", names.shape))),
    };
    let is_f32 = matches!(data.dtype, Dtype::Float { size: 4, .. });
    let mut values = data.floats().map_err(fail)?;
    if data.fortran_order {
        values = (0..rows * cols).map(|i| values[(i % cols) * rows + i / cols]).collect();
    }
    let has = |zip: &zip::ZipArchive<File>, name: &str| zip.file_names().any(|n| n == name);
    let entry = match has(&zip, "entry.npy") {
        true => {
            let entry = read_member(&mut zip, "entry.npy").map_err(fail)?;
            if entry.shape != [rows] {
                return Err(fail(format!("array `entry` has shape {:?}, expected ({rows},)", entry.shape)));
            }
            Some(entry.ints().map_err(fail)?)
        }
        false => None,
    };
    let skipped = match has(&zip, "skipped.npy") {
        true => read_member(&mut zip, "skipped.npy").map_err(fail)?.ints().map_err(fail)?.first().copied().unwrap_or(0),
        false => 0,
    };
    Ok(NpzTable { data: values, rows, names, is_f32, entry, skipped })
}

fn read_member(zip: &mut zip::ZipArchive<File>, name: &str) -> Result<NpyArray, String> {
    let mut member = zip.by_name(name).map_err(|_| format!("no array `{}` (Baler's .npz holds `data` and `names`)", name.trim_end_matches(".npy")))?;
    let declared = usize::try_from(member.size()).unwrap_or(usize::MAX);
    if declared > MAX_ARRAY_BYTES {
        return Err(format!("array `{name}` is too large ({declared} bytes)"));
    }
    let mut bytes = Vec::with_capacity(declared);
    member.read_to_end(&mut bytes).map_err(|e| format!("array `{name}`: {e}"))?;
    parse_npy(&bytes).map_err(|e| format!("array `{name}`: {e}"))
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Dtype {
    Float { size: usize, little: bool },
    /// numpy `U` strings: `chars` UTF-32 code units each.
    Unicode { chars: usize, little: bool },
    /// numpy `S` strings: `len` bytes each, NUL-padded.
    Bytes { len: usize },
    Int64 { little: bool },
}

#[derive(Debug)]
struct NpyArray {
    dtype: Dtype,
    shape: Vec<usize>,
    fortran_order: bool,
    payload: Vec<u8>,
}

impl NpyArray {
    fn floats(&self) -> Result<Vec<f64>, String> {
        let Dtype::Float { size, little } = self.dtype else {
            return Err("array `data` is not float32 or float64".into());
        };
        Ok(self
            .payload
            .chunks_exact(size)
            .map(|c| match (size, little) {
                (4, true) => f32::from_le_bytes(c.try_into().unwrap()) as f64,
                (4, false) => f32::from_be_bytes(c.try_into().unwrap()) as f64,
                (_, true) => f64::from_le_bytes(c.try_into().unwrap()),
                (_, false) => f64::from_be_bytes(c.try_into().unwrap()),
            })
            .collect())
    }

    fn ints(&self) -> Result<Vec<i64>, String> {
        let Dtype::Int64 { little } = self.dtype else {
            return Err("expected int64 values".into());
        };
        Ok(self
            .payload
            .chunks_exact(8)
            .map(|c| if little { i64::from_le_bytes(c.try_into().unwrap()) } else { i64::from_be_bytes(c.try_into().unwrap()) })
            .collect())
    }

    fn strings(&self) -> Result<Vec<String>, String> {
        match self.dtype {
            Dtype::Unicode { chars, little } => self
                .payload
                .chunks_exact(chars * 4)
                .map(|item| {
                    item.chunks_exact(4)
                        .map(|c| {
                            let c: [u8; 4] = c.try_into().unwrap();
                            if little { u32::from_le_bytes(c) } else { u32::from_be_bytes(c) }
                        })
                        .take_while(|&u| u != 0)
                        .map(|u| char::from_u32(u).ok_or_else(|| "array `names` holds an invalid character".to_string()))
                        .collect()
                })
                .collect(),
            Dtype::Bytes { len } => self
                .payload
                .chunks_exact(len)
                .map(|item| {
                    let end = item.iter().position(|&b| b == 0).unwrap_or(len);
                    String::from_utf8(item[..end].to_vec()).map_err(|_| "array `names` is not UTF-8".to_string())
                })
                .collect(),
            Dtype::Float { .. } | Dtype::Int64 { .. } => Err("array `names` holds numbers, not strings".into()),
        }
    }
}

/// Parses an `.npy` file (format versions 1 to 3): magic, header length, a Python-literal dict
/// with `descr`, `fortran_order` and `shape`, then exactly the payload the header announces.
fn parse_npy(bytes: &[u8]) -> Result<NpyArray, String> {
    let rest = bytes.strip_prefix(b"\x93NUMPY").ok_or("not an .npy array (bad magic)")?;
    let (major, rest) = rest.split_at_checked(2).ok_or("truncated header")?;
    let (header_len, rest) = match major[0] {
        1 => rest.split_at_checked(2).map(|(l, r)| (u16::from_le_bytes([l[0], l[1]]) as usize, r)),
        2 | 3 => rest.split_at_checked(4).map(|(l, r)| (u32::from_le_bytes(l.try_into().unwrap()) as usize, r)),
        v => return Err(format!("unsupported .npy format version {v}")),
    }
    .ok_or("truncated header")?;
    let (header, payload) = rest.split_at_checked(header_len).ok_or("truncated header")?;
    let header = std::str::from_utf8(header).map_err(|_| "header is not text")?;
    let descr = dict_value(header, "descr")?;
    let descr = descr.strip_prefix('\'').and_then(|d| d.strip_suffix('\'')).ok_or("`descr` is not a simple dtype (object or structured arrays are not supported)")?;
    let dtype = parse_descr(descr)?;
    let fortran_order = match dict_value(header, "fortran_order")? {
        "True" => true,
        "False" => false,
        other => return Err(format!("bad `fortran_order` {other}")),
    };
    let shape = parse_shape(dict_value(header, "shape")?)?;
    let item = match dtype {
        Dtype::Float { size, .. } => size,
        Dtype::Int64 { .. } => 8,
        Dtype::Unicode { chars, .. } => chars.checked_mul(4).ok_or("bad dtype")?,
        Dtype::Bytes { len } => len,
    };
    let expected = shape.iter().try_fold(item, |acc, &d| acc.checked_mul(d)).filter(|&n| n <= MAX_ARRAY_BYTES).ok_or("shape too large")?;
    if payload.len() != expected {
        return Err(format!("holds {} bytes of values, its header announces {expected}", payload.len()));
    }
    Ok(NpyArray { dtype, shape, fortran_order, payload: payload.to_vec() })
}

/// The text of `key`'s value in the header dict: up to the next top-level comma or the closing brace.
fn dict_value<'a>(header: &'a str, key: &str) -> Result<&'a str, String> {
    let quoted = format!("'{key}':");
    let start = header.find(&quoted).ok_or_else(|| format!("header has no `{key}`"))? + quoted.len();
    let tail = header[start..].trim_start();
    let mut depth = 0i32;
    for (i, c) in tail.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ',' | '}' if depth == 0 => return Ok(tail[..i].trim()),
            _ => {}
        }
    }
    Err(format!("header's `{key}` is not terminated"))
}

fn parse_descr(descr: &str) -> Result<Dtype, String> {
    let bad = || format!("unsupported dtype '{descr}' (expected float32/float64 data and string names)");
    if descr.ends_with('O') {
        // Object arrays are pickled Python objects; unpickling runs code, so they are not read.
        return Err(format!("dtype '{descr}' holds pickled Python objects, which are not read: save strings, \
                            e.g. np.savez(..., names=np.array(names, dtype=str))"));
    }
    let (order, rest) = descr.split_at_checked(1).ok_or_else(bad)?;
    let little = match order {
        "<" | "|" => true,
        ">" => false,
        "=" => cfg!(target_endian = "little"),
        _ => return Err(bad()),
    };
    let (kind, size) = rest.split_at_checked(1).ok_or_else(bad)?;
    let size: usize = size.parse().map_err(|_| bad())?;
    match (kind, size) {
        ("f", 4 | 8) => Ok(Dtype::Float { size, little }),
        ("i", 8) => Ok(Dtype::Int64 { little }),
        ("U", 1..) => Ok(Dtype::Unicode { chars: size, little }),
        ("S", 1..) => Ok(Dtype::Bytes { len: size }),
        _ => Err(bad()),
    }
}

fn parse_shape(text: &str) -> Result<Vec<usize>, String> {
    let inner = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')).ok_or_else(|| format!("bad shape {text}"))?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| d.parse::<usize>().map_err(|_| format!("bad shape {text}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(descr: &str, shape: &str, payload: &[u8]) -> Vec<u8> {
        let header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}\n");
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn reads_float_matrix_and_unicode_names() {
        let vals: Vec<u8> = [1.5f32, -2.0, 3.25, 4.0, 5.0, 6.0].iter().flat_map(|v| v.to_le_bytes()).collect();
        let a = parse_npy(&npy("<f4", "(3, 2)", &vals)).unwrap();
        assert_eq!(a.shape, vec![3, 2]);
        assert_eq!(a.floats().unwrap(), vec![1.5, -2.0, 3.25, 4.0, 5.0, 6.0]);
        let names: Vec<u8> = "ab\0c\0\0".chars().flat_map(|c| (c as u32).to_le_bytes()).collect();
        let n = parse_npy(&npy("<U3", "(2,)", &names)).unwrap();
        assert_eq!(n.strings().unwrap(), vec!["ab", "c"]);
    }

    #[test]
    fn rejects_payload_that_disagrees_with_shape() {
        let vals = [0u8; 20];
        let e = parse_npy(&npy("<f4", "(3, 2)", &vals)).unwrap_err();
        assert!(e.contains("announces 24"), "{e}");
    }

    #[test]
    fn rejects_object_arrays_and_garbage() {
        // An object array (older pandas give one for `df.columns.values`): the error says how to save strings.
        assert!(parse_npy(&npy("|O", "(2,)", &[0; 16])).unwrap_err().contains("dtype=str"));
        assert!(parse_npy(b"PK\x03\x04").unwrap_err().contains("bad magic"));
        assert!(parse_npy(b"\x93NUMPY\x01\x00\xff\xff{").unwrap_err().contains("truncated"));
        let huge = npy("<f8", "(99999999999, 99999999999)", &[]);
        assert!(parse_npy(&huge).unwrap_err().contains("too large"));
    }
}
