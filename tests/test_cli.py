"""The `baler` command line (rust/baler-cli over libBalerROOT's CommandApi.h): compress, inspect, generate."""
import json
import os
import pathlib
import re

import pytest

from conftest import (baler, baler_settings, compare_trees, env_without_plugin, hzz_bits10, run_baler, run_command,  # noqa: F401 (fixtures)
                      run_python)


def table_rows(stdout):
    """{tree/branch: [cells...]} of a table printed by compress or inspect."""
    rows = {}
    for line in stdout.splitlines():
        cells = line.split()
        if cells and "/" in cells[0] and not cells[0].startswith("-"):
            rows[cells[0]] = cells[1:]
    return rows


def total_line(stdout):
    line = next(l for l in stdout.splitlines() if l.startswith("total ("))
    return [int(x) for x in re.findall(r"\s(\d+)(?=\s|$)", line)]


@pytest.fixture(scope="module")
def sample(baler, tmp_path_factory):
    path = tmp_path_factory.mktemp("sample") / "sample.root"
    run_baler(baler, "generate", path, "--events", 3000, "--seed", 11)
    return path


def test_compress_prints_table_and_totals(hzz_bits10):
    out, proc = hzz_bits10
    print(proc.stdout)
    assert proc.stderr == "", proc.stderr  # no progress bars, no ROOT chatter when not on a terminal
    assert re.search(r"^branch\s+type\s+entries\s+bytes before\s+bytes after\s+ratio\s+codec before\s+codec after",
                     proc.stdout, re.M)
    rows = table_rows(proc.stdout)
    assert len(rows) == 51
    assert rows["events/Jet_Px"][-1] == "bits:10" and rows["events/Jet_Px"][-2] == "baler"
    assert rows["events/NJet"][-2:] == ["zlib", "1"]  # no float: its stored baskets, copied
    assert "total (51 branches)" in proc.stdout
    before, after = total_line(proc.stdout)
    assert before == sum(int(r[2]) for r in rows.values())
    assert after == sum(int(r[3]) for r in rows.values())
    assert after < before / 2
    assert re.search(r"^file size: \d+ -> \d+ bytes", proc.stdout, re.M)
    sizes = re.search(r"^file size: (\d+) -> (\d+) bytes", proc.stdout, re.M)
    assert int(sizes.group(2)) == out.stat().st_size < int(sizes.group(1))


def test_compress_table_does_not_invent_sizes_for_baskets_kept_in_the_tree_key(baler, shared_data, tmp_path):
    """The NanoAOD file keeps its never-flushed baskets inside the tree's key, where ROOT reports 0
    compressed bytes per branch: the table must say so, not print a 0.00x ratio, and its totals
    must cover only the branches it can compare."""
    proc = run_baler(baler, "compress", shared_data / "nanoAOD_2015_CMS_Open_Data_ttbar.root",
                     tmp_path / "nano.root", "--codec", "bits:10")
    lines = [l for l in proc.stdout.splitlines() if l.startswith("Events/")]
    in_key = [l for l in lines if "in tree key" in l]
    assert len(lines) == 947 and len(in_key) > 900
    assert not re.search(r"\s0\.00x\s", proc.stdout)
    total = next(l for l in proc.stdout.splitlines() if l.startswith("total ("))
    assert f"{len(in_key)} more had their baskets inside the tree key" in total
    compared = [l.split() for l in lines if "in tree key" not in l]
    before, after = total_line(proc.stdout)[-2:]
    assert before == sum(int(c[3]) for c in compared) and after == sum(int(c[4]) for c in compared)
    # their baskets stay in the output tree's key too: no size after either (a 0 was printed)
    assert all(l.split()[3:6] == ["in", "tree", "key"] and l.split()[6:10] == ["in", "tree", "key", "-"] for l in in_key), in_key[:2]
    report = json.loads(run_baler(baler, "compress", shared_data / "nanoAOD_2015_CMS_Open_Data_ttbar.root",
                                  tmp_path / "nano_json.root", "--codec", "bits:10", "--json").stdout)
    unknown = [b for b in report["branches"] if b["bytes_before"] is None]
    assert len(unknown) == len(in_key) and all(b["bytes_after"] is None and b["ratio"] is None for b in unknown)


