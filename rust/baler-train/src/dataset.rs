//! The training rows: vectors of K floats, from Baler `.npz` files or from ROOT files.
//!
//! ROOT files are read by the Python environment's uproot (`root_rows.py`, run as a child
//! process that writes a temporary `.npz`): the trainer must not link ROOT, uproot already reads
//! every layout the trainer needs (fixed arrays, vectors, nested vectors, split xAOD containers)
//! and is installed with the project, and the plugin's C ABI offers no "branch values as rows"
//! call. One reader (`npz.rs`) then serves both kinds of input.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::interrupt;
use crate::npz::{read_npz, NpzTable};

/// The Python script that turns ROOT branches into rows.
const ROOT_ROWS_PY: &str = include_str!("root_rows.py");

/// Rows of `k` values, row-major, with the entry (event) each row came from.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub values: Vec<f64>,
    pub k: usize,
    pub names: Vec<String>,
    pub entry: Vec<i64>,
    /// float32 data (else float64): the codec codes the two differently.
    pub is_f32: bool,
    /// Vectors of another width that the reader left out.
    pub skipped: i64,
    /// Each column is its own ROOT branch of one collection (Jet_Px, Jet_Py, ...), one row per
    /// object: an object model's members, not an autoencoder's row.
    pub collection: bool,
}

impl Dataset {
    pub fn rows(&self) -> usize {
        self.entry.len()
    }

    pub fn row(&self, i: usize) -> &[f64] {
        &self.values[i * self.k..(i + 1) * self.k]
    }

    /// The rows at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Dataset {
        Dataset {
            values: indices.iter().flat_map(|&i| self.row(i).iter().copied()).collect(),
            entry: indices.iter().map(|&i| self.entry[i]).collect(),
            names: self.names.clone(),
            ..*self
        }
    }

    /// Splits by entry: the rows of the last `fraction` of the entries validate, the others
    /// train, so validation measures the model on events it has not seen.
    pub fn split_by_entry(&self, fraction: f64) -> (Dataset, Dataset) {
        let mut entries: Vec<i64> = self.entry.clone();
        entries.sort_unstable();
        entries.dedup();
        let n_val = ((entries.len() as f64 * fraction).round() as usize).min(entries.len());
        let first_val = entries.get(entries.len() - n_val).copied().unwrap_or(i64::MAX);
        let (val, train): (Vec<usize>, Vec<usize>) = (0..self.rows()).partition(|&i| self.entry[i] >= first_val);
        (self.select(&train), self.select(&val))
    }
}

/// Reads `inputs` (all `.npz`, or all ROOT files) and keeps the branches (`.npz`: columns) that
/// match `glob`.
pub fn load(inputs: &[PathBuf], glob: &str, tree: Option<&str>) -> Result<Dataset, String> {
    let npz = inputs.iter().filter(|p| p.extension().is_some_and(|e| e == "npz")).count();
    let tables = if npz == inputs.len() {
        if let Some(tree) = tree {
            return Err(format!("--tree {tree} applies to ROOT inputs, and every input is a .npz"));
        }
        inputs.iter().map(|p| read_npz(p).and_then(|t| select_columns(t, glob).map_err(|e| format!("{}: {e}", p.display())))).collect::<Result<Vec<_>, _>>()?
    } else if npz == 0 {
        let mut set = concat(vec![rows_from_root(inputs, glob, tree)?])?;
        // one branch gives columns named branch[i]; several branches their own names
        set.collection = set.k > 1 && !set.names[0].ends_with(']');
        return Ok(set);
    } else {
        return Err("inputs mix .npz and ROOT files: give one kind".into());
    };
    concat(tables)
}

fn concat(tables: Vec<NpzTable>) -> Result<Dataset, String> {
    let first = tables.first().ok_or("no input files")?;
    let mut set = Dataset { values: vec![], k: first.names.len(), names: first.names.clone(), entry: vec![], is_f32: true, skipped: 0, collection: false };
    let mut next_entry = 0i64;
    for t in tables {
        if t.names != set.names {
            return Err(format!("the inputs have different columns ({} vs {})", t.names.join(","), set.names.join(",")));
        }
        let entry = t.entry.unwrap_or_else(|| (0..t.rows as i64).collect());
        let offset = next_entry;
        next_entry += entry.iter().max().map_or(0, |m| m + 1);
        set.entry.extend(entry.iter().map(|e| e + offset));
        set.values.extend(t.data);
        set.is_f32 &= t.is_f32;
        set.skipped += t.skipped;
    }
    if set.entry.is_empty() {
        return Err("the inputs hold no rows".into());
    }
    Ok(set)
}

