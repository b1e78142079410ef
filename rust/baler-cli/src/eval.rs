//! `baler eval`: the evaluation (plots with matplotlib, statistics with scipy, reading through
//! PyROOT) is the Python package `baler_eval` in the repository's python/ folder; this command
//! hands it every argument, `--help` included, so the options are defined in one place.
//! `python_module` starts the repository's other Python parts (the Dask route of `baler compress`) too.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::process::Command;

use clap::Args;

#[derive(Args)]
#[command(disable_help_flag = true)]
pub struct EvalArgs {
    /// ORIGINAL.root COMPRESSED.root [--tree NAME] [--branches GLOB] [--analysis NAME]... [--out DIR] [--ladder]
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0.., value_name = "ARGS")]
    args: Vec<OsString>,
}

/// Runs the package named by its first argument as `python -m PACKAGE` would, but says in one
/// line what to do when the package is not importable instead of Python's "No module named" message.
const BOOTSTRAP: &str = "import importlib.util, runpy, sys\n\
package = sys.argv.pop(1)\n\
if importlib.util.find_spec(package) is None:\n    \
sys.exit(f'baler: error: this command needs the {package} package (python/ of the repository) on PYTHONPATH: \
run `source build/env.sh`')\n\
runpy.run_module(package, run_name='__main__', alter_sys=True)\n";

/// The Python that runs the repository's packages: $BALER_PYTHON, else `python3` from PATH
/// (build/env.sh puts the project's .venv first).
pub fn python() -> OsString {
    std::env::var_os("BALER_PYTHON").unwrap_or_else(|| OsString::from("python3"))
}

/// The command that runs `package` (a package in python/) with that Python. The package gets
/// this executable as $BALER_EXECUTABLE, to run `baler` commands itself.
pub fn python_module(package: &str) -> Command {
    let mut command = Command::new(python());
    command.arg("-c").arg(BOOTSTRAP).arg(package);
    if let Ok(executable) = std::env::current_exe() {
        command.env("BALER_EXECUTABLE", executable);
    }
    command
}

/// Says what to do when Python cannot be started.
pub fn python_missing(what: &str, error: &std::io::Error) -> String {
    format!("{what} needs Python 3 with the project's packages, but '{}' cannot be started: {error} \
             (run `source build/env.sh`, or set BALER_PYTHON)", python().to_string_lossy())
}

/// Replaces this process with Python running baler_eval (`baler eval --ladder` runs `baler compress`
/// through $BALER_EXECUTABLE). Returns only when Python cannot be started.
pub fn run(args: EvalArgs) -> Result<(), String> {
    let error = python_module("baler_eval").args(&args.args).exec();
    Err(python_missing("baler eval", &error))
}
