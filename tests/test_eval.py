"""`baler eval` (python/baler_eval behind rust/baler-cli): the report, its numbers, the analyses."""
import json
import os
import re
import shutil
import subprocess

import numpy as np
import pytest
import uproot

from conftest import REPO, macro_value, run_baler, run_python

BITS10_BOUND = 2.0 ** -11  # bits:10: |x'-x| <= 2^-(10+1)|x|
SHIFT_LIMIT = 0.1
KS_LIMIT = 0.99


def table(stdout, first_column):
    """The rows of the text table whose header starts with `first_column`, as {first cell: {column: cell}}."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(first_column + " "))
    header = re.split(r"\s{2,}", lines[start].strip())
    rows = {}
    for line in lines[start + 2:]:
        if not line.strip():
            break
        cells = re.split(r"\s{2,}", line.strip())
        rows[cells[0]] = dict(zip(header, cells))
    return rows


def sigma(cell):
    return float(cell.split()[0])


def evaluate(baler, original, compressed, out, *options, check=True):
    return run_baler(baler, "eval", original, compressed, "--out", out, *options, check=check)


@pytest.fixture(scope="module")
def hzz_eval(baler, shared_data, hzz_bits10, tmp_path_factory):
    """`baler eval` of the HZZ file against its bits:10 version: (process, report folder's parent, compressed)."""
    folder = tmp_path_factory.mktemp("eval_hzz")
    compressed = hzz_bits10[0]
    proc = evaluate(baler, shared_data / "uproot-HZZ.root", compressed, folder / "report")
    return proc, folder, compressed


def test_report_with_plots(hzz_eval):
    proc, folder, _ = hzz_eval
    report = folder / "report" / "report.html"
    assert report.exists() and f"report: {report}" in proc.stdout
    images = re.findall(r"<img src='([^']+)'", report.read_text())
    assert "branch_events_Muon_Px.png" in images and "physics_events_hzz4l.png" in images
    assert "budget_events_hzz4l.png" in images
    for image in images:
        assert (folder / "report" / image).read_bytes().startswith(b"\x89PNG"), image


def test_every_float_branch_within_bits10(hzz_eval):
    rows = table(hzz_eval[0].stdout, "branch")
    floats = {name: row for name, row in rows.items() if row["type"].startswith("Float_t")}
    assert len(floats) == 41  # every float branch of the file
    for name, row in floats.items():
        # The codec as the blocks hold it (baler inspect): bits:10, or lossless for a branch whose
        # values were already that coarse (MChadronicBottom_px: zeros), which the codec stores exactly.
        assert row["codec"] == "baler bits:10" or (row["codec"] == "baler lossless" and row["max abs err"] == "0"), \
            (name, row)
        assert float(row["max rel err"]) <= BITS10_BOUND, name
        assert row["verdict"] in ("within bound", "exact"), name
    integers = [row for row in rows.values() if not row["type"].startswith("Float_t")]
    assert integers and all(row["max abs err"] == "0" and row["verdict"] == "exact" for row in integers)


def test_branch_figures_match_an_independent_reading(hzz_eval, shared_data):
    """Muon_Px: original through uproot, compressed through RDataFrame, computed here."""
    _, folder, compressed = hzz_eval
    original = uproot.open(shared_data / "uproot-HZZ.root")["events"]["Muon_Px"].array(library="np")
    original = np.concatenate(original).astype(np.float64)
    output = run_python(f"""
import ROOT, numpy as np
columns = ROOT.RDataFrame("events", "{compressed}").AsNumpy(["Muon_Px"])
np.save("{folder}/muon_px.npy", np.concatenate([np.asarray(v, dtype=np.float64) for v in columns["Muon_Px"]]))
""")
    decoded = np.load(folder / "muon_px.npy")
    assert decoded.size == original.size == 3825, output
    residual = decoded - original
    row = table(hzz_eval[0].stdout, "branch")["Muon_Px"]
    assert int(row["values"]) == original.size
    assert float(row["max abs err"]) == pytest.approx(np.abs(residual).max(), rel=5e-3)
    assert float(row["max rel err"]) == pytest.approx((np.abs(residual) / np.abs(original)).max(), rel=5e-3)
    assert float(row["resid. mean"]) == pytest.approx(residual.mean(), rel=5e-3)
    assert float(row["resid. RMS"]) == pytest.approx(np.sqrt(np.mean(residual ** 2)), rel=5e-3)
    branch = uproot.open(compressed)["events"]["Muon_Px"]
    assert int(row["bytes after"]) >= branch.compressed_bytes  # the table adds the basket keys
    assert float(row["ratio"].rstrip("x")) > 2


def physics_row(stdout, analysis):
    return table(stdout, "analysis")[analysis]


NEGLIGIBLE = f"all shifts < {SHIFT_LIMIT} sigma, KS p > {KS_LIMIT}, event change RMS < 0.1%"


def event_change(row):
    """(RMS, largest) of the events' relative change, as fractions."""
    rms, largest = row["event change RMS / max"].split(" / ")
    return float(rms.rstrip("%")) / 100, float(largest.rstrip("%")) / 100


def assert_distribution_unmoved(row):
    for column in ("mean shift", "peak shift", "width shift"):
        assert abs(sigma(row[column])) < SHIFT_LIMIT, (column, row)
    assert float(row["KS p"]) > KS_LIMIT, row


def assert_negligible(row):
    assert_distribution_unmoved(row)
    assert event_change(row)[0] < 1e-3, row
    assert row[NEGLIGIBLE] == "yes"


def test_hzz4l_at_bits10_is_negligible(hzz_eval):
    row = physics_row(hzz_eval[0].stdout, "hzz4l")
    assert row["events"] == "40 / 40"  # four leptons in two same-flavour opposite-charge pairs
    assert_negligible(row)
    assert f"hzz4l: loosest negligible setting ({NEGLIGIBLE}): hzz_bits10.root" in hzz_eval[0].stdout
    # 40 events: the conclusion says how little it rests on (it read as firm as on thousands)
    assert "(+" in hzz_eval[0].stdout and "; measured on 40 events only, a rough guide" in hzz_eval[0].stdout


def test_dimuon_at_bits10_moves_events_the_distribution_hides(baler, shared_data, tmp_path):
    """At bits:10 the dimuon spectrum's mean, peak and width move by less than 0.001 sigma and its
    KS p is 1, and that was the verdict: negligible. Event by event the mass moves by 0.36% RMS and
    up to 3.4% (nearly collinear muons: eta and phi under a relative bound move their small
    differences by much more), which widens a 1% mass resolution by 6%: not negligible."""
    original = shared_data / "Run2012BC_DoubleMuParked_Muons_1000evts.root"
    compressed = tmp_path / "muons_bits10.root"
    run_baler(baler, "compress", original, compressed, "--codec", "bits:10")
    proc = evaluate(baler, original, compressed, tmp_path / "report", "--branches", "Muon_pt")
    row = physics_row(proc.stdout, "dimuon")
    assert row["events"] == "415 / 415"  # exactly two muons of opposite charge
    assert_distribution_unmoved(row)
    rms, largest = event_change(row)
    assert 2e-3 < rms < 6e-3 and 0.02 < largest < 0.05, row
    assert row[NEGLIGIBLE] == "NO"
    assert list(table(proc.stdout, "branch")) == ["Muon_pt"]


def test_an_analysis_that_selects_no_event_is_reported_as_such(baler, shared_data, tmp_path):
    """The dimuon analysis selects no event of the NanoAOD ttbar sample (one event has two muons,
    none of opposite charge). `baler eval` stopped with matplotlib's "Data cannot be log-scaled
    because all values are <= 0", drawing the log-scaled mass figure and then the storage budget
    of a peak that does not exist. It now says that no event was selected, draws the empty figure
    on a linear axis, and makes no budget."""
    original = shared_data / "nanoAOD_2015_CMS_Open_Data_ttbar.root"
    compressed = tmp_path / "ttbar_bits10.root"
    run_baler(baler, "compress", original, compressed, "--codec", "bits:10", "--branches", "Muon_*")
    proc = evaluate(baler, original, compressed, tmp_path / "report", "--branches", "Muon_*", "--analysis", "dimuon")
    row = physics_row(proc.stdout, "dimuon")
    assert row["events"] == "0 / 0" and row[NEGLIGIBLE] == "no event selected"
    # no figure for an empty distribution (it printed "- sigma", "0/0" and a chi2 p of 1)
    assert all(row[column] == "-" for column in ("mean shift", "peak shift", "width shift", "width change", "chi2/ndf",
                                                 "chi2 p", "KS p")), row
    assert "what a bound buys" not in proc.stdout
    assert (tmp_path / "report" / "physics_Events_dimuon.png").stat().st_size > 0


def test_an_atlas_daod_without_dictionaries_is_evaluated(baler, shared_data, tmp_path):
    """atlas/uproot-issue-123b.root's classes have no dictionary here. `baler eval` aborted closing
    the file ("free(): invalid pointer" deleting emulated objects), and then reported 31 counts
    of split DataVector<xAOD::...> branches, copied byte for byte, as differing: TTreeFormula
    reads garbage from them. Those are left out, and every float branch is held to bits:10. ROOT's
    75 warnings about those classes (one line each) are one line."""
    original = shared_data / "atlas" / "uproot-issue-123b.root"
    compressed = tmp_path / "daod_bits10.root"
    run_baler(baler, "compress", original, compressed, "--codec", "bits:10")
    proc = evaluate(baler, original, compressed, tmp_path / "report", "--tree", "CollectionTree", "--max-plots", "1")
    rows = {name: row for name, row in table(proc.stdout, "branch").items() if "verdict" in row}  # not the note
    assert not [name for name, row in rows.items() if row["verdict"] not in ("exact", "within bound", "no values")], \
        proc.stdout
    # a branch whose entries hold no value at all was called exact
    assert rows["m_subEvents.m_time"]["verdict"] == "no values" and rows["m_subEvents.m_time"]["values"] == "0", \
        rows.get("m_subEvents.m_time")
    assert rows["InDetTrackParticlesAuxDyn.definingParametersCovMatrix"]["verdict"] == "within bound"
    assert "AnalysisElectrons" not in rows
    # no analysis applies to an xAOD tree: it said nothing of the physics it did not assess
    assert "physics: no analysis applies to this tree" in proc.stdout
    assert "its physics is not assessed" in (tmp_path / "report" / "report.html").read_text()
    # the reasons' verbs agree with their counts (it said "254 holds xAOD::AuxContainerBase")
    assert re.search(r"^not compared: \d+ branches \(\d+ have sub-branches \(compared one by one\) or a type ROOT "
                     r"cannot evaluate; \d+ hold xAOD::AuxContainerBase, not numbers; .*; 1 holds ", proc.stdout, re.M), \
        proc.stdout
    assert "TClass::Init" not in proc.stderr + proc.stdout
    warnings = [line for line in proc.stderr.splitlines() if "no dictionary" in line]
    assert len(warnings) == 1 and warnings[0].startswith("baler: warning: ROOT has no dictionary for "), proc.stderr


def test_a_different_file_is_caught(baler, tmp_path):
    """Two generated samples with different seeds: same branches, other values."""
    first, second = tmp_path / "seed1.root", tmp_path / "seed2.root"
    run_baler(baler, "generate", first, "--events", "3000", "--seed", "1")
    run_baler(baler, "generate", second, "--events", "3000", "--seed", "2")
    proc = evaluate(baler, first, second, tmp_path / "report", "--branches", "Muon_*", check=False)
    assert proc.returncode != 0
    errors = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("baler: error: ") and "beyond what their codec allows" in errors[0]
    rows = table(proc.stdout, "branch")
    assert rows["Muon_pt"]["verdict"] in ("BOUND BROKEN", "ENTRIES DIFFER")
    assert float(rows["Muon_pt"]["max abs err"]) > 1
    physics = physics_row(proc.stdout, "dimuon")
    assert physics[NEGLIGIBLE] == "NO"
    assert max(abs(sigma(physics[c])) for c in ("mean shift", "peak shift", "width shift")) > SHIFT_LIMIT
    assert (tmp_path / "report" / "report.html").exists()  # the report still shows what differs


def test_branches_the_compressed_file_lost_fail_the_evaluation(baler, shared_data, hzz_bits10, tmp_path):
    """A compressed file without some of the original's branches (a fast copy that dropped the
    photons and the jets): eval passed (exit 0), counted their bytes as saved, and said, past ten,
    that they held no plain numbers. Where --branches selects none of them, nothing is lost."""
    skim = tmp_path / "skim.root"
    run_python(f"""
import ROOT
source = ROOT.TFile.Open("{hzz_bits10[0]}")
tree = source.Get("events")
for pattern in ("Photon_*", "NPhoton", "Jet_*", "NJet"):
    tree.SetBranchStatus(pattern, 0)
out = ROOT.TFile("{skim}", "RECREATE")
tree.CloneTree(-1, "fast").Write()
out.Close()
""")
    original = shared_data / "uproot-HZZ.root"
    dropped = sorted(set(uproot.open(original)["events"].keys()) - set(uproot.open(skim)["events"].keys()))
    assert len(dropped) > 10 and all(n.startswith(("Photon_", "Jet_", "NPhoton", "NJet")) for n in dropped), dropped
    proc = evaluate(baler, original, skim, tmp_path / "report", check=False)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("baler: ")]
    assert proc.returncode == 1 and len(errors) == 1, proc.stderr
    assert errors[0].startswith(f"baler: error: {len(dropped)} branches of the original are not in the compressed "
                                "file (events/"), errors
    assert f"{len(dropped)} branches of the original (" in proc.stdout and "and not counted" in proc.stdout
    assert f"not compared: {len(dropped)} branches ({len(dropped)} not in the compressed file)" in proc.stdout
    # the bytes before are those of the branches both files hold (they were all of the original's)
    kept = sum(row["compressed"] for row in json.loads(run_baler(baler, "inspect", original, "--json").stdout)["branches"]
               if row["branch"] not in dropped)
    assert re.search(rf"\b{kept} -> \d+ bytes on disk", proc.stdout), (kept, proc.stdout)
    muons = evaluate(baler, original, skim, tmp_path / "muons", "--branches", "Muon_*")
    assert muons.returncode == 0 and re.search(rf"\b{kept} -> \d+ bytes on disk", muons.stdout), muons.stdout


