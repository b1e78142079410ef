//! `baler compress IN... --out-dir DIR`: a dataset. Each input is compressed by its own
//! `baler compress IN DIR/NAME` child process (this same executable), so every file goes through
//! the single-file path and its safety (written under a temporary name, renamed on success), and
//! a file that crashes ROOT takes only its own process down. The children run N at a time here,
//! or as Dask tasks (the package python/baler_dask) on a cluster; either way this process shows
//! one progress bar and prints one summary table.

use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::json::Json;
use crate::stop_with_parent::stops_with_this_process;
use crate::{emit, eval, file_size, table, warn, CompressArgs, Stop};

/// The exit status of a `baler compress` whose options would fail for any file (a --codec or
/// --policy that does not parse, as clap's usage errors): a dataset run starts no other file.
pub const BAD_OPTIONS_STATUS: u8 = 2;

#[derive(Args)]
pub struct DatasetArgs {
    /// Compress every IN (files; folders: their *.root and *.root.N files; quoted globs) into DIR, each under
    /// its own file name and by its own `baler compress` process
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Files compressed at the same time (with --dask: workers of the local cluster) [default: cores]
    #[arg(long, value_name = "N", requires = "out_dir", value_parser = clap::value_parser!(u32).range(1..), allow_negative_numbers = true)]
    jobs: Option<u32>,
    /// Run each file as a task on the Dask scheduler at ADDRESS (tcp://host:port), or on a local
    /// cluster of --jobs workers when no address is given. The workers must see this
    /// executable, the library next to it and the files at the same paths.
    #[arg(long, value_name = "ADDRESS", num_args = 0..=1, default_missing_value = "", requires = "out_dir")]
    dask: Option<String>,
}

/// One input and where it goes.
struct Task {
    input: PathBuf,
    output: PathBuf,
}

/// How one task ended: the child's exit status (None when it never ran or its status is unknown)
/// and what it wrote to stderr.
struct Outcome {
    status: Option<i32>,
    stderr: String,
}

impl Outcome {
    fn failed(reason: String) -> Outcome {
        Outcome { status: None, stderr: format!("baler: error: {reason}") }
    }

    fn succeeded(&self) -> bool {
        self.status == Some(0)
    }

    /// The child's one-line error, or what is known about why it failed.
    fn error(&self) -> String {
        let said = self.stderr.lines().rev().find_map(|l| l.strip_prefix("baler: error: "));
        let last = self.stderr.lines().rev().map(str::trim).find(|l| !l.is_empty());
        match (said, last, self.status) {
            (Some(error), _, _) => error.to_string(),
            (None, Some(line), _) => line.to_string(),
            (None, None, Some(code)) if code < 0 => format!("killed by signal {}", -code),
            (None, None, Some(code)) => format!("exited with status {code}"),
            (None, None, None) => "did not finish".to_string(),
        }
    }

    fn warnings(&self) -> impl Iterator<Item = &str> {
        self.stderr.lines().filter_map(|l| l.strip_prefix("baler: warning: "))
    }
}

/// A status code that also tells a signal apart: -N for "killed by signal N".
fn status_code(status: ExitStatus) -> Option<i32> {
    status.code().or_else(|| status.signal().map(|s| -s))
}

