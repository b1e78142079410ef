"""Issue 4, item 1: Baler's basket layouts for every branch type a real file has.

Each layout is written twice, uncompressed (setting 0, the reference) and with Baler bits:10
(setting 4210), and read back with ROOT: float and double values must be rounded to 10 mantissa
bits, within |x'-x| <= 2^-11 |x| (NaN, Inf, zeros and subnormals exact), everything else bit for
bit. Exactly the values bits:10 must change have to change (baler_bounds.h): a basket stored raw
fails the test.
"""
import os

import pytest

from conftest import BALER_LOSSLESS, branch_tallies, macro_value, preload_env, run_macro

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
        tally = tallies[name]
        assert tally.must > 0 and tally.exact_set_changed, f"{name}: {tally}: not rounded as bits:10\n{output}"
    for name in GROUPS[group]["exact"]:
        tally = tallies[name]
        assert tally.values > 0 and tally.changed == 0, f"{name}: {tally}\n{output}"


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_lossless_is_bit_exact(group, references, tmp_path):
    baler = write(tmp_path / f"{group}_lossless.root", BALER_LOSSLESS, group)
    output = run_macro("layout_check", references[group], baler, 99)
    entries, values, bad = macro_value(output, "layout_check")
    assert entries == ENTRIES and bad == 0
    assert all(tally.changed == 0 for tally in branch_tallies(output, "layout_check").values()), output


@pytest.fixture(scope="module")
def big_basket(tmp_path_factory):
    """One vector<float> basket of ~28 MiB, uncompressed and with bits:10."""
    entries, basket_size = 14, 32 << 20
    out = tmp_path_factory.mktemp("big")
    ref = write(out / "big_ref.root", UNCOMPRESSED, "big", entries, basket_size)
    baler = write(out / "big_bits10.root", BALER_BITS, "big", entries, basket_size)
    return ref, baler, entries


@pytest.mark.parametrize("cache_size", [0, 4 << 20], ids=["no cache", "4 MiB TTreeCache"])
def test_basket_over_16_mib_is_split_into_blocks(big_basket, cache_size):
    """ROOT cuts a basket over 16 MiB into 16 MiB blocks (not on a value boundary); the value cut
    by the block boundary is stored raw, every other one rounded. It reads back the same, also
    through a TTreeCache smaller than the basket."""
    ref, baler, entries = big_basket
    output = run_macro("layout_check", ref, baler, BITS, cache_size, check=False)
    baskets, tot_bytes = macro_value(output, "layout_check big baskets")
    assert baskets == 1 and tot_bytes > 16 << 20, output
    tally = branch_tallies(output, "layout_check")["big"]
    assert tally.values == entries << 19 and tally.bad == 0, output
    blocks = -(-int(tot_bytes) // (16 << 20))
    # values straddling a block boundary cannot be rounded: at most one per boundary
    assert tally.unrounded <= blocks - 1 and tally.changed == tally.must - tally.unrounded, output
    assert os.path.getsize(baler) < os.path.getsize(ref) * 0.75


def test_rdataframe_snapshot_with_policy(shared_data, tmp_path):
    """The CMS muon file's RVec<float> columns, written again by RDataFrame Snapshot under
    LD_PRELOAD and BALER_POLICY (Snapshot's options cannot name algorithm 42): Baler's algorithm
    on the float columns, exactly the values bits:10 must change changed, RVec<int> and nMuon
    bit for bit."""
    source = shared_data / "Run2012BC_DoubleMuParked_Muons_1000evts.root"
    out = tmp_path / "snapshot.root"
    run_macro("layout_snapshot", source, out, "Events", 505, env=preload_env(f"Events/*=bits:{BITS}"))
    output = run_macro("layout_snapshot", source, out, "Events", -BITS, check=False)
    entries, values, bad = macro_value(output, "layout_snapshot")
    assert entries == 1000 and bad == 0, output
    tallies = branch_tallies(output, "layout_snapshot")
    for name in ["Muon_pt", "Muon_eta", "Muon_phi", "Muon_mass"]:
        assert tallies[name].values > 2000 and tallies[name].must > 0 and tallies[name].exact_set_changed, output
        assert macro_value(output, f"layout_snapshot {name} algorithm") == [42], output
    assert tallies["Muon_charge"].changed == 0
