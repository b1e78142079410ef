//! `baler`: compress, inspect and generate ROOT files with Baler's error-bounded float coding.
//!
//! Argument parsing, tables and progress bars live here; every ROOT operation is done by
//! libBalerROOTTools next to the plugin (see `plugin.rs` and root-plugin/include/Baler/CommandApi.h),
//! loaded at run time.

mod dataset;
mod eval;
mod json;
mod plugin;
mod stop_with_parent;
mod table;
mod train;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::builder::NonEmptyStringValueParser;
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use json::Json;
use plugin::{Plugin, Selection, Threads};

/// Events in the embedded default sample: about 10^6 float values.
const DEFAULT_EVENTS: i64 = 10_000;
const DEFAULT_SEED: u64 = 42;
const DEFAULT_CODEC: &str = "bits:10";

#[derive(Parser)]
#[command(
    name = "baler",
    version,
    propagate_version = true,
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

// The commands whose arguments carry a long description (`--help`) name their one line with
// `about`: a doc comment here would also set the long one, and `--help` would show only its line.
#[derive(Subcommand)]
enum Command {
    #[command(about = "Rewrite every TTree of a ROOT file with Baler; all other objects are copied")]
    Compress(CompressArgs),
    #[command(about = "Rewrite a Baler file as a standard ROOT file that any ROOT or uproot reads without the plugin")]
    Export(ExportArgs),
    #[command(about = "Per-branch codec, compressed and uncompressed bytes and ratio of a ROOT file")]
    Inspect(InspectArgs),
    #[command(about = "Write a synthetic sample, physics-like or detector-like (deterministic for a seed)")]
    Generate(GenerateArgs),
    /// Compare an original and a compressed file: errors, bytes, physics, plots in report.html (see `baler eval --help`)
    Eval(eval::EvalArgs),
    /// Train a model for the ae: codec, an autoencoder or a collection's object model (runs baler-train; see `baler train --help`)
    Train(train::TrainArgs),
}

#[derive(Args)]
#[command(long_about = "Rewrite every TTree of IN.root into OUT.root with Baler. The codec applies to the float \
                        and double branches that match the --branches globs (all by default), --policy rules \
                        (first match wins) before it; every other branch keeps its baskets as stored. A glob \
                        or rule that selects no float branch is reported as a warning; where the --branches \
                        globs together select no float or double branch (and there is no --policy), the run \
                        fails, as a --tree naming no tree does. Histograms, directories and other \
                        objects are copied. Prints a table per branch: bytes before, after, ratio and codec, and totals.\n\n\
                        With no arguments, generates the default sample into a temporary folder, compresses \
                        it and says where the files are.\n\n\
                        With --out-dir DIR: a dataset. Every IN (files, folders, globs) is compressed into \
                        DIR/<its file name> by its own `baler compress IN OUT` process, --jobs at a time or as \
                        Dask tasks (--dask); one progress bar, then a summary table, a row per file. A file that fails is \
                        reported and the others go on; the exit status says whether any failed.")]
struct CompressArgs {
    /// IN.root OUT.root: the output is replaced only when the run succeeds (written under a
    /// temporary name first). With --out-dir: the inputs, files, folders or globs
    #[arg(value_name = "IN.root OUT.root | IN...")]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    dataset: dataset::DatasetArgs,
    /// Codec for the selected float/double branches: lossless | bits:N | rel:E | abs:E | ae:BOUND:MODEL
    /// [default: bits:10, none with --policy and no --branches]
    #[arg(long, value_name = "SPEC", value_parser = NonEmptyStringValueParser::new())]
    codec: Option<String>,
    /// Shell glob on branch names selecting the branches that get --codec (repeatable; default all)
    #[arg(long = "branches", value_name = "GLOB", value_parser = NonEmptyStringValueParser::new())]
    branches: Vec<String>,
    /// Rewrite only this tree (name or dir/name; repeatable); other trees keep their baskets as
    /// stored (every tree's highest cycle only, written as cycle 1, as hadd does)
    #[arg(long = "tree", value_name = "NAME", value_parser = NonEmptyStringValueParser::new())]
    trees: Vec<String>,
    /// Per-branch codecs, BALER_POLICY grammar: TREE/BRANCHGLOB=SPEC,... (first match wins, before --codec)
    #[arg(long, value_name = "RULES", value_parser = NonEmptyStringValueParser::new())]
    policy: Option<String>,
    /// Threads that code baskets [default: one per core, at most 4; with --out-dir: 1 per file,
    /// since --jobs files run at a time]. The output is the same for any number
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), allow_negative_numbers = true)]
    threads: Option<u32>,
    /// Print the table as JSON
    #[arg(long)]
    json: bool,
}