@pytest.mark.parametrize("spec, rounded", [("rel:1e-3", False), ("bits:10", True)])
def test_values_in_the_tree_key_stay_exact_where_rounding_them_makes_the_key_larger(baler, shared_data, tmp_path,
                                                                                   spec, rounded):
    """NanoAOD's Muon branches, all in the tree's key: rel:1e-3 levels fill the mantissa bits that
    NanoAOD's rounding had left zero, and LZMA then stored the key in more bytes (the file grew by
    583 bytes, measured). The key is written again with the input's values, which a warning names;
    bits:10 zeroes more of those bits, and its values are kept rounded."""
    source, out = shared_data / "nanoAOD_2015_CMS_Open_Data_ttbar.root", tmp_path / "nano.root"
    proc = run_baler(baler, "compress", source, out, "--codec", spec, "--branches", "Muon_*", "--json")
    warned = "the values of 16 branches whose baskets are in the tree's key stay exact" in proc.stderr
    assert warned != rounded, proc.stderr
    rows = {row["branch"]: row for row in json.loads(proc.stdout)["branches"]}
    assert rows["Muon_pt"]["codec_after"] == ("baler bits:10" if rounded else rows["Muon_pt"]["codec_before"])
    output = run_python(f"""
import uproot, awkward as ak
before, after = (ak.flatten(uproot.open(p)["Events"]["Muon_pt"].array()) for p in ("{source}", "{out}"))
print("exact", bool(ak.all(before == after)), "within", bool(ak.all(abs(after - before) <= 2.0 ** -11 * abs(before))))
""")
    assert f"exact {not rounded} within True" in output, output


def test_inspect_table_does_not_invent_sizes_for_baskets_kept_in_the_tree_key(baler, shared_data):
    """Like compress's table (above), inspect's: it printed 0 compressed and 0 uncompressed bytes for
    the NanoAOD branches whose baskets are inside the tree's key, and a total of the one branch that
    has its own as `total (947 branches) 36169 62802 1.74x` (sweep of the macro route)."""
    source = shared_data / "nanoAOD_2015_CMS_Open_Data_ttbar.root"
    proc = run_baler(baler, "inspect", source)
    lines = [l for l in proc.stdout.splitlines() if l.startswith("Events/")]
    in_key = [l for l in lines if l.split()[3:9] == ["in", "tree", "key", "in", "tree", "key"]]
    assert len(lines) == 947 and len(in_key) > 900
    total = next(l for l in proc.stdout.splitlines() if l.startswith("total ("))
    assert total.startswith(f"total ({len(lines) - len(in_key)} branch"), total
    assert f"{len(in_key)} more have their baskets inside the tree key, see the file size" in total, total
    report = json.loads(run_baler(baler, "inspect", source, "--json").stdout)
    assert report["total"]["branches"] == 947 and report["total"]["branches_in_tree_key"] == len(in_key)


def test_root_reduced_float_types_are_labelled_and_kept_as_written(baler, tmp_path):
    """Float16_t and Double32_t leaves are already reduced by ROOT and stored as written: their
    baskets are copied as stored (only the Float_t branch gets the lossy spec), and their values
    come back identical to the input's."""
    source, out = tmp_path / "reduced.root", tmp_path / "reduced.rel.root"
    macro = tmp_path / "write_reduced.C"
    macro.write_text(
        "void write_reduced(const char *path) {\n"
        '   TFile f(path, "RECREATE"); TTree t("t", "t"); Double32_t d; Float16_t h; float x;\n'
        '   t.Branch("d", &d, "d/d[0,0,12]"); t.Branch("h", &h, "h/f[0,0,10]"); t.Branch("x", &x, "x/F");\n'
        "   for (int i = 0; i < 1000; ++i) { d = i * 0.37; h = i * 0.11; x = i * 1.7; t.Fill(); }\n"
        "   t.Write();\n"
        "}\n")
    run_command(["root.exe", "-l", "-b", "-q", f'{macro}("{source}")'])
    proc = run_baler(baler, "compress", source, out, "--codec", "rel:1e-3")
    rows = table_rows(proc.stdout)
    assert rows["t/d"][-2:] == ["zlib", "1"] and rows["t/h"][-2:] == ["zlib", "1"]  # as written by ROOT
    assert rows["t/x"][-2:] == ["baler", "rel:1e-3"]
    assert proc.stderr == "", proc.stderr
    read = "import ROOT\nfor path in ({!r}, {!r}):\n".format(str(source), str(out)) + (
        "    f = ROOT.TFile.Open(path)\n"
        "    t = f.Get('t')\n"
        "    print('values:', t.GetEntries(), repr([(e.d, e.h) for e in t]))\n")
    first, second = [l for l in run_python(read).splitlines() if l.startswith("values:")]
    assert first == second and first.startswith("values: 1000 ")


