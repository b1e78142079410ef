"""Issue 10, deliverable 1: `baler compress` rewrites a file basket by basket, never streaming an
object. No class needs a dictionary (the ATLAS DAOD used to abort with heap corruption), entry
boundaries, clusters and branch structure stay as they were, a branch that no spec selects keeps
its stored baskets byte for byte (PHYSLITE's ElementLink branches used to be re-streamed v9 -> v10),
baskets kept in the tree's own key stay there, and a Baler block replaces a stored basket only
where it is smaller: no file grows."""
import json
import os
import re
import subprocess
import sys

import awkward as ak
import numpy as np
import pytest
import uproot

import baler_root  # noqa: F401 (teaches uproot Baler's blocks)

from conftest import REPO, baler, compare_trees, run_baler, run_command, run_macro, run_python  # noqa: F401 (fixtures)


def stored_layout(path, tree):
    """basket_bytes.C's view of a tree: ({branch: [payload bytes and MD5 of each basket]},
    {branch: first entry of each basket / entries}, cluster starts)."""
    output = run_macro("basket_bytes", path, tree)
    baskets, entries, clusters = {}, {}, None
    for line in output.splitlines():
        if line.startswith("basket_bytes ") and ": " in line:
            head, contents = line[len("basket_bytes "):].split(": ", 1)
            baskets.setdefault(head.rsplit(" ", 1)[0], []).append(contents)
        elif line.startswith("basket_entries "):
            name, boundaries = line[len("basket_entries "):].split(": ", 1)
            entries[name] = boundaries
        elif line.startswith("clusters:"):
            clusters = line
    assert clusters and entries, output
    return baskets, entries, clusters


def compress_json(baler, source, out, *args):
    """`baler compress --json`: {branch: row}."""
    report = json.loads(run_baler(baler, "compress", source, out, "--json", *args).stdout)
    return {row["branch"]: row for row in report["branches"]}


def assert_rewritten_basket_by_basket(source, out, tree, rows):
    """Same branches, entry boundaries and clusters; every branch that was not recoded with Baler
    has exactly the stored baskets of the input, but for float branches whose few values Baler's
    blocks could not shrink: those take the rounded values, in baskets no larger; at least one
    branch was recoded."""
    before_baskets, before_entries, before_clusters = stored_layout(source, tree)
    after_baskets, after_entries, after_clusters = stored_layout(out, tree)
    assert after_entries == before_entries
    assert after_clusters == before_clusters
    assert after_baskets.keys() == before_baskets.keys()
    recoded = {name for name, row in rows.items() if row["codec_after"].startswith("baler ")}
    assert recoded, "no branch was recoded: the test would prove nothing"
    for name in before_baskets:
        if name in recoded:
            continue
        if re.search(r"float|double", rows.get(name, {}).get("type", ""), re.I):
            sizes = lambda baskets: [int(b.split()[0]) if b[0].isdigit() else 0 for b in baskets]  # 0: in the tree key
            assert len(after_baskets[name]) == len(before_baskets[name]), name
            assert all(a <= b for a, b in zip(sizes(after_baskets[name]), sizes(before_baskets[name]))), name
        else:
            assert after_baskets[name] == before_baskets[name], name
    return recoded


ATLAS_COVARIANCE = "InDetTrackParticlesAuxDyn.definingParametersCovMatrix"


