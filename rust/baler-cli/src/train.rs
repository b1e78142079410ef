//! `baler train`: training links libtorch, which `baler` (a reading path) must not, so it is the
//! separate program `baler-train` installed beside this one (`make train`). This command hands it
//! every argument, `--help` included, so the options are defined in one place.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::process::Command;

use clap::Args;

#[derive(Args)]
#[command(disable_help_flag = true)]
pub struct TrainArgs {
    /// INPUT... --branches GLOB [--tree NAME] [--bound SPEC] [--latent K] [--epochs N] [--seed S] [--device cpu|cuda] --out MODEL.balm
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0.., value_name = "ARGS")]
    args: Vec<OsString>,
}

/// Replaces this process with `baler-train` from this executable's folder. Returns only when
/// it cannot be started.
pub fn run(args: TrainArgs) -> Result<(), String> {
    exec_trainer(&args.args)
}

/// `baler help train`: the trainer's own `--help`, not clap's page for the pass-through.
pub fn help() -> Result<(), String> {
    exec_trainer(&[OsString::from("--help")])
}

fn exec_trainer(args: &[OsString]) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot locate the baler executable: {e}"))?;
    let trainer = exe.with_file_name("baler-train");
    let error = Command::new(&trainer).args(args).exec();
    Err(format!("baler train needs '{}' (built by `make train`), which cannot be started: {error}", trainer.display()))
}
