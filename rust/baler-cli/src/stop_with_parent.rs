//! Child processes that must not outlive the `baler` that started them: a dataset's `baler
//! compress` children and its Dask driver (python/baler_dask, which passes the same on to the
//! `baler compress` it runs). A signal that ends the starter alone (not its process group, as a
//! terminal's Ctrl-C does) left them running: a local Dask cluster went on replacing files in
//! --out-dir after `baler` had gone. The starter names itself in BALER_STOP_WITH; the child asks
//! the kernel for SIGTERM when its parent ends (PR_SET_PDEATHSIG), on which `baler compress`
//! removes its temporary file, and stops at once where the parent ended before it could ask.

use std::process::Command;

const VARIABLE: &str = "BALER_STOP_WITH";

/// Makes the process of `command` stop when this one ends.
pub fn stops_with_this_process(command: &mut Command) -> &mut Command {
    command.env(VARIABLE, std::process::id().to_string())
}

/// In a process started by [`stops_with_this_process`], asks for SIGTERM when the parent ends;
/// false when the parent has ended already. True, doing nothing, in any other process.
pub fn stop_with_parent() -> bool {
    let Some(parent) = std::env::var_os(VARIABLE) else { return true };
    std::env::remove_var(VARIABLE); // not passed on to whatever this process starts
    let Some(parent) = parent.to_str().and_then(|p| p.parse::<libc::pid_t>().ok()) else { return true };
    // SAFETY: prctl with PR_SET_PDEATHSIG takes a signal number and touches no memory of ours.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) };
    // SAFETY: getppid cannot fail. A parent that ended before the prctl left this process to
    // another parent (init or a subreaper), and no signal would come.
    unsafe { libc::getppid() == parent }
}