def test_atlas_daod_without_dictionaries_compresses_and_reads_back(baler, shared_data, tmp_path):
    """uproot-issue-123b's classes have no dictionary here: streaming its entries aborted the
    process with heap corruption. Basket by basket it compresses; every basket reads back through
    ROOT with the plugin, and the covariance matrices come back through uproot within bits:10."""
    source, out = shared_data / "atlas" / "uproot-issue-123b.root", tmp_path / "daod.root"
    rows = compress_json(baler, source, out, "--codec", "bits:10")
    recoded = assert_rewritten_basket_by_basket(source, out, "CollectionTree", rows)
    assert ATLAS_COVARIANCE in recoded
    assert out.stat().st_size < source.stat().st_size
    # Its objects cannot be streamed without their classes (ROOT aborts on the input as well), but
    # every basket decompresses, through the plugin where it is Baler's.
    read = run_macro("read_all_baskets", out, "CollectionTree")
    baskets, failed, entries = map(int, re.search(r"^read_all_baskets: (\d+) (\d+) (\d+)$", read, re.M).groups())
    assert failed == 0 and baskets > 1000 and entries > 100_000, read
    check = ("import numpy as np, uproot, baler_root\n"
             f"a = uproot.open({str(source)!r})['CollectionTree'][{ATLAS_COVARIANCE!r}].array(library='np')\n"
             f"b = uproot.open({str(out)!r})['CollectionTree'][{ATLAS_COVARIANCE!r}].array(library='np')\n"
             "x = np.concatenate([np.asarray(v, np.float32) for e in a for v in e])\n"
             "y = np.concatenate([np.asarray(v, np.float32) for e in b for v in e])\n"
             "sizes = [len(v) for e in a for v in e] == [len(v) for e in b for v in e]\n"
             "print('covariance', len(x), sizes, int((x != y).sum()),"
             " bool(np.all(np.abs(y - x) <= 2.0 ** -11 * np.abs(x))))\n")
    values, sizes, changed, within = run_python(check).split("covariance ")[1].split()
    assert int(values) > 1000 and sizes == "True" and int(changed) > 0 and within == "True"


def test_physlite_element_links_keep_their_bytes(baler, shared_data, tmp_path):
    """PHYSLITE's ElementLink vectors were re-streamed (class version 9 -> 10) by the streaming
    rewrite, so their bytes changed; copied as stored baskets they stay byte for byte."""
    source, out = shared_data / "atlas" / "PHYSLITE_example.root", tmp_path / "physlite.root"
    rows = compress_json(baler, source, out, "--codec", "bits:10")
    recoded = assert_rewritten_basket_by_basket(source, out, "CollectionTree", rows)
    links = [name for name, row in rows.items() if "ElementLink" in row["type"]]
    assert links and not set(links) & recoded, links
    assert out.stat().st_size < source.stat().st_size


def test_a_branch_rounded_without_baler_blocks_says_so(baler, shared_data, tmp_path):
    """PHYSLITE's EventInfoAuxDyn.GenFiltMET is one basket of 100 floats that ZLIB stores in fewer
    bytes than a Baler block, so it takes the bits:10 values zipped as it was. The table and
    `baler inspect` called it `zlib 1`, as if exact, and `baler eval` then reported a broken bound
    for a normal run; it is reported as `baler bits:10`, which its values meet."""
    source, out, name = shared_data / "atlas" / "PHYSLITE_example.root", tmp_path / "physlite.root", \
        "EventInfoAuxDyn.GenFiltMET"
    row = compress_json(baler, source, out, "--codec", "bits:10")[name]
    assert row["codec_before"] == "zlib 1" and row["codec_after"] == "baler bits:10", row
    inspected = {r["branch"]: r for r in json.loads(run_baler(baler, "inspect", out, "--json").stdout)["branches"]}
    assert inspected[name]["codec"] == "baler bits:10", inspected[name]
    with uproot.open(source) as before, uproot.open(out) as after:
        x, y = (f["CollectionTree"][name].array(library="np") for f in (before, after))
    assert (x != y).any() and np.all(np.abs(y - x) <= 2.0 ** -11 * np.abs(x))