impl CompressArgs {
    /// The codec applies to the branches --branches selects; with only --policy, to none.
    fn selection(&self) -> Selection {
        let codec_wanted = self.policy.is_none() || !self.branches.is_empty();
        Selection {
            codec: self.codec.clone().or_else(|| codec_wanted.then(|| DEFAULT_CODEC.to_string())),
            globs: self.branches.clone(),
            trees: self.trees.clone(),
            policy: self.policy.clone(),
        }
    }
}

#[derive(Args)]
#[command(long_about = "Rewrite every TTree of IN.root into OUT.root as a standard ROOT file, for sharing: every \
                        basket that holds a Baler block is decoded (the values as any reader of IN.root gets \
                        them) and stored with ROOT's compression --setting; every other basket and object is \
                        copied as stored. OUT.root holds no Baler model or marker: any ROOT or uproot reads it \
                        without libBalerROOT or baler_root. Prints a table per branch, as `baler compress`.")]
struct ExportArgs {
    /// The Baler file (any ROOT file: baskets that hold no Baler block are copied as they are)
    #[arg(value_name = "IN.root")]
    input: PathBuf,
    /// Output ROOT file, replaced only when the run succeeds (written under a temporary name first)
    #[arg(value_name = "OUT.root")]
    output: PathBuf,
    /// ROOT compression setting for the decoded baskets: algorithm * 100 + level (101 ZLIB-1,
    /// 207 LZMA-7, 404 LZ4-4, 505 ZSTD-5; 0: uncompressed)
    #[arg(long, value_name = "N", default_value_t = 505, value_parser = clap::value_parser!(i32).range(0..))]
    setting: i32,
    /// Threads that decode and zip baskets [default: one per core, at most 4]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), allow_negative_numbers = true)]
    threads: Option<u32>,
    /// Print the table as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
#[command(long_about = "Per-branch codec, compressed and uncompressed bytes and ratio of a ROOT file, read from \
                        the stored baskets themselves, whoever wrote them. The codec column: `baler SPEC` for \
                        Baler blocks (`bits:10`, `ae:BOUND:<model id>`, several joined by ` | ` where baskets \
                        differ, `lossless` for exact values such as integers), `baler SPEC | zstd` where ROOT's \
                        own baskets sit beside Baler blocks (the plugin is needed to read it), `zstd 5, from \
                        baler SPEC` for a `baler export` of a Baler branch, ROOT's algorithm and level for \
                        other branches, and `damaged ...` for a basket or block whose header no reader can \
                        decode (inspect reads headers only: a damaged payload shows when the values are \
                        read, e.g. by `baler export`).")]
struct InspectArgs {
    /// ROOT file to inspect
    #[arg(value_name = "FILE.root")]
    file: PathBuf,
    /// Print the table as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
#[command(long_about = "Write a synthetic sample, stored with ZSTD-505 as a plain ROOT file. The same seed \
                        gives the same values.\n\n\
                        --sample physics (the default): tree `Events` with jets and muons (nJet, \
                        Jet_pt[nJet]/F, ...; nMuon, Muon_pt[nMuon]/F, ...), electrons as std::vector<float>, \
                        event scalars (run, event, MET_pt, genWeight/D, ...) and an 8x8 calorimeter cell array \
                        Calo_E[64]/F with correlated neighbouring cells; plus a histogram in directory `meta`.\n\n\
                        --sample detector: tree `Events` with an electromagnetic shower per entry, \
                        CaloShower_E[256]/F (16 layers x 16 lateral strips, GeV, cell noise sigma 0.02 GeV), \
                        and a digitised pulse, Pulse_adc[32]/F (CR-RC^4 shaping, 25 ns samples, pedestal, \
                        noise sigma 2 ADC counts), with their true energy, amplitude, time and pedestal; \
                        the noise sigmas are also in directory `meta`. docs/generated-data.md describes both.")]
struct GenerateArgs {
    /// Output ROOT file, replaced only when the run succeeds
    #[arg(value_name = "OUT.root")]
    output: PathBuf,
    /// Number of events (the default gives about 10^6 float values for the physics sample)
    #[arg(long, value_name = "N", default_value_t = DEFAULT_EVENTS, allow_negative_numbers = true)]
    events: i64,
    /// Random seed
    #[arg(long, value_name = "S", default_value_t = DEFAULT_SEED, allow_negative_numbers = true)]
    seed: u64,
    /// Which sample: physics objects, or detector-like vector data (showers, pulses)
    #[arg(long, value_enum, default_value = "physics")]
    sample: Sample,
}

#[derive(Clone, Copy, ValueEnum)]
enum Sample {
    Physics,
    Detector,
}

impl Sample {
    /// The name CommandApi.h's baler_generate_sample takes.
    fn name(self) -> &'static str {
        match self {
            Sample::Physics => "physics",
            Sample::Detector => "detector",
        }
    }
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

/// Runs `work` with a progress bar on stderr (when attached to a terminal), cleared when it ends.
fn with_progress<T>(work: impl FnOnce(plugin::Progress) -> T) -> T {
    let mut bars = Bars::new();
    let result = {
        let mut progress = |what: &str, done: i64, total: i64| bars.update(what, done, total);
        work(&mut progress)
    };
    bars.finish();
    result
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Why a command stopped early.
enum Stop {
    /// An error, reported as one line on stderr.
    Error(String),
    /// Options that would fail for any input (as a usage error): one line on stderr, exit status 2,
    /// which tells a dataset run (dataset.rs) to start no other file.
    BadOptions(String),
    /// Whoever reads our stdout went away (`baler inspect f.root | head -1`): nothing to report.
    StdoutClosed,
}

impl From<String> for Stop {
    fn from(message: String) -> Stop {
        Stop::Error(message)
    }
}

impl From<plugin::CompressFailure> for Stop {
    fn from(failure: plugin::CompressFailure) -> Stop {
        if failure.bad_options {
            Stop::BadOptions(failure.message)
        } else {
            Stop::Error(failure.message)
        }
    }
}

/// Writes to stdout. ROOT ignores SIGPIPE in this process, so a closed pipe shows up as an
/// error here (where `println!` would panic).
fn emit(text: &str) -> Result<(), Stop> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Stop::StdoutClosed),
        Err(e) => Err(Stop::Error(format!("cannot write to standard output: {e}"))),
    }
}

