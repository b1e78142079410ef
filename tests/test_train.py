"""`baler train` (rust/baler-train, run by the CLI from beside itself): trains on ROOT branches read
with uproot and on Baler .npz files, writes a .balm the codec parses, reports bytes against the
per-value codec, and refuses bad input with one line, writing nothing."""
import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import uproot

import baler_root  # noqa: F401 (teaches uproot to read Baler blocks)
from bounds import Spec, within_spec
from conftest import baler, run_baler, run_command, shared_data  # noqa: F401 (fixtures)

COV = "InDetTrackParticlesAuxDyn.definingParametersCovMatrix"


def validation_gain(stdout, bound):
    """The validation line's gain for `bound`: N for "N% smaller", -N for "N% larger"."""
    match = re.search(rf"validation at {re.escape(bound)}: .*: ([\d.]+)% (smaller|larger)", stdout)
    assert match, stdout
    return float(match.group(1)) * (1 if match.group(2) == "smaller" else -1)


def written_model(stdout, path):
    """The id printed for the model written to `path`, after checking the file is a .balm of that size."""
    match = re.search(r"model ([0-9a-f]{32}) \((\d+) bytes(?:, weights of [\d, ]+ bits)?\) written to (.*)", stdout)
    assert match and match.group(3) == str(path), stdout
    data = path.read_bytes()
    assert data[:4] in (b"BALM", b"BALO") and len(data) == int(match.group(2))  # an autoencoder, an object model
    return match.group(1)


@pytest.mark.parametrize("words", [["train", "--help"], ["help", "train"]])
def test_help(baler, words):
    """(Here, not with the other commands' in test_cli.py: `make sanitize` runs that file without baler-train.)
    `baler help train` is the trainer's page too, not the one-line pass-through clap knows."""
    proc = run_baler(baler, *words)
    assert "Usage: baler train " in proc.stdout and "--branches" in proc.stdout  # not its binary's name


def test_atlas_covariances_shrink_through_the_trained_model(baler, shared_data, tmp_path):
    out = tmp_path / "cov.balm"
    proc = run_baler(baler, "train", shared_data / "atlas" / "uproot-issue-123b.root", "--branches", COV,
                     "--bound", "bits:7", "--validation", "0.5", "--out", out)
    assert "502 vectors of 15 float32 values" in proc.stdout
    written_model(proc.stdout, out)
    # measured 20.7% (docs/benchmarks.md); an untrained or broken model leaves the codec on its
    # per-value fallback (0%)
    assert validation_gain(proc.stdout, "bits:7") > 5, proc.stdout


def test_an_xaod_container_glob_trains_an_object_model_of_its_per_object_floats(baler, shared_data, tmp_path):
    """`--branches 'AnalysisJetsAuxDyn.*'` also matches the jets' energies per calorimeter sampling
    (a vector per jet) and their integers: those are left out, with a note, instead of stopping
    the training ("mix numbers per entry and per object, or hold nested vectors")."""
    out = tmp_path / "jets.balm"
    proc = run_baler(baler, "train", shared_data / "atlas" / "PHYSLITE_example.root", "--branches",
                     "AnalysisJetsAuxDyn.*", "--bound", "bits:10", "--out", out)
    assert "leaving out branches that do not hold one number per object: AnalysisJetsAuxDyn.EnergyPerSampling" \
        in proc.stderr, proc.stderr
    assert "objects: 881, of 21 members each" in proc.stdout, proc.stdout
    # measured: the constituent-scale eta and phi predicted from the jet's own, 6.3% smaller in all
    assert re.search(r"^  AnalysisJetsAuxDyn.JetConstitScaleMomentum_phi +linear in AnalysisJetsAuxDyn.phi$",
                     proc.stdout, re.M), proc.stdout
    # the tables' second column lines up, past the longest member name (it did not)
    for column in (r"carries|linear in|norm of", r"\d+ values: per-value"):
        starts = {m.start(1) - m.start() for m in re.finditer(rf"^  AnalysisJetsAuxDyn\.\S+ +({column})", proc.stdout, re.M)}
        assert len(starts) == 1, (column, starts)
    written_model(proc.stdout, out)


