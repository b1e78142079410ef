"""Issue 15: datasets. `baler compress IN... --out-dir DIR` compresses each input by its own
`baler compress IN OUT` process, --jobs at a time or as Dask tasks (--dask, a local cluster here);
a corrupt input is reported in the summary table and the others go on."""
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
import uproot

import baler_root  # noqa: F401 (teaches uproot Baler's blocks)
from bounds import Spec, Tally
from conftest import MACROS, baler, child_processes, compare_trees, preload_env, run_baler, run_command  # noqa: F401 (baler: a fixture)
from test_cli_safety import corrupted_copy

SEEDS = (1, 2, 3)


@pytest.fixture(scope="module")
def dataset(baler, tmp_path_factory) -> pathlib.Path:
    """A folder of three small generated files and one corrupt copy of the first."""
    folder = tmp_path_factory.mktemp("dataset")
    for seed in SEEDS:
        run_baler(baler, "generate", folder / f"part{seed}.root", "--events", 500, "--seed", seed)
    corrupted_copy(folder / "part1.root", folder / "corrupt.root")
    return folder


def summary(stdout: str) -> dict:
    """{file name: [bytes before, bytes after, ratio, status...]} from the dataset table."""
    rows = {}
    for line in stdout.splitlines():
        cells = line.split()
        if cells and cells[0].endswith(".root"):
            rows[pathlib.Path(cells[0]).name] = cells[1:]
    return rows


def codecs(baler, path) -> dict:
    return {r["branch"]: r["codec"] for r in json.loads(run_baler(baler, "inspect", path, "--json").stdout)["branches"]}


def check_dataset_run(baler, dataset, out, proc):
    """What every route must give: the good files compressed with the options passed through,
    within their bound; the corrupt one failed with its one-line error and nothing left for it."""
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "baler: error: 1 of 4 inputs failed (see the table)", proc.stderr
    rows = summary(proc.stdout)
    assert sorted(rows) == ["corrupt.root", "part1.root", "part2.root", "part3.root"], proc.stdout
    for seed in SEEDS:
        name = f"part{seed}.root"
        before, after, ratio, status = rows[name]
        assert status == "ok" and int(before) == (dataset / name).stat().st_size, rows[name]
        assert int(after) == (out / name).stat().st_size and int(after) < int(before), rows[name]
        found = codecs(baler, out / name)
        assert found["Jet_pt"] == "baler bits:8" and found["Muon_pt"] == "zstd 5", found  # not selected: as stored
    assert rows["corrupt.root"][1:4] == ["-", "-", "FAILED:"], rows
    # The child's one-line error, from the ROOT I/O that met the damage.
    assert "tree 'Events'" in " ".join(rows["corrupt.root"][4:]), rows
    # The outputs and nothing else: no output and no temporary file for the corrupt input.
    assert sorted(p.name for p in out.iterdir()) == ["part1.root", "part2.root", "part3.root"]


def test_jobs_compress_every_file_and_report_the_corrupt_one(baler, dataset, tmp_path):
    out = tmp_path / "out"
    proc = run_baler(baler, "compress", dataset, "--out-dir", out, "--jobs", 2,
                     "--codec", "bits:8", "--branches", "Jet_*", check=False)
    check_dataset_run(baler, dataset, out, proc)
    comparison = compare_trees(dataset / "part2.root", out / "part2.root", "Events", "Jet_*=bits:8")
    comparison.assert_exact_set_changed("Jet_pt", "Jet_eta")


def test_dask_local_cluster_gives_the_same_files(baler, dataset, tmp_path):
    """Two workers; every output holds the same baskets as the --jobs route's."""
    out, reference = tmp_path / "dask", tmp_path / "jobs"
    proc = run_baler(baler, "compress", dataset, "--out-dir", out, "--dask", "--jobs", 2,
                     "--codec", "bits:8", "--branches", "Jet_*", check=False)
    check_dataset_run(baler, dataset, out, proc)
    run_baler(baler, "compress", *[dataset / f"part{s}.root" for s in SEEDS], "--out-dir", reference,
              "--codec", "bits:8", "--branches", "Jet_*")
    for seed in SEEDS:
        dask, jobs = (json.loads(run_baler(baler, "inspect", folder / f"part{seed}.root", "--json").stdout)
                      for folder in (out, reference))
        assert dask["branches"] == jobs["branches"]


