"""Issue 11, deliverable 4: old files keep reading. tests/fixtures/v1/ holds small Baler files
written by format version 1 (tests/tools/make_fixtures.py: every basket layout, every spec, `ae:`
with its model stored in the file) and the MD5 of every branch's decompressed baskets as ROOT read
them when they were written. ROOT and uproot must read every basket of them to those bits, and
the values of specs.root must be what each spec promises of the values fixture_specs.C wrote.
A format change that breaks old files fails here: never regenerate these files to make it pass.
"""
import hashlib
import json
import re
import sys

import numpy as np
import pytest
import uproot

import baler_root  # noqa: F401 (teaches uproot to decode Baler blocks)
from baler_root import _codec
from conftest import REPO, basket_digests, run_baler, baler  # noqa: F401 (baler: a fixture)

sys.path.insert(0, str(REPO / "tests" / "tools"))

FIXTURES = REPO / "tests" / "fixtures" / "v1"
RECORDED = json.loads((FIXTURES / "digests.json").read_text())
FILES = sorted(RECORDED)


def uproot_digests(path) -> dict:
    """basket_digests.C's digests, computed from uproot's decompressed baskets (each branch read
    alone, basket by basket: an object model's member fetches its context members' baskets)."""
    found = {}
    with uproot.open(path) as file:
        for tree_name, tree in file.items(cycle=False, filter_classname="TTree"):
            for branch_path, branch in tree.iteritems(recursive=True, full_paths=True):
                md5 = hashlib.md5()
                for i in range(branch.num_baskets):
                    md5.update(branch.basket(i).data.tobytes())
                found[f"{tree_name} {branch_path}"] = [branch.num_baskets, md5.hexdigest()]
    return found


def test_the_fixtures_cover_every_layout_and_spec():
    assert FILES == ["layout-class.root", "layout-clones.root", "layout-leaf.root", "layout-vector.root",
                     "nested.root", "objects.root", "sentinels.root", "specs.root"]
    assert all((FIXTURES / name).stat().st_size < 64_000 for name in FILES)


@pytest.mark.parametrize("name", FILES)
def test_root_reads_every_basket_to_the_recorded_bits(name):
    assert basket_digests(FIXTURES / name) == RECORDED[name]


@pytest.mark.parametrize("name", FILES)
def test_uproot_reads_every_basket_to_the_recorded_bits(name):
    assert uproot_digests(FIXTURES / name) == RECORDED[name]


def test_objects_fixture_holds_both_object_sections():
    """objects.root (tests/tools/make_fixtures.py): Obj_E coded with Obj_Px, Obj_Py, Obj_Pz (section 19),
    and every member but Obj_Px with its entry offsets derived from Obj_Px's baskets (section 20)."""
    needs = {}
    data = (FIXTURES / "objects.root").read_bytes()
    with uproot.open(FIXTURES / "objects.root") as file:
        tree = file["events"]
        for name in ("Obj_Px", "Obj_Py", "Obj_Pz", "Obj_E"):
            branch = tree[name]
            for i in range(branch.num_baskets):
                start = int(branch.member("fBasketSeek")[i])
                raw = data[start:start + int(branch.member("fBasketBytes")[i])]
                key_length = int.from_bytes(raw[14:16], "big")  # TKey: Nbytes, Version, ObjLen, Datime, KeyLen
                needs.setdefault(name, []).append(_codec.block_context(raw[key_length + 9:]))
    assert all(n is None for n in needs["Obj_Px"]), needs
    for name in ("Obj_Py", "Obj_Pz"):
        assert all(n is not None and n["offsets_from"] == "Obj_Px" and not n["context"] for n in needs[name]), needs
    assert all(n["offsets_from"] == "Obj_Px" and n["context"] == ["Obj_Px", "Obj_Py", "Obj_Pz"] for n in needs["Obj_E"]), needs


def original(dtype, entries: int) -> np.ndarray:
    """The values fixture_specs.C's FixtureValue gave f_* (float32) and d_* (float64) branches."""
    i = np.arange(entries, dtype=np.int64)
    values = (((i * 7919) % 100003 - 50000) / 37.0).astype(dtype)
    info = np.finfo(dtype)
    nan = np.array([0x7fc01234], np.uint32).view(np.float32) if dtype == np.float32 else \
        np.array([0x7ff8000000001234], np.uint64).view(np.float64)
    values[:6] = [nan[0], np.inf, -np.inf, -0.0, info.smallest_subnormal * 3, info.max]
    return values


def bits(values: np.ndarray):
    unsigned = np.uint32 if values.dtype == np.float32 else np.uint64
    return values.view(unsigned)


