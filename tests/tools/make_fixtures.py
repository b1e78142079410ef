"""Writes the old-file fixtures that tests/test_fixtures.py reads: small Baler files of today's
format, committed so that every later version must read them to the same bits.

    source build/env.sh && .venv/bin/python tests/tools/make_fixtures.py tests/fixtures/v1

Run it only to add a fixture set for a new format version (into a new folder): regenerating an
existing set would hide exactly the incompatibility it is there to catch.

Into the folder: every basket layout (tests/macros/layout_trees.C's groups, nested_trees.C's nested
vectors) written with bits:10, each first checked value by value against an uncompressed copy
(layout_check.C, nested_check.C: every float within the bound, everything else bit for bit);
specs.root (fixture_specs.C: every spec, `ae:` with its model stored in the file); objects.root
(a collection's four-vector coded with an object model trained on it: predicted members and
entry offsets derived from the first carrier's, format sections 19 and 20); sentinels.root
(sentinel_values(): float and double columns with -3000 and -999 sentinels, `baler compress` with
bits:7, which writes sentinel tables); and digests.json,
the MD5 of every branch's decompressed baskets as ROOT reads them right after writing
(basket_digests.C).

    .venv/bin/python tests/tools/make_fixtures.py tests/fixtures/v1 --only objects.root   (or sentinels.root)

adds one fixture (made after the set) to an existing folder, leaving the others and their digests
as they are.
"""
import json
import pathlib
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from conftest import REPO, baler_settings, basket_digests, branch_tallies, macro_value, run_baler, run_macro, run_python  # noqa: E402

ENTRIES = 60
NESTED_ENTRIES = 4  # entries of nested vectors are large: a few baskets' worth is enough
BASKET_SIZE = 1000
LAYOUT_GROUPS = ["leaf", "vector", "class", "clones"]
AE_FIXTURES = REPO / "rust" / "baler-codec" / "tests" / "fixtures"


def digests(path: pathlib.Path) -> dict:
    found = basket_digests(path)
    for name, (_, md5) in found.items():
        if md5.startswith("failed"):
            raise SystemExit(f"{path}: {name}: ROOT cannot read basket {md5.split()[1]}")
    return found


def check_values(path, output: str, tag: str, entries: int = ENTRIES) -> None:
    """Every value within bits:10 of the uncompressed copy. A value left unrounded is allowed: a
    basket too small for its block to pay is stored raw, as ROOT stores any incompressible basket,
    and such baskets belong in old files too."""
    assert macro_value(output, tag)[0] == entries, output
    bad = {name: tally for name, tally in branch_tallies(output, tag).items() if tally.bad}
    assert not bad, f"{path}: values out of bound: {bad}"


OBJECTS_SOURCE = """
import math, numpy as np, ROOT
f = ROOT.TFile(PATH, 'RECREATE')
f.SetCompressionSettings(0)
t = ROOT.TTree('events', 'a collection of four-vectors')
n = np.zeros(1, np.int32)
cols = {c: np.zeros(16, np.float32) for c in ('Px', 'Py', 'Pz', 'E')}
t.Branch('nObj', n, 'nObj/I')
for c, a in cols.items():
    t.Branch('Obj_' + c, a, f'Obj_{c}[nObj]/F')
t.SetBasketSize('*', 2000)
for e in range(ENTRIES):
    n[0] = (e * 7) % 5
    for j in range(n[0]):
        i = 5 * e + j
        px, py, pz = ((i * 37) % 101) - 50.3, ((i * 53) % 97) * 0.7 - 30.1, ((i * 71) % 89) * 3.1 - 130.0
        cols['Px'][j], cols['Py'][j], cols['Pz'][j] = px, py, pz
        cols['E'][j] = math.sqrt(px * px + py * py + pz * pz + 0.011)
    t.Fill()
t.Write()
f.Close()
"""


