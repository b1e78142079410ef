# Extracts training rows from ROOT files with uproot and writes them as a Baler .npz (`data`,
# `names`, plus `entry`: the global entry number of each row, for splitting by event).
# Run by baler-train: python root_rows.py OUT.npz TREE GLOB FILE...  (TREE "" = the one tree
# that has matching branches). Errors: one line on stderr, exit status 2.
#
# One branch whose entries are vectors of K floats gives one row per vector: fixed arrays x[K]/F,
# x[n][K]/F, vector<float> and vector<vector<float>> (for these two, the vectors of the most
# common width; the others are counted and left out, as the codec sends them to the per-value
# path). Several branches give one row per object of their collection
# (each branch one column, all with the same counts), or one row per entry when every branch
# holds one number per entry.
import sys

import numpy as np


def fail(message):
    # one line: baler-train reports the last line (uproot's messages span several)
    sys.stderr.write(" ".join(message.split()) + "\n")
    sys.exit(2)


try:
    import awkward as ak
    import uproot
except ImportError as e:
    fail(f"reading ROOT files needs uproot and awkward in the Python environment ({e})")
try:
    import baler_root  # noqa: F401  (teaches uproot to read Baler-compressed baskets, when built)
except ImportError:
    pass


def pick_tree(f, path, tree_name, glob):
    if tree_name:
        try:
            tree = f[tree_name]
        except Exception:
            fail(f"{path}: no tree '{tree_name}'")
        if not isinstance(tree, uproot.TTree):
            fail(f"{path}: '{tree_name}' is a {type(tree).__name__}, not a TTree")
        return tree
    trees = f.items(filter_classname="TTree", cycle=False)
    names = [n for n, t in trees if leaf_branches(t, glob)]
    if not names:
        rntuples = [n for n, c in f.classnames(cycle=False).items() if "RNTuple" in c]
        held = f"; it holds RNTuple {', '.join(rntuples)}, which baler train does not read" if rntuples else ""
        fail(f"{path}: no branch matches '{glob}' in its trees ({', '.join(n for n, _ in trees) or 'none'}){held}")
    if len(names) > 1:
        fail(f"{path}: branches matching '{glob}' are in {len(names)} trees ({', '.join(names)}); name one with --tree")
    return f[names[0]]


def leaf_branches(tree, glob):
    """The branches matching `glob` that hold values. The model names each by ROOT's name, by
    which the codec's writers know a member (`Mu.px`), not by uproot's path to it (`Mu/Mu.px`)."""
    return [b for b in tree.itervalues(filter_name=glob, recursive=True) if not b.branches]


def float_values(flat, name):
    values = ak.to_numpy(flat)
    if values.dtype.kind != "f":
        fail(f"branch '{name}' holds {values.dtype} values, not floats")
    return values


def rows_of_most_common_width(vectors, entry, name, what):
    """(rows, entry, left out) of the vectors of the most common width of 2 or more: the codec
    codes those through the model and sends the others to the per-value codec."""
    widths = ak.to_numpy(ak.num(vectors, axis=1))
    if len(widths) == 0:
        fail(f"branch '{name}' has no vectors")
    # rows of fewer than 2 values (empty vectors among them) are left to the per-value codec
    counts = np.bincount(widths)
    counts[:2] = 0
    if not counts.any():
        fail(f"branch '{name}': its {what} hold at most 1 value (widths "
             f"{sorted(set(widths.tolist()))[:5]}), too few for a row of K floats")
    k = int(np.argmax(counts))
    keep = widths == k
    # a vector whose length counts objects (electrons per event) is not a row of K features: its
    # most common width is a fraction of the entries, and a model of "the first two" means nothing
    if 2 * np.count_nonzero(keep) < len(widths):
        fail(f"branch '{name}': its {what} are of many widths (widths {sorted(set(widths.tolist()))[:5]}; the "
             f"most common, {k}, holds {np.count_nonzero(keep)} of {len(widths)}): not rows of K floats; several "
             "branches of one collection train an object model")
    rows = float_values(ak.flatten(vectors[keep]), name).reshape(-1, k)
    return rows, entry[keep], int(np.count_nonzero(~keep))


def rows_of_vector_branch(array, name, typename):
    """(rows, entry, left out) for one branch whose entries are vectors."""
    n_entries = len(array)
    if n_entries == 0:
        fail(f"branch '{name}': the tree has no entries to train on")
    entry_of = np.arange(n_entries)
    depth = array.ndim
    if depth == 1:
        fail(f"branch '{name}' holds one number per entry, not a vector of K floats; a glob over several "
             "branches of one collection (e.g. 'Muon_*') trains an object model")
    if depth == 2:
        # The codec cuts a vector<float> (RVec<float>) branch's rows entry by entry, so entries of
        # another width leave the others' rows whole; a leaf array x[n]/F it cuts K values at a
        # time through the basket, which an entry of another width shifts (docs/design.md).
        if typename.startswith(("std::vector<", "ROOT::VecOps::RVec<")):
            return rows_of_most_common_width(array, entry_of, name, "entries")
        widths = ak.to_numpy(ak.num(array, axis=1))
        if np.all(widths == widths[0]) and widths[0] < 2:
            fail(f"branch '{name}': every entry holds {widths[0]} values, too few for a row of K floats")
        if np.any(widths != widths[0]):
            fail(f"branch '{name}': entries are not vectors of one width (widths {sorted(set(widths.tolist()))[:5]}); "
                 "several branches of one collection train an object model")
        return float_values(ak.flatten(array), name).reshape(n_entries, int(widths[0])), entry_of, 0
    if depth == 3:
        per_entry = ak.to_numpy(ak.num(array, axis=1))
        return rows_of_most_common_width(ak.flatten(array, axis=1), np.repeat(entry_of, per_entry), name,
                                         "inner vectors")
    fail(f"branch '{name}' has {depth - 1} levels of vectors; one or two are supported")


