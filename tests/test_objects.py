"""Object models (issue 13): `baler train` over several branches of one collection (HZZ's Muon_Px,
Muon_Py, Muon_Pz, Muon_E, Muon_Iso) makes an object model; `ae:bits:10:MODEL` on those branches
codes Muon_E with the decoded momenta of the same entries. Whatever the model, every value comes
back exactly as the per-value codec at the bound gives it: these tests hold the object files to
the bits:10 file, through readers that read the whole collection, one member alone (the plugin
fetches the context baskets itself), with and without implicit multi-threading."""
import io
import json
import pathlib
import re
import shutil
import subprocess
import sys
import zipfile

import numpy
import pytest
import uproot

import baler_root
from baler_root import _uproot
from conftest import (BUILD_LIB, MACROS, REPO, basket_block, basket_digests, compare_trees, delete_model_key, env_without_model_path,
                      preload_env, run_baler, run_command, run_macro, run_python)
from test_basket_rewrite import compress_json, stored_layout
from test_fixtures import uproot_digests
from test_uproot import wrong_checksum


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


@pytest.fixture(scope="module")
def per_value(shared_data, tmp_path_factory):
    """HZZ rewritten at bits:10, and a digest of its Muon_E read alone: what every object file must give."""
    path = tmp_path_factory.mktemp("per_value") / "bits10.root"
    rewrite(shared_data, path)
    return path, read_member_alone(path, "Muon_E"), read_member_alone(path, "Muon_Py")


@pytest.fixture(scope="module")
def object_file(shared_data, muon_model, tmp_path_factory):
    """HZZ rewritten at bits:10 with SetCodec("Muon_*", ae:bits:10:MODEL), without IMT."""
    model, _, _ = muon_model
    path = tmp_path_factory.mktemp("objects") / "objects.root"
    rewrite(shared_data, path, "Muon_*", f"ae:bits:10:{model}")
    return path


def check_reads_the_per_value_values(objects, per_value, reader_imt):
    reference, reference_alone, reference_py = per_value
    # every branch, every value: the very bits of the per-value codec (fresh process, plugin autoloaded)
    same = compare_trees(reference, objects, "events")
    assert same.plugin_loaded and same.total.bad == 0 and same.total.changed == 0, same.output
    # one member alone (SetBranchStatus, then RDataFrame): the plugin fetches Muon_Px/Py/Pz itself
    assert read_member_alone(objects, "Muon_E", reader_imt) == reference_alone
    # a carrier whose entry offsets derive from Muon_Px's basket: the plugin fetches that one
    assert read_member_alone(objects, "Muon_Py", reader_imt) == reference_py
    assert read_member_alone(objects, "Muon_Py", not reader_imt) == reference_py


def test_a_member_of_an_object_file_in_a_zip_archive_reads_alone(per_value, object_file, tmp_path):
    """ROOT opens `arch.zip#objects.root` at the member's offset in the archive; the context
    baskets were read at their seek in the archive's own bytes, and every Muon_E entry failed with
    "its record is damaged" (a sweep of ROOT's readers)."""
    archive = tmp_path / "arch.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as z:  # ROOT reads stored members only
        z.write(object_file, "objects.root")
    assert read_member_alone(f"{archive}#objects.root", "Muon_E") == per_value[1]


def test_object_file_reads_the_per_value_values(baler, muon_model, per_value, object_file):
    _, model_id, _ = muon_model
    check_reads_the_per_value_values(object_file, per_value, reader_imt=True)
    energy, energy_per_value = branch_bytes(baler, object_file)["Muon_E"], branch_bytes(baler, per_value[0])["Muon_E"]
    assert f"ae:bits:10:{model_id}" in energy["codec"], energy
    assert energy["compressed"] < 0.5 * energy_per_value["compressed"], (energy, energy_per_value)


CONTEXT_FETCHES = """
import ctypes, ROOT
f = ROOT.TFile.Open(PATH)
t = f.Get('events')
t.SetBranchStatus('*', 0)
t.SetBranchStatus(GLOB, 1)
for entry in range(t.GetEntries()):
    t.GetEntry(entry)
count = ctypes.CDLL(LIB).BalerDiagnosticCount
count.restype, count.argtypes = ctypes.c_longlong, [ctypes.c_char_p]
print('baskets:', t.GetBranch('Muon_E').GetWriteBasket(), 'fetched:', count(b'context_baskets_fetched'))
"""


def context_fetches(path, glob, member="Muon_E"):
    """(`member`'s baskets, context baskets the plugin read and decoded itself) reading `glob`."""
    output = run_python(f"PATH, LIB, GLOB = '{path}', '{BUILD_LIB / 'libBalerROOT.so'}', '{glob}'\n" +
                        CONTEXT_FETCHES.replace("'Muon_E'", repr(member)))
    return tuple(int(x) for x in re.search(r"^baskets: (\d+) fetched: (-?\d+)$", output, re.M).groups())


def test_members_derive_their_entry_offsets_from_the_first_carrier(baler, per_value, object_file):
    """Every member's basket stores the entry offsets of the shared counter (Muon_Px's basket's, up
    to the key length): each member but the first carrier stores them as derived from that
    carrier's basket (format section 20), carriers without float context too. Measured on HZZ:
    about 400 bytes less per member (of 7,262 for Muon_Py at bits:10) since the I32 section codes
    offsets as differences (780 of 7,689 before); without section 20 these members' blocks are
    the per-value file's."""
    objects, reference = branch_bytes(baler, object_file), branch_bytes(baler, per_value[0])
    assert objects["Muon_Px"]["compressed"] == reference["Muon_Px"]["compressed"]
    for member in ("Muon_Py", "Muon_Pz", "Muon_Iso"):
        assert objects[member]["compressed"] < reference[member]["compressed"] - 300, (member, objects[member], reference[member])
    # Muon_Charge (Int_t) is no member of the float model: stored as it was
    assert objects["Muon_Charge"]["compressed"] == reference["Muon_Charge"]["compressed"]


