"""The ae: codec through ROOT: a model trained by `baler train`, chosen with Baler::SetCodec or
BALER_POLICY, carried once in the file it was used for, and found again (in the file, then in
BALER_MODEL_PATH) by every process that reads it.

The data are rows of 8 floats driven by two hidden factors (tests/macros/ae_tree.C), so a model
pays; whatever the model, the ae: codec returns exactly the values of the per-value codec at the
same bound, which is what these tests hold it to."""
import json
import os
import re
import shutil
import sys

import pytest
import uproot

from conftest import (BUILD_LIB, MACROS, compare_trees, delete_model_key, env_without_model_path, preload_env, run_baler, run_command,
                      run_macro, run_python)

ENTRIES = 5000


def write_tree(path, spec, env=None, check=True, end="close"):
    output = run_macro("ae_tree", path, spec, ENTRIES, "cov", end, env=env, check=check)
    return output


def cov_bytes(output):
    return int(re.search(r"^ae_tree: (\d+)$", output, re.M).group(1))


@pytest.fixture(scope="module")
def trained(baler, tmp_path_factory):
    """(reference ZSTD file, model path, model id) from `baler train` on the reference rows."""
    folder = tmp_path_factory.mktemp("ae")
    reference, model = folder / "reference.root", folder / "rows.balm"
    write_tree(reference, "zstd")
    proc = run_baler(baler, "train", reference, "--branches", "cov", "--tree", "t", "--bound", "bits:10",
                     "--epochs", "200", "--seed", "1", "--out", model)
    model_id = re.search(r"^model ([0-9a-f]+) ", proc.stdout, re.M).group(1)
    return reference, model, model_id


def model_keys(path):
    """The names of the file's top-level keys that hold Baler models."""
    output = run_python(f"import ROOT\nf = ROOT.TFile.Open('{path}')\n"
                        "print('keys:', *[k.GetName() for k in f.GetListOfKeys() if k.GetName().startswith('baler_model_')])")
    return re.search(r"^keys:(.*)$", output, re.M).group(1).split()


def test_ae_returns_the_per_value_values_and_is_smaller(baler, trained, tmp_path):
    reference, model, model_id = trained
    per_value, ae = tmp_path / "bits10.root", tmp_path / "ae.root"
    per_value_bytes = cov_bytes(write_tree(per_value, "bits:10"))
    ae_output = write_tree(ae, f"ae:bits:10:{model}")
    ae_bytes = cov_bytes(ae_output)
    assert "coded no basket" not in ae_output, ae_output
    # The bound on every value, and exactly the values bits:10 must change did change ...
    compare_trees(reference, ae, "t", "cov=bits:10").assert_exact_set_changed("cov")
    # ... to the very bits the per-value codec gives (read in a fresh process, plugin autoloaded).
    same = compare_trees(per_value, ae, "t")
    assert same.plugin_loaded and same.total.bad == 0 and same.total.changed == 0, same.output
    # The model was used (the codec keeps its section only when smaller than the per-value one):
    # two hidden factors make 8 values cheap to predict (0.85x measured with this training).
    assert ae_bytes < 0.9 * per_value_bytes, (ae_bytes, per_value_bytes)
    # The file carries its model once, under the id `baler train` printed ...
    assert model_keys(ae) == [f"baler_model_{model_id}"]
    # ... and `baler inspect` reads from the blocks which model coded them.
    inspected = json.loads(run_baler(baler, "inspect", ae, "--json").stdout)
    codec = {row["branch"]: row["codec"] for row in inspected["branches"]}["cov"]
    assert f"ae:bits:10:{model_id}" in codec, codec