def test_compressed_hzz_reads_back_within_bits10(shared_data, hzz_bits10):
    """Read by ROOT with nothing loaded: exactly the floats with more than 10 mantissa bits
    rounded, within 2^-11 relative; everything else bit-exact."""
    result = compare_trees(shared_data / "uproot-HZZ.root", hzz_bits10[0], "events", "*=bits:10")
    assert result.entries == 2421 and result.total.values > 100_000
    assert result.plugin_loaded
    result.assert_exact_set_changed("Jet_Px", "Muon_Px", "MET_px", "Photon_E")


def test_compress_selects_branches_by_glob_with_rel_codec(baler, shared_data, tmp_path):
    out = tmp_path / "hzz_rel.root"
    proc = run_baler(baler, "compress", shared_data / "uproot-HZZ.root", out, "--codec", "rel:1e-3",
                     "--branches", "Muon_*", "--branches", "MET_p?")
    rows = table_rows(proc.stdout)
    assert rows["events/Muon_Px"][-1].startswith("rel:")
    assert rows["events/MET_px"][-1].startswith("rel:")
    assert rows["events/Jet_Px"][-2:] == ["zlib", "1"]  # not selected: its stored baskets, copied
    assert rows["events/Muon_Charge"][-2:] == ["zlib", "1"]  # not a float branch
    # Muon/MET floats within 1e-3; everything else (Jet_*, ...) must be exact.
    result = compare_trees(shared_data / "uproot-HZZ.root", out, "events", "Muon_*=rel:1e-3,MET_p?=rel:1e-3")
    assert result.total.bad == 0 and result.plugin_loaded, result.output
    # rel:E requires no value to change, but these are finer than 1e-3: the glob did select them
    assert result.branches["Muon_Px"].changed > 0 and result.branches["MET_px"].changed > 0
    inspect = run_baler(baler, "inspect", out).stdout
    assert table_rows(inspect)["events/Muon_Px"][-1].startswith("rel:")
    assert table_rows(inspect)["events/Jet_Px"][-2:] == ["zlib", "1"]


def test_inspect_lists_branches_with_codecs(baler, shared_data, hzz_bits10):
    proc = run_baler(baler, "inspect", hzz_bits10[0])
    assert proc.stderr == ""
    assert re.search(r"^branch\s+type\s+entries\s+compressed\s+uncompressed\s+ratio\s+codec", proc.stdout, re.M)
    rows = table_rows(proc.stdout)
    assert len(rows) == 51
    assert rows["events/Jet_Px"][-2:] == ["baler", "bits:10"]
    assert rows["events/NMuon"][-2:] == ["zlib", "1"]
    compressed, uncompressed = total_line(proc.stdout)
    assert compressed < uncompressed
    original = table_rows(run_baler(baler, "inspect", shared_data / "uproot-HZZ.root").stdout)
    assert original["events/Jet_Px"][-2:] == ["zlib", "1"]


