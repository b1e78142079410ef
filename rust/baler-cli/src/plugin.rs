//! libBalerROOTTools, loaded at run time: the ROOT I/O behind the commands lives there (next to
//! the plugin libBalerROOT, which it loads), behind the small C ABI of
//! `root-plugin/include/Baler/CommandApi.h`. This module mirrors that header.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::path::{Path, PathBuf};

use libloading::os::unix::{Library, RTLD_GLOBAL, RTLD_NOW};

/// BALER_COMMAND_API_VERSION of the header this crate was written against.
const API_VERSION: c_int = 7;
const LIBRARY: &str = "libBalerROOTTools.so";
const ERROR_SIZE: usize = 2048;

/// `BalerBranchRow` of CommandApi.h.
#[repr(C)]
struct RawRow {
    tree: *const c_char,
    branch: *const c_char,
    type_name: *const c_char,
    entries: i64,
    bytes_before: i64,
    bytes: i64,
    total_bytes: i64,
    compression: c_int,
    codec: *const c_char,
    codec_before: *const c_char,
}

/// `BalerCompressOptions` of CommandApi.h.
#[repr(C)]
struct RawCompressOptions {
    codec_spec: *const c_char,
    globs: *const *const c_char,
    n_globs: c_int,
    trees: *const *const c_char,
    n_trees: c_int,
    policy: *const c_char,
    threads: c_int,
}

type RowCallback = extern "C" fn(*const RawRow, *mut c_void);
type ProgressCallback = extern "C" fn(*const c_char, i64, i64, *mut c_void);
type WarningCallback = extern "C" fn(*const c_char, *mut c_void);

type VersionFn = unsafe extern "C" fn() -> c_int;
type CompressFn = unsafe extern "C" fn(
    *const c_char,
    *const c_char,
    *const RawCompressOptions,
    Option<RowCallback>,
    Option<ProgressCallback>,
    Option<WarningCallback>,
    *mut c_void,
    *mut c_char,
    usize,
) -> c_int;
type ExportFn = unsafe extern "C" fn(
    *const c_char,
    *const c_char,
    c_int,
    c_int,
    Option<RowCallback>,
    Option<ProgressCallback>,
    Option<WarningCallback>,
    *mut c_void,
    *mut c_char,
    usize,
) -> c_int;
type InspectFn = unsafe extern "C" fn(*const c_char, Option<RowCallback>, *mut c_void, *mut c_char, usize) -> c_int;
type GenerateFn = unsafe extern "C" fn(
    *const c_char,
    *const c_char,
    i64,
    u64,
    Option<ProgressCallback>,
    *mut c_void,
    *mut c_char,
    usize,
) -> c_int;

/// One branch row, as the plugin reported it.
#[derive(Debug, Clone)]
pub struct Row {
    pub tree: String,
    pub branch: String,
    pub type_name: String,
    pub entries: i64,
    pub bytes_before: i64,
    pub bytes: i64,
    pub total_bytes: i64,
    #[allow(dead_code)]
    pub compression: i32,
    pub codec: String,
    pub codec_before: String,
}

/// What `compress` stores how; see `BalerCompressOptions` in CommandApi.h.
pub struct Selection {
    /// Codec for the float branches that `globs` select; None: only `policy` selects.
    pub codec: Option<String>,
    pub globs: Vec<String>,
    pub trees: Vec<String>,
    /// BALER_POLICY grammar, first match wins, before `codec`.
    pub policy: Option<String>,
}

/// How `compress` runs: threads that code baskets, the calling one included (None: one per core,
/// at most 4). The output does not depend on it.
pub struct Threads(pub Option<u32>);

impl Threads {
    /// As CommandApi.h takes it: 0 for one per core.
    fn as_c(&self) -> c_int {
        self.0.map_or(0, |n| n.min(c_int::MAX as u32) as c_int)
    }
}

/// What `compress` and `export` report: one row per branch, and the warnings (selections that
/// matched nothing, models, trees whose lower cycles are left out).
pub struct Rewritten {
    pub rows: Vec<Row>,
    pub warnings: Vec<String>,
}