@pytest.mark.parametrize("order", ["close", "delete", "input first", "rootcp"])
def test_a_tree_copied_fast_carries_its_model(trained, tmp_path, order):
    """ROOT's fast copy (CloneTree(-1, "fast")) copies the stored baskets byte for byte, under the
    setting of the file it copies into, and no other key: the copy lacked the model, and could not
    be read without BALER_MODEL_PATH. The plugin (loaded to read the input) reads the copied
    baskets back before ROOT writes the copy's StreamerInfo and stores their model in it; a reader
    looks for models in the file whatever the branch's setting (here ZLIB-101). A copy deleted
    before its file closes (rootcp does that) left no tree in memory to read them from, and rootcp
    closes its input first: both copies lacked the model, without a word (a new-user sweep)."""
    _, model, model_id = trained
    ae, copy = tmp_path / "ae.root", tmp_path / "copy.root"
    write_tree(ae, f"ae:bits:10:{model}")
    if order == "rootcp":
        run_command(["rootcp", f"{ae}:t", copy])
    else:
        run_macro("fast_copy", ae, copy, "t", 101, order)
    assert model_keys(copy) == [f"baler_model_{model_id}"]
    same = compare_trees(ae, copy, "t")
    assert same.plugin_loaded and same.total.bad == 0 and same.total.changed == 0, same.output


@pytest.mark.parametrize("end", ["file written, then killed", "tree written, then killed"])
def test_a_job_killed_after_saving_keeps_the_model_its_saved_baskets_need(trained, tmp_path, end):
    """The model was written only with the StreamerInfo: after `TFile::Write()`, after ROOT had
    saved the list of keys, so a job killed then left the model unlisted; after `TTree::Write()`
    alone there was no model at all. Every saved entry of the branch failed to read (a new-user
    sweep). The model is now written with the first basket coded through it. A file that never
    had its StreamerInfo written does not name the plugin for ROOT to load: it is loaded here as
    the README says to for such a file."""
    reference, model, model_id = trained
    ae = tmp_path / "ae.root"
    write_tree(ae, f"ae:bits:10:{model}", end=end)
    assert model_keys(ae) == [f"baler_model_{model_id}"]
    env = env_without_model_path()
    if end == "tree written, then killed":
        env["LD_PRELOAD"] = preload_env()["LD_PRELOAD"]
    found = compare_trees(reference, ae, "t", "cov=bits:10", env=env)
    assert found.entries == ENTRIES and found.total.bad == 0, found.output
    found.assert_exact_set_changed("cov")
    """The plugin remembers which baskets it wrote into each file, to tell a fast copy's from its
    own when the file closes. Keyed by the file's UUID since a copy can be read back from its key,
    that record kept every file a process ever wrote; it now holds the open ones only."""
    output = run_python(f"""
import ctypes, ROOT
ROOT.gSystem.Load("libBalerROOT")
ROOT.gROOT.ProcessLine('.L {MACROS / "small_tree.C"}')
for i in range(6):
    ROOT.small_tree(f"{tmp_path}/f{{i}}.root", "Events", 1000)
count = ctypes.CDLL("{BUILD_LIB / 'libBalerROOT.so'}").BalerDiagnosticCount
count.restype, count.argtypes = ctypes.c_longlong, [ctypes.c_char_p]
print("files remembered", count(b"files_in_copy_ledger"))
""")
    assert "files remembered 1" in output, output  # the last file's, dropped at the next look


def test_compress_finds_a_model_named_by_id_in_its_input(baler, trained, tmp_path):
    """`--codec ae:bits:10:ID` on a file that holds model ID: it said `model ID is neither in the file
    nor in BALER_MODEL_PATH`, as the specs were read before the input was opened."""
    _, model, model_id = trained
    ae, again = tmp_path / "ae.root", tmp_path / "again.root"
    write_tree(ae, f"ae:bits:10:{model}")
    env = env_without_model_path()
    run_baler(baler, "compress", ae, again, "--branches", "cov", "--codec", f"ae:bits:10:{model_id}", env=env)
    assert model_keys(again) == [f"baler_model_{model_id}"]
    same = compare_trees(ae, again, "t")
    assert same.total.bad == 0 and same.total.changed == 0, same.output


@pytest.mark.parametrize("options", [["-n", "1"], ["-O"], []], ids=["one file at a time", "-O", "default"])
def test_hadd_keeps_one_key_per_model(trained, tmp_path, options):
    """hadd copies the key of an object it cannot merge (a model's) from every input, and with
    `-n 1` (one input per step) those of the output too at every step: 2^N - 1 keys from N files,
    a merge of 20 files that ran for more than ten minutes (a new-user sweep). One key stays."""
    reference, model, model_id = trained
    ae, merged, merged_reference = tmp_path / "ae.root", tmp_path / "merged.root", tmp_path / "reference.root"
    write_tree(ae, f"ae:bits:10:{model}")
    run_command(["hadd", "-f", *options, merged, *[ae] * 4])
    assert model_keys(merged) == [f"baler_model_{model_id}"]
    run_command(["hadd", "-f", merged_reference, *[reference] * 4])
    found = compare_trees(merged_reference, merged, "t", "cov=bits:10", env=env_without_model_path())
    assert found.entries == 4 * ENTRIES and found.total.bad == 0, found.output