def test_inspect_of_a_baler_setting_written_without_the_plugin_says_zlib(baler, tmp_path):
    """A process that never loaded the plugin writes a Baler setting's baskets with ROOT's ZLIB
    (ROOT's choice for an algorithm it does not know), every value exact. `baler inspect` named
    them by the setting (`baler bits:10`, `baler lossless`), as if Baler had rounded them."""
    path = tmp_path / "without.root"
    run_python(f"""
import array, ROOT
f = ROOT.TFile("{path}", "RECREATE", "", {baler_settings(10)})
t = ROOT.TTree("t", "")
x, n = array.array("f", [0.0]), array.array("i", [0])
t.Branch("x", x, "x/F")
t.Branch("n", n, "n/I")
for i in range(20000):
    x[0], n[0] = i * 0.37, i % 7
    t.Fill()
t.Write()
f.Close()
""", env=env_without_plugin())
    rows = table_rows(run_baler(baler, "inspect", path).stdout)
    expected = "zlib (exact: the Baler setting was not applied)"
    assert " ".join(rows["t/x"][5:]) == expected and " ".join(rows["t/n"][5:]) == expected, rows
    described = {b["branch"]: b["codec"] for b in json.loads(run_baler(baler, "inspect", path, "--json").stdout)["branches"]}
    assert described == {"x": expected, "n": expected}


def test_generate_is_deterministic_for_a_seed(baler, tmp_path):
    paths = {}
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        paths[name] = tmp_path / f"{name}.root"
        proc = run_baler(baler, "generate", paths[name], "--events", 500, "--seed", seed)
        assert "wrote 500 events" in proc.stdout
    output = run_python(f"""
import uproot, numpy as np
def values(path):
    tree = uproot.open(path)["Events"]
    return {{k: v for k, v in tree.arrays(library="np").items()}}
a, b, c = (values(p) for p in {[str(paths[k]) for k in "abc"]!r})
same = lambda x, y: all(np.array_equal(np.concatenate(list(x[k])) if x[k].dtype == object else x[k],
                                        np.concatenate(list(y[k])) if y[k].dtype == object else y[k]) for k in x)
print("branches", sorted(a))
print("same_seed", same(a, b), "other_seed", same(a, c))
""")
    assert "same_seed True other_seed False" in output, output
    for branch in ("nJet", "Jet_pt", "nMuon", "Muon_pt", "Electron_pt", "MET_pt", "Calo_E", "event", "run"):
        assert f"'{branch}'" in output


def test_a_generated_sample_long_enough_to_be_autosaved_has_one_cycle_of_its_tree(baler, tmp_path):
    """Past about 60,000 events TTree::AutoSave writes the tree's header during the fill; the
    generator kept it as Events;1 beside Events;2, and `baler compress` of the sample then warned
    about a lower cycle the user never made."""
    path, out = tmp_path / "long.root", tmp_path / "long_bits10.root"
    run_baler(baler, "generate", path, "--events", 100_000)
    output = run_python(f"""
import uproot
print("cycles", sorted(k for k in uproot.open("{path}").keys() if k.startswith("Events")))
""")
    assert "cycles ['Events;1']" in output, output
    proc = run_baler(baler, "compress", path, out)
    assert "warning" not in proc.stderr, proc.stderr


def test_generated_sample_compresses_and_copies_other_objects(baler, sample, tmp_path):
    out = tmp_path / "sample_bits10.root"
    proc = run_baler(baler, "compress", sample, out)  # default codec bits:10
    rows = table_rows(proc.stdout)
    assert rows["Events/Calo_E"][0] == "Float_t[64]"
    assert rows["Events/Electron_pt"][-1] == "bits:10"
    result = compare_trees(sample, out, "Events", "*=bits:10")
    assert result.entries == 3000 and result.total.values > 250_000
    result.assert_exact_set_changed("Electron_pt", "Calo_E")
    output = run_python(f"""
import uproot, numpy as np
a, b = uproot.open("{sample}"), uproot.open("{out}")
print("keys", sorted(k.split(";")[0] for k in b.keys()))
ha, hb = a["meta/h_leading_Jet_pt"], b["meta/h_leading_Jet_pt"]
print("histogram_equal", np.array_equal(ha.values(), hb.values()), ha.values().sum() > 0)
print("named", b["meta/generator"].member("fTitle"))
""")
    assert "keys ['Events', 'meta', 'meta/generator', 'meta/h_leading_Jet_pt']" in output, output
    assert "histogram_equal True True" in output, output
    assert "named baler generate --events 3000 --seed 11" in output, output


