//! `baler`: compress, inspect and generate ROOT files with Baler's error-bounded float coding.
//!
//! Argument parsing, tables and progress bars live here; every ROOT operation is done by
//! libBalerROOT (see `plugin.rs` and root-plugin/include/Baler/CommandApi.h), loaded at run time.

mod eval;
mod plugin;
mod table;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use plugin::Plugin;

/// Events in the embedded default sample: about 10^6 float values.
const DEFAULT_EVENTS: i64 = 10_000;
const DEFAULT_SEED: u64 = 42;
const DEFAULT_CODEC: &str = "bits:10";

#[derive(Parser)]
#[command(
    name = "baler",
    version,
    about = "Error-bounded lossy compression of ROOT TTree float branches",
    long_about = "Error-bounded lossy compression of ROOT TTree float branches.\n\n\
                  Without a command, `baler` generates the default sample into a temporary folder and \
                  compresses it (the same as `baler compress` with no arguments).\n\n\
                  Codec specs: lossless | bits:N | rel:E | abs:E | ae:BOUND:MODEL"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Rewrite every TTree of a ROOT file with Baler; all other objects are copied
    Compress(CompressArgs),
    /// Per-branch codec, compressed and uncompressed bytes and ratio of a ROOT file
    Inspect(InspectArgs),
    /// Write a synthetic, physics-like sample (deterministic for a seed)
    Generate(GenerateArgs),
    /// Compare an original and a compressed file: errors, bytes, physics, plots in report.html (see `baler eval --help`)
    Eval(eval::EvalArgs),
}

#[derive(Args)]
#[command(long_about = "Rewrite every TTree of IN.root into OUT.root with Baler. The codec applies to the float \
                        and double branches that match the --branches globs (all by default); every other \
                        branch is stored by Baler losslessly. Histograms, directories and other objects are \
                        copied. Prints a table per branch: bytes before, after, ratio and codec, and totals.\n\n\
                        With no arguments, generates the default sample into a temporary folder, compresses \
                        it and says where the files are.")]
struct CompressArgs {
    /// Input ROOT file
    #[arg(value_name = "IN.root")]
    input: Option<PathBuf>,
    /// Output ROOT file, replaced only when the run succeeds (written under a temporary name first)
    #[arg(value_name = "OUT.root")]
    output: Option<PathBuf>,
    /// Codec for the selected float/double branches: lossless | bits:N | rel:E | abs:E
    #[arg(long, value_name = "SPEC", default_value = DEFAULT_CODEC)]
    codec: String,
    /// Shell glob on branch names selecting the branches that get --codec (repeatable; default all)
    #[arg(long = "branches", value_name = "GLOB")]
    branches: Vec<String>,
    /// Rewrite only this tree (name or dir/name; repeatable); other trees are copied unchanged
    #[arg(long = "tree", value_name = "NAME")]
    trees: Vec<String>,
}

#[derive(Args)]
struct InspectArgs {
    /// ROOT file to inspect
    #[arg(value_name = "FILE.root")]
    file: PathBuf,
}

#[derive(Args)]
#[command(long_about = "Write a synthetic sample: tree `Events` with jets and muons (nJet, Jet_pt[nJet]/F, ...; \
                        nMuon, Muon_pt[nMuon]/F, ...), electrons as std::vector<float>, event scalars \
                        (run, event, MET_pt, genWeight/D, ...) and an 8x8 calorimeter cell array \
                        Calo_E[64]/F with correlated neighbouring cells; plus a histogram in directory \
                        `meta`. Stored with ZSTD-505 as a plain ROOT file. The same seed gives the same values.")]
struct GenerateArgs {
    /// Output ROOT file, replaced only when the run succeeds
    #[arg(value_name = "OUT.root")]
    output: PathBuf,
    /// Number of events (the default gives about 10^6 float values)
    #[arg(long, value_name = "N", default_value_t = DEFAULT_EVENTS)]
    events: i64,
    /// Random seed
    #[arg(long, value_name = "S", default_value_t = DEFAULT_SEED)]
    seed: u64,
}

/// Progress bars on stderr, only when the output is a terminal.
struct Bars {
    enabled: bool,
    bar: Option<ProgressBar>,
    label: String,
}

impl Bars {
    fn new() -> Bars {
        Bars { enabled: std::io::stdout().is_terminal() && std::io::stderr().is_terminal(), bar: None, label: String::new() }
    }