def test_compress_carries_the_models_its_blocks_name_once(baler, trained, tmp_path):
    """The input's model keys were copied like any object: also a model no block of the output
    names any more (cov coded again at bits:4), one copy per `hadd`ed file, and none where the
    input lacked it although BALER_MODEL_PATH held it (the output then could not be read without
    the path either). The output holds, once, exactly the models its blocks name."""
    reference, model, model_id = trained
    ae, merged = tmp_path / "ae.root", tmp_path / "merged.root"
    write_tree(ae, f"ae:bits:10:{model}")
    run_command(["hadd", "-f", "-fk", merged, ae, ae])
    assert model_keys(merged) == [f"baler_model_{model_id}"]  # one copy per input before: see below
    recoded, kept = tmp_path / "recoded.root", tmp_path / "kept.root"
    # bits:4 blocks are smaller than every stored ae: block (bits:8 is not: some stay, and the model)
    run_baler(baler, "compress", merged, recoded, "--branches", "cov", "--codec", "bits:4")
    assert model_keys(recoded) == []
    compare_trees(merged, recoded, "t", "cov=bits:4").assert_exact_set_changed("cov")
    run_baler(baler, "compress", merged, kept, "--branches", "y", "--codec", "bits:8")
    assert model_keys(kept) == [f"baler_model_{model_id}"]
    without = env_without_model_path()
    compare_trees(merged, kept, "t", "y=bits:8", env=without).assert_exact_set_changed("y")
    # the input without its model: found in BALER_MODEL_PATH, or named in a warning
    bare, carried, still_bare = tmp_path / "bare.root", tmp_path / "carried.root", tmp_path / "still_bare.root"
    shutil.copy(ae, bare)
    delete_model_key(bare, model_id)
    assert model_keys(bare) == []
    folder = tmp_path / "models"
    folder.mkdir()
    shutil.copy(model, folder / "any_name.balm")
    env = dict(os.environ, BALER_MODEL_PATH=str(folder))
    run_baler(baler, "compress", bare, carried, "--branches", "y", "--codec", "bits:8", env=env)
    assert model_keys(carried) == [f"baler_model_{model_id}"]
    same = compare_trees(ae, carried, "t", "y=bits:8", env=without)
    assert same.total.bad == 0 and same.total.changed > 0, same.output
    proc = run_baler(baler, "compress", bare, still_bare, "--branches", "y", "--codec", "bits:8", env=without)
    assert f"name model {model_id}, which neither the input nor BALER_MODEL_PATH holds" in proc.stderr, proc.stderr
    assert model_keys(still_bare) == []


def test_a_model_id_in_upper_case_names_the_same_model(baler, trained, tmp_path):
    """`baler train` prints ids in lower case; the same digits typed in upper case were "neither in
    the file nor in BALER_MODEL_PATH" although the folder held the model (a new-user sweep)."""
    reference, model, model_id = trained
    folder = tmp_path / "models"
    folder.mkdir()
    shutil.copy(model, folder / "rows.balm")
    out = tmp_path / "upper.root"
    run_baler(baler, "compress", reference, out, "--branches", "cov", "--codec", f"ae:bits:10:{model_id.upper()}",
              env=dict(os.environ, BALER_MODEL_PATH=str(folder)))
    assert model_keys(out) == [f"baler_model_{model_id}"]


def unused_bytes(path, scratch):
    """Bytes inside the file that no record uses (the free segments below its end, which ROOT reads
    when a file is opened for update: here a copy of it)."""
    copy = scratch / f"unused-{path.name}"
    shutil.copy(path, copy)
    output = run_python(f"import ROOT\nf = ROOT.TFile.Open('{copy}', 'UPDATE')\n"
                        "print('unused:', sum(s.GetLast() - s.GetFirst() + 1 for s in f.GetListOfFree() if s.GetFirst() < f.GetEND()))\n"
                        "f.Close()")
    return int(re.search(r"^unused: (\d+)$", output, re.M).group(1))


