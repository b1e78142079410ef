#!/usr/bin/env python3
"""Issue 13 through uproot: the read time of object-model members with baler_root, against the
same branches coded per value (bits:10), side by side in one process, interleaved and repeated.

    source build/env.sh && .venv/bin/python bench/uproot_objects_read.py [../shared/data] [--copies N] [--repeat R]

The data: N copies of HZZ's `events` tree in one file (bench/objects_read.C, ZSTD-505), then
`baler compress` of it twice: `--codec bits:10`, and the Jet, Muon, Electron and Photon collections
with their object models (`baler train --branches 'C_*'`, `--policy 'events/C_*=ae:bits:10:MODEL'`)
and bits:10 on every other float, as bench/objects_hzz.py does. Each read is
`uproot.open(path)['events'].arrays(filter_name=GLOB)` in this process, after one warm-up read of
each file; baler_root's context cache is emptied before every read, so that each read fetches what
a fresh process would. Best of R per file; the ratio is objects / bits:10. `fetched` is how many
context baskets baler_root read and decoded itself for one read of the object file.
"""
import argparse
import os
import pathlib
import subprocess
import tempfile
import time

import uproot

import baler_root  # noqa: F401 (teaches uproot to read Baler blocks)
from baler_root import _uproot
from objects_hzz import REPO, root_macro, train_collection_models
READS = ["Muon_E", "Muon_*", "Jet_E", "Jet_*", "Muon_Px", "Muon_Py", "*"]


def read_seconds(path, glob):
    _uproot._context_cache.clear()
    _uproot._context_branches.clear()
    fetched = _uproot._context_baskets_fetched
    start = time.perf_counter()
    uproot.open(path)["events"].arrays(filter_name=glob)
    return time.perf_counter() - start, _uproot._context_baskets_fetched - fetched


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default=REPO.parent / "shared" / "data", type=pathlib.Path)
    parser.add_argument("--copies", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    source = args.data / "uproot-HZZ.root"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        policy, _ = train_collection_models(source, tmp)
        chain = tmp / "chain.root"
        root_macro(REPO / "bench" / "objects_read.C", source, "events", "", args.copies, chain)
        files = {"bits:10": tmp / "bits10.root", "objects": tmp / "objects.root"}
        subprocess.run(["baler", "compress", chain, files["bits:10"], "--codec", "bits:10"], capture_output=True, check=True)
        subprocess.run(["baler", "compress", chain, files["objects"], "--policy", policy, "--codec", "bits:10"],
                       capture_output=True, check=True)
        tree = uproot.open(files["objects"])["events"]
        print(f"{args.copies} copies of HZZ's tree: {tree.num_entries} entries, Muon_E {tree['Muon_E'].num_baskets} "
              f"baskets, Jet_E {tree['Jet_E'].num_baskets}; load average {os.getloadavg()[0]:.1f} at start")
        print(f"tree.arrays(filter_name=GLOB), best of {args.repeat}, interleaved, context cache emptied before each read")
        print(f"{'branches':<10}{'bits:10 s':>11}{'objects s':>11}{'ratio':>7}{'fetched':>9}")
        for glob in READS:
            for path in files.values():
                read_seconds(path, glob)  # warm-up: page cache, uproot's class models
            best = {name: float("inf") for name in files}
            fetched = 0
            for _ in range(args.repeat):
                for name, path in files.items():  # interleaved: noise hits both alike
                    seconds, fetched_now = read_seconds(path, glob)
                    best[name] = min(best[name], seconds)
                    if name == "objects":
                        fetched = fetched_now
            print(f"{glob:<10}{best['bits:10']:>11.4f}{best['objects']:>11.4f}{best['objects'] / best['bits:10']:>7.2f}{fetched:>9}")
        print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
