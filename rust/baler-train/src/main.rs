//! `baler-train`: trains the autoencoder of the `ae:` codec (`baler train` runs this binary).
//! The only program of the project that links libtorch; the `baler` command and libBalerROOT
//! read models without it.

mod cost;
mod dataset;
mod interrupt;
mod model;
mod npz;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use baler_codec::{fit_object_model, object_model_costs, Bound, MemberCost, ObjectModel, Predictor, Spec, MAX_WIDTH, MODEL_MAGIC, OBJECT_MODEL_MAGIC};
use clap::{Parser, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget};
use tch::Device;

use crate::cost::Bytes;
use crate::model::{code_steps_per_unit, takes, transform_for, Architecture, Normalisation, TrainConfig};

/// Rows per optimiser step.
const BATCH: usize = 256;
/// Optimiser steps a default run aims at: where the covariance models stopped improving.
const TARGET_STEPS: usize = 6000;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DeviceChoice {
    Cpu,
    Cuda,
}

/// Train a model for the `ae:BOUND:MODEL` codec: an autoencoder, or a collection's object model.
///
/// One branch whose entries are vectors of K floats (x[K]/F, fixed-width vectors, the inner
/// vectors of vector<vector<float>>) gives an autoencoder over one row per vector (a vector
/// branch whose most common width holds under half its entries is refused: a count of objects is
/// not a row). Several branches of one collection give an object model over one row per object
/// (--latent, --hidden and --epochs do not apply to it). The last --validation fraction of the
/// entries is held out: the model is chosen on it and the bytes are reported on it, next to the
/// per-value codec's.
#[derive(Debug, Parser)]
// negative numbers are values (refused as such), not what clap would take for an unknown option
#[command(name = "baler train", bin_name = "baler train", version, allow_negative_numbers = true)]
struct Args {
    /// ROOT files, or Baler .npz files (arrays `data` and `names`)
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Branches (for .npz: columns) to train on, a shell glob
    #[arg(long, value_name = "GLOB")]
    branches: String,
    /// The tree holding the branches (default: the only tree with matching branches)
    #[arg(long, value_name = "NAME")]
    tree: Option<String>,
    /// The error bound the model will be used with: bits:N, rel:E or abs:E
    #[arg(long, value_name = "SPEC", default_value = "bits:10")]
    bound: String,
    /// Width of the latent (default: a third of the row width, at least 1)
    #[arg(long, value_name = "L")]
    latent: Option<usize>,
    /// Width of the hidden layers (0, the default: a linear model, whose few bytes pay off on
    /// files of thousands of rows; wider ones pay on larger inputs)
    #[arg(long, value_name = "H", default_value_t = 0)]
    hidden: usize,
    /// Most passes over the training rows (default: enough for 6000 optimiser steps, 20 to 6000
    /// passes); training stops earlier once validation has not improved for a third of N passes
    /// (at least 50), so a larger N also waits longer for an improvement
    #[arg(long, value_name = "N")]
    epochs: Option<usize>,
    /// Seed of the initial weights and of the batch order: a seed gives the same model on the CPU
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    #[arg(long, value_enum, default_value = "cpu")]
    device: DeviceChoice,
    /// Fraction of the entries (the last ones) held out for validation
    #[arg(long, value_name = "F", default_value_t = 0.2)]
    validation: f64,
    /// CPU threads for training (1, the default, keeps the model bytes identical across machines)
    #[arg(long, value_name = "N", default_value_t = 1)]
    threads: usize,
    /// Where to write the model
    #[arg(long, value_name = "MODEL.balm")]
    out: PathBuf,
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(error) if baler_args::is_display(&error) => {
            let _ = error.print();
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("baler: error: {}", baler_args::one_line(&error, "(see `baler train --help`)"));
            return ExitCode::from(2);
        }
    };
    // as every other command says it: one line, status 2 for the options, 1 for the rest
    let (result, status) = match checked_options(&args) {
        Ok(bound) => (run(&args, bound), ExitCode::FAILURE),
        Err(message) => (Err(message), ExitCode::from(2)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("baler: error: {message}");
            status
        }
    }
}

fn parse_bound(text: &str) -> Result<Bound, String> {
    match text.parse::<Spec>().map_err(|e| e.to_string())? {
        Spec::Bits(n) => Ok(Bound::Bits(n)),
        Spec::Rel(e) => Ok(Bound::Rel(e)),
        Spec::Abs(e) => Ok(Bound::Abs(e)),
        other => Err(format!("--bound {other}: a model is trained for an error bound, one of bits:N, rel:E, abs:E")),
    }
}

fn device(choice: DeviceChoice) -> Result<Device, String> {
    match choice {
        DeviceChoice::Cpu => Ok(Device::Cpu),
        DeviceChoice::Cuda if tch::Cuda::is_available() => Ok(Device::Cuda(0)),
        DeviceChoice::Cuda => Err("--device cuda: no CUDA device is available to libtorch".into()),
    }
}