def test_compress_stores_the_model_without_leaving_a_hole(baler, trained, tmp_path):
    """`baler compress` writes the model's key before TFile::Write writes the list of keys. Written
    after it (from the StreamerInfo hook), the model made Close write the list again, and the first
    copy's bytes stayed in the file unused (about 550 bytes on atlas/uproot-issue-123b.root, as
    much as a third of what the model saved there)."""
    reference, model, model_id = trained
    out = tmp_path / "compressed.root"
    run_baler(baler, "compress", reference, out, "--codec", f"ae:bits:10:{model}")
    assert model_keys(out) == [f"baler_model_{model_id}"]
    assert unused_bytes(out, tmp_path) == 0


def test_compress_reports_what_the_model_coded(baler, trained, tmp_path):
    """`baler compress` reports the codec a branch's blocks hold: `ae:` where the model coded its
    baskets, the spec's bound where it coded none (`y` holds single floats, not rows of the model's
    8). A model that coded no basket of the run is a warning naming it and the bound the branches
    got. Before, the table said `ae:` for every branch given the spec, and nothing told the user
    that the model had served none of them. The model is named by its id, as `baler inspect` names
    it from the file, not by the path given on the command line (as the table did before)."""
    reference, model, model_id = trained

    def compress(name, *selection):
        proc = run_baler(baler, "compress", reference, tmp_path / name, "--json", "--codec", f"ae:bits:10:{model}",
                         *selection)
        report = json.loads(proc.stdout)
        return {r["branch"]: r["codec_after"] for r in report["branches"]}, report["warnings"], proc.stderr

    codecs, warnings, _ = compress("all.root")
    assert codecs["cov"] == f"baler ae:bits:10:{model_id}" and codecs["y"] == "baler bits:10", codecs
    assert warnings == [], warnings
    codecs, warnings, stderr = compress("y.root", "--branches", "y")
    assert codecs["y"] == "baler bits:10" and codecs["cov"] == "zstd 5", codecs
    assert len(warnings) == 1 and f"model {model_id} " in warnings[0] and "coded no basket of y:" in warnings[0] and \
        warnings[0].endswith("stored per value at bits:10"), warnings
    assert f"baler: warning: {warnings[0]}" in stderr, stderr
    assert model_keys(tmp_path / "y.root") == []


def test_a_file_holds_no_model_when_no_block_used_it(trained, tmp_path):
    """`y` holds single floats, not rows of the model's 8: every basket is per-value, so the file
    needs no model and gets none, and the writer is told once, when the file is written, which
    model served nothing and what its branch holds instead. Before, the macro printed nothing."""
    reference, model, model_id = trained
    out = tmp_path / "y.root"
    output = run_macro("ae_tree", out, f"ae:bits:10:{model}", ENTRIES, "y")
    compare_trees(reference, out, "t", "y=bits:10").assert_exact_set_changed("y")
    assert model_keys(out) == []
    warnings = [line for line in output.splitlines() if "coded no basket" in line]
    assert len(warnings) == 1, output
    assert warnings[0].startswith(f"Warning in <Baler>: {out}: model {model_id} (ae:bits:10:") and \
        warnings[0].endswith("coded no basket of y: they hold rows of another width, or rows it does not make "
                             "smaller, and they are stored per value at bits:10"), warnings


def test_a_model_that_codes_baskets_after_the_first_autosave_is_not_called_idle(trained, tmp_path):
    """The first 400 rows are zeros, which no model makes smaller, and the tree is autosaved at
    entry 400: the warning that the model "coded no basket ... stored per value" came at that first
    StreamerInfo write and stayed, though the model coded every later basket (a long-jobs sweep).
    It is said at exit now, of what the model did in the whole file."""
    reference, model, model_id = trained
    out = tmp_path / "zeros_first.root"
    output = write_tree(out, f"ae:bits:10:{model}", end="zeros first, saved often")
    assert "coded no basket" not in output, output
    assert model_keys(out) == [f"baler_model_{model_id}"]
    import baler_root  # noqa: F401 (teaches uproot Baler's blocks)
    with uproot.open(out) as f:
        assert not f["t"]["cov"].array(library="np")[:400].any()


