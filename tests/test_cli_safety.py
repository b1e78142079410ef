"""`baler compress` never loses or changes an existing file: OUT is written under a temporary name
in its own folder and renamed only on success; an OUT that is a folder or the input itself is refused."""
import json
import os
import pathlib
import shutil
import stat
import subprocess
import sys
import tempfile
import time

import numpy as np
import pytest
import uproot

from conftest import (baler, baler_settings, child_processes, compare_trees, preload_env, preloading, run_baler,  # noqa: F401 (baler: a fixture)
                      run_command, run_macro, run_python, write_unclosed)
from test_cli import sample, table_rows  # noqa: F401 (sample: a fixture)


# An earlier output at OUT, which a run may replace (it opens with ROOT's magic): the bytes an
# interrupted or failed run must leave there.
OLDER_OUTPUT = b"root" + b"\0" * 60 + b"an older output\n"


def snapshot(folder: pathlib.Path) -> dict:
    """{name: bytes} of every file in `folder`: what a failed run must leave exactly as it was."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def corrupted_copy(source: pathlib.Path, target: pathlib.Path) -> pathlib.Path:
    """A copy of `source` whose middle third is overwritten: the header and the keys list at the end
    are intact, so ROOT opens it and fails only when it reads the baskets."""
    data = bytearray(source.read_bytes())
    third = len(data) // 3
    data[third:2 * third] = bytes((i * 151 + 7) % 256 for i in range(third))
    target.write_bytes(bytes(data))
    return target


def truncated_copy(source: pathlib.Path, target: pathlib.Path) -> pathlib.Path:
    target.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    return target


FAILURES = {
    "no such tree": lambda sample, folder: [sample, "--tree", "Nope"],
    "corrupt input": lambda sample, folder: [corrupted_copy(sample, folder / "corrupt.root")],
    "truncated input": lambda sample, folder: [truncated_copy(sample, folder / "truncated.root")],
    "missing input": lambda sample, folder: [folder / "missing.root"],
    "bad codec": lambda sample, folder: [sample, "--codec", "rel:7"],
}


@pytest.mark.parametrize("failure", FAILURES)
def test_failed_compress_leaves_existing_output_byte_identical(baler, sample, tmp_path, failure):
    keep = tmp_path / "keep.root"
    shutil.copyfile(sample, keep)
    args = FAILURES[failure](sample, tmp_path)
    before = snapshot(tmp_path)
    proc = run_baler(baler, "compress", args[0], keep, *args[1:], check=False)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    # One error line, never a crash: a damaged basket key (where ROOT used to crash, depending on
    # which bytes the sample's time stamps put under the damage) is refused by the read hooks.
    assert "There was a crash." not in proc.stderr, proc.stderr
    assert len([l for l in proc.stderr.splitlines() if l.startswith("baler: error: ")]) == 1, proc.stderr
    # Nothing changed, nothing removed, no temporary file left behind.
    assert snapshot(tmp_path) == before


def test_successful_compress_replaces_existing_output_and_leaves_no_temporary(baler, sample, tmp_path):
    """An earlier ROOT file at OUT (an earlier run's output) is replaced, as is an empty file."""
    for older in (sample.read_bytes()[:1000], b""):
        out = tmp_path / "out.root"
        out.write_bytes(older)
        run_baler(baler, "compress", sample, out, "--codec", "lossless")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out.root"]
        assert out.read_bytes()[:4] == b"root" and out.stat().st_size > 100_000


@pytest.mark.parametrize("kind", ["a text file", "the model the spec names"])
def test_an_output_that_is_no_root_file_is_not_replaced(baler, sample, tmp_path, kind):
    """The rename replaced whatever held OUT's name: the model the run's own spec named (`baler
    compress det.root pulse.balm --codec ae:abs:1:pulse.balm` left a ROOT file where the model
    was), or a text file. No earlier run writes such a file."""
    out = tmp_path / ("pulse.balm" if kind == "the model the spec names" else "notes.txt")
    spec = []
    if kind == "the model the spec names":
        rows = tmp_path / "rows.npz"
        np.savez(rows, data=np.random.default_rng(1).normal(size=(400, 6)) + 5.0, names=np.array(["x"] * 6))
        run_baler(baler, "train", rows, "--branches", "*", "--epochs", "1", "--out", out)
        spec = ["--codec", f"ae:bits:10:{out}"]
    else:
        out.write_text("my notes\n")
    before = snapshot(tmp_path)
    proc = run_baler(baler, "compress", sample, out, *spec, check=False)
    assert proc.returncode == 1 and proc.stderr == (f"baler: error: output '{out}' exists and is not a ROOT file, so "
                                                    "it is not replaced: choose another output path, or remove it\n")
    assert snapshot(tmp_path) == before


def reachable_by_others(path: pathlib.Path) -> bool:
    """Whether a user other than the owner may read `path` and pass through every folder above it."""
    path = path.resolve()
    return bool(path.stat().st_mode & stat.S_IROTH) and all(
        folder.stat().st_mode & stat.S_IXOTH for folder in path.parents)


def test_an_output_the_user_may_not_write_is_not_replaced(baler, sample):
    """The rename needs only the folder's permission: a file its owner had made read-only was
    replaced, where cp refuses. Run as user nobody where the tests run as root, to whom every
    file is writable, in a folder of its own (pytest's folders are their owner's alone)."""
    command = [str(baler), "compress"]
    if os.geteuid() == 0:
        needed = [baler, *(pathlib.Path(p) for p in os.environ.get("LD_LIBRARY_PATH", "").split(":") if p)]
        if not all(reachable_by_others(pathlib.Path(p)) for p in needed):
            pytest.skip("run as root, and user nobody cannot reach baler or its libraries here")
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    with tempfile.TemporaryDirectory(prefix="baler-output-") as shared:
        folder = pathlib.Path(shared)
        folder.chmod(0o777)  # the other user may write into the folder: only the file's mode protects it
        source, out = folder / "in.root", folder / "old.root"
        for path, mode in ((source, 0o644), (out, 0o444)):
            shutil.copyfile(sample, path)
            path.chmod(mode)
        before = snapshot(folder)
        proc = run_command([*command, str(source), str(out)], check=False)
        assert proc.returncode == 1 and proc.stderr == (
            f"baler: error: output '{out}' exists and is not writable (Permission denied): choose another output "
            "path, or make it writable to have it replaced\n"), proc.stderr
        assert snapshot(folder) == before


def test_an_output_in_a_folder_that_is_not_there_says_so(baler, sample, tmp_path):
    """It said "cannot create a temporary file in 'nowhere'": the user named no temporary file."""
    proc = run_baler(baler, "compress", sample, tmp_path / "nowhere" / "out.root", check=False)
    assert proc.returncode == 1 and proc.stderr == (f"baler: error: output '{tmp_path / 'nowhere' / 'out.root'}': "
                                                    f"there is no folder '{tmp_path / 'nowhere'}'\n"), proc.stderr


def output_aliases(input_path: pathlib.Path) -> dict:
    """Other names for the input file: the same path spelt differently, a symbolic and a hard link."""
    folder = input_path.parent
    (folder / "sub").mkdir()
    os.symlink(input_path, folder / "symlink.root")
    os.link(input_path, folder / "hardlink.root")
    return {
        "same path": input_path,
        "spelt differently": folder / "sub" / ".." / input_path.name,
        "symbolic link": folder / "symlink.root",
        "hard link": folder / "hardlink.root",
    }


@pytest.mark.parametrize("alias", ["same path", "spelt differently", "symbolic link", "hard link"])
def test_output_that_is_the_input_is_refused(baler, sample, tmp_path, alias):
    data = tmp_path / "data"
    data.mkdir()
    input_path = data / "input.root"
    shutil.copyfile(sample, input_path)
    out = output_aliases(input_path)[alias]
    before = snapshot(data)
    proc = run_baler(baler, "compress", input_path, out, check=False)
    assert proc.returncode != 0, proc.stdout
    assert proc.stderr.count("\n") == 1 and "is the input file" in proc.stderr, proc.stderr
    assert snapshot(data) == before
    assert os.path.samefile(data / "hardlink.root", input_path)


@pytest.mark.parametrize("content", [[], ["inside.txt"]], ids=["empty", "not empty"])
def test_output_that_is_a_folder_is_refused(baler, sample, tmp_path, content):
    folder = tmp_path / "out.root"
    folder.mkdir()
    for name in content:
        (folder / name).write_text("kept\n")
    proc = run_baler(baler, "compress", sample, folder, check=False)
    assert proc.returncode != 0, proc.stdout
    assert proc.stderr.count("\n") == 1 and "is a directory" in proc.stderr, proc.stderr
    assert folder.is_dir() and sorted(p.name for p in folder.iterdir()) == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.root"]



def fifo(path: pathlib.Path) -> pathlib.Path:
    os.mkfifo(path)
    return path


OTHER_KINDS_OF_OUTPUT = {
    # kind: (make it at the path, what the error says)
    "symbolic link": (lambda path, kept: os.symlink(kept.name, path), "is a symbolic link"),
    "dangling link": (lambda path, kept: os.symlink("missing.root", path), "is a symbolic link"),
    "FIFO": (lambda path, kept: fifo(path), "is not a regular file"),
}


@pytest.mark.parametrize("kind", OTHER_KINDS_OF_OUTPUT)
def test_output_that_is_a_link_or_no_regular_file_is_refused_not_replaced(baler, sample, tmp_path, kind):
    """The final rename would replace a link (not its target) or a device such as /dev/null (as
    root) with a regular file: such outputs are refused and left as they are."""
    make, says = OTHER_KINDS_OF_OUTPUT[kind]
    kept = tmp_path / "kept.root"
    shutil.copyfile(sample, kept)
    out = tmp_path / "out.root"
    make(out, kept)
    before = snapshot(tmp_path) if kind != "FIFO" else None
    proc = run_baler(baler, "compress", sample, out, check=False)
    assert proc.returncode != 0, proc.stdout
    assert proc.stderr.count("\n") == 1 and says in proc.stderr, proc.stderr
    assert os.path.islink(out) or kind == "FIFO" and pathlib.Path(out).is_fifo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.root", "out.root"]
    if before is not None:
        assert snapshot(tmp_path) == before


def test_a_replaced_output_keeps_its_permissions(baler, sample, tmp_path):
    """A private file (mode 600) replaced by a run stays private."""
    out = tmp_path / "out.root"
    shutil.copyfile(sample, out)
    out.chmod(0o600)
    run_baler(baler, "compress", sample, out, "--codec", "bits:10")
    assert out.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("name", ["keep#2.root", "o?x=1.root", "x" * 240 + ".root"], ids=["hash", "question mark", "long"])
def test_an_output_name_root_would_misread_or_too_long_for_a_temporary_name_is_written(baler, sample, tmp_path, name):
    """ROOT reads '#' and '?' in a file name as a URL's parts: the temporary file was created as
    '.keep' and the output left empty (an existing one emptied). A 245-byte name (legal) made a
    temporary name over the file system's limit."""
    out = tmp_path / name
    shutil.copyfile(sample, out)
    run_baler(baler, "compress", sample, out, "--codec", "bits:10")
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
    readable = tmp_path / "readable.root"  # a name ROOT reads as it is
    readable.symlink_to(out)
    comparison = compare_trees(sample, readable, "Events", "*=bits:10")
    assert comparison.total.values > 0 and comparison.total.bad == 0


def test_an_input_whose_name_root_reads_as_a_protocol_is_the_file_read(baler, tmp_path):
    """ROOT reads `file:e.root` as the URL of e.root: compress, inspect, export and eval of an input
    named so read e.root beside it, another file's tree, with exit 0. They read the file named."""
    run_baler(baler, "generate", tmp_path / "file:e.root", "--events", 200)
    run_baler(baler, "generate", tmp_path / "e.root", "--events", 100, "--sample", "detector")
    branches = lambda path: {r["branch"] for r in json.loads(  # noqa: E731
        run_baler(baler, "inspect", "--json", path, cwd=tmp_path).stdout)["branches"]}
    assert "Jet_pt" in branches("file:e.root") and "Pulse_adc" not in branches("file:e.root")
    run_baler(baler, "compress", "file:e.root", "out.root", "--codec", "bits:10", cwd=tmp_path)
    run_baler(baler, "export", "file:e.root", "exported.root", cwd=tmp_path)
    assert branches("out.root") == branches("exported.root") == branches("file:e.root")
    evaluated = run_baler(baler, "eval", "file:e.root", "out.root", "--branches", "Jet_pt", "--out", "report",
                          cwd=tmp_path)
    assert "Jet_pt" in evaluated.stdout, evaluated.stdout + evaluated.stderr


def test_paths_root_would_misread_are_refused_where_the_name_cannot_be_chosen(baler, sample, tmp_path):
    """An input named 'zz#1.root' was read as 'zz' (another file, exit 0); an output in a folder
    'run#1' overwrote the file 'run'. Both are refused and nothing is written."""
    other = tmp_path / "zz"
    other.write_bytes(b"an unrelated file\n")
    odd_input = tmp_path / "zz#1.root"
    shutil.copyfile(sample, odd_input)
    run_file = tmp_path / "run"
    run_file.write_text("important notes\n")
    (tmp_path / "run#1").mkdir()
    before = snapshot(tmp_path)
    for args, says in [((odd_input, tmp_path / "out.root"), "cannot open"),
                       ((sample, tmp_path / "run#1" / "x.root"), "output folder")]:
        proc = run_baler(baler, "compress", *args, check=False)
        assert proc.returncode != 0, proc.stdout
        assert proc.stderr.count("\n") == 1 and says in proc.stderr and "URL" in proc.stderr, proc.stderr
    assert snapshot(tmp_path) == before



def test_a_write_that_fails_names_its_cause(baler, sample, tmp_path):
    """A full file system, here a file size limit (`ulimit -f`), takes part of a write and refuses
    the rest: the error said "wrote 4302 of 14657 bytes" and not why; it now gives the system's
    reason. The existing output stays, no temporary file is left. baler ignores the limit's
    SIGXFSZ itself: it ended the run at once (exit status 153, no word, the temporary file left)."""
    out = tmp_path / "out.root"
    out.write_bytes(OLDER_OUTPUT)
    command = f'ulimit -f 20; exec "{baler}" compress "{sample}" "{out}" --codec bits:10'
    proc = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr.count("\n") == 1 and "File too large" in proc.stderr, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.root"] and out.read_bytes() == OLDER_OUTPUT


@pytest.fixture(scope="module")
def big_sample(baler, tmp_path_factory):
    """A sample that takes baler compress about 0.6 s after its temporary file appears (40 MB)."""
    path = tmp_path_factory.mktemp("big") / "big.root"
    run_baler(baler, "generate", path, "--events", 100000)
    return path


def signal_bit(status: str, field: str, number: int) -> bool:
    """Whether signal `number` is set in `field` (SigIgn, SigCgt, SigBlk) of a /proc status text."""
    line = next(line for line in status.splitlines() if line.startswith(field + ":"))
    return bool(int(line.split()[1], 16) >> (number - 1) & 1)


def stop(proc):
    """Stops `proc` (SIGSTOP) and returns its /proc status once it has stopped; None if it ended."""
    import signal
    import time
    proc.send_signal(signal.SIGSTOP)
    while True:
        status = pathlib.Path(f"/proc/{proc.pid}/status").read_text()
        if "State:\tT" in status:
            return status
        if "State:\tZ" in status:
            return None
        time.sleep(0.0005)


def start_compress(baler, big_sample, tmp_path, env=None):
    """`baler compress` started with SIGINT's and SIGQUIT's default actions, as from a terminal (a
    shell's background job would inherit them ignored), and no core file, writing over an existing OUT."""
    import resource
    import signal

    def as_from_a_terminal():
        for number in (signal.SIGINT, signal.SIGQUIT):
            signal.signal(number, signal.SIG_DFL)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    out = tmp_path / "out.root"
    out.write_bytes(OLDER_OUTPUT)
    proc = subprocess.Popen([str(baler), "compress", str(big_sample), str(out)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=env, preexec_fn=as_from_a_terminal)
    return out, proc


def assert_interrupted(proc, tmp_path, out, signal_number):
    proc.communicate(timeout=120)
    assert proc.returncode == -signal_number
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.root"]
    assert out.read_bytes() == OLDER_OUTPUT


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM", "SIGQUIT", "SIGXCPU", "SIGUSR1"])
def test_interrupted_compress_leaves_nothing_behind(baler, big_sample, tmp_path, signal_name):
    """Ctrl-C (or a kill) during the rewrite ends the run, removes the temporary file and keeps OUT.
    So does every signal whose default action ends the process: Ctrl-\\ (SIGQUIT), a batch
    system's CPU limit (SIGXCPU), SIGUSR1 ended the run and left the temporary file (a new-user
    sweep)."""
    import signal
    import time
    out, proc = start_compress(baler, big_sample, tmp_path)
    number = getattr(signal, signal_name)
    deadline = time.monotonic() + 120
    # Once the temporary file exists and the command handles the signal, stopped and signalled at
    # once, so that the signal lands mid-run however fast this machine codes the sample (about
    # 0.6 s of work is left then: ROOT's start-up, then the rewrite); delivered on SIGCONT.
    while True:
        assert proc.poll() is None and time.monotonic() < deadline, "no temporary file appeared"
        if any(p.name.startswith(".out.root.baler-") for p in tmp_path.iterdir()):
            status = stop(proc)
            assert status, "compress ended before it could be interrupted: make big_sample larger"
            if signal_bit(status, "SigCgt", number):
                break
            proc.send_signal(signal.SIGCONT)
        time.sleep(0.002)
    proc.send_signal(number)
    proc.send_signal(signal.SIGCONT)
    assert_interrupted(proc, tmp_path, out, number)


# mkstemp as libc's, then SIGTERM to the process the moment it has created a temporary output.
SIGTERM_AT_MKSTEMP = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
int mkstemp(char *pattern)
{
    int (*real)(char *) = (int (*)(char *))dlsym(RTLD_NEXT, "mkstemp");
    int fd = real(pattern);
    if (fd >= 0 && strstr(pattern, ".baler-"))
        kill(getpid(), SIGTERM);
    return fd;
}
"""


def test_a_signal_the_moment_the_temporary_file_exists_still_removes_it(baler, big_sample, tmp_path,
                                                                         tmp_path_factory):
    """The temporary file exists from mkstemp on, the handler that removes it on a signal only from
    a moment later: a signal between the two (a dataset run's child, sent SIGTERM as its parent
    ended, under load) left the file behind. A SIGTERM sent the moment mkstemp has created it (a
    preloaded mkstemp) now waits for the handler: the run ends, nothing is left, OUT is kept."""
    import signal
    shim_folder = tmp_path_factory.mktemp("sigterm_at_mkstemp")
    shim_source, shim = shim_folder / "sigterm_at_mkstemp.c", shim_folder / "sigterm_at_mkstemp.so"
    shim_source.write_text(SIGTERM_AT_MKSTEMP)
    run_command(["cc", "-shared", "-fPIC", "-o", shim, shim_source, "-ldl"])
    out, proc = start_compress(baler, big_sample, tmp_path, env=preloading(shim))
    assert_interrupted(proc, tmp_path, out, signal.SIGTERM)


def test_sigint_is_never_ignored_while_compress_writes(baler, big_sample, tmp_path):
    """A Ctrl-C at any moment of the run ends it. ROOT's TFile ignores SIGINT around each write
    (TFile::WriteBuffer sets SIG_IGN, then puts the handler back), and the kernel drops a signal
    that comes while it is ignored: a run interrupted inside one of its writes went on to replace
    OUT. Two runs are stopped again and again while they write their baskets (the temporary file
    past 64 KiB) and SIGINT must never be found ignored (before, a few percent of the stops were).
    The file's header, written by TFile's constructor with TFile's own method before, is not
    covered: those two writes still ignore SIGINT."""
    import signal
    import time

    def writing_baskets():
        return any(p.name.startswith(".out.root.baler-") and p.stat().st_size > 65536 for p in tmp_path.iterdir())

    for _ in range(2):
        out, proc = start_compress(baler, big_sample, tmp_path)
        deadline, stops = time.monotonic() + 120, 0
        while (status := stop(proc)) is not None:
            assert time.monotonic() < deadline
            if writing_baskets():
                stops += 1
                assert not signal_bit(status, "SigIgn", signal.SIGINT), f"SIGINT ignored at stop {stops}"
            proc.send_signal(signal.SIGCONT)
            time.sleep(0.0005)
        proc.communicate(timeout=120)
        assert proc.returncode == 0 and stops >= 50, (proc.returncode, stops, proc.stderr)


# --- The command line a user expects: named errors, JSON, --policy, warnings, closed pipes ---

@pytest.mark.parametrize("args, names", [
    (["compress", "{sample}", "{out}", "--codec", ""], "--codec"),
    (["compress", "{sample}", "{out}", "--policy", ""], "--policy"),
    (["compress", "{sample}", "{out}", "--branches", ""], "--branches"),
    (["compress", "{sample}", "{out}", "--tree", ""], "--tree"),
    (["compress", "{sample}"], "missing OUT.root"),
    # an empty path: the sentence ended "...but none was supplied: one of  (see"
    (["compress", "{sample}", ""], "a value is required for '[IN.root OUT.root | IN...]...' but none was supplied "
                                   "(see `baler compress --help`)"),
    (["export", "{sample}", ""], "a value is required for '<OUT.root>' but none was supplied (see `baler export"),
    (["inspect"], "missing FILE.root (see `baler inspect --help`)"),  # the command's own help
    (["generate"], "missing OUT.root (see `baler generate --help`)"),
    # the option's own name, not BALER_POLICY's, which the user did not set
    (["compress", "{sample}", "{out}", "--policy", "Events/Jet_pt"], 'invalid --policy rule "Events/Jet_pt"'),
    (["compress", "{sample}", "{out}", "--policy", "Events/Jet_pt=bits:99"], 'invalid --policy rule "Events/Jet_pt=bits:99"'),
    (["compress", "{sample}", "{out}", "{out}"], "too many files"),
    # a negative number is a value, not an unknown option ("unexpected argument '-5' found")
    (["generate", "{out}", "--events", "-5"], "--events must not be negative (got -5)"),
    (["compress", "{sample}", "{out}", "--threads", "-1"], "invalid value '-1' for '--threads <N>'"),
    # the values clap lists on a line of its own
    (["generate", "{out}", "--sample", "showers"], "invalid value 'showers' for '--sample <SAMPLE>': one of physics, detector"),
])
def test_bad_argument_is_named_in_one_line(baler, sample, tmp_path, args, names):
    """Each a usage error: exit status 2, as clap's own, one line that names what is wrong."""
    out = tmp_path / "out.root"
    proc = run_baler(baler, *[a.format(sample=sample, out=out) for a in args], check=False)
    assert proc.returncode == 2 and proc.stdout == "", (proc.returncode, proc.stderr)
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("baler: error: ") and names in lines[0], proc.stderr
    assert not out.exists()


@pytest.mark.parametrize("command", ["inspect", "compress"])
def test_closed_stdout_ends_quietly(baler, sample, tmp_path, command):
    """`baler inspect f.root | head -1`: the reader is gone before baler writes; no panic, no message."""
    args = [sample] if command == "inspect" else [sample, tmp_path / "out.root", "--codec", "lossless"]
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run([str(baler), command, *map(str, args)], stdout=write_end, stderr=subprocess.PIPE,
                              text=True, timeout=900)
    finally:
        os.close(write_end)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr


def test_compress_names_each_branchs_codec_as_inspect_does(baler, shared_data, tmp_path):
    """HZZ's MChadronicBottom_px holds only 0 under bits:10, which its blocks store exactly:
    `baler compress` named it `baler bits:10` (the spec), `baler inspect` `baler lossless` (the blocks)."""
    out = tmp_path / "hzz.root"
    written = json.loads(run_baler(baler, "compress", shared_data / "uproot-HZZ.root", out, "--json").stdout)
    inspected = json.loads(run_baler(baler, "inspect", out, "--json").stdout)
    after = {(row["tree"], row["branch"]): row["codec_after"] for row in written["branches"]}
    assert after == {(row["tree"], row["branch"]): row["codec"] for row in inspected["branches"]}
    assert after[("events", "MChadronicBottom_px")] == "baler lossless"
    assert after[("events", "Muon_Px")] == "baler bits:10"


def test_compress_and_inspect_json_hold_the_table(baler, sample, tmp_path):
    text = run_baler(baler, "compress", sample, tmp_path / "text.root", "--branches", "Jet_*").stdout
    report = json.loads(run_baler(baler, "compress", sample, tmp_path / "json.root", "--branches", "Jet_*",
                                  "--json").stdout)
    assert report["codec"] == "bits:10" and report["branch_globs"] == ["Jet_*"] and report["warnings"] == []
    table = table_rows(text)
    assert len(report["branches"]) == len(table) == 24
    for row in report["branches"]:
        cells = table[f"{row['tree']}/{row['branch']}"]
        assert cells == [row["type"], str(row["entries"]), str(row["bytes_before"]), str(row["bytes_after"]),
                         f"{row['ratio']:.2f}x", *row["codec_before"].split(), *row["codec_after"].split()], (cells, row)
    total = report["total"]
    assert total["bytes_before"] == sum(r["bytes_before"] for r in report["branches"])
    assert total["bytes_after"] == sum(r["bytes_after"] for r in report["branches"])
    assert text.split("total (24 branches)")[1].split()[:3] == \
        [str(total["bytes_before"]), str(total["bytes_after"]), f"{total['ratio']:.2f}x"]
    assert report["file_size"]["after"] == (tmp_path / "json.root").stat().st_size

    inspected = json.loads(run_baler(baler, "inspect", tmp_path / "json.root", "--json").stdout)
    table = table_rows(run_baler(baler, "inspect", tmp_path / "json.root").stdout)
    assert inspected["size"] == (tmp_path / "json.root").stat().st_size
    assert len(inspected["branches"]) == len(table) == 24
    for row in inspected["branches"]:
        cells = table[f"{row['tree']}/{row['branch']}"]
        assert cells == [row["type"], str(row["entries"]), str(row["compressed"]), str(row["uncompressed"]),
                         f"{row['ratio']:.2f}x", *row["codec"].split()], (cells, row)
    assert inspected["total"]["compressed"] == sum(r["compressed"] for r in inspected["branches"])


def codecs_after(report) -> dict:
    return {r["branch"]: r["codec_after"] for r in report["branches"]}


def test_policy_gives_per_branch_codecs_first_match_wins(baler, sample, tmp_path):
    out = tmp_path / "policy.root"
    proc = run_baler(baler, "compress", sample, out, "--json", "--branches", "Muon_pt",
                     "--policy", "Events/Jet_pt=rel:1e-3, Events/Jet_*=bits:5,*/MET_*=abs:0.01")
    assert proc.stderr == "", proc.stderr
    codecs = codecs_after(json.loads(proc.stdout))
    assert codecs["Jet_pt"] == "baler rel:1e-3"  # the first rule, not the second
    assert codecs["Jet_eta"] == codecs["Jet_btag"] == "baler bits:5"
    assert codecs["MET_pt"] == codecs["MET_phi"] == "baler abs:0.01"
    assert codecs["Muon_pt"] == "baler bits:10"  # --codec's default on --branches
    assert codecs["Muon_eta"] == codecs["Calo_E"] == codecs["nJet"] == "zstd 5"  # not selected: copied as stored
    # Every value within its branch's bound, every other value exact.
    comparison = compare_trees(sample, out, "Events",
                               "Jet_pt=rel:1e-3,Jet_*=bits:5,MET_*=abs:0.01,Muon_pt=bits:10")
    assert comparison.total.bad == 0 and comparison.plugin_loaded, comparison.output
    assert all(comparison.branches[b].changed > 0 for b in ("Jet_pt", "Jet_eta", "MET_pt", "Muon_pt"))


def test_policy_alone_leaves_other_float_branches_as_stored(baler, sample, tmp_path):
    proc = run_baler(baler, "compress", sample, tmp_path / "out.root", "--json", "--policy", "Events/MET_pt=bits:5")
    report = json.loads(proc.stdout)
    assert report["codec"] is None
    codecs = codecs_after(report)
    assert codecs.pop("MET_pt") == "baler bits:5"
    assert set(codecs.values()) == {"zstd 5"}  # the sample's own compression: baskets copied


def test_compress_reports_the_codec_a_baler_input_holds(baler, sample, tmp_path):
    """A Baler file compressed again: a branch it leaves as stored reports, before and after, what
    its blocks hold, as `baler inspect` does. A spec chosen through SetCodec (rel:) leaves the
    branch's compression setting at Baler lossless, and that is what the table said."""
    first = tmp_path / "rel.root"
    run_baler(baler, "compress", sample, first, "--branches", "MET_pt", "--codec", "rel:1e-3")
    inspected = {r["branch"]: r["codec"] for r in json.loads(run_baler(baler, "inspect", first, "--json").stdout)["branches"]}
    assert inspected["MET_pt"].startswith("baler rel:"), inspected
    report = json.loads(run_baler(baler, "compress", first, tmp_path / "again.root", "--json", "--branches", "Jet_pt").stdout)
    met = next(r for r in report["branches"] if r["branch"] == "MET_pt")
    assert met["codec_before"] == met["codec_after"] == inspected["MET_pt"], met


def test_inspect_reports_the_baskets_of_a_tree_copied_fast(baler, sample, tmp_path):
    """ROOT's fast copy (CloneTree(-1, "fast")) keeps the baskets as stored under the setting of the
    file it copies into: Baler blocks under ZLIB-101 said `zlib 1`, and `baler eval` then held
    rounded values to an exact codec; ZSTD baskets said `zlib 1` too."""
    baler_file, copied = tmp_path / "rel.root", tmp_path / "fast.root"
    run_baler(baler, "compress", sample, baler_file, "--branches", "MET_pt", "--codec", "rel:1e-3")
    run_macro("fast_copy", baler_file, copied, "Events", 101)
    codecs = {r["branch"]: r["codec"] for r in json.loads(run_baler(baler, "inspect", copied, "--json").stdout)["branches"]}
    assert codecs.pop("MET_pt").startswith("baler rel:"), codecs
    assert set(codecs.values()) == {"zstd"}, codecs  # the sample's ZSTD-505 baskets, whose level no basket records


def test_selection_that_matches_nothing_is_a_warning(baler, sample, tmp_path):
    proc = run_baler(baler, "compress", sample, tmp_path / "out.root", "--branches", "Jet_pt", "--branches", "Nope*",
                     "--branches", "nJet", "--policy", "Events/MET_*=bits:5,Other/*=bits:3,Events/MET_pt=bits:7")
    warnings = [l for l in proc.stderr.splitlines() if l.strip()]
    assert warnings == [
        "baler: warning: --policy rule 'Other/*=bits:3' selects no float or double branch (no match, or an earlier "
        "rule takes them)",
        "baler: warning: --policy rule 'Events/MET_pt=bits:7' selects no float or double branch (no match, or an "
        "earlier rule takes them)",
        "baler: warning: --branches 'Nope*' selects no float or double branch that no --policy rule takes",
        "baler: warning: --branches 'nJet' selects no float or double branch that no --policy rule takes",
    ], proc.stderr
    assert table_rows(proc.stdout)["Events/Jet_pt"][-1] == "bits:10"


def test_globs_that_select_no_branch_at_all_fail_and_leave_the_output(baler, sample, tmp_path):
    """Every --branches glob selecting nothing (and no --policy) left a copy of the input at OUT,
    with a warning and exit status 0, where a --tree naming no tree fails."""
    out = tmp_path / "out.root"
    shutil.copyfile(sample, out)
    before = snapshot(tmp_path)
    proc = run_baler(baler, "compress", sample, out, "--branches", "Nope*", "--branches", "nJet", check=False)
    assert proc.returncode == 1 and proc.stderr == (f"baler: error: --branches 'Nope*', 'nJet' selects no float or "
                                                    f"double branch of '{sample}': nothing to compress\n"), proc.stderr
    assert snapshot(tmp_path) == before


def test_a_codec_that_the_policy_leaves_no_branch_is_a_warning(baler, sample, tmp_path):
    """--codec applies to the float branches no --policy rule takes: with a catch-all rule it coded
    nothing, without a word. Where a rule leaves some, it is used and nothing is said."""
    proc = run_baler(baler, "compress", sample, tmp_path / "all.root", "--policy", "*/*=bits:8", "--codec", "bits:12")
    assert [l for l in proc.stderr.splitlines() if l.strip()] == [
        "baler: warning: --codec bits:12 selects no float or double branch: the --policy rules take every one"
    ], proc.stderr
    proc = run_baler(baler, "compress", sample, tmp_path / "some.root", "--policy", "*/Jet_*=bits:8", "--codec", "bits:12")
    assert proc.stderr.strip() == "" and table_rows(proc.stdout)["Events/MET_pt"][-1] == "bits:12", proc.stderr


def test_bits_above_a_floats_mantissa_says_the_floats_stay(baler, shared_data, tmp_path):
    """`--codec bits:24` on HZZ, whose float branches it cannot round, changed nothing without a word."""
    proc = run_baler(baler, "compress", shared_data / "uproot-HZZ.root", tmp_path / "out.root", "--codec", "bits:24")
    warnings = [l for l in proc.stderr.splitlines() if l.strip()]
    assert warnings == ["baler: warning: bits:24 keeps every bit of a float (it has 23 mantissa bits): 41 float "
                        "branches kept as stored"], proc.stderr


def test_bits_above_a_floats_mantissa_rounds_the_doubles_of_a_leaf_list(baler, tmp_path):
    """A leaf list `b/D:a/F` holds a double: bits:30 rounds it (and keeps the float). The rewriter
    took the branch's type, "struct", for a float's and kept the branch as stored, with the
    warning that its floats stay."""
    path = tmp_path / "leaflist.root"
    run_command(["root.exe", "-l", "-b", "-q", "-e",
                 f'TFile f("{path}", "RECREATE"); TTree t("T", ""); struct {{ double b; float a; }} s; '
                 't.Branch("s", &s, "b/D:a/F"); for (int i = 0; i < 20000; ++i) { s.b = i * 0.123456789; '
                 "s.a = i * 0.37f; t.Fill(); } t.Write(); f.Close();", "-e", "0"])
    proc = run_baler(baler, "compress", path, tmp_path / "out.root", "--codec", "bits:30")
    assert proc.stderr.strip() == "", proc.stderr
    assert " ".join(table_rows(proc.stdout)["T/s"]).endswith("baler f32 lossless, f64 bits:30"), proc.stdout


def test_bits_23_on_floats_is_reported_as_the_lossless_coding_it_is(baler, sample, tmp_path):
    """bits:23 keeps all 23 mantissa bits of a float, so the codec stores floats losslessly; the
    table said `baler bits:23` where inspect says `baler lossless`. Doubles keep bits:23."""
    out = tmp_path / "out.root"
    proc = run_baler(baler, "compress", sample, out, "--codec", "bits:23", "--branches", "Jet_pt", "--branches", "genWeight")
    table = table_rows(proc.stdout)
    inspected = table_rows(run_baler(baler, "inspect", out).stdout)
    assert table["Events/Jet_pt"][-2:] == inspected["Events/Jet_pt"][-2:] == ["baler", "lossless"], (table, inspected)
    assert table["Events/genWeight"][-2:] == ["baler", "bits:23"], table


def test_environment_policy_does_not_override_the_command_line(baler, sample, tmp_path):
    """BALER_POLICY in the shell used to win over --codec: `--codec lossless` wrote bits:3 and said lossless."""
    out = tmp_path / "out.root"
    proc = subprocess.run([str(baler), "compress", str(sample), str(out), "--codec", "lossless"], capture_output=True,
                          text=True, timeout=900, env={**os.environ, "BALER_POLICY": "*/*=bits:3"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "baler: warning: BALER_POLICY is not applied by `baler compress`: pass the rules with " \
                          "--policy\n"
    comparison = compare_trees(sample, out, "Events")
    assert comparison.total.values > 0 and comparison.total.changed == 0, comparison.output


# --- Never larger: a basket without float values is never larger than ROOT's ZSTD-505 of it ---

# The generated sample's branches without float values; the sample is written with ZSTD-505.
WITHOUT_FLOATS = ["run", "luminosityBlock", "event", "PV_npvs", "nJet", "nMuon", "Muon_charge"]


@pytest.mark.parametrize("codec", ["lossless", "bits:10"])
def test_branches_without_floats_are_never_larger_than_zstd505(baler, sample, tmp_path, codec):
    out = tmp_path / "out.root"
    report = json.loads(run_baler(baler, "compress", sample, out, "--codec", codec, "--json").stdout)
    rows = {r["branch"]: r for r in report["branches"]}
    for name in WITHOUT_FLOATS:
        assert rows[name]["codec_before"] == "zstd 5", rows[name]
        assert rows[name]["bytes_after"] <= rows[name]["bytes_before"], rows[name]
    # Where ZSTD won, the baskets are ROOT's standard blocks: uproot reads them without Baler.
    import uproot
    with uproot.open(sample) as a, uproot.open(out) as b:
        for name in ["run", "luminosityBlock", "event"]:
            assert b["Events"][name].array(library="np").tolist() == a["Events"][name].array(library="np").tolist()


def test_all_blocks_of_a_basket_are_of_one_kind(tmp_path):
    """A 20 MiB basket of integers is compressed as two blocks; chosen block by block, the first
    was ROOT's ZSTD and the second Baler's, which uproot cannot read."""
    path = tmp_path / "blocks.root"
    output = run_macro("cli_block_kinds", path)
    assert "blocks v 0: ZS ZS" in output and "values_equal 1" in output, output
    import baler_root  # noqa: F401 (teaches uproot Baler's blocks)
    import numpy as np
    import uproot
    state, period = 12345, []
    for _ in range(1000):  # the macro's generator
        state = (state * 1103515245 + 12345) % 2**32
        period.append(state)
    period = np.array(period, dtype=np.uint32).view(np.int32)
    expected = np.concatenate([np.resize(period, 4 << 20), np.arange(4 << 20, 5 << 20, dtype=np.int32)])
    with uproot.open(path) as f:
        assert np.array_equal(f["t"]["v"].array(library="np")[0], expected)


@pytest.mark.parametrize("command", ["compress", "export"])
def test_a_file_with_an_rntuple_is_refused_not_half_copied(baler, shared_data, tmp_path, command):
    """The RNTuple's anchor alone would be copied without its pages (exit 0, a 973-byte file that
    has lost the data): the command must refuse, in its own name, and write nothing."""
    out = tmp_path / "out.root"
    proc = run_baler(baler, command, shared_data / "Run2012BC_DoubleMuParked_Muons_1000evts_rntuple_v1-0-0-0.root",
                     out, check=False)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert f"is an RNTuple (ROOT::RNTuple): baler {command} rewrites TTrees" in proc.stderr, proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_inspect_names_an_rntuple_it_does_not_describe(baler, shared_data):
    """It said only "no TTree in this file", as for a file that holds no data at all."""
    proc = run_baler(baler, "inspect", shared_data / "Run2012BC_DoubleMuParked_Muons_1000evts_rntuple_v1-0-0-0.root")
    assert "no TTree in this file" in proc.stdout, proc.stdout
    assert "'Events' is an RNTuple (ROOT::RNTuple): baler describes TTrees only" in proc.stderr, proc.stderr


WRITE_UNDER_BALER_SETTINGS = """
import sys, array, ROOT
f = ROOT.TFile(sys.argv[1], "RECREATE")
f.SetCompressionSettings(int(sys.argv[2]))
t = ROOT.TTree("t", "one branch of each kind")
x, n, h, d = array.array("f", [0]), array.array("i", [0]), array.array("f", [0]), array.array("d", [0])
t.Branch("x", x, "x/F"); t.Branch("n", n, "n/I"); t.Branch("h", h, "h/f"); t.Branch("d32", d, "d32/d")
for i in range(2000):
    x[0] = h[0] = d[0] = 1.0 + i / 3.0
    n[0] = i
    t.Fill()
f.Write()
"""


def test_inspect_names_what_a_baler_setting_does_to_each_kind_of_branch(baler, tmp_path):
    """`Baler::Settings(10)` rounds float and double values; the others (Int_t, and Float16_t and
    Double32_t, which ROOT packs itself) are stored exactly, but were reported as `baler bits:10`."""
    path = tmp_path / "kinds.root"
    run_command([sys.executable, "-c", WRITE_UNDER_BALER_SETTINGS, path, baler_settings(10)], env=preload_env())
    codec = {row["branch"]: row["codec"] for row in json.loads(run_baler(baler, "inspect", path, "--json").stdout)["branches"]}
    assert codec == {"x": "baler bits:10", "n": "baler lossless", "h": "baler lossless", "d32": "baler lossless"}, codec


FLOAT_BESIDE_A_STRING = """
#include "TFile.h"
#include "TTree.h"
#include <cstdio>
#include <cstring>

int float_beside_a_string(const char *path, int settings)
{
   TFile file(path, "RECREATE", "", settings);
   TTree tree("t", "");
   char entry[32] = {};
   tree.Branch("ms", entry, "m/F:s/C");
   for (int i = 0; i < 5000; ++i) {
      const float m = 1.2345f * i;
      std::memcpy(entry, &m, sizeof m);
      std::snprintf(entry + sizeof m, sizeof entry - sizeof m, "s%d", i % 10);
      tree.Fill();
   }
   tree.Write();
   return 0;
}
"""


def test_floats_the_plugin_cannot_locate_are_named_as_stored_exactly(baler, tmp_path):
    """A leaf list of a float and a C string: the plugin cannot tell where an entry's float is, so
    it codes the basket as bytes, exactly; under `Baler::Settings(10)` inspect read the setting and
    said `baler bits:10` (a layout sweep). The blocks hold no float: `baler lossless`."""
    (tmp_path / "float_beside_a_string.C").write_text(FLOAT_BESIDE_A_STRING)
    path, reference = tmp_path / "ms.root", tmp_path / "ms_zstd.root"
    run_macro("float_beside_a_string", path, baler_settings(10), folder=tmp_path, env=preload_env())
    run_macro("float_beside_a_string", reference, 505, folder=tmp_path)
    codec = {row["branch"]: row["codec"] for row in json.loads(run_baler(baler, "inspect", path, "--json").stdout)["branches"]}
    assert codec == {"ms": "baler lossless"}, codec
    exact = run_python(f"""
import ROOT
def values(path):
    f = ROOT.TFile.Open(path)
    t = f.Get("t")
    return [t.GetEntry(i) > 0 and t.GetLeaf("m").GetValue() for i in range(t.GetEntries())]
print("exact", values("{path}") == values("{reference}"))
""", env=preload_env())
    assert "exact True" in exact, exact


def test_a_policy_rule_can_name_a_trees_folder(baler, tmp_path):
    """Two trees named Events, one in folder sub: `sub/Events/x=...` reaches that one alone (it
    matched nothing, read as tree `sub`), `Events/x=...` still reaches both."""
    source, out, both = tmp_path / "two.root", tmp_path / "sub.root", tmp_path / "both.root"
    run_macro("small_tree", tmp_path / "top.root", "Events", 1000)
    run_macro("small_tree", tmp_path / "sub_only.root", "sub/Events", 1000)
    run_command(["hadd", "-f", source, tmp_path / "top.root", tmp_path / "sub_only.root"])
    for path, rule in [(out, "sub/Events/x=bits:5"), (both, "Events/x=bits:5")]:
        proc = run_baler(baler, "compress", source, path, "--policy", rule, "--json")
        report = json.loads(proc.stdout)
        assert report["warnings"] == [], report["warnings"]
        recoded = {row["tree"] for row in report["branches"] if row["branch"] == "x" and row["codec_after"] == "baler bits:5"}
        assert recoded == ({"Events", "sub/Events"} if path == both else {"sub/Events"}), report["branches"]


def test_a_dataset_run_signalled_alone_stops_its_child(baler, big_sample, tmp_path):
    """SIGINT to the dataset's own process, not to its group (a terminal's Ctrl-C reaches the group;
    a scheduler's or a script's kill need not): the process ended, and its child went on and wrote
    its output, unreported. The child now gets SIGTERM when its parent ends, and removes its
    temporary file. It is held stopped across the parent's end, so that it cannot finish first."""
    import signal
    import time
    out = tmp_path / "out"
    proc = subprocess.Popen([str(baler), "compress", str(big_sample), "--out-dir", str(out), "--jobs", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not (out.is_dir() and any(p.name.startswith(".big.root.baler-") for p in out.iterdir())):
        assert proc.poll() is None and time.monotonic() < deadline, "no temporary file appeared"
        time.sleep(0.002)
    child = int(child_processes(proc.pid)[0])
    os.kill(child, signal.SIGSTOP)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)
    os.kill(child, signal.SIGCONT)
    deadline = time.monotonic() + 30
    while pathlib.Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert list(out.iterdir()) == [], list(out.iterdir())


def test_inspect_names_baler_blocks_of_a_branch_with_no_float_copied_fast(baler, tmp_path):
    """An Int_t branch written under a Baler setting holds Baler blocks (its values exact): copied
    fast into a ZSTD-505 file it read `zstd 5`, the setting of the copy, although a reader needs
    the plugin for it as for the float branches (a macro-writer's sweep)."""
    plain, coded, copied = tmp_path / "plain.root", tmp_path / "coded.root", tmp_path / "fast.root"
    run_macro("small_tree", plain, "Events", 2000)
    run_macro("rewrite_tree", plain, coded, "Events", baler_settings(10))
    run_macro("fast_copy", coded, copied, "Events", 505)
    codecs = {r["branch"]: r["codec"] for r in json.loads(run_baler(baler, "inspect", copied, "--json").stdout)["branches"]}
    assert codecs == {"x": "baler bits:10", "d": "baler bits:10", "n": "baler lossless"}, codecs


LATE_CODEC = """
#include "Baler/Baler.h"
#include "TFile.h"
#include "TTree.h"

int late_codec(const char *path)
{
   TFile file(path, "RECREATE", "", 505);
   TTree tree("Events", "");
   float x = 0;
   TBranch *branch = tree.Branch("x", &x, "x/F");
   tree.SetAutoFlush(500);
   for (int i = 0; i < 2000; ++i) {
      if (i == 1000)
         Baler::SetCodec(branch, Baler::Codec::Abs(0.5));
      x = 0.37f * i;
      tree.Fill();
   }
   tree.Write();
   return 0;
}
"""


def test_inspect_names_both_kinds_of_basket_of_a_branch(baler, tmp_path):
    """SetCodec after the first baskets were written: those stay ZSTD, exact, and the branch read
    "baler abs:0.5" alone, as if every value had been rounded (a macro-writer's sweep)."""
    (tmp_path / "late_codec.C").write_text(LATE_CODEC)
    path = tmp_path / "late.root"
    run_macro("late_codec", path, folder=tmp_path)
    codecs = {r["branch"]: r["codec"] for r in json.loads(run_baler(baler, "inspect", path, "--json").stdout)["branches"]}
    assert codecs == {"x": "baler abs:0.5 | zstd"}, codecs


CODEC_BEFORE_A_FAST_COPY = """
#include "Baler/Baler.h"
#include "TFile.h"
#include "TTree.h"

int codec_before_a_fast_copy(const char *inPath, const char *outPath)
{
   {
      TFile in(inPath, "RECREATE", "", 505);
      TTree tree("T", "");
      float x = 0;
      int n = 0;
      tree.Branch("x", &x, "x/F");
      tree.Branch("n", &n, "n/I");
      for (int i = 0; i < 20000; ++i) {
         x = 0.37f * i;
         n = i;
         tree.Fill();
      }
      tree.Write();
   }
   TFile in(inPath);
   TFile out(outPath, "RECREATE", "", 505);
   TTree *copy = in.Get<TTree>("T")->CloneTree(0);
   Baler::SetCodec(copy, "*", Baler::Codec::Bits(4));
   copy->CopyEntries(in.Get<TTree>("T"), -1, "fast");
   copy->Write();
   return 0;
}
"""


def test_a_codec_set_before_a_fast_copy_is_reported_as_not_applied(baler, tmp_path):
    """SetCodec(bits:4), then CopyEntries(..., "fast"): the baskets are copied as stored (ZSTD, every
    value exact), which no codec changes. The macro said nothing, and inspect named the branches
    `baler lossless`, the Baler setting's word for blocks it never wrote (a write-path sweep)."""
    (tmp_path / "codec_before_a_fast_copy.C").write_text(CODEC_BEFORE_A_FAST_COPY)
    source, copied = tmp_path / "source.root", tmp_path / "copied.root"
    output = run_macro("codec_before_a_fast_copy", source, copied, folder=tmp_path)
    assert "Baler::SetCodec chose a codec for branches whose baskets were then copied as they were stored" in output
    assert "T/x (bits:4) keep their values and compression as stored" in output, output
    codecs = {r["branch"]: r["codec"] for r in json.loads(run_baler(baler, "inspect", copied, "--json").stdout)["branches"]}
    assert codecs["x"] == "zstd (exact: the Baler setting was not applied)", codecs
    assert compare_trees(source, copied, "T").branches["x"].changed == 0


APPEND_WITH_SET_CODEC = """
#include "Baler/Baler.h"
#include "TFile.h"
#include "TTree.h"

#include <cmath>

int append_with_set_codec(const char *path, bool update)
{
   TFile file(path, update ? "UPDATE" : "RECREATE");
   TTree *tree = update ? file.Get<TTree>("T") : new TTree("T", "");
   float x = 0;
   if (update) {
      tree->SetBranchAddress("x", &x);
   } else {
      tree->Branch("x", &x, "x/F");
      tree->SetAutoFlush(100);
   }
   Baler::SetCodec(tree, "x", Baler::Codec::Rel(1e-3));
   const Long64_t first = tree->GetEntries();
   for (Long64_t i = first; i < first + 1000; ++i) {
      x = 100 * std::sin(0.01 * i) + 200;
      tree->Fill();
   }
   tree->Write("", TObject::kOverwrite);
   return 0;
}
"""


def test_set_codec_again_on_a_tree_reopened_to_append_gives_no_fast_copy_warning(baler, tmp_path):
    """The README says to call SetCodec again on a tree reopened in UPDATE; doing so warned that the
    branch's baskets were "copied as they were stored" and kept their values, while the new ones
    were coded: the baskets an earlier process wrote were taken for a fast copy's (a long-jobs sweep)."""
    (tmp_path / "append_with_set_codec.C").write_text(APPEND_WITH_SET_CODEC)
    path = tmp_path / "appended.root"
    run_macro("append_with_set_codec", path, 0, folder=tmp_path)
    time.sleep(1.1)  # the earlier process's keys are dated to the second
    output = run_macro("append_with_set_codec", path, 1, folder=tmp_path)
    assert "copied as they were stored" not in output and "Warning" not in output, output
    codecs = {r["branch"]: r["codec"] for r in json.loads(run_baler(baler, "inspect", path, "--json").stdout)["branches"]}
    assert codecs["x"] == "baler rel:1e-3", codecs
    import baler_root  # noqa: F401 (teaches uproot Baler's blocks)
    with uproot.open(path) as f:
        values = f["T"]["x"].array(library="np")
    exact = (100 * np.sin(0.01 * np.arange(2000)) + 200).astype(np.float32)
    assert len(values) == 2000 and np.all(np.abs(values / exact - 1) <= 1e-3)
    assert np.count_nonzero(values[1000:] != exact[1000:]) > 500  # the appended values were coded


def assert_named_and_within_its_bound(baler, original, compressed, branch, named, tmp_path):
    """`baler inspect` names `branch` of `compressed` as `named`, and `baler eval` against `original`
    finds its values within that codec's bound."""
    codecs = {r["branch"]: r["codec"] for r in json.loads(run_baler(baler, "inspect", compressed, "--json").stdout)["branches"]}
    assert codecs[branch] == named, codecs
    evaluated = run_baler(baler, "eval", original, compressed, "--branches", branch, "--out", tmp_path / "report",
                          "--max-plots", "0")
    assert "BOUND BROKEN" not in evaluated.stdout, evaluated.stdout


def test_a_branch_whose_baler_blocks_are_lossless_names_the_spec_of_its_other_baskets(baler, shared_data, tmp_path):
    """HZZ's Muon_Px under abs:1e-8: one basket's Baler block is not smaller, so its rounded values
    are zipped as the input was (ZLIB); the other's values are already on the grid, a lossless
    block. compress and inspect named the branch `baler lossless (| zlib)`, and eval held the
    rounded values to exactness: BOUND BROKEN, exit 1, for a file within its bound (a
    training-and-evaluation sweep)."""
    original, rounded = shared_data / "uproot-HZZ.root", tmp_path / "abs.root"
    proc = run_baler(baler, "compress", original, rounded, "--codec", "abs:1e-8")
    assert table_rows(proc.stdout)["events/Muon_Px"][-3:] == ["abs:1e-8", "|", "lossless"], proc.stdout
    assert_named_and_within_its_bound(baler, original, rounded, "Muon_Px", "baler abs:1e-8 | lossless | zlib", tmp_path)


def test_a_baler_file_compressed_again_at_its_spec_still_names_it(baler, tmp_path):
    """A bits:10 output compressed again at bits:10: Calo_E's values are on the grid already, so
    every new block holds them exactly, and inspect named the branch `baler lossless`; eval of the
    original against it held the rounded values to exactness: BOUND BROKEN, exit 1, for values
    within 2^-11 of the original (a docs sweep). The input's spec is noted and named beside them."""
    original, once, twice = tmp_path / "original.root", tmp_path / "once.root", tmp_path / "twice.root"
    run_baler(baler, "generate", original, "--events", 3000, "--seed", 7)
    run_baler(baler, "compress", original, once, "--codec", "bits:10")
    proc = run_baler(baler, "compress", once, twice, "--codec", "bits:10")
    assert table_rows(proc.stdout)["Events/Calo_E"][-3:] == ["bits:10", "|", "lossless"], proc.stdout
    assert_named_and_within_its_bound(baler, original, twice, "Calo_E", "baler bits:10 | lossless", tmp_path)


FEW_VALUES = """
#include "Baler/Baler.h"
#include "TFile.h"
#include "TTree.h"

int few_values(const char *path, bool throughBaler)
{
   TFile file(path, "RECREATE", "", 505);
   TTree tree("t", "");
   float x = 0;
   double y = 0;
   tree.Branch("x", &x, "x/F");
   tree.Branch("y", &y, "y/D");
   if (throughBaler)
      Baler::SetCodec(&tree, "*", Baler::Codec::Abs(0.5));
   for (int i = 0; i < 5; ++i) {
      x = 1.2345f * (i + 1);
      y = 1.2345 * (i + 1);
      tree.Fill();
   }
   tree.Write();
   return 0;
}
"""


def test_values_rounded_without_a_baler_block_are_named_by_their_spec(baler, tmp_path):
    """Five entries under SetCodec abs:0.5: no Baler block pays for so few values, so the hook rounds
    them and ROOT stores the basket as it is. inspect said `baler lossless` (the branch's setting,
    4299), and eval held the rounded values to exactness: BOUND BROKEN, exit 1 (a layout sweep).
    The tree notes the spec now, as `baler compress` does; and compressing that file again names
    the new spec, not the note the input carried."""
    (tmp_path / "few_values.C").write_text(FEW_VALUES)
    original, written, again = tmp_path / "original.root", tmp_path / "rounded.root", tmp_path / "again.root"
    run_macro("few_values", original, "false", folder=tmp_path)
    run_macro("few_values", written, "true", folder=tmp_path)
    codecs = lambda path: {r["branch"]: r["codec"] for r in json.loads(  # noqa: E731
        run_baler(baler, "inspect", path, "--json").stdout)["branches"]}
    assert codecs(written) == {"x": "baler abs:0.5", "y": "baler abs:0.5"}
    evaluated = run_baler(baler, "eval", original, written, "--out", tmp_path / "report")
    assert "BOUND BROKEN" not in evaluated.stdout, evaluated.stdout
    run_baler(baler, "compress", written, again, "--codec", "abs:2")
    assert codecs(again) == {"x": "baler abs:2", "y": "baler abs:2"}


@pytest.mark.parametrize("command", ["compress", "export"])
@pytest.mark.parametrize("unclosed", [False, True])
def test_an_input_that_holds_no_tree_is_an_error(baler, tmp_path, command, unclosed):
    """A job cut short before its tree was saved leaves the keys written first (an `ae:` model):
    compress and export wrote an output of no tree, "0 branches", exit 0, under a warning that
    "a tree may lack its last entries" (a crash-recovery sweep); so did a file that never held a
    tree. Now one error, and OUT is left as it was."""
    path, out = tmp_path / "in.root", tmp_path / "out.root"
    if unclosed:
        write_unclosed(path, key_first=True)
    else:
        run_command([sys.executable, "-c", f"import ROOT; f = ROOT.TFile('{path}', 'RECREATE'); "
                                           "ROOT.TNamed('n', 't').Write(); f.Close()"])
    out.write_bytes(OLDER_OUTPUT)
    proc = run_baler(baler, command, path, out, check=False)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("baler: error: ")]
    assert proc.returncode == 1 and len(errors) == 1, proc.stderr
    assert errors[0].startswith(f"baler: error: '{path}' holds no TTree") and errors[0].endswith(
        f"nothing to {command}"), errors[0]
    assert ("it was not closed" in errors[0]) == unclosed, errors[0]
    assert out.read_bytes() == OLDER_OUTPUT
