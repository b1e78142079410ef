"""`baler export`: a Baler file back to a standard ROOT file, for sharing, that any ROOT or uproot
reads without the plugin, with the values as the plugin decodes them."""
import json

import pytest

from conftest import compare_trees, env_without_plugin, run_baler, run_macro, run_python
from test_ae import model_keys, trained, write_tree  # noqa: F401 (trained: a fixture)

# uproot alone reads the exported file; baler_root, imported after, reads the Baler file: every
# branch the same, entry by entry.
SAME_THROUGH_UPROOT = """
import uproot, awkward as ak
exported = uproot.open({exported!r})[{tree!r}].arrays()
import baler_root
original = uproot.open({original!r})[{tree!r}].arrays()
differ = [f for f in original.fields if not ak.all(ak.ravel(exported[f] == original[f]))]
print("uproot fields", len(original.fields), "differ", differ)
"""


def test_an_exported_file_reads_without_the_plugin_to_the_decoded_values(baler, hzz_bits10, tmp_path):
    baler_file, exported = hzz_bits10[0], tmp_path / "exported.root"
    report = json.loads(run_baler(baler, "export", baler_file, exported, "--json").stdout)
    after = {row["branch"]: row["codec_after"] for row in report["branches"]}
    assert after["Muon_Px"] == "zstd 5" and after["NMuon"] == "zlib 1", after  # the input's ZLIB baskets stay
    same = compare_trees(baler_file, exported, "events")
    assert same.entries == 2421 and same.total.bad == 0 and same.total.changed == 0, same.output
    # Plain ROOT, without the plugin's folder on the library path: every branch read, and no word
    # of Baler (no marker class telling the reader to load a plugin it does not need).
    plain = run_macro("read_all_branches", exported, "events", env=env_without_plugin())
    assert "read_all_branches: 51 0" in plain and "Baler" not in plain, plain
    output = run_python(SAME_THROUGH_UPROOT.format(exported=str(exported), original=str(baler_file), tree="events"))
    assert "uproot fields 51 differ []" in output, output
    inspected = json.loads(run_baler(baler, "inspect", exported, "--json").stdout)["branches"]
    assert not [row for row in inspected if row["codec"].startswith("baler")], inspected


def test_an_exported_file_still_says_which_spec_its_values_came_through(baler, hzz_bits10, shared_data, tmp_path):
    """The exported baskets are ZSTD's, but their values are bits:10's: with only the setting to go
    by, `baler eval` against the original held every float branch to ZSTD's exactness and called
    its bound broken. A note in the tree's UserInfo (a TNamed: plain ROOT reads it) keeps the spec
    for `baler inspect` and `baler eval`, and a second export keeps it too."""
    exported, again = tmp_path / "exported.root", tmp_path / "again.root"
    run_baler(baler, "export", hzz_bits10[0], exported)
    run_baler(baler, "export", exported, again)
    for path in (exported, again):
        inspected = json.loads(run_baler(baler, "inspect", path, "--json").stdout)["branches"]
        codec = {row["branch"]: row["codec"] for row in inspected}
        assert codec["Muon_Px"] == "zstd 5, from baler bits:10" and codec["NMuon"] == "zlib 1", codec
    proc = run_baler(baler, "eval", shared_data / "uproot-HZZ.root", again, "--out", tmp_path / "report")
    verdicts = {line.split()[0]: line.rsplit("  ", 1)[-1].strip() for line in proc.stdout.splitlines()
                if line.startswith(("Muon_Px ", "NMuon "))}
    assert verdicts == {"Muon_Px": "within bound", "NMuon": "exact"}, proc.stdout


@pytest.mark.parametrize("source, branch", [("generated 5 events", "Jet_phi"),
                                            ("nanoAOD_2015_CMS_Open_Data_ttbar.root", "GenJet_pt")])
def test_values_rounded_without_baler_blocks_keep_their_spec_in_the_export(baler, shared_data, tmp_path, source, branch):
    """A few values whose Baler block was not smaller (zipped again by ROOT after rounding), and a
    small tree's baskets kept in its key (rounded in place): no Baler block to decode, so the export
    noted nothing, said `zstd 5`, and `baler eval` against the original found bounds broken."""
    original, compressed, exported = tmp_path / "original.root", tmp_path / "bits10.root", tmp_path / "exported.root"
    if source.startswith("generated"):
        run_baler(baler, "generate", original, "--events", 5, "--seed", 2)
    else:
        original = shared_data / source
    run_baler(baler, "compress", original, compressed)
    run_baler(baler, "export", compressed, exported)
    inspected = json.loads(run_baler(baler, "inspect", exported, "--json").stdout)["branches"]
    codec = {row["branch"]: row["codec"] for row in inspected}[branch]
    assert codec.endswith(", from baler bits:10"), codec


def test_an_exported_ae_file_keeps_the_values_and_drops_the_model(baler, trained, tmp_path):
    _, model, model_id = trained
    ae, exported = tmp_path / "ae.root", tmp_path / "exported.root"
    write_tree(ae, f"ae:bits:10:{model}")
    assert model_keys(ae) == [f"baler_model_{model_id}"]
    run_baler(baler, "export", ae, exported, "--setting", "207")
    assert model_keys(exported) == []
    same = compare_trees(ae, exported, "t")
    assert same.total.bad == 0 and same.total.changed == 0, same.output


def test_a_tree_copied_fast_is_exported_too(baler, hzz_bits10, tmp_path):
    """Baler blocks copied under a ZLIB setting (CloneTree(-1, "fast")) are found by their bytes."""
    copied, exported = tmp_path / "fast.root", tmp_path / "exported.root"
    run_macro("fast_copy", hzz_bits10[0], copied, "events", 101)
    run_baler(baler, "export", copied, exported)
    inspected = json.loads(run_baler(baler, "inspect", exported, "--json").stdout)["branches"]
    assert not [row for row in inspected if row["codec"].startswith("baler")], inspected
    same = compare_trees(hzz_bits10[0], exported, "events")
    assert same.total.bad == 0 and same.total.changed == 0, same.output


def test_a_setting_that_is_not_roots_is_refused_and_changes_nothing(baler, hzz_bits10, tmp_path):
    kept = tmp_path / "kept.root"
    kept.write_bytes(b"a file the failed run must leave as it is")
    for setting, says in [("4210", "--setting 4210 is Baler's, and export writes a file that every reader opens "
                                     "without the plugin: give a ROOT compression setting"),
                          ("606", "--setting 606 is not a ROOT compression setting: give a ROOT compression setting"),
                          # accepted before, and uproot could not read the file (a new-user sweep)
                          ("301", "--setting 301 is ROOT's old ZLIB format, which uproot cannot read: give a ROOT "
                                  "compression setting")]:
        proc = run_baler(baler, "export", hzz_bits10[0], kept, "--setting", setting, check=False)
        errors = [line for line in proc.stderr.splitlines() if line.strip()]
        # a usage error, as --setting abc is
        assert proc.returncode == 2 and len(errors) == 1 and says in errors[0], proc.stderr
        assert kept.read_bytes() == b"a file the failed run must leave as it is"
