"""Issue 4, item 3 and issue 14: compression on IMT worker threads, writers in parallel threads,
parallel and cached reading. Values are compared entry by entry (compare_trees.C, or in
concurrency_read.C position by position), so swapped or lost entries fail."""
import os

import pytest

from conftest import compare_trees, macro_value, run_macro

THREADS = 4
WRITERS = 8
# ROOT caps IMT's pool at the CPUs the process may use (2 on the development machine).
IMT_POOL = min(THREADS, len(os.sched_getaffinity(0)))


@pytest.fixture(scope="module")
def imt_files(tmp_path_factory):
    """A ZSTD reference and the same tree written with Baler bits:10 under IMT (THREADS threads)."""
    out = tmp_path_factory.mktemp("imt")
    reference, baler = out / "reference.root", out / "baler_imt.root"
    pool, blocks_off_main = macro_value(run_macro("concurrency_write", reference, baler, 20000, THREADS),
                                        "concurrency_write")
    return reference, baler, pool, blocks_off_main


def test_imt_compresses_on_worker_threads_and_keeps_every_entry(imt_files):
    reference, baler, pool, blocks_off_main = imt_files
    assert pool == IMT_POOL
    # the plugin counted Baler blocks compressed on threads other than the main one
    assert blocks_off_main > 0
    result = compare_trees(reference, baler, "Events", "x*=bits:10")
    assert result.entries == 20000
    result.assert_exact_set_changed(*[f"x{b}" for b in range(8)])
    assert result.branches["n"].changed == 0


def test_parallel_unzip_and_threads_read_the_same_values_in_the_same_order(imt_files):
    _, baler, _, _ = imt_files
    values, imt_mismatches, thread_mismatches, unzipped = macro_value(run_macro("concurrency_read", baler, THREADS),
                                                                       "concurrency_read")
    assert values > 1_000_000
    assert imt_mismatches == 0 and thread_mismatches == 0
    assert unzipped > 0, "TTreeCacheUnzip did not unzip any basket: parallel unzip was not exercised"


def test_eight_writer_threads_each_with_its_own_file_and_codec(tmp_path):
    """Each thread's codec reaches its own tree and no other: x of writer I is bits:(3+I), chosen by
    SetCodec (even I) or BALER_POLICY (odd I); y, chosen by nobody, is exact everywhere."""
    policy = ",".join(f"t{i}/x=bits:{3 + i}" for i in range(1, WRITERS, 2))
    run_macro("concurrency_writers", tmp_path / "reference_", WRITERS, 1)
    run_macro("concurrency_writers", tmp_path / "baler_", WRITERS, 0, env=dict(os.environ, BALER_POLICY=policy))
    for i in range(WRITERS):
        result = compare_trees(tmp_path / f"reference_{i}.root", tmp_path / f"baler_{i}.root", f"t{i}",
                               f"x=bits:{3 + i}")
        assert result.entries == 20000
        result.assert_exact_set_changed("x")
        assert result.branches["y"].changed == 0, result.output