def test_one_branch_lost_or_broken_is_named_in_the_singular(baler, tmp_path):
    """A count of one reads "1 branch ... is", in the error and in the tree's line: first a copy
    that lost its branch y, then a copy whose y differs."""
    original, lost, broken = tmp_path / "xy.root", tmp_path / "x.root", tmp_path / "y_off.root"
    run_python(f"""
import ROOT, numpy as np
for path, branches, shift in (("{original}", "xy", 0), ("{lost}", "x", 0), ("{broken}", "xy", 1)):
    out = ROOT.TFile(path, "RECREATE")
    tree = ROOT.TTree("T", "T")
    values = {{name: np.zeros(1, dtype=np.float32) for name in branches}}
    for name, value in values.items():
        tree.Branch(name, value, name + "/F")
    for i in range(500):
        for name, value in values.items():
            value[0] = 1.5 * i + (shift if name == "y" else 0)
        tree.Fill()
    tree.Write()
    out.Close()
""")
    proc = evaluate(baler, original, lost, tmp_path / "lost", check=False)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("baler: ")]
    assert proc.returncode == 1 and errors == [f"baler: error: 1 branch of the original is not in the compressed file "
                                               f"(T/y); see {tmp_path / 'lost' / 'report.html'}"], proc.stderr
    assert re.search(r"; 1 branch of the original \(\d+ bytes\) is not in the compressed file", proc.stdout), proc.stdout
    proc = evaluate(baler, original, broken, tmp_path / "broken", check=False)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("baler: ")]
    assert proc.returncode == 1 and len(errors) == 1 and errors[0].startswith(
        "baler: error: 1 branch differs from the original beyond what its codec allows (T/y)"), proc.stderr