# HZZ's muons written through ROOT in baskets of 2000 bytes, Muon_* through an object model; the
# carrier baskets whose values the plugin keeps, before and after the file is closed.
CACHED_WHILE_WRITING = """
import ctypes, ROOT
ROOT.gInterpreter.Declare('#include "Baler/Baler.h"')
count = ctypes.CDLL(LIB).BalerDiagnosticCount
count.restype, count.argtypes = ctypes.c_longlong, [ctypes.c_char_p]
source = ROOT.TFile.Open(SOURCE)
tree = source.Get('events')
tree.SetBranchStatus('*', 0)
tree.SetBranchStatus('NMuon', 1)
tree.SetBranchStatus('Muon_*', 1)
out = ROOT.TFile(OUT, 'RECREATE')
copy = tree.CloneTree(0)
copy.SetBasketSize('*', 2000)
ROOT.Baler.SetCodec(copy, 'Muon_*', ROOT.Baler.Codec.Parse(SPEC))
copy.CopyEntries(tree)
print('baskets:', copy.GetBranch('Muon_Px').GetWriteBasket(), 'kept while writing:', count(b'context_baskets_cached'))
copy.Write()
out.Close()
print('kept once closed:', count(b'context_baskets_cached'))
"""


def test_a_writer_keeps_only_the_carrier_baskets_a_member_may_still_ask_for(baler, shared_data, muon_model, tmp_path):
    """A writer caches each carrier basket's values for the members of the same entries, which ROOT
    writes in the same flush. Kept until evicted, they held up to the cache's 256 MiB bound in
    values no basket would ask for (160 MB more at the peak of a 10^6-event RDataFrame Snapshot of
    generated jets through an object model; 30 MB more than bits:10 with this). Now a carrier's
    basket drops its previous one, and a file's StreamerInfo write (its Write, Close) ends its
    trees' generations and drops theirs: one basket per carrier while writing, none once closed,
    and the members still coded with their context."""
    model, model_id, _ = muon_model
    out = tmp_path / "objects.root"
    output = run_python(f"LIB, SOURCE, OUT, SPEC = '{BUILD_LIB / 'libBalerROOT.so'}', "
                        f"'{shared_data / 'uproot-HZZ.root'}', '{out}', 'ae:bits:10:{model}'\n" + CACHED_WHILE_WRITING)
    baskets, writing = (int(x) for x in re.search(r"^baskets: (\d+) kept while writing: (-?\d+)$", output, re.M).groups())
    carriers = 4  # Muon_Px, Py, Pz and Iso: the members coded without float context
    assert baskets >= 8 and 0 < writing <= carriers, output
    assert "kept once closed: 0" in output, output
    assert f"ae:bits:10:{model_id}" in branch_bytes(baler, out)["Muon_E"]["codec"]
    read = run_macro("read_all_branches", out, "events", env=env_without_model_path())
    assert "read_all_branches: 7 0" in read and "Error in <" not in read, read  # NMuon, Muon_* with Charge


def test_a_draw_with_parallel_unzip_over_members_reads_every_entry_and_ends(object_file):
    """TTreeCacheUnzip unzips baskets ahead of the reader in its tasks, where a member's basket has
    no basket to fetch its carriers' for: it failed, the plugin said so for each, and the task's
    own TObject::Error took ROOT's core lock, which a reader closing the file holds while it waits
    for that task: TTree::Draw hung (6 of 8 runs here), and a failure on another basket of the
    reading thread stopped the Draw (-1). For a file that holds an object model the cache unzips
    nothing ahead, and every run ends with every entry."""
    for _ in range(4):
        try:
            drawn = run_macro("draw_parallel_unzip", object_file, "events", "Muon_E", timeout=120)
        except subprocess.TimeoutExpired:
            pytest.fail("TTree::Draw with parallel unzip hung")
        assert "draw_parallel_unzip: 3825" in drawn and "Error in <" not in drawn, drawn


def test_whole_collection_decodes_each_carrier_basket_once(object_file):
    """Muon_E read alone fetches its three carriers' baskets for each of its baskets. Reading the
    whole collection, ROOT decodes the carriers' baskets anyway: once Muon_E's first block has
    named its context, the later ones take ROOT's decoded values instead of reading and decoding
    the carriers' baskets a second time (only the first entry range's three are fetched)."""
    baskets, fetched = context_fetches(object_file, "Muon_E")
    assert baskets >= 2 and fetched == 3 * baskets, (baskets, fetched)
    assert context_fetches(object_file, "Muon_*") == (baskets, 3)
    # a carrier read alone fetches only the basket its entry offsets derive from (Muon_Px's), which
    # needs nothing: one level
    assert context_fetches(object_file, "Muon_Py") == (baskets, baskets)


@pytest.mark.parametrize("how, trees", [("merger", ["events"]), ("directories", ["a/events", "b/events"]),
                                        ("reset", ["events"]), ("twins", ["events;1", "events;2"])])
def test_a_tree_written_again_never_codes_members_with_its_former_carriers(shared_data, muon_model, tmp_path, how, trees):
    """The carriers' values a writer keeps for the members of the same entries were named by file,
    tree name and entries alone. TBufferMerger (RDataFrame's multi-threaded Snapshot) resets its
    tree after each Write in a file that keeps its UUID, a tree may be Reset, and two trees of one
    name may sit in two directories, or live at once in one: a member written before its carrier
    took the values of the former carrier, or of the other tree's, and the reader, which finds its
    own, could not read it (a stress sweep: 5 Snapshots in 10; "twins": events;2's Muon_E). Now a
    tree's path, the tree object and its write generation name them too: every branch of every
    tree reads, in a fresh process that finds the model in the file alone."""
    model, _, _ = muon_model
    out = tmp_path / f"{how}.root"
    written = run_macro("objects_written_again", shared_data / "uproot-HZZ.root", out, f"ae:bits:10:{model}", how, 2421)
    assert "Error in <" not in written, written
    for tree in trees:
        read = run_macro("read_all_branches", out, tree, env=env_without_model_path())
        assert "read_all_branches: 6 0" in read and "Error in <" not in read, read


