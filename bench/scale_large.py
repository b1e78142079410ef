#!/usr/bin/env python3
"""Issue 15, "large and concurrent": peak memory of Baler bits:10 against ZSTD-505 on the same work.

    source build/env.sh && .venv/bin/python bench/scale_large.py [--events 12000000] [--processes 20]

1. A generated tree (bench/root_io_write.C's, 8 jagged float branches) of EVENTS events, written
   through the compression hook with ROOT's implicit multi-threading at 2 and at 8 threads
   (bench/root_io_write_mt.C), once with Baler bits:10 and once with ZSTD-505, then each file read
   in full (bench/root_io_read.C). 12 million events make a 2 GB file at ZSTD-505.
2. `baler compress` of the ZSTD-505 file at bits:10, against `hadd -O -f505` rewriting it.
3. PROCESSES root.exe processes at once, each writing its own file (EVENTS / 100 events) and
   reading it back, all Baler, then all ZSTD-505.
Checks, each fatal: every run exits 0; every Baler value the bits:10 rounding of the ZSTD-505 file's
(`baler compress`'s within its bound),
and the Baler files written at 2 and at 8 threads identical value for value
(tests/macros/compare_trees.C). Peak memory is each process's maximum RSS (wait4); wall times are
printed too, but this benchmark is about memory and failures: the machine's load moves them.
"""
import argparse
import os
import pathlib
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from root_io import SETTINGS  # noqa: E402 (the settings of the side-by-side benchmark, one folder)

COMPARE_TREES = HERE.parent / "tests" / "macros" / "compare_trees.C"
BALER, ZSTD = "Baler bits:10", "ZSTD-505"


def macro_call(macro: pathlib.Path, *args) -> str:
    return f"{macro}({', '.join(repr(a).replace(chr(39), chr(34)) for a in args)})"


def start(command: list) -> subprocess.Popen:
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(proc: subprocess.Popen, what: str) -> float:
    """Waits for PROC; its peak RSS in MiB. A failed run stops the benchmark with its output."""
    output = proc.stdout.read()  # before waiting: a full pipe would block the process
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"scale_large: {what} failed:\n{output}")
    return usage.ru_maxrss / 1024


def timed(command: list, what: str):
    """(wall seconds, peak RSS MiB) of one command."""
    began = time.perf_counter()
    peak = finish(start(command), what)
    return time.perf_counter() - began, peak


def root_macro(macro: str, *args) -> list:
    return ["root.exe", "-l", "-b", "-q", macro_call(HERE / f"{macro}.C", *args)]


def check_values(path_a, path_b, spec: str, what: str):
    call = macro_call(COMPARE_TREES, str(path_a), str(path_b), "Events", f"*={spec}")
    proc = subprocess.run(["root.exe", "-l", "-b", "-q", call], capture_output=True, text=True)
    summary = [line for line in proc.stdout.splitlines() if line.startswith("compare_trees:")]
    if proc.returncode != 0 or "(int) 0" not in proc.stdout or not summary:
        sys.exit(f"scale_large: {what}: values differ\n{proc.stdout}{proc.stderr}")
    print(f"check {what}: {summary[-1]}")


def row(work: str, baler, zstd):
    (bw, bm), (zw, zm) = baler, zstd
    print(f"{work:<34}{bw:>9.1f}{zw:>9.1f}{bm:>10.0f}{zm:>10.0f}{bm / zm:>10.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=12_000_000)
    parser.add_argument("--processes", type=int, default=20)
    args = parser.parse_args()
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, load {load};"
          f" {args.events} events, {args.processes} concurrent processes")
    rows = []
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR", "/tmp")) as tmp:
        tmp = pathlib.Path(tmp)
        written = {}
        for threads in (2, 8):
            for name in (BALER, ZSTD):
                path = tmp / f"{SETTINGS[name]}_imt{threads}.root"
                written[name, threads] = timed(root_macro("root_io_write_mt", str(path), SETTINGS[name], args.events,
                                                          threads), f"{name} write at {threads} threads")
                print(f"wrote {path.name}: {path.stat().st_size / 1e9:.3f} GB")
            rows.append((f"write, IMT {threads} threads", written[BALER, threads], written[ZSTD, threads]))
        read = {}
        for name in (BALER, ZSTD):
            read[name] = timed(root_macro("root_io_read", str(tmp / f"{SETTINGS[name]}_imt2.root")), f"{name} read")
        rows.append(("read in full", read[BALER], read[ZSTD]))
        check_values(tmp / f"{SETTINGS[ZSTD]}_imt2.root", tmp / f"{SETTINGS[BALER]}_imt2.root", "bits:10",
                     "Baler IMT 2 within bits:10 of ZSTD-505")
        check_values(tmp / f"{SETTINGS[BALER]}_imt2.root", tmp / f"{SETTINGS[BALER]}_imt8.root", "lossless",
                     "Baler IMT 2 and IMT 8 identical")

        source = tmp / f"{SETTINGS[ZSTD]}_imt2.root"
        compressed = timed(["baler", "compress", str(source), str(tmp / "compressed.root"), "--codec", "bits:10"],
                           "baler compress")
        rewritten = timed(["hadd", "-O", "-f505", str(tmp / "hadd505.root"), str(source)], "hadd -O -f505")
        rows.append(("baler compress / hadd -O -f505", compressed, rewritten))
        # rel, not bits: `baler compress` keeps a stored basket where Baler's block would not be smaller
        # (the last few entries), unrounded and within any bound
        check_values(source, tmp / "compressed.root", f"rel:{2.0 ** -11!r}", "baler compress within bits:10's bound")
        for path in tmp.glob("*.root"):
            path.unlink()  # the concurrent runs' files next: keep the disk to one run's worth

        small = max(args.events // 100, 1)
        for name in (BALER, ZSTD):
            began = time.perf_counter()
            procs = [start(root_macro("root_io_write", str(tmp / f"p{i}.root"), SETTINGS[name], small)
                           + [macro_call(HERE / "root_io_read.C", str(tmp / f"p{i}.root"))])
                     for i in range(args.processes)]
            peaks = [finish(proc, f"{name} writer/reader {i}") for i, proc in enumerate(procs)]
            read[name, "concurrent"] = (time.perf_counter() - began, max(peaks))
        rows.append((f"{args.processes} processes write+read at once", read[BALER, "concurrent"],
                     read[ZSTD, "concurrent"]))

    print(f"{'work (peak = largest process)':<34}{'Baler s':>9}{'ZSTD s':>9}{'Baler MiB':>10}{'ZSTD MiB':>10}"
          f"{'peak/zstd':>10}")
    for work, baler, zstd in rows:
        row(work, baler, zstd)


if __name__ == "__main__":
    main()
