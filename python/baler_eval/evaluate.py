"""Reads an original and a compressed file side by side, chunk by chunk, and compares them."""

import fnmatch
from dataclasses import dataclass, field, replace

import numpy as np

from . import analyses as analyses_module
from .branches import BranchComparison
from .errors import EvalError
from .physics_stats import compare
from .rootio import TreeReader, chunk_entries, inspect_branches, model_key_bytes
from .words import branches


@dataclass
class TreeResult:
    tree: str
    entries: int
    bytes_original: int      # the tree's branches that the compressed file has too, on disk
    bytes_compressed: int
    # branches whose baskets are inside the tree's key in either file, and so in neither byte count
    branches_in_tree_key: int = 0
    branches: list = field(default_factory=list)   # BranchComparison
    physics: list = field(default_factory=list)    # PhysicsComparison
    not_compared: list = field(default_factory=list)  # (branch, why)
    # branches of the original that the compressed file lacks: lost, where evaluated (--branches
    # selects them), and left out of the bytes either way, which would count them as saved
    missing: list = field(default_factory=list)
    missing_bytes: int = 0
    # the bytes of the files' model keys (`baler_model_*`) this tree's branches were coded with,
    # counted in its bytes: without them a file coded through models would look smaller than it is
    models_original: int = 0
    models_compressed: int = 0

    def count_models(self, original, compressed):
        """Adds the bytes of the files' model keys to the tree's bytes."""
        self.models_original, self.models_compressed = original, compressed
        self.bytes_original += original
        self.bytes_compressed += compressed

    def lost(self):
        """The evaluated branches that the compressed file lacks."""
        return [name for name, why in self.not_compared if why == NOT_IN_COMPRESSED]


NOT_IN_COMPRESSED = "not in the compressed file"


def choose_trees(original_rows, compressed_rows, requested):
    original_trees = sorted({tree for tree, _ in original_rows})
    compressed_trees = {tree for tree, _ in compressed_rows}
    if requested:
        for tree in requested:
            if tree not in original_trees:
                raise EvalError(f"--tree {tree} matches no tree of the original file "
                                f"(it has: {', '.join(original_trees) or 'none'})")
            if tree not in compressed_trees:
                raise EvalError(f"--tree {tree} is not in the compressed file")
        return list(requested)
    common = [tree for tree in original_trees if tree in compressed_trees]
    if not common:
        raise EvalError("the two files have no TTree in common")
    return common


def evaluate(original_path, compressed_path, trees=(), branch_globs=(), analysis_names=(), progress=None,
             compare_branches=True, original_rows=None):
    """One TreeResult per tree. compare_branches=False reads only the analyses' branches (the ladder)."""
    original_rows = original_rows or inspect_branches(original_path)
    compressed_rows = inspect_branches(compressed_path, readable_alone=True)
    chosen_trees = choose_trees(original_rows, compressed_rows, trees)
    _check_selections(original_rows, compressed_rows, chosen_trees, branch_globs if compare_branches else (),
                      analysis_names)
    results = [_evaluate_tree(original_path, compressed_path, tree, original_rows, compressed_rows, branch_globs,
                              analysis_names, progress, compare_branches) for tree in chosen_trees]
    _count_models(results, model_key_bytes(original_path), original_rows, model_key_bytes(compressed_path),
                  compressed_rows)
    if compare_branches and not trees:
        results += [_lost_tree(tree, original_rows, branch_globs)
                    for tree in sorted({t for t, _ in original_rows} - {t for t, _ in compressed_rows})]
    return results


def _count_models(results, original_models, original_rows, compressed_models, compressed_rows):
    """Adds each model key's bytes to one tree, once per file: the first evaluated tree whose
    branches name the model (their codec, as inspect reports it), or the first tree where none
    does. Added to every tree, a file's models were counted once per tree."""
    if not results:
        return
    per_file = []
    for models, rows in ((original_models, original_rows), (compressed_models, compressed_rows)):
        owed = {result.tree: 0 for result in results}
        for model_id, size in models.items():
            users = [r.tree for r in results if any(t == r.tree and model_id in info.codec for (t, _), info in rows.items())]
            owed[(users or [results[0].tree])[0]] += size
        per_file.append(owed)
    for result in results:
        result.count_models(per_file[0][result.tree], per_file[1][result.tree])


def _lost_tree(tree, original_rows, branch_globs):
    """A tree of the original that the compressed file lacks: each of its (selected) branches lost."""
    in_original = {name: info for (t, name), info in original_rows.items() if t == tree}
    selected = [name for name in in_original
                if not branch_globs or any(fnmatch.fnmatchcase(name, g) for g in branch_globs)]
    entries = max((info.entries for info in in_original.values()), default=0)
    return TreeResult(tree, entries, 0, 0, not_compared=[(name, NOT_IN_COMPRESSED) for name in selected],
                      missing=list(in_original), missing_bytes=sum(i.bytes for i in in_original.values()))