pub fn run(args: &CompressArgs) -> Result<(), Stop> {
    let dataset = &args.dataset;
    let out_dir = dataset.out_dir.as_deref().ok_or_else(|| "--out-dir is missing".to_string())?;
    if args.json {
        return Err(Stop::BadOptions("--json is for one file; with --out-dir the summary is a table".into()));
    }
    // before the inputs' check: `--dask IN` alone took the only input and said "missing IN"
    if let Some(address) = dataset.dask.as_deref().filter(|a| !a.is_empty() && names_an_input(a)) {
        // `--dask IN...`: clap gives the first input to --dask, whose address is optional
        let what = if Path::new(address).exists() { "a file or folder here" } else { "a glob of inputs" };
        return Err(Stop::BadOptions(format!(
            "--dask {address}: that is {what}, not a scheduler address (tcp://HOST:PORT); \
             give the inputs before --dask, or write --dask=ADDRESS"
        )));
    }
    if args.paths.is_empty() {
        return Err(Stop::BadOptions("missing IN (files, folders or globs to compress into --out-dir)".into()));
    }
    let (inputs, unmatched) = expand_inputs(&args.paths)?;
    let tasks = plan(inputs, out_dir)?;
    if out_dir.exists() && !out_dir.is_dir() {
        return Err(Stop::Error(format!("--out-dir '{}' is a file: give a folder (made if missing)", out_dir.display())));
    }
    if !out_dir.exists() && out_dir.symlink_metadata().is_ok() {
        // create_dir_all said "File exists (os error 17)"
        return Err(Stop::Error(format!("--out-dir '{}' is a symbolic link to nothing: give a folder", out_dir.display())));
    }
    // the folders this run makes, deepest first: --out-dir and those above it that are not there
    let made: Vec<&Path> = out_dir.ancestors().take_while(|folder| !folder.as_os_str().is_empty() && !folder.exists()).collect();
    std::fs::create_dir_all(out_dir)
        .map_err(|e| format!("cannot create the output folder '{}': {e}", out_dir.display()))?;
    let result = compress_into(args, &tasks, &unmatched, out_dir);
    // a run that wrote nothing (no input matched, every file failed, no Dask) leaves none of the
    // folders it made behind; remove_dir removes none that holds a file
    for folder in made {
        if std::fs::remove_dir(folder).is_err() {
            break;
        }
    }
    result
}

/// Whether `--dask`'s value is an input rather than an address: a file or folder here, or a quoted
/// glob (`--dask 'in/*.root'` said "missing IN"), which no scheduler address holds.
fn names_an_input(address: &str) -> bool {
    Path::new(address).exists() || (!address.contains("://") && address.bytes().any(|b| b"*?[".contains(&b)))
}

/// Compresses every task into `out_dir` (which exists) and prints the summary table.
fn compress_into(args: &CompressArgs, tasks: &[Task], unmatched: &[String], out_dir: &Path) -> Result<(), Stop> {
    let dataset = &args.dataset;
    let jobs = dataset.jobs.map(|n| n as usize).unwrap_or_else(|| {
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    });
    let options = child_options(args);
    // the outputs' names are the inputs', which the user did not write: say which files it replaced
    let existed: Vec<bool> = tasks.iter().map(|task| task.output.is_file()).collect();
    let bar = progress_bar(tasks.len());
    let outcomes = match &dataset.dask {
        None => run_processes(tasks, &options, jobs, &bar),
        Some(address) => run_on_dask(tasks, &options, address, jobs, &bar)?,
    };
    bar.finish_and_clear();
    if let Some(bad) = outcomes.iter().find(|o| o.status == Some(i32::from(BAD_OPTIONS_STATUS))) {
        return Err(Stop::BadOptions(bad.error()));
    }
    warn_of_replaced(tasks, &existed, &outcomes, out_dir);
    report(tasks, &outcomes, unmatched, out_dir)
}

/// One warning naming the files of `out_dir` that succeeded tasks replaced (an earlier run's
/// outputs, or another dataset's files of the same names): a dataset's outputs are named after
/// its inputs, so a second dataset into the same folder replaced the first's files unsaid.
fn warn_of_replaced(tasks: &[Task], existed: &[bool], outcomes: &[Outcome], out_dir: &Path) {
    let replaced: Vec<String> = tasks
        .iter()
        .zip(existed)
        .zip(outcomes)
        .filter(|((_, &existed), outcome)| existed && outcome.succeeded())
        .map(|((task, _), _)| task.output.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned()))
        .collect();
    if replaced.is_empty() {
        return;
    }
    let more = if replaced.len() > 3 { format!(" and {} more", replaced.len() - 3) } else { String::new() };
    warn(&format!(
        "replaced {} {} that {} in {}: {}{more}",
        replaced.len(),
        if replaced.len() == 1 { "file" } else { "files" },
        if replaced.len() == 1 { "was" } else { "were" },
        out_dir.display(),
        replaced[..replaced.len().min(3)].join(", ")
    ));
}

