"""Shared helpers for the end-to-end tests: they drive real ROOT processes against the built plugin.

`make test` runs these with build/env.sh sourced, so root.exe, libBalerROOT and its rootmap are on
the paths. Every ROOT session is a separate process, so a test sees ROOT exactly as a user would.
Every process goes through `run_command`, which shows its stdout and stderr when it fails.
"""
import dataclasses
import os
import pathlib
import re
import subprocess
import sys

import pytest

from bounds import Tally

REPO = pathlib.Path(__file__).resolve().parent.parent
MACROS = REPO / "tests" / "macros"
BUILD = pathlib.Path(os.environ.get("BALER_BUILD", REPO / "build"))
BUILD_LIB = BUILD / "lib"

# Baler's compression settings (root-plugin/include/Baler/Baler.h): algorithm 42, level 99 lossless,
# levels 1..52 bits:N.
BALER_LOSSLESS = 4299
ZSTD_505 = 505


def baler_settings(bits: int) -> int:
    """Baler::Settings(bits)."""
    return 4200 + bits


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


def env_without_model_path() -> dict:
    """The environment without BALER_MODEL_PATH: models come from the file being read alone."""
    return {key: value for key, value in os.environ.items() if key != "BALER_MODEL_PATH"}


def delete_model_key(path, model_id):
    """Removes every cycle of the key holding model `model_id` from the ROOT file `path`."""
    run_python(f"import ROOT\nf = ROOT.TFile.Open('{path}', 'UPDATE')\nf.Delete('baler_model_{model_id};*')\nf.Close()")


def preloading(library) -> dict:
    """This environment with `library` preloaded after what it already preloads (`make sanitize`'s
    ASan runtime must come first)."""
    return dict(os.environ, LD_PRELOAD=" ".join(filter(None, [os.environ.get("LD_PRELOAD", ""), str(library)])))


def preload_env(policy=None) -> dict:
    """The environment of an unmodified program: libBalerROOT preloaded (`preloading`), BALER_POLICY
    set when given."""
    env = preloading(BUILD_LIB / "libBalerROOT.so")
    if policy is not None:
        env["BALER_POLICY"] = policy
    return env


def run_command(args, env=None, check=True, cwd=None, timeout=600) -> subprocess.CompletedProcess:
    """Runs a process with its output captured; with check=True a non-zero exit fails the test
    and shows the command, its stdout and its stderr."""
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} exited with {proc.returncode}:\n"
                             f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}")
    return proc


def _quote(arg) -> str:
    return f'"{arg}"' if isinstance(arg, (str, pathlib.Path)) else str(arg)


def run_macro(name: str, *args, env=None, check=True, cwd=None, folder=MACROS, timeout=600) -> str:
    """Runs FOLDER/NAME.C(args) (tests/macros by default) in a fresh root.exe; returns stdout+stderr.

    With check=True the macro must return 0 (root.exe exits with the macro's return value)."""
    call = f"{folder / name}.C({', '.join(_quote(a) for a in args)})"
    proc = run_command(["root.exe", "-l", "-b", "-q", call], env=env, check=check, cwd=cwd, timeout=timeout)
    return proc.stdout + proc.stderr


def child_processes(pid: int) -> list:
    """The pids of the processes that any thread of process `pid` started (Linux's /proc)."""
    children = []
    for task in pathlib.Path(f"/proc/{pid}/task").iterdir():
        try:
            children += (task / "children").read_text().split()
        except FileNotFoundError:  # a thread that ended meanwhile
            pass
    return children


def run_python(code: str, env=None) -> str:
    """Runs a Python snippet in a fresh interpreter (PyROOT and uproot tests); returns stdout+stderr."""
    proc = run_command([sys.executable, "-c", code], env=env)
    return proc.stdout + proc.stderr


_UNCLOSED = """
import os, sys, ROOT
f = ROOT.TFile(sys.argv[1], "RECREATE")
if sys.argv[2] == "a key first":
    ROOT.TNamed("baler_model_like", "a key written first, as an ae: model is").Write()
t = ROOT.TTree("Events", "")
x = ROOT.std.vector("float")(1)
t.Branch("x", x)
t.SetAutoFlush(100)
for i in range(3000):
    t.Fill()
os._exit(0)  # killed before the tree was saved
"""