def test_a_tree_the_compressed_file_lost_fails_the_evaluation(baler, shared_data, tmp_path):
    """The trees both files hold were evaluated, and one of the original's that the compressed file
    lacks was not mentioned."""
    two_trees = tmp_path / "two_trees.root"
    run_python(f"""
import ROOT
source = ROOT.TFile.Open("{shared_data / 'uproot-HZZ.root'}")
tree = source.Get("events")
out = ROOT.TFile("{two_trees}", "RECREATE")
tree.CloneTree(-1, "fast").Write()
other = tree.CloneTree(-1, "fast")
other.SetName("other")
other.Write()
out.Close()
""")
    proc = evaluate(baler, two_trees, shared_data / "uproot-HZZ.root", tmp_path / "report", check=False)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("baler: ")]
    assert proc.returncode == 1 and len(errors) == 1 and "51 branches of the original are not in the compressed " \
        "file (other/NJet, " in errors[0], proc.stderr
    assert re.search(r"^tree other: 2421 entries, .*51 branches of the original \(\d+ bytes\) are not in the "
                     r"compressed file", proc.stdout, re.M), proc.stdout
    assert re.search(r"^tree events: 2421 entries", proc.stdout, re.M), proc.stdout


@pytest.mark.parametrize("args, message", [
    (["{missing}", "{missing}"], "no such file"),
    (["{hzz}", "{compressed}", "--analysis", "nonsense"], "invalid choice"),
    (["{hzz}", "{compressed}", "--tree", "nothere"], "--tree nothere matches no tree"),
    (["{hzz}", "{compressed}", "--branches", "Nothing*"], "matches no branch"),
    (["{hzz}", "{compressed}", "--analysis", "dimuon"], "--analysis dimuon needs branches Muon_pt"),
    # the user ran eval: the error was "baler inspect failed: cannot open ..." (sweep of the eval route)
    (["{hzz}", "{not_root}"], "error: cannot open '"),
    # ROOT would open the file 'notes' instead (URL syntax): refused by the inspection eval starts with
    (["{hzz}", "{hashed}"], "ROOT reads '#' in a file name as a URL's anchor"),
])
def test_bad_arguments_give_one_line_error(baler, hzz_eval, shared_data, tmp_path, args, message):
    names = {"missing": tmp_path / "missing.root", "hzz": shared_data / "uproot-HZZ.root", "compressed": hzz_eval[2],
             "not_root": tmp_path / "notes.root"}
    names["not_root"].write_text("a text file named .root\n")
    names["hashed"] = tmp_path / "notes#1.root"
    names["hashed"].write_bytes(names["compressed"].read_bytes())
    proc = run_baler(baler, "eval", *[a.format(**names) for a in args], "--out", tmp_path / "r", check=False)
    assert proc.returncode != 0
    errors = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("baler: error: ") and message in errors[0], proc.stderr
    assert not (tmp_path / "r").exists()  # the report's folder, made before the work, was left empty


def test_a_second_report_in_the_folder_removes_only_the_first_reports_plots(baler, hzz_eval, shared_data, tmp_path):
    """Plots of branches the second run does not compare stayed beside its report, as if they
    were its own; files the first report did not show stay."""
    out, mine = tmp_path / "report", tmp_path / "report" / "my_plot.png"
    evaluate(baler, shared_data / "uproot-HZZ.root", hzz_eval[2], out, "--branches", "Muon_Px")
    mine.write_bytes(b"the user's own")
    assert (out / "branch_events_Muon_Px.png").is_file()
    evaluate(baler, shared_data / "uproot-HZZ.root", hzz_eval[2], out, "--branches", "Jet_Px")
    images = set(re.findall(r"<img src='([^']+)'", (out / "report.html").read_text()))
    assert "branch_events_Jet_Px.png" in images and "branch_events_Muon_Px.png" not in images, images
    assert {p.name for p in out.glob("*.png")} == images | {"my_plot.png"}
    assert mine.read_bytes() == b"the user's own"


def test_an_out_that_is_a_file_is_one_line_before_any_work(baler, hzz_eval, shared_data, tmp_path):
    """It was a Python traceback (FileExistsError), after the whole evaluation had run."""
    kept = tmp_path / "notes.txt"
    kept.write_text("the user's file")
    proc = run_baler(baler, "eval", shared_data / "uproot-HZZ.root", hzz_eval[2], "--out", kept, check=False)
    errors = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode != 0 and len(errors) == 1, proc.stderr
    assert errors[0] == f"baler: error: --out {kept}: cannot make the report's folder there (File exists)", proc.stderr
    assert kept.read_text() == "the user's file" and proc.stdout == "", proc.stdout


def test_a_report_that_cannot_be_written_is_one_line_and_leaves_the_earlier_report_whole(baler, hzz_eval, shared_data,
                                                                                         tmp_path):
    """On a full disk (here a file size limit) eval ended in a 51-line traceback, with a truncated plot
    and some of the earlier report's plots replaced by this run's: a report mixing two runs."""
    out = tmp_path / "report"
    evaluate(baler, shared_data / "uproot-HZZ.root", hzz_eval[2], out, "--branches", "Muon_P*")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    command = (f'trap "" XFSZ; ulimit -f 8; exec "{baler}" eval "{shared_data / "uproot-HZZ.root"}" '
               f'"{hzz_eval[2]}" --out "{out}" --branches "Muon_P*" --branches Jet_E')
    proc = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=900)
    errors = [line for line in proc.stderr.splitlines() if line.startswith(("baler:", "Traceback"))]
    assert proc.returncode == 1 and errors == [errors[0]] and "File too large" in errors[0], proc.stderr
    assert errors[0] == f"baler: error: the report in '{out}': File too large", errors
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_report_that_cannot_replace_the_earlier_one_leaves_its_plots_too(baler, hzz_eval, shared_data, tmp_path):
    """The plots were moved into --out one by one and report.html last: where it could not be
    replaced (another user's, in a shared folder; here a folder of that name), the earlier plots
    were already this run's, titled with its codec (an eval sweep). All move, or none."""
    out, coarse = tmp_path / "report", tmp_path / "bits6.root"
    evaluate(baler, shared_data / "uproot-HZZ.root", hzz_eval[2], out, "--branches", "Muon_P*")
    (out / "report.html").unlink()
    (out / "report.html").mkdir()
    (out / "report.html" / "notes.txt").write_text("mine")
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert len(before) >= 2, before
    run_baler(baler, "compress", shared_data / "uproot-HZZ.root", coarse, "--codec", "bits:6")
    proc = evaluate(baler, shared_data / "uproot-HZZ.root", coarse, out, "--branches", "Muon_P*", check=False)
    assert proc.returncode == 1 and proc.stderr.startswith(
        f"baler: error: --out {out}: cannot put report.html there (Is a directory)"), proc.stderr
    assert proc.stderr.rstrip().endswith("the earlier report is as it was"), proc.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert (out / "report.html" / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in out.iterdir()) == sorted([*before, "report.html"])


def test_two_branches_whose_plots_would_share_a_name_both_get_one(baler, tmp_path):
    """Tree `a` with branch `b_c` and tree `a_b` with branch `c` made one plot name: the report
    failed, exit 1, and nothing was written (a review). The second is numbered."""
    original, compressed = tmp_path / "two.root", tmp_path / "bits6.root"
    run_python(f"""
import array, ROOT
f = ROOT.TFile("{original}", "RECREATE")
for tree_name, branch in (("a", "b_c"), ("a_b", "c")):
    t = ROOT.TTree(tree_name, "")
    x = array.array("f", [0])
    t.Branch(branch, x, branch + "/F")
    for i in range(200):
        x[0] = i / 7
        t.Fill()
    t.Write()
f.Close()
""")
    run_baler(baler, "compress", original, compressed, "--codec", "bits:6")
    proc = evaluate(baler, original, compressed, tmp_path / "report")
    html = (tmp_path / "report" / "report.html").read_text()
    assert "branch_a_b_c.png" in html and "branch_a_b_c_2.png" in html, proc.stdout
    assert (tmp_path / "report" / "branch_a_b_c_2.png").is_file()


