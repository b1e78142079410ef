//! `baler eval`: the evaluation (plots with matplotlib, statistics with scipy, reading through
//! PyROOT) is the Python package `baler_eval` in the repository's python/ folder; this command
//! hands it every argument, `--help` included, so the options are defined in one place.

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

/// Runs the package as `python -m baler_eval` would, but says in one line what to do when the
/// package is not importable instead of Python's "No module named" message.
const BOOTSTRAP: &str = "import importlib.util, runpy, sys\n\
if importlib.util.find_spec('baler_eval') is None:\n    \
sys.exit('baler: error: baler eval needs the baler_eval package (python/ of the repository) on PYTHONPATH: \
run `source build/env.sh`')\n\
runpy.run_module('baler_eval', run_name='__main__', alter_sys=True)\n";

/// Replaces this process with Python: $BALER_PYTHON, else `python3` from PATH (build/env.sh puts
/// the project's .venv first). Returns only when Python cannot be started.
pub fn run(args: EvalArgs) -> Result<(), String> {
    let python = std::env::var_os("BALER_PYTHON").unwrap_or_else(|| OsString::from("python3"));
    let mut command = Command::new(&python);
    command.arg("-c").arg(BOOTSTRAP).args(&args.args);
    // `baler eval --ladder` runs `baler compress`: the same executable as this one.
    if let Ok(executable) = std::env::current_exe() {
        command.env("BALER_EXECUTABLE", executable);
    }
    let error = command.exec();
    Err(format!("baler eval needs Python 3 with the project's packages, but '{}' cannot be started: {} \
                 (run `source build/env.sh`, or set BALER_PYTHON)", python.to_string_lossy(), error))
}