/// The options' own checks, which fail whatever the inputs (a usage error: exit status 2, as
/// clap's); the bound they give.
fn checked_options(args: &Args) -> Result<Bound, String> {
    let bound = parse_bound(&args.bound)?;
    if !(args.validation > 0.0 && args.validation < 1.0) {
        return Err(format!("--validation {}: must be above 0 and below 1", args.validation));
    }
    if args.latent == Some(0) {
        return Err("--latent 0: a latent holds at least one number".into());
    }
    if args.epochs == Some(0) {
        return Err("--epochs 0: training needs at least one pass over the rows".into());
    }
    // refused by the model format once trained, after the whole training
    if args.hidden > MAX_WIDTH {
        return Err(format!("--hidden {}: a model's layers are at most {MAX_WIDTH} wide", args.hidden));
    }
    Ok(bound)
}

fn run(args: &Args, bound: Bound) -> Result<(), String> {
    check_inputs_distinct(&args.inputs)?;
    check_out(&args.out, &args.inputs)?;
    let device = device(args.device)?;
    tch::set_num_threads(args.threads.max(1) as i32);
    tch::set_num_interop_threads(1);

    let data = dataset::load(&args.inputs, &args.branches, args.tree.as_deref())?;
    if data.collection {
        return train_object_model(args, &bound, &data);
    }
    let k = data.k;
    if let Some(latent) = args.latent.filter(|&l| l > k) {
        return Err(format!("--latent {latent}: the latent of rows of {k} values has 1 to {k} numbers"));
    }
    if data.is_f32 {
        if let Bound::Bits(n) = bound {
            if n >= 23 {
                return Err(format!("--bound bits:{n}: float32 data keeps at most 22 bits lossily"));
            }
        }
    }
    let transform = transform_for(&bound);
    let codable: Vec<usize> = (0..data.rows()).filter(|&i| data.row(i).iter().all(|&x| takes(transform, x, data.is_f32))).collect();
    let (train_rows, val_rows) = data.select(&codable).split_by_entry(args.validation);
    println!(
        "rows: {} vectors of {k} {} values ({} training, {} validation; {} rows with zeros, subnormals, non-finite values or magnitudes of 2^60 and more left out of training, which the codec codes through the model all the same, those values exactly; {} vectors of another width left to the per-value codec)",
        data.rows(),
        if data.is_f32 { "float32" } else { "float64" },
        train_rows.rows(),
        val_rows.rows(),
        data.rows() - codable.len(),
        data.skipped
    );

    if codable.is_empty() && !matches!(bound, Bound::Abs(_)) {
        // under bits: and rel: the model works on log2|x|: a zero in every row (a column that is
        // always 0, which the codec keeps exact anyway) leaves nothing to train on
        return Err(format!(
            "every row holds a zero, a subnormal or a non-finite value, which a model under --bound {} (on log2|x|) \
             cannot train on: train under --bound abs:E (or, for the columns of an .npz file, leave such columns out \
             of --branches: a ROOT branch's vectors are trained whole)",
            args.bound
        ));
    }
    let norm = Normalisation::fit(&train_rows, transform);
    let arch = Architecture { k, hidden: args.hidden, latent: args.latent.unwrap_or(k.div_ceil(3)).max(1) };
    let epochs = args.epochs.unwrap_or_else(|| (TARGET_STEPS / train_rows.rows().div_ceil(BATCH).max(1)).clamp(20, TARGET_STEPS));
    let config = TrainConfig {
        arch,
        epochs,
        patience: (epochs / 3).max(50),
        batch: BATCH,
        learning_rate: 3e-3,
        seed: args.seed,
        device,
        code_steps: code_steps_per_unit(&bound, &norm),
    };
    let progress = ProgressBar::with_draw_target(None, if std::io::stderr().is_terminal() { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() });
    let started = Instant::now();
    let (net, report) = model::train(&config, &norm.apply(&train_rows), &norm.apply(&val_rows), &progress)?;
    let seconds = started.elapsed().as_secs_f64();
    let shape = arch.layers().iter().map(|(i, _)| i.to_string()).chain([k.to_string()]).collect::<Vec<_>>().join(" -> ");
    println!(
        "model: {shape}, {} parameters; {} epochs (best {}) in {seconds:.1} s on {:?}; validation loss {:.3} (the training's bits-per-value proxy)",
        arch.parameters(),
        report.epochs_run,
        report.best_epoch,
        device,
        report.best_val_bits
    );

    let model = cost::smallest_storage(&net.parts(&norm), &bound, &train_rows)?;
    let val = cost::measure(&model, &bound, &val_rows)?;
    let train = cost::measure(&model, &bound, &train_rows)?;
    let all = cost::measure(&model, &bound, &data)?;
    print_bytes("validation", &args.bound, &val);
    print_bytes("training", &args.bound, &train);
    report_all_rows(all.through_model, model.bytes().len(), all.per_value, &args.bound);
    write_model(&args.out, model.bytes())?;
    let widths = model.weight_bits().iter().map(|b| b.to_string()).collect::<Vec<_>>().join(", ");
    println!("model {} ({} bytes, weights of {widths} bits) written to {}", model.id(), model.bytes().len(), args.out.display());
    Ok(())
}