# Muon_E alone from each cycle of the tree, one after the other in one process.
CYCLES_READ_ALONE = """
import ROOT
f = ROOT.TFile.Open(PATH)
for cycle in (1, 2):
    tree = f.Get(f"events;{cycle}")
    tree.SetBranchStatus("*", 0)
    tree.SetBranchStatus("Muon_E", 1)
    failed = sum(1 for entry in range(tree.GetEntries()) if tree.GetEntry(entry) <= 0)
    print(f"cycle {cycle}: {tree.GetEntries()} entries, {failed} failed")
"""


def test_a_reader_tells_the_carrier_baskets_of_two_cycles_apart(shared_data, muon_model, tmp_path):
    """A reader keeps the carriers' decoded values for the members of the same entries. Named by
    file, tree path and entries alone, the baskets of events;1 and events;2 (or of a tree written
    again in place) were the same to it: Muon_E of events;2, read after events;1's, took events;1's
    context and failed (all 2421 entries in the read sweep's file, 190 here). Where a basket is
    stored names it too."""
    model, _, _ = muon_model
    out = tmp_path / "cycles.root"
    written = run_macro("objects_written_again", shared_data / "uproot-HZZ.root", out, f"ae:bits:10:{model}", "cycles", 2421)
    assert "Error in <" not in written and "coded no basket" not in written, written
    read = run_python(f"PATH = {str(out)!r}\n" + CYCLES_READ_ALONE, env=env_without_model_path())
    assert "cycle 1: 2421 entries, 0 failed" in read and "cycle 2: 2421 entries, 0 failed" in read, read
    assert "Error in <" not in read, read


# Muon_E through uproot from each file copied in turn to one path, in one process; then from the
# last file itself, in another.
COPIED_OVER_READ = """
import hashlib, shutil, numpy as np, uproot, baler_root
for made in MADE:
    shutil.copy(made, PATH)
    values = np.concatenate(uproot.open(PATH)["events"]["Muon_E"].array(library="np"))
print("digest", hashlib.sha1(values.tobytes()).hexdigest())
"""


def test_uproot_tells_apart_the_baskets_of_a_file_copied_over(shared_data, muon_model, tmp_path):
    """uproot's context cache named a carrier's basket by file path, UUID, tree path and cycle, and
    entries: a file copied over one read before, whose tree was written again in place in a copy
    of it (the same UUID, tree path and cycle), met the old file's values, and its members failed
    their checksum (a read sweep). Where the basket is stored names it too."""
    model, _, _ = muon_model
    made = [tmp_path / "first.root", tmp_path / "overwritten.root"]
    for path in made:  # the second a copy of the first, its tree written again in place
        if path == made[1]:
            shutil.copy(made[0], path)
        written = run_macro("objects_written_again", shared_data / "uproot-HZZ.root", path, f"ae:bits:10:{model}",
                            "overwrite", 2421)
        assert "coded no basket" not in written and "Error in <" not in written, written
    env = env_without_model_path()
    read = tmp_path / "read.root"
    in_turn = run_python(f"MADE, PATH = {[str(p) for p in made]!r}, {str(read)!r}\n" + COPIED_OVER_READ, env=env)
    alone = run_python(f"MADE, PATH = {[str(made[1])]!r}, {str(tmp_path / 'alone.root')!r}\n" + COPIED_OVER_READ, env=env)
    digest = re.search(r"^digest (.*)$", alone, re.M).group(1)
    assert f"digest {digest}" in in_turn, in_turn


def test_a_tree_read_while_it_is_written_reads_its_last_written_basket(shared_data, muon_model, tmp_path):
    """The entries of a tree's last written basket ran to GetEntries(), which counts the entries of
    the basket still in memory while the tree is filled: a member of that basket could not be read
    (TTree::Draw returned -1) until the tree was closed, nor in a tree extended in UPDATE mode (a
    read sweep). They now run to where the basket in memory starts."""
    model, _, _ = muon_model
    output = run_macro("objects_read_while_written", shared_data / "uproot-HZZ.root", tmp_path / "filling.root",
                       f"ae:bits:10:{model}", 1200, 500, 1000)
    values, drawn = map(int, re.search(r"^objects_read_while_written: (-?\d+) (-?\d+)$", output, re.M).groups())
    assert values > 0 and drawn == values and "Error in <" not in output, output


def test_written_under_imt(shared_data, muon_model, per_value, tmp_path):
    """Under IMT a member may be flushed before its context and is then coded per value: the
    values are the same either way."""
    model, _, _ = muon_model
    objects = tmp_path / "imt.root"
    rewrite(shared_data, objects, "Muon_*", f"ae:bits:10:{model}", imt=True)
    check_reads_the_per_value_values(objects, per_value, reader_imt=False)


def test_an_object_member_without_its_context_is_warned_about_as_such(baler, shared_data, muon_model, tmp_path):
    """Only Muon_E under the object model, its context (Px, Py, Pz) at bits:10 per value: no basket
    can go through the model, and the warning gave an autoencoder's reasons (rows of another width)."""
    model, model_id, _ = muon_model
    proc = run_baler(baler, "compress", shared_data / "uproot-HZZ.root", tmp_path / "e.root", "--json",
                     "--policy", f"events/Muon_E=ae:bits:10:{model}")
    warnings = json.loads(proc.stdout)["warnings"]
    assert len(warnings) == 1 and warnings[0].startswith(f"model {model_id} ") and warnings[0].endswith(
        "coded no basket of Muon_E: the members they are predicted from are not all coded with it in this tree, "
        "were written after them (ROOT writes a tree's baskets in the order of its branches: make the carriers' "
        "branches, or list their Snapshot columns, first), their baskets do not hold the same entries, or it does "
        "not make them smaller, and they are stored per value at bits:10"), warnings


def test_an_object_model_of_another_collection_is_warned_about_as_such(baler, shared_data, muon_model, tmp_path):
    """The muons' model on the jets: it gave the reasons of a model whose members lack their context."""
    model, model_id, _ = muon_model
    proc = run_baler(baler, "compress", shared_data / "uproot-HZZ.root", tmp_path / "j.root", "--json",
                     "--branches", "Jet_P*", "--codec", f"ae:bits:10:{model}")
    warnings = json.loads(proc.stdout)["warnings"]
    assert len(warnings) == 1 and warnings[0].startswith(f"model {model_id} ") and warnings[0].endswith(
        "coded no basket of Jet_Px, Jet_Py, Jet_Pz: none of them is a member of it (it was trained on another "
        "collection's branches), and they are stored per value at bits:10"), warnings


