"""Issue 12, deliverable 1: basket layouts for std::vector<std::vector<float|double>>.

nested_trees.C writes every form ROOT gives such a branch (top level split 99 and 0, as ATLAS's
xAOD AuxDyn branches are; a member of a split class; a member of the objects of a split
TClonesArray), with empty outer and inner vectors, special values, entries larger than a basket
and many baskets; once uncompressed (the reference) and once per spec. nested_check.C reads both
back and judges every float and double with baler_bounds.h: within the bound, and under bits:N
exactly the values with more than N mantissa bits changed, so a file whose nested vectors were
stored raw fails. Every size and int must come back bit for bit.
"""
import pytest

from conftest import branch_tallies, macro_value, run_macro

ENTRIES = 1500
BASKET_SIZE = 4000
LOSSY_SPECS = ["bits:10", "rel:1e-3", "abs:1e-3"]
# Branches (and members) of float or double values; "tc.vf" is a plain vector<float> member of
# the TClonesArray's objects, which the same layout describes.
FLOAT_BRANCHES = ["vvf", "vvf0", "vvd", "ev.cov", "ev.covd", "tc.cov", "tc.vf", "ev.x", "tc.pt"]
NESTED_BRANCHES = ["vvf", "vvf0", "vvd", "ev.cov", "ev.covd", "ev.ids", "tc.cov"]
# Values that every spec must keep bit for bit: ints, object counts, and every size of every vector.
EXACT_TALLIES = (["ev.ids", "tc", "tc.vf.size"] +
                 [f"{name}.{part}" for name in NESTED_BRANCHES for part in ["outer", "size"]])


def zip_bytes(output: str) -> dict:
    """{branch: (bytes on disk, baskets)} of the test file's float branches."""
    found = {}
    for line in output.splitlines():
        if line.startswith("nested_check bytes "):
            name, numbers = line[len("nested_check bytes "):].split(": ")
            found[name] = tuple(int(x) for x in numbers.split())
    return found


def write(path, spec, source=""):
    output = run_macro("nested_trees", path, spec, ENTRIES, BASKET_SIZE, source)
    assert f"nested_trees: {ENTRIES} entries" in output, output
    return path


def check(ref, test, spec):
    """Runs nested_check; asserts it found no bad value; returns its output."""
    output = run_macro("nested_check", ref, test, spec, check=False)
    entries, values, bad = macro_value(output, "nested_check")
    assert entries == ENTRIES and values > 500_000 and bad == 0, output
    found = branch_tallies(output, "nested_check")
    for name in EXACT_TALLIES:
        assert found[name].values > 0 and found[name].changed == 0, f"{name} changed\n{output}"
    return output


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    out = tmp_path_factory.mktemp("nested")
    return {"reference": write(out / "reference.root", "none"), "lossless": write(out / "lossless.root", "lossless"),
            "dir": out}


@pytest.fixture(scope="module")
def lossless_bytes(files):
    return zip_bytes(check(files["reference"], files["lossless"], "lossless"))


def test_lossless_is_bit_exact(files, lossless_bytes):
    output = check(files["reference"], files["lossless"], "lossless")
    assert all(t.changed == 0 for t in branch_tallies(output, "nested_check").values()), output
    # Many baskets, so that entries start in every position of a basket and some entries are
    # larger than the basket size.
    assert all(baskets >= 10 for _, baskets in lossless_bytes.values()), lossless_bytes


@pytest.mark.parametrize("spec", LOSSY_SPECS)
def test_spec_bound_and_exactly_the_predicted_changes(spec, files, lossless_bytes):
    lossy = write(files["dir"] / f"{spec.replace(':', '_')}.root", spec)
    output = check(files["reference"], lossy, spec)
    found = branch_tallies(output, "nested_check")
    for name in FLOAT_BRANCHES:
        tally = found[name]
        assert tally.values > 1000, output
        if spec.startswith("bits:"):
            assert tally.must > 0.75 * tally.values and tally.exact_set_changed, f"{name}: {tally}\n{output}"
        else:
            # Most values move: all but the non-finite, zeros, subnormals and (abs) the values
            # whose float spacing is coarser than the step.
            assert tally.changed > tally.values // 2, f"{name}: {tally}\n{output}"
    sizes = zip_bytes(output)
    for name, (size, _) in sizes.items():
        assert size < 0.9 * lossless_bytes[name][0], f"{name}: {size} bytes, lossless {lossless_bytes[name][0]}"