def test_members_of_a_split_object_train_a_model_that_codes_them_and_reads_back(baler, shared_data, tmp_path):
    """The members of a split vector<struct> (an xAOD container's `METAssoc_AnalysisMETAux.`) are
    sub-branches. The model named them by uproot's path (`METAssoc_AnalysisMETAux./...jettrkpx`),
    so no writer found a member in it and every basket was coded per value; and uproot looked a
    member's context up among the tree's own branches only, so it could not read what ROOT read
    (a Python-readers sweep, with a split vector<P4>). The model names them as ROOT does now."""
    physlite, model = shared_data / "atlas" / "PHYSLITE_example.root", tmp_path / "met.balm"
    members = "METAssoc_AnalysisMETAux.jettrk*"
    proc = run_baler(baler, "train", physlite, "--branches", members, "--epochs", "5", "--out", model)
    assert re.search(r"^  METAssoc_AnalysisMETAux\.jettrke +norm of METAssoc_AnalysisMETAux\.jettrkpx,", proc.stdout,
                     re.M), proc.stdout
    model_id = written_model(proc.stdout, model)
    coded, exported = tmp_path / "met.root", tmp_path / "exported.root"
    run_baler(baler, "compress", physlite, coded, "--branches", members, "--codec", f"ae:bits:10:{model}")
    codecs = {r["branch"]: r["codec"] for r in json.loads(run_baler(baler, "inspect", coded, "--json").stdout)["branches"]}
    assert codecs["METAssoc_AnalysisMETAux.jettrke"] == f"baler ae:bits:10:{model_id}", codecs
    run_baler(baler, "export", coded, exported)  # the values ROOT decodes, in a standard file
    name = "METAssoc_AnalysisMETAux.jettrke"
    by_root = uproot.open(exported)["CollectionTree"][name].array(library="np")
    by_uproot = uproot.open(coded)["CollectionTree"][name].array(library="np")
    assert len(by_root) == 100 and all(np.array_equal(a, b) for a, b in zip(by_root, by_uproot))


def test_a_collection_whose_members_baskets_hold_other_entries_is_named(baler, shared_data, tmp_path):
    """A Double_t member fills its baskets twice as fast as its Float_t neighbours: the trainer
    promised about 20% and baler compress coded no basket through the model, which codes a member
    only where its baskets and its context's hold the same entries (a training sweep). The
    trainer now says so; HZZ's muons, whose baskets line up, train without the note."""
    path = tmp_path / "mixed.root"
    run_command([sys.executable, "-c", f"""
import numpy as np, ROOT
rng = np.random.default_rng(7)
f = ROOT.TFile("{path}", "RECREATE")
t = ROOT.TTree("Events", "")
n = np.zeros(1, np.int32); px, py = np.zeros(8, np.float32), np.zeros(8, np.float32); pz = np.zeros(8, np.float64)
t.Branch("nObj", n, "nObj/I")
t.Branch("Obj_px", px, "Obj_px[nObj]/F"); t.Branch("Obj_py", py, "Obj_py[nObj]/F"); t.Branch("Obj_pz", pz, "Obj_pz[nObj]/D")
for _ in range(4000):
    n[0] = rng.integers(0, 6)
    px[:], py[:] = rng.normal(size=8) * 20, rng.normal(size=8) * 20
    pz[:] = px * 1.5 + rng.normal(size=8)
    t.Fill()
t.Write()
f.Close()
"""])
    note = "hold other entries than those of"
    proc = run_baler(baler, "train", path, "--branches", "Obj_*", "--bound", "bits:10", "--out", tmp_path / "m.balm")
    assert f"the baskets of 'Obj_pz' {note} 'Obj_px'" in proc.stderr, proc.stderr
    proc = run_baler(baler, "train", shared_data / "uproot-HZZ.root", "--branches", "Muon_P[xyz]", "--bound", "bits:10",
                     "--out", tmp_path / "muons.balm")
    assert note not in proc.stderr, proc.stderr


