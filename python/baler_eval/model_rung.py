"""The ladder's `ae:` rungs: learned models, written through the plugin.

`ae:BOUND` trains an object model (`baler train --branches 'PREFIX_*'`) for each collection of
float branches sharing a prefix (NanoAOD's Jet_Px, Jet_Py, ...; an xAOD container's
AnalysisJetsAuxDyn.pt, AnalysisJetsAuxDyn.eta, ...: `--branches 'AnalysisJetsAuxDyn.*'`) and uses
it where the trainer measures a gain with the model's own bytes counted; every other float branch
gets BOUND.
`ae:BOUND:MODEL` gives every float branch `ae:BOUND:MODEL`: the plugin codes the model's members
(or rows) with it and every other value per value at BOUND.

These rungs are written by ROOT entry by entry with the plugin (plugin_writer.h), which has the
carriers' decoded values when it writes the members. (They were chosen before `baler compress`
coded members with their context; it now does, with the input's baskets, docs/design.md.)
The same tree is also written that way with BOUND alone, so the models' gain is told apart from
the difference between the two ways of writing a file.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

from .command import run_baler
from .errors import EvalError
from .rootio import cpp_message, inspect_branches, model_key_bytes, root, root_path

_HERE = Path(__file__).resolve().parent

_BOUND = re.compile(r"^(bits|rel|abs):[^:]+$")
_GAIN = re.compile(r"^all rows, model included: ([\d.]+)% (smaller|larger)", re.M)
_PREDICTED = re.compile(r"^  (\S+) +((?:norm of|linear in) .*)$", re.M)


@dataclass
class Rung:
    """One setting of the ladder as written: its label, the bytes of the models the file stores
    (added to each tree's bytes), and what the report says about how it was made."""

    label: str
    model_bytes: int = 0
    notes: list = field(default_factory=list)


def is_model_spec(spec):
    return spec.startswith("ae:")


def parse_model_spec(spec):
    """(BOUND, MODEL or None) of `ae:BOUND` or `ae:BOUND:MODEL`."""
    parts = spec.split(":")
    bound = ":".join(parts[1:3])
    if len(parts) < 3 or not _BOUND.match(bound):
        raise EvalError(f"ladder setting '{spec}': an ae rung is ae:BOUND or ae:BOUND:MODEL, "
                        "with BOUND bits:N, rel:E or abs:E")
    return bound, ":".join(parts[3:]) or None


def collection_glob(name):
    """The glob of the collection a branch belongs to, or None: an xAOD container's attributes are
    CONTAINER.x (AnalysisJetsAuxDyn.pt), NanoAOD's objects' PREFIX_x (Jet_pt)."""
    for separator in (".", "_"):
        if separator in name:
            return name.split(separator, 1)[0] + separator + "*"
    return None


def collections(float_branches):
    """{glob: [branches]} of the float branches that share their collection with another."""
    groups = {}
    for name in float_branches:
        if (glob := collection_glob(name)) is not None:
            groups.setdefault(glob, []).append(name)
    return {glob: names for glob, names in groups.items() if len(names) > 1}


def write_model_rung(original, output, spec, trees, float_branches, folder):
    """Writes `output` for the rung `spec`: the evaluated `trees` of `original`, with
    `float_branches` {tree: [the selected float branches]} coded as the rung says. Returns the Rung."""
    bound, model = parse_model_spec(spec)
    rung = Rung(spec if model is None else f"ae:{bound}:{Path(model).name}")
    codecs = {}
    for tree in trees:
        chosen = {name: bound for name in float_branches[tree]}
        if model is not None:
            chosen.update((name, spec) for name in float_branches[tree])
            rung.notes.append(f"{rung.label}, tree {tree}: the selected float branches with ae:{bound}:{model} (the "
                              f"model's members or rows coded with it, every other value per value at {bound})")
        else:
            groups = collections(float_branches[tree])
            if not groups:
                rung.notes.append(f"{rung.label}, tree {tree}: no collection of float branches (PREFIX_x sharing "
                                  "a prefix, or CONTAINER.x sharing a container) to train an object model for")
            for glob, members in groups.items():
                path = folder / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', tree)}.{glob[:-2]}.balm"
                used, note = train_collection(original, tree, glob, members, bound, path)
                rung.notes.append(f"{rung.label}, tree {tree}: {note}")
                if used:
                    chosen.update((name, f"ae:{bound}:{path}") for name in members)
        codecs[tree] = chosen
    write_through_plugin(original, output, codecs)
    rung.model_bytes = sum(model_key_bytes(output).values())
    if not rung.model_bytes:
        rung.notes.append(f"{rung.label}: no model used; the trees written by ROOT with the plugin, {bound} on every "
                          f"float branch ({_tree_bytes(output, trees)} bytes)")
        return rung
    reference = folder / "model_rung_reference.root"
    write_through_plugin(original, reference, {tree: {name: bound for name in float_branches[tree]} for tree in trees})
    rung.notes.append(f"{rung.label}: written by ROOT with the plugin, {_tree_bytes(output, trees) + rung.model_bytes} "
                      f"bytes with the models' {rung.model_bytes} bytes of keys (each added to the bytes of the tree "
                      f"coded with it in the tables); the same trees written that way with {bound} alone take {_tree_bytes(reference, trees)}")
    return rung


def train_collection(original, tree, glob, members, bound, path):
    """`baler train` of an object model of `members` (the float branches `glob` matches) into
    `path`: (whether the collection takes it, what the report says about it)."""
    what = f"{glob[:-2]} ({', '.join(members)})"
    try:
        printed = run_baler("train", original, "--tree", tree, "--branches", glob, "--bound", bound, "--out", path)
    except EvalError as error:
        return False, f"{what}: no model ({error}); {bound} alone"
    gain = _GAIN.search(printed)
    if gain is None:
        raise EvalError(f"`baler train` on {what} printed no gain line")
    predicted = "; ".join(f"{name} {how}" for name, how in _PREDICTED.findall(printed))
    if gain.group(2) == "larger" or float(gain.group(1)) == 0:
        return False, (f"{what}: the object model would be {gain.group(1)}% {gain.group(2)} than {bound} alone "
                       f"with its bytes counted ({predicted or 'it predicts no member'}): not used")
    return True, f"{what}: object model, {gain.group(1)}% smaller with its bytes counted ({predicted})"


def write_through_plugin(original, output, codecs):
    """Writes the trees of `codecs` {tree: {branch: spec}} of `original` into `output`, entry by
    entry through libBalerROOT; the branches not named keep the input's compression."""
    ROOT = root()
    if not ROOT.gInterpreter.Declare(f'#include "{_HERE / "plugin_writer.h"}"'):
        raise EvalError("cannot compile baler_eval's plugin_writer.h with ROOT's interpreter "
                        "(is the plugin's include folder on ROOT_INCLUDE_PATH? run `source build/env.sh`)")
    source = ROOT.TFile.Open(root_path(original), "READ")
    settings = source.GetCompressionSettings()
    source.Close()
    out = ROOT.TFile(root_path(output), "RECREATE")
    if out.IsZombie():
        raise EvalError(f"cannot write '{output}'")
    out.SetCompressionSettings(settings)
    try:
        for tree, chosen in codecs.items():
            names, specs = ROOT.std.vector["std::string"](), ROOT.std.vector["std::string"]()
            for name, spec in chosen.items():
                names.push_back(name)
                specs.push_back(spec)
            ROOT.BalerEval.CopyTreeWithCodecs(root_path(original), out, tree, names, specs)
    except Exception as error:  # cppyy turns the C++ exceptions into Python ones
        raise EvalError(f"writing '{output}' through the plugin: {cpp_message(error)}") from error
    finally:
        out.Close()


def _tree_bytes(path, trees):
    return sum(info.bytes for (tree, _), info in inspect_branches(path).items() if tree in trees)