def rows_of_collection(arrays, names):
    """(rows, entry) for several branches: one column each, one row per object or per entry."""
    depths = {a.ndim for a in arrays}
    if depths == {1}:
        columns = [float_values(a, n) for a, n in zip(arrays, names)]
        return np.stack(columns, axis=1), np.arange(len(arrays[0])), 0
    if depths == {3}:
        fail(f"branches {', '.join(names)} each hold rows of floats (vectors of vectors): a model of such rows "
             "trains on one branch; name one with --branches")
    if depths != {2}:
        fail(f"branches {', '.join(names)} mix numbers per entry and per object, or hold nested vectors")
    counts = [ak.to_numpy(ak.num(a, axis=1)) for a in arrays]
    for c, n in zip(counts[1:], names[1:]):
        if not np.array_equal(c, counts[0]):
            fail(f"branches '{names[0]}' and '{n}' have different counts per entry: not one collection")
    columns = [float_values(ak.flatten(a), n) for a, n in zip(arrays, names)]
    return np.stack(columns, axis=1), np.repeat(np.arange(len(arrays[0])), counts[0]), 0


def warn_of_baskets_out_of_line(found, path):
    """The codec codes a member through an object model only in a basket that holds the same
    entries as its context members' baskets: members whose baskets begin at other entries (a
    Double_t member fills its baskets twice as fast as its Float_t neighbours) train a model
    that would code none of this file's baskets, whatever gain the rows promise."""
    first = found[0]
    for b in found[1:]:
        if list(b.entry_offsets) != list(first.entry_offsets):
            sys.stderr.write(f"{path}: the baskets of '{b.name}' hold other entries than those of '{first.name}': baler "
                             "compress codes a member through an object model only where its baskets and its context's "
                             "hold the same entries, so it would code few or none of this file's; the gain below is the "
                             "rows'\n")
            return


def main():
    if len(sys.argv) < 5:
        fail("usage: root_rows.py OUT.npz TREE GLOB FILE...")
    out, tree_name, glob, paths = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    all_rows, all_entries, names, skipped, first_entry = [], [], None, 0, 0
    for path in paths:
        try:
            f = uproot.open(path)
        except Exception as e:
            fail(f"{path}: cannot open as a ROOT file ({e})")
        tree = pick_tree(f, path, tree_name, glob)
        found = leaf_branches(tree, glob)
        if not found:
            fail(f"{path}: no branch of tree '{tree.name}' matches '{glob}'")
        branches = [b.name for b in found]
        try:
            arrays = [b.array(library="ak") for b in found]
        except Exception as e:
            fail(f"{path}: cannot read branch values ({e})")
        if len(branches) > 1:
            # a collection's glob (Jet_*) also matches its flags and integers: the members are its floats
            floats = [i for i, a in enumerate(arrays) if ak.to_numpy(ak.flatten(a, axis=None)).dtype.kind == "f"]
            left = [b for i, b in enumerate(branches) if i not in floats]
            if left and names is None:
                sys.stderr.write(f"leaving out branches that hold no floats: {', '.join(left)}\n")
            branches, arrays, found = ([x[i] for i in floats] for x in (branches, arrays, found))
            if not branches:
                fail(f"{path}: no branch matching '{glob}' holds floats")
            # ... and one number per object, when some do: an xAOD container's glob also matches its
            # nested vectors (AnalysisJetsAuxDyn.EnergyPerSampling), which cannot be a member
            per_object = [i for i, a in enumerate(arrays) if a.ndim == 2]
            left = [b for i, b in enumerate(branches) if i not in per_object]
            if per_object and left:
                if names is None:
                    sys.stderr.write(f"leaving out branches that do not hold one number per object: {', '.join(left)}\n")
                branches, arrays, found = ([x[i] for i in per_object] for x in (branches, arrays, found))
        if names is not None and branches != names:
            fail(f"{path}: the matching branches differ from the first file's ({', '.join(names)})")
        if len(branches) > 1:
            warn_of_baskets_out_of_line(found, path)
        names = branches
        if len(arrays) == 1:
            rows, entry, left_out = rows_of_vector_branch(arrays[0], branches[0], found[0].typename)
        else:
            rows, entry, left_out = rows_of_collection(arrays, branches)
        all_rows.append(rows)
        all_entries.append(entry + first_entry)
        first_entry += tree.num_entries
        skipped += left_out
    widths = {r.shape[1] for r in all_rows}
    if len(widths) != 1:
        fail(f"the files' rows have different widths {sorted(widths)}")
    data = np.concatenate(all_rows)
    dtype = np.float32 if all(r.dtype == np.float32 for r in all_rows) else np.float64
    if len(names) == 1:
        column_names = np.array([f"{names[0]}[{i}]" for i in range(data.shape[1])])
    else:
        column_names = np.array(names)
    np.savez(out, data=data.astype(dtype), names=column_names, entry=np.concatenate(all_entries).astype(np.int64),
             skipped=np.array([skipped], dtype=np.int64))


main()