def test_policy_writes_object_members(baler, shared_data, muon_model, per_value, tmp_path):
    model, model_id, _ = muon_model
    objects = tmp_path / "policy.root"
    rewrite(shared_data, objects, env=preload_env(f"events/Muon_*=ae:bits:10:{model}"))
    same = compare_trees(per_value[0], objects, "events")
    assert same.total.bad == 0 and same.total.changed == 0, same.output
    assert f"ae:bits:10:{model_id}" in branch_bytes(baler, objects)["Muon_E"]["codec"]


UPROOT_READS = """
import hashlib, awkward as ak, uproot, baler_root
from baler_root import _uproot
objects, reference = uproot.open(OBJECTS)['events'], uproot.open(REFERENCE)['events']
flat = lambda array: ak.to_numpy(ak.flatten(array, axis=None))  # noqa: E731
# the whole tree first, in this fresh process: every branch as in the per-value file, bit for bit
whole = objects.arrays()
for name in reference.keys():
    x, y = whole[name], reference[name].array()
    counts = x.ndim == 1 or ak.to_list(ak.num(x, axis=1)) == ak.to_list(ak.num(y, axis=1))
    if not counts or flat(x).tobytes() != flat(y).tobytes():
        print('differs:', name)
print('whole:', len(reference.keys()), 'fetched:', _uproot._context_baskets_fetched)
# then each member alone, from a file opened anew (uproot caches arrays per open file), with nothing
# cached: baler_root fetches its context baskets itself
for name in ALONE:
    _uproot._context_cache.clear()
    _uproot._context_branches.clear()
    fetched = _uproot._context_baskets_fetched
    digests = [hashlib.sha1(flat(uproot.open(path)['events'][name].array()).tobytes()).hexdigest()
               for path in (OBJECTS, REFERENCE)]
    print('alone:', name, digests[0] == digests[1], objects[name].num_baskets, _uproot._context_baskets_fetched - fetched)
"""


def uproot_reads(objects, reference, alone):
    """uproot (baler_root) in a fresh process: {name: (same values as `reference`, baskets, context
    baskets fetched)} of each branch of `alone` read by itself; asserts that the whole tree reads as
    `reference` does and that doing so fetched no context basket (the carriers that the file's object
    models name are kept as uproot decodes them, before their members)."""
    output = run_python(f"OBJECTS, REFERENCE, ALONE = '{objects}', '{reference}', {list(alone)!r}\n" + UPROOT_READS)
    assert "differs:" not in output and re.search(r"^whole: \d+ fetched: 0$", output, re.M), output
    found = {name: (same == "True", int(baskets), int(fetched))
             for name, same, baskets, fetched in re.findall(r"^alone: (\S+) (\w+) (\d+) (\d+)$", output, re.M)}
    assert sorted(found) == sorted(alone), output
    return found


def test_uproot_reads_object_members_as_root_does(object_file, per_value):
    """uproot (baler_root) reads the file ROOT wrote with the muon model as ROOT reads it: every
    basket of every branch to ROOT's bytes (each branch read alone, basket by basket), the whole tree
    to the per-value file's values, and Muon_E alone, fetching its three carriers' baskets for each
    of its baskets (as the plugin does); Muon_Py alone fetches Muon_Px's (its entry offsets). Before,
    Muon_E raised BalerDecodeError: baler_root did not fetch other members' values."""
    assert uproot_digests(object_file) == basket_digests(object_file)
    found = uproot_reads(object_file, per_value[0], ["Muon_E", "Muon_Py"])
    baskets = found["Muon_E"][1]
    assert baskets >= 2 and found["Muon_E"] == (True, baskets, 3 * baskets), found
    assert found["Muon_Py"] == (True, baskets, baskets), found


@pytest.fixture
def fresh_context():
    """baler_root's context cache emptied before and after a test that reads in this process."""
    def empty():
        for name in ("_context_cache", "_context_branches"):
            getattr(_uproot, name, set()).clear()  # (a baler_root without them fetches nothing)
    empty()
    yield
    empty()


def damage(path, out, branch, basket, at):
    """A copy of `path` as `out` with one byte of `branch`'s basket `basket` flipped: the checksum of
    its Baler block when `at` is None, -`at` bytes into its key (TKey header) when `at` is negative,
    `at` bytes into the Baler payload (after ROOT's 9-byte header) otherwise."""
    data = bytearray(pathlib.Path(path).read_bytes())
    with uproot.open(path) as file:
        source = file["events"][branch]
        start = int(source.member("fBasketSeek")[basket])
        size = int(source.member("fBasketBytes")[basket])
    block = basket_block(data, start)
    if at is None:
        wrong_checksum(data, block)
    elif at >= 0:
        data[block + 9 + at] ^= 0x5A
    else:
        assert start <= start - at < start + size
        data[start - at] ^= 0x5A
    out.write_bytes(bytes(data))
    return out


# Where a carrier basket is damaged (bytes into its Baler payload, or -bytes into its key), and what
# the member's error then says of it.
CARRIER_FAULTS = {
    # (a flipped byte inside the pcodec streams fails as a corrupt stream or as a checksum mismatch
    # depending on where it lands, which the writer's stream choices move: the checksum itself is the
    # damage whose cause is known)
    "checksum": (None, "decoded: checksum mismatch"),
    # its block header: its magic was taken for the member's block's ("corrupt block in branch
    # Muon_E", a review of object models in analysis workflows)
    "magic": (0, "decoded: corrupt block: bad magic"),
    "objlen": (-8, "decoded: block 1 decodes to"),  # the key's decoded length (bytes 6-9)
    # (uproot then reads the block header from the wrong place: neither a Baler nor a ROOT header)
    "keylen": (-15, "decoded: block 1 of the basket starts with"),
}