/// The single-file options, passed on to every child as given, and the child's coding threads:
/// one unless --threads says otherwise, so that --jobs N keeps N cores busy, not N times 4
/// threads on them (files side by side scale better than the threads of one file). Each as
/// `--name=value`, so that a value starting with `-` stays a value; the child's command line ends
/// with `--` before its input and output ([`child_arguments`]).
fn child_options(args: &CompressArgs) -> Vec<String> {
    let mut options = vec![format!("--threads={}", args.threads.unwrap_or(1))];
    options.extend(args.codec.iter().map(|codec| format!("--codec={codec}")));
    options.extend(args.branches.iter().map(|glob| format!("--branches={glob}")));
    options.extend(args.trees.iter().map(|tree| format!("--tree={tree}")));
    options.extend(args.policy.iter().map(|policy| format!("--policy={policy}")));
    options
}

/// The command line of the child that compresses `task`: its input and output after `--`, so
/// that a file named `-c.root` is a file, not an option.
fn child_arguments(task: &Task, options: &[String]) -> Vec<std::ffi::OsString> {
    let mut arguments: Vec<std::ffi::OsString> = vec!["compress".into()];
    arguments.extend(options.iter().map(Into::into));
    arguments.extend(["--".into(), task.input.clone().into_os_string(), task.output.clone().into_os_string()]);
    arguments
}

/// Files as given; folders: the ROOT files in them by name ([`named_as_root_file`]; not
/// recursive), sorted, with a warning naming what else a folder holds; anything else that holds
/// `*`, `?` or `[` is expanded as the shell would (glob(3)), for globs quoted against a long
/// command line. A path that exists nowhere stays as given: its child reports it. Returns the
/// inputs and the globs that matched no file.
fn expand_inputs(paths: &[PathBuf]) -> Result<(Vec<PathBuf>, Vec<String>), String> {
    let mut inputs = Vec::new();
    let mut unmatched = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|e| format!("cannot list the folder '{}': {e}", path.display()))?;
            let (mut files, mut left_out): (Vec<PathBuf>, Vec<PathBuf>) =
                entries.filter_map(|entry| entry.ok().map(|e| e.path())).partition(|p| names_a_file(p) && named_as_root_file(p));
            if files.is_empty() {
                unmatched.push(format!("{} (a folder without .root files)", path.display()));
            } else if !left_out.is_empty() {
                // a physicist who deletes the folder after an all-ok run must know what was not in it
                left_out.sort();
                let names: Vec<String> = left_out.iter().take(3).map(|p| {
                    let name = p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned());
                    if p.is_dir() { name + "/" } else { name }
                }).collect();
                let more = if left_out.len() > 3 { format!(" and {} more", left_out.len() - 3) } else { String::new() };
                warn(&format!("folder {}: {} of its entries are not inputs (only *.root and *.root.N files are): {}{more}",
                              path.display(), left_out.len(), names.join(", ")));
            }
            files.sort();
            inputs.extend(files);
        } else if !path.exists() && path.as_os_str().as_bytes().iter().any(|b| b"*?[".contains(b)) {
            let matches = glob_files(path)?;
            if matches.is_empty() {
                unmatched.push(path.display().to_string());
            }
            inputs.extend(matches);
        } else {
            inputs.push(path.clone());
        }
    }
    Ok((inputs, unmatched))
}