def test_objects_beside_trees_are_copied_as_stored(baler, tmp_path):
    """Objects beside the trees come out of `baler compress` as they went in: their keys' stored
    bytes, not streamed again (which needs their class's library: here libPhysics's TLorentzVector,
    a library `baler` does not link; none at all for an experiment's own metadata classes) and
    compressed with the output file's setting (the TObjString's key stays LZMA, as written)."""
    path, out = tmp_path / "with_objects.root", tmp_path / "out.root"
    run_python(f"""
import ROOT
f = ROOT.TFile.Open("{path}", "RECREATE")
f.SetCompressionSettings(208)  # LZMA 8 for these objects' keys; the tree below is written at ZSTD
f.WriteObject(ROOT.TLorentzVector(1.5, -2.0, 30.0, 40.0), "beam")  # small: stored uncompressed
f.WriteObject(ROOT.TObjString("run 273158, " * 40), "summary")
f.SetCompressionSettings(505)
tree = ROOT.TTree("Events", "")
x = ROOT.std.vector("float")()
tree.Branch("x", x)
for i in range(2000):
    x.clear()
    x.push_back(i * 0.25)
    tree.Fill()
f.Write()
f.Close()
""")
    run_baler(baler, "compress", path, out)
    output = run_python(f"""
import uproot
def stored(path, name):
    key = uproot.open(path).key(name)
    with open(path, "rb") as raw:
        raw.seek(key.data_cursor.index)
        return key.data_compressed_bytes < key.data_uncompressed_bytes, raw.read(key.data_compressed_bytes)
for name in ("beam", "summary"):
    (zipped, a), (_, b) = stored("{path}", name), stored("{out}", name)
    print(name, zipped, a == b)
""")
    assert "beam False True" in output and "summary True True" in output, output


def test_every_cycle_of_an_object_is_copied_and_a_trees_lower_cycles_are_named(baler, tmp_path):
    """A histogram written twice has two cycles, two different objects: `baler compress` kept only
    the highest (as hadd does) and said nothing, so h;1 was lost. Every cycle of an object is copied
    now, in order. A tree's lower cycle is an earlier header of the same tree (TTree::AutoSave): only
    the highest is rewritten, and a warning says so, from `baler export` too (it said nothing)."""
    path, out = tmp_path / "cycles.root", tmp_path / "out.root"
    run_python(f"""
import array, ROOT
f = ROOT.TFile.Open("{path}", "RECREATE")
tree = ROOT.TTree("t", "")
x = array.array("f", [0.0])
tree.Branch("x", x, "x/F")
for i in range(1000):
    x[0] = i * 0.37
    tree.Fill()
    if i == 500:
        tree.AutoSave()
h = ROOT.TH1F("h", "", 10, 0, 1)
h.Fill(0.5)
h.Write()
h.Fill(0.6)
h.Write()
tree.Write()
f.Close()
""")
    proc = run_baler(baler, "compress", path, out, "--codec", "bits:10")
    assert "baler: warning: tree t;2 (1 lower cycle): only its highest cycle is written" in proc.stderr, proc.stderr
    output = run_python(f"""
import ROOT
f = ROOT.TFile.Open("{out}")
print("cycles", sorted((k.GetName(), k.GetCycle()) for k in f.GetListOfKeys()))
print("h", f.Get("h;1").GetEntries(), f.Get("h;2").GetEntries(), f.Get("h").GetEntries(), "t", f.Get("t").GetEntries())
""")
    assert "cycles [('h', 1), ('h', 2), ('t', 1)]" in output, output
    assert "h 1.0 2.0 2.0 t 1000" in output, output
    exported = run_baler(baler, "export", path, tmp_path / "exported.root", "--json")
    assert "baler: warning: tree t;2 (1 lower cycle): only its highest cycle is written" in exported.stderr, exported.stderr
    assert json.loads(exported.stdout)["warnings"] == [
        "tree t;2 (1 lower cycle): only its highest cycle is written, as hadd does (the lower ones are its earlier "
        "snapshots, from TTree::AutoSave)"], exported.stdout


