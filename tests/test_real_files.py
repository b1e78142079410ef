"""Issue 4, item 6: the real CMS files rewritten with bits:10 by `baler compress`, read back with
RDataFrame and PyROOT (every column), TTreeReader and TTree::Draw: floats within the bound, all
other values bit-exact, entry counts equal."""
import subprocess

import pytest

from conftest import BUILD_LIB, macro_value, run_macro, run_python

BITS10_BOUND = 2.0 ** -11
FILES = {
    "uproot-HZZ.root": ("events", "Muon_Px"),
    "Run2012BC_DoubleMuParked_Muons_1000evts.root": ("Events", "Muon_pt"),
    "nanoAOD_2015_CMS_Open_Data_ttbar.root": ("Events", "Jet_pt"),
}


# HZZ's leaf-list branches stall RDataFrame's AsNumpy (over 10 minutes); HZZ is compared value by
# value by compare_trees.C in test_selection.py and test_cli.py instead.
RDATAFRAME_FILES = sorted(set(FILES) - {"uproot-HZZ.root"})


@pytest.fixture(scope="module")
def rewritten(request, shared_data, tmp_path_factory):
    """The file named by the test's parameter, rewritten with bits:10 once per module."""
    source = shared_data / request.param
    out = tmp_path_factory.mktemp("real") / request.param.replace(".root", ".bits10.root")
    baler = BUILD_LIB.parent / "bin" / "baler"
    subprocess.run([str(baler), "compress", str(source), str(out), "--codec", "bits:10"], check=True,
                   capture_output=True, timeout=600)
    tree, branch = FILES[request.param]
    return source, out, tree, branch


@pytest.mark.parametrize("rewritten", RDATAFRAME_FILES, indirect=True)
def test_every_column_within_bound_with_rdataframe(rewritten):
    """All columns (947 for NanoAOD) through RDataFrame.AsNumpy in PyROOT: floats within 2^-11
    relative (non-finite bit-exact), everything else identical."""
    source, out, tree, _ = rewritten
    output = run_python(f"""
import numpy as np, ROOT
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
floats = exact = changed = 0
for name in a:
    x, y = flat(a[name]), flat(b[name])
    assert x.shape == y.shape and x.dtype == y.dtype, name
    if x.dtype.kind == "f":
        finite = np.isfinite(x)
        assert np.array_equal(x[~finite].view(np.uint8), y[~finite].view(np.uint8)), name
        err = np.abs(y[finite].astype(np.float64) - x[finite]) <= {BITS10_BOUND} * np.abs(x[finite].astype(np.float64))
        assert err.all(), (name, x[finite][~err][:5], y[finite][~err][:5])
        floats += 1
        changed += int((x != y).sum())
    else:
        assert np.array_equal(x, y), name
        exact += 1
print("columns", len(a), "floats", floats, "exact", exact, "changed", changed, "entries", entries_a)
""")
    fields = output.split()
    assert int(fields[fields.index("floats") + 1]) > 0
    assert int(fields[fields.index("changed") + 1]) > 0, "bits:10 must actually round values"


@pytest.mark.parametrize("rewritten", sorted(FILES), indirect=True)
def test_tree_reader_and_draw_within_bound(rewritten):
    source, out, tree, branch = rewritten
    values, reader_worst, drawn, draw_worst = macro_value(run_macro("readers_check", source, out, tree, branch),
                                                          "readers_check")
    assert values > 100 and drawn == values
    assert reader_worst <= BITS10_BOUND and draw_worst <= BITS10_BOUND
