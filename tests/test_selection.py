"""Issue 4, item 2 and 5: the three ways of choosing Baler, their precedence, and actionable errors.

Each lossy selection is checked with compare_trees.C under a bits:N spec, which defines exactly
which values must change: a rule that is ignored, or a basket stored raw, fails the test."""
import shutil

from conftest import (ZSTD_505, baler_settings, compare_trees, env_without_plugin, macro_value, preload_env,
                      run_command, run_macro, run_python)


def hzz(shared_data):
    return shared_data / "uproot-HZZ.root"


def test_settings_bits10_rounds_exactly_the_floats_it_must(shared_data, tmp_path):
    out = tmp_path / "bits10.root"
    run_macro("rewrite_tree", hzz(shared_data), out, "events", baler_settings(10))
    result = compare_trees(hzz(shared_data), out, "events", "*=bits:10")
    result.assert_exact_set_changed("Jet_Px", "Muon_Px", "MET_px")
    assert result.total.must > 10_000


def test_set_codec_applies_to_matching_branches_only(shared_data, tmp_path):
    """SetCodec(tree, "Muon_P*", bits:7) on a ZSTD file: those branches rounded, all else exact."""
    out = tmp_path / "setcodec.root"
    output = run_macro("rewrite_tree", hzz(shared_data), out, "events", ZSTD_505, "Muon_P*", "bits:7")
    assert "SetCodec matched 3 branches" in output
    compare_trees(hzz(shared_data), out, "events", "Muon_P*=bits:7").assert_exact_set_changed(
        "Muon_Px", "Muon_Py", "Muon_Pz")


def test_policy_applies_to_an_unmodified_program_first_match_wins(shared_data, tmp_path):
    """BALER_POLICY with LD_PRELOAD: a plain ROOT program writes Baler baskets. Jet_Px matches two
    rules and gets the first (bits:8, not bits:4); Jet_E only the second; Muon_* its rel rule;
    everything else the lossless catch-all."""
    out = tmp_path / "policy.root"
    env = preload_env("events/Jet_P*=bits:8, events/Jet_*=bits:4, events/Muon_*=rel:1e-4, */*=lossless")
    run_macro("plain_copy", hzz(shared_data), out, "events", env=env)
    result = compare_trees(hzz(shared_data), out, "events", "Jet_P*=bits:8,Jet_*=bits:4,Muon_*=rel:1e-4")
    result.assert_exact_set_changed("Jet_Px", "Jet_Py", "Jet_Pz", "Jet_E", "Jet_btag")
    # rel:E requires no value to change, but this data is finer than 1e-4: the rule did act
    assert all(result.branches[name].changed > 0 for name in ("Muon_Px", "Muon_E")), result.output
    # The file needs the plugin: without it, reading fails and names what is missing.
    output = run_macro("compare_trees", hzz(shared_data), out, "events", env=env_without_plugin(), check=False)
    assert "libBalerROOT" in output


def test_precedence_set_codec_over_policy_over_setting(shared_data, tmp_path):
    """File setting bits:10, policy says Muon_P[xy]=bits:6, SetCodec says Muon_Px lossless: lossless
    wins on Muon_Px; Muon_Py (policy only) gets bits:6; Jet_Px (setting only) gets bits:10."""
    out = tmp_path / "precedence.root"
    env = preload_env("events/Muon_P[xy]=bits:6")
    run_macro("rewrite_tree", hzz(shared_data), out, "events", baler_settings(10), "Muon_Px", "lossless", env=env)
    result = compare_trees(hzz(shared_data), out, "events", "Muon_Px=lossless,Muon_Py=bits:6,*=bits:10")
    result.assert_exact_set_changed("Muon_Py", "Jet_Px")
    assert result.branches["Muon_Px"].changed == 0


def test_hadd_keeps_baler_baskets_byte_for_byte_and_hadd_optimize_applies_the_policy(shared_data, hzz_bits10,
                                                                                       tmp_path):
    """`hadd -fk` (keep the inputs' compression) copies Baler baskets as they are: the same
    compressed bytes, basket by basket. Plain `hadd` writes ROOT's default compression instead,
    with the values exactly as Baler decoded them. `hadd -O` recompresses, with BALER_POLICY into
    Baler."""
    hadd = shutil.which("hadd")
    assert hadd, "hadd from ROOT must be on PATH"
    baler = hzz_bits10[0]
    original_baskets = basket_bytes(baler)
    assert len(original_baskets) >= 51 and not any("in tree key" in b for b in original_baskets)
    kept = tmp_path / "merged_kept.root"
    run_command([hadd, "-fk", kept, baler])
    assert basket_bytes(kept) == original_baskets
    plain = tmp_path / "merged_plain.root"
    run_command([hadd, "-f", plain, baler])
    assert compare_trees(baler, plain, "events").total.changed == 0

    optimized = tmp_path / "merged_optimized.root"
    run_command([hadd, "-O", "-f", optimized, hzz(shared_data)], env=preload_env("events/*=bits:10"))
    compare_trees(hzz(shared_data), optimized, "events", "*=bits:10").assert_exact_set_changed("Jet_Px")


def basket_bytes(path) -> list:
    """'BRANCH BASKET: NBYTES MD5' for every basket of HZZ's events tree (basket_bytes.C)."""
    output = run_macro("basket_bytes", path, "events")
    return [line.split(" ", 1)[1] for line in output.splitlines() if line.startswith("basket_bytes ")]


def test_malformed_policy_stops_the_program():
    proc = run_command(["root.exe", "-l", "-b", "-q", "-e", "1"], env=preload_env("events/Muon_pt=rel:7"),
                       check=False, timeout=120)
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
    except ROOT.std.invalid_argument as e:
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


def test_corrupt_basket_is_reported_and_the_process_goes_on(hzz_bits10, tmp_path):
    """A damaged Baler block: ROOT's error channel names Baler, the branch, the entries and the file;
    the basket reads as failed and the rest of the file still reads."""
    out = tmp_path / "corrupt.root"
    data = bytearray(hzz_bits10[0].read_bytes())
    first = data.index(b"BA\x01")
    data[first + 40] ^= 0xFF  # inside the first Baler block's payload
    out.write_bytes(bytes(data))
    output = run_macro("read_all_branches", out, "events", check=False)
    assert "corrupt Baler block in branch" in output, output
    assert "entries 0-" in output and str(out) in output
    ok, failed = macro_value(output, "read_all_branches")
    assert failed >= 1 and ok > 30