@pytest.mark.parametrize("type_name, numbers, floats", [
    ("Float_t", True, True), ("Float_t[]", True, True), ("Float_t[64]", True, True), ("Double32_t", True, True),
    ("vector<float>", True, True), ("ROOT::VecOps::RVec<float>", True, True), ("vector<vector<float> >", True, True),
    ("Int_t[]", True, False), ("ULong64_t", True, False), ("vector<unsigned char>", True, False),
    # TTreeFormula returns garbage for these (found on ATLAS PHYSLITE: a file against its own copy "differed")
    ("vector<vector<vector<unsigned long> > >", False, False), ("DataVector<xAOD::Jet_v1>", False, False),
    ("vector<ElementLink<DataVector<xAOD::Jet_v1> > >", False, False), ("string", False, False),
])
def test_only_numbers_are_compared(type_name, numbers, floats):
    from baler_eval.rootio import BranchInfo

    info = BranchInfo("t", "b", type_name, 1, 1, 1, "zstd 5")
    assert (info.holds_numbers, info.holds_floats) == (numbers, floats)


@pytest.mark.parametrize("codec, bound", [
    ("baler bits:10", (0.0, 2.0 ** -11)), ("baler ae:bits:7:8ba15b4896e3aec8a046a6ceb1ccb588", (0.0, 2.0 ** -8)),
    ("baler ae:rel:1e-3:ad8181ef56cf545da764789a59d7921d", (0.0, 1e-3)),
    ("baler ae:abs:0.5:ad8181ef56cf545da764789a59d7921d", (0.5, 0.0)), ("zstd 5", (0.0, 0.0)),
    ("baler bits:10:ad8181ef56cf545da764789a59d7921d", None), ("baler ae:bits:10", None), ("baler level 3", None),
    ("baler abs:1 | ae:abs:1:fbf889e376d24b7d18574cca10206d3e", (1.0, 0.0)), ("baler bits:7 | rel:1e-3", (0.0, 2.0 ** -8)),
    ("baler bits:10 | damaged block (bad checksum)", None), ("baler abs:0.5 | zstd", (0.5, 0.0)),
])
def test_the_bound_each_codec_promises(codec, bound):
    """What the table's verdict checks a branch against, from the codec `baler inspect` names."""
    from baler_eval.branches import guarantee

    assert guarantee(codec) == bound


@pytest.mark.parametrize("codec, kind, bound", [
    ("baler f32 bits:10, f64 bits:20", "f32", (0.0, 2.0 ** -11)), ("baler f32 bits:10, f64 bits:20", "f64", (0.0, 2.0 ** -21)),
    ("baler f32 bits:10, f64 bits:20", None, (0.0, 2.0 ** -11)), ("baler f32 lossless, f64 abs:0.5 | zstd", "f32", (0.0, 0.0)),
    ("baler f32 lossless, f64 abs:0.5 | zstd", "f64", (0.5, 0.0)), ("baler f32 bits:10, x y", "f32", None),
])
def test_the_bound_of_each_float_kind_in_one_block(codec, kind, bound):
    """A leaf list's block holds its floats and its doubles, each kind under its own spec (a
    bits:N above 23 keeps floats exact): each leaf is held to its own kind's."""
    from baler_eval.branches import guarantee

    assert guarantee(codec, kind) == bound


LEAF_LIST_TREE = """
import ROOT
ROOT.gInterpreter.Declare("struct LeafList {{ double b; float a; int c; }};")
f = ROOT.TFile("{path}", "RECREATE")
t = ROOT.TTree("t", "")
row = ROOT.LeafList()
t.Branch("ll", ROOT.addressof(row), "b/D:a/F:c/I")
for i in range(2000):
    row.b, row.a, row.c = 1e3 + 0.37 * i, (1.0 + 0.001 * i) * {scale_a}, i
    t.Fill()
t.Write()
f.Close()
"""


def test_each_leaf_of_a_leaf_list_is_compared(baler, tmp_path):
    """A leaf list (`b/D:a/F:c/I`, a "struct" to `baler inspect`) was left out as holding no
    numbers, though `baler compress` codes its floats: a file whose `a` moved by 1% passed (a
    new-user sweep). Each leaf is now a row of its own, held to its kind's bound."""
    original, moved, compressed = tmp_path / "original.root", tmp_path / "moved.root", tmp_path / "bits10.root"
    run_python(LEAF_LIST_TREE.format(path=original, scale_a=1.0))
    run_python(LEAF_LIST_TREE.format(path=moved, scale_a=1.01))
    run_baler(baler, "compress", original, compressed, "--codec", "bits:10")
    within = table(evaluate(baler, original, compressed, tmp_path / "within").stdout, "branch")
    assert {name: row["verdict"] for name, row in within.items() if name.startswith("ll")} == {
        "ll.b": "within bound", "ll.a": "within bound", "ll.c": "exact"}, within
    assert within["ll.a"]["type"] == "Float_t" and within["ll.b"]["type"] == "Double_t"
    proc = evaluate(baler, original, moved, tmp_path / "moved", check=False)
    rows = table(proc.stdout, "branch")
    assert proc.returncode == 1 and rows["ll.a"]["verdict"] == "BOUND BROKEN", proc.stdout
    assert rows["ll.b"]["verdict"] == rows["ll.c"]["verdict"] == "exact", proc.stdout


def test_the_ladder_names_the_shift_that_decides():
    """A rung marked NO showed only the peak's shift (0.08 sigma here), within the limit: the width's
    -0.25 sigma, which decided, was in no column."""
    from baler_eval.budget import Budget, BudgetRow
    from baler_eval.physics_stats import PhysicsComparison, Summary
    from baler_eval.report import BUDGET_COLUMNS, budget_row

    # errors of 1: the differences are the shifts in sigma (mean 0.01, peak 0.08, width -0.25)
    original = Summary(events=100, mean=90.0, mean_error=1.0, width=3.0, width_error=1.0, peak=91.1, peak_error=1.0)
    compressed = Summary(events=100, mean=90.01, mean_error=1.0, width=2.75, width_error=1.0, peak=91.18,
                         peak_error=1.0)
    physics = PhysicsComparison(None, original, compressed, None, None, None, 0.0, 1, 1.0, ks_p=0.99999,
                                smearing_rms=0.0, smearing_max=0.0)
    reference, rung = BudgetRow("lossless", 1000), BudgetRow("abs:1e-1", 500, physics)
    budget = Budget("t", None, original, [reference, rung], reference)
    cells = dict(zip(BUDGET_COLUMNS, budget_row(budget, rung)))
    assert cells["largest shift / sigma"] == "-0.25 (width)" and cells["negligible"] == "NO", cells
    # the budget plot draws it faint and says so in its legend (it was drawn like the settings that pass)
    from baler_eval.plots import _budget_styles, budget_label
    assert budget_label(rung, reference) == "abs:1e-1 (0.50x bytes, NOT negligible)"
    assert budget_label(reference, reference) == "lossless (1.00x bytes)"
    assert _budget_styles(budget)[id(rung)]["alpha"] < 0.5 and "alpha" not in _budget_styles(budget)[id(reference)]