def test_policy_writes_ae_and_a_missing_model_stops_the_program(trained, tmp_path):
    reference, model, _ = trained
    out = tmp_path / "policy.root"
    write_tree(out, "zstd", env=preload_env(f"t/cov=ae:bits:10:{model}"))
    compare_trees(reference, out, "t", "cov=bits:10").assert_exact_set_changed("cov")
    assert len(model_keys(out)) == 1
    missing = tmp_path / "nowhere.balm"
    output = run_macro("ae_tree", tmp_path / "never.root", "zstd", ENTRIES,
                       env=preload_env(f"t/cov=ae:bits:10:{missing}"), check=False)
    assert "invalid BALER_POLICY rule" in output and str(missing) in output, output
    assert not (tmp_path / "never.root").exists()


def test_a_policy_models_relative_path_reaches_the_processes_started_in_another_folder(trained, tmp_path):
    """`BALER_POLICY=t/cov=ae:bits:10:rows.balm`, valid where the job starts: every preloaded child
    read the path again in its own folder, so a job that changed folder (a framework's work area)
    had each child stop with "not ... a readable .balm file", `ls` too (policy sweep). The first
    process to read the policy hands it on with the path made absolute."""
    reference, model, _ = trained
    shutil.copy(model, tmp_path / "rows.balm")
    (tmp_path / "work").mkdir()
    out = tmp_path / "work" / "child.root"
    job = f"""
import os, subprocess
os.chdir("work")
subprocess.run(["ls"], check=True, stdout=subprocess.DEVNULL)
subprocess.run(["root.exe", "-l", "-b", "-q", '{MACROS / "ae_tree.C"}("{out}", "zstd", {ENTRIES}, "cov")'], check=True)
"""
    run_command([sys.executable, "-c", job], env=preload_env("t/cov=ae:bits:10:rows.balm"), cwd=tmp_path)
    compare_trees(reference, out, "t", "cov=bits:10").assert_exact_set_changed("cov")
    assert len(model_keys(out)) == 1


# RDataFrame's multi-threaded Snapshot under BALER_POLICY, then every value of the copy and of the
# per-value bits:10 file, sorted (the tasks may write the entries in another order).
MT_SNAPSHOT = """
import ROOT
ROOT.EnableImplicitMT(2)
ROOT.RDataFrame("t", {reference!r}).Snapshot("t", {out!r}, ["cov"])
"""
SORTED_VALUES_AGREE = """
import numpy as np, uproot, baler_root
values = [np.sort(uproot.open(p)["t"]["cov"].array(library="np").ravel()) for p in ({out!r}, {per_value!r})]
print("same values:", np.array_equal(values[0].view(np.uint32), values[1].view(np.uint32)))
"""


def test_a_multithreaded_snapshot_carries_the_model_once_and_quietly(trained, tmp_path):
    """Snapshot with IMT writes through TBufferMerger's in-memory files, merged into the output as
    they fill. The model went into each in-memory file, so the output held one key per merge
    (`;1`, `;2`), and ROOT warned that the key 'is not attached to the directory ... can not be
    ResetAfterMerge correctly'. The output now gets it once, as any copy of Baler baskets does."""
    reference, model, model_id = trained
    out, per_value = tmp_path / "snapshot.root", tmp_path / "bits10.root"
    output = run_python(MT_SNAPSHOT.format(reference=str(reference), out=str(out)),
                        env=preload_env(f"t/cov=ae:bits:10:{model}"))
    assert "Warning in <" not in output and "Error in <" not in output, output  # ROOT's messages
    assert model_keys(out) == [f"baler_model_{model_id}"]
    write_tree(per_value, "bits:10")
    env = env_without_model_path()
    assert "same values: True" in run_python(SORTED_VALUES_AGREE.format(out=str(out), per_value=str(per_value)), env=env)


