"""Issue 12 target: sentinel values come back exactly. Physics files mark "not computed" with
values such as -3000 or -999 (NanoAOD's Jet_btagDeepFlavB is -3000 throughout the 2015 open data;
PHYSLITE's jet substructure has -999), and an analysis cuts on `x == -999`. bits:7 alone would
return -3000 as -3008 and -999 as -1000 (within the bound, but no longer the sentinel): a branch
written through ROOT with bits:7 must read back the sentinels == themselves, through ROOT and
through uproot, every other value rounded to 7 bits within the bound (docs/format.md, sentinel
table)."""
import numpy as np
import uproot

import baler_root  # noqa: F401 (teaches uproot to decode Baler blocks)
from bounds import Spec, within_spec
from conftest import run_baler, run_python

BITS7 = Spec.parse("bits:7")


def columns(entries: int):
    """x (float32), d (float64) and v (a vector of float32, 3 per entry): ordinary values, -3000 in
    1 of 10 and -999 in 1 of 17 (positions that differ between the columns)."""
    rng = np.random.default_rng(12)
    x = rng.normal(50.0, 20.0, entries).astype(np.float32)
    d = rng.normal(-7.0, 3.0, entries)
    v = rng.exponential(30.0, (entries, 3)).astype(np.float32)
    for column, shift in [(x, 0), (d, 3), (v.reshape(-1), 5)]:
        column[shift::10] = -3000.0
        column[shift + 1::17] = -999.0
    return {"x": x, "d": d, "v": v}


def check(name, original, read):
    original, read = np.asarray(original).reshape(-1), np.asarray(read).reshape(-1)
    assert original.shape == read.shape and original.dtype == read.dtype, name
    sentinel = (original == -3000.0) | (original == -999.0)
    assert sentinel.sum() > original.size // 10, name
    assert np.array_equal(read[sentinel], original[sentinel]), \
        f"{name}: sentinels read back as {sorted(set(read[sentinel][read[sentinel] != original[sentinel]].tolist()))}"
    assert within_spec(BITS7, original, read).all(), name
    # every other value rounded: at most 7 mantissa bits, so the branch was not stored raw
    mantissa = 23 if original.dtype == np.float32 else 52
    unsigned = np.uint32 if original.dtype == np.float32 else np.uint64
    low = read[~sentinel].view(unsigned) & unsigned((1 << (mantissa - 7)) - 1)
    assert not low.any(), f"{name}: values left unrounded"


def test_sentinels_read_back_exactly_at_bits7(baler, tmp_path):
    data = columns(20000)
    plain, out = tmp_path / "plain.root", tmp_path / "bits7.root"
    with uproot.recreate(plain) as f:  # a TTree (a plain assignment writes an RNTuple)
        f.mktree("t", {name: np.dtype((a.dtype, a.shape[1:])) for name, a in data.items()})
        f["t"].extend(data)
    run_baler(baler, "compress", plain, out, "--codec", "bits:7")
    # ROOT, through the plugin (RDataFrame reads the vector column as RVec<float>)
    run_python(f"""
import numpy as np, ROOT
arrays = ROOT.RDataFrame("t", "{out}").AsNumpy(["x", "d", "v"])
np.save("{tmp_path / 'x.npy'}", arrays["x"])
np.save("{tmp_path / 'd.npy'}", arrays["d"])
np.save("{tmp_path / 'v.npy'}", np.stack([np.asarray(row) for row in arrays["v"]]))
""")
    for name in data:
        check(f"ROOT {name}", data[name], np.load(tmp_path / f"{name}.npy"))
    # uproot, through baler_root
    arrays = uproot.open(out)["t"].arrays(library="np")
    for name in data:
        check(f"uproot {name}", data[name], np.stack(arrays[name]) if name == "v" else arrays[name])
    # the file is Baler's: the codec is bits:7 on every float branch
    proc = run_baler(baler, "inspect", out)
    for name in data:
        assert any(line.startswith(f"t/{name}") and "bits:7" in line for line in proc.stdout.splitlines()), proc.stdout