def test_events_that_moved_are_not_negligible_and_events_that_differ_have_no_change():
    """The same distribution, each event moved: the mean and width shifts 0 and KS p 1, and the
    verdict was negligible. Files that selected other events (a different count) have no event's
    change: not negligible either. (The peak's shift is the mean change of the events in its window:
    about 0 where neighbours swap, that of the events in the window where each takes the value
    before it: the window of evenly spread values is their first half, which holds the one that
    takes the last value.)"""
    from baler_eval.analyses import ANALYSES
    from baler_eval.physics_stats import compare

    original = np.linspace(80.0, 100.0, 401)
    neighbours = np.arange(original.size)
    neighbours[:400] ^= 1  # the same values, neighbours swapped: each event moves by 0.05 GeV, about 0.06%
    moved = compare(ANALYSES["hzz4l"], original, original[neighbours])
    assert moved.mean_shift == moved.width_shift == 0 and moved.largest_shift < 0.01 and moved.ks_p == 1
    assert 5e-4 < moved.smearing_rms < 1e-3 and moved.negligible
    # each event takes the value before it, the first the last's: 0.06% for all but one, 25% for that one
    smeared = compare(ANALYSES["hzz4l"], original, np.roll(original, 1))
    assert smeared.mean_shift == smeared.width_shift == 0 and abs(smeared.peak_shift) > SHIFT_LIMIT and smeared.ks_p == 1
    assert smeared.smearing_max > 0.2 and not smeared.negligible
    unpaired = compare(ANALYSES["hzz4l"], original, original, paired=False)
    assert np.isnan(unpaired.smearing_rms) and not unpaired.negligible
    # the bins are the original's: a compressed mass of 0 kept the dimuon axis logarithmic (binned
    # over both samples, it turned linear from 0) and is counted apart
    masses = np.geomspace(0.3, 100.0, 400)
    collapsed = masses.copy()
    collapsed[:3] = 0.0
    zeros = compare(ANALYSES["dimuon"], masses, collapsed)
    assert 0 < zeros.edges[0] < masses[0] and zeros.compressed_outside == 3, (zeros.edges[:2], zeros.compressed_outside)
    # the extreme events, moved by a hair, stay on the axis
    assert compare(ANALYSES["dimuon"], masses, masses * (1 + 1e-4)).compressed_outside == 0
    assert compare(ANALYSES["hzz4l"], original, original * (1 - 1e-4)).compressed_outside == 0


@pytest.mark.parametrize("ladder, message", [
    ("bits:8,bits:6,foo", "setting 'foo': invalid codec spec \"foo\""),
    ("bits:99", "setting 'bits:99': invalid codec spec \"bits:99\": bits 99 out of range"),
    ("ae:bits:99", "setting 'ae:bits:99': invalid codec spec \"bits:99\""),
    ("ae:foo", "ladder setting 'ae:foo': an ae rung is ae:BOUND or ae:BOUND:MODEL"),
    ("bits:8,,rel:1e-3", "'bits:8,,rel:1e-3' has an empty setting"),
    ("bits:8,bits:8", "'bits:8,bits:8' names bits:8 twice"),
    # found when ROOT wrote the rung, exit 1, naming a temporary file and a C++ exception
    ("bits:8,ae:bits:10:nowhere.balm",
     "setting 'ae:bits:10:nowhere.balm': cannot read the model file 'nowhere.balm': no such file or directory"),
    ("ae:bits:10:/dev/null", "setting 'ae:bits:10:/dev/null': '/dev/null' is not a model: "),
])
def test_a_bad_ladder_is_a_usage_error_before_any_work(baler, hzz_eval, shared_data, tmp_path, ladder, message):
    """A bad setting was found by `baler compress` once the settings before it had been written and
    evaluated, exit 1, as a bad --codec; empty and repeated settings passed."""
    out = tmp_path / "report"
    proc = evaluate(baler, shared_data / "uproot-HZZ.root", hzz_eval[2], out, "--ladder", ladder, check=False)
    errors = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 2 and len(errors) == 1 and errors[0].startswith("baler: error: argument --ladder: ") \
        and message in errors[0], proc.stderr
    assert proc.stdout == "" and not out.exists()


@pytest.mark.parametrize("model_id", ["0123456789abcdef0123456789abcdef", "0123456789ABCDEF0123456789ABCDEF"])
def test_a_ladder_model_id_in_either_case_is_an_id(model_id):
    """An id is looked up where the plugin looks (which takes either case), not read as a file:
    in upper case it was "cannot read the model file"."""
    from baler_eval.cli import _check_model_file

    assert _check_model_file(model_id) is None


def test_a_ladder_without_an_analysis_says_so_and_writes_no_rung(baler, tmp_path):
    """Detector rows feed neither hzz4l nor dimuon: the ladder's settings were written and evaluated,
    then left out of the report without a word."""
    sample, compressed = tmp_path / "det.root", tmp_path / "det_b10.root"
    run_baler(baler, "generate", sample, "--sample", "detector", "--events", 200)
    run_baler(baler, "compress", sample, compressed)
    proc = evaluate(baler, sample, compressed, tmp_path / "report", "--ladder", "bits:8,foo:1", check=False)
    assert proc.returncode == 2, proc.stderr  # checked before the work, whatever the trees
    proc = evaluate(baler, sample, compressed, tmp_path / "report", "--ladder", "bits:8,bits:6", "--max-plots", 0)
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("baler: ")]
    assert warnings == ["baler: warning: --ladder: no analysis (hzz4l, dimuon) applies to the evaluated trees, so "
                        "no setting of the ladder was written"], proc.stderr
    assert "what a bound buys" not in proc.stdout


def test_an_integer_branch_that_differs_shows_its_errors():
    """An integer branch of other events said VALUES DIFFER beside error columns of zeros."""
    import numpy as np
    from baler_eval.branches import BranchComparison
    from baler_eval.rootio import BranchInfo

    info = BranchInfo("t", "nJet", "Int_t", 4, 1, 1, "zstd 5")
    comparison = BranchComparison("t", info, info)
    comparison.add((np.array([2, 0, 5, 3]), np.ones(4, int)), (np.array([2, 4, 5, 1]), np.ones(4, int)))
    assert comparison.verdict == "VALUES DIFFER" and comparison.changed == 2
    assert comparison.max_abs == 4 and comparison.max_rel == np.inf and comparison.residual_mean == 0.5


@pytest.mark.parametrize("values, log", [
    (np.geomspace(1e-8, 1e-1, 5000), True),     # a covariance's diagonal: decades of positive values
    (np.linspace(-1e-1, 1e-1, 5000), False),    # off-diagonal: both signs
    (np.linspace(20.0, 200.0, 5000), False),    # a momentum: one decade
])
def test_values_over_decades_are_binned_logarithmically(values, log):
    """On linear bins the ATLAS covariances' diagonals fell in the first bin but for their largest
    values (sweep of the ae: path): positive values over more than three decades get log bins,
    and the plots a log axis."""
    from baler_eval.branches import BranchComparison
    from baler_eval.rootio import BranchInfo

    info = BranchInfo("t", "cov", "vector<float>", values.size, 1, 1, "baler bits:10")
    comparison = BranchComparison("t", info, info)
    comparison.add((values, np.ones(values.size, int)), (values * (1 + 2.0 ** -12), np.ones(values.size, int)))
    hist = comparison.hist_original
    assert hist.log == log
    steps = np.diff(np.log(hist.edges)) if log else np.diff(hist.edges)
    assert np.allclose(steps, steps[0])
    # no bin holds more than a few times its share (on linear bins the first held all but the last decades)
    assert hist.counts.max() < 4 * values.size / hist.counts.size, hist.counts


def test_an_ae_branch_is_held_to_its_bound(baler, shared_data, tmp_path):
    """An object model codes Muon_E from the muons' momenta; `baler inspect` names it `ae:bits:10:ID`,
    and the table checks it against bits:10 like every other lossy branch (it said `changed`). The
    file's model key is counted in the tree's bytes, as for a ladder's model rung (it was left out)."""
    original, compressed, model = shared_data / "uproot-HZZ.root", tmp_path / "ae.root", tmp_path / "muons.balm"
    run_baler(baler, "train", original, "--tree", "events", "--branches", "Muon_*", "--bound", "bits:10", "--out", model)
    run_baler(baler, "compress", original, compressed, "--codec", f"ae:bits:10:{model}")
    proc = evaluate(baler, original, compressed, tmp_path / "report", "--branches", "Muon_*")
    rows = table(proc.stdout, "branch")
    assert rows["Muon_E"]["codec"].startswith("baler ae:bits:10:"), rows["Muon_E"]
    assert rows["Muon_E"]["verdict"] == "within bound", rows["Muon_E"]
    inspected = json.loads(run_baler(baler, "inspect", compressed, "--json").stdout)["branches"]
    model_key = int(macro_value(run_python(f"""
import ROOT
stored = ROOT.TFile.Open("{compressed}")
print("model keys:", sum(key.GetNbytes() for key in stored.GetListOfKeys() if key.GetName().startswith("baler_model_")))
"""), "model keys")[0])
    assert model_key > 100
    tree_bytes = sum(row["compressed"] for row in inspected if row["tree"] == "events")
    assert re.search(rf"^tree events: 2421 entries, \d+ -> {tree_bytes + model_key} bytes on disk \(ratio [\d.]+x\), "
                     rf"with the models' keys \(0 -> {model_key} bytes", proc.stdout, re.M), (tree_bytes, model_key,
                                                                                        proc.stdout)