def rounded_to_bits(values: np.ndarray, n: int) -> np.ndarray:
    """bits:n as docs/format.md defines it: round the magnitude's bit pattern to n mantissa bits,
    ties away from zero, carrying into the exponent; NaN, Inf, zeros, subnormals and a value that
    would round to Inf are kept exactly."""
    info = np.finfo(values.dtype)
    unsigned = bits(values).dtype.type
    shift = info.nmant - n
    sign_bit = unsigned(1) << unsigned(info.bits - 1)
    u = bits(values)
    magnitude = u & ~sign_bit
    rounded = ((magnitude + (unsigned(1) << unsigned(shift - 1))) >> unsigned(shift)) << unsigned(shift)
    infinity = bits(np.array([np.inf], values.dtype))[0]
    smallest_normal = bits(np.array([info.smallest_normal], values.dtype))[0]
    exact = (magnitude >= infinity) | (magnitude < smallest_normal) | (rounded >= infinity)
    return np.where(exact, u, rounded | (u & sign_bit)).view(values.dtype)


def test_specs_values_are_what_each_spec_promises():
    """Lossless bit for bit; bits:10 exactly the rounded values; rel and abs within their bound;
    specials exact under every spec; the ae:bits:10 rows exactly the bits:10 rounding of the same
    rows stored lossless (what ae: promises); the int bit for bit."""
    arrays = uproot.open(FIXTURES / "specs.root")["t"].arrays(library="np")
    entries = len(arrays["n"])
    assert entries == 400 and np.array_equal(arrays["n"], np.arange(entries))
    for prefix, dtype in [("f", np.float32), ("d", np.float64)]:
        x = original(dtype, entries)
        assert np.array_equal(bits(arrays[f"{prefix}_lossless"]), bits(x))
        assert np.array_equal(bits(arrays[f"{prefix}_bits10"]), bits(rounded_to_bits(x, 10)))
        assert np.count_nonzero(arrays[f"{prefix}_bits10"] != x) > entries // 2
        for name, bound in [("rel1e-3", 1e-3 * np.abs(x.astype(np.float64))), ("abs1e-3", 1e-3)]:
            y = arrays[f"{prefix}_{name}"]
            assert np.array_equal(bits(y[:5]), bits(x[:5])), name  # NaN payload, Inf, -0.0, subnormal
            finite = np.isfinite(x)
            with np.errstate(invalid="ignore"):  # Inf - Inf, NaN - NaN: compared by bits above
                error = np.abs(y.astype(np.float64) - x.astype(np.float64))
            assert np.all((error <= bound)[finite]), name
            assert np.count_nonzero(y != x) > entries // 2, name
    rows = arrays["cov_lossless"]
    assert rows.shape == (entries, 6)
    assert np.array_equal(bits(arrays["cov"]), bits(rounded_to_bits(rows, 10)))
    assert np.count_nonzero(arrays["cov"] != rows) > rows.size // 2


def test_sentinels_values_are_exact_and_the_rest_rounded():
    """sentinels.root (bits:7 with sentinel tables): -3000 and -999 exactly; every other value
    its bits:7 rounding, or the sentinel whose rounding that is (d's -1000.0 reads as -999, within
    its bound: docs/format.md)."""
    from make_fixtures import sentinel_values
    arrays = uproot.open(FIXTURES / "sentinels.root")["t"].arrays(library="np")
    for name, x in sentinel_values().items():
        sentinel = (x == -3000.0) | (x == -999.0)
        assert sentinel.sum() > len(x) // 8
        assert np.array_equal(bits(arrays[name][sentinel]), bits(x[sentinel])), name
        expected = rounded_to_bits(x, 7)
        for s in (-3000.0, -999.0):
            s = x.dtype.type(s)
            expected[bits(expected) == bits(rounded_to_bits(np.array([s]), 7))[0]] = s
        assert np.array_equal(bits(arrays[name]), bits(expected)), name
        assert not np.array_equal(rounded_to_bits(x[sentinel], 7), x[sentinel])  # bits:7 alone moves them


def test_baler_inspect_names_the_spec_of_every_branch(baler):
    """`baler inspect` reads from the blocks which spec coded them: one per branch, `ae:` with the
    id of the model stored in the file."""
    proc = run_baler(baler, "inspect", FIXTURES / "specs.root")
    codecs = {line.split()[0]: line.split("  ")[-1].strip() for line in proc.stdout.splitlines() if line.startswith("t/")}
    model_id = re.search(r"baler_model_([0-9a-f]{32})", (FIXTURES / "specs.root").read_bytes().decode("latin-1")).group(1)
    # rel:E is shown as written (its levels' worst case, 9.99e-4, was shown before)
    for spec, branches in [("baler lossless", "lossless cov_lossless"), ("baler bits:10", "bits10"),
                           ("baler rel:1e-3", "rel1e-3"), ("baler abs:1e-3", "abs1e-3"),
                           (f"baler ae:bits:10:{model_id}", "cov")]:
        for name in branches.split():
            for branch in [name] if name.startswith("cov") else [f"f_{name}", f"d_{name}"]:
                assert codecs[f"t/{branch}"].startswith(spec), proc.stdout
