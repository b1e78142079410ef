"""Writes the old-file fixtures that tests/test_fixtures.py reads: small Baler files of today's
format, committed so that every later version must read them to the same bits.

    source build/env.sh && .venv/bin/python tests/tools/make_fixtures.py tests/fixtures/v1

Run it only to add a fixture set for a new format version (into a new folder): regenerating an
existing set would hide exactly the incompatibility it is there to catch.

Into the folder: every basket layout (tests/macros/layout_trees.C's groups, nested_trees.C's nested
vectors) written with bits:10, each first checked value by value against an uncompressed copy
(layout_check.C, nested_check.C: every float within the bound, everything else bit for bit);
specs.root (fixture_specs.C: every spec, `ae:` with its model stored in the file); and digests.json, the MD5 of every branch's decompressed baskets as
ROOT reads them right after writing (basket_digests.C).
"""
import json
import pathlib
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from conftest import REPO, baler_settings, basket_digests, branch_tallies, macro_value, run_macro  # noqa: E402

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
    recorded = {path.name: digests(path) for path in files}
    (folder / "digests.json").write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")
    for path in files:
        print(f"{path}: {path.stat().st_size} bytes, {len(recorded[path.name])} branches")


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]))