def test_ladder_ae_rung_codes_collections_with_object_models(baler, shared_data, hzz_bits10, tmp_path):
    """`--ladder ae:bits:10` trains an object model for the muons (the only collection --branches
    selects) and has ROOT write the tree through the plugin, so Muon_E is coded with the muons'
    momenta; `ae:bits:10:MODEL` takes a model trained beforehand. The values are the per-value
    codec's at bits:10, so the physics is the bits:10 rung's to the last digit, in fewer bytes with
    the model's key counted."""
    original = shared_data / "uproot-HZZ.root"
    model = tmp_path / "muons.balm"
    run_baler(baler, "train", original, "--tree", "events", "--branches", "Muon_*", "--bound", "bits:10", "--out", model)
    proc = evaluate(baler, original, hzz_bits10[0], tmp_path / "report", "--branches", "Muon_*",
                    "--ladder", f"bits:10,ae:bits:10,ae:bits:10:{model}")
    rows = table(proc.stdout, "setting")
    bits10, trained, given = rows["bits:10"], rows["ae:bits:10"], rows["ae:bits:10:muons.balm"]
    for column in ("peak bias", "largest shift / sigma", "KS p", "negligible"):
        assert trained[column] == given[column] == bits10[column], (trained, given, bits10)
    assert int(trained["tree bytes"]) == int(given["tree bytes"])  # the same fit, stored in the file
    # measured: 154793 -> 149839 bytes (Muon_E 1.58 -> 0.25 B/value), the 264-byte model key included
    assert int(trained["tree bytes"]) < int(bits10["tree bytes"]) - 2000, (trained, bits10)
    assert re.search(r"ae:bits:10, tree events: Muon \(Muon_Px, Muon_Py, Muon_Pz, Muon_E, Muon_Iso\): object model, "
                     r"[\d.]+% smaller with its bytes counted \(Muon_E norm of Muon_Px, Muon_Py, Muon_Pz\)",
                     proc.stdout), proc.stdout
    assert "ae:bits:10:muons.balm, tree events: the selected float branches with ae:bits:10:" in proc.stdout
    report = (tmp_path / "report" / "report.html").read_text()
    assert "ae:bits:10:muons.balm" in report and "how the ladder's model rungs were made" in report


def test_ladder_collections_are_nanoaod_prefixes_and_xaod_containers():
    """The ae:BOUND rung trains one object model per collection: `Jet_*`, and for ATLAS's xAOD
    `AnalysisJetsAuxDyn.*` (split at its first '_', JetConstitScaleMomentum_pt made a collection of
    its own, and the jets' pt, eta, ... none)."""
    from baler_eval.model_rung import collections

    branches = ["Jet_pt", "Jet_eta", "MET_pt", "AnalysisJetsAuxDyn.pt", "AnalysisJetsAuxDyn.eta",
                "AnalysisJetsAuxDyn.JetConstitScaleMomentum_pt", "genWeight"]
    assert collections(branches) == {
        "Jet_*": ["Jet_pt", "Jet_eta"],
        "AnalysisJetsAuxDyn.*": ["AnalysisJetsAuxDyn.pt", "AnalysisJetsAuxDyn.eta",
                                 "AnalysisJetsAuxDyn.JetConstitScaleMomentum_pt"]}


def test_ladder_leaves_out_a_model_the_trainer_finds_larger(monkeypatch, tmp_path):
    """`baler train` says "N% larger" for a model that does not pay (PHYSLITE's constituent-scale
    jet momenta: 3.6%); the rung stopped the run with "printed no gain line"."""
    from baler_eval import model_rung

    printed = ("validation at bits:10: per-value codec 1.8469 B/value, object model 1.8469 B/value: 0.0% smaller\n"
               "all rows, model included: 3.6% larger than the per-value codec (5911 + 212 bytes against 5911)\n")
    monkeypatch.setattr(model_rung, "run_baler", lambda *args: printed)
    used, note = model_rung.train_collection("in.root", "t", "Jet_*", ["Jet_pt", "Jet_eta"], "bits:10",
                                             tmp_path / "m.balm")
    assert not used
    assert note == ("Jet (Jet_pt, Jet_eta): the object model would be 3.6% larger than bits:10 alone with its bytes "
                    "counted (it predicts no member): not used"), note


def test_ladder_rejects_an_ae_rung_without_a_bound(baler, shared_data, hzz_bits10, tmp_path):
    proc = evaluate(baler, shared_data / "uproot-HZZ.root", hzz_bits10[0], tmp_path / "report",
                    "--ladder", "ae:10", check=False)
    errors = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode != 0 and len(errors) == 1, proc.stderr
    assert "ladder setting 'ae:10': an ae rung is ae:BOUND or ae:BOUND:MODEL" in errors[0], proc.stderr


def test_doubles_up_to_the_largest_double_are_evaluated_without_overflow(baler, tmp_path):
    """A Double_t branch of magnitudes from 1e-200 to DBL_MAX (sweep of the eval route): the residual
    RMS squared residuals near 1e200 into inf (RuntimeWarnings on stderr, `inf` in the table), and the
    plots' bin edges near DBL_MAX overflowed in matplotlib's tick locator, an 85-line traceback and
    no report. Now: one report, finite moments, nothing on stderr."""
    original, compressed = tmp_path / "wide.root", tmp_path / "bits10.root"
    run_python("import ROOT, array, sys\n"
               f"f = ROOT.TFile({str(original)!r}, 'RECREATE')\n"
               "t = ROOT.TTree('T', ''); x = array.array('d', [0.0]); t.Branch('x', x, 'x/D')\n"
               "r = ROOT.TRandom3(7)\n"
               "for i in range(4000):\n"
               "    x[0] = sys.float_info.max if i % 50 == 0 else (r.Rndm() - 0.5) * 10.0 ** r.Uniform(-200, 300)\n"
               "    t.Fill()\n"
               "t.Write(); f.Close()\n")
    run_baler(baler, "compress", original, compressed, "--codec", "bits:10")
    proc = evaluate(baler, original, compressed, tmp_path / "report")
    assert proc.stderr == "", proc.stderr
    row = table(proc.stdout, "branch")["x"]
    assert row["verdict"] == "within bound", row
    assert np.isfinite(float(row["resid. RMS"])) and float(row["resid. RMS"]) > 0, row
    assert (tmp_path / "report" / "report.html").is_file()


def test_branches_whose_baskets_are_in_the_tree_key_send_the_reader_to_the_file_sizes(baler, shared_data, tmp_path):
    """The NanoAOD file keeps all but one branch's baskets inside the tree's key, where no branch
    has bytes of its own: the header said `36169 -> 8096 bytes on disk (ratio 4.47x)` for a file
    that went from 377623 to about 306000 bytes (sweep of the eval route). It now says how many
    branches are not counted, and gives the files' sizes."""
    original, compressed = shared_data / "nanoAOD_2015_CMS_Open_Data_ttbar.root", tmp_path / "bits6.root"
    run_baler(baler, "compress", original, compressed, "--codec", "bits:6")
    proc = evaluate(baler, original, compressed, tmp_path / "report", "--branches", "LHEPdfWeight",
                    "--branches", "Jet_eta")
    header = next(line for line in proc.stdout.splitlines() if line.startswith("tree Events:"))
    # a branch in the key says so in the table, as in `baler compress` and `baler inspect` (it read 0 and 0)
    jet_eta = table(proc.stdout, "branch")["Jet_eta"]
    assert jet_eta["bytes before"] == jet_eta["bytes after"] == "in tree key", jet_eta
    assert table(proc.stdout, "branch")["LHEPdfWeight"]["bytes before"].isdigit()
    sizes = f"the files are {original.stat().st_size} -> {compressed.stat().st_size} bytes"
    assert "946 branches keep their baskets inside the tree's key" in header and sizes in header, header
    assert sizes.replace("->", "&rarr;") in (tmp_path / "report" / "report.html").read_text()