def test_a_tree_rounded_without_any_baler_block_says_so(baler, shared_data, tmp_path):
    """GenFiltMET alone: its one basket keeps ZLIB, rounded, and no Baler block marks the file for
    the plugin; a note in the tree names its spec, so that `baler inspect` does not take its ZLIB
    blocks for a Baler setting that was never applied (exact values)."""
    source, out, name = shared_data / "atlas" / "PHYSLITE_example.root", tmp_path / "physlite.root", \
        "EventInfoAuxDyn.GenFiltMET"
    row = compress_json(baler, source, out, "--codec", "bits:10", "--branches", name)[name]
    assert row["codec_after"] == "baler bits:10", row
    inspected = {r["branch"]: r for r in json.loads(run_baler(baler, "inspect", out, "--json").stdout)["branches"]}
    assert inspected[name]["codec"] == "baler bits:10", inspected[name]


def test_classes_without_a_dictionary_are_one_warning(baler, shared_data, tmp_path):
    """ROOT warns once per class it has no dictionary for: 64 lines on PHYSLITE, before the table,
    for classes that a basket-level rewrite never needs. They are one warning naming the count."""
    source, out = shared_data / "atlas" / "PHYSLITE_example.root", tmp_path / "physlite.root"
    stderr = run_baler(baler, "compress", source, out, "--codec", "bits:10").stderr
    assert "no dictionary for class" not in stderr, stderr
    summary = [line for line in stderr.splitlines() if "ROOT has no dictionary" in line]
    assert len(summary) == 1, stderr
    count = int(re.match(r"Warning in <baler>: ROOT has no dictionary for (\d+) classes of the input \(xAOD::",
                         summary[0]).group(1))
    assert count > 10 and summary[0].endswith("baler works on baskets and does not need them"), summary


def test_every_streamer_info_record_of_the_input_is_kept(baler, shared_data, tmp_path):
    """The baskets are copied as stored, so the StreamerInfo records that describe their bytes must
    come along. ROOT writes only those of what it streamed: PHYSLITE's DataVector<xAOD::...> records
    (no dictionary here) were dropped, and a reader without ATLAS's dictionaries needs them. The
    std::vector records are the exception, as in hadd's output: readers rebuild them from the name."""
    source, out = shared_data / "atlas" / "PHYSLITE_example.root", tmp_path / "physlite.root"
    run_baler(baler, "compress", source, out, "--codec", "bits:10")
    with uproot.open(source) as before, uproot.open(out) as after:
        records = lambda f: {(name, version) for name, versions in f.file.streamers.items() for version in versions}
        kept, had = records(after), records(before)
        assert any(name.startswith("DataVector<xAOD::") for name, _ in had)
        lost = {(name, version) for name, version in had - kept if not name.startswith("vector<")}
        assert not lost, sorted(lost)[:5]
        electrons = lambda f: str(f["CollectionTree"]["AnalysisElectrons"].interpretation)
        assert electrons(after) == electrons(before)


def test_inspect_names_the_class_of_objects_the_file_has_no_streamer_info_for(baler, shared_data, tmp_path):
    """hadd keeps no StreamerInfo for PHYSLITE's DataVector<xAOD::...> (no dictionary here), so ROOT
    gives their branches no type name: `baler inspect` (and `baler eval`, which calls it) used to
    stop with "basic_string: construction from null"; it reports their class instead."""
    out = tmp_path / "physlite.root"
    run_command(["hadd", "-f505", out, shared_data / "atlas" / "PHYSLITE_example.root"])
    rows = {(r["tree"], r["branch"]): r for r in json.loads(run_baler(baler, "inspect", out, "--json").stdout)["branches"]}
    electrons = rows[("CollectionTree", "AnalysisElectrons")]
    assert electrons["type"] == "DataVector<xAOD::Electron_v1>", electrons