def test_a_collection_of_one_entry_says_it_has_no_validation_values(baler, shared_data, tmp_path):
    """One entry goes to training whole: the validation line gave "15.0000 B/value (0 values)", a
    size measured on nothing, and a per-member table of zero counts (a training sweep)."""
    path = tmp_path / "one.root"
    run_command(["root.exe", "-l", "-b", "-q", "-e",
                 f'TFile in("{shared_data / "uproot-HZZ.root"}"); auto t = (TTree*)in.Get("events"); '
                 f'TFile out("{path}", "RECREATE"); t->CopyTree("", "", 1)->Write(); out.Close();', "-e", "0"])
    proc = run_baler(baler, "train", path, "--branches", "Muon_*", "--bound", "bits:10", "--out", tmp_path / "m.balm")
    assert "validation at bits:10: no values (the inputs hold too few entries to keep some apart)" in proc.stdout, proc.stdout
    assert " 0 values" not in proc.stdout and "(0 values)" not in proc.stdout, proc.stdout


def correlated_rows(n, seed):
    """Rows of 6 positive values driven by 2 log-normal factors: a latent of 2 predicts them."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(0, 2, n), rng.normal(0, 2, n)
    logs = np.stack([a, b, a + b, a - b, 0.5 * a, 2 * b], axis=1) + rng.normal(0, 0.01, (n, 6))
    return np.exp2(logs).astype(np.float32)


def test_a_bound_too_fine_for_a_models_weights_says_what_to_change(baler, tmp_path):
    """bits:52 on doubles: the latent's step, folded into the first layer's weights, needs far more
    than 16 bits, and the trainer ended, after training, on the format's refusal alone ("weight
    magnitude 66836512 is not storable in 16 bits"), with no word of what to do (a training sweep)."""
    rows = correlated_rows(2000, 3).astype(np.float64)
    npz, out = tmp_path / "rows.npz", tmp_path / "never.balm"
    np.savez(npz, data=rows, names=np.array([f"x{i}" for i in range(rows.shape[1])]))
    proc = run_baler(baler, "train", npz, "--branches", "*", "--bound", "bits:52", "--epochs", "20", "--seed", "1",
                     "--out", out, check=False)
    assert proc.returncode == 1 and "the trained model cannot be stored" in proc.stderr, proc.stderr
    assert "the bound is too fine for this model" in proc.stderr and "train for a coarser --bound" in proc.stderr, \
        proc.stderr
    assert not out.exists()


def test_npz_training_is_reproducible_for_a_seed(baler, tmp_path):
    data = tmp_path / "rows.npz"
    np.savez(data, data=correlated_rows(1000, 1), names=np.array([f"x{i}" for i in range(6)]))
    models = []
    for seed in (5, 5, 6):
        out = tmp_path / f"m{len(models)}.balm"
        proc = run_baler(baler, "train", data, "--branches", "x*", "--bound", "bits:10", "--latent", "2",
                         "--seed", seed, "--out", out)
        assert written_model(proc.stdout, out)
        # measured 17% on the 200 validation rows (26% on the training rows)
        assert validation_gain(proc.stdout, "bits:10") > 10, proc.stdout
        assert "warning" not in proc.stderr, proc.stderr
        models.append(out.read_bytes())
    assert models[0] == models[1], "the same seed gave different model bytes"
    assert models[0] != models[2], "another seed gave the same model"