def test_a_zero_or_a_nan_that_changed_its_bits_breaks_the_bound():
    """-0.0 read back as 0.0, and a NaN as a NaN of another payload, were `exact` (compared with ==),
    where every spec stores both exactly: they are changed values out of the bound now, and the
    table counts them (its error columns have nothing to show for them)."""
    from baler_eval.branches import BranchComparison
    from baler_eval.report import BRANCH_COLUMNS, branch_row
    from baler_eval.rootio import BranchInfo

    nan = lambda payload: np.array([0x7FF8000000000000 | payload], dtype=np.uint64).view(np.float64)[0]  # noqa: E731
    before, after = BranchInfo("t", "x", "Float_t", 4, 1, 1, "zstd 5"), BranchInfo("t", "x", "Float_t", 4, 1, 1, "baler bits:10")
    comparison = BranchComparison("t", before, after)
    original = np.array([-0.0, nan(0x1234), 1.0, 0.0])
    compressed = np.array([0.0, nan(0x5678), 1.0 + 2.0 ** -12, 0.0])
    comparison.add((original, np.ones(4, int)), (compressed, np.ones(4, int)))
    assert (comparison.changed, comparison.bound_violations, comparison.verdict) == (3, 2, "BOUND BROKEN")
    row = dict(zip(BRANCH_COLUMNS, branch_row(comparison)))
    assert (row["changed"], row["out of bound"]) == ("3", "2"), row


def test_model_keys_are_counted_once_in_the_tree_coded_with_them():
    """A file of two trees, one coded through a model: the model's bytes were added to both."""
    from baler_eval.evaluate import TreeResult, _count_models
    from baler_eval.rootio import BranchInfo

    def rows(codec):
        return {("events", "x"): BranchInfo("events", "x", "Float_t", 1, 1, 1, codec),
                ("other", "x"): BranchInfo("other", "x", "Float_t", 1, 1, 1, "baler bits:10")}
    results = [TreeResult("events", 1, 1000, 500), TreeResult("other", 1, 1000, 600)]
    _count_models(results, {}, rows("zstd 5"), {"ab12": 264, "cd34": 10}, rows("baler ae:bits:10:ab12"))
    assert [(r.bytes_compressed, r.models_compressed) for r in results] == [(774, 274), (600, 0)]


def test_the_peak_shift_of_paired_events_is_their_mean_change_in_the_window():
    """Values rounded to a grid cross the peak window's hard edges one way: the window's mean over the
    compressed values moved by several sigma on 10^6 values whose each change is at most 1/32,
    and the verdict flipped with the sample's size. Paired, the shift is the events' own mean change."""
    from baler_eval.analyses import ANALYSES
    from baler_eval.physics_stats import compare, peak_window, summarize

    original = np.random.default_rng(5).normal(100.0, 10.0, 1_000_000)
    compressed = np.round(original * 16.0) / 16.0
    window = peak_window(original)
    reference = summarize(original, window)
    windowed = (summarize(compressed, window).peak - reference.peak) / reference.peak_error
    assert abs(windowed) > SHIFT_LIMIT  # what the verdict used to see
    comparison = compare(ANALYSES["dimuon"], original, compressed, paired=True)
    assert abs(comparison.peak_shift) < 0.02, comparison.peak_shift
    unpaired = compare(ANALYSES["dimuon"], original, compressed, paired=False)
    assert unpaired.peak_shift == pytest.approx(windowed)


def write_lepton_tree(path, events):
    """A tree of HZZ's lepton branches (vectors of Px, Py, Pz, E and charges) from
    [[(flavour "Muon"/"Electron", px, charge), ...] per event]: pT = px."""
    run_python(f"""
import ROOT
f = ROOT.TFile("{path}", "RECREATE")
t = ROOT.TTree("events", "")
columns = {{}}
for prefix in ("Muon", "Electron"):
    for c in ("Px", "Py", "Pz", "E"):
        columns[prefix + "_" + c] = ROOT.std.vector("float")()
    columns[prefix + "_Charge"] = ROOT.std.vector("int")()
for name, column in columns.items():
    t.Branch(name, column)
for leptons in {events!r}:
    for column in columns.values():
        column.clear()
    for flavour, px, charge in leptons:
        for c, v in (("Px", px), ("Py", 0.0), ("Pz", 10.0), ("E", (px * px + 100.0) ** 0.5)):
            columns[flavour + "_" + c].push_back(v)
        columns[flavour + "_Charge"].push_back(charge)
    t.Fill()
t.Write()
f.Close()
""")


def test_events_selected_in_one_file_only_are_not_paired(baler, tmp_path):
    """hzz4l takes the four leptons of highest pT: rounding to bits:4 ties 40.3 (or 40.6) and 40.0,
    and the stable order then swaps the fourth lepton. Event 0 is selected only in the original, event 1 only
    in the compressed file; eval checked that each file selected as many events, paired event 0's mass
    with event 1's, and reported their difference as each event's change. Now: not the same events.
    And one selected event (no peak to have an error) crashed the storage-budget plot."""
    original, compressed = tmp_path / "leptons.root", tmp_path / "leptons_bits4.root"
    write_lepton_tree(original, [
        [("Muon", 100.0, 1), ("Muon", 90.0, -1), ("Muon", 40.0, 1), ("Electron", 80.0, 1), ("Electron", 40.3, -1)],
        [("Muon", 100.0, 1), ("Muon", 40.0, -1), ("Electron", 90.0, 1), ("Electron", 80.0, -1), ("Electron", 40.6, 1)],
    ])
    run_baler(baler, "compress", original, compressed, "--codec", "bits:4")
    proc = evaluate(baler, original, compressed, tmp_path / "report", "--analysis", "hzz4l", check=False)
    row = table(proc.stdout, "analysis")["hzz4l"]
    assert row["events"] == "1 / 1" and row["event change RMS / max"] == "not the same events", proc.stdout
    assert "Traceback" not in proc.stderr and (tmp_path / "report" / "report.html").exists(), proc.stderr


def write_tree_t(path, body):
    """Writes the tree "t" into a new file at `path` with PyROOT; `body` makes its branches and fills
    it (with `array`, `ROOT` and the tree `t` at hand)."""
    run_python(f'import array, ROOT\nf = ROOT.TFile("{path}", "RECREATE")\nt = ROOT.TTree("t", "")\n{body}\n'
               "t.Write()\nf.Close()\n")


def test_64_bit_integers_that_differ_beyond_a_doubles_precision_differ(baler, tmp_path):
    """2^60 against 2^60 + 1 compared through doubles: `exact`, for uint64 event ids and ATLAS's
    pileUpMixtureID, whose every value is above 2^53. 64-bit integers are read as their bits now."""
    files = {}
    for name, low_bit in (("a.root", 0), ("b.root", 1)):
        files[name] = tmp_path / name
        write_tree_t(files[name], f"""
u, s = array.array("Q", [0]), array.array("q", [0])
t.Branch("id", u, "id/l")
t.Branch("signed_id", s, "signed_id/L")
for i in range(10):
    u[0] = 2 ** 63 + 2 ** 60 + (i == 3) * {low_bit}
    s[0] = -(2 ** 60) - (i == 5) * {low_bit}
    t.Fill()
""")
    proc = evaluate(baler, files["a.root"], files["b.root"], tmp_path / "report", check=False)
    rows = table(proc.stdout, "branch")
    assert (rows["id"]["verdict"], rows["id"]["changed"]) == ("VALUES DIFFER", "1"), proc.stdout
    assert (rows["signed_id"]["verdict"], rows["signed_id"]["changed"]) == ("VALUES DIFFER", "1"), proc.stdout
    shutil.copy(files["a.root"], tmp_path / "copy.root")
    same = evaluate(baler, files["a.root"], tmp_path / "copy.root", tmp_path / "same")
    assert table(same.stdout, "branch")["id"]["verdict"] == "exact", same.stdout