@pytest.mark.parametrize("fault", sorted(CARRIER_FAULTS))
def test_uproot_damaged_carrier_basket_is_one_clear_error(object_file, tmp_path, fresh_context, fault):
    """A member whose context basket is damaged (its Baler block, the decoded length its key records,
    or the key's length, which misplaces its block header) raises BalerDecodeError naming the
    member's basket and which context basket failed why; the other baskets still read."""
    at, cause = CARRIER_FAULTS[fault]
    with uproot.open(object_file) as file:
        entries = file["events"]["Muon_Px"].basket_entry_start_stop(0)[1]
    damaged = damage(object_file, tmp_path / "damaged.root", "Muon_Px", 0, at)
    tree = uproot.open(damaged)["events"]
    with pytest.raises(baler_root.BalerDecodeError) as raised:
        tree["Muon_E"].basket(0)
    message = str(raised.value)
    assert message.startswith("cannot decode a Baler block in branch 'Muon_E' of tree 'events', basket 0 "), message
    assert f"Muon_E's context: branch Muon_Px's basket of entries 0+{entries} cannot be {cause}" in message, message
    assert str(damaged) in message, message
    assert tree["Muon_E"].basket(1).data.size > 0


@pytest.mark.parametrize("at, cause", [(None, "checksum mismatch"), (0, "bad magic")])
def test_root_names_the_damaged_carrier_basket_not_the_member(object_file, tmp_path, at, cause):
    """ROOT reading a member whose context basket fails its checksum, or whose block header is
    damaged: the error names the context branch and its entries. It said "corrupt Baler block in
    branch Muon_E", the member's intact block (for the header until 12-07)."""
    damaged = damage(object_file, tmp_path / "damaged.root", "Muon_Px", 0, at)
    output = run_command(["root.exe", "-l", "-b", "-q", "-e",
                          f'TFile f("{damaged}"); ((TTree*)f.Get("events"))->GetBranch("Muon_E")->GetEntry(0);'], check=False).stderr
    first = next(line for line in output.splitlines() if line.startswith("Error in <Baler>"))
    assert first.startswith("Error in <Baler>: cannot read branch Muon_E, entries 0-"), output
    assert "context branch Muon_Px of Muon_E, basket of entries 0+" in first and cause in first, output


@pytest.mark.parametrize("opened", ["bytes", "stream"])
def test_uproot_reads_a_member_alone_from_a_file_like_object(object_file, per_value, fresh_context, opened):
    """uproot opens file-like objects too (io.BytesIO, an open file). A member read alone fetches
    its carriers' baskets, and that fetch took the source for a path: TypeError from os.stat. Now
    it reads them through uproot's source, as for a remote file."""
    with open(object_file, "rb") as stream:
        source = io.BytesIO(stream.read()) if opened == "bytes" else stream
        members = uproot.open(source)["events"].arrays(["Muon_E", "Muon_Py"], library="np")
    reference = uproot.open(per_value[0])["events"].arrays(["Muon_E", "Muon_Py"], library="np")
    for name in ("Muon_E", "Muon_Py"):
        assert all(numpy.array_equal(a, b) for a, b in zip(members[name], reference[name])), name


def test_uproot_context_chain_is_bounded(object_file, per_value, fresh_context, monkeypatch):
    """With nothing cached, Muon_E's basket fetches Muon_Py's, whose block derives its entry offsets
    from Muon_Px's basket: a chain of two fetches, read right. A chain longer than the bound
    (_MAX_CONTEXT_DEPTH, lowered to 1 here) is refused with a BalerDecodeError that names it,
    never followed (a crafted block could name a chain without end, or a circle)."""
    monkeypatch.setattr(_uproot._ContextCache, "MAX_ENTRIES", 0)  # every context basket fetched anew
    expected = uproot.open(per_value[0])["events"]["Muon_E"].basket(0).data.tobytes()
    assert uproot.open(object_file)["events"]["Muon_E"].basket(0).data.tobytes() == expected
    monkeypatch.setattr(_uproot, "_MAX_CONTEXT_DEPTH", 1)
    branch = uproot.open(object_file)["events"]["Muon_E"]
    first, stop = branch.basket_entry_start_stop(0)
    entries = f"{first}+{stop - first}"
    with pytest.raises(baler_root.BalerDecodeError) as raised:
        branch.basket(0)
    assert (f"Muon_E's context: branch Muon_Py's basket of entries {entries} cannot be decoded: Muon_Py's context: "
            f"branch Muon_Px's basket of entries {entries}: the context of the context goes too deep or in a circle "
            f"(Muon_E {entries} -> Muon_Px {entries})") in str(raised.value), raised.value


@pytest.mark.parametrize("source", ["file read directly", "uproot's source"])
def test_uproot_carriers_fetched_without_uproots_basket_reading(object_file, per_value, fresh_context, monkeypatch,
                                                               source):
    """Muon_E read alone fetches its carriers' stored blocks itself (_stored_block), from the file
    (local) or through uproot's source (any other), not through uproot's reading of a basket, which
    cost more than the decoding: every carrier came that way, and the values are the per-value
    file's."""
    if source == "uproot's source":
        monkeypatch.setattr(_uproot.os.path, "isfile", lambda path: False)
    stored = []
    fetch = _uproot._stored_block
    monkeypatch.setattr(_uproot, "_stored_block", lambda *args: stored.append(fetch(*args)) or stored[-1])
    expected = uproot.open(per_value[0])["events"]["Muon_E"].array(library="np")
    values = uproot.open(object_file)["events"]["Muon_E"].array(library="np")
    assert len(values) == len(expected) and all((a == b).all() for a, b in zip(values, expected))
    assert stored and all(block is not None for block in stored), [block is None for block in stored]


def test_uproot_context_memory_is_bounded(object_file, per_value, fresh_context, monkeypatch):
    """baler_root's context cache drops its oldest baskets past its count or its bytes, and its set
    of context branch names starts again past its bound: a read still gets the right values."""
    cache = _uproot._ContextCache()
    cache.MAX_ENTRIES, cache.MAX_BYTES = 3, 100
    values = type("Values", (), {"nbytes": 40})
    for key in range(5):
        cache.put(key, values())
    assert list(cache._values) == [3, 4] and cache._bytes == 80  # 3 x 40 > 100
    cache.MAX_BYTES = 1000
    for key in range(5, 9):
        cache.put(key, values())
    assert list(cache._values) == [6, 7, 8] and cache._bytes == 120
    monkeypatch.setattr(_uproot, "_CONTEXT_BRANCHES_KEPT", 2)
    expected = uproot.open(per_value[0])["events"]["Muon_E"].array(library="np")
    got = uproot.open(object_file)["events"]["Muon_E"].array(library="np")
    assert len(got) == len(expected) and all(a.tobytes() == b.tobytes() for a, b in zip(got, expected))
    assert 1 <= len(_uproot._context_branches) <= 2, _uproot._context_branches