/// Progress of long work: (what, done, total).
pub type Progress<'a> = &'a mut dyn FnMut(&str, i64, i64);

/// The loaded plugin. The library stays loaded for the life of the process (ROOT is not made to
/// be unloaded).
pub struct Plugin {
    compress: CompressFn,
    export: ExportFn,
    inspect: InspectFn,
    generate: GenerateFn,
}

struct Context<'a> {
    rows: Vec<Row>,
    warnings: Vec<String>,
    progress: Option<Progress<'a>>,
}

impl<'a> Context<'a> {
    fn new(progress: Option<Progress<'a>>) -> Context<'a> {
        Context { rows: Vec::new(), warnings: Vec::new(), progress }
    }
}

fn text(ptr: *const c_char) -> String {
    if ptr.is_null() {
        String::new()
    } else {
        // SAFETY: the plugin passes NUL-terminated strings valid during the callback.
        unsafe { CStr::from_ptr(ptr) }.to_string_lossy().into_owned()
    }
}

extern "C" fn on_row(row: *const RawRow, user: *mut c_void) {
    if row.is_null() || user.is_null() {
        return;
    }
    // SAFETY: `user` is the &mut Context passed to the call that is running; `row` is valid now.
    let (row, context) = unsafe { (&*row, &mut *(user as *mut Context)) };
    context.rows.push(Row {
        tree: text(row.tree),
        branch: text(row.branch),
        type_name: text(row.type_name),
        entries: row.entries,
        bytes_before: row.bytes_before,
        bytes: row.bytes,
        total_bytes: row.total_bytes,
        compression: row.compression,
        codec: text(row.codec),
        codec_before: text(row.codec_before),
    });
}

extern "C" fn on_progress(what: *const c_char, done: i64, total: i64, user: *mut c_void) {
    if user.is_null() {
        return;
    }
    // SAFETY: as in on_row.
    let context = unsafe { &mut *(user as *mut Context) };
    if let Some(progress) = context.progress.as_mut() {
        let what = text(what);
        // A panic must not unwind into C++.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| progress(&what, done, total)));
    }
}

extern "C" fn on_warning(message: *const c_char, user: *mut c_void) {
    if user.is_null() {
        return;
    }
    // SAFETY: as in on_row.
    let context = unsafe { &mut *(user as *mut Context) };
    context.warnings.push(text(message));
}

fn c_string(value: &str, what: &str) -> Result<CString, String> {
    CString::new(value).map_err(|_| format!("{what} contains a NUL character"))
}

fn c_path(path: &Path) -> Result<CString, String> {
    let text = path.to_str().ok_or_else(|| format!("path '{}' is not valid UTF-8", path.display()))?;
    c_string(text, "a path")
}

/// The status of a call whose options would fail for any file (BALER_BAD_OPTIONS in CommandApi.h).
const BAD_OPTIONS: c_int = 2;

/// Why a compress or export call failed: its one line, and whether the options themselves are
/// wrong (a --codec or --policy that does not parse, a --setting that is not ROOT's), so that no
/// other file would fare better.
pub struct CompressFailure {
    pub message: String,
    pub bad_options: bool,
}

impl From<String> for CompressFailure {
    fn from(message: String) -> CompressFailure {
        CompressFailure { message, bad_options: false }
    }
}

fn result(status: c_int, error: &[u8]) -> Result<(), String> {
    if status == 0 {
        return Ok(());
    }
    let end = error.iter().position(|&b| b == 0).unwrap_or(error.len());
    let message = String::from_utf8_lossy(&error[..end]).trim().to_string();
    Err(if message.is_empty() { format!("{LIBRARY} failed (status {status})") } else { message })
}

/// Where to look for the library, in order: $BALER_LIB, next to the binary (`../lib/`, as in a
/// build folder or an install prefix), then the normal library search path.
fn candidates() -> Vec<PathBuf> {
    let mut paths = Vec::new();
    if let Some(explicit) = std::env::var_os("BALER_LIB") {
        paths.push(PathBuf::from(explicit));
    }
    if let Ok(exe) = std::env::current_exe() {
        for exe in [exe.clone(), exe.canonicalize().unwrap_or(exe)] {
            if let Some(dir) = exe.parent() {
                let path = dir.join("..").join("lib").join(LIBRARY);
                if path.exists() && !paths.contains(&path) {
                    paths.push(path);
                }
            }
        }
    }
    paths.push(PathBuf::from(LIBRARY));
    paths
}

/// libloading's message is only "dlopen failed"; the loader's own reason (which file, why) is the
/// error's source.
fn with_cause(error: &libloading::Error) -> String {
    match std::error::Error::source(error) {
        Some(cause) => format!("{error}: {cause}"),
        None => error.to_string(),
    }
}

/// The rewriting commands free and allocate the same large buffers window after window (decoded
/// baskets of up to megabytes, ROOT's and the codec's). glibc returns freed chunks above its mmap
/// and trim thresholds to the kernel, which zeroes fresh pages on their next use: 8% of the
/// samples of a `baler compress` (`clear_page_erms`), 1.7% with these thresholds. This process is
/// ours, so it keeps up to 256 MiB of freed memory for reuse; the peak stays the same.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_freed_buffers_for_reuse() {
    // SAFETY: mallopt changes allocator thresholds only; a refusal (0) leaves glibc's defaults.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_freed_buffers_for_reuse() {}

impl Plugin {
    pub fn load() -> Result<Plugin, String> {
        keep_freed_buffers_for_reuse();
        let mut failures = Vec::new();
        for path in candidates() {
            // RTLD_GLOBAL: ROOT's interpreter and plugin manager look symbols up process-wide.
            // SAFETY: loading the library runs ROOT's and the plugin's initialisers, made for this.
            match unsafe { Library::open(Some(path.as_os_str()), RTLD_NOW | RTLD_GLOBAL) } {
                Ok(library) => return Self::bind(library, &path),
                Err(error) => failures.push(with_cause(&error)),
            }
        }
        Err(format!(
            "cannot load {LIBRARY} (set BALER_LIB, put it in ../lib next to `baler`, or source build/env.sh): {}",
            failures.join("; ")
        ))
    }

