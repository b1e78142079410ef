"""Two libraries: libBalerROOT, which every process reading or writing a Baler file loads, carries
only what coding and decoding need; the command line's ROOT I/O (rewriter, inspector, sample
generator, CommandApi.h) is libBalerROOTTools, which only `baler` loads. And a reader without
libBalerROOT on its library path is told which library is missing and what to set."""
import re
import shutil

from conftest import BUILD_LIB, baler, env_without_plugin, run_baler, run_command  # noqa: F401 (baler: a fixture)
from test_cli import sample  # noqa: F401 (a fixture)

PLUGIN = BUILD_LIB / "libBalerROOT.so"
TOOLS = BUILD_LIB / "libBalerROOTTools.so"
COMMAND_API = {"baler_command_api_version", "baler_compress_file", "baler_export_file", "baler_inspect_file",
               "baler_generate_sample"}


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


def read_first_entry(path, env=None) -> list:
    """The lines ROOT prints when a plain root.exe opens `path` and reads its first entry."""
    code = f'TFile f("{path}"); f.Get<TTree>("Events")->GetEntry(0);'
    proc = run_command(["root.exe", "-l", "-b", "-q", "-e", code], env=env, check=False)
    return [l for l in (proc.stdout + proc.stderr).splitlines() if l.strip()]


def test_reading_without_the_plugin_names_the_library_and_the_variable_first(baler, sample, tmp_path):
    path = tmp_path / "baler.root"
    run_baler(baler, "compress", sample, path)
    assert not any("no dictionary" in line for line in read_first_entry(path))
    # Without the plugin: the first lines, before the first basket fails, say what to do.
    assert read_first_entry(path, env_without_plugin())[:2] == [
        "Warning in <TClass::Init>: no dictionary for class Baler::Requires_libBalerROOT is available",
        "Warning in <TClass::Init>: no dictionary for class Baler::Add_the_folder_of_libBalerROOT_so_to_LD_LIBRARY_PATH "
        "is available",
    ]


def test_baler_without_its_library_names_it_and_the_fixes(baler, sample, tmp_path):
    """The command itself, copied away from its ../lib and with neither BALER_LIB nor the build's
    library folder set: one error naming the library and where it is looked for, no crash."""
    lonely = tmp_path / "bin" / "baler"
    lonely.parent.mkdir()
    shutil.copy(baler, lonely)
    env = {key: value for key, value in env_without_plugin().items() if key != "BALER_LIB"}
    proc = run_command([lonely, "inspect", sample], env=env, check=False)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("baler: error: ")]
    assert proc.returncode == 1 and len(errors) == 1, proc.stderr
    assert errors[0].startswith("baler: error: cannot load libBalerROOTTools.so (set BALER_LIB, put it in ../lib "
                                "next to `baler`, or source build/env.sh)"), errors
    assert "cannot open shared object file" in errors[0], errors  # the loader's reason, not only "dlopen failed"
