#!/usr/bin/env python3
"""Issue 11 target: uproot reading a Baler bits:10 file against uproot reading the ZSTD-505 file
of the same data, side by side in one run, interleaved and repeated.

    source build/env.sh && .venv/bin/python bench/uproot_read.py [--events 100000] [--repeat 5]

The data is `baler generate`'s synthetic sample, copied entry by entry by ROOT into two files that
differ only in the compression setting (tests/macros/rewrite_tree.C: 505, and 4210 = Baler bits:10),
so both have the same baskets. Each read is `uproot.open(path)[tree].arrays()` of every branch in
this process, after one warm-up read of each file (so both come from the page cache); the best of
the repeats is reported, with the speed of the Baler read relative to the ZSTD-505 one.
"""
import argparse
import os
import pathlib
import subprocess
import tempfile
import time

import uproot

import baler_root  # noqa: F401 (teaches uproot to read Baler blocks)

TREE = "Events"
REWRITE = pathlib.Path(__file__).resolve().parent.parent / "tests" / "macros" / "rewrite_tree.C"
SETTINGS = {"ZSTD-505": 505, "Baler bits:10": 4210}


def read_seconds(path) -> float:
    start = time.perf_counter()
    uproot.open(path)[TREE].arrays()
    return time.perf_counter() - start


def basket_count(path) -> int:
    return sum(branch.num_baskets for branch in uproot.open(path)[TREE].branches)


def uncompressed_bytes(path) -> int:
    return sum(branch.uncompressed_bytes for branch in uproot.open(path)[TREE].branches)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    baler = pathlib.Path(os.environ["BALER_BUILD"]) / "bin" / "baler"
    with tempfile.TemporaryDirectory() as tmp:
        sample = os.path.join(tmp, "sample.root")
        subprocess.run([baler, "generate", sample, "--events", str(args.events)], check=True, capture_output=True)
        files = {}
        for name, setting in SETTINGS.items():
            files[name] = os.path.join(tmp, f"{setting}.root")
            call = f'{REWRITE}("{sample}", "{files[name]}", "{TREE}", {setting})'
            subprocess.run(["root.exe", "-l", "-b", "-q", call], check=True, capture_output=True)
        for path in files.values():
            read_seconds(path)  # warm-up: page cache, uproot's class models
        times = {name: [] for name in files}
        for _ in range(args.repeat):
            for name, path in files.items():  # interleaved: noise hits both alike
                times[name].append(read_seconds(path))
        size = {name: os.path.getsize(path) for name, path in files.items()}
        raw = uncompressed_bytes(files["ZSTD-505"])
        baskets = {name: basket_count(path) for name, path in files.items()}
    best_zstd = min(times["ZSTD-505"])
    print(f"{args.events} events, {raw / 1e6:.1f} MB uncompressed; tree.arrays(), best of {args.repeat}, interleaved")
    print(f"{'file':<15}{'MB':>8}{'baskets':>9}{'read s':>9}{'MB/s':>8}{'speed vs ZSTD-505':>19}")
    for name in files:
        best = min(times[name])
        print(f"{name:<15}{size[name] / 1e6:>8.2f}{baskets[name]:>9}{best:>9.3f}{raw / 1e6 / best:>8.0f}{best_zstd / best:>18.2f}x")


if __name__ == "__main__":
    main()
