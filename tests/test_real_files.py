"""Issue 4, item 6: the real CMS files rewritten with bits:10 by `baler compress`, read back with
RDataFrame and PyROOT (every column), TTreeReader and TTree::Draw: exactly the float values
bits:10 must round changed, within the bound; all other values bit-exact, entry counts equal."""
import re

import pytest

from conftest import REPO, branch_tallies, run_baler, run_macro, run_python

FILES = {
    "uproot-HZZ.root": ("events", "Muon_Px"),
    "Run2012BC_DoubleMuParked_Muons_1000evts.root": ("Events", "Muon_pt"),
    "nanoAOD_2015_CMS_Open_Data_ttbar.root": ("Events", "Jet_pt"),
}


# HZZ's leaf-list branches stall RDataFrame's AsNumpy (over 10 minutes); HZZ is compared value by
# value by compare_trees.C in test_selection.py and test_cli.py instead.
RDATAFRAME_FILES = sorted(set(FILES) - {"uproot-HZZ.root"})


@pytest.fixture(scope="module")
def rewritten(request, baler, hzz_bits10, shared_data, tmp_path_factory):
    """The file named by the test's parameter, rewritten with bits:10 once per module (HZZ: the
    session's)."""
    source = shared_data / request.param
    if request.param == "uproot-HZZ.root":
        out = hzz_bits10[0]
    else:
        out = tmp_path_factory.mktemp("real") / request.param.replace(".root", ".bits10.root")
        run_baler(baler, "compress", source, out, "--codec", "bits:10")
    tree, branch = FILES[request.param]
    return source, out, tree, branch


@pytest.mark.parametrize("rewritten", RDATAFRAME_FILES, indirect=True)
def test_every_column_within_bound_with_rdataframe(rewritten):
    """All columns (947 for NanoAOD) through RDataFrame.AsNumpy in PyROOT, judged by tests/bounds.py:
    exactly the float values bits:10 must round changed, everything else identical."""
    source, out, tree, _ = rewritten
    output = run_python(f"""
import sys
sys.path.insert(0, "{REPO / 'tests'}")
import numpy as np, ROOT
from bounds import Spec, Tally
def columns(path):
    df = ROOT.RDataFrame("{tree}", path)
    f = ROOT.TFile.Open(path)
    names = []
    for branch in f.Get("{tree}").GetListOfBranches():
        leaf = branch.GetListOfLeaves()[0]
        # A plain branch whose leaf has another name ("Photon_E" holding "Photons_E") is read
        # by RDataFrame through the leaf: "Photon_E.Photons_E".
        plain = branch.ClassName() == "TBranch" and leaf.GetName() != branch.GetName()
        names.append(f"{{branch.GetName()}}.{{leaf.GetName()}}" if plain else branch.GetName())
    return df.Count().GetValue(), df.AsNumpy(names)
def flat(column):
    if column.dtype == object:
        parts = [np.asarray(v) for v in column]
        return np.concatenate(parts) if parts else np.array([])
    return column
entries_a, a = columns("{source}")
entries_b, b = columns("{out}")
assert entries_a == entries_b, (entries_a, entries_b)
bits10 = Spec.parse("bits:10")
floats = Tally()
for name in a:
    x, y = flat(a[name]), flat(b[name])
    assert x.shape == y.shape and x.dtype == y.dtype, name
    column = Tally().add(bits10, x, y)
    assert column.bad == 0 and column.unrounded == 0, (name, column)
    if x.dtype.kind == "f":
        floats.values += column.values
        floats.changed += column.changed
        floats.must += column.must
print("columns", len(a), "float values", floats.values, "changed", floats.changed, "must", floats.must)
""")
    floats, changed, must = (int(v) for v in re.search(r"float values (\d+) changed (\d+) must (\d+)", output).groups())
    assert floats > 0 and must > 0 and changed == must, output


@pytest.mark.parametrize("rewritten", sorted(FILES), indirect=True)
def test_tree_reader_and_draw_within_bound(rewritten):
    source, out, tree, branch = rewritten
    tallies = branch_tallies(run_macro("readers_check", source, out, tree, branch, "bits:10"), "readers_check")
    assert tallies["reader"] == tallies["draw"]
    # (NanoAOD's Jet_pt already has at most 10 mantissa bits: nothing there must change)
    assert tallies["reader"].values > 100 and tallies["reader"].exact_set_changed, tallies