/// Whether a folder's entry is named as a ROOT file: `*.root` in any case, or `*.root.N` as the
/// grid names the copies it makes (ATLAS's `DAOD_PHYSLITE....pool.root.1`).
fn named_as_root_file(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let without_copy_number = match name.rsplit_once('.') {
        Some((stem, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => stem,
        _ => name.as_str(),
    };
    without_copy_number.ends_with(".root")
}

/// A regular file, or a link that names no folder: a broken link is an input whose child reports
/// it missing, as the shell's own glob would pass it on, rather than a file left out unsaid.
fn names_a_file(path: &Path) -> bool {
    path.is_file() || (path.is_symlink() && !path.is_dir())
}

/// The regular files (and broken links) that the shell pattern `pattern` names, sorted (glob(3)).
fn glob_files(pattern: &Path) -> Result<Vec<PathBuf>, String> {
    let c_pattern = CString::new(pattern.as_os_str().as_bytes()).map_err(|_| "a glob contains a NUL character".to_string())?;
    // SAFETY: glob_t is plain data, zero is its documented initial state; glob fills it and
    // globfree releases it; the paths are copied out before that.
    unsafe {
        let mut found: libc::glob_t = std::mem::zeroed();
        let status = libc::glob(c_pattern.as_ptr(), 0, None, &mut found);
        let mut files = Vec::new();
        if status == 0 {
            for i in 0..found.gl_pathc {
                let path = PathBuf::from(std::ffi::OsStr::from_bytes(CStr::from_ptr(*found.gl_pathv.add(i)).to_bytes()));
                if names_a_file(&path) {
                    files.push(path);
                }
            }
        }
        libc::globfree(&mut found);
        match status {
            0 | libc::GLOB_NOMATCH => Ok(files),
            _ => Err(format!("cannot expand the glob '{}' (glob status {status})", pattern.display())),
        }
    }
}

/// DIR/<input file name> for every input, each input once. Refuses, before anything is written,
/// two inputs with the same file name and an input that would be its own output.
fn plan(inputs: Vec<PathBuf>, out_dir: &Path) -> Result<Vec<Task>, String> {
    let mut seen = std::collections::HashSet::new();
    let mut by_output: HashMap<PathBuf, PathBuf> = HashMap::new();
    let mut tasks = Vec::new();
    for input in inputs {
        let name = input.file_name().ok_or_else(|| format!("input '{}' has no file name", input.display()))?;
        // The same file reached twice under one name (a folder and a glob) is compressed once; under
        // another name (a link) it has an output of that name too.
        if !seen.insert((input.canonicalize().unwrap_or_else(|_| input.clone()), name.to_owned())) {
            continue;
        }
        let output = out_dir.join(name);
        if let Some(other) = by_output.get(&output) {
            return Err(format!(
                "'{}' and '{}' would both be written to '{}': compress them into different folders",
                other.display(),
                input.display(),
                output.display()
            ));
        }
        if let (Ok(a), Ok(b)) = (input.canonicalize(), output.canonicalize()) {
            if a == b {
                return Err(format!("'{}' is in --out-dir: its output would replace it", input.display()));
            }
        }
        by_output.insert(output.clone(), input.clone());
        tasks.push(Task { input, output });
    }
    Ok(tasks)
}

/// One bar over the files, on stderr, only when attached to a terminal (as the single-file bars).
fn progress_bar(files: usize) -> ProgressBar {
    if !(std::io::stdout().is_terminal() && std::io::stderr().is_terminal()) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(files as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} files ({elapsed}, {eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message("compressing");
    bar
}

fn this_executable() -> Result<PathBuf, String> {
    std::env::current_exe().map_err(|e| format!("cannot locate the baler executable: {e}"))
}

/// Each task by a child process, `jobs` at a time.
fn run_processes(tasks: &[Task], options: &[String], jobs: usize, bar: &ProgressBar) -> Vec<Outcome> {
    let executable = match this_executable() {
        Ok(path) => path,
        Err(error) => return tasks.iter().map(|_| Outcome::failed(error.clone())).collect(),
    };
    let next = AtomicUsize::new(0);
    // set by a child whose options would fail for any file: the files not started yet stay so
    let bad_options = AtomicBool::new(false);
    let outcomes: Mutex<Vec<Option<Outcome>>> = Mutex::new(tasks.iter().map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(tasks.len()) {
            scope.spawn(|| loop {
                if bad_options.load(Ordering::Relaxed) {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(task) = tasks.get(i) else { break };
                let mut command = Command::new(&executable);
                // The thread that starts a child waits for it, so the kernel's signal to the
                // child (sent when the thread that forked it ends) comes only when this process ends.
                stops_with_this_process(&mut command);
                let started = std::time::SystemTime::now();
                let outcome = command
                    .args(child_arguments(task, options))
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .output()
                    .map(|out| Outcome { status: status_code(out.status), stderr: String::from_utf8_lossy(&out.stderr).into_owned() })
                    .unwrap_or_else(|e| Outcome::failed(format!("cannot start '{}': {e}", executable.display())));
                if outcome.status.is_some_and(|code| code < 0) {
                    remove_temporaries(&task.output, started);
                }
                if outcome.status == Some(i32::from(BAD_OPTIONS_STATUS)) {
                    bad_options.store(true, Ordering::Relaxed);
                }
                if let Ok(mut outcomes) = outcomes.lock() {
                    outcomes[i] = Some(outcome);
                }
                bar.inc(1);
            });
        }
    });
    let outcomes = outcomes.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    outcomes.into_iter().map(|o| o.unwrap_or_else(|| Outcome::failed("did not run".into()))).collect()
}

/// A child killed by a signal it cannot catch (SIGKILL, the kernel's out-of-memory killer) leaves
/// its temporary output, `.NAME.baler-XXXXXX` beside NAME (OutputFile in
/// root-plugin/src/cli/CommandCommon.cxx): those made since it started are removed.
fn remove_temporaries(output: &Path, since: std::time::SystemTime) {
    let (Some(folder), Some(name)) = (output.parent(), output.file_name()) else { return };
    let folder = if folder.as_os_str().is_empty() { Path::new(".") } else { folder };
    let prefix = [b".", temporary_stem(name.as_bytes()).as_slice(), b".baler-"].concat();
    let Ok(entries) = std::fs::read_dir(folder) else { return };
    for entry in entries.flatten() {
        let temporary = entry.file_name().as_bytes().starts_with(&prefix);
        if temporary && entry.metadata().and_then(|m| m.modified()).is_ok_and(|made| made >= since) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The part of an output's file name that the name of its temporary file holds, as the plugin
/// writes it (`TemporaryStem` in root-plugin/src/cli/CommandCommon.cxx, the one that names the
/// file): up to 64 bytes, cut between UTF-8 characters, with '#' and '?' as '_'.
fn temporary_stem(name: &[u8]) -> Vec<u8> {
    let mut length = name.len().min(64);
    while length > 0 && length < name.len() && name[length] & 0xC0 == 0x80 {
        length -= 1; // not inside a UTF-8 character
    }
    name[..length].iter().map(|&b| if b == b'#' || b == b'?' { b'_' } else { b }).collect()
}

/// The tasks as Dask tasks, by python/baler_dask: the work goes to its stdin as JSON; it answers
/// one line per finished task, `INDEX<TAB>STATUS<TAB>STDERR` (STATUS: the child's exit status, or
/// `-` when the task itself failed; STDERR with `\`, tab and newline escaped as `\\`, `\t`, `\n`).
fn run_on_dask(tasks: &[Task], options: &[String], address: &str, jobs: usize, bar: &ProgressBar) -> Result<Vec<Outcome>, Stop> {
    // The work travels as JSON text: a path that is not UTF-8 would name another file there
    // (the lossy text named 'lat\u{fffd}n.root', "no such file"), so it fails here, as --jobs's child says.
    let started = std::time::SystemTime::now();
    let texts: Vec<Option<(&str, &str)>> =
        tasks.iter().map(|t| Some((t.input.to_str()?, t.output.to_str()?))).collect();
    let sent: Vec<usize> = (0..tasks.len()).filter(|&i| texts[i].is_some()).collect();
    let work = Json::Object(vec![
        ("executable", Json::text(this_executable()?.display().to_string())),
        ("options", Json::texts(options)),
        ("address", if address.is_empty() { Json::Null } else { Json::text(address.to_string()) }),
        ("workers", Json::Int(jobs as i64)),
        ("directory", Json::text(current_directory()?.display().to_string())),
        ("tasks", Json::List(texts.iter().flatten().map(|(input, output)| Json::List(vec![
            Json::text(*input),
            Json::text(*output),
        ])).collect())),
    ]);
    let mut child = stops_with_this_process(&mut eval::python_module("baler_dask"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| eval::python_missing("baler compress --dask", &e))?;
    // Read apart, so that a driver that writes much there never blocks on a full pipe.
    let driver_stderr = child.stderr.take().map(|mut stderr| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
            text
        })
    });
    if let Some(mut stdin) = child.stdin.take() {
        // A driver that stopped at once has said why on stderr; its exit status is reported below.
        let _ = stdin.write_all(work.to_string().as_bytes());
    }
    let mut outcomes: Vec<Option<Outcome>> = tasks.iter().map(|_| None).collect();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let mut fields = line.splitn(3, '\t');
            let (Some(index), Some(status), Some(stderr)) = (fields.next(), fields.next(), fields.next()) else { continue };
            let Some(&task) = index.parse::<usize>().ok().and_then(|i| sent.get(i)) else { continue };
            let outcome = Outcome { status: status.parse().ok(), stderr: unescape(stderr) };
            // the workers see these paths too (they must): a child killed there left its temporary
            if outcome.status.is_some_and(|code| code < 0) {
                remove_temporaries(&tasks[task].output, started);
            }
            outcomes[task] = Some(outcome);
            bar.inc(1);
        }
    }
    let driver = child.wait().map_err(|e| format!("lost the Dask driver: {e}"))?;
    let said = driver_stderr.and_then(|reader| reader.join().ok()).unwrap_or_default();
    if !driver.success() && outcomes.iter().all(Option::is_none) {
        // No cluster (a bad address, no scheduler there): no file could have run, one line says why.
        let why = said.lines().rev().find_map(|l| l.strip_prefix("baler: error: ")).map(str::to_string);
        return Err(Stop::BadOptions(why.unwrap_or_else(|| format!("the Dask driver (python/baler_dask) stopped with {driver}: {}", said.trim()))));
    }
    eprint!("{said}");
    let missing = format!("not run: the Dask driver (python/baler_dask) stopped with {driver}");
    Ok(tasks
        .iter()
        .zip(outcomes)
        .enumerate()
        .map(|(i, (task, outcome))| match outcome {
            None if texts[i].is_none() => Outcome::failed(format!(
                "path {} is not valid UTF-8, which --dask cannot send to its workers: rename it, or use --jobs",
                task.input.display()
            )),
            Some(outcome) if outcome.succeeded() && !task.output.is_file() => Outcome::failed(format!(
                "the Dask task succeeded, but its output {} is not here: do the workers see this machine's files?",
                task.output.display()
            )),
            Some(outcome) => outcome,
            None => Outcome::failed(missing.clone()),
        })
        .collect())
}

fn current_directory() -> Result<PathBuf, String> {
    std::env::current_dir().map_err(|e| format!("cannot tell the current folder: {e}"))
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// The children's warnings, then one row per file: bytes before and after, ratio, status; the
/// totals. Err (exit status 1) when any file failed or a glob matched nothing.
fn report(tasks: &[Task], outcomes: &[Outcome], unmatched: &[String], out_dir: &Path) -> Result<(), Stop> {
    for (task, outcome) in tasks.iter().zip(outcomes) {
        for warning in outcome.warnings() {
            warn(&format!("{}: {warning}", task.input.display()));
        }
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    let (mut before, mut after, mut failed) = (0i64, 0i64, 0usize);
    for (task, outcome) in tasks.iter().zip(outcomes) {
        let size = file_size(&task.input) as i64;
        if outcome.succeeded() {
            let compressed = file_size(&task.output) as i64;
            (before, after) = (before + size, after + compressed);
            rows.push(vec![task.input.display().to_string(), size.to_string(), compressed.to_string(),
                           table::ratio(size, compressed), "ok".to_string()]);
        } else {
            failed += 1;
            // an input that is not there has no size: "-", not 0
            let size = if task.input.is_file() { size.to_string() } else { "-".to_string() };
            rows.push(vec![task.input.display().to_string(), size, "-".to_string(), "-".to_string(),
                           format!("FAILED: {}", outcome.error())]);
        }
    }
    for pattern in unmatched {
        failed += 1;
        rows.push(vec![pattern.clone(), "-".to_string(), "-".to_string(), "-".to_string(), "FAILED: no file matches".to_string()]);
    }
    let inputs = rows.len();
    rows.push(vec![format!("total ({} of {inputs} compressed)", inputs - failed), before.to_string(), after.to_string(),
                   table::ratio(before, after), String::new()]);
    let header = ["file", "bytes before", "bytes after", "ratio", "status"];
    let noun = if inputs == 1 { "input" } else { "inputs" };
    let shown = emit(&format!("baler compress: {inputs} {noun} into {}\n{}", out_dir.display(),
                              table::render(&header, &rows, &[false, true, true, true, false])));
    // failures are an error even where no one reads the table (stdout closed: `| head`)
    if failed > 0 {
        return Err(Stop::Error(format!("{failed} of {inputs} inputs failed (see the table)")));
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder's ROOT files are `*.root` in any case and the grid's copies `*.root.N`; a name that
    /// only holds `.root` elsewhere, or ends in another number, is not one.
    #[test]
    fn folder_entries_named_as_root_files() {
        for name in ["a.root", "run3.ROOT", "DAOD_PHYSLITE.37621409._000002.pool.root.1", "x.root.12"] {
            assert!(named_as_root_file(Path::new(name)), "{name}");
        }
        for name in ["a.root.bak", "a.rootx", "notes.txt", "a.root.", "a.tar.1", "root"] {
            assert!(!named_as_root_file(Path::new(name)), "{name}");
        }
    }

    #[test]
    fn unescape_reverses_the_drivers_escaping() {
        assert_eq!(unescape(r"a\tb\nc\\d"), "a\tb\nc\\d");
        assert_eq!(unescape(r"end\"), "end\\");
    }

    #[test]
    fn error_is_the_childs_error_line() {
        let outcome = Outcome { status: Some(1), stderr: "noise\nbaler: error: bad basket\n".into() };
        assert_eq!(outcome.error(), "bad basket");
        let killed = Outcome { status: Some(-11), stderr: String::new() };
        assert_eq!(killed.error(), "killed by signal 11");
    }

    #[test]
    fn plan_refuses_two_inputs_with_one_name() {
        let error = plan(vec!["a/x.root".into(), "b/x.root".into()], Path::new("out")).err().unwrap_or_default();
        assert!(error.contains("would both be written to 'out/x.root'"), "{error}");
    }

    #[test]
    fn plan_gives_a_link_of_another_name_its_own_output_and_one_name_reached_twice_one() {
        let folder = std::env::temp_dir().join(format!("baler-plan-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("a.root"), b"root").unwrap();
        let link = folder.join("b.root");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink("a.root", &link).unwrap();
        let inputs = vec![folder.join("a.root"), link, folder.join(".").join("a.root")];
        let outputs: Vec<PathBuf> = plan(inputs, Path::new("out")).unwrap().into_iter().map(|t| t.output).collect();
        std::fs::remove_dir_all(&folder).unwrap();
        assert_eq!(outputs, [PathBuf::from("out/a.root"), PathBuf::from("out/b.root")]);
    }
}
