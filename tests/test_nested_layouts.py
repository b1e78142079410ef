"""Issue 12, deliverable 1: basket layouts for std::vector<std::vector<float|double>>.

nested_trees.C writes every form ROOT gives such a branch (top level split 99 and 0, as ATLAS's
xAOD AuxDyn branches are; a member of a split class; a member of the objects of a split
TClonesArray), with empty outer and inner vectors, special values, entries larger than a basket
and many baskets; once uncompressed (the reference) and once per spec. nested_check.C reads both
back and predicts, under bits and abs, the exact value the codec must return for every float and
double: so the set of values that change is exactly the predicted one, and a file whose nested
vectors were stored raw fails. Every size and int must come back bit for bit.
"""
import pytest

from conftest import macro_value, run_macro

ENTRIES = 1500
BASKET_SIZE = 4000
LOSSY_SPECS = ["bits:10", "rel:1e-3", "abs:1e-3"]
# Branches (and members) of float or double values; "tc.vf" is a plain vector<float> member of
# the TClonesArray's objects, which the same layout describes.
FLOAT_BRANCHES = ["vvf", "vvf0", "vvd", "ev.cov", "ev.covd", "tc.cov", "tc.vf", "ev.x", "tc.pt"]
# Values that every spec must keep bit for bit: ints, and every size of every vector.
NESTED_BRANCHES = ["vvf", "vvf0", "vvd", "ev.cov", "ev.covd", "ev.ids", "tc.cov"]
EXACT_TALLIES = (["ev.ids", "tc", "tc.vf.size"] +
                 [f"{name}.{part}" for name in NESTED_BRANCHES for part in ["outer", "size"]])


def tallies(output: str) -> dict:
    """{name: (values, codable, changed, bad)} from nested_check's per-branch lines."""
    found = {}
    for line in output.splitlines():
        if line.startswith("nested_check ") and not line.startswith("nested_check bytes"):
            name, numbers = line[len("nested_check "):].split(": ")
            found[name] = tuple(int(x) for x in numbers.split())
    return found


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
    found = tallies(output)
    for name in EXACT_TALLIES:
        assert found[name][0] > 0 and found[name][2] == 0, f"{name} changed\n{output}"
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
    assert all(changed == 0 for _, _, changed, _ in tallies(output).values()), output
    # Many baskets, so that entries start in every position of a basket and some entries are
    # larger than the basket size.
    assert all(baskets >= 10 for _, baskets in lossless_bytes.values()), lossless_bytes


@pytest.mark.parametrize("spec", LOSSY_SPECS)
def test_spec_bound_and_exactly_the_predicted_changes(spec, files, lossless_bytes):
    lossy = write(files["dir"] / f"{spec.replace(':', '_')}.root", spec)
    output = check(files["reference"], lossy, spec)
    found = tallies(output)
    for name in FLOAT_BRANCHES:
        values, codable, changed, _ = found[name]
        assert values > 1000 and codable > 0.8 * values, output
        if spec == "rel:1e-3":
            # No prediction of the levels here: nearly every codable value must have moved.
            assert changed > 0.99 * codable, f"{name}: {changed} of {codable} changed\n{output}"
        else:
            # Exactly the predicted values changed (bad == 0 above); here: they are most of them.
            assert changed > 0.75 * codable, f"{name}: {changed} of {codable} changed\n{output}"
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
    assert all(changed == 0 for _, _, changed, _ in tallies(output).values()), output


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
