"""Issue 4, item 2 and 5: the three ways of choosing Baler, their precedence, and actionable errors."""
import os
import shutil
import subprocess

import pytest

from conftest import BUILD_LIB, REPO, ZSTD_505, env_without_plugin, macro_value, run_macro, run_python

BITS10_BOUND = 2.0 ** -11  # bits:10 guarantees |x'-x| <= 2^-11 |x|
SETTINGS_BITS10 = 4210     # Baler::Settings(10)


def hzz(shared_data):
    return shared_data / "uproot-HZZ.root"


def compare(a, b, bounds="", tree="events", env=None):
    """(differences, changed-within-bound) between two leaf trees; bounds "GLOB=REL,..." (compare_trees.C)."""
    output = run_macro("compare_trees", a, b, tree, bounds, env=env, check=False)
    entries, values, differences, changed = macro_value(output, "compare_trees")
    assert entries > 0 and values > 0, output
    return differences, changed


def preload_env(policy=None):
    env = dict(os.environ)
    env["LD_PRELOAD"] = str(BUILD_LIB / "libBalerROOT.so")
    if policy is not None:
        env["BALER_POLICY"] = policy
    return env


def test_settings_bits10_keeps_every_float_within_bound(shared_data, tmp_path):
    out = tmp_path / "bits10.root"
    run_macro("rewrite_tree", hzz(shared_data), out, "events", SETTINGS_BITS10)
    differences, changed = compare(hzz(shared_data), out, f"*={BITS10_BOUND}")
    assert differences == 0
    assert changed > 10_000, "bits:10 must actually round most float values"


def test_set_codec_applies_to_matching_branches_only(shared_data, tmp_path):
    """SetCodec(tree, "Muon_P*", rel:1e-3) on a ZSTD file: those branches lossy within 1e-3, all else exact."""
    out = tmp_path / "setcodec.root"
    output = run_macro("rewrite_tree", hzz(shared_data), out, "events", ZSTD_505, "Muon_P*", "rel:1e-3")
    assert "SetCodec matched 3 branches" in output
    # Within 1e-3 on Muon_P*, and nothing outside the glob changed at all.
    differences, changed = compare(hzz(shared_data), out, "Muon_P*=1e-3")
    assert differences == 0 and changed > 1000


def test_policy_applies_to_an_unmodified_program(shared_data, tmp_path):
    """BALER_POLICY with LD_PRELOAD: a plain ROOT program writes Baler baskets, first match wins."""
    out = tmp_path / "policy.root"
    env = preload_env("events/Jet_P*=bits:8, events/Muon_*=rel:1e-4, */*=lossless")
    run_macro("plain_copy", hzz(shared_data), out, "events", env=env)
    # Within each rule's bound, and everything the lossless catch-all covers (Jet_E, ...) is exact.
    differences, changed = compare(hzz(shared_data), out, f"Jet_P*={2.0 ** -9},Muon_*=1e-4")
    assert differences == 0 and changed > 5000
    assert compare(hzz(shared_data), out, f"Jet_P*={2.0 ** -9}")[0] > 0, "Muon_* must have been rounded"
    # The file needs the plugin: without it, reading fails and names what is missing.
    output = run_macro("compare_trees", hzz(shared_data), out, "events", env=env_without_plugin(), check=False)
    assert "libBalerROOT" in output


def test_precedence_set_codec_over_policy_over_setting(shared_data, tmp_path):
    """File setting bits:10, policy says Muon_Px=bits:6, SetCodec says Muon_Px lossless: lossless wins;
    Muon_Py (policy only) gets bits:6; Jet_Px (setting only) gets bits:10."""
    out = tmp_path / "precedence.root"
    env = dict(os.environ, BALER_POLICY="events/Muon_P[xy]=bits:6")
    run_macro("rewrite_tree", hzz(shared_data), out, "events", SETTINGS_BITS10, "Muon_Px", "lossless", env=env)
    rest = f"*={BITS10_BOUND}"
    differences, changed = compare(hzz(shared_data), out, f"Muon_Px=0,Muon_Py={2.0 ** -7},{rest}")
    assert differences == 0 and changed > 10_000
    assert compare(hzz(shared_data), out, f"Muon_Px=0,{rest}")[0] > 0, "Muon_Py must be bits:6, not bits:10"