def test_dask_scheduler_at_an_address(baler, dataset, tmp_path):
    """--dask ADDRESS: the tasks go to a running scheduler (here one this test starts)."""
    from distributed import LocalCluster
    out = tmp_path / "out"
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp",
                      dashboard_address=None) as cluster:
        proc = run_baler(baler, "compress", dataset / "part1.root", dataset / "part3.root", "--out-dir", out,
                         "--dask", cluster.scheduler_address)
    rows = summary(proc.stdout)
    assert rows["part1.root"][-1] == rows["part3.root"][-1] == "ok", proc.stdout
    assert codecs(baler, out / "part3.root")["Jet_pt"] == "baler bits:10"


def test_dask_workers_run_each_file_in_the_commands_folder(baler, dataset, tmp_path):
    """Relative inputs, output folder and model paths name the files where `baler compress` runs,
    and a worker started elsewhere (as on any cluster; here the test's own folder) resolved them
    in its own folder: the wrong file, or none ("no such file"), and a success could leave the
    output on the worker's side, reported as compressed."""
    from distributed import LocalCluster
    assert pathlib.Path.cwd() != dataset.parent  # the in-process workers' folder is not the command's
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp",
                      dashboard_address=None) as cluster:
        proc = run_baler(baler, "compress", f"{dataset.name}/part2.root", "--out-dir", "relative_out",
                         "--dask", cluster.scheduler_address, cwd=dataset.parent, check=False)
    output = dataset.parent / "relative_out" / "part2.root"
    try:
        assert proc.returncode == 0 and summary(proc.stdout)["part2.root"][-1] == "ok", proc.stdout + proc.stderr
        assert codecs(baler, output)["Jet_pt"] == "baler bits:10"
    finally:
        shutil.rmtree(dataset.parent / "relative_out", ignore_errors=True)