def write_objects(folder: pathlib.Path, scratch: pathlib.Path) -> pathlib.Path:
    """objects.root: a synthetic collection (Obj_Px, Obj_Py, Obj_Pz, Obj_E of nObj objects), the object
    model `baler train` makes of it, and the tree rewritten with ae:bits:10:MODEL on Obj_* (the model
    stored in the file)."""
    source, model, path = scratch / "objects-source.root", scratch / "objects.balm", folder / "objects.root"
    run_python(f"PATH, ENTRIES = '{source}', 300\n" + OBJECTS_SOURCE)
    baler = REPO / "build" / "bin" / "baler"
    run_baler(baler, "train", source, "--tree", "events", "--branches", "Obj_*", "--bound", "bits:10", "--out", model)
    run_python("import ROOT\n"
               f"ROOT.gROOT.ProcessLine('.L {REPO / 'tests' / 'macros' / 'rewrite_tree.C'}')\n"
               f"assert ROOT.rewrite_tree('{source}', '{path}', 'events', 4210, 'Obj_*', 'ae:bits:10:{model}') == 0\n")
    return path


def sentinel_values(entries: int = 400) -> dict:
    """sentinels.root's columns before compression: ordinary values with -3000 (1 in 8) and -999
    (1 in 13) among them."""
    import numpy as np
    i = np.arange(entries)
    x = (((i * 7919) % 1013) * 0.37 - 150.0).astype(np.float32)
    d = ((i * 104729) % 100003) / 37.0 - 1000.0
    for column in (x, d):
        column[i % 8 == 3] = -3000.0
        column[i % 13 == 5] = -999.0
    return {"x": x, "d": d}


def write_sentinels(folder: pathlib.Path) -> pathlib.Path:
    import subprocess
    import uproot
    path, plain = folder / "sentinels.root", pathlib.Path(tempfile.mkdtemp(prefix="baler-fixtures-")) / "plain.root"
    with uproot.recreate(plain) as f:  # a TTree (a plain assignment writes an RNTuple)
        f.mktree("t", {name: a.dtype for name, a in sentinel_values().items()})
        f["t"].extend(sentinel_values())
    subprocess.run([REPO / "build" / "bin" / "baler", "compress", plain, path, "--codec", "bits:7"], check=True)
    return path


def main(folder: pathlib.Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    scratch = pathlib.Path(tempfile.mkdtemp(prefix="baler-fixtures-"))
    files = []
    for group in LAYOUT_GROUPS:
        path, reference = folder / f"layout-{group}.root", scratch / f"{group}.root"
        run_macro("layout_trees", reference, 0, group, ENTRIES, BASKET_SIZE)
        run_macro("layout_trees", path, baler_settings(10), group, ENTRIES, BASKET_SIZE)
        check_values(path, run_macro("layout_check", reference, path, 10, check=False), "layout_check")
        files.append(path)
    path, reference = folder / "nested.root", scratch / "nested.root"
    run_macro("nested_trees", reference, "none", NESTED_ENTRIES, BASKET_SIZE)
    run_macro("nested_trees", path, "bits:10", NESTED_ENTRIES, BASKET_SIZE)
    check_values(path, run_macro("nested_check", reference, path, "bits:10", check=False), "nested_check",
                 NESTED_ENTRIES)
    files.append(path)
    path = folder / "specs.root"
    run_macro("fixture_specs", path, AE_FIXTURES / "ae-model.balm", AE_FIXTURES / "ae-decoded.bin")
    files.append(path)
    files.append(write_objects(folder, scratch))
    files.append(write_sentinels(folder))
    recorded = {path.name: digests(path) for path in files}
    (folder / "digests.json").write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")
    for path in files:
        print(f"{path}: {path.stat().st_size} bytes, {len(recorded[path.name])} branches")


def add_one(folder: pathlib.Path, name: str) -> None:
    """Adds fixture `name` (objects.root or sentinels.root, made after the set) and its digests to an
    existing set."""
    if name not in ("objects.root", "sentinels.root") or (folder / name).exists():
        raise SystemExit(f"{folder / name}: only a new objects.root or sentinels.root can be added")
    if name == "objects.root":
        path = write_objects(folder, pathlib.Path(tempfile.mkdtemp(prefix="baler-fixtures-")))
    else:
        path = write_sentinels(folder)
    recorded = json.loads((folder / "digests.json").read_text())
    recorded[name] = digests(path)
    (folder / "digests.json").write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")
    print(f"{path}: {path.stat().st_size} bytes, {len(recorded[name])} branches")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[2] == "--only":
        add_one(pathlib.Path(sys.argv[1]), sys.argv[3])
    else:
        main(pathlib.Path(sys.argv[1]))
