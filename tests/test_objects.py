"""Object models (issue 13): `baler train` over several branches of one collection (HZZ's Muon_Px,
Muon_Py, Muon_Pz, Muon_E, Muon_Iso) makes an object model; `ae:bits:10:MODEL` on those branches
codes Muon_E with the decoded momenta of the same entries. Whatever the model, every value comes
back exactly as the per-value codec at the bound gives it: these tests hold the object files to
the bits:10 file, through readers that read the whole collection, one member alone (the plugin
fetches the context baskets itself), with and without implicit multi-threading."""
import json
import re

import pytest

from conftest import MACROS, compare_trees, preload_env, run_baler, run_macro, run_python


@pytest.fixture(scope="module")
def muon_model(baler, shared_data, tmp_path_factory):
    """(model path, model id, train output) of an object model of HZZ's muon floats."""
    model = tmp_path_factory.mktemp("objects") / "muons.balm"
    proc = run_baler(baler, "train", shared_data / "uproot-HZZ.root", "--branches", "Muon_*", "--tree", "events",
                     "--bound", "bits:10", "--out", model)
    model_id = re.search(r"^model ([0-9a-f]+) ", proc.stdout, re.M).group(1)
    return model, model_id, proc.stdout


def rewrite(shared_data, out, codec_glob="", codec_spec="", imt=False, env=None):
    """HZZ's events tree copied entry by entry at bits:10 (tests/macros/rewrite_tree.C), the
    branches matching `codec_glob` with SetCodec(codec_spec)."""
    source = shared_data / "uproot-HZZ.root"
    run_python("import ROOT\n" + ("ROOT.EnableImplicitMT(2)\n" if imt else "") +
               f"ROOT.gROOT.ProcessLine('.L {MACROS / 'rewrite_tree.C'}')\n"
               f"assert ROOT.rewrite_tree('{source}', '{out}', 'events', 4210, '{codec_glob}', '{codec_spec}') == 0\n",
               env=env)


def branch_bytes(baler, path):
    rows = json.loads(run_baler(baler, "inspect", path, "--json").stdout)["branches"]
    return {row["branch"]: row for row in rows}


MEMBER_ALONE = """
import hashlib, struct, ROOT
if IMT:
    ROOT.EnableImplicitMT(2)
f = ROOT.TFile.Open(PATH)
t = f.Get('events')
t.SetBranchStatus('*', 0)
t.SetBranchStatus(BRANCH, 1)
digest = hashlib.sha1()
for entry in range(t.GetEntries()):
    t.GetEntry(entry)
    values = list(getattr(t, BRANCH))
    digest.update(struct.pack(f'{len(values)}f', *values))
rdf = ROOT.RDataFrame('events', PATH)
count = rdf.Define('n', f'(int){BRANCH}.size()').Sum('n')
print('alone:', digest.hexdigest(), count.GetValue(), rdf.Max(BRANCH).GetValue(), rdf.Min(BRANCH).GetValue())
"""


def read_member_alone(path, branch, imt=False):
    """A digest of one branch's values read with every other branch off, then RDataFrame's count,
    maximum and minimum of it (order-independent, so IMT cannot change them)."""
    output = run_python(f"PATH, BRANCH, IMT = '{path}', '{branch}', {imt}\n" + MEMBER_ALONE)
    return re.search(r"^alone: (.*)$", output, re.M).group(1)


def test_training_predicts_energy_from_the_momenta(muon_model):
    _, _, output = muon_model
    assert re.search(r"^  Muon_E +norm of Muon_Px, Muon_Py, Muon_Pz$", output, re.M), output
    for carrier in ("Muon_Px", "Muon_Py", "Muon_Pz"):
        assert re.search(rf"^  {carrier} +carries", output, re.M), output
    # a muon's E is |p| to 10 bits: its residual codes are nearly all zero (measured 0.17 B/value)
    energy = re.search(r"^  Muon_E +\d+ values: per-value ([\d.]+) B/value, object model ([\d.]+)", output, re.M)
    assert float(energy.group(2)) < 0.3 * float(energy.group(1)), output


@pytest.mark.parametrize("imt", [False, True], ids=["sequential", "imt"])
def test_object_file_reads_the_per_value_values(baler, shared_data, muon_model, tmp_path, imt):
    model, model_id, _ = muon_model
    per_value, objects = tmp_path / "bits10.root", tmp_path / "objects.root"
    rewrite(shared_data, per_value)
    rewrite(shared_data, objects, "Muon_*", f"ae:bits:10:{model}", imt=imt)
    # every branch, every value: the very bits of the per-value codec (fresh process, plugin autoloaded)
    same = compare_trees(per_value, objects, "events")
    assert same.plugin_loaded and same.total.bad == 0 and same.total.changed == 0, same.output
    inspected_objects, inspected_per_value = branch_bytes(baler, objects), branch_bytes(baler, per_value)
    energy = inspected_objects["Muon_E"]
    if not imt:  # under IMT a member may be flushed before its context and is then coded per value
        assert f"ae:bits:10:{model_id}" in energy["codec"], energy
        assert energy["compressed"] < 0.5 * inspected_per_value["Muon_E"]["compressed"], (energy, inspected_per_value["Muon_E"])
    # one member alone (SetBranchStatus, then RDataFrame): the plugin fetches Muon_Px/Py/Pz itself
    for reader_imt in (False, True):
        assert read_member_alone(objects, "Muon_E", reader_imt) == read_member_alone(per_value, "Muon_E", False)


def test_policy_writes_object_members(baler, shared_data, muon_model, tmp_path):
    model, model_id, _ = muon_model
    per_value, objects = tmp_path / "bits10.root", tmp_path / "policy.root"
    rewrite(shared_data, per_value)
    rewrite(shared_data, objects, env=preload_env(f"events/Muon_*=ae:bits:10:{model}"))
    same = compare_trees(per_value, objects, "events")
    assert same.total.bad == 0 and same.total.changed == 0, same.output
    assert f"ae:bits:10:{model_id}" in branch_bytes(baler, objects)["Muon_E"]["codec"]


def test_uproot_says_what_an_object_member_needs(shared_data, muon_model, tmp_path):
    model, model_id, _ = muon_model
    objects = tmp_path / "objects.root"
    rewrite(shared_data, objects, "Muon_*", f"ae:bits:10:{model}")
    output = run_python(
        "import uproot, baler_root\n"
        f"t = uproot.open('{objects}')['events']\n"
        "print('px ok:', len(t['Muon_Px'].array()))\n"
        "try:\n    t['Muon_E'].array()\nexcept baler_root.BalerDecodeError as e:\n    print('error:', e)\n")
    assert "px ok: 2421" in output, output
    assert re.search(rf"error: .*Muon_E.*object model {model_id}.*Muon_Px, Muon_Py, Muon_Pz", output), output