def test_rdataframe_snapshot_with_policy(shared_data, tmp_path):
    """Snapshot replaces unknown algorithm codes; BALER_POLICY still stores RVec<float> muons with Baler."""
    out = tmp_path / "snapshot.root"
    muons = shared_data / "Run2012BC_DoubleMuParked_Muons_1000evts.root"
    output = run_python(f"""
import ROOT
df = ROOT.RDataFrame("Events", "{muons}")
df.Snapshot("Events", "{out}")
orig = ROOT.RDataFrame("Events", "{muons}")
copy = ROOT.RDataFrame("Events", "{out}")
a = [v for vec in orig.Take["ROOT::VecOps::RVec<float>"]("Muon_pt").GetValue() for v in vec]
b = [v for vec in copy.Take["ROOT::VecOps::RVec<float>"]("Muon_pt").GetValue() for v in vec]
worst = max(abs(y - x) / abs(x) for x, y in zip(a, b))
print("values", len(a), len(b), "changed", sum(x != y for x, y in zip(a, b)), "worst", worst)
f = ROOT.TFile.Open("{out}")
print("algorithm", f.Get("Events").GetBranch("Muon_pt").GetCompressionAlgorithm())
""", env=preload_env("Events/Muon_pt=bits:10"))
    fields = output.split()
    assert fields[fields.index("values") + 1] == fields[fields.index("values") + 2] == "2372"
    assert float(fields[fields.index("worst") + 1]) <= BITS10_BOUND
    assert "algorithm 42" in output


def test_hadd_optimize_with_policy_and_plain_hadd(shared_data, tmp_path):
    """`hadd -O` recompresses: with BALER_POLICY the output is Baler. Plain `hadd` copies Baler baskets
    byte for byte, and they stay readable."""
    hadd = shutil.which("hadd")
    assert hadd, "hadd from ROOT must be on PATH"
    baler = tmp_path / "baler.root"
    run_macro("rewrite_tree", hzz(shared_data), baler, "events", SETTINGS_BITS10)

    merged = tmp_path / "merged_plain.root"
    subprocess.run([hadd, "-f", str(merged), str(baler)], check=True, capture_output=True)
    assert compare(baler, merged) == (0, 0)

    optimized = tmp_path / "merged_optimized.root"
    subprocess.run([hadd, "-O", "-f", str(optimized), str(hzz(shared_data))], check=True, capture_output=True,
                   env=preload_env("events/*=bits:10"))
    differences, changed = compare(hzz(shared_data), optimized, f"*={BITS10_BOUND}")
    assert differences == 0 and changed > 10_000


def test_malformed_policy_stops_the_program():
    proc = subprocess.run(["root.exe", "-l", "-b", "-q", "-e", "1"], capture_output=True, text=True,
                          env=preload_env("events/Muon_pt=rel:7"), timeout=120)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert 'BALER_POLICY rule "events/Muon_pt=rel:7"' in output
    assert "grammar" in output


def test_malformed_spec_names_the_bad_part():
    output = run_python("""
import ROOT
ROOT.gInterpreter.Declare('#include "Baler/Baler.h"')
for spec in ["bits:99", "rel:2", "abs:-1", "zstd:5", "ae:rel:0.5"]:
    try:
        ROOT.Baler.Codec.Parse(spec)
        print("accepted", spec)
    except Exception as e:
        print("rejected", spec, "|", str(e).replace("\\n", " "))
print("canonical", ROOT.Baler.Codec.Rel(1e-3).ToString(), ROOT.Baler.Codec.Bits(10).ToString())
""")
    assert "accepted" not in output, output
    for spec in ["bits:99", "rel:2", "abs:-1", "zstd:5"]:
        line = next(l for l in output.splitlines() if l.startswith(f"rejected {spec} "))
        assert "grammar" in line, line
    assert "canonical rel:1e-3 bits:10" in output


def test_lossy_codec_on_non_float_branch_says_so(shared_data, tmp_path):
    out = tmp_path / "ints.root"
    output = run_macro("rewrite_tree", hzz(shared_data), out, "events", ZSTD_505, "NJet", "bits:10")
    assert 'no branch of events matching "NJet" holds float or double values: bits:10 applies' in output


def test_corrupt_basket_is_reported_and_the_process_goes_on(shared_data, tmp_path):
    """A damaged Baler block: ROOT's error channel names Baler, the branch, the entries and the file;
    the basket reads as failed and the rest of the file still reads."""
    out = tmp_path / "corrupt.root"
    run_macro("rewrite_tree", hzz(shared_data), out, "events", SETTINGS_BITS10)
    data = bytearray(out.read_bytes())
    first = data.index(b"BA\x01")
    data[first + 40] ^= 0xFF  # inside the first Baler block's payload
    out.write_bytes(bytes(data))
    output = run_macro("read_all_branches", out, "events", check=False)
    assert "corrupt Baler block in branch" in output, output
    assert "entries 0-" in output and str(out) in output
    ok, failed = macro_value(output, "read_all_branches")
    assert failed >= 1 and ok > 30
