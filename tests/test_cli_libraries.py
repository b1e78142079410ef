"""Two libraries: libBalerROOT, which every process reading or writing a Baler file loads, carries
only what coding and decoding need; the command line's ROOT I/O (rewriter, inspector, sample
generator, CommandApi.h) is libBalerROOTTools, which only `baler` loads."""
import re

from conftest import BUILD_LIB, run_command

PLUGIN = BUILD_LIB / "libBalerROOT.so"
TOOLS = BUILD_LIB / "libBalerROOTTools.so"
COMMAND_API = {"baler_command_api_version", "baler_compress_file", "baler_inspect_file", "baler_generate_sample"}


def loads(library) -> set:
    """The file names of every library that loading `library` brings into a process (ldd)."""
    output = run_command(["ldd", library]).stdout
    return set(re.findall(r"^\s*(\S+\.so[.\d]*)", output, re.M))


def exports(library) -> set:
    return set(run_command(["nm", "-D", "--defined-only", "--format=just-symbols", library]).stdout.split())


def test_plugin_loads_nothing_beyond_what_decoding_needs():
    loaded = loads(PLUGIN)
    assert "libTree.so" in loaded, loaded
    assert not loaded & {"libHist.so", "libBalerROOTTools.so", "libGpad.so", "libGraf.so"}, loaded
    assert not exports(PLUGIN) & COMMAND_API


def test_command_line_library_holds_the_command_api_on_top_of_the_plugin():
    assert COMMAND_API <= exports(TOOLS)
    assert "libBalerROOT.so" in loads(TOOLS)
    # It codes through the plugin and carries no codec of its own.
    assert TOOLS.stat().st_size < PLUGIN.stat().st_size / 4