def test_every_basket_takes_the_rounding_and_none_grows(baler, tmp_path):
    """Every value bits:10 must round is rounded, in every basket, and no last basket grows: a
    stored basket that Baler's blocks would not make smaller keeps its place but takes the values
    the blocks would give (the raw-stored baskets below are such). The generated sample's last
    Muon_mass basket (51 values) was one until the entry offsets were coded as differences (107
    bytes stored, kept); Baler's block now makes it smaller, and it is recoded. Muon_mass is a
    constant column, which sentinel tables keep exactly (issue 12), so the rounding is checked over
    every branch."""
    source, out = tmp_path / "sample.root", tmp_path / "bits10.root"
    run_baler(baler, "generate", source, "--events", 20000)
    compress_json(baler, source, out, "--codec", "bits:10")
    comparison = compare_trees(source, out, "Events", "*=bits:10")
    comparison.assert_exact_set_changed()
    # Muon_mass is the muon mass throughout: a constant column, kept exactly (a sentinel table,
    # docs/format.md), so not one of its values had to change
    assert comparison.branches["Muon_mass"].changed == 0 and comparison.branches["Muon_mass"].must == 0
    before, after = stored_layout(source, "Events")[0], stored_layout(out, "Events")[0]
    size = lambda basket: int(basket.split()[0])
    grown = [name for name in before if size(after[name][-1]) > size(before[name][-1])]
    assert not grown, grown
    assert size(after["Muon_mass"][-1]) < size(before["Muon_mass"][-1])


def test_a_basket_stored_uncompressed_takes_the_rounding_uncompressed(baler, tmp_path):
    """One value per basket: ZSTD cannot shrink 4 bytes, so ROOT stores them raw, and Baler's block is
    larger still. The raw basket takes the rounded value in place, at the same size."""
    source, out = tmp_path / "raw.root", tmp_path / "bits10.root"
    run_python("import ROOT, array\n"
               f"f = ROOT.TFile({str(source)!r}, 'RECREATE', '', 505)\n"
               "t = ROOT.TTree('Events', ''); x = array.array('f', [0.0])\n"
               "t.Branch('x', x, 'x/F')\n"
               "for i in range(6):\n"
               "    x[0] = 1.0 + i / 3.0; t.Fill(); t.FlushBaskets()\n"
               "t.Write(); f.Close()\n")
    compress_json(baler, source, out, "--codec", "bits:10")
    compare_trees(source, out, "Events", "x=bits:10").assert_exact_set_changed("x")
    before, after = stored_layout(source, "Events")[0]["x"], stored_layout(out, "Events")[0]["x"]
    assert [b.split()[0] for b in before] == [b.split()[0] for b in after] and before != after, (before, after)


@pytest.mark.parametrize("events, seed", [(4, 1), (5, 1), (5, 2), (5, 3)])
def test_a_raw_basket_whose_zipped_rounding_is_as_long_reads_back(baler, tmp_path, events, seed):
    """A few events: ROOT stores the jagged baskets raw (ZSTD does not shrink them), and their rounded
    object, zipped again, came out exactly as long as the object. The key then had as many payload
    bytes as object bytes, which ROOT reads as the raw object: the zipped bytes were read as floats
    (Jet_phi 1.5e+16 where the input had 1.2; uproot: 'negative dimensions'; baler eval crashed)."""
    source, out = tmp_path / "few.root", tmp_path / "bits10.root"
    run_baler(baler, "generate", source, "--events", events, "--seed", seed)
    compress_json(baler, source, out, "--codec", "bits:10")
    comparison = compare_trees(source, out, "Events", "*=bits:10")
    assert comparison.total.bad == 0, comparison.output
    comparison.assert_exact_set_changed()


def test_only_the_selected_branch_is_recoded(baler, tmp_path):
    """A policy that selects one branch of the generated sample: that branch's baskets are
    recoded, every other branch keeps its stored baskets, and the values read back as the spec says."""
    source, out = tmp_path / "sample.root", tmp_path / "one.root"
    run_baler(baler, "generate", source, "--events", 2000, "--seed", 3)
    rows = compress_json(baler, source, out, "--policy", "Events/Jet_pt=bits:8")
    recoded = assert_rewritten_basket_by_basket(source, out, "Events", rows)
    assert recoded == {"Jet_pt"}
    assert rows["Jet_eta"]["codec_after"] == rows["Jet_eta"]["codec_before"] == "zstd 5"
    compare_trees(source, out, "Events", "Jet_pt=bits:8").assert_exact_set_changed("Jet_pt")


