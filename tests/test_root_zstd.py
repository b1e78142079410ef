"""The plugin's ZSTD (root-plugin/src/RootZstd.h): with libBalerROOT loaded, ROOT's ZSTD blocks are
unzipped, and the ZSTD that Baler's code asks for is zipped, through zstd contexts kept per thread
instead of ROOT's one per block. What a user sees must not change: the blocks written are ROOT's
own bytes, and every basket, intact or damaged, reads as ROOT alone reads it."""
import sys

import pytest
import uproot

from conftest import BALER_LOSSLESS, ZSTD_505, basket_block, env_without_plugin, run_command

# Writes, for each (path, setting) pair, a histogram key and a tree of Int_t values that repeat
# every 97 entries (zstd's matches beat Baler's lossless integer coding on them, so a Baler file
# keeps ROOT's ZSTD block for their baskets).
WRITE = """
import array, sys, ROOT
assert ROOT.gSystem.Load("libBalerROOT") >= 0
for path, setting in zip(sys.argv[1::2], sys.argv[2::2]):
    f = ROOT.TFile(path, "RECREATE", "", int(setting))
    h = ROOT.TH1D("h", "a histogram", 5000, 0, 1)
    for i in range(20000):
        h.Fill((i * 7919 % 10007) / 10007)
    h.Write()
    t = ROOT.TTree("t", "t")
    n = array.array("i", [0])
    t.Branch("n", n, "n/I")
    pattern = [i * 2654435761 % 1000003 for i in range(97)]
    for i in range(30000):
        n[0] = pattern[i % 97]
        t.Fill()
    t.Write()
    f.Close()
"""

# Every entry of the tree, as "entry value" or "entry failed", with or without the plugin loaded.
READ = """
import sys, ROOT
if sys.argv[2] == "plugin":
    assert ROOT.gSystem.Load("libBalerROOT") >= 0
f = ROOT.TFile.Open(sys.argv[1])
t = f.Get("t")
for i in range(t.GetEntries()):
    print(i, "failed" if t.GetEntry(i) < 0 else t.n)
print("loaded", any("libBalerROOT" in lib for lib in str(ROOT.gSystem.GetLibraries()).split()))
"""


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """{"baler": a file at Baler's lossless setting, "zstd": the same objects at ZSTD-505}, both
    written in one process with the plugin loaded."""
    folder = tmp_path_factory.mktemp("root_zstd")
    paths = {"baler": folder / "baler.root", "zstd": folder / "zstd.root"}
    run_command([sys.executable, "-c", WRITE, paths["baler"], BALER_LOSSLESS, paths["zstd"], ZSTD_505])
    return paths


def stored_blocks(path) -> dict:
    """{"h": the histogram key's stored payload, "n": [the payload of each basket of branch n]}."""
    data = path.read_bytes()
    file = uproot.open(path)
    key = file.key("h")
    stored = {"h": data[key.data_cursor.index:key.fSeekKey + key.fNbytes]}
    branch = file["t"]["n"]
    stored["n"] = []
    for seek, size in zip(branch.member("fBasketSeek")[:branch.num_baskets],
                          branch.member("fBasketBytes")[:branch.num_baskets]):
        stored["n"].append(data[basket_block(data, seek):seek + size])
    return stored


def test_zstd_blocks_written_through_the_plugin_are_roots_bytes(written):
    """A key of a Baler file (zipped by the plugin's ZSTD-505) and the baskets whose ZSTD block beat
    Baler's are byte for byte the blocks ROOT's own ZSTD-505 wrote for the same objects."""
    baler, zstd = stored_blocks(written["baler"]), stored_blocks(written["zstd"])
    assert baler["h"][:3] == b"ZS\x01" and len(baler["h"]) < 20000, baler["h"][:9]
    assert baler["h"] == zstd["h"]
    assert len(baler["n"]) == len(zstd["n"]) > 1
    for ours, roots in zip(baler["n"], zstd["n"]):
        assert ours[:3] == b"ZS\x01", ours[:9]
        assert ours == roots


def entries_read(path, plugin: bool):
    """(the READ lines of every entry, all output) of a process with or without the plugin."""
    env = None if plugin else env_without_plugin()
    proc = run_command([sys.executable, "-c", READ, path, "plugin" if plugin else "none"], env=env)
    output = proc.stdout + proc.stderr
    assert f"loaded {plugin}" in proc.stdout, output
    return [line for line in proc.stdout.splitlines() if line[:1].isdigit()], output


def test_zstd_baskets_read_with_the_plugin_as_root_reads_them(written, tmp_path):
    """An intact ZSTD file reads the same with the plugin loaded as without it; a basket whose zstd
    frame is damaged fails the same entries with ROOT's own message (the plugin hands every
    frame it cannot decode back to ROOT), and the other baskets read."""
    intact = written["zstd"]
    data = bytearray(intact.read_bytes())
    branch = uproot.open(intact)["t"]["n"]
    seek = int(branch.member("fBasketSeek")[1])
    block = basket_block(data, seek)
    assert data[block:block + 3] == b"ZS\x01" and data[block + 9:block + 13] == b"\x28\xb5\x2f\xfd"
    data[block + 9] ^= 0xff  # zstd's frame magic
    damaged = tmp_path / "damaged.root"
    damaged.write_bytes(bytes(data))

    lines, _ = entries_read(intact, plugin=True)
    assert len(lines) == 30000 and "failed" not in " ".join(lines)
    assert lines == entries_read(intact, plugin=False)[0]

    ours, our_output = entries_read(damaged, plugin=True)
    roots, root_output = entries_read(damaged, plugin=False)
    assert ours == roots
    failed = [line for line in ours if line.endswith("failed")]
    first, end = branch.basket_entry_start_stop(1)
    assert failed == [f"{i} failed" for i in range(first, end)]
    assert ours[:first] == lines[:first] and ours[end:] == lines[end:]
    assert "Error in unzip ZSTD" in our_output and "Error in unzip ZSTD" in root_output, our_output