NAME_CYCLES = {
    # T;1 with 1000 entries of x and n, T;2 another tree of 10 entries of y: kept T;2 alone, as if
    # T;1 were its AutoSave snapshot
    "two trees": """
t1 = ROOT.TTree("T", ""); x = array.array("f", [0.0]); t1.Branch("x", x, "x/F")
for i in range(1000):
    x[0] = i * 0.37; t1.Fill()
t1.Write()
t2 = ROOT.TTree("T", ""); y = array.array("f", [0.0]); t2.Branch("y", y, "y/F")
for i in range(10):
    y[0] = i; t2.Fill()
t2.Write()
""",
    # X;1 a tree, X;2 a histogram: copied the tree's header as stored, without its baskets
    "a histogram over a tree": """
t1 = ROOT.TTree("X", ""); x = array.array("f", [0.0]); t1.Branch("x", x, "x/F")
for i in range(1000):
    x[0] = i * 0.37; t1.Fill()
t1.Write()
h = ROOT.TH1F("X", "", 10, 0, 1); h.Write()
t2 = ROOT.TTree("T", ""); t2.Branch("x", x, "x/F"); t2.Fill(); t2.Write()
""",
    # X;1 a histogram, X;2 a tree: kept the tree and dropped the histogram
    "a tree over a histogram": """
h = ROOT.TH1F("X", "", 10, 0, 1); h.Fill(0.5); h.Write()
t1 = ROOT.TTree("X", ""); x = array.array("f", [0.0]); t1.Branch("x", x, "x/F")
for i in range(1000):
    x[0] = i * 0.37; t1.Fill()
t1.Write()
""",
}


@pytest.mark.parametrize("command", ["compress", "export"])
@pytest.mark.parametrize("case", sorted(NAME_CYCLES))
def test_a_name_whose_cycles_are_not_one_trees_snapshots_is_an_error(baler, tmp_path, case, command):
    """Two trees written under one name, or a tree and another object: `baler compress` and `export`
    wrote the highest tree alone (warning that the lower was its AutoSave snapshot: 1000 entries
    lost), or copied a lower tree's header without its baskets (an output ROOT cannot read), or
    dropped the histogram under a tree, with exit 0. Each is now an error naming the name and its
    cycles, and nothing is written; a tree's real AutoSave snapshots still go (test above)."""
    path, out = tmp_path / "cycles.root", tmp_path / "out.root"
    run_python(f"""
import array, ROOT
f = ROOT.TFile.Open("{path}", "RECREATE")
{NAME_CYCLES[case]}
f.Close()
""")
    args = ["--codec", "bits:10"] if command == "compress" else []
    proc = run_baler(baler, command, path, out, *args, check=False)
    expected = ("tree 'T': cycle 1 is not an earlier snapshot of cycle 2 (it holds more entries (1000 against 10))"
                if case == "two trees" else "'X' names a ")
    assert proc.returncode == 1 and expected in proc.stderr, proc.stderr
    assert not out.exists()


def test_commands_run_none_of_roots_start_up_probes(baler, sample, tmp_path):
    """At the interpreter's start ROOT and cling run `ls` (under LD_DEBUG, twice) and `c++ -E -v`
    to learn the linker's and the compiler's search paths: `baler` hands them the answers found at
    build time instead. Stand-ins for ls and c++ first on PATH record any call; none comes."""
    calls, bin_dir = tmp_path / "calls", tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("ls", "c++"):
        stand_in = bin_dir / tool
        stand_in.write_text(f'#!/bin/sh\necho "{tool} $*" >> "{calls}"\nexec /usr/bin/{tool} "$@"\n')
        stand_in.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    for name in ("ROOT_LDSYSPATH", "CLING_LDSYSPATH", "CLING_CPPSYSINCL"):
        env.pop(name, None)
    run_baler(baler, "compress", sample, tmp_path / "out.root", env=env)
    assert not calls.exists(), calls.read_text()


