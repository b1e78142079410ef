//! A child process that a signal to this one ends too, with this one cleaning up after it.
//!
//! Ctrl-C, `kill` or a closed terminal would end the trainer while its Python child reads the
//! ROOT files, before the temporary folder holding the child's rows (as large as the training
//! data) is removed. While the child runs, these signals are passed on to it instead; once it has
//! ended, the caller removes what it made and ends this process by the same signal.

use std::process::{Command, Output};
use std::sync::atomic::{AtomicI32, Ordering};

/// The signals that end a process by default and that a user sends to stop one.
const PASSED_ON: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// The child's pid while it runs (0 before).
static CHILD: AtomicI32 = AtomicI32::new(0);
/// The first of [`PASSED_ON`] that arrived (0: none).
static RECEIVED: AtomicI32 = AtomicI32::new(0);

extern "C" fn pass_on(signal: libc::c_int) {
    let _ = RECEIVED.compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
    let child = CHILD.load(Ordering::SeqCst);
    if child > 0 {
        // SAFETY: kill is async-signal-safe and touches no memory of ours.
        unsafe { libc::kill(child, signal) };
    }
}

/// Runs `command` to its end, collecting its output as [`Command::output`] does, with the
/// signals of [`PASSED_ON`] passed on to it; returns the output and the signal that came, if one did.
pub fn output_passing_signals(command: &mut Command) -> std::io::Result<(Output, Option<i32>)> {
    // SAFETY: a zeroed sigaction is a valid value to fill; sigaction reads and writes only the
    // structs given, and the handler touches only atomics and calls kill.
    let previous: Vec<libc::sigaction> = PASSED_ON
        .iter()
        .map(|&signal| unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            libc::sigaction(signal, std::ptr::null(), &mut old);
            // a signal the process was started to ignore (nohup, a background job) stays ignored
            if old.sa_sigaction != libc::SIG_IGN {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = pass_on as extern "C" fn(libc::c_int) as usize;
                libc::sigemptyset(&mut action.sa_mask);
                libc::sigaction(signal, &action, std::ptr::null_mut());
            }
            old
        })
        .collect();
    let result = command.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().and_then(|child| {
        CHILD.store(child.id() as i32, Ordering::SeqCst);
        // a signal that came before the pid was known
        let early = RECEIVED.load(Ordering::SeqCst);
        if early != 0 {
            // SAFETY: as in pass_on
            unsafe { libc::kill(child.id() as i32, early) };
        }
        child.wait_with_output()
    });
    CHILD.store(0, Ordering::SeqCst);
    for (&signal, old) in PASSED_ON.iter().zip(&previous) {
        // SAFETY: restores the action sigaction gave back above
        unsafe { libc::sigaction(signal, old, std::ptr::null_mut()) };
    }
    let received = RECEIVED.load(Ordering::SeqCst);
    result.map(|output| (output, (received != 0).then_some(received)))
}

/// Ends this process by `signal` as its default action does, so that a shell or a batch system
/// sees what stopped it.
pub fn end_by(signal: i32) -> ! {
    // SAFETY: restoring the default action and raising a signal touch no memory of ours.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
    // a signal whose default action does not end the process: none of PASSED_ON
    std::process::exit(128 + signal)
}