@pytest.mark.parametrize("spec", ["lossless", "bits:10"])
def test_a_tree_without_entries_does_not_grow_by_the_records_of_classes_it_never_streams(baler, tmp_path, spec):
    """TTreeCloner::CopyStreamerInfos wrote the records of every member's class of the input's
    classes (TArray, TArrayD, TArrayF, TArrayI, for TTree and TH1F), which no basket holds: a file
    with nothing to code came out 164 bytes larger than its input (a new-user sweep). The output
    keeps the input's records, as they are, and no others."""
    source, out = tmp_path / "empty.root", tmp_path / "out.root"
    run_baler(baler, "generate", source, "--events", 0)
    run_baler(baler, "compress", source, out, "--codec", spec)
    assert out.stat().st_size <= source.stat().st_size, (out.stat().st_size, source.stat().st_size)
    with uproot.open(source) as before, uproot.open(out) as after:
        assert sorted(after.file.streamers) == sorted(before.file.streamers)


# A tree with an index on (run, event), then which entry each file's copy finds for (3, 7).
INDEXED_TREE = """
import sys, ROOT
if sys.argv[1] == "write":
    f = ROOT.TFile(sys.argv[2], "RECREATE")
    t = ROOT.TTree("t", "indexed")
    x, run, event = ROOT.std.vector("float")(1), ROOT.std.vector("int")(1), ROOT.std.vector("int")(1)
    t.Branch("x", x.data(), "x/F"); t.Branch("run", run.data(), "run/I"); t.Branch("event", event.data(), "event/I")
    for i in range(500):
        x[0], run[0], event[0] = 0.1 * i, i // 100, (7 * i) % 100
        t.Fill()
    t.BuildIndex("run", "event")
    t.Write()
    f.Close()
else:
    for path in sys.argv[2:]:
        f = ROOT.TFile.Open(path)
        t = f.Get("t")
        index = t.GetTreeIndex()
        print(path.rsplit("/", 1)[-1], index.ClassName() if index else "no index", t.GetEntryNumberWithIndex(3, 7))
"""


def test_the_tree_index_is_kept(baler, tmp_path):
    """A tree's index (TTree::BuildIndex), with which friends and users find an entry by run and
    event, was left out by CloneTree: after `baler compress` or `baler export` the lookup found
    nothing (-1), with no word of it (a new-user sweep). The entries are the same, so the copies
    keep the same index and find the same entry."""
    source, out, exported = tmp_path / "indexed.root", tmp_path / "out.root", tmp_path / "exported.root"
    script = tmp_path / "indexed.py"
    script.write_text(INDEXED_TREE)
    run_command([sys.executable, script, "write", source])
    run_baler(baler, "compress", source, out, "--codec", "bits:10")
    run_baler(baler, "export", out, exported)
    found = run_command([sys.executable, script, "read", source, out, exported]).stdout
    # entry 301 is run 3, event 7 (301 * 7 % 100)
    for name in ("indexed.root", "out.root", "exported.root"):
        assert f"{name} TTreeIndex 301" in found, found