    fn update(&mut self, what: &str, done: i64, total: i64) {
        if !self.enabled {
            return;
        }
        if self.bar.is_none() || self.label != what {
            self.finish();
            let bar = ProgressBar::new(total.max(0) as u64);
            bar.set_style(
                ProgressStyle::with_template("{msg:>16} [{bar:40}] {pos}/{len} entries ({eta})")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.set_message(what.to_string());
            self.bar = Some(bar);
            self.label = what.to_string();
        }
        if let Some(bar) = &self.bar {
            bar.set_length(total.max(0) as u64);
            bar.set_position(done.max(0) as u64);
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn require_input(path: &Path) -> Result<(), String> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => Ok(()),
        Ok(_) => Err(format!("input '{}' is not a file", path.display())),
        Err(e) => Err(format!("cannot read input file '{}': {}", path.display(), io_reason(&e))),
    }
}

fn io_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => error.to_string(),
    }
}

fn compress(args: CompressArgs) -> Result<(), String> {
    let (input, output) = match (args.input, args.output) {
        (Some(input), Some(output)) => (input, output),
        (None, None) => return compress_default_sample(&args.codec, &args.branches, &args.trees),
        _ => return Err("compress needs both IN.root and OUT.root (or neither, to compress a generated sample)".into()),
    };
    require_input(&input)?;
    let plugin = Plugin::load()?;
    compress_and_report(&plugin, &input, &output, &args.codec, &args.branches, &args.trees)
}

fn compress_and_report(
    plugin: &Plugin,
    input: &Path,
    output: &Path,
    codec: &str,
    globs: &[String],
    trees: &[String],
) -> Result<(), String> {
    let mut bars = Bars::new();
    let result = {
        let mut progress = |what: &str, done: i64, total: i64| bars.update(what, done, total);
        plugin.compress(input, output, codec, globs, trees, Some(&mut progress))
    };
    bars.finish();
    let rows = result?;
    println!("baler compress: {} -> {} (codec {codec} on float branches{}, lossless elsewhere)",
             input.display(), output.display(),
             if globs.is_empty() { String::new() } else { format!(" matching {}", globs.join(" ")) });
    print!("{}", table::compress_table(&rows));
    let (before, after) = (file_size(input), file_size(output));
    println!("file size: {before} -> {after} bytes (ratio {})", table::ratio(before as i64, after as i64));
    Ok(())
}

fn compress_default_sample(codec: &str, globs: &[String], trees: &[String]) -> Result<(), String> {
    let dir = tempfile::Builder::new()
        .prefix("baler-sample-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary folder: {e}"))?
        .keep();
    let input = dir.join("sample.root");
    let output = dir.join("sample.baler.root");
    let plugin = Plugin::load()?;
    println!("baler: generating the default sample ({DEFAULT_EVENTS} events, seed {DEFAULT_SEED}) into {}", dir.display());
    generate_with_progress(&plugin, &input, DEFAULT_EVENTS, DEFAULT_SEED)?;
    compress_and_report(&plugin, &input, &output, codec, globs, trees)?;
    println!("files are in {}: sample.root (input, ZSTD-505), sample.baler.root (Baler)", dir.display());
    Ok(())
}

fn generate_with_progress(plugin: &Plugin, output: &Path, events: i64, seed: u64) -> Result<(), String> {
    let mut bars = Bars::new();
    let result = {
        let mut progress = |what: &str, done: i64, total: i64| bars.update(what, done, total);
        plugin.generate(output, events, seed, Some(&mut progress))
    };
    bars.finish();
    result
}

fn inspect(args: InspectArgs) -> Result<(), String> {
    require_input(&args.file)?;
    let plugin = Plugin::load()?;
    let rows = plugin.inspect(&args.file)?;
    println!("baler inspect: {} ({} bytes)", args.file.display(), file_size(&args.file));
    if rows.is_empty() {
        println!("no TTree in this file");
        return Ok(());
    }
    print!("{}", table::inspect_table(&rows));
    Ok(())
}

fn generate(args: GenerateArgs) -> Result<(), String> {
    if args.events < 0 {
        return Err(format!("--events must not be negative (got {})", args.events));
    }
    let plugin = Plugin::load()?;
    generate_with_progress(&plugin, &args.output, args.events, args.seed)?;
    println!("baler generate: wrote {} events (seed {}) to {} ({} bytes)",
             args.events, args.seed, args.output.display(), file_size(&args.output));
    Ok(())
}

/// clap's errors span several lines: keep the one that says what is wrong, plus where to look.
fn usage_error(error: &clap::Error) -> String {
    let rendered = error.render().to_string();
    let line = rendered
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("invalid arguments")
        .trim_start_matches("error: ")
        .to_string();
    format!("{line} (see `baler --help`)")
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            use clap::error::ErrorKind;
            if matches!(error.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand)
            {
                let _ = error.print();
                return ExitCode::SUCCESS;
            }
            eprintln!("baler: error: {}", usage_error(&error));
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Some(Command::Compress(args)) => compress(args),
        Some(Command::Inspect(args)) => inspect(args),
        Some(Command::Generate(args)) => generate(args),
        Some(Command::Eval(args)) => eval::run(args),
        None => compress_default_sample(DEFAULT_CODEC, &[], &[]),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("baler: error: {}", message.replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}