def test_npz_columns_take_the_globs_branches_take(baler, tmp_path):
    """`[...]` classes: `x[0-3]` found no column of an .npz (its own matcher knew `*` and `?` only),
    where branch globs, matched by fnmatch in the plugin and uproot, take them."""
    data, out = tmp_path / "rows.npz", tmp_path / "four.balm"
    np.savez(data, data=correlated_rows(300, 1), names=np.array([f"x{i}" for i in range(6)]))
    proc = run_baler(baler, "train", data, "--branches", "x[!4-5]", "--bound", "bits:10", "--out", out)
    assert "rows: 300 vectors of 4 float32 values" in proc.stdout, proc.stdout


@pytest.mark.parametrize("sentinel", [np.finfo(np.float32).max, 1e30])
def test_sentinels_beyond_the_linear_range_are_left_out_of_training(baler, tmp_path, sentinel):
    """Under an absolute bound the model works on x itself: FLT_MAX in 2% of the rows made training
    diverge, 1e30 gave a normalisation the model file cannot store (a new-user sweep). Such rows
    are left out of training, as non-finite ones are, and the codec still codes them."""
    data, out = tmp_path / "rows.npz", tmp_path / "sentinels.balm"
    rows = correlated_rows(1000, 1)
    rows[::50, 3] = sentinel
    np.savez(data, data=rows, names=np.array([f"x{i}" for i in range(6)]))
    proc = run_baler(baler, "train", data, "--branches", "x*", "--bound", "abs:0.01", "--out", out)
    assert re.search(r"; 20 rows with zeros, subnormals, non-finite values or magnitudes of 2\^60 and more left out "
                     r"of training", proc.stdout), proc.stdout
    written_model(proc.stdout, out)


def test_a_model_that_does_not_pay_is_written_with_a_warning(baler, tmp_path):
    """Independent noise leaves a model nothing to learn: its rows cost what they cost per value,
    plus the model. It was written without a word (exit 0), and a user learned it only when
    `baler compress` coded no basket through it."""
    data, out = tmp_path / "noise.npz", tmp_path / "noise.balm"
    rows = np.random.default_rng(1).normal(0, 1, (300, 6)).astype(np.float32)
    np.savez(data, data=rows, names=np.array([f"x{i}" for i in range(6)]))
    proc = run_baler(baler, "train", data, "--branches", "x*", "--bound", "bits:10", "--latent", "2", "--out", out)
    assert re.search(r"all rows, model included: [\d.]+% larger than the per-value codec", proc.stdout), proc.stdout
    written_model(proc.stdout, out)
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("baler: warning: ")]
    assert len(warnings) == 1 and "does not make these rows smaller than the per-value codec at bits:10" in warnings[0], \
        proc.stderr


def test_a_vector_branch_of_mixed_widths_trains_on_its_most_common_width(baler, tmp_path):
    """A vector<float> branch whose entries are mostly of one width: the codec codes those entries
    through a model and the others per value, but `baler train` refused the branch ("entries are not
    vectors of one width"). It now trains on the most common width and counts the others out; the
    model then codes the branch within its bound."""
    path, model, out = tmp_path / "mixed.root", tmp_path / "v.balm", tmp_path / "ae.root"
    rows = correlated_rows(2000, 3)
    np.save(tmp_path / "rows.npy", rows)
    run_command([sys.executable, "-c", f"""
import numpy as np, ROOT
rows = np.load("{tmp_path / 'rows.npy'}")
f = ROOT.TFile("{path}", "RECREATE")
t = ROOT.TTree("t", "")
v = ROOT.std.vector("float")()
t.Branch("v", v)
for i, row in enumerate(rows):
    v.clear()
    for x in (row[:3] if i % 20 == 0 else row):  # one entry in 20 is 3 wide
        v.push_back(float(x))
    t.Fill()
t.Write()
f.Close()
"""])
    proc = run_baler(baler, "train", path, "--branches", "v", "--bound", "bits:10", "--latent", "2", "--seed", "1",
                     "--out", model)
    assert re.search(r"rows: 1900 vectors of 6 float32 values .* 100 vectors of another width left to the "
                     r"per-value codec", proc.stdout), proc.stdout
    model_id = written_model(proc.stdout, model)
    run_baler(baler, "compress", path, out, "--codec", f"ae:bits:10:{model}")
    before, after = (uproot.open(p)["t"]["v"].array(library="np") for p in (path, out))
    assert [len(x) for x in before] == [len(x) for x in after]
    x, y = np.concatenate(before), np.concatenate(after)
    assert np.all(within_spec(Spec.parse("bits:10"), x, y)) and np.any(x != y)
    codec = {b["branch"]: b["codec"] for b in json.loads(run_baler(baler, "inspect", out, "--json").stdout)["branches"]}
    assert f"ae:bits:10:{model_id}" in codec["v"], codec


