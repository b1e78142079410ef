"""Issue 4, item 2 and 5: the three ways of choosing Baler, their precedence, and actionable errors.

Each lossy selection is checked with compare_trees.C under a bits:N spec, which defines exactly
which values must change: a rule that is ignored, or a basket stored raw, fails the test."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import (ZSTD_505, baler_settings, compare_trees, env_without_plugin, macro_value, preload_env,
                      run_baler, run_command, run_macro, run_python)


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


def test_set_codec_with_a_glob_that_matches_nothing_says_so(shared_data, tmp_path):
    """It returned 0 without a word (a typo'd branch name left the file lossless), where a glob
    matching only integer branches is a warning (a macro-writer's sweep)."""
    output = run_macro("rewrite_tree", hzz(shared_data), tmp_path / "none.root", "events", ZSTD_505, "Muon_Pxx", "bits:7")
    assert "SetCodec matched 0 branches" in output, output
    assert 'Warning in <Baler::SetCodec>: no branch of events matches "Muon_Pxx": no codec was set' in output, output


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


def test_hadd_to_zstd_of_a_baler_compress_output_is_a_standard_file(baler, tmp_path):
    """`hadd -f505` decides by each input file's own setting whether its baskets may be copied as
    stored. `baler compress` left its output at the input's setting (ZSTD-505 for a generated
    sample), so hadd copied the Baler blocks into a file that says ZSTD, which ROOT without the
    plugin and plain uproot cannot read. The output's setting now names Baler, as a file written
    through the plugin does, and hadd writes ZSTD baskets with the values as Baler decoded them."""
    source, compressed, merged = tmp_path / "sample.root", tmp_path / "bits10.root", tmp_path / "zstd.root"
    run_baler(baler, "generate", source, "--events", 2000, "--seed", 3)
    run_baler(baler, "compress", source, compressed)
    run_command(["hadd", "-f505", merged, compressed])
    assert compare_trees(compressed, merged, "Events").total.changed == 0
    read = "import sys, uproot; print(len(uproot.open(sys.argv[1])['Events'].arrays()))"
    assert run_command([sys.executable, "-c", read, merged], env=env_without_plugin()).stdout.split() == ["2000"]


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


def test_codec_values_are_written_the_same_under_a_comma_decimal_locale(tmp_path):
    """A program that sets a German locale (setlocale(LC_ALL, "")) had printf write "rel:0,001", which
    no spec parses: Codec::Rel and Abs (and Model, through them) threw, and a macro aborted."""
    made = subprocess.run(["localedef", "-i", "de_DE", "-f", "UTF-8", str(tmp_path / "de_DE.UTF-8")],
                          capture_output=True, text=True)
    if not (tmp_path / "de_DE.UTF-8").is_dir():
        pytest.skip(f"no de_DE locale can be made here: {made.stderr.strip()}")
    env = dict(os.environ, LOCPATH=str(tmp_path), LC_ALL="de_DE.UTF-8")
    output = run_python("""
import locale
import ROOT
locale.setlocale(locale.LC_ALL, "")
ROOT.gInterpreter.Declare('#include "Baler/Baler.h"')
print("decimal point", repr(locale.localeconv()["decimal_point"]))
print("specs", ROOT.Baler.Codec.Rel(1e-3).ToString(), ROOT.Baler.Codec.Abs(0.25).ToString())
""", env=env)
    assert "decimal point ','" in output, output
    assert "specs rel:1e-3 abs:0.25" in output, output


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


@pytest.fixture(scope="module")
def small_reference(tmp_path_factory):
    """small_tree.C's Events tree (x/F, d/D, n/I with NaN, -Inf, -0.0, subnormals) under ZSTD."""
    path = tmp_path_factory.mktemp("small") / "small_ref.root"
    run_macro("small_tree", path, "Events", SMALL_ENTRIES)
    return path


SMALL_ENTRIES = 20_000


@pytest.mark.parametrize("spec", ["abs:0.01", "abs:2", "rel:1e-5", "bits:20"])
def test_set_codec_on_float_and_double_branches_end_to_end(small_reference, tmp_path, spec):
    """SetCodec with each kind of bound on a float and a double branch, written and read by ROOT:
    every value within its bound, NaN payloads, -Inf, -0.0 and subnormals exact, the int exact."""
    out = tmp_path / "small.root"
    output = run_macro("rewrite_tree", small_reference, out, "Events", ZSTD_505, "[xd]", spec)
    assert "SetCodec matched 2 branches" in output
    result = compare_trees(small_reference, out, "Events", f"[xd]={spec}")
    result.assert_exact_set_changed()
    # abs and rel require nothing to change, but this data is finer than each bound: the codec acted
    assert result.branches["x"].changed > SMALL_ENTRIES // 2 and result.branches["d"].changed > SMALL_ENTRIES // 2
    assert result.branches["n"].changed == 0


def test_policy_reaches_a_tree_in_a_subdirectory(tmp_path):
    """A tree written into a TDirectory is matched by its name, like any other."""
    reference, out = tmp_path / "sub_ref.root", tmp_path / "sub.root"
    run_macro("small_tree", reference, "sub/Events", SMALL_ENTRIES)
    run_macro("small_tree", out, "sub/Events", SMALL_ENTRIES, env=preload_env("Events/x=bits:8"))
    compare_trees(reference, out, "sub/Events", "x=bits:8").assert_exact_set_changed("x")


def test_blanks_around_a_policy_rules_slash_and_equals_are_layout(tmp_path):
    """`Events / x = bits:8` is the rule `Events/x=bits:8`, as blanks after a comma are: the glob
    `x ` (with its blank) matched no branch, and the rule was only warned about."""
    reference, out = tmp_path / "ref.root", tmp_path / "blanks.root"
    run_macro("small_tree", reference, "Events", SMALL_ENTRIES)
    output = run_macro("small_tree", out, "Events", SMALL_ENTRIES, env=preload_env(" Events / x = bits:8 "))
    assert "matched no branch" not in output, output
    compare_trees(reference, out, "Events", "x=bits:8").assert_exact_set_changed("x")


def test_a_policy_written_one_rule_a_line_applies_every_rule(small_reference, tmp_path):
    """Blanks around a rule are layout, line breaks too: with a rule on its own line its tree glob
    kept the line break (`\n  Events`), matched nothing, and x was stored exactly (policy sweep)."""
    out = tmp_path / "lines.root"
    output = run_macro("small_tree", out, "Events", SMALL_ENTRIES,
                       env=preload_env("Events/d=bits:30,\n  Events/x=bits:8\n"))
    assert "matched no branch" not in output, output
    compare_trees(small_reference, out, "Events", "d=bits:30,x=bits:8").assert_exact_set_changed("d", "x")


def test_a_policy_of_only_blanks_and_commas_stops_the_program():
    """`BALER_POLICY=' , '` held no rule and chose nothing, without a word (policy sweep)."""
    proc = run_command(["root.exe", "-l", "-b", "-q", "-e", "1"], env=preload_env(" ,\n, "), check=False, timeout=120)
    assert proc.returncode != 0
    assert 'invalid BALER_POLICY " ,\n, ": it holds no rule' in proc.stderr, proc.stdout + proc.stderr


def test_a_rule_an_earlier_rule_shadows_is_named_as_such(small_reference, tmp_path):
    """The first rule that matches a branch chooses its codec; a later rule for the same branch was
    said to have matched no branch ("none of its names"), which it had (policy sweep)."""
    out = tmp_path / "shadowed.root"
    output = run_macro("small_tree", out, "Events", SMALL_ENTRIES, env=preload_env("Events/*=bits:8,Events/x=rel:1e-3"))
    assert 'rule "Events/x=rel:1e-3" chose no codec: an earlier rule took every branch it matched' in output, output
    assert "matched no branch" not in output, output
    compare_trees(small_reference, out, "Events", "x=bits:8,d=bits:8").assert_exact_set_changed("x", "d")


def test_a_policy_rule_over_a_fast_copy_says_its_baskets_were_copied(small_reference, tmp_path):
    """hadd of a file at its own setting (ZSTD-505) copies the baskets as stored: no rule can apply, and
    the process said nothing at all, not even of a rule that matched no name (policy sweep). A rule
    that an earlier one shadows for some branches (x) is first for others, copied too: it was said to
    be shadowed for all of them, whichever basket came first (a merge sweep)."""
    out = tmp_path / "copy.root"
    proc = run_command(["hadd", "-f505", out, small_reference],
                       env=preload_env("Events/x=bits:8,Events/*=bits:4,Nope/*=bits:4"))
    for rule in ("Events/x=bits:8", "Events/*=bits:4"):
        assert f'rule "{rule}" chose no codec: the branches it matched were copied with their baskets as ' \
               "stored" in proc.stderr, proc.stdout + proc.stderr
    assert 'rule "Nope/*=bits:4" matched no branch' in proc.stderr, proc.stderr
    assert compare_trees(small_reference, out, "Events").branches["x"].changed == 0


def test_a_policy_rule_over_a_tree_made_in_memory_says_so(baler, tmp_path):
    """A tree with no file keeps its baskets and ROOT writes them inside the tree's key, uncoded:
    the rule counted as applied to values stored exactly, and nothing was said (policy sweep)."""
    path = tmp_path / "memory.root"
    proc = run_command(["root.exe", "-l", "-b", "-q", "-e",
                        'TTree t("Events", ""); float x = 0; t.Branch("x", &x, "x/F"); '
                        "for (int i = 0; i < 50000; ++i) { x = i * 0.123f; t.Fill(); } "
                        f'TFile f("{path}", "RECREATE"); f.WriteObject(&t, "Events"); f.Close();', "-e", "0"],
                       env=preload_env("Events/x=bits:8"))
    assert 'rule "Events/x=bits:8" chose no codec: it matched only branches of a tree with no file' in proc.stderr, \
        proc.stdout + proc.stderr
    codec = {row["branch"]: row["codec"] for row in json.loads(run_baler(baler, "inspect", path, "--json").stdout)["branches"]}
    assert not codec["x"].startswith("baler"), codec


def test_a_policy_rule_can_name_a_trees_folder(tmp_path):
    """`sub/Events/x=...` names the tree by its path in the file (it matched nothing: the rule was
    read as tree `sub`, branch `Events/x`), and one of another folder leaves it alone, reported."""
    reference, out, other = tmp_path / "sub_ref.root", tmp_path / "sub.root", tmp_path / "other.root"
    run_macro("small_tree", reference, "sub/Events", SMALL_ENTRIES)
    output = run_macro("small_tree", out, "sub/Events", SMALL_ENTRIES, env=preload_env("sub/Events/x=bits:8"))
    assert "matched no branch" not in output, output
    compare_trees(reference, out, "sub/Events", "x=bits:8").assert_exact_set_changed("x")
    output = run_macro("small_tree", other, "sub/Events", SMALL_ENTRIES, env=preload_env("dir/Events/x=bits:8"))
    assert 'rule "dir/Events/x=bits:8" matched no branch' in output, output
    assert compare_trees(reference, other, "sub/Events").branches["x"].changed == 0


def test_a_basket_too_small_to_gain_still_holds_values_rounded_by_its_spec(tmp_path):
    """A handful of values, whose Baler block is not smaller than they are: ROOT stores that basket
    uncompressed, and its values must still be the spec's (bits:8 rounds them), as in a basket
    Baler coded; before the zip hook rounded them in place they kept every bit."""
    reference, out = tmp_path / "few_ref.root", tmp_path / "few.root"
    run_macro("small_tree", reference, "Events", 5)
    run_macro("small_tree", out, "Events", 5, env=preload_env("Events/x=bits:8"))
    result = compare_trees(reference, out, "Events", "x=bits:8")
    result.assert_exact_set_changed("x")
    assert result.branches["x"].changed >= 4


def test_a_policy_rule_that_only_set_codec_branches_match_says_so(shared_data, tmp_path):
    """SetCodec takes precedence over a policy rule for the same branch: the rule was reported as
    having "matched no branch written by this process" (sweep of the macro route), which it had.
    It is now named as overridden; a rule that also chose a branch's codec is not named at all."""
    out = tmp_path / "overridden.root"
    env = preload_env("events/Muon_Px=bits:6,events/Muon_P[xy]=bits:6")
    output = run_macro("rewrite_tree", hzz(shared_data), out, "events", ZSTD_505, "Muon_Px", "lossless", env=env)
    assert 'rule "events/Muon_Px=bits:6" chose no codec: every branch it matched had one from ' \
           'Baler::SetCodec' in output, output
    assert "matched no branch" not in output and "Muon_P[xy]" not in output, output


def test_policy_rule_that_matches_nothing_leaves_the_others_working(small_reference, tmp_path):
    out = tmp_path / "small.root"
    output = run_macro("small_tree", out, "Events", SMALL_ENTRIES,
                       env=preload_env("Nope/*=bits:4, Events/nothing_*=bits:3, Events/d=bits:30"))
    result = compare_trees(small_reference, out, "Events", "d=bits:30")
    result.assert_exact_set_changed("d")
    assert result.branches["x"].changed == 0
    assert "Error" not in output, output


def test_bits_above_a_floats_mantissa_keep_the_floats_and_round_the_doubles(baler, small_reference, tmp_path):
    """One rule for float and double branches, `bits:30`: each basket of x/F was refused by the
    codec ("cannot compress basket with bits:30"), an error per basket, and stored uncompressed."""
    out = tmp_path / "small.root"
    output = run_macro("small_tree", out, "Events", SMALL_ENTRIES, env=preload_env("Events/*=bits:30"))
    assert "Error" not in output, output
    result = compare_trees(small_reference, out, "Events", "d=bits:30")
    result.assert_exact_set_changed("d")
    assert result.branches["x"].changed == 0 and result.branches["x"].bad == 0, result.output
    codec = {row["branch"]: row for row in json.loads(run_baler(baler, "inspect", out, "--json").stdout)["branches"]}
    assert codec["x"]["codec"] == "baler lossless" and codec["x"]["compressed"] < codec["x"]["uncompressed"], codec["x"]


def test_policy_rule_that_matches_nothing_is_reported(tmp_path):
    output = run_macro("small_tree", tmp_path / "small.root", "Events", 100,
                       env=preload_env("Nope/*=bits:4, Events/d=bits:30"))
    assert "Baler" in output and "Nope/*=bits:4" in output, output


@pytest.mark.parametrize("policy, message, specs, changed", [
    # A rule for the Int_t branch alone (every spec stores it exactly) was silent, where SetCodec
    # warns of the same choice and `baler compress --policy` reports it (a macro-writer's sweep).
    ("Events/n=rel:1e-3,Events/[nx]=bits:8", 'BALER_POLICY rule "Events/n=rel:1e-3" matched only branches with no '
     "float or double value, which Baler stores exactly whatever the spec", "x=bits:8", ("x",)),
    # bits:24 to bits:52 round doubles and keep every bit of a float: a rule that applied only to
    # floats stored them exactly, and only `baler compress --policy` said so (policy sweep).
    ("Events/x=bits:24,Events/[dn]=bits:30", 'BALER_POLICY rule "Events/x=bits:24" stored its branches exactly: '
     "they hold floats, and bits:24 keeps every bit of a float", "x=lossless,d=bits:30", ("d",)),
])
def test_a_policy_rule_that_rounds_no_value_says_so(small_reference, tmp_path, policy, message, specs, changed):
    """A rule that coded no value lossy is named, with the reason; the rule that matches a branch
    it rounds too is used and not named."""
    out = tmp_path / "small.root"
    output = run_macro("small_tree", out, "Events", SMALL_ENTRIES, env=preload_env(policy))
    assert message in output, output
    assert policy.split(",")[1] not in output, output
    compare_trees(small_reference, out, "Events", specs).assert_exact_set_changed(*changed)


def test_a_policy_rule_over_an_empty_tree_says_its_branches_wrote_nothing(tmp_path):
    """A rule is used when a basket is written under it, and an empty tree's branches write none:
    the warning said the rule "matched no branch written by this process", whose branch was there."""
    path = tmp_path / "empty.root"
    proc = run_command(["root.exe", "-l", "-b", "-q", "-e",
                        f'TFile f("{path}", "RECREATE"); TTree t("empty", ""); float x = 1; t.Branch("x", &x, "x/F"); '
                        'TTree u("full", ""); u.Branch("x", &x, "x/F"); for (int i = 0; i < 10; ++i) u.Fill(); '
                        "t.Write(); u.Write(); f.Close();", "-e", "0"],  # 0: the exit status
                       env=preload_env("empty/x=bits:8,full/x=bits:8"))
    assert 'rule "empty/x=bits:8" matched no branch that this process wrote a basket of (none of its names, or ' \
           "only branches without entries, as an empty tree's)" in proc.stderr, proc.stdout + proc.stderr


def test_hadd_of_baler_files_written_with_different_specs(shared_data, baler, hzz_bits10, tmp_path):
    """Two Baler files of the same tree, bits:10 and bits:5, merged by `hadd -fk`: each half keeps
    its own baskets byte for byte, and every entry reads back within its file's bound."""
    hadd = shutil.which("hadd")
    bits5 = tmp_path / "hzz_bits5.root"
    run_baler(baler, "compress", hzz(shared_data), bits5, "--codec", "bits:5")
    merged, reference = tmp_path / "merged.root", tmp_path / "reference.root"
    run_command([hadd, "-fk", merged, hzz_bits10[0], bits5])
    run_command([hadd, "-fk", reference, hzz(shared_data), hzz(shared_data)])
    first, second, both = (baskets_by_branch(p) for p in (hzz_bits10[0], bits5, merged))
    assert both.keys() == first.keys() and all(both[b] == first[b] + second[b] for b in both)
    # bits:5's bound covers both halves; the bytes above say which half has which spec
    result = compare_trees(reference, merged, "events", f"*=rel:{2.0 ** -6!r}")
    assert result.entries == 2 * 2421 and result.total.bad == 0, result.output
    assert result.branches["Jet_Px"].changed > 0


def baskets_by_branch(path) -> dict:
    """{branch: [NBYTES MD5 of each basket, in order]} (basket_bytes.C)."""
    baskets = {}
    for line in basket_bytes(path):
        name, contents = line.split(" ", 1)
        baskets.setdefault(name, []).append(contents.split(": ", 1)[1])
    return baskets
