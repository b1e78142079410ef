"""Issue 4, item 3: compression on IMT worker threads, parallel and cached reading."""
import pytest

from conftest import macro_value, run_macro

BITS10_BOUND = 2.0 ** -11


def test_imt_write_and_concurrent_reads(tmp_path):
    reference, baler = tmp_path / "reference.root", tmp_path / "baler_imt.root"
    output = run_macro("concurrency_write", reference, baler, 20000)
    assert macro_value(output, "concurrency_write") == [1]
    # Written on worker threads: every float within bits:10's bound, everything else exact.
    compared = run_macro("compare_trees", reference, baler, "Events", f"x*={BITS10_BOUND}")
    entries, values, differences, changed = macro_value(compared, "compare_trees")
    assert entries == 20000 and differences == 0 and changed > values / 2
    # Single-threaded, IMT + TTreeCache, and 4 threads on one file all decode the same values.
    plain, imt_cached, threaded = macro_value(run_macro("concurrency_read", baler), "concurrency_read")
    assert plain == pytest.approx(imt_cached, rel=1e-12) and plain == pytest.approx(threaded, rel=1e-12)
    assert abs(plain) < 1e299