def test_several_baskets_of_a_branch_coded_at_once_give_the_same_file_at_any_thread_count(baler, tmp_path):
    """20,000 generated events: before its first cluster is flushed, Calo_E writes a basket every
    few hundred entries, so a window of baskets holds many of that one branch (each taken from its
    branch, not reused by the next read). One thread and three give the same stored bytes, every
    value read back is within bits:10 of the input's, and Calo_E's are exactly the rounded ones."""
    source = tmp_path / "sample.root"
    run_baler(baler, "generate", source, "--events", 20000, "--seed", 5)
    layouts = []
    for threads in (1, 3):
        out = tmp_path / f"threads{threads}.root"
        rows = compress_json(baler, source, out, "--threads", threads)
        assert "Calo_E" in assert_rewritten_basket_by_basket(source, out, "Events", rows)
        layouts.append(stored_layout(out, "Events"))
    assert len(layouts[0][0]["Calo_E"]) > 64, "too few baskets for several windows"
    assert layouts[0] == layouts[1]
    comparison = compare_trees(source, tmp_path / "threads3.root", "Events", "*=bits:10")
    assert comparison.total.bad == 0, comparison.output
    calo = comparison.branches["Calo_E"]
    assert calo.must > 0 and calo.exact_set_changed, comparison.output


def blocks_of_largest_basket(path, branch):
    """The blocks of `branch`'s largest stored basket as uproot reads them ((algorithm, stored
    bytes, decoded bytes) each), and the basket's object length."""
    with uproot.open(path) as f:
        b = f["Events"][branch]
        basket = b.basket(int(np.argmax(b.member("fBasketBytes")[:b.num_baskets])))
        return basket.block_compression_info, basket.member("fObjlen")


def test_a_basket_of_a_megabyte_or_more_is_coded_in_parts_the_same_at_any_thread_count(baler, tmp_path):
    """80,000 generated events: ROOT sizes Calo_E's baskets after the first cluster (73,904
    entries), and its last basket holds 1.5 MB. `baler compress` codes such a basket in parts of
    half a megabyte to one, each a Baler block of its own, on the threads that have nothing else to
    code; the parts depend on the basket alone, so one thread and three store the same bytes.
    Every value reads back within bits:10, and Calo_E's are exactly the rounded ones, through ROOT
    and through uproot (which decodes the blocks of a basket one after the other)."""
    source = tmp_path / "sample.root"
    run_baler(baler, "generate", source, "--events", 80000, "--seed", 5)
    layouts = []
    for threads in (1, 3):
        out = tmp_path / f"threads{threads}.root"
        compress_json(baler, source, out, "--threads", threads)
        layouts.append(stored_layout(out, "Events"))
    assert layouts[0] == layouts[1]
    blocks, object_length = blocks_of_largest_basket(tmp_path / "threads3.root", "Calo_E")
    parts = [decoded for algorithm, _, decoded in blocks if algorithm == "Baler"]
    assert len(parts) == len(blocks), blocks
    assert object_length >= 1 << 20
    assert sum(parts) == object_length
    assert len(parts) >= 2 and max(parts) < 1 << 20, parts
    comparison = compare_trees(source, tmp_path / "threads3.root", "Events", "*=bits:10")
    assert comparison.total.bad == 0, comparison.output
    calo = comparison.branches["Calo_E"]
    assert calo.must > 0 and calo.exact_set_changed, comparison.output
    with uproot.open(source) as a, uproot.open(tmp_path / "threads3.root") as b:
        x, y = (f["Events"]["Calo_E"].array(library="np").astype(np.float64) for f in (a, b))
    assert np.all(np.abs(y - x) <= 2.0 ** -11 * np.abs(x))


# The files of ../shared/data that hold TTrees (the RNTuple file is refused, test_cli_safety.py).
SHARED_TREES = {
    "uproot-HZZ.root": "events",
    "Run2012BC_DoubleMuParked_Muons_1000evts.root": "Events",
    "nanoAOD_2015_CMS_Open_Data_ttbar.root": "Events",
    "uproot-issue79.root": "taus",
}