UPROOT_MEMBER = """
import sys, uproot, baler_root
tree = uproot.open(sys.argv[1])['events']
try:
    print('read:', b''.join(v.tobytes() for v in tree['Muon_E'].array(library='np')).hex())
except baler_root.BalerDecodeError as error:
    print('raised:', error)
"""


def test_uproot_finds_the_object_model_in_baler_model_path(muon_model, per_value, object_file, tmp_path):
    """A file without its object model (its baler_model_<id> key deleted) reads Muon_E with the
    model's .balm file in a folder of BALER_MODEL_PATH, and without it raises BalerDecodeError naming
    the model (each in a fresh process: baler_root keeps the models it has seen)."""
    model, model_id, _ = muon_model
    stripped = tmp_path / "without_model.root"
    stripped.write_bytes(object_file.read_bytes())
    delete_model_key(stripped, model_id)
    with uproot.open(stripped) as file:
        assert not [key for key in file.keys() if key.startswith("baler_model_")]
    expected = b"".join(v.tobytes() for v in uproot.open(per_value[0])["events"]["Muon_E"].array(library="np")).hex()
    env = env_without_model_path()
    output = run_command([sys.executable, "-c", UPROOT_MEMBER, stripped], env=env).stdout
    assert "raised: cannot decode a Baler block in branch 'Muon_E' of tree 'events', basket 0 " in output, output
    assert f"model {model_id}, which the file does not hold, and BALER_MODEL_PATH is not set" in output, output
    output = run_command([sys.executable, "-c", UPROOT_MEMBER, stripped], env={**env, "BALER_MODEL_PATH": model.parent}).stdout
    assert output.strip() == f"read: {expected}", output[:500]


def test_uproot_refuses_context_of_other_entries(object_file, fresh_context, monkeypatch):
    """The context must be that of the entries the member's block records: carriers' baskets of other
    entries (their count differs) or a block found in a basket of other entries are a BalerDecodeError
    naming the member, its entries and the cause, never other values."""
    tree = uproot.open(object_file)["events"]
    branch = tree["Muon_E"]
    (first, stop), (other_first, other_stop) = branch.basket_entry_start_stop(0), branch.basket_entry_start_stop(1)
    fetch = _uproot._carrier
    monkeypatch.setattr(_uproot, "_carrier", lambda name, _first, _entries, member, file_path:
                        fetch(name, other_first, other_stop - other_first, member, file_path))
    with pytest.raises(baler_root.BalerDecodeError) as raised:
        branch.basket(0)
    message = str(raised.value)
    assert "in branch 'Muon_E' of tree 'events', basket 0 " in message, message
    assert f"decoded with the values of Muon_Px, Muon_Py, Muon_Pz for entries {first}+{stop - first}" in message, message
    monkeypatch.setattr(_uproot, "_carrier", fetch)
    monkeypatch.setattr(branch, "basket_entry_start_stop", lambda k: (first + 1, stop))
    with pytest.raises(baler_root.BalerDecodeError, match=re.escape(
            f"the block of member Muon_E, entries {first}+{stop - first}, is in the basket of branch Muon_E, "
            f"entries {first + 1}+{stop - first - 1}: damaged")):
        branch.basket(0)


COLLECTIONS = ("Jet", "Muon", "Electron", "Photon")


@pytest.fixture(scope="module")
def collection_models(baler, shared_data, muon_model, tmp_path_factory):
    """{collection: (model path, model id)}: object models of HZZ's Jet, Muon, Electron and Photon
    floats (each E predicted from Px, Py, Pz)."""
    folder = tmp_path_factory.mktemp("collections")
    models = {"Muon": muon_model[:2]}
    for collection in COLLECTIONS:
        if collection not in models:
            model = folder / f"{collection}.balm"
            proc = run_baler(baler, "train", shared_data / "uproot-HZZ.root", "--branches", f"{collection}_*", "--tree",
                             "events", "--bound", "bits:10", "--out", model)
            models[collection] = (model, re.search(r"^model ([0-9a-f]+) ", proc.stdout, re.M).group(1))
    return models


def collections_policy(models):
    return ",".join(f"events/{collection}_*=ae:bits:10:{path}" for collection, (path, _) in models.items())


@pytest.fixture(scope="module")
def compressed(baler, shared_data, collection_models, tmp_path_factory):
    """HZZ through `baler compress`: at bits:10 (bits10.root), and with the four collections'
    object models and bits:10 on the other floats, on 1 and on 4 threads (objects1/4.root)."""
    folder = tmp_path_factory.mktemp("compressed")
    source = shared_data / "uproot-HZZ.root"
    run_baler(baler, "compress", source, folder / "bits10.root", "--codec", "bits:10")
    for threads in (1, 4):
        run_baler(baler, "compress", source, folder / f"objects{threads}.root", "--policy",
                  collections_policy(collection_models), "--codec", "bits:10", "--threads", threads)
    return folder


def test_compress_codes_members_with_their_context(baler, collection_models, compressed):
    """`baler compress` codes each collection's E with the decoded momenta of the carriers' baskets
    of the same entries, coded in the same run (the same window of baskets): every E basket of HZZ
    is a member block with its context, so that E read alone fetches its three carriers' baskets for
    each of its baskets, and it is smaller than at bits:10. Before, the rewriter coded every member
    per value (bits:10 blocks, nothing to fetch)."""
    objects = compressed / "objects1.root"
    rows, per_value = branch_bytes(baler, objects), branch_bytes(baler, compressed / "bits10.root")
    for collection, (_, model_id) in collection_models.items():
        member = f"{collection}_E"
        assert rows[member]["codec"] == f"baler ae:bits:10:{model_id}", rows[member]
        assert rows[member]["compressed"] < per_value[member]["compressed"], (rows[member], per_value[member])
        baskets, fetched = context_fetches(objects, member, member)
        assert baskets >= 1 and fetched == 3 * baskets, (member, baskets, fetched)
        for carrier in ("Px", "Py", "Pz"):
            assert rows[f"{collection}_{carrier}"]["codec"] == "baler bits:10", rows[f"{collection}_{carrier}"]