def _check_selections(original_rows, compressed_rows, trees, branch_globs, analysis_names):
    """--branches and --analysis that select nothing are errors before anything is read."""
    in_both = {tree: {name for (t, name) in original_rows if t == tree and (t, name) in compressed_rows}
               for tree in trees}
    if branch_globs and not any(fnmatch.fnmatchcase(name, glob) for names in in_both.values() for name in names
                                for glob in branch_globs):
        raise EvalError(f"--branches {' '.join(branch_globs)} matches no branch of the evaluated trees")
    for name in analysis_names:
        if name != "auto" and not any(set(analyses_module.ANALYSES[name].branches) <= names
                                      for names in in_both.values()):
            needed = analyses_module.ANALYSES[name].branches
            raise EvalError(f"--analysis {name} needs branches {', '.join(needed)}, which no evaluated tree has")


def _evaluate_tree(original_path, compressed_path, tree, original_rows, compressed_rows, branch_globs,
                   analysis_names, progress, compare_branches):
    in_original = {name: info for (t, name), info in original_rows.items() if t == tree}
    in_compressed = {name: info for (t, name), info in compressed_rows.items() if t == tree}
    missing = [name for name in in_original if name not in in_compressed]
    result = TreeResult(tree, 0, sum(i.bytes for n, i in in_original.items() if n in in_compressed),
                        sum(i.bytes for i in in_compressed.values()),
                        sum(1 for name, info in in_original.items()
                            if info.in_tree_key or (name in in_compressed and in_compressed[name].in_tree_key)),
                        missing=missing, missing_bytes=sum(in_original[n].bytes for n in missing))
    try:
        chosen_analyses = analyses_module.select(analysis_names, in_original.keys() & in_compressed.keys())
    except KeyError as unknown:
        raise EvalError(f"unknown analysis {unknown} (known: auto, {', '.join(analyses_module.ANALYSES)})") from None
    # An analysis named on the command line runs on the trees that have its branches;
    # _check_selections reported one that no tree has.
    chosen_analyses = [a for a in chosen_analyses if set(a.branches) <= in_original.keys() & in_compressed.keys()]

    compared = []
    if compare_branches:
        for name in in_original:
            if branch_globs and not any(fnmatch.fnmatchcase(name, g) for g in branch_globs):
                continue
            if name not in in_compressed:
                result.not_compared.append((name, NOT_IN_COMPRESSED))
            else:
                compared.append(name)
    original = TreeReader(original_path, tree)
    for name in list(compared):
        # a leaf list ("struct" to inspect; the codec of its floats, of each kind, in one block)
        columns = original.leaf_list_columns(name)
        if columns:
            at = compared.index(name)
            compared[at:at + 1] = [column for column, _ in columns]
            for column, type_name in columns:
                in_original[column] = replace(in_original[name], name=column, type=type_name)
                in_compressed[column] = replace(in_compressed[name], name=column, type=type_name)
    for name in list(compared):
        if not in_original[name].holds_numbers:
            compared.remove(name)
            result.not_compared.append((name, f"holds {in_original[name].type}, not numbers"))
        elif not original.readable(name):
            compared.remove(name)
            result.not_compared.append((name, "has sub-branches (compared one by one) or a type ROOT cannot evaluate"))
    result.branches = [BranchComparison(tree, in_original[n], in_compressed[n]) for n in compared]
    to_read = list(dict.fromkeys(compared + [b for a in chosen_analyses for b in a.branches]))
    wide = {name: in_original[name].integer_bits for name in to_read if in_original[name].integer_bits}
    original.select(to_read, wide)
    compressed = TreeReader(compressed_path, tree)
    compressed.select(to_read, wide)
    if original.entries != compressed.entries:
        raise EvalError(f"tree {tree} has {original.entries} entries in the original and {compressed.entries} "
                        "in the compressed file: they are not the same events")
    result.entries = original.entries
    quantities = {a.name: ([], []) for a in chosen_analyses}
    # whether each analysis selected the same entries in both files (then each event's change is
    # known): the same number of them is not enough, a near tie in pT can swap an event for another
    paired = {a.name: True for a in chosen_analyses}
    step = chunk_entries(original.tree)
    label = f"{tree} ({branches(len(to_read))})"
    for first in range(0, result.entries, step):
        last = min(first + step, result.entries)
        chunk_original = original.read(first, last)
        chunk_compressed = compressed.read(first, last)
        for comparison in result.branches:
            comparison.add(chunk_original[comparison.name], chunk_compressed[comparison.name],
                           original.shapes(comparison.name), compressed.shapes(comparison.name))
        for analysis in chosen_analyses:
            (events_original, values_original), (events_compressed, values_compressed) = (
                analysis.compute(chunk_original), analysis.compute(chunk_compressed))
            for collected, chunk_values in zip(quantities[analysis.name], (values_original, values_compressed)):
                collected.append(chunk_values)
            paired[analysis.name] = paired[analysis.name] and np.array_equal(events_original, events_compressed)
        if progress:
            progress.update(label, last, result.entries)
    if progress:
        progress.finish()
    original.close()
    compressed.close()
    for analysis in chosen_analyses:
        values_original, values_compressed = (np.concatenate(v) if v else np.zeros(0)
                                              for v in quantities[analysis.name])
        result.physics.append(compare(analysis, values_original, values_compressed, paired[analysis.name]))
    return result