@pytest.mark.parametrize("name", sorted(SHARED_TREES))
def test_no_file_grows_under_lossless(baler, shared_data, tmp_path, name):
    """Baler's lossless coding of floats is not smaller than every stored basket (LZMA-9 on
    NanoAOD's already rounded floats): those baskets stay as stored, and the file never grows.
    NanoAOD keeps all but one branch's baskets inside its tree key, and they stay there."""
    source, out = shared_data / name, tmp_path / name
    rows = compress_json(baler, source, out, "--codec", "lossless")
    assert out.stat().st_size <= source.stat().st_size
    in_key_before = {b for b, r in rows.items() if r["bytes_before"] is None}
    in_key_after = {b for b, r in rows.items() if r["bytes_after"] is None}
    assert in_key_after == in_key_before
    with uproot.open(source) as a, uproot.open(out) as b:
        before, after = a[SHARED_TREES[name]].arrays(), b[SHARED_TREES[name]].arrays()
        assert before.fields == after.fields
        for field in before.fields:  # bit patterns: NaN and -0.0 count
            assert ak.to_numpy(ak.flatten(before[field], axis=None)).tobytes() == \
                   ak.to_numpy(ak.flatten(after[field], axis=None)).tobytes(), field


def test_the_lzma_nanoaod_keeps_every_byte_that_is_not_a_float(baler, shared_data, tmp_path):
    """Issue 10's target on the LZMA-compressed NanoAOD at bits:10: every basket of a branch that
    holds no float decompresses to the bytes it held (the baskets kept in the tree key included),
    and every float basket keeps its size and entry offsets: only float values change."""
    source, out = shared_data / "nanoAOD_2015_CMS_Open_Data_ttbar.root", tmp_path / "nano.root"
    compress_json(baler, source, out, "--codec", "bits:10")
    non_float = floats = 0
    with uproot.open(source) as a, uproot.open(out) as b:
        for name in a["Events"].keys(recursive=True):
            before, after = a["Events"][name], b["Events"][name]
            holds_floats = any(kind in str(before.interpretation) for kind in ("f4", "f8"))
            assert after.num_baskets == before.num_baskets, name
            for i in range(before.num_baskets):
                x, y = before.basket(i), after.basket(i)
                if holds_floats:
                    floats += 1
                    assert y.data.size == x.data.size, name
                    assert (x.byte_offsets is None) == (y.byte_offsets is None), name
                    assert x.byte_offsets is None or np.array_equal(x.byte_offsets, y.byte_offsets), name
                else:
                    non_float += 1
                    assert y.data.tobytes() == x.data.tobytes(), name
    assert non_float > 600 and floats > 300, (non_float, floats)  # measured 647 and 302


@pytest.mark.parametrize("spec", ["bits:10", "lossless"])
def test_a_large_basket_kept_in_the_tree_key_is_written_through_baler(baler, tmp_path, spec):
    """A tree written without a last FlushBaskets keeps megabytes of baskets in its key
    (uproot-issue79.root: 1.15 MB of taus/pt). They stayed there, rounded but zipped by ROOT with
    the tree (that file came out at 1.89 MB, 1.24 MB now). Under a lossy spec they are now keys of
    their own, coded by Baler; under lossless, whose values do not change, they stay."""
    source, out = tmp_path / "kept.root", tmp_path / "out.root"
    run_macro("kept_basket_tree", source, 100_000)
    rows = compress_json(baler, source, out, "--codec", spec)
    with uproot.open(source) as before, uproot.open(out) as after:
        kept = {name: len(after["t"][name].embedded_baskets) for name in ("x", "n", "v")}
        assert all(len(before["t"][name].embedded_baskets) == 1 for name in kept)
    if spec == "lossless":
        assert kept == {"x": 1, "n": 1, "v": 1}
        compare_trees(source, out, "t").assert_exact_set_changed()
        return
    assert kept == {"x": 0, "n": 1, "v": 0}  # (n holds no float: it stays, exact)
    assert rows["x"]["bytes_after"] and rows["x"]["codec_after"] == "baler bits:10"
    # measured 0.43 (1,232,893 -> 531,109 bytes); 0.71 (879,609) when they stayed in the key
    assert out.stat().st_size < 0.6 * source.stat().st_size
    compare_trees(source, out, "t", "*=bits:10").assert_exact_set_changed("x", "v")


