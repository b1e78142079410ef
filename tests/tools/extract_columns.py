#!/usr/bin/env python3
"""Dump every float column of the ROOT files in a data directory as raw
big-endian files, for the baler-codec integration test and benchmark.

usage: extract_columns.py OUT_DIR [DATA_DIR]   (DATA_DIR defaults to ../shared/data
relative to the repository root)

Writes OUT_DIR/<file-stem>/<tree>/<branch>.f32 (or .f64): the flattened values
(jagged branches concatenated over entries) as big-endian IEEE floats, and
OUT_DIR/index.tsv with one line per column:
    file<TAB>tree<TAB>branch<TAB>dtype(f32|f64)<TAB>count<TAB>relative path
"""
import os
import sys

import numpy as np
import uproot


def float_columns(tree):
    for name, branch in tree.items(filter_typename=None):
        try:
            interp = branch.interpretation
        except Exception:
            continue
        dt = getattr(interp, "from_dtype", None)
        content = getattr(interp, "content", None)
        if dt is None and content is not None:
            dt = getattr(content, "from_dtype", None)
        if dt is None:
            continue
        dt = np.dtype(dt)
        if dt.kind == "f" and dt.itemsize in (4, 8):
            yield name, branch, dt.itemsize


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = sys.argv[1]
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    data = sys.argv[2] if len(sys.argv) > 2 else os.path.join(repo, "..", "shared", "data")
    os.makedirs(out, exist_ok=True)
    lines = []
    for fname in sorted(os.listdir(data)):
        if not fname.endswith(".root"):
            continue
        stem = fname[:-5]
        with uproot.open(os.path.join(data, fname)) as f:
            for key, cls in f.classnames().items():
                if cls != "TTree":
                    continue  # RNTuple copies hold the same values as the TTree files
                tname = key.split(";")[0]
                tree = f[key]
                for bname, branch, size in float_columns(tree):
                    try:
                        arr = branch.array(library="np")
                    except Exception as e:  # unreadable/odd branch: skip loudly
                        print(f"skip {fname}:{tname}/{bname}: {e}", file=sys.stderr)
                        continue
                    if arr.dtype == object:
                        parts = [np.asarray(a).ravel() for a in arr]
                        arr = np.concatenate(parts) if parts else np.zeros(0)
                    arr = np.asarray(arr).ravel()
                    if arr.dtype.kind != "f":
                        continue
                    dtype = ">f4" if size == 4 else ">f8"
                    ext = "f32" if size == 4 else "f64"
                    rel = os.path.join(stem, tname, bname.replace("/", "_") + "." + ext)
                    path = os.path.join(out, rel)
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    arr.astype(dtype).tofile(path)
                    lines.append(f"{fname}\t{tname}\t{bname}\t{ext}\t{arr.size}\t{rel}\n")
    with open(os.path.join(out, "index.tsv"), "w") as fh:
        fh.writelines(lines)
    print(f"wrote {len(lines)} float columns to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