def test_a_local_cluster_of_many_workers_runs_its_tasks(baler, dataset, tmp_path):
    """--dask --jobs 300: Dask shared the machine's memory out among the 300 workers, each of which
    compared the whole driver's memory with its share and paused; no task ran, no word, until a
    timeout (a dataset sweep; --jobs 32 under a 1 GB limit did the same)."""
    out = tmp_path / "out"
    proc = subprocess.run([baler, "compress", dataset / "part1.root", "--out-dir", out, "--dask", "--jobs", "300"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and summary(proc.stdout)["part1.root"][-1] == "ok", proc.stdout + proc.stderr


def test_a_second_dataset_into_the_same_folder_names_the_files_it_replaced(baler, dataset, tmp_path):
    """Outputs are named after their inputs: job2/ntuple.root into the folder that held
    job1/ntuple.root's output replaced it, exit 0, status ok, without a word (a dataset sweep)."""
    out = tmp_path / "out"
    first = run_baler(baler, "compress", dataset / "part1.root", "--out-dir", out)
    assert "replaced" not in first.stderr, first.stderr
    again = run_baler(baler, "compress", dataset / "part1.root", dataset / "part2.root", "--out-dir", out)
    assert f"baler: warning: replaced 1 file that was in {out}: part1.root" in again.stderr, again.stderr


def test_a_name_that_is_not_utf8_fails_alone_under_dask(baler, dataset, tmp_path):
    """--dask sends the work as JSON text, and a name that is not UTF-8 went as its lossy text
    (`lat\ufffdn.root`): its row said "no such file" for a file that is there (a dataset sweep)."""
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    odd = os.path.join(os.fsencode(folder), b"lat\xe9n.root")
    shutil.copyfile(dataset / "part1.root", odd)
    shutil.copyfile(dataset / "part2.root", folder / "part2.root")
    proc = run_baler(baler, "compress", folder, "--out-dir", out, "--dask", "--jobs", 1, check=False)
    assert proc.returncode == 1 and summary(proc.stdout)["part2.root"][-1] == "ok", proc.stdout + proc.stderr
    assert "is not valid UTF-8, which --dask cannot send to its workers" in proc.stdout, proc.stdout
    assert "no such file" not in proc.stdout, proc.stdout


def test_a_scheduler_that_never_answers_is_an_error_in_bounded_time():
    """An address whose port accepts and never answers (a hung scheduler, another service) held
    Dask's Client for ever, and `baler compress --dask ADDRESS` with it (a dataset sweep)."""
    with socket.socket() as silent:  # the kernel accepts the connection; nothing reads or answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        address = "tcp://127.0.0.1:%d" % silent.getsockname()[1]
        code = f"import baler_dask; baler_dask.CONNECT_SECONDS = 2; baler_dask._client({address!r}, 1)"
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "TimeoutError: the scheduler did not answer in 2 s" in proc.stderr, proc.stderr


def test_an_interrupted_run_on_a_remote_cluster_stops_the_files_in_flight(baler, tmp_path):
    """The workers of a scheduler at an address outlive the `baler` that sent them work: after
    Ctrl-C, the `baler compress` they ran went on and replaced files in --out-dir after `baler` had
    gone (a dataset sweep). The driver now tells the tasks, which stop their child (removing its
    temporary file); tasks not started do not start."""
    from distributed import LocalCluster
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    run_baler(baler, "generate", folder / "a.root", "--events", 400_000, "--seed", 1)
    for name in ("b.root", "c.root"):
        os.link(folder / "a.root", folder / name)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp",
                      dashboard_address=None) as cluster:
        run = subprocess.Popen([baler, "compress", folder, "--out-dir", out, "--dask", cluster.scheduler_address],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3000):  # until a child has opened its input and made its temporary output
            if run.poll() is not None or (out.exists() and any(out.glob(".*.baler-*"))):
                break
            time.sleep(0.01)
        assert run.poll() is None, run.communicate()
        run.send_signal(signal.SIGINT)
        run.communicate(timeout=60)
        # this process runs the cluster's workers: their `baler compress` are its children
        deadline = time.monotonic() + 30  # a file takes about 10 s to compress here: they stop at once
        while child_processes(os.getpid()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not child_processes(os.getpid())
    assert not out.exists() or not any(out.iterdir()), sorted(p.name for p in out.iterdir())


@pytest.mark.parametrize("case", ["an input after --dask", "the only input after --dask", "an address without a port",
                                  "a quoted glob after --dask"])
def test_a_dask_that_cannot_run_is_one_line_and_runs_nothing(baler, dataset, tmp_path, case):
    """`--dask IN...` took the first input as the scheduler's address (clap gives --dask its optional
    value), so that file dropped out and the driver's failure to reach "ds/x.root" was shown as a
    failure of every other file; a Dask that cannot start failed every file, one row each."""
    out = tmp_path / "out"
    args, message = {
        "an input after --dask": ([dataset / "part1.root", dataset / "part2.root"],
                                  f"--dask {dataset / 'part1.root'}: that is a file or folder here, not a scheduler address"),
        # said "missing IN" (a new-user sweep)
        "the only input after --dask": ([dataset / "part1.root"],
                                        f"--dask {dataset / 'part1.root'}: that is a file or folder here, not a "
                                        "scheduler address"),
        "an address without a port": (["nonsense", dataset / "part1.root"],
                                      "cannot start Dask on nonsense: ValueError"),
        # said "missing IN" (a dataset sweep)
        "a quoted glob after --dask": ([f"{dataset}/part*.root"],
                                       f"--dask {dataset}/part*.root: that is a glob of inputs, not a scheduler address"),
    }[case]
    proc = run_baler(baler, "compress", "--out-dir", out, "--dask", *args, check=False)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and message in lines[0], proc.stderr
    assert proc.stdout == "" and (not out.exists() or not any(out.iterdir())), proc.stdout


@pytest.mark.parametrize("name, route", [("big.root", "--jobs"), ("x" * 70 + ".root", "--jobs"), ("big.root", "--dask")])
def test_a_child_killed_by_sigkill_leaves_no_temporary_file(baler, tmp_path, name, route):
    """A child that SIGKILL (or the out-of-memory killer) stops cannot remove its temporary output,
    `.NAME.baler-XXXXXX`: the run reported the file as killed and left that file in --out-dir; and
    for a name over 64 bytes, which the temporary's name holds only the start of, it still did; and
    on a Dask worker it still did (a long-jobs sweep)."""
    big, out = tmp_path / name, tmp_path / "out"
    run_baler(baler, "generate", big, "--events", 400_000, "--seed", 1)
    run = subprocess.Popen([baler, "compress", big, "--out-dir", out, *(["--jobs", "1"] if route == "--jobs" else
                                                                        ["--dask"])],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    temporary = []
    for _ in range(3000):  # the child's temporary file appears once it has opened its input
        temporary = list(out.glob(".*.baler-*")) if out.exists() else []
        if temporary or run.poll() is not None:
            break
        time.sleep(0.01)
    assert temporary, "the child never wrote its temporary file"
    # (--dask: the child of a worker thread of the driver, a child of this run)
    children = [pid for pid in descendants(run.pid)
                if b"compress" in pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")]
    assert len(children) == 1, children
    os.kill(int(children[0]), signal.SIGKILL)
    stdout, stderr = run.communicate(timeout=120)
    assert run.returncode == 1 and " ".join(summary(stdout)[name][3:]) == "FAILED: killed by signal 9", stdout
    # nothing left: not the temporary file, nor the folder the run made for it
    assert not out.exists(), list(out.iterdir())


def descendants(pid: int) -> list:
    """The pids of every process below process `pid`."""
    children = [int(child) for child in child_processes(pid)]
    return children + [d for child in children for d in descendants(child)]


def running(pid: int) -> bool:
    """Whether process `pid` is there and not a zombie (one its new parent has not reaped yet)."""
    try:
        return pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_killing_baler_alone_stops_its_dask_driver_and_every_process_below(baler, tmp_path):
    """A signal to `baler` alone (not its process group, as Ctrl-C sends it) left a local Dask
    cluster's driver and its `baler compress` running: they went on writing --out-dir's files after
    `baler` had gone. Now every process below it ends, each removing its temporary file. (The
    --jobs route: test_cli_safety.py's test_a_dataset_run_signalled_alone_stops_its_child.)"""
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    run_baler(baler, "generate", folder / "a.root", "--events", 400_000, "--seed", 1)
    for name in ("b.root", "c.root"):
        os.link(folder / "a.root", folder / name)
    run = subprocess.Popen([baler, "compress", folder, "--out-dir", out, "--jobs", "2", "--dask"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(3000):  # until a child has opened its input and made its temporary output
        if run.poll() is not None or (out.exists() and any(out.glob(".*.baler-*"))):
            break
        time.sleep(0.01)
    below = descendants(run.pid)
    assert run.poll() is None and below, run.communicate()
    run.send_signal(signal.SIGTERM)
    run.communicate(timeout=60)
    deadline = time.monotonic() + 30  # a file takes about 10 s to compress here: they stop at once
    while any(running(pid) for pid in below) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(running(pid) for pid in below), below
    assert not out.exists() or not any(out.iterdir()), sorted(p.name for p in out.iterdir())


@pytest.mark.parametrize("given", ["a folder", "a glob"])
def test_a_broken_link_among_the_inputs_is_reported(baler, dataset, tmp_path, given):
    """A folder or glob left a broken link out without a word (the shell's own glob passes it on);
    given by name it failed as missing. It is now an input that fails as missing, the others go on."""
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    shutil.copy(dataset / "part1.root", folder)
    (folder / "gone.root").symlink_to(tmp_path / "nowhere.root")
    proc = run_baler(baler, "compress", folder if given == "a folder" else f"{folder}/*.root", "--out-dir", out,
                     check=False)
    rows = summary(proc.stdout)
    assert proc.returncode == 1 and rows["part1.root"][-1] == "ok", proc.stdout + proc.stderr
    assert rows["gone.root"][:4] == ["-", "-", "-", "FAILED:"] and "no such file" in " ".join(rows["gone.root"]), rows


def test_globs_are_expanded_and_one_that_matches_nothing_is_reported(baler, dataset, tmp_path):
    out = tmp_path / "out"
    proc = run_baler(baler, "compress", str(dataset / "part[12].root"), str(dataset / "nothing*.root"),
                     str(dataset / "missing.root"), "--out-dir", out, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    rows = summary(proc.stdout)
    assert rows["part1.root"][-1] == rows["part2.root"][-1] == "ok", proc.stdout
    assert rows["nothing*.root"] == ["-", "-", "-", "FAILED:", "no", "file", "matches"], proc.stdout
    # a path that is not there has no size ("0" in the bytes-before column, before)
    assert rows["missing.root"][:4] == ["-", "-", "-", "FAILED:"], proc.stdout
    assert sorted(p.name for p in out.iterdir()) == ["part1.root", "part2.root"]


def test_a_run_that_writes_nothing_leaves_no_folder_it_made(baler, dataset, tmp_path):
    """--out-dir was made before any file was tried: a glob that matched nothing left an empty
    folder behind (and then, of n1/n2/n3, n1/n2). A folder that was there stays, as it was."""
    made, there = tmp_path / "made" / "out", tmp_path / "there"
    there.mkdir()
    for out in (made, there):
        proc = run_baler(baler, "compress", str(dataset / "nothing*.root"), "--out-dir", out, check=False)
        assert proc.returncode == 1 and "no file matches" in proc.stdout, proc.stdout + proc.stderr
    assert not (tmp_path / "made").exists() and there.is_dir() and not any(there.iterdir())


@pytest.mark.parametrize("option", [["--codec", "bitz:8"], ["--policy", "Events/Jet_*=bits"],
                                    ["--codec", "ae:bits:7:missing.balm"],
                                    ["--policy", "Events/Jet_*=ae:bits:7:missing.balm"]])
def test_options_that_fail_for_any_file_stop_the_dataset_at_once(baler, dataset, tmp_path, option):
    """A --codec or --policy that does not parse failed every file of a dataset in turn, and the table
    repeated its error once per file. It is one error now, with the usage errors' status 2, and no
    file after the first is started (as for one file: status 2 and the same line). So is an ae:
    model named by a path that holds none: unlike a model id, no file of the dataset can hold it."""
    out = tmp_path / "out"
    proc = run_baler(baler, "compress", dataset, "--out-dir", out, "--jobs", 1, *option, check=False)
    errors = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(errors) == 1, proc.stdout + proc.stderr
    says = {"--codec": "bad --codec: ", "--policy": 'invalid --policy rule "Events/Jet_*='}[option[0]]
    assert errors[0].startswith(f"baler: error: {says}"), errors
    assert proc.stdout == "" and not out.exists(), proc.stdout
    single = run_baler(baler, "compress", dataset / "part1.root", tmp_path / "one.root", *option, check=False)
    assert single.returncode == 2 and single.stderr.strip() == errors[0], single.stderr


def test_a_folder_gives_its_grid_copies_and_names_what_it_leaves_out(baler, dataset, tmp_path):
    """A folder's inputs were its `*.root` files only, without a word: ATLAS's grid copies
    (`*.pool.root.1`) and any other file or subfolder were left out of an all-ok run, which a
    physicist then deletes. The copies are inputs now, and a warning names what is not."""
    folder, out = tmp_path / "ds", tmp_path / "out"
    (folder / "0000").mkdir(parents=True)
    grid_copy = "DAOD_PHYSLITE.37621409._000002.pool.root.1"
    shutil.copy(dataset / "part1.root", folder / "a.root")
    shutil.copy(dataset / "part2.root", folder / grid_copy)
    (folder / "notes.txt").write_text("")
    proc = run_baler(baler, "compress", folder, "--out-dir", out, "--codec", "bits:8", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted([grid_copy, "a.root"]), proc.stdout
    assert (f"baler: warning: folder {folder}: 2 of its entries are not inputs (only *.root and *.root.N files "
            "are): 0000/, notes.txt") in proc.stderr, proc.stderr


@pytest.mark.parametrize("route", ["--jobs", "--dask"])
def test_an_input_named_like_an_option_is_a_file(baler, dataset, tmp_path, route):
    """A file named `-c.root`, from a glob in the current folder, went to the child as `compress
    -c.root OUT`, an unknown option: the run stopped at it with clap's error and no table (with
    --dask, the files done unreported)."""
    folder, out = tmp_path / "ds", tmp_path / "out"
    folder.mkdir()
    shutil.copy(dataset / "part1.root", folder / "-c.root")
    shutil.copy(dataset / "part2.root", folder / "part2.root")
    extra = ["--dask"] if route == "--dask" else ["--jobs", "1"]
    proc = run_baler(baler, "compress", "*.root", "--out-dir", out, "--codec", "bits:8", *extra, check=False,
                     cwd=folder)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = summary(proc.stdout)
    assert rows["-c.root"][-1] == rows["part2.root"][-1] == "ok", proc.stdout
    assert sorted(p.name for p in out.iterdir()) == ["-c.root", "part2.root"]


def test_a_run_with_failures_fails_when_no_one_reads_its_table(baler, dataset, tmp_path):
    """`baler compress ... --out-dir out | head -1`: the reader gone, the run exited 0 with nothing
    on stderr although a file failed, which a script with pipefail took for success."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run([str(baler), "compress", str(dataset / "corrupt.root"), "--out-dir", str(tmp_path / "out")],
                              stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=900)
    finally:
        os.close(write_end)
    assert proc.returncode == 1 and "1 of 1 inputs failed" in proc.stderr, proc.stderr


def test_two_inputs_with_one_name_are_refused_before_anything_is_written(baler, dataset, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "part1.root").write_bytes((dataset / "part1.root").read_bytes())
    out = tmp_path / "out"
    proc = run_baler(baler, "compress", dataset / "part1.root", other / "part1.root", "--out-dir", out, check=False)
    assert proc.returncode == 1
    assert proc.stderr.startswith("baler: error: ") and "would both be written to" in proc.stderr, proc.stderr
    assert not out.exists() or not any(out.iterdir())


def test_an_input_inside_the_output_folder_is_refused(baler, dataset):
    proc = run_baler(baler, "compress", dataset / "part1.root", "--out-dir", dataset, check=False)
    assert proc.returncode == 1 and "its output would replace it" in proc.stderr, proc.stderr



def test_an_output_folder_that_is_a_file_or_a_broken_link_is_named_as_such(baler, dataset, tmp_path):
    """Both said "File exists (os error 17)"."""
    taken, broken = tmp_path / "out", tmp_path / "link"
    taken.write_bytes(b"kept\n")
    broken.symlink_to(tmp_path / "nowhere")
    for out, says in ((taken, "is a file: give a folder"), (broken, "is a symbolic link to nothing: give a folder")):
        proc = run_baler(baler, "compress", dataset / "part1.root", "--out-dir", out, check=False)
        assert proc.returncode == 1 and proc.stderr.startswith(f"baler: error: --out-dir '{out}' {says}"), proc.stderr
    assert taken.read_bytes() == b"kept\n" and broken.is_symlink() and not (tmp_path / "nowhere").exists()

# ROOT's distributed RDataFrame on a local Dask cluster of two worker processes. The workers
# inherit this environment: LD_PRELOAD loads libBalerROOT into each, and BALER_POLICY picks the codecs.
DISTRIBUTED_SNAPSHOT = r"""
import sys
import ROOT
from distributed import Client, LocalCluster

out, entries = sys.argv[1], int(sys.argv[2])
with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
        Client(cluster) as client:
    df = ROOT.RDataFrame(entries, executor=client, npartitions=2)
    # Values numpy recomputes from `entry` bit for bit: integer codes below 2^24, one IEEE division.
    df = (df.Define("entry", "(ULong64_t)rdfentry_").Define("code", "int(rdfentry_ * 7919 % 10007)")
            .Define("x", "float(code) / 37.0f").Define("y", "double(code) / 37.0"))
    df.Snapshot("Events", out, ["entry", "x", "y"])
"""


def test_distributed_rdataframe_snapshot_writes_baler_files_on_the_workers(baler, tmp_path):
    entries = 20_000
    run_command([sys.executable, "-c", DISTRIBUTED_SNAPSHOT, tmp_path / "skim.root", entries],
                env=preload_env("Events/x=bits:10,Events/y=bits:10"))
    outputs = sorted(tmp_path.glob("skim*.root"))
    assert len(outputs) == 2, outputs  # one file per partition, each written by a worker
    bits10, total = Spec.parse("bits:10"), 0
    for path in outputs:
        # `baler inspect` names the branch's compression algorithm (its exact spec only for files that
        # `baler compress` wrote): Baler's on the policy's branches; the values show the spec.
        found = codecs(baler, path)
        assert found["x"].startswith("baler") and found["y"].startswith("baler"), (path, found)
        assert not found["entry"].startswith("baler"), (path, found)
        columns = uproot.open(path)["Events"].arrays(["entry", "x", "y"], library="np")
        code = (columns["entry"] * 7919 % 10007).astype(np.int64)
        tally = Tally()
        tally.add(bits10, code.astype(np.float32) / np.float32(37), columns["x"])
        tally.add(bits10, code.astype(np.float64) / 37.0, columns["y"])
        assert tally.exact_set_changed and tally.must > 0, (path, tally)
        total += len(code)
    assert total == entries


def test_twenty_processes_write_and_read_different_files_at_once(baler, dataset, tmp_path):
    """Issue 15's "many writers", small: 20 `baler compress` processes at once (--jobs 20), then 20
    ROOT processes reading every entry of every branch of a different output each, at once.
    Every output holds the same values, each within bits:10 of the input's."""
    copies = tmp_path / "copies"
    copies.mkdir()
    for i in range(20):
        shutil.copyfile(dataset / "part2.root", copies / f"copy{i:02d}.root")
    out = tmp_path / "out"
    run_baler(baler, "compress", copies, "--out-dir", out, "--jobs", 20)
    outputs = sorted(out.iterdir())
    assert [p.name for p in outputs] == [f"copy{i:02d}.root" for i in range(20)]
    readers = [subprocess.Popen(["root.exe", "-l", "-b", "-q", f'{MACROS / "read_all_branches.C"}("{p}", "Events")'],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for p in outputs]
    for reader in readers:
        output = reader.communicate(timeout=600)[0]
        assert reader.returncode == 0 and "read_all_branches:" in output, output
        ok, failed = [int(x) for x in output.split("read_all_branches:")[1].split()[:2]]
        assert failed == 0 and ok > 20, output
    source = uproot.open(dataset / "part2.root")["Events"].arrays(["Jet_pt", "MET_pt"], library="np")
    first = None
    for path in outputs:
        decoded = uproot.open(path)["Events"].arrays(["Jet_pt", "MET_pt"], library="np")
        tally = Tally()
        tally.add(Spec.parse("bits:10"), np.concatenate(source["Jet_pt"]), np.concatenate(decoded["Jet_pt"]))
        tally.add(Spec.parse("bits:10"), source["MET_pt"], decoded["MET_pt"])
        assert tally.exact_set_changed and tally.must > 0, (path, tally)
        values = np.concatenate([np.concatenate(decoded["Jet_pt"]), decoded["MET_pt"]])
        first = values if first is None else first
        assert np.array_equal(values.view(np.uint32), first.view(np.uint32)), path
