"""`baler compress` never loses or changes an existing file: OUT is written under a temporary name
in its own folder and renamed only on success; an OUT that is a folder or the input itself is refused."""
import os
import pathlib
import shutil

import pytest

from test_cli import baler, run_baler, sample  # noqa: F401 (pytest fixtures)


def snapshot(folder: pathlib.Path) -> dict:
    """{name: bytes} of every file in `folder`: what a failed run must leave exactly as it was."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def corrupted_copy(source: pathlib.Path, target: pathlib.Path) -> pathlib.Path:
    """A copy of `source` whose middle third is overwritten: the header and the keys list at the end
    are intact, so ROOT opens it and fails only when it reads the baskets."""
    data = bytearray(source.read_bytes())
    third = len(data) // 3
    data[third:2 * third] = bytes((i * 151 + 7) % 256 for i in range(third))
    target.write_bytes(bytes(data))
    return target


def truncated_copy(source: pathlib.Path, target: pathlib.Path) -> pathlib.Path:
    target.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    return target


FAILURES = {
    "no such tree": lambda sample, folder: [sample, "--tree", "Nope"],
    "corrupt input": lambda sample, folder: [corrupted_copy(sample, folder / "corrupt.root")],
    "truncated input": lambda sample, folder: [truncated_copy(sample, folder / "truncated.root")],
    "missing input": lambda sample, folder: [folder / "missing.root"],
    "bad codec": lambda sample, folder: [sample, "--codec", "rel:7"],
}


@pytest.mark.parametrize("failure", FAILURES)
def test_failed_compress_leaves_existing_output_byte_identical(baler, sample, tmp_path, failure):
    keep = tmp_path / "keep.root"
    shutil.copyfile(sample, keep)
    args = FAILURES[failure](sample, tmp_path)
    before = snapshot(tmp_path)
    proc = run_baler(baler, "compress", args[0], keep, *args[1:], check=False)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    lines = [l for l in proc.stderr.splitlines() if l.startswith("baler: error: ")]
    assert len(lines) == 1, proc.stderr
    # Nothing changed, nothing removed, no temporary file left behind.
    assert snapshot(tmp_path) == before


def test_successful_compress_replaces_existing_output_and_leaves_no_temporary(baler, sample, tmp_path):
    out = tmp_path / "out.root"
    out.write_bytes(b"an older file at the output path\n")
    run_baler(baler, "compress", sample, out, "--codec", "lossless")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.root"]
    assert out.read_bytes()[:4] == b"root"


def output_aliases(input_path: pathlib.Path) -> dict:
    """Other names for the input file: the same path spelt differently, a symbolic and a hard link."""
    folder = input_path.parent
    (folder / "sub").mkdir()
    os.symlink(input_path, folder / "symlink.root")
    os.link(input_path, folder / "hardlink.root")
    return {
        "same path": input_path,
        "spelt differently": folder / "sub" / ".." / input_path.name,
        "symbolic link": folder / "symlink.root",
        "hard link": folder / "hardlink.root",
    }


@pytest.mark.parametrize("alias", ["same path", "spelt differently", "symbolic link", "hard link"])
def test_output_that_is_the_input_is_refused(baler, sample, tmp_path, alias):
    data = tmp_path / "data"
    data.mkdir()
    input_path = data / "input.root"
    shutil.copyfile(sample, input_path)
    out = output_aliases(input_path)[alias]
    before = snapshot(data)
    proc = run_baler(baler, "compress", input_path, out, check=False)
    assert proc.returncode != 0, proc.stdout
    assert proc.stderr.count("\n") == 1 and "is the input file" in proc.stderr, proc.stderr
    assert snapshot(data) == before
    assert os.path.samefile(data / "hardlink.root", input_path)


@pytest.mark.parametrize("content", [[], ["inside.txt"]], ids=["empty", "not empty"])
def test_output_that_is_a_folder_is_refused(baler, sample, tmp_path, content):
    folder = tmp_path / "out.root"
    folder.mkdir()
    for name in content:
        (folder / name).write_text("kept\n")
    proc = run_baler(baler, "compress", sample, folder, check=False)
    assert proc.returncode != 0, proc.stdout
    assert proc.stderr.count("\n") == 1 and "is a directory" in proc.stderr, proc.stderr
    assert folder.is_dir() and sorted(p.name for p in folder.iterdir()) == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.root"]