fn warn(message: &str) {
    eprintln!("baler: warning: {message}");
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

fn compress(args: CompressArgs) -> Result<(), Stop> {
    if args.dataset.out_dir.is_some() {
        return dataset::run(&args);
    }
    let selection = args.selection();
    let (input, output) = match <[PathBuf; 2]>::try_from(args.paths) {
        Ok([input, output]) => (input, output),
        Err(paths) if paths.is_empty() => return compress_default_sample(&selection, &Threads(args.threads), args.json),
        Err(paths) if paths.len() == 1 => {
            return Err(Stop::BadOptions("missing OUT.root (give IN.root OUT.root, or neither to compress a generated sample)".into()))
        }
        Err(_) => return Err(Stop::BadOptions("too many files: give IN.root OUT.root, or IN... --out-dir DIR for many".into())),
    };
    require_input(&input)?;
    let plugin = Plugin::load()?;
    compress_and_report(&plugin, &input, &output, &selection, &Threads(args.threads), args.json)
}

fn compress_and_report(plugin: &Plugin, input: &Path, output: &Path, selection: &Selection, threads: &Threads, json: bool) -> Result<(), Stop> {
    let result = with_progress(|progress| plugin.compress(input, output, selection, threads, Some(progress)));
    let compressed = result?;
    for warning in &compressed.warnings {
        warn(warning);
    }
    let rows = &compressed.rows;
    let (before, after) = (file_size(input), file_size(output));
    if json {
        let (branches, total) = table::compress_json(rows);
        let report = Json::Object(vec![
            ("input", Json::text(input.display().to_string())),
            ("output", Json::text(output.display().to_string())),
            ("codec", Json::optional_text(selection.codec.as_deref())),
            ("branch_globs", Json::texts(&selection.globs)),
            ("trees", Json::texts(&selection.trees)),
            ("policy", Json::optional_text(selection.policy.as_deref())),
            ("branches", branches),
            ("total", total),
            ("file_size", file_size_json(before, after)),
            ("warnings", Json::texts(&compressed.warnings)),
        ]);
        return emit(&format!("{report}\n"));
    }
    let mut what = Vec::new();
    if let Some(policy) = &selection.policy {
        what.push(format!("policy {policy}"));
    }
    if let Some(codec) = &selection.codec {
        let globs = if selection.globs.is_empty() { String::new() } else { format!(" matching {}", selection.globs.join(" ")) };
        what.push(format!("codec {codec} on float branches{globs}"));
    }
    what.push("other baskets copied as stored".to_string());
    emit(&format!(
        "baler compress: {} -> {} ({})\n{}{}",
        input.display(),
        output.display(),
        what.join(", "),
        table::compress_table(rows),
        file_size_line(before, after)
    ))
}

fn file_size_json(before: u64, after: u64) -> Json {
    Json::Object(vec![
        ("before", Json::Int(before as i64)),
        ("after", Json::Int(after as i64)),
        ("ratio", table::json_ratio(before as i64, after as i64)),
    ])
}

fn file_size_line(before: u64, after: u64) -> String {
    format!("file size: {before} -> {after} bytes (ratio {})\n", table::ratio(before as i64, after as i64))
}

fn export(args: ExportArgs) -> Result<(), Stop> {
    require_input(&args.input)?;
    let plugin = Plugin::load()?;
    let result = with_progress(|progress| plugin.export(&args.input, &args.output, args.setting, &Threads(args.threads), Some(progress)));
    let exported = result?;
    for warning in &exported.warnings {
        warn(warning);
    }
    let rows = &exported.rows;
    let (before, after) = (file_size(&args.input), file_size(&args.output));
    if args.json {
        let (branches, total) = table::compress_json(rows);
        let report = Json::Object(vec![
            ("input", Json::text(args.input.display().to_string())),
            ("output", Json::text(args.output.display().to_string())),
            ("setting", Json::Int(args.setting as i64)),
            ("branches", branches),
            ("total", total),
            ("file_size", file_size_json(before, after)),
            ("warnings", Json::texts(&exported.warnings)),
        ]);
        return emit(&format!("{report}\n"));
    }
    emit(&format!(
        "baler export: {} -> {} (Baler blocks decoded, stored with ROOT setting {}; no plugin needed to read it)\n{}{}",
        args.input.display(),
        args.output.display(),
        args.setting,
        table::compress_table(rows),
        file_size_line(before, after)
    ))
}

fn compress_default_sample(selection: &Selection, threads: &Threads, json: bool) -> Result<(), Stop> {
    let dir = tempfile::Builder::new()
        .prefix("baler-sample-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary folder: {e}"))?
        .keep();
    let input = dir.join("sample.root");
    let output = dir.join("sample.baler.root");
    let plugin = Plugin::load()?;
    // With --json, stdout is the JSON document alone: say where the files go on stderr.
    let note = |text: String| if json { eprintln!("{text}"); Ok(()) } else { emit(&format!("{text}\n")) };
    note(format!("baler: generating the default sample ({DEFAULT_EVENTS} events, seed {DEFAULT_SEED}) into {}", dir.display()))?;
    generate_with_progress(&plugin, &input, Sample::Physics, DEFAULT_EVENTS, DEFAULT_SEED)?;
    compress_and_report(&plugin, &input, &output, selection, threads, json)?;
    note(format!("files are in {}: sample.root (input, ZSTD-505), sample.baler.root (Baler)", dir.display()))
}

