#!/usr/bin/env python3
"""Issue 4 target on real data: HZZ's `events` tree rewritten by ROOT with Baler bits:10 on every
float branch, against the same tree with ZSTD-505, LZMA-207 and Baler lossless, in one run.

    source build/env.sh && .venv/bin/python bench/hzz_file.py [../shared/data]

Float-branch bytes are the sum of the float branches' GetZipBytes() (baskets, keys, entry-offset
tails) over the number of float values; the file ratio is against the ZSTD-505 file.
"""
import os
import pathlib
import re
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parent.parent
MACROS = REPO / "tests" / "macros"
SETTINGS = {"ZSTD-505": 505, "LZMA-207": 207, "Baler lossless": 4299, "Baler bits:10": 4210}


def macro(name, *args):
    call = f"{MACROS / name}.C({', '.join(chr(34) + str(a) + chr(34) if isinstance(a, (str, pathlib.Path)) else str(a) for a in args)})"
    out = subprocess.run(["root.exe", "-l", "-b", "-q", call], capture_output=True, text=True, check=True).stdout
    return [float(x) for x in re.findall(r"\d+", out.splitlines()[-2].split(":", 1)[1])]


def main():
    data = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else REPO.parent / "shared" / "data")
    source = data / "uproot-HZZ.root"
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, setting in SETTINGS.items():
            path = pathlib.Path(tmp) / f"hzz_{setting}.root"
            macro("rewrite_tree", source, path, "events", setting)
            zip_bytes, values = macro("float_branch_bytes", path, "events")
            rows[name] = (zip_bytes, values, os.path.getsize(path))
    ref_file = rows["ZSTD-505"][2]
    print(f"{'setting':<16}{'float bytes':>12}{'values':>8}{'B/value':>9}{'file bytes':>12}{'file/ZSTD-505':>15}")
    for name, (zip_bytes, values, size) in rows.items():
        print(f"{name:<16}{zip_bytes:>12.0f}{values:>8.0f}{zip_bytes / values:>9.3f}{size:>12}{size / ref_file:>15.3f}")


if __name__ == "__main__":
    main()