@pytest.mark.parametrize("case", ["no branch", "bad bound", "mixed inputs", "npz without names", "missing file",
                                  "not a ROOT file", "latent wider than a row", "no epoch", "a number per entry",
                                  "empty inner vectors", "several branches of rows", "a folder", "no entries",
                                  "a zero in every row", "no --branches", "bad validation", "no latent",
                                  "vectors of many widths", "a hidden layer too wide", "one file twice"])
def test_bad_input_is_one_line_and_writes_nothing(baler, shared_data, tmp_path, case):
    root = shared_data / "atlas" / "uproot-issue-123b.root"
    npz, text_file, empty_rows = tmp_path / "rows.npz", tmp_path / "notes.root", tmp_path / "empty_rows.root"
    text_file.write_text("not a ROOT file\n")
    no_entries, zeros = tmp_path / "no_entries.root", tmp_path / "zeros.npz"
    if case == "no entries":
        run_baler(baler, "generate", no_entries, "--sample", "detector", "--events", 0)
    generated = tmp_path / "generated.root"
    if case == "vectors of many widths":
        run_baler(baler, "generate", generated, "--events", 500)
    if case == "a zero in every row":
        rows = correlated_rows(10, 2)
        rows[:, 2] = 0.0  # a column that is always 0
        np.savez(zeros, data=rows, names=np.array([f"x{i}" for i in range(6)]))
    if case == "empty inner vectors":
        # a vector<vector<float>> whose inner vectors are all empty, as some ATLAS MET branches are
        run_command(["root.exe", "-l", "-b", "-q", "-e",
                     f'TFile f("{empty_rows}", "RECREATE"); TTree t("Events", ""); '
                     "std::vector<std::vector<float>> v(2); t.Branch(\"vv\", &v); "
                     "for (int i = 0; i < 20; ++i) t.Fill(); t.Write(); f.Close();", "-e", "0"])  # 0: the exit status
    if case == "npz without names":
        np.savez(npz, data=correlated_rows(10, 2))
    else:
        np.savez(npz, data=correlated_rows(10, 2), names=np.array([f"x{i}" for i in range(6)]))
    args, message = {
        "no branch": ([root, "--branches", "NoSuchBranch*"], "no branch matches 'NoSuchBranch*' in its trees (MetaData, "),
        "bad bound": ([root, "--branches", COV, "--bound", "lossless"], "error bound"),
        "mixed inputs": ([root, npz, "--branches", "*"], "mix .npz and ROOT"),
        "npz without names": ([npz, "--branches", "*"], "no array `names`"),
        "missing file": ([tmp_path / "nowhere.root", "--branches", "*"], "no such file"),
        # uproot's message spans lines, and only its last ("for file path ...)") reached the user
        "not a ROOT file": ([text_file, "--branches", "*"], "cannot open as a ROOT file (expected Chunk"),
        # it trained, then could not store the model ("weight magnitude ... is not storable")
        "latent wider than a row": ([npz, "--branches", "*", "--latent", "7"], "--latent 7: the latent of rows of 6"),
        # it said "training diverged (the validation loss is not finite)"
        "no epoch": ([npz, "--branches", "*", "--epochs", "0"], "--epochs 0: training needs at least one pass"),
        # it said "has 0 levels of vectors"
        "a number per entry": ([shared_data / "uproot-HZZ.root", "--branches", "NJet"],
                               "branch 'NJet' holds one number per entry, not a vector of K floats"),
        # a Python traceback's last line: "ValueError: cannot reshape array of size 0 into shape (0)"
        "empty inner vectors": ([empty_rows, "--branches", "vv"], "its inner vectors hold at most 1 value"),
        # it said they "mix numbers per entry and per object, or hold nested vectors"
        "several branches of rows": ([root, "--branches", "*definingParametersCovMatrix"],
                                     "each hold rows of floats (vectors of vectors): a model of such rows trains on one branch"),
        # the sweep of the train route found these three: "no such file" for a folder that exists,
        "a folder": ([tmp_path, "--branches", "*"], f"{tmp_path}: is a folder"),
        # "entries are not vectors of one width (widths [])",
        "no entries": ([no_entries, "--branches", "Pulse_adc"], "the tree has no entries to train on"),
        # and "too few rows to train and validate", with no word of what to do
        "a zero in every row": ([zeros, "--branches", "*"], "train under --bound abs:E"),
        # clap's five lines ("the following required arguments were not provided: ... Usage: ...")
        "no --branches": ([npz], "missing --branches GLOB (see `baler train --help`)"),
        "bad validation": ([npz, "--branches", "*", "--validation", "2"], "--validation 2: must be above 0 and below 1"),
        # exit status 1, after loading the data, where --latent -1 was clap's usage error
        "no latent": ([npz, "--branches", "*", "--latent", "0"], "--latent 0: a latent holds at least one number"),
        # electrons per event (a vector<float> of 0 to 4): it trained on the 17% of entries with two,
        # a model of "the first two electrons", with only a does-not-pay warning (a new-user sweep)
        "vectors of many widths": ([generated, "--branches", "Electron_pt"],
                                   "branch 'Electron_pt': its entries are of many widths (widths [0, 1, 2, 3, 4]; the most "
                                   "common, 2, holds "),
        # it trained first, then "invalid model: layer outputs 100000 exceeds limit 4096" (a training sweep)
        "a hidden layer too wide": ([npz, "--branches", "*", "--hidden", "100000"],
                                    "--hidden 100000: a model's layers are at most 4096 wide"),
        # its rows trained twice, and the validation rows were training rows (a training sweep)
        "one file twice": ([npz, tmp_path / "." / "rows.npz", "--branches", "*"],
                           f"{npz} and {tmp_path / '.' / 'rows.npz'} are the same file: give each input once"),
    }[case]
    out = tmp_path / "never.balm"
    proc = run_baler(baler, "train", *args, "--out", out, check=False)
    # an option wrong whatever the inputs is a usage error, as on every command
    usage = case in ("bad bound", "no epoch", "no --branches", "bad validation", "no latent", "a hidden layer too wide")
    assert proc.returncode == (2 if usage else 1), (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert lines[0].startswith("baler: error: "), proc.stderr  # as the other commands' ("baler train: " before)
    assert not out.exists()


@pytest.mark.parametrize("case", ["the input", "another data file"])
def test_an_out_that_would_replace_data_is_refused_and_left_as_it_was(baler, tmp_path, case):
    """`--out` named the input (`baler train rows.npz ... --out rows.npz`), or any file that is not a
    model (a typo such as `--out data.root`): the model replaced it without a word, rc 0 (sweep of the
    train route). Both are one-line errors now and the file keeps its bytes; a model at --out is
    still replaced, as a new model for it."""
    npz = tmp_path / "rows.npz"
    np.savez(npz, data=correlated_rows(10, 2), names=np.array([f"x{i}" for i in range(6)]))
    out = npz if case == "the input" else tmp_path / "data.root"
    if case == "another data file":
        out.write_bytes(b"root\0 data of another analysis")
    before = out.read_bytes()
    proc = run_baler(baler, "train", npz, "--branches", "*", "--epochs", 5, "--out", out, check=False)
    lines = proc.stderr.strip().splitlines()
    message = "is the input file" if case == "the input" else "exists and is not a Baler model"
    assert proc.returncode != 0 and len(lines) == 1 and f"--out {out}: " in lines[0] and message in lines[0], proc.stderr
    assert out.read_bytes() == before
    model = tmp_path / "m.balm"
    for _ in range(2):  # the second run replaces the first one's model
        run_baler(baler, "train", npz, "--branches", "*", "--epochs", 5, "--out", model)


@pytest.mark.parametrize("case", ["a folder", "a missing folder", "a link"])
def test_an_out_that_cannot_be_written_stops_before_training(baler, tmp_path, case):
    """It was found only when the trained model was written, after the training's minutes. A
    symbolic link was replaced by the model, the file it named left as it was (a training sweep);
    `baler compress` refuses one too."""
    npz = tmp_path / "rows.npz"
    np.savez(npz, data=correlated_rows(10, 2), names=np.array([f"x{i}" for i in range(6)]))
    (tmp_path / "link.balm").symlink_to(tmp_path / "kept.balm")
    out, message = {"a folder": (tmp_path, "is a folder; give the model's file name"),
                    "a missing folder": (tmp_path / "nowhere" / "m.balm", f"there is no folder {tmp_path / 'nowhere'}"),
                    "a link": (tmp_path / "link.balm", "is a symbolic link, which the model would replace")}[case]
    proc = run_baler(baler, "train", npz, "--branches", "*", "--out", out, check=False)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode != 0 and len(lines) == 1 and f"--out {out}: " in lines[0] and message in lines[0], proc.stderr
    assert ".tmp" not in lines[0], lines  # it named the temporary file it had tried to make
    assert proc.stdout == "", proc.stdout  # nothing loaded, nothing trained


@pytest.mark.parametrize("how", ["Ctrl-C to the terminal's process group", "kill of the trainer alone"])
def test_a_signal_while_the_root_files_are_read_leaves_no_temporary_rows(baler, tmp_path, how):
    """The trainer's Python child writes the rows of the ROOT files, as large as the training data,
    into a temporary folder: a signal that ended the trainer while the child ran left that folder
    behind. The signal now reaches the child, the folder is removed, and the trainer ends by the
    same signal. The child here is a stand-in for Python that waits to be stopped."""
    temporary, started = tmp_path / "tmp", tmp_path / "started"
    temporary.mkdir()
    stand_in = tmp_path / "python"
    stand_in.write_text(f'#!/bin/sh\ntouch "{started}"\nexec sleep 120\n')
    stand_in.chmod(0o755)
    root_file = tmp_path / "events.root"
    root_file.write_bytes(b"root")  # never opened: the stand-in reads nothing
    env = {**os.environ, "BALER_PYTHON": str(stand_in), "TMPDIR": str(temporary)}
    trainer = subprocess.Popen([str(baler), "train", str(root_file), "--branches", "x", "--out", str(tmp_path / "m.balm")],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert started.exists() and any(temporary.iterdir()), "the stand-in never started"
    if how.startswith("Ctrl-C"):
        os.killpg(trainer.pid, signal.SIGINT)
        expected = signal.SIGINT
    else:
        trainer.send_signal(signal.SIGTERM)
        expected = signal.SIGTERM
    trainer.communicate(timeout=60)  # before: the child, not signalled, kept running for its 120 s
    assert trainer.returncode == -expected, trainer.returncode
    assert list(temporary.iterdir()) == [], list(temporary.rglob("*"))
    assert not (tmp_path / "m.balm").exists()