def test_a_member_kept_in_the_tree_key_is_described_by_what_it_holds(baler, shared_data, tmp_path):
    """NanoAOD's Muon branches are in the tree's key, where an object model codes nothing: their
    values are the bound's per value. inspect read the tree's codec note, which held the spec as
    given, model path included ("baler ae:bits:10:/.../muons.balm"); it now says "baler bits:10"."""
    source = shared_data / "nanoAOD_2015_CMS_Open_Data_ttbar.root"
    model, out = tmp_path / "muons.balm", tmp_path / "nano.root"
    run_baler(baler, "train", source, "--branches", "Muon_*", "--bound", "bits:10", "--out", model)
    run_baler(baler, "compress", source, out, "--codec", f"ae:bits:10:{model}", "--branches", "Muon_*")
    rows = branch_bytes(baler, out)
    assert rows["Muon_pt"]["codec"] == "baler bits:10", rows["Muon_pt"]


def test_compress_with_context_reads_the_per_value_values(compressed, per_value):
    """The compressed file with object members holds exactly the values of `baler compress --codec
    bits:10` and of the file ROOT wrote through the plugin at bits:10, read whole, and a member
    alone with IMT (the plugin fetching its context)."""
    objects, bits10 = compressed / "objects1.root", compressed / "bits10.root"
    for reference in (bits10, per_value[0]):
        same = compare_trees(reference, objects, "events")
        assert same.plugin_loaded and same.total.bad == 0 and same.total.changed == 0, same.output
    assert read_member_alone(objects, "Muon_E", imt=True) == per_value[1]
    assert read_member_alone(objects, "Jet_E", imt=True) == read_member_alone(bits10, "Jet_E")


def test_compress_with_context_gives_the_same_file_at_any_thread_count(compressed):
    """Members are coded after their carriers' baskets of the window are coded and their values
    kept, whichever thread codes them: 1 and 4 threads store the same bytes in every basket."""
    assert stored_layout(compressed / "objects1.root", "events") == stored_layout(compressed / "objects4.root", "events")


def test_compress_codes_members_as_the_hook_does(baler, muon_model, per_value, object_file, tmp_path):
    """`baler compress` of the bits:10 file that ROOT wrote through the plugin, with the muon model:
    its baskets are those of the file ROOT wrote with SetCodec(ae:bits:10:MODEL) (the same macro),
    and the muon baskets come out as the hook wrote them, the members' blocks with their context
    included: Muon_Px's stored blocks are not smaller when coded again and stay as they are (being
    Baler blocks, a reader fetches them, so they serve as context too); the other carriers' are
    coded again with their entry offsets derived from Muon_Px's."""
    model, _, _ = muon_model
    out = tmp_path / "recompressed.root"
    run_baler(baler, "compress", per_value[0], out, "--policy", f"events/Muon_*=ae:bits:10:{model}", "--codec", "bits:10")
    hook, recompressed = stored_layout(object_file, "events"), stored_layout(out, "events")
    stored = stored_layout(per_value[0], "events")
    muons = {name: baskets for name, baskets in hook[0].items() if name.startswith("Muon_")}
    # the offsets source (Muon_Px), the predicted member and the int branch: byte for byte
    same = {"Muon_Px", "Muon_E", "Muon_Charge"}
    assert muons and all(recompressed[0][name] == muons[name] for name in same), (muons, recompressed[0])
    # the other carriers derive their entry offsets from Muon_Px's basket, so their new blocks are
    # smaller than the stored ones and replace them; their floats, already on the bits:10 grid, are
    # then stored exactly (format.md), within a few bytes of the hook's quantised section
    size = lambda basket: int(basket.split()[0])  # noqa: E731
    for name in set(muons) - same:
        for new, hooked, old in zip(recompressed[0][name], muons[name], stored[0][name]):
            assert size(new) < size(old) and abs(size(new) - size(hooked)) <= 32, (name, new, hooked, old)
    assert recompressed[1:] == hook[1:]


def test_uproot_reads_the_compressed_file_as_root_does(compressed):
    """uproot (baler_root) reads the file `baler compress` wrote with the four collections' object
    models as ROOT reads it: every basket of every branch to ROOT's bytes, the whole tree to the
    values of `baler compress --codec bits:10`, and each collection's E alone (its context fetched).
    Before, the members raised BalerDecodeError."""
    objects = compressed / "objects1.root"
    assert uproot_digests(objects) == basket_digests(objects)
    members = [f"{collection}_E" for collection in COLLECTIONS]
    found = uproot_reads(objects, compressed / "bits10.root", members)
    for member in members:
        same, baskets, fetched = found[member]
        assert same and baskets >= 1 and fetched == 3 * baskets, (member, found)