/// The columns of `data` (one per member), as the object model's fit takes them.
fn columns(data: &dataset::Dataset) -> Vec<Vec<f64>> {
    (0..data.k).map(|j| (0..data.rows()).map(|i| data.row(i)[j]).collect()).collect()
}

/// Several branches of one collection: an object model (which members carry, which are predicted
/// from the carriers' decoded values), fitted on the training entries by what the codec pays, and
/// measured on the validation entries. No libtorch: the predictors are least-squares fits.
fn train_object_model(args: &Args, bound: &Bound, data: &dataset::Dataset) -> Result<(), String> {
    let (train_rows, val_rows) = data.split_by_entry(args.validation);
    println!(
        "objects: {}, of {} members each ({}), {} training, {} validation; an object model (--latent, --hidden, --epochs do not apply)",
        data.rows(),
        data.k,
        data.names.join(", "),
        train_rows.rows(),
        val_rows.rows()
    );
    let started = Instant::now();
    let (model, _) = fit_object_model(&data.names, &columns(&train_rows), bound, data.is_f32).map_err(|e| format!("cannot fit an object model: {e}"))?;
    println!("fitted in {:.1} s:", started.elapsed().as_secs_f64());
    print_members(&model);
    let val = object_model_costs(&model, &columns(&val_rows), bound, data.is_f32).map_err(|e| e.to_string())?;
    let all = object_model_costs(&model, &columns(data), bound, data.is_f32).map_err(|e| e.to_string())?;
    print_member_costs("validation", &args.bound, &val);
    let (per_value, fitted): (usize, usize) = all.iter().fold((0, 0), |(p, f), c| (p + c.per_value_bytes, f + c.fitted_bytes));
    report_all_rows(fitted, model.bytes().len(), per_value, &args.bound);
    write_model(&args.out, model.bytes())?;
    println!("model {} ({} bytes) written to {}", model.id(), model.bytes().len(), args.out.display());
    Ok(())
}

/// The width of the name column of the member tables: the longest name, and at least 32 (xAOD
/// names such as `AnalysisJetsAuxDyn.DFCommonJets_QGTagger_TracksWidth` pushed the numbers out of
/// their column).
fn name_width<'a>(names: impl Iterator<Item = &'a str>) -> usize {
    names.map(str::len).max().unwrap_or(0).max(32)
}

fn print_members(model: &ObjectModel) {
    let width = name_width(model.members().iter().map(|m| m.name.as_str()));
    for (i, m) in model.members().iter().enumerate() {
        let how = match &m.predictor {
            Predictor::Carrier => "carries (coded per value)".to_string(),
            Predictor::Linear { .. } => format!("linear in {}", model.context_names(i).join(", ")),
            Predictor::Norm { .. } => format!("norm of {}", model.context_names(i).join(", ")),
        };
        println!("  {:<width$} {how}", m.name);
    }
}

fn print_member_costs(what: &str, bound: &str, costs: &[MemberCost]) {
    if costs.iter().all(|c| c.values == 0) {
        // an input of one entry, or a few: each member's bytes of no values would read as a size
        println!("{what:>10} at {bound}: no values (the inputs hold too few entries to keep some apart)");
        return;
    }
    let (mut values, mut per_value, mut fitted) = (0, 0, 0);
    let width = name_width(costs.iter().map(|c| c.name.as_str()));
    for c in costs {
        println!("  {:<width$} {:>9} values: per-value {:.4} B/value, object model {:.4} B/value", c.name, c.values, c.per_value_bytes as f64 / c.values.max(1) as f64, c.fitted_bytes as f64 / c.values.max(1) as f64);
        values += c.values;
        per_value += c.per_value_bytes;
        fitted += c.fitted_bytes;
    }
    println!(
        "{what:>10} at {bound}: per-value codec {:.4} B/value, object model {:.4} B/value: {} ({values} values)",
        per_value as f64 / values.max(1) as f64,
        fitted as f64 / values.max(1) as f64,
        relative_size(fitted, per_value)
    );
}

/// The folder a model at `path` is written into.
fn folder_of(path: &std::path::Path) -> &std::path::Path {
    path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."))
}