def write_unclosed(path, key_first: bool) -> None:
    """A file whose writer was killed after flushing baskets of a tree it never saved; with
    `key_first`, after writing a key before them too (what ROOT's recovery then finds)."""
    run_command([sys.executable, "-c", _UNCLOSED, path, "a key first" if key_first else "baskets only"])


_NUMBER = r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"


def macro_values(output: str, tag: str) -> list:
    """The numbers of every `tag: ...` line a macro printed, in order."""
    return [[float(x) for x in re.findall(_NUMBER, line.split(":", 1)[1])]
            for line in output.splitlines() if line.startswith(tag + ":")]


def macro_value(output: str, tag: str) -> list:
    """The numbers a macro printed on its (last) `tag: ...` line: the summary comes last."""
    values = macro_values(output, tag)
    if not values:
        raise AssertionError(f"no '{tag}:' line in:\n{output}")
    return values[-1]


def basket_block(data, seek: int) -> int:
    """Offset of the compressed block of the basket record at `seek` in a file's bytes: past its
    TKey header, whose length is at bytes 14-15 (Nbytes, Version, ObjLen, Datime, KeyLen)."""
    return seek + int.from_bytes(data[seek + 14:seek + 16], "big")


def basket_digests(path) -> dict:
    """{"TREE BRANCH/PATH": [baskets, md5 or "failed I"]} as basket_digests.C prints them for a file:
    the MD5 of each branch's decompressed baskets as ROOT reads them (tests/test_fixtures.py)."""
    output = run_macro("basket_digests", path)
    found = {}
    for line in output.splitlines():
        if line.startswith("basket_digests ") and not line.startswith("basket_digests:"):
            name, numbers = line[len("basket_digests "):].rsplit(": ", 1)
            baskets, md5 = numbers.split(" ", 1)
            found[name] = [int(baskets), md5]
    return found


def branch_tallies(output: str, tag: str) -> dict:
    """{branch: Tally} from a macro's 'TAG BRANCH: VALUES CHANGED MUST BAD UNROUNDED' lines
    (baler_bounds.h's Tally::Numbers)."""
    return {name: Tally.parse(numbers.split())
            for name, numbers in re.findall(rf"^{tag} (\S+): (\d+ \d+ \d+ \d+ \d+)$", output, re.M)}


@dataclasses.dataclass
class Comparison:
    """compare_trees.C's verdict on two trees: per branch and in total (see bounds.Tally)."""
    entries: int
    branches: dict
    total: Tally
    plugin_loaded: bool
    output: str

    def assert_exact_set_changed(self, *lossy: str):
        """Nothing out of bound and nothing left unrounded: under a bits:N spec this means every
        value required to change changed and no other did. Each branch of `lossy` has such values."""
        assert self.total.bad == 0 and self.total.unrounded == 0, self.output
        for name in lossy:
            assert self.branches[name].must > 0 and self.branches[name].exact_set_changed, (name, self.output)


def compare_trees(a, b, tree, specs="", env=None) -> Comparison:
    """Compares tree `tree` of files a and b value by value with compare_trees.C; `specs`
    "GLOB=SPEC,..." (first match wins) says which float branches may differ and how; every other
    value must be bit-exact."""
    output = run_macro("compare_trees", a, b, tree, specs, env=env, check=False)
    summary = re.search(r"^compare_trees: (\d+) entries, (\d+ \d+ \d+ \d+ \d+) values changed must bad unrounded, "
                        r"plugin loaded (\d)$", output, re.M)
    assert summary, output
    return Comparison(int(summary.group(1)), branch_tallies(output, "compare_trees"),
                      Tally.parse(summary.group(2).split()), summary.group(3) == "1", output)


@pytest.fixture(scope="session")
def baler() -> pathlib.Path:
    """The `baler` binary next to the plugin, from `make cli`."""
    path = BUILD / "bin" / "baler"
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make cli` (make test does)")
    return path


def run_baler(baler, *args, check=True, cwd=None, env=None) -> subprocess.CompletedProcess:
    return run_command([baler, *args], check=check, cwd=cwd, env=env, timeout=900)


@pytest.fixture(scope="session")
def hzz_bits10(baler, shared_data, tmp_path_factory):
    """The CMS HZZ file compressed once per session by `baler compress --codec bits:10`:
    (path, the finished process)."""
    out = tmp_path_factory.mktemp("hzz_bits10") / "hzz_bits10.root"
    proc = run_baler(baler, "compress", shared_data / "uproot-HZZ.root", out, "--codec", "bits:10")
    return out, proc