@pytest.mark.parametrize("spec", LOSSY_SPECS)
def test_values_a_spec_produced_are_kept_exactly(spec, files):
    """Writing the decoded values again with the same spec changes none of them: the values a
    spec can represent are stored bit for bit."""
    once = files["dir"] / f"once_{spec.replace(':', '_')}.root"
    twice = files["dir"] / f"twice_{spec.replace(':', '_')}.root"
    write(once, spec)
    write(twice, spec, source=once)
    output = check(once, twice, "lossless")
    assert all(t.changed == 0 for t in branch_tallies(output, "nested_check").values()), output


@pytest.mark.parametrize("lie", ["inner-size", "inner-short", "byte-count", "no-mask", "memberwise"])
def test_basket_whose_headers_lie_is_stored_raw(lie, tmp_path):
    """A nested-vector basket with one inconsistent header: the whole basket is stored as raw
    bytes (identical to the uncompressed file after decoding), not coded as floats."""
    def same_bytes(kind):
        ref, baler = tmp_path / f"{kind}_ref.root", tmp_path / f"{kind}_bits.root"
        run_macro("nested_hostile", ref, "none", kind)
        run_macro("nested_hostile", baler, "bits:10", kind)
        output = run_macro("nested_hostile_bytes", ref, baler)
        return "nested_hostile: SAME" in output

    assert not same_bytes("none"), "control: an honest basket must be coded lossily"
    assert same_bytes(lie)


# xAOD AuxDyn branches of the ATLAS files: top-level std::vector<std::vector<float>>, split 0.
ATLAS_BRANCHES = {
    "PHYSLITE_example.root": ["InDetTrackParticlesAuxDyn.definingParametersCovMatrixDiag",
                              "InDetTrackParticlesAuxDyn.definingParametersCovMatrixOffDiag",
                              "AnalysisJetsAuxDyn.EnergyPerSampling", "egammaClustersAuxDyn.e_sampl"],
    "uproot-issue-123b.root": ["InDetTrackParticlesAuxDyn.definingParametersCovMatrix", "egammaClustersAuxDyn.e_sampl"],
}


def copied_bytes(output: str) -> dict:
    """{branch: bytes on disk} from nested_atlas_copy's per-branch lines."""
    found = {}
    for line in output.splitlines():
        if line.startswith("nested_atlas_copy ") and ": " in line:
            name, numbers = line[len("nested_atlas_copy "):].split(": ")
            found[name] = int(numbers.split()[0])
    return found


@pytest.mark.parametrize("file_name", sorted(ATLAS_BRANCHES))
def test_atlas_auxdyn_branches(file_name, shared_data, tmp_path):
    """The ATLAS covariance matrices and sampling energies, copied entry by entry with lossless
    and bits:10: lossless bit for bit, bits:10 exactly the predicted values (most covariance
    elements change) in far fewer bytes, every size equal."""
    source = shared_data / "atlas" / file_name
    assert source.exists(), f"{source} is missing"
    branches = ",".join(ATLAS_BRANCHES[file_name])
    sizes = {}
    for spec in ["lossless", "bits:10"]:
        copy = tmp_path / f"{spec.replace(':', '_')}.root"
        sizes[spec] = copied_bytes(run_macro("nested_atlas_copy", source, copy, spec, branches))
        output = run_macro("nested_atlas_check", source, copy, spec, branches, check=False)
        entries, values, bad = macro_value(output, "nested_check")
        assert entries == 100 and values > 5000 and bad == 0, output
        for name in ATLAS_BRANCHES[file_name]:
            tally = branch_tallies(output, "nested_check")[name]
            assert tally.values > 300, output
            if spec == "lossless":
                assert tally.changed == 0, output
            else:
                assert tally.exact_set_changed, output
                if "CovMatrix" in name:
                    assert tally.must > 0.9 * tally.values, output
    for name in ATLAS_BRANCHES[file_name]:
        assert sizes["bits:10"][name] < 0.8 * sizes["lossless"][name], sizes
