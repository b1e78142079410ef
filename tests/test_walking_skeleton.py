"""Issue 2: a TTree written through libBalerROOT and read back by plain ROOT."""
import json
import re
import shutil

import pytest

from conftest import (BALER_LOSSLESS, BUILD_LIB, REPO, ZSTD_505, baler, compare_trees, env_without_plugin,  # noqa: F401 (baler: a fixture)
                      macro_value, run_baler, run_command, run_macro, run_python)


@pytest.fixture(scope="module")
def hzz_files(shared_data, tmp_path_factory):
    """HZZ's `events` tree rewritten entry by entry with Baler lossless and, for reference, ZSTD-505."""
    out = tmp_path_factory.mktemp("hzz")
    files = {"baler": out / "hzz_baler.root", "zstd": out / "hzz_zstd.root"}
    run_macro("rewrite_tree", shared_data / "uproot-HZZ.root", files["baler"], "events", BALER_LOSSLESS)
    run_macro("rewrite_tree", shared_data / "uproot-HZZ.root", files["zstd"], "events", ZSTD_505)
    return files


def test_hzz_lossless_round_trip_is_bit_exact(shared_data, hzz_files):
    """Every value of every leaf of every entry reads back bit for bit; entry counts are equal."""
    result = compare_trees(shared_data / "uproot-HZZ.root", hzz_files["baler"], "events")
    assert result.entries == 2421
    assert result.total.values > 100_000
    assert result.total.bad == 0 and result.total.changed == 0
    assert result.plugin_loaded


def test_lossless_float_data_is_smaller_than_zstd_505(hzz_files):
    """Baler lossless beats ROOT's ZSTD-505 on the float branches (bytes on disk incl. keys and tails)."""
    baler_bytes, baler_values = macro_value(run_macro("float_branch_bytes", hzz_files["baler"], "events"),
                                            "float_branch_bytes")
    zstd_bytes, zstd_values = macro_value(run_macro("float_branch_bytes", hzz_files["zstd"], "events"),
                                          "float_branch_bytes")
    assert baler_values == zstd_values == 85786
    print(f"float branches: Baler lossless {baler_bytes / baler_values:.3f} B/value, "
          f"ZSTD-505 {zstd_bytes / zstd_values:.3f} B/value")
    assert baler_bytes < zstd_bytes


def test_reading_without_plugin_names_baler_and_the_library(hzz_files):
    """Without libBalerROOT on the library path, ROOT's messages say what is missing."""
    output = run_macro("compare_trees", hzz_files["zstd"], hzz_files["baler"], "events", env=env_without_plugin(),
                       check=False)
    assert "Baler" in output and "libBalerROOT" in output, output
    assert "could not be read" in output, output


def test_pyroot_reads_without_loading_anything(shared_data, hzz_files):
    """PyROOT opens a Baler file and ROOT loads the plugin by itself (rootmap autoload); every
    Muon_Px value of every entry reads back as written."""
    code = f"""
import ROOT
def values(path):
    f = ROOT.TFile.Open(path)
    return [tuple(e.Muon_Px) for e in f.Get("events")]
a, b = values("{shared_data / 'uproot-HZZ.root'}"), values("{hzz_files['baler']}")
print("entries", len(a), len(b), "muons", sum(map(len, a)), "identical", a == b)
print("loaded", any("libBalerROOT" in lib for lib in str(ROOT.gSystem.GetLibraries()).split()))
"""
    output = run_python(code)
    assert re.search(r"^entries 2421 2421 muons [1-9]\d* identical True$", output, re.M), output
    assert "loaded True" in output


def test_other_algorithms_are_untouched_while_plugin_is_loaded(shared_data, hzz_files):
    """A ZSTD-505 file written with the plugin loaded is an ordinary ROOT file: read without the plugin."""
    result = compare_trees(shared_data / "uproot-HZZ.root", hzz_files["zstd"], "events", env=env_without_plugin())
    assert result.total.values > 100_000 and result.total.changed == 0
    assert not result.plugin_loaded