def test_compress_never_keeps_a_member_block_whose_context_changes(baler, compressed, tmp_path):
    """A member's stored block is decoded with its carriers' baskets in the output file. Coding the
    carriers again (bits:8) while copying Jet_E's block as it is wrote a file whose Jet_E could not
    be read (its checksum fails against the new carriers): now Jet_E is coded again too, in a key
    larger than the stored one if need be, or the command refuses when Jet_E (or another member whose
    entry offsets derive from Jet_Px's baskets) is not selected. At
    the same spec the carriers keep their stored blocks, and so does Jet_E."""
    objects = compressed / "objects1.root"
    refused = run_baler(baler, "compress", objects, tmp_path / "refused.root", "--codec", "bits:8", "--branches",
                        "Jet_Px", check=False)
    # (the first member it meets: Jet_Py, whose entry offsets derive from Jet_Px's basket)
    assert refused.returncode != 0 and "Jet_Px" in refused.stderr, refused.stderr
    assert re.search(r"branch Jet_(Py|Pz|E|btag)\b", refused.stderr), refused.stderr
    coarser = tmp_path / "bits8.root"
    rows = compress_json(baler, objects, coarser, "--codec", "bits:8", "--branches", "Jet_*")
    assert rows["Jet_E"]["codec_after"] == "baler bits:8", rows["Jet_E"]
    assert rows["Jet_E"]["bytes_after"] > rows["Jet_E"]["bytes_before"], rows["Jet_E"]
    same = compare_trees(objects, coarser, "events", "Jet_*=bits:8")
    assert same.plugin_loaded and same.total.bad == 0 and same.branches["Jet_E"].must > 0, same.output
    assert read_member_alone(coarser, "Jet_E") == read_member_alone(coarser, "Jet_E", imt=True)
    kept = tmp_path / "kept.root"
    rows = compress_json(baler, objects, kept, "--codec", "bits:10", "--branches", "Jet_*")
    assert rows["Jet_E"]["bytes_after"] == rows["Jet_E"]["bytes_before"], rows["Jet_E"]
    same = compare_trees(objects, kept, "events")
    assert same.total.bad == 0 and same.total.changed == 0, same.output


def test_an_object_file_compressed_again_through_its_models_grows_no_branch(baler, compressed, collection_models,
                                                                              tmp_path):
    """HZZ through its collections' models, compressed again through them: the carriers' values were
    on the grid, so their new blocks held them exactly, and replaced the stored ones all the same,
    a few bytes larger (Muon_Py 6,858 -> 6,876 bytes), as did Muon_Iso, which is no member's
    context (an object-model sweep). They stay as stored now, and so do the members."""
    objects, again = compressed / "objects1.root", tmp_path / "again.root"
    proc = run_baler(baler, "compress", objects, again, "--json", "--policy", collections_policy(collection_models))
    rows = json.loads(proc.stdout)["branches"]
    grown = {r["branch"]: (r["bytes_before"], r["bytes_after"]) for r in rows if r["bytes_after"] > r["bytes_before"]}
    assert not grown, grown
    assert "coded no basket" not in proc.stderr, proc.stderr  # the members' stored blocks serve the models
    same = compare_trees(objects, again, "events")
    assert same.total.bad == 0 and same.total.changed == 0, same.output


def test_a_fast_merge_of_object_files_reads_as_the_per_value_merge(baler, compressed, tmp_path):
    """hadd -fk (a fast merge) copies every basket as stored, those of the second file moved by the
    first file's entries. The object members' blocks record the entries they were written for, and
    the readers took a block at other entries for a damaged one: every collection branch of the
    second file's entries (carriers whose offsets derive from Px included) failed to read in ROOT,
    uproot and `baler export`. They now read as the merge of the per-value files does."""
    merged, reference = tmp_path / "merged.root", tmp_path / "reference.root"
    for out, source in ((merged, compressed / "objects1.root"), (reference, compressed / "bits10.root")):
        run_command(["hadd", "-fk", out, source, source])
    same = compare_trees(reference, merged, "events")
    assert same.plugin_loaded and same.total.bad == 0 and same.total.changed == 0, same.output
    assert read_member_alone(merged, "Muon_E") == read_member_alone(reference, "Muon_E")
    assert read_member_alone(merged, "Jet_Py") == read_member_alone(reference, "Jet_Py")
    members = [f"{collection}_E" for collection in COLLECTIONS]
    assert all(same for same, _, _ in uproot_reads(merged, reference, members).values())
    exported = tmp_path / "exported.root"
    run_baler(baler, "export", merged, exported)
    same = compare_trees(reference, exported, "events")
    assert same.total.bad == 0 and same.total.changed == 0, same.output


FAST_SLIM = """
import sys, ROOT
source = ROOT.TFile.Open(sys.argv[1])
tree = source.Get("events")
tree.SetBranchStatus("Muon_Px", 0)
out = ROOT.TFile(sys.argv[2], "RECREATE")
tree.CloneTree(-1, "fast").Write()
out.Close()
"""


def test_a_fast_copy_without_a_members_context_is_an_error_when_written(compressed, tmp_path):
    """CloneTree(-1, "fast") after SetBranchStatus("Muon_Px", 0) copies the other muon branches'
    blocks, which are decoded with Muon_Px's baskets: none of them can be read from the copy. The
    copy cannot be undone once written, but the writer is told then, branch by branch, with the fix."""
    slim = tmp_path / "slim.root"
    proc = run_command([sys.executable, "-c", FAST_SLIM, compressed / "objects1.root", slim])
    errors = [line for line in (proc.stdout + proc.stderr).splitlines() if line.startswith("Error in <Baler>")]
    named = {re.search(r"branch (\w+) was copied fast", line).group(1) for line in errors}
    assert named == {"Muon_Py", "Muon_Pz", "Muon_E", "Muon_Iso"}, errors
    assert all("which the copy left out" in line and "keep Muon_Px" in line for line in errors), errors


def test_compress_with_context_over_many_windows(baler, shared_data, collection_models, tmp_path):
    """10 copies of HZZ's tree (bench/objects_read.C; 570 baskets, at least 9 windows of 64): each
    member's basket meets its carriers' baskets of the same entries in its window or an earlier one,
    and is coded with them, and 1 and 4 threads store the same bytes in every basket."""
    chain = tmp_path / "chain.root"
    run_macro("objects_read", shared_data / "uproot-HZZ.root", "events", "", 10, chain, folder=REPO / "bench")
    layouts = []
    for threads in (1, 4):
        out = tmp_path / f"objects{threads}.root"
        run_baler(baler, "compress", chain, out, "--policy", collections_policy(collection_models), "--codec", "bits:10",
                  "--threads", threads)
        layouts.append(stored_layout(out, "events"))
    assert sum(len(baskets) for baskets in layouts[0][0].values()) > 6 * 64, "too few baskets for several windows"
    assert layouts[0] == layouts[1]
    baskets, fetched = context_fetches(tmp_path / "objects4.root", "Muon_E")
    assert baskets == 20 and fetched == 3 * baskets, (baskets, fetched)
