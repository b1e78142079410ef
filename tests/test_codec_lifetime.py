"""Issue 14: a codec chosen with Baler::SetCodec lives exactly as long as its branch.

A program that writes a file per iteration and calls SetCodec on the first tree only must write every
later tree (same tree name, same branch name, and usually the same addresses, since the allocator hands
the freed memory back) with that file's own ZSTD setting, bit for bit."""
import pytest

from conftest import macro_value, run_macro

ENTRIES_PER_FILE = 1000


@pytest.mark.parametrize("threads, files_per_thread", [(1, 4), (8, 3)], ids=["one-thread", "eight-threads"])
def test_no_later_tree_inherits_a_codec_from_a_deleted_one(tmp_path, threads, files_per_thread):
    output = run_macro("codec_lifetime", tmp_path, threads, files_per_thread)
    unchanged_with_codec, unchanged_later, values_later = macro_value(output, "codec_lifetime")
    # The first file of each loop really was written with bits:1: not one value survives unrounded.
    assert unchanged_with_codec == 0, output
    # Every later file reads back exactly what was filled.
    assert values_later == threads * (files_per_thread - 1) * ENTRIES_PER_FILE
    assert unchanged_later == values_later, output
