"""Shared helpers for the end-to-end tests: they drive real ROOT processes against the built plugin.

`make test` runs these with build/env.sh sourced, so root.exe, libBalerROOT and its rootmap are on
the paths. Every ROOT session is a separate process, so a test sees ROOT exactly as a user would.
"""
import os
import pathlib
import re
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
MACROS = REPO / "tests" / "macros"
BUILD_LIB = pathlib.Path(os.environ.get("BALER_BUILD", REPO / "build")) / "lib"

# Baler's compression settings (root-plugin/include/Baler/Baler.h): algorithm 42, level 99 lossless.
BALER_LOSSLESS = 4299
ZSTD_505 = 505


@pytest.fixture(scope="session")
def shared_data() -> pathlib.Path:
    path = pathlib.Path(os.environ.get("BALER_SHARED_DATA", REPO.parent / "shared" / "data"))
    if not (path / "uproot-HZZ.root").exists():
        pytest.fail(f"the shared CMS data files are missing from {path} (set BALER_SHARED_DATA)")
    return path


def env_without_plugin() -> dict:
    """The environment with the plugin's folder removed from the library path."""
    env = dict(os.environ)
    parts = [p for p in env.get("LD_LIBRARY_PATH", "").split(":") if p and pathlib.Path(p) != BUILD_LIB]
    env["LD_LIBRARY_PATH"] = ":".join(parts)
    return env


def _quote(arg) -> str:
    return f'"{arg}"' if isinstance(arg, (str, pathlib.Path)) else str(arg)


def run_macro(name: str, *args, env=None, check=True, cwd=None) -> str:
    """Runs tests/macros/NAME.C(args) in a fresh root.exe; returns stdout+stderr.

    With check=True the macro must return 0 (root.exe exits with the macro's return value)."""
    call = f"{MACROS / name}.C({', '.join(_quote(a) for a in args)})"
    proc = subprocess.run(["root.exe", "-l", "-b", "-q", call], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=600)
    output = proc.stdout + proc.stderr
    if check and proc.returncode != 0:
        raise AssertionError(f"{name} exited with {proc.returncode}:\n{output}")
    return output


def run_python(code: str, env=None) -> str:
    """Runs a Python snippet in a fresh interpreter (PyROOT and uproot tests); returns stdout+stderr."""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise AssertionError(f"python exited with {proc.returncode}:\n{output}")
    return output


def macro_value(output: str, tag: str) -> list:
    """The numbers a macro printed on its (last) `tag: ...` line: the summary comes last."""
    for line in reversed(output.splitlines()):
        if line.startswith(tag + ":"):
            return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", line.split(":", 1)[1])]
    raise AssertionError(f"no '{tag}:' line in:\n{output}")