def test_metadata_keys_stay_standard(hzz_files):
    """Only basket data is Baler: the TTree and StreamerInfo keys are ZSTD, readable by uproot."""
    output = run_python(f"""
import uproot
f = uproot.open("{hzz_files['baler']}")
print("entries", f["events"].num_entries, "classes", sorted(f.file.streamers))
""")
    assert "entries 2421" in output
    assert "Baler::Requires_libBalerROOT" in output


def test_marker_records_are_those_files_have_always_carried(hzz_files):
    """The marker classes have no dictionary (root-plugin/src/FileMarker.h): the plugin builds their
    StreamerInfo records, which must be the ones a rootcling dictionary gave them (versions and
    checksums read from a file written with one), or a reader of either kind of file would warn of
    a changed class. Opening the file loads the plugin without a warning."""
    output = run_python(f"""
import uproot
streamers = uproot.open("{hzz_files['baler']}").file.streamers
for name in ("Baler::Requires_libBalerROOT", "Baler::Add_the_folder_of_libBalerROOT_so_to_LD_LIBRARY_PATH"):
    for version, record in streamers[name].items():
        print(name, version, hex(record.member("fCheckSum")), [e.member("fName") for e in record.elements])
""")
    assert "Baler::Requires_libBalerROOT 2 0xe561fe87 ['fFormatVersion', 'fMissingLibrary']" in output, output
    assert "Baler::Add_the_folder_of_libBalerROOT_so_to_LD_LIBRARY_PATH 1 0x24b0148c []" in output, output
    output = run_python(f"""
import ROOT
f = ROOT.TFile.Open("{hzz_files['baler']}")
print("read", f.Get("events").GetEntry(0) > 0, "loaded", "libBalerROOT" in str(ROOT.gSystem.GetLibraries()))
""")
    # ROOT's warnings reach PyROOT as Python RuntimeWarnings
    assert "read True loaded True" in output and not re.search(r"RuntimeWarning|Warning in <|Error in <", output), output


# A Baler tree written into OUT, then AFTER_TREE (Python), then OUT closed.
WRITTEN_BEFORE_A_BALER_FILE_IS_OPENED = """
import array, ROOT
ROOT.gSystem.Load("libBalerROOT")
out = ROOT.TFile(OUT, "RECREATE", "", SETTING)
x = array.array("f", [0.0])
tree = ROOT.TTree("t", "t")
tree.Branch("x", x, "x/F")
for i in range(1000):
    x[0] = i * 0.5
    tree.Fill()
tree.Write()
exec(AFTER_TREE)
out.Close()
"""


@pytest.mark.parametrize("after_tree", [
    "ROOT.TFile.Open(BALER_FILE).Close()",
    "out.Write(); ROOT.TFile.Open(BALER_FILE).Close(); out.cd(); ROOT.TH1F('h', 'h', 10, 0, 1).Write()"])
def test_a_file_still_names_the_plugin_when_a_baler_file_is_opened_before_it_closes(hzz_files, tmp_path, after_tree):
    """Opening a Baler file makes ROOT take the marker classes' records from it and delete the
    plugin's own, and ROOT writes a file's StreamerInfo anew each time. A file tagged with the
    record in use when its basket was written (TTree::Write, then a Baler file opened, then Close),
    or at an earlier StreamerInfo write (TFile::Write, a Baler file opened, then a histogram
    written: a new class, so Close writes the StreamerInfo again), was left without the marker, and
    ROOT no longer loaded the plugin to read it (two reviews found them). The file is now tagged
    at each StreamerInfo write, with the records in use then."""
    out = tmp_path / "written_first.root"
    run_python(f"OUT, SETTING, BALER_FILE, AFTER_TREE = {str(out)!r}, {BALER_LOSSLESS}, {str(hzz_files['baler'])!r}, "
               f"{after_tree!r}\n" + WRITTEN_BEFORE_A_BALER_FILE_IS_OPENED)
    output = run_python(f"""
import ROOT
f = ROOT.TFile.Open("{out}")
print("classes", *[info.GetName() for info in f.GetStreamerInfoList()])
print("read", f.Get("t").GetEntry(999) > 0, "loaded", "libBalerROOT" in str(ROOT.gSystem.GetLibraries()))
""")
    assert "Baler::Requires_libBalerROOT" in output and "read True loaded True" in output, output