    fn bind(library: Library, path: &Path) -> Result<Plugin, String> {
        let missing = |e: libloading::Error| {
            format!("{} is not a {LIBRARY} with the command API: {e}", path.display())
        };
        // SAFETY: the symbols have the signatures of CommandApi.h, checked by the version below.
        let plugin = unsafe {
            let version: VersionFn = *library.get::<VersionFn>(b"baler_command_api_version\0").map_err(missing)?;
            let found = version();
            if found != API_VERSION {
                return Err(format!(
                    "{} has command API version {found}, this `baler` needs {API_VERSION}: rebuild both",
                    path.display()
                ));
            }
            Plugin {
                compress: *library.get::<CompressFn>(b"baler_compress_file\0").map_err(missing)?,
                export: *library.get::<ExportFn>(b"baler_export_file\0").map_err(missing)?,
                inspect: *library.get::<InspectFn>(b"baler_inspect_file\0").map_err(missing)?,
                generate: *library.get::<GenerateFn>(b"baler_generate_sample\0").map_err(missing)?,
            }
        };
        std::mem::forget(library);
        Ok(plugin)
    }

    pub fn compress(
        &self,
        input: &Path,
        output: &Path,
        selection: &Selection,
        threads: &Threads,
        progress: Option<Progress>,
    ) -> Result<Rewritten, CompressFailure> {
        let (input, output) = (c_path(input)?, c_path(output)?);
        let codec = selection.codec.as_deref().map(|c| c_string(c, "the codec")).transpose()?;
        let policy = selection.policy.as_deref().map(|p| c_string(p, "the policy")).transpose()?;
        let globs: Vec<CString> =
            selection.globs.iter().map(|g| c_string(g, "a branch glob")).collect::<Result<_, String>>()?;
        let trees: Vec<CString> =
            selection.trees.iter().map(|t| c_string(t, "a tree name")).collect::<Result<_, String>>()?;
        let glob_ptrs: Vec<*const c_char> = globs.iter().map(|g| g.as_ptr()).collect();
        let tree_ptrs: Vec<*const c_char> = trees.iter().map(|t| t.as_ptr()).collect();
        let options = RawCompressOptions {
            codec_spec: codec.as_ref().map_or(std::ptr::null(), |c| c.as_ptr()),
            globs: glob_ptrs.as_ptr(),
            n_globs: glob_ptrs.len() as c_int,
            trees: tree_ptrs.as_ptr(),
            n_trees: tree_ptrs.len() as c_int,
            policy: policy.as_ref().map_or(std::ptr::null(), |p| p.as_ptr()),
            threads: threads.as_c(),
        };
        let mut context = Context::new(progress);
        let mut error = vec![0u8; ERROR_SIZE];
        // SAFETY: every pointer lives until the call returns; callbacks get `context` back.
        let status = unsafe {
            (self.compress)(
                input.as_ptr(),
                output.as_ptr(),
                &options,
                Some(on_row),
                Some(on_progress),
                Some(on_warning),
                &mut context as *mut Context as *mut c_void,
                error.as_mut_ptr() as *mut c_char,
                error.len(),
            )
        };
        result(status, &error).map_err(|message| CompressFailure { message, bad_options: status == BAD_OPTIONS })?;
        Ok(Rewritten { rows: context.rows, warnings: context.warnings })
    }