# Every entry of every file ae_imt_files.C wrote, and the model keys each holds, read in a fresh
# process that finds models only in the files.
IMT_FILES_READ = """
import ROOT
unreadable = []
for i in range({files}):
    f = ROOT.TFile.Open(f"{folder}/imt_{{i}}.root")
    t = f.Get("t")
    keys = [k.GetName() for k in f.GetListOfKeys() if k.GetName().startswith("baler_model_")]
    failed = sum(1 for entry in range(t.GetEntries()) if t.GetEntry(entry) <= 0)
    if failed or keys != ["baler_model_{model_id}"]:
        unreadable.append((i, failed, keys))
print("unreadable:", unreadable)
"""


def test_a_model_written_under_imt_leaves_every_basket_readable(trained, tmp_path):
    """Under IMT, baskets are compressed in parallel and placed in the file one at a time, under
    the file's write lock; the model key written after the first basket coded through it was
    placed under gROOTMutex instead, while other threads placed baskets: the model read back as
    0 bytes, or a basket's record as damaged (CI saw it once, rewriting HZZ under IMT). Baskets of
    4,000 bytes, 140 entries (one basket written while filling), 64 uncompressed copies: 39 and
    92 files in 300 and 600 unreadable before the fix, none in 1,200 since. The model key is now
    written under the file's write lock."""
    _, model, model_id = trained
    files = 200
    output = run_macro("ae_imt_files", tmp_path, f"ae:bits:10:{model}", files, 64, 140, 4000)
    pool = int(re.search(r"^ae_imt_files: (\d+) ", output, re.M).group(1))
    assert pool == min(2, len(os.sched_getaffinity(0))), output
    assert "Error in <" not in output, output
    read = run_python(IMT_FILES_READ.format(files=files, folder=tmp_path, model_id=model_id), env=env_without_model_path())
    assert "unreadable: []" in read and "Error in <" not in read, read


def test_set_codec_with_a_missing_model_is_refused(tmp_path):
    """The message names the spec, as a malformed spec's does (it began with the model path alone),
    and the path as given (it named it in lower case, a path that is not the user's)."""
    spec = f"ae:bits:10:{tmp_path / 'Absent.balm'}"
    output = write_tree(tmp_path / "refused.root", spec, check=False)
    assert f'ae_tree error: codec spec "{spec}": "{tmp_path / "Absent.balm"}" is not a model id' in output, output


def test_model_found_in_baler_model_path_when_the_file_lacks_it(trained, tmp_path):
    reference, model, model_id = trained
    ae = tmp_path / "ae.root"
    write_tree(ae, f"ae:bits:10:{model}")
    delete_model_key(ae, model_id)
    assert model_keys(ae) == []
    # Without the model: one error naming Baler, the model id and the branch; the entry reads as failed.
    env = {**os.environ, "BALER_MODEL_PATH": ""}
    with pytest.raises(AssertionError, match=rf"Error in <Baler>: cannot read branch cov, entries 0-\d+ of "
                                             rf"\S+ae.root: model {model_id} is neither in the file nor in "
                                             rf"BALER_MODEL_PATH"):
        run_macro("compare_trees", reference, ae, "t", "cov=bits:10", env=env)
    # With the model's folder on BALER_MODEL_PATH (under another file name) it reads as before.
    folder = tmp_path / "models"
    folder.mkdir()
    shutil.copy(model, folder / "renamed.balm")
    found = compare_trees(reference, ae, "t", "cov=bits:10",
                          env={**os.environ, "BALER_MODEL_PATH": str(folder)})
    found.assert_exact_set_changed("cov")


def test_uproot_reads_ae_with_the_model_stored_in_the_file(trained, tmp_path):
    """uproot + baler_root reads an ae: file with no BALER_MODEL_PATH: the model comes from the
    file, and the values are those ROOT reads (the per-value bits:10 values)."""
    _, model, _ = trained
    per_value, ae = tmp_path / "bits10.root", tmp_path / "ae.root"
    write_tree(per_value, "bits:10")
    write_tree(ae, f"ae:bits:10:{model}")
    output = run_python(
        "import os, numpy, uproot, baler_root\n"
        "os.environ.pop('BALER_MODEL_PATH', None)\n"
        f"a = uproot.open('{per_value}')['t']['cov'].array(library='np')\n"
        f"b = uproot.open('{ae}')['t']['cov'].array(library='np')\n"
        "print('same:', a.shape == b.shape and numpy.array_equal(a.view(numpy.uint32), b.view(numpy.uint32)))")
    assert "same: True" in output, output