fn generate_with_progress(plugin: &Plugin, output: &Path, sample: Sample, events: i64, seed: u64) -> Result<(), String> {
    with_progress(|progress| plugin.generate(output, sample.name(), events, seed, Some(progress)))
}

fn inspect(args: InspectArgs) -> Result<(), Stop> {
    require_input(&args.file)?;
    let plugin = Plugin::load()?;
    let rows = plugin.inspect(&args.file)?;
    let size = file_size(&args.file);
    if args.json {
        let (branches, total) = table::inspect_json(&rows);
        let report = Json::Object(vec![
            ("file", Json::text(args.file.display().to_string())),
            ("size", Json::Int(size as i64)),
            ("branches", branches),
            ("total", total),
        ]);
        return emit(&format!("{report}\n"));
    }
    let body = if rows.is_empty() { "no TTree in this file\n".to_string() } else { table::inspect_table(&rows) };
    emit(&format!("baler inspect: {} ({size} bytes)\n{body}", args.file.display()))
}

fn generate(args: GenerateArgs) -> Result<(), Stop> {
    if args.events < 0 {
        return Err(Stop::BadOptions(format!("--events must not be negative (got {})", args.events)));
    }
    let plugin = Plugin::load()?;
    generate_with_progress(&plugin, &args.output, args.sample, args.events, args.seed)?;
    emit(&format!(
        "baler generate: wrote {} events of the {} sample (seed {}) to {} ({} bytes)\n",
        args.events,
        args.sample.name(),
        args.seed,
        args.output.display(),
        file_size(&args.output)
    ))
}