/// Keeps the columns whose names match `glob`.
fn select_columns(t: NpzTable, glob: &str) -> Result<NpzTable, String> {
    let keep: Vec<usize> = (0..t.names.len()).filter(|&j| glob_match(glob, &t.names[j])).collect();
    if keep.is_empty() {
        return Err(format!("no column matches '{glob}' (columns: {})", t.names.join(", ")));
    }
    let cols = t.names.len();
    Ok(NpzTable {
        data: (0..t.rows).flat_map(|i| keep.iter().map(move |&j| (i, j))).map(|(i, j)| t.data[i * cols + j]).collect(),
        names: keep.iter().map(|&j| t.names[j].clone()).collect(),
        ..t
    })
}

/// Shell glob (fnmatch(3), as the plugin and uproot match branch names): `*`, `?`, `[...]` and
/// `[!...]`. A name or glob holding a NUL character matches nothing.
pub fn glob_match(glob: &str, name: &str) -> bool {
    let (Ok(glob), Ok(name)) = (std::ffi::CString::new(glob), std::ffi::CString::new(name)) else {
        return false;
    };
    // SAFETY: both are NUL-terminated strings that outlive the call
    unsafe { libc::fnmatch(glob.as_ptr(), name.as_ptr(), 0) == 0 }
}

/// The Python interpreter that reads ROOT files: `BALER_PYTHON`, else the project environment's
/// recorded at build time, else `python3` on the PATH.
fn python() -> PathBuf {
    std::env::var_os("BALER_PYTHON").map(PathBuf::from).or(option_env!("BALER_TRAIN_PYTHON").map(PathBuf::from)).unwrap_or_else(|| "python3".into())
}

fn rows_from_root(inputs: &[PathBuf], glob: &str, tree: Option<&str>) -> Result<NpzTable, String> {
    for p in inputs {
        if p.is_dir() {
            return Err(format!("{}: is a folder; give the ROOT or .npz files in it", p.display()));
        }
        if !p.is_file() {
            return Err(format!("{}: no such file", p.display()));
        }
    }
    let dir = tempfile::tempdir().map_err(|e| format!("cannot make a temporary folder: {e}"))?;
    let script = dir.path().join("root_rows.py");
    std::fs::write(&script, ROOT_ROWS_PY).map_err(|e| format!("cannot write {}: {e}", script.display()))?;
    let out = dir.path().join("rows.npz");
    let python = python();
    let (run, signal) = interrupt::output_passing_signals(Command::new(&python).arg(&script).arg(&out).arg(tree.unwrap_or("")).arg(glob).args(inputs))
        .map_err(|e| format!("cannot run {} to read the ROOT files: {e} (set BALER_PYTHON to a Python with uproot)", python.display()))?;
    if let Some(signal) = signal {
        drop(dir); // the rows, as large as the training data
        interrupt::end_by(signal);
    }
    if !run.status.success() {
        let stderr = String::from_utf8_lossy(&run.stderr);
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no message");
        return Err(last.to_string());
    }
    // its notes (the branches a collection's glob matched and training leaves out)
    eprint!("{}", String::from_utf8_lossy(&run.stderr));
    read_npz(Path::new(&out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_like_the_shell() {
        assert!(glob_match("*CovMatrix", "InDetTrackParticlesAuxDyn.definingParametersCovMatrix"));
        assert!(!glob_match("*CovMatrix", "InDetTrackParticlesAuxDyn.definingParametersCovMatrixDiag"));
        assert!(glob_match("Jet_?t", "Jet_pt"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("a*b", "ac"));
        assert!(glob_match("a*b*c", "aXbYbZc"));
        // classes, as for branches (`c[0-5]` failed on .npz columns only)
        assert!(glob_match("c[0-5]", "c3") && !glob_match("c[0-5]", "c7"));
        assert!(glob_match("c[!1]*", "c23") && !glob_match("c[!1]*", "c12"));
    }

    #[test]
    fn split_keeps_whole_entries_together_and_validates_on_the_last_ones() {
        let set = Dataset { values: (0..12).map(f64::from).collect(), k: 2, names: vec!["a".into(), "b".into()], entry: vec![0, 0, 1, 2, 2, 3], is_f32: true, skipped: 0, collection: false };
        let (train, val) = set.split_by_entry(0.5);
        assert_eq!(train.entry, vec![0, 0, 1]);
        assert_eq!(val.entry, vec![2, 2, 3]);
        assert_eq!(val.values, vec![6.0, 7.0, 8.0, 9.0, 10.0, 11.0]);
    }
}