/// The (device, inode) of the file `path` names, through links; None where there is none.
fn file_identity(path: &std::path::Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// A file given twice (`gen.root gen.root`, or through a link) trained on its rows twice, and the
/// validation rows, the last inputs' entries, were training rows: its gain was the training's.
fn check_inputs_distinct(inputs: &[PathBuf]) -> Result<(), String> {
    let mut seen: Vec<((u64, u64), &PathBuf)> = Vec::new();
    for input in inputs {
        let Some(key) = file_identity(input) else { continue }; // missing: the loader says so
        if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
            return Err(format!(
                "{} and {} are the same file: give each input once (validation takes entries no training row holds)",
                first.display(),
                input.display()
            ));
        }
        seen.push((key, input));
    }
    Ok(())
}

/// Before any training: `--out` names a file this run can write, in a folder that exists (a
/// temporary file is made there and removed), so that minutes of training are not lost to it; and
/// it replaces no data. An input given as `--out`, or any file there that is not a model (a typo
/// such as `--out data.root`), was overwritten by the model without a word.
fn check_out(path: &std::path::Path, inputs: &[PathBuf]) -> Result<(), String> {
    // the rename would replace the link, not the model it names, as `baler compress` refuses too
    if path.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(format!(
            "--out {}: is a symbolic link, which the model would replace: give the path of the file itself",
            path.display()
        ));
    }
    if path.is_dir() {
        return Err(format!("--out {}: is a folder; give the model's file name", path.display()));
    }
    if let Some(existing) = file_identity(path) {
        if let Some(input) = inputs.iter().find(|input| file_identity(input) == Some(existing)) {
            return Err(format!("--out {}: is the input file {}: choose another path for the model", path.display(), input.display()));
        }
        let mut head = [0u8; 4];
        let is_model = std::fs::File::open(path)
            .and_then(|mut file| std::io::Read::read_exact(&mut file, &mut head))
            .is_ok_and(|()| head == MODEL_MAGIC || head == OBJECT_MODEL_MAGIC);
        if !is_model {
            return Err(format!("--out {}: exists and is not a Baler model; remove it first or choose another path", path.display()));
        }
    }
    let folder = folder_of(path);
    if !folder.is_dir() {
        return Err(format!("--out {}: there is no folder {}", path.display(), folder.display()));
    }
    tempfile::NamedTempFile::new_in(folder).map(drop).map_err(|e| {
        // the kind of failure, without the name of the temporary file tempfile's message adds
        let cause = std::io::Error::from(e.kind());
        format!("--out {}: cannot write in {} ({cause})", path.display(), folder.display())
    })
}

/// Writes under a temporary name and renames, so a failed run never leaves half a model.
fn write_model(path: &std::path::Path, bytes: &[u8]) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    let mut tmp = tempfile::NamedTempFile::new_in(folder_of(path)).map_err(fail)?;
    std::io::Write::write_all(&mut tmp, bytes).map_err(fail)?;
    // a model is shared like any data file (the temporary file was created private)
    std::fs::set_permissions(tmp.path(), std::os::unix::fs::PermissionsExt::from_mode(0o644)).map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

/// The bytes of every row through the model (`coded`, `model_bytes` more for the model) against the
/// per-value codec's. A model that does not pay is still written, with a warning: the codec keeps
/// the per-value coding of the blocks it does not make smaller, so a file written with it gains
/// little or nothing, which the user otherwise learns only from `baler compress`'s warning that it
/// coded no basket.
fn report_all_rows(coded: usize, model_bytes: usize, per_value: usize, bound: &str) {
    println!(
        "all rows, model included: {} than the per-value codec ({coded} + {model_bytes} bytes against {per_value})",
        relative_size(coded + model_bytes, per_value)
    );
    if coded + model_bytes >= per_value {
        eprintln!(
            "baler: warning: the model does not make these rows smaller than the per-value codec at {bound}: \
             a file written with it keeps the per-value coding wherever the model does not pay, and gains \
             little or nothing (more rows, or values that depend on each other, give a model more to learn)"
        );
    }
}

/// `coded` bytes against the per-value codec's `per_value`: "12.3% smaller", or "4.5% larger" for
/// a model that does not pay (the codec then keeps the per-value coding of those blocks, so the
/// file does not grow).
fn relative_size(coded: usize, per_value: usize) -> String {
    let gain = 1.0 - coded as f64 / per_value.max(1) as f64;
    if gain >= 0.0 {
        format!("{:.1}% smaller", 100.0 * gain)
    } else {
        format!("{:.1}% larger", -100.0 * gain)
    }
}

fn print_bytes(what: &str, bound: &str, b: &Bytes) {
    println!(
        "{what:>10} at {bound}: per-value codec {:.4} B/value, ae {:.4} B/value: {} ({} values)",
        b.per_value_bpv(),
        b.through_model_bpv(),
        relative_size(b.through_model, b.per_value),
        b.values
    );
}
