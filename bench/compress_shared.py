"""Issue 10's targets on every TTree file of the shared data (../shared/data and its atlas/ folder):
each compressed by `baler compress` under each spec, then read back.

Per file and spec: the sizes before and after (no file may grow); every basket read back through
ROOT with the plugin (tests/macros/read_all_baskets.C: decompressed, entry counts checked, no
object streamed, so the ATLAS classes without dictionaries are read too); every branch uproot can
interpret read back with `import baler_root` and compared with the input's values: float32/float64
within the spec (tests/bounds.py), everything else bit for bit; and how many stored baskets of the
branches no spec touched kept their bytes (tests/macros/basket_bytes.C).

    source build/env.sh && .venv/bin/python bench/compress_shared.py [--specs lossless,bits:10,...]
"""
import argparse
import json
import pathlib
import re
import subprocess
import sys
import tempfile

import awkward as ak
import numpy as np
import uproot

import baler_root  # noqa: F401 (teaches uproot Baler's blocks)

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from bounds import Spec, Tally  # noqa: E402

SHARED = REPO.parent / "shared" / "data" if (REPO.parent / "shared").exists() else pathlib.Path("/work/shared/data")
FILES = {
    "uproot-HZZ.root": "events",
    "Run2012BC_DoubleMuParked_Muons_1000evts.root": "Events",
    "nanoAOD_2015_CMS_Open_Data_ttbar.root": "Events",
    "uproot-issue79.root": "taus",
    "atlas/PHYSLITE_example.root": "CollectionTree",
    "atlas/uproot-issue-123b.root": "CollectionTree",
}


def macro(name, *args):
    call = f"{REPO}/tests/macros/{name}.C(" + ", ".join(f'"{a}"' for a in args) + ")"
    return subprocess.run(["root.exe", "-l", "-b", "-q", call], capture_output=True, text=True, check=True).stdout


def baskets(path, tree):
    """{(branch, basket): 'NBYTES MD5'} of the baskets on file."""
    found = {}
    for line in macro("basket_bytes", path, tree).splitlines():
        match = re.match(r"basket_bytes (.+) (\d+): (\d+ \w+)$", line)
        if match:
            found[match.group(1), int(match.group(2))] = match.group(3)
    return found


def values(branch):
    """The branch's values flattened to one numpy array, or None when uproot cannot read it."""
    try:
        array = branch.array(library="ak")
        flat = ak.to_numpy(ak.flatten(array, axis=None))
    except Exception:  # noqa: BLE001 (uproot cannot interpret some xAOD branches at all)
        return None
    return flat if flat.dtype != object else None


def compare(source, out, tree, spec):
    """(branches compared, branches uproot cannot read, floats compared, floats out of bound, other values
    compared, other values that differ)."""
    compared = unreadable = floats = bad = others = differ = 0
    with uproot.open(source) as a, uproot.open(out) as b:
        for name in a[tree].keys(recursive=True):
            x = values(a[tree][name])
            if x is None:
                unreadable += 1
                continue
            y = values(b[tree][name])
            assert y is not None and x.dtype == y.dtype and x.shape == y.shape, name
            compared += 1
            if x.dtype in (np.float32, np.float64):
                tally = Tally().add(spec, x, y)
                floats += tally.values
                bad += tally.bad
            else:
                others += x.size
                differ += int(np.count_nonzero(x.view(np.uint8) != y.view(np.uint8)))
    return compared, unreadable, floats, bad, others, differ


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--specs", default="lossless,bits:10,rel:1e-3,abs:1e-3")
    args = parser.parse_args()
    print("file spec: bytes before -> after (ratio) | ROOT: baskets read, failed | uproot: branches compared, "
          "unreadable; floats, out of bound; other values, differing | stored baskets of untouched branches kept")
    with tempfile.TemporaryDirectory() as folder:
        for name, tree in FILES.items():
            source = SHARED / name
            before = baskets(source, tree)
            for text in args.specs.split(","):
                out = pathlib.Path(folder) / "out.root"
                report = json.loads(subprocess.run(["baler", "compress", str(source), str(out), "--codec", text,
                                                    "--json"], capture_output=True, text=True, check=True).stdout)
                untouched = {r["branch"] for r in report["branches"] if not r["codec_after"].startswith("baler ")}
                after = baskets(out, tree)
                kept = [k for k in before if k[0] in untouched]
                same = sum(before[k] == after.get(k) for k in kept)
                read = re.search(r"read_all_baskets: (\d+) (\d+) (\d+)", macro("read_all_baskets", out, tree))
                result = compare(source, out, tree, Spec.parse(text))
                size_in, size_out = source.stat().st_size, out.stat().st_size
                print(f"{name} {text}: {size_in} -> {size_out} ({size_in / size_out:.3f}x) | ROOT: {read.group(1)} "
                      f"{read.group(2)} | uproot: {result[0]} {result[1]}; {result[2]} {result[3]}; {result[4]} "
                      f"{result[5]} | {same}/{len(kept)}", flush=True)


if __name__ == "__main__":
    main()