def test_eval_opens_a_colon_name_as_the_local_file_and_a_url_as_given():
    """`file:e.root` is opened as ./file:e.root (ROOT read it as e.root); a URL must stay a URL, as the
    command's own reader keeps it (the first version prefixed `root://...` with ./ too)."""
    from baler_eval.rootio import root_path

    assert root_path("file:e.root") == "./file:e.root" and root_path("/data/file:e.root") == "/data/file:e.root"
    assert root_path("root://eos.cern.ch//x.root") == "root://eos.cern.ch//x.root"
    assert root_path("https://host/x.root") == "https://host/x.root"


def test_a_64_bit_integer_that_differs_by_one_shows_an_error_of_one():
    """Near 2^62 doubles are 1024 apart: the error columns of a Long64_t that changed by 1 said 0
    beside VALUES DIFFER (an eval sweep). The difference is taken in integers first."""
    from baler_eval.branches import BranchComparison
    from baler_eval.rootio import BranchInfo

    info = BranchInfo("t", "l", "Long64_t", 8, 1, 1, "zstd 5")
    comparison = BranchComparison("t", info, info)
    original = np.array([2 ** 62, -(2 ** 62), 7], dtype=np.int64)
    compressed = np.array([2 ** 62 + 1, -(2 ** 62) - 2, 7], dtype=np.int64)
    comparison.add((original, np.ones(3, int)), (compressed, np.ones(3, int)))
    assert comparison.verdict == "VALUES DIFFER" and comparison.changed == 2
    assert comparison.max_abs == 2 and comparison.residual_mean == -1 / 3


@pytest.mark.parametrize("type_name, subnormal", [("Float_t", 2e-42), ("Double_t", 1e-310)])
def test_a_subnormal_that_changed_breaks_the_bound(type_name, subnormal):
    """Subnormals are stored exactly under every spec (INTERFACE.md); eval held them only to the
    spec's bound, and a float 2e-42 read back as 3e-42 under abs:0.1 was `within bound` (an eval
    sweep). A float's subnormals are normal doubles: the branch's own type decides."""
    from baler_eval.branches import BranchComparison
    from baler_eval.rootio import BranchInfo

    before = BranchInfo("t", "x", type_name, 4, 1, 1, "zstd 5")
    after = BranchInfo("t", "x", type_name, 4, 1, 1, "baler abs:0.1")
    comparison = BranchComparison("t", before, after)
    comparison.add((np.array([subnormal, 1.0, 0.5]), np.ones(3, int)),
                   (np.array([subnormal * 1.5, 1.05, 0.5]), np.ones(3, int)))
    assert (comparison.changed, comparison.bound_violations, comparison.verdict) == (2, 1, "BOUND BROKEN")


def test_a_long_branch_name_makes_a_plot_file_name_a_file_system_takes():
    """A branch named by 260 characters (ROOT takes it) made its PNG's name too long, and the whole
    report failed (an eval sweep); long names are cut, a hash keeping them apart."""
    from baler_eval.plots import file_name

    first, second = file_name("branch_t_" + "L" * 260), file_name("branch_t_" + "L" * 259 + "M")
    assert len(first.encode()) < 200 and first.endswith(".png") and first != second
    assert file_name("branch_events_Muon_Px") == "branch_events_Muon_Px.png"


def test_a_branch_whose_name_is_an_expression_to_root_is_compared(baler, tmp_path):
    """TTreeFormula parses a name as an expression: `x-y` was a subtraction, and eval skipped the
    branch as one ROOT cannot evaluate, exit 0, with its values doubled (the fixture specs.root's
    `f_rel1e-3` was never compared either: a damaged-input sweep); beside branches x and y, it
    judged x minus y instead (a review). Such a branch is read by its leaf."""
    files = {}
    for name, scale in (("a.root", 1.0), ("b.root", 2.0)):
        files[name] = tmp_path / name
        write_tree_t(files[name], f"""
x, n, v = array.array("f", [0]), array.array("i", [0]), array.array("f", [0] * 4)
a, b = array.array("f", [0]), array.array("f", [0])
t.Branch("x", a, "x/F")
t.Branch("y", b, "y/F")
t.Branch("x-y", x, "x-y/F")
t.Branch("n", n, "n/I")
t.Branch("v-w", v, "v-w[n]/F")
for i in range(100):
    x[0] = (1.5 + i) / 3 * {scale}
    a[0], b[0] = i, 2 * i
    n[0] = i % 4
    for j in range(n[0]):
        v[j] = i / 7 + j
    t.Fill()
""")
    proc = evaluate(baler, files["a.root"], files["b.root"], tmp_path / "moved", check=False)
    rows = table(proc.stdout, "branch")
    assert proc.returncode == 1 and rows["x-y"]["verdict"] == "BOUND BROKEN", proc.stdout
    assert rows["v-w"]["verdict"] == "exact" and "not compared" not in proc.stdout, proc.stdout
    compressed = tmp_path / "bits10.root"
    run_baler(baler, "compress", files["a.root"], compressed, "--codec", "bits:10")
    within = table(evaluate(baler, files["a.root"], compressed, tmp_path / "within").stdout, "branch")
    assert within["x-y"]["verdict"] == within["v-w"]["verdict"] == "within bound", within
    assert within["v-w"]["values"] == str(sum(i % 4 for i in range(100))), within


def test_a_nested_vector_whose_values_were_split_otherwise_differs(baler, tmp_path):
    """`[[1, 2], [3]]` read back as `[[1], [2, 3]]`: TTreeFormula flattens both to 1 2 3, and eval
    said `exact`, exit 0 (an eval sweep). A covariance row re-split is corrupt data: each entry's
    inner sizes are compared now."""
    files = {}
    for name, split in (("a.root", 2), ("b.root", 1)):
        files[name] = tmp_path / name
        write_tree_t(files[name], f"""
vv = ROOT.std.vector(ROOT.std.vector("float"))()
t.Branch("vv", vv)
for i in range(300):
    vv.clear()
    row = [i / 7 + j for j in range(3)]
    cut = {split} if i == 50 else 2
    for part in (row[:cut], row[cut:]):
        inner = ROOT.std.vector("float")()
        for value in part:
            inner.push_back(value)
        vv.push_back(inner)
    t.Fill()
""")
    proc = evaluate(baler, files["a.root"], files["b.root"], tmp_path / "split", check=False)
    rows = table(proc.stdout, "branch")
    assert proc.returncode == 1 and rows["vv"]["verdict"] == "ENTRIES DIFFER", proc.stdout
    compressed = tmp_path / "bits10.root"
    run_baler(baler, "compress", files["a.root"], compressed, "--codec", "bits:10")
    within = table(evaluate(baler, files["a.root"], compressed, tmp_path / "within").stdout, "branch")
    assert within["vv"]["verdict"] == "within bound" and within["vv"]["values"] == "900", within


def test_a_compressed_file_whose_model_only_the_original_holds_is_an_error(baler, tmp_path):
    """A copy of a Baler file without its model key (a CloneTree made without the plugin, a key
    deleted) was `exact` against the file it came from: the model came from that file, open in the
    same process, while nothing could read the copy on its own (a damaged-input sweep)."""
    source, copy = REPO / "tests" / "fixtures" / "v1" / "specs.root", tmp_path / "without_model.root"
    shutil.copyfile(source, copy)
    run_python(f"""
import ROOT
f = ROOT.TFile.Open("{copy}", "UPDATE")
for name in [key.GetName() for key in f.GetListOfKeys() if key.GetName().startswith("baler_model_")]:
    f.Delete(name + ";*")
f.Close()
""")
    env = {key: value for key, value in os.environ.items() if key != "BALER_MODEL_PATH"}
    proc = run_baler(baler, "eval", source, copy, "--out", tmp_path / "report", check=False, env=env)
    assert proc.returncode == 1 and not (tmp_path / "report").exists(), proc.stdout + proc.stderr
    assert re.fullmatch(rf"baler: error: {copy}: model [0-9a-f]{{32}} is neither in the file nor in BALER_MODEL_PATH "
                        r"\(unset\): the baskets of t/cov coded with it cannot be read: the file cannot be read on its "
                        r"own \(put the model in BALER_MODEL_PATH, or compress the original again\)",
                        proc.stderr.strip()), proc.stderr
