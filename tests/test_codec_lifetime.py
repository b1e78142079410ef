"""Issue 14: a codec chosen with Baler::SetCodec lives exactly as long as its branch.

A program that writes a file per iteration and calls SetCodec on the first tree only must write every
later tree (same tree name, same branch name, and usually the same addresses, since the allocator hands
the freed memory back) with that file's own ZSTD setting, bit for bit."""
import pytest

from conftest import compare_trees, macro_value, run_command, run_macro

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


WRITE_READ_WRITE = """
#include "Baler/Baler.h"
void write_one(const char *path) {{
   TFile f(path, "RECREATE");
   f.SetCompressionSettings(Baler::Settings(10));
   TTree t("P", "");
   float x;
   t.Branch("x", &x, "x/F");
   for (int k = 0; k < 1000; ++k) {{ x = k * 0.1f; t.Fill(); }}
   t.Write();
}}
int write_read_write() {{
   write_one("{first}");
   {{ TFile f("{first}"); f.Get<TTree>("P")->GetEntry(0); }}
   write_one("{second}");
   return 0;
}}
"""


def test_a_baler_file_written_after_one_was_read_in_the_same_process(tmp_path):
    """Opening a Baler file makes ROOT take the marker class's StreamerInfo record from the file in
    place of the plugin's own: the write hook kept a pointer to the first, and the next basket
    written crashed the process and lost its file (a size sweep; also three RDataFrame Snapshots
    under BALER_POLICY)."""
    first, second = tmp_path / "first.root", tmp_path / "second.root"
    macro = tmp_path / "write_read_write.C"
    macro.write_text(WRITE_READ_WRITE.format(first=first, second=second))
    run_command(["root.exe", "-l", "-b", "-q", macro])
    compare_trees(first, second, "P").assert_exact_set_changed()
