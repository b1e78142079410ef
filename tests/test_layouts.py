"""Issue 4, item 1: Baler's basket layouts for every branch type a real file has.

Each layout is written twice, uncompressed (setting 0, the reference) and with Baler bits:10
(setting 4210), and read back with ROOT: float and double values must lie within
|x'-x| <= 2^-11 |x| (NaN, Inf, -0.0, zeros and subnormals exact), everything else bit for bit.
The lossy path must actually have been taken for every float branch (values changed): a test
that passes when everything is stored raw would prove nothing.
"""
import os
import re

import pytest

from conftest import BALER_LOSSLESS, macro_value, run_macro

BITS = 10
BALER_BITS = 4200 + BITS
UNCOMPRESSED = 0

# Per group: branches whose values must be rounded (float/double data the codec sees) and
# branches that must come back bit for bit (ints, bools, chars, Long64_t, Float16_t/Double32_t,
# leaf lists containing Float16_t, objects stored whole).
GROUPS = {
    "leaf": {
        "lossy": ["x", "d", "arr8", "abc", "mixed.m", "vx"],
        "exact": ["mixed.k", "mixf16.m", "mixf16.h", "n", "i", "o", "c", "l", "f16", "d32", "d32r"],
    },
    "vector": {
        "lossy": ["vf", "vf0", "vd", "rf", "rd"],
        "exact": ["vi", "ri"],
    },
    "class": {
        "lossy": ["ev.x", "ev.dd", "ev.arr", "ev.vf", "ev.vd"],
        "exact": ["ev.i", "ev.b", "ev.vi", "ev.d32", "ev.f16", "ev.d32f"] +
                 [f"ev0.{m}" for m in ["x", "dd", "i", "b", "arr", "vf", "vd", "vi", "d32", "f16", "d32f"]],
    },
    "clones": {
        "lossy": ["tc.fX", "tc.fY", "tc.fZ"],
        "exact": ["tc", "tc.fBits", "tc0", "tc0.fX", "tc0.fBits", "v3", "v3.fX", "v30", "v30.fX"],
    },
}
ENTRIES = 2000


def branch_tallies(output: str, tag: str) -> dict:
    """{branch: (values, changed, bad)} from the macro's 'TAG NAME: VALUES CHANGED BAD' lines."""
    tallies = {}
    for name, values, changed, bad in re.findall(rf"^{tag} (\S+): (\d+) (\d+) (\d+)$", output, re.M):
        tallies[name] = (int(values), int(changed), int(bad))
    return tallies


def write(path, setting, group, entries=ENTRIES, basket_size=32000, env=None):
    output = run_macro("layout_trees", path, setting, group, entries, basket_size, env=env)
    assert f"layout_trees: {group} {entries} entries" in output, output
    return path


@pytest.fixture(scope="module")
def references(tmp_path_factory):
    out = tmp_path_factory.mktemp("layout_ref")
    return {group: write(out / f"{group}_ref.root", UNCOMPRESSED, group) for group in GROUPS}


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_bits10_rounds_floats_and_keeps_everything_else(group, references, tmp_path):
    baler = write(tmp_path / f"{group}_bits10.root", BALER_BITS, group)
    output = run_macro("layout_check", references[group], baler, BITS, check=False)
    entries, values, bad = macro_value(output, "layout_check")
    tallies = branch_tallies(output, "layout_check")
    assert entries == ENTRIES, output
    assert bad == 0, output
    assert values > 10_000
    for name in GROUPS[group]["lossy"]:
        n, changed, _ = tallies[name]
        # Random values rounded to 10 mantissa bits: nearly all change (specials do not).
        assert n > 0 and changed > n // 2, f"{name}: {changed} of {n} values changed: not coded as floats\n{output}"
    for name in GROUPS[group]["exact"]:
        n, changed, _ = tallies[name]
        assert n > 0 and changed == 0, f"{name}: {changed} of {n} values changed\n{output}"


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_lossless_is_bit_exact(group, references, tmp_path):
    baler = write(tmp_path / f"{group}_lossless.root", BALER_LOSSLESS, group)
    output = run_macro("layout_check", references[group], baler, 99)
    entries, values, bad = macro_value(output, "layout_check")
    assert entries == ENTRIES and bad == 0
    assert all(changed == 0 for _, changed, _ in branch_tallies(output, "layout_check").values()), output


def test_basket_over_16_mib_is_split_into_blocks(tmp_path):
    """One vector<float> basket of ~28 MiB: ROOT cuts it into 16 MiB blocks (not on a value
    boundary); values cut by a block boundary are stored raw, all others rounded."""
    entries, basket_size = 14, 32 << 20
    ref = write(tmp_path / "big_ref.root", UNCOMPRESSED, "big", entries, basket_size)
    baler = write(tmp_path / "big_bits10.root", BALER_BITS, "big", entries, basket_size)
    output = run_macro("layout_check", ref, baler, BITS, check=False)
    assert macro_value(output, "layout_check")[2] == 0, output
    baskets, tot_bytes = macro_value(output, "layout_check big baskets")
    assert baskets == 1 and tot_bytes > 16 << 20, output
    n, changed, _ = branch_tallies(output, "layout_check")["big"]
    assert n == entries << 19 and changed > n // 2, output
    assert os.path.getsize(baler) < os.path.getsize(ref) * 0.75


def test_rdataframe_snapshot_rvec_columns(shared_data, tmp_path):
    """The CMS muon file's RVec<float> columns, written again by RDataFrame Snapshot with
    BALER_POLICY (Snapshot's options cannot name algorithm 42): floats rounded, RVec<int> and
    nMuon bit for bit."""
    source = shared_data / "Run2012BC_DoubleMuParked_Muons_1000evts.root"
    out = tmp_path / "snapshot.root"
    env = dict(os.environ, BALER_POLICY=f"Events/*=bits:{BITS}")
    run_macro("layout_snapshot", source, out, "Events", 505, env=env)
    output = run_macro("layout_snapshot", source, out, "Events", -BITS, check=False)
    entries, values, bad = macro_value(output, "layout_snapshot")
    assert entries == 1000 and bad == 0, output
    tallies = branch_tallies(output, "layout_snapshot")
    for name in ["Muon_pt", "Muon_eta", "Muon_phi", "Muon_mass"]:
        n, changed, _ = tallies[name]
        assert n > 2000 and changed > n // 2, output
    assert tallies["Muon_charge"][1] == 0
