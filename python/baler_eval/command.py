"""Running the `baler` command line itself: `baler inspect --json` for branch types, codecs and
bytes (the figures `baler inspect` prints), `baler compress` for the bound ladder."""

import os
import shutil
import subprocess

from .errors import EvalError


def baler_executable():
    """The `baler` that started this evaluation ($BALER_EXECUTABLE), else the one on PATH."""
    found = os.environ.get("BALER_EXECUTABLE") or shutil.which("baler")
    if not found:
        raise EvalError("the `baler` command is not on PATH: run `source build/env.sh`")
    return found


def run_baler(*args, prefix=None, warnings=None):
    """stdout of `baler ARGS...`; its one-line error as an EvalError when it fails, after PREFIX
    (by default "baler COMMAND failed: "). Its warnings (`Warning in <baler>: ...`, without that
    prefix) go into the list WARNINGS, when given."""
    run = subprocess.run([baler_executable(), *map(str, args)], capture_output=True, text=True)
    if run.returncode != 0:
        lines = (run.stderr or run.stdout).strip().splitlines()
        reason = lines[-1].removeprefix("baler: error: ") if lines else f"exit status {run.returncode}"
        raise EvalError((f"baler {args[0]} failed: " if prefix is None else prefix) + reason)
    if warnings is not None:
        warnings += [line.removeprefix(_WARNING) for line in run.stderr.splitlines() if line.startswith(_WARNING)]
    return run.stdout


_WARNING = "Warning in <baler>: "