def test_compress_only_named_trees(baler, sample, tmp_path):
    out = tmp_path / "copied.root"
    proc = run_baler(baler, "compress", sample, out, "--tree", "Events", "--codec", "lossless")
    rows = table_rows(proc.stdout).values()
    # Float branches where Baler's lossless blocks are smaller, the others copied as stored (ZSTD-505)
    assert {r[-1] for r in rows} == {"lossless", "5"} and all(r[-1] == "5" for r in rows if r[0] == "Int_t")
    result = compare_trees(sample, out, "Events")
    assert result.total.values > 0 and result.total.changed == 0
    bad = run_baler(baler, "compress", sample, tmp_path / "nope.root", "--tree", "Nope", check=False)
    assert bad.returncode != 0
    assert bad.stderr.strip().count("\n") == 0 and "no tree 'Nope'" in bad.stderr
    assert not (tmp_path / "nope.root").exists()


@pytest.mark.parametrize("args, message", [
    (["compress", "{sample}", "{out}", "--codec", "foo:3"], "unknown codec"),
    (["compress", "{sample}", "{out}", "--codec", "rel:2"], "rel"),
    (["compress", "{sample}", "{out}", "--no-such-option"], "--no-such-option"),
    (["compress", "{sample}"], "OUT.root"),
    (["compress", "{missing}", "{out}"], "missing.root"),
    (["inspect", "{missing}"], "no such file"),
    (["export", "{sample}"], "missing OUT.root"),
    (["export", "{missing}", "{out}"], "no such file"),
    (["export", "{notroot}", "{out}"], "cannot open"),
    (["export", "{sample}", "{out}", "--setting", "-1"], "-1"),
    (["inspect", "{notroot}"], "cannot open"),
    (["generate", "{out}", "--events", "many"], "many"),
    (["frobnicate"], "frobnicate"),
])
def test_bad_arguments_give_one_line_error(baler, sample, tmp_path, args, message):
    notroot = tmp_path / "text.root"
    notroot.write_text("not a ROOT file\n")
    names = {"sample": sample, "out": tmp_path / "out.root", "missing": tmp_path / "missing.root", "notroot": notroot}
    proc = run_baler(baler, *[a.format(**names) for a in args], check=False)
    assert proc.returncode != 0
    assert proc.stdout == ""
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("baler: error: ") and message in lines[0], proc.stderr
    assert not (tmp_path / "out.root").exists()


@pytest.mark.parametrize("command", [[], ["compress"], ["export"], ["inspect"], ["generate"], ["eval"]])
def test_help_on_every_command(baler, command):
    proc = run_baler(baler, *command, "--help")
    assert "usage: baler" in proc.stdout.lower() and "--help" in proc.stdout  # (eval's is argparse's, lower case)


@pytest.mark.parametrize("command, describes", [
    ("compress", "With --out-dir DIR: a dataset."),
    ("export", "OUT.root holds no Baler model or marker"),
    ("generate", "--sample detector: tree `Events` with an electromagnetic shower"),
])
def test_long_help_describes_the_command(baler, command, describes):
    """--help shows the command's description, -h its one line: the subcommands' one-line doc
    comments had replaced the description, which no help showed."""
    assert describes in run_baler(baler, command, "--help").stdout.replace("\n", " ")
    assert describes not in run_baler(baler, command, "-h").stdout.replace("\n", " ")


@pytest.mark.parametrize("command", [[], ["compress"], ["export"], ["inspect"], ["generate"], ["eval"]])
def test_version_on_every_command(baler, command):
    proc = run_baler(baler, *command, "--version")
    assert re.fullmatch(r"baler(-\w+)? \d+\.\d+\.\d+\n", proc.stdout), proc.stdout


def test_compress_without_arguments_uses_generated_sample(baler, tmp_path):
    env_tmp = tmp_path / "tmp"
    env_tmp.mkdir()
    proc = run_baler(baler, "compress", env={**os.environ, "TMPDIR": str(env_tmp)})
    where = re.search(r"^files are in (\S+):", proc.stdout, re.M)
    assert where, proc.stdout
    folder = pathlib.Path(where.group(1))
    assert folder.parent == env_tmp
    assert (folder / "sample.root").exists() and (folder / "sample.baler.root").exists()
    assert "total (24 branches)" in proc.stdout