/// clap's error as one line, pointing to the help of the command that was given (`baler generate
/// --help`), else to the overview.
fn usage_error(error: &clap::Error) -> String {
    let command = std::env::args().nth(1).filter(|c| Cli::command().find_subcommand(c).is_some());
    let help = match command {
        Some(command) => format!("(see `baler {command} --help`)"),
        None => "(see `baler --help`)".to_string(),
    };
    baler_args::one_line(error, &help)
}

/// BALER_POLICY would make the plugin override the codecs that `baler` chooses (and write the
/// generated sample with Baler): the command line takes its rules from --policy instead. Removed
/// before the plugin loads; returns whether it was set.
fn take_environment_policy() -> bool {
    let set = std::env::var_os("BALER_POLICY").is_some_and(|p| !p.is_empty());
    std::env::remove_var("BALER_POLICY");
    set
}

fn main() -> ExitCode {
    if !stop_with_parent::stop_with_parent() {
        return ExitCode::from(128 + libc::SIGTERM as u8); // as if the parent's SIGTERM had come
    }
    // Past a file size limit (`ulimit -f`) the kernel's SIGXFSZ ended the process at once, leaving
    // its temporary output and no word of why: ignored, the write fails (EFBIG) as on a full disk,
    // and the command says so and removes what it wrote.
    // SAFETY: setting a signal's disposition to SIG_IGN touches no memory of ours.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
    let mut words = std::env::args_os().skip(1);
    if words.next().is_some_and(|w| w == "help") && words.next().is_some_and(|w| w == "train") {
        return report(train::help().map_err(Stop::Error));
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            if baler_args::is_display(&error) {
                let _ = error.print();
                return ExitCode::SUCCESS;
            }
            eprintln!("baler: error: {}", usage_error(&error));
            return ExitCode::from(2);
        }
    };
    if take_environment_policy() && matches!(cli.command, None | Some(Command::Compress(_))) {
        warn("BALER_POLICY is not applied by `baler compress`: pass the rules with --policy");
    }
    let result = match cli.command {
        Some(Command::Compress(args)) => compress(args),
        Some(Command::Export(args)) => export(args),
        Some(Command::Inspect(args)) => inspect(args),
        Some(Command::Generate(args)) => generate(args),
        Some(Command::Eval(args)) => eval::run(args).map_err(Stop::Error),
        Some(Command::Train(args)) => train::run(args).map_err(Stop::Error),
        None => compress_default_sample(
            &Selection { codec: Some(DEFAULT_CODEC.to_string()), globs: Vec::new(), trees: Vec::new(), policy: None },
            &Threads(None),
            false,
        ),
    };
    report(result)
}

/// The exit status of a command's result, its error printed as one line.
fn report(result: Result<(), Stop>) -> ExitCode {
    match result {
        Ok(()) | Err(Stop::StdoutClosed) => ExitCode::SUCCESS,
        Err(Stop::Error(message)) => {
            eprintln!("baler: error: {}", message.replace('\n', " "));
            ExitCode::FAILURE
        }
        Err(Stop::BadOptions(message)) => {
            eprintln!("baler: error: {}", message.replace('\n', " "));
            ExitCode::from(dataset::BAD_OPTIONS_STATUS)
        }
    }
}
