//! clap's usage errors as the one line every `baler` program prints (INTERFACE.md: errors are one
//! clear line): `baler`, and `baler-train`, to which `baler train` hands its arguments unparsed.

use clap::error::{ContextKind, ContextValue, ErrorKind};

/// clap's errors span several lines: keep the one that says what is wrong, then `help` (where to
/// look, e.g. "(see `baler train --help`)"). A missing argument is named: "missing FILE.root".
pub fn one_line(error: &clap::Error, help: &str) -> String {
    if error.kind() == ErrorKind::MissingRequiredArgument {
        if let Some(ContextValue::Strings(names)) = error.get(ContextKind::InvalidArg) {
            // "<FILE.root>", or "--out-dir <DIR>" for an option that another one requires
            let names: Vec<String> = names.iter().map(|n| n.replace(['<', '>'], "")).collect();
            return format!("missing {} {help}", names.join(", "));
        }
    }
    let rendered = error.render().to_string();
    let line = rendered
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("invalid arguments")
        .trim_start_matches("error: ")
        .to_string();
    // clap lists the values an option takes on a line of its own, which the one line would drop
    // (an empty value of a non-empty parser has none to list: "a value is required for ...")
    if let Some(ContextValue::Strings(values)) =
        error.get(ContextKind::ValidValue).filter(|v| error.kind() == ErrorKind::InvalidValue && !matches!(v, ContextValue::Strings(v) if v.is_empty()))
    {
        return format!("{line}: one of {} {help}", values.join(", "));
    }
    format!("{line} {help}")
}

/// Whether clap stopped to print what was asked (--help, --version), not an error.
pub fn is_display(error: &clap::Error) -> bool {
    matches!(error.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand)
}