def test_hooks_cover_libraries_loaded_after_the_plugin(tmp_path):
    """libROOTNTuple, loaded only after libBalerROOT, is patched too: its pages with Baler's
    algorithm code go to ZSTD instead of ROOT's zlib fallback for unknown codes."""
    path = tmp_path / "ntuple.root"
    output = run_python(f"""
import ROOT
ROOT.gSystem.Load("libBalerROOT")
maps = open("/proc/self/maps").read()
print("ntuple loaded before plugin:", "libROOTNTuple" in maps)
ROOT.gInterpreter.Declare('''
#include <ROOT/RNTupleModel.hxx>
#include <ROOT/RNTupleWriter.hxx>
void WriteNTuple(const char *path) {{
   auto model = ROOT::RNTupleModel::Create();
   auto x = model->MakeField<float>("x");
   ROOT::RNTupleWriteOptions options;
   options.SetCompression({BALER_LOSSLESS});
   auto writer = ROOT::RNTupleWriter::Recreate(std::move(model), "ntuple", path, options);
   for (int i = 0; i < 100000; ++i) {{ *x = i * 0.25f; writer->Fill(); }}
}}
''')
ROOT.WriteNTuple("{path}")
""")
    assert "ntuple loaded before plugin: False" in output
    data = path.read_bytes()
    assert data.count(b"ZS\x01") > 0
    assert data.count(b"ZL\x08") == 0


def test_example_macros_write_and_read(tmp_path):
    """The README's example macros: write with one added line, read with nothing added."""
    path = tmp_path / "example.root"
    write = run_macro("write_example", path, 5000, folder=REPO / "macros")
    assert "wrote 5000 events" in write
    read = run_macro("read_example", path, folder=REPO / "macros")
    assert re.search(r"read_example: 5000 events, \d+ muons", read), read
    # without the plugin it stops with a line that says where to look; its event loop crashed
    # inside ROOT's TTreeReaderArray on the baskets it could not read
    proc = run_command(["root.exe", "-l", "-b", "-q", f'{REPO / "macros" / "read_example.C"}("{path}")'],
                       env=env_without_plugin(), check=False, timeout=300)
    assert "read_example: cannot read" in proc.stdout and "LD_LIBRARY_PATH" in proc.stdout, proc.stdout + proc.stderr
    assert "There was a crash" not in proc.stdout + proc.stderr and proc.returncode != 0, proc.stdout + proc.stderr


def test_the_example_macro_compiled_by_aclic_writes_baler_baskets(baler, tmp_path):
    """`write_example.C+` (ACLiC: the system compiler) uses only Baler::kLossless, which names no
    symbol of libBalerROOT: the linker dropped the library, its hooks never ran, and ROOT stored
    every basket with ZLIB without a word (a sweep of ROOT's routes; a program linked with
    -lBalerROOT the same)."""
    shutil.copy(REPO / "macros" / "write_example.C", tmp_path)
    path = tmp_path / "compiled.root"
    run_command(["root.exe", "-l", "-b", "-q", f'{tmp_path / "write_example.C"}+("{path}", 2000)'], cwd=tmp_path)
    codecs = {r["branch"]: r["codec"] for r in json.loads(run_baler(baler, "inspect", path, "--json").stdout)["branches"]}
    assert codecs["Muon_pt"] == codecs["MET"] == "baler lossless", codecs


def test_hooks_are_installed_in_every_root_library_that_compresses():
    """The plugin redirected ROOT's compressor calls (a count above zero), and said nothing about
    failing to; on a platform whose relocations it cannot patch it reports an error instead."""
    output = run_python(f"""
import ctypes, ROOT
ROOT.gSystem.Load("libBalerROOT")
count = ctypes.CDLL("{BUILD_LIB / 'libBalerROOT.so'}").BalerDiagnosticCount
count.restype, count.argtypes = ctypes.c_longlong, [ctypes.c_char_p]
print("zip call sites", count(b"zip_call_sites"))
""")
    assert int(re.search(r"^zip call sites (-?\d+)$", output, re.M).group(1)) > 0, output
    assert "Error in <Baler>" not in output, output