@pytest.mark.parametrize("flushed", [0, 600], ids=["all-in-key", "last-in-key"])
def test_hadd_fk_of_outputs_at_other_specs_keeps_each_ones_values(baler, tmp_path, flushed):
    """`hadd -fk` writes the baskets its later inputs keep in their tree's key again, under the
    first input's branch settings. Where `baler compress` had given those branches a Baler
    setting, a lossless output merged after a bits:4 one came back rounded to bits:4 (NanoAOD's
    MET_pt 33.26 -> 34, a merge sweep). A branch the input kept a basket of in its key now keeps
    the input's setting, a note naming its spec; where it has baskets on file, that one is written
    through Baler too."""
    source = tmp_path / "kept.root"
    # (w's baskets on file take Baler blocks, which make hadd load the plugin: without it, ROOT zips
    # a Baler setting with ZLIB, values as they are)
    run_macro("kept_basket_tree", source, 2000, flushed, 1)
    coarse, exact, merged = tmp_path / "bits4.root", tmp_path / "lossless.root", tmp_path / "merged.root"
    compress_json(baler, source, coarse, "--codec", "bits:4")
    rows = compress_json(baler, source, exact, "--codec", "lossless")
    assert rows["x"]["codec_after"] == "baler lossless" or rows["x"]["codec_after"].startswith("zlib"), rows["x"]
    assert run_baler(baler, "inspect", "--json", coarse).stdout.count('"baler bits:4"') == 3  # x, v and w
    with uproot.open(coarse) as stored:
        assert len(stored["t"]["x"].embedded_baskets) == (1 if flushed == 0 else 0)
    run_command(["hadd", "-fk", merged, coarse, exact])
    with uproot.open(source) as a, uproot.open(merged) as b:
        for name in ("x", "v"):
            original = ak.to_numpy(ak.flatten(a["t"][name].array(), axis=None))
            second = ak.to_numpy(ak.flatten(b["t"][name].array(entry_start=2000), axis=None))
            assert second.tobytes() == original.tobytes(), name


def peak_memory_mib(args, tmp_path) -> float:
    """The peak resident memory of one run of ARGS (its maximum RSS, from wait4); the run must succeed."""
    with open(tmp_path / "stderr", "w+") as stderr:
        proc = subprocess.Popen([str(a) for a in args], stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(proc.pid, 0)
        stderr.seek(0)
        assert os.waitstatus_to_exitcode(status) == 0, f"{args} failed: {stderr.read()}"
    return usage.ru_maxrss / 1024


def test_a_file_of_megabyte_baskets_is_rewritten_in_no_more_memory_than_hadd_takes(baler, tmp_path):
    """Issue 10's peak memory target (at most hadd -O -f505's on the same file), on the benchmark
    tree of 500,000 events at ZSTD-505 (84 MB): after the first cluster ROOT sizes each branch's
    baskets to megabytes. `baler compress` took 1.22x hadd's peak here (1.72x on the 2 GB file of
    bench/scale_large.py): every slot of its windows kept the largest stored payload and room for
    blocks it ever held, every basket read was given a buffer of the branch's megabyte basket size
    (a first cluster's 32 kB ones too), and a window counted only its decoded bytes."""
    source = tmp_path / "megabyte_baskets.root"
    run_macro("root_io_write", source, 505, 500000, folder=REPO / "bench")
    baler_peak = peak_memory_mib([baler, "compress", source, tmp_path / "bits10.root"], tmp_path)
    hadd_peak = peak_memory_mib(["hadd", "-O", "-f505", tmp_path / "hadd.root", source], tmp_path)
    assert baler_peak <= hadd_peak, f"baler compress {baler_peak:.0f} MiB, hadd -O -f505 {hadd_peak:.0f} MiB"