    /// `baler export`: the Baler blocks of `input` decoded and stored with ROOT's compression
    /// `settings` in `output`; one row per branch, as `compress`, and its warnings.
    pub fn export(&self, input: &Path, output: &Path, settings: i32, threads: &Threads, progress: Option<Progress>) -> Result<Rewritten, CompressFailure> {
        let (input, output) = (c_path(input)?, c_path(output)?);
        let mut context = Context::new(progress);
        let mut error = vec![0u8; ERROR_SIZE];
        // SAFETY: as in compress.
        let status = unsafe {
            (self.export)(
                input.as_ptr(),
                output.as_ptr(),
                settings,
                threads.as_c(),
                Some(on_row),
                Some(on_progress),
                Some(on_warning),
                &mut context as *mut Context as *mut c_void,
                error.as_mut_ptr() as *mut c_char,
                error.len(),
            )
        };
        result(status, &error).map_err(|message| CompressFailure { message, bad_options: status == BAD_OPTIONS })?;
        Ok(Rewritten { rows: context.rows, warnings: context.warnings })
    }

    pub fn inspect(&self, path: &Path) -> Result<Vec<Row>, String> {
        let path = c_path(path)?;
        let mut context = Context::new(None);
        let mut error = vec![0u8; ERROR_SIZE];
        // SAFETY: as in compress.
        let status = unsafe {
            (self.inspect)(
                path.as_ptr(),
                Some(on_row),
                &mut context as *mut Context as *mut c_void,
                error.as_mut_ptr() as *mut c_char,
                error.len(),
            )
        };
        result(status, &error)?;
        Ok(context.rows)
    }

    /// Writes the generated sample named `sample` ("physics" or "detector", CommandApi.h).
    pub fn generate(&self, output: &Path, sample: &str, events: i64, seed: u64, progress: Option<Progress>) -> Result<(), String> {
        let output = c_path(output)?;
        let sample = CString::new(sample).map_err(|_| format!("sample name {sample:?} contains a NUL byte"))?;
        let mut context = Context::new(progress);
        let mut error = vec![0u8; ERROR_SIZE];
        // SAFETY: as in compress.
        let status = unsafe {
            (self.generate)(
                output.as_ptr(),
                sample.as_ptr(),
                events,
                seed,
                Some(on_progress),
                &mut context as *mut Context as *mut c_void,
                error.as_mut_ptr() as *mut c_char,
                error.len(),
            )
        };
        result(status, &error)
    }
}
