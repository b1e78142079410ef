#!/usr/bin/env python3
"""Rate-distortion study (issue 9, deliverable 4): bytes per float value against the error bound,
for Baler and every alternative a collaboration has, on each dataset, in one run.

    source build/env.sh && .venv/bin/python bench/rate_distortion.py OUT_DIR [--data DIR]
        [--published-ae JSON]...            (or: make results, which runs it)

writes, per dataset, OUT_DIR/NAME.rd.png (the plot), NAME.rd.md (the table) and NAME.rd.json
(every number). The float branches of the tree are the values; bytes are what each method
stores for them.

The bound ladder. K = 6, 8, ..., 16 "mantissa bits", and at each K two kinds of bound:
- relative, |x'-x| <= 2^-(K+1) |x| on every value: Baler bits:K and rel:2^-(K+1); NanoAOD's
  rounding to K mantissa bits before ROOT compresses (ZSTD-505, LZMA-207); ROOT's Float16_t and
  Double32_t with [0,0,K]; RNTuple SetTruncated(K+10) (K+1 mantissa bits, truncation toward 0
  has the same bound as rounding to K);
- absolute per column, |x'-x| <= 2^(floor(log2 max|x|)-K-1) (the anchors' "@K"): Baler abs:E
  per branch (Baler::SetCodec); ROOT's Float16_t [min,max,N] and RNTuple SetQuantized(N,
  [min,max]) with the fewest bits N that meet it; SZ3 (ABS) and ZFP (fixed accuracy) at it.
Lossless references: ZSTD-505, LZMA-207, Baler lossless, RNTuple (ZSTD-505), pcodec. Where the
data has rows of K floats (the ATLAS covariances, vector<vector<float>>), Baler ae:bits:K too: a
model trained by `baler train` at each K, the file written through it, the key that stores the
model counted with the floats. Where it has collections of per-object branches (HZZ's Jet_Px,
Jet_Py, ...; the dimuons' Muon_pt, ...), ae:bits:K is an object model per collection, trained at
each K and used where the trainer measures a gain (`baler eval`'s ae rung), its key counted.

How each is counted. ROOT features are written as real ROOT files by bench/rate_distortion.h,
every TTree through one writer (same baskets: 32 kB, entries in order), and counted as
`baler inspect` counts a branch (baskets, their keys, entry-offset tails); RNTuple as its
float fields' pages (RNTupleInspector, offsets columns included). SZ3, ZFP and pcodec are not
ROOT features: each float branch is one array (all entries flattened) given to the library, and
the compressed size is counted, with no container overhead: a bound in their favour. Every
method is read back (ROOT files through ROOT) and its largest error measured on every value;
`held` says whether the bound it was given held.

Baler's own autoencoder as published (`bench/baler_published_ae.py`, in its own environment,
`make baler-ae-env`) has no bound: its rows come from --published-ae, with its achieved errors.
"""

import argparse
import json
import math
import os
import pathlib
import sys
import tempfile
import textwrap
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "python"))
from baler_eval.command import run_baler  # noqa: E402
from baler_eval.model_rung import collections, model_key_bytes, train_collection  # noqa: E402
from baler_eval.rootio import TreeReader, inspect_branches, root  # noqa: E402
from vector_codecs import sz3_pair, zfp_pair  # noqa: E402  (bench/, this script's folder)

LADDER = (6, 8, 10, 12, 14, 16)
ZSTD_505, LZMA_207 = 505, 207
RNTUPLE_TRUNCATED_MAX_BITS = 31  # ROOT's range for SetTruncated: 10..31

ATLAS_COVARIANCE = "InDetTrackParticlesAuxDyn.definingParametersCovMatrix"
DATASETS = (
    # name, file in the shared data folder, tree, branches (None: every float branch), plot title
    ("hzz", "uproot-HZZ.root", "events", None, "CMS HZZ tutorial simulation (uproot-HZZ.root): 41 float branches"),
    ("dimuon", "Run2012BC_DoubleMuParked_Muons_1000evts.root", "Events", None,
     "CMS 2012 dimuon data (Run2012BC ... 1000evts): Muon_pt, eta, phi, mass"),
    ("atlas_cov", "atlas/uproot-issue-123b.root", "CollectionTree", [ATLAS_COVARIANCE],
     "ATLAS track covariances (uproot-issue-123b.root): 15 floats per track"),
)


@dataclass
class Point:
    """One method at one setting: its bytes for all float values and the largest errors."""

    setting: str
    bytes: int
    values: int
    max_rel_error: float       # max |x'-x| / |x| over x != 0 (inf if a zero did not come back zero)
    max_abs_over_step: float   # max over columns of max |x'-x| / that column's @K absolute bound
    held: bool                 # the bound it was given held on every value

    @property
    def bytes_per_value(self):
        return self.bytes / self.values


@dataclass
class Method:
    name: str
    family: str            # "relative", "absolute" or "lossless"
    where: str             # "ROOT file", "RNTuple" or "library (no container)"
    points: dict = field(default_factory=dict)  # K (or None for lossless) -> Point


class Dataset:
    """The original float columns of one tree and the bounds derived from them."""

    def __init__(self, name, path, tree, branches, title):
        self.name, self.path, self.tree, self.title = name, path, tree, title
        self.branches = branches or [str(b) for b in root().RateDistortion.FloatBranchNames(str(path), tree)]
        types = branch_types(path, tree, self.branches)
        self.nested = [b for b, t in types.items() if "vector<vector" in t]
        # Collections of per-object branches (Jet_Px[nJet], RVec<float> Muon_pt): groups of one
        # number per entry (MET_px, MET_py; HZZ's MC truth) take no model at bits:10 in baler eval's
        # rung, and training each at every K would double the study's time.
        self.collections = {prefix: members for prefix, members in collections(self.branches).items()
                            if all("[" in types[b] or "RVec" in types[b] or "vector" in types[b] for b in members)}
        self.columns = read_columns(path, tree, self.branches, "TTree")
        self.values = sum(len(v) for v in self.columns.values())
        self.ranges = {b: (float(v.min()), float(v.max())) if len(v) else (0.0, 1.0) for b, v in self.columns.items()}

    def abs_bound(self, branch, k):
        """The anchors' per-column absolute bound at K: 2^(floor(log2 max|x|) - K - 1)."""
        top = float(np.max(np.abs(self.columns[branch]))) if len(self.columns[branch]) else 1.0
        return 2.0 ** (math.floor(math.log2(top if top > 0 else 1.0)) - k - 1)

    def quantized_bits(self, branch, k):
        """Fewest bits N (at least 2, ROOT's least for Float16_t) whose step (max-min)/(2^N-1),
        rounded to nearest, meets the @K bound."""
        low, high = self.ranges[branch]
        bound = self.abs_bound(branch, k)
        for bits in range(2, 33):
            if (high - low) / (2**bits - 1) / 2 <= bound * (1 - 1e-6):
                return bits
        return 32

    def point(self, setting, nbytes, decoded, k, family):
        """Errors of `decoded` ({branch: values}) against the original, at ladder step k."""
        rel, abs_ratio = 0.0, 0.0
        for branch, original in self.columns.items():
            got = decoded[branch]
            if got.shape != original.shape:
                raise RuntimeError(f"{setting}: {branch} came back with {len(got)} values, not {len(original)}")
            error = np.abs(got - original)
            nonzero = original != 0
            if np.any(error[~nonzero] > 0):
                rel = math.inf
            elif nonzero.any():
                rel = max(rel, float(np.max(error[nonzero] / np.abs(original[nonzero]))))
            if k is not None and len(error):
                abs_ratio = max(abs_ratio, float(error.max()) / self.abs_bound(branch, k))
        if family == "lossless":
            held = rel == 0.0
        elif family == "relative":
            held = rel <= 2.0 ** -(k + 1)
        else:
            held = abs_ratio <= 1.0
        return Point(setting, nbytes, self.values, rel, abs_ratio, held)


def read_columns(path, tree, branches, kind):
    """{branch: float64 values of every entry, flattened}, read through ROOT."""
    if kind == "RNTuple":
        ROOT = root()
        return {b: np.asarray(ROOT.RateDistortion.ReadRNTupleField(str(path), tree, b), dtype=np.float64)
                for b in branches}
    reader = TreeReader(path, tree)
    reader.select(branches)
    chunk = reader.read(0, reader.entries)
    reader.close()
    return {b: chunk[b][0] for b in branches}


def branch_types(path, tree, branches):
    infos = inspect_branches(path)
    return {b: infos[(tree, b)].type for b in branches}


def tree_float_bytes(path, tree, branches):
    infos = inspect_branches(path)
    return sum(infos[(tree, b)].bytes for b in branches)


def rntuple_bytes(path, name):
    ROOT = root()
    return int(ROOT.ROOT.Experimental.RNTupleInspector.Create(name, str(path)).GetCompressedSize())


def cpp_map(pairs, value_type):
    ROOT = root()
    m = ROOT.std.map["std::string", value_type]()
    for key, value in pairs.items():
        m[key] = value
    return m


class Study:
    def __init__(self, dataset, work):
        self.d, self.work = dataset, pathlib.Path(work)
        self.ROOT = root()
        self.no_quantisation = self.quantisation(None)
        self.no_codecs = cpp_map({}, "std::string")
        self.only = self.ROOT.std.vector["std::string"](self.d.branches)
        self.not_applicable = []  # (method, why)
        self.model_notes = []  # which collection took an object model at which K, and why

    def quantisation(self, k):
        """{branch: [min, max, N]} with the fewest bits N that meet the @K bound (None: empty)."""
        ROOT = self.ROOT
        table = {} if k is None else {
            b: ROOT.std.vector["double"]([*self.d.ranges[b], float(self.d.quantized_bits(b, k))]) for b in self.d.branches}
        return cpp_map(table, "std::vector<double>")

    def tree_file(self, label, settings, storage="kAsIs", bits=0, quantisation=None, codecs=None):
        path = self.work / f"{self.d.name}.{label}.root"
        RD = self.ROOT.RateDistortion
        RD.RewriteTree(str(self.d.path), str(path), self.d.tree, self.only, settings, getattr(RD.FloatStorage, storage),
                       bits, quantisation or self.no_quantisation, codecs or self.no_codecs)
        models = sum(model_key_bytes(path).values())  # the ae: models the file stores, counted with its floats
        return tree_float_bytes(path, self.d.tree, self.d.branches) + models, read_columns(path, self.d.tree, self.d.branches, "TTree")

    def rntuple_file(self, label, truncated=0, quantisation=None):
        path = self.work / f"{self.d.name}.{label}.rntuple.root"
        self.ROOT.RateDistortion.WriteRNTuple(str(self.d.path), str(path), self.d.tree, self.only, ZSTD_505, truncated,
                                              quantisation or self.no_quantisation)
        return rntuple_bytes(path, self.d.tree), read_columns(path, self.d.tree, self.d.branches, "RNTuple")

    def run(self):
        d = self.d
        methods = []

        def lossless(name, where, measure):
            m = Method(name, "lossless", where)
            nbytes, decoded = measure()
            m.points[None] = d.point(name, nbytes, decoded, None, "lossless")
            methods.append(m)

        lossless("ZSTD-505", "ROOT file", lambda: self.tree_file("zstd505", ZSTD_505))
        lossless("LZMA-207", "ROOT file", lambda: self.tree_file("lzma207", LZMA_207))
        lossless("Baler lossless", "ROOT file", lambda: self.tree_file("baler-lossless", self.ROOT.Baler.kLossless))
        lossless("RNTuple float (ZSTD-505)", "RNTuple", lambda: self.rntuple_file("float"))
        lossless("pcodec", "library (no container)", lambda: library_bytes(d, pcodec_roundtrip))

        def ladder(name, family, where, measure):
            m = Method(name, family, where)
            for k in LADDER:
                nbytes, decoded, setting = measure(k)
                m.points[k] = d.point(setting, nbytes, decoded, k, family)
            methods.append(m)

        def baler_setting(k):
            return int(self.ROOT.Baler.Settings(k))

        ladder("Baler bits:K", "relative", "ROOT file",
               lambda k: (*self.tree_file(f"bits{k}", baler_setting(k)), f"bits:{k}"))
        if d.nested:
            ladder("Baler ae:bits:K (model trained per K, its bytes counted)", "relative", "ROOT file", self.autoencoder)
        elif d.collections:
            ladder("Baler ae:bits:K (object models where they pay, their bytes counted)", "relative", "ROOT file",
                   self.object_models)
        else:
            self.not_applicable.append(("Baler ae:bits:K", "no branch of rows of K floats (x[K]/F, vector<vector<float>>)"
                                        " and no collection of per-object float branches for the ae: codec"))
        ladder("Baler rel:2^-(K+1)", "relative", "ROOT file",
               lambda k: (*self.tree_file(f"rel{k}", ZSTD_505, codecs=cpp_map(
                   {b: f"rel:{2.0 ** -(k + 1)!r}" for b in d.branches}, "std::string")), f"rel:2^-{k + 1}"))
        ladder("NanoAOD rounding + ZSTD-505", "relative", "ROOT file",
               lambda k: (*self.tree_file(f"round{k}-zstd", ZSTD_505, "kRounded", k), f"round {k} bits"))
        ladder("NanoAOD rounding + LZMA-207", "relative", "ROOT file",
               lambda k: (*self.tree_file(f"round{k}-lzma", LZMA_207, "kRounded", k), f"round {k} bits"))
        if d.nested:
            self.not_applicable += [(m, "ROOT has no Float16_t/Double32_t form of vector<vector<float>>")
                                    for m in ("Float16_t [0,0,K]", "Double32_t [0,0,K]", "Float16_t [min,max,N]")]
        else:
            ladder("Float16_t [0,0,K] (ZSTD-505)", "relative", "ROOT file",
                   lambda k: (*self.tree_file(f"f16-{k}", ZSTD_505, "kFloat16", k), f"/f[0,0,{k}]"))
            ladder("Double32_t [0,0,K] (ZSTD-505)", "relative", "ROOT file",
                   lambda k: (*self.tree_file(f"d32-{k}", ZSTD_505, "kDouble32", k), f"/d[0,0,{k}]"))
        ladder("RNTuple SetTruncated(K+10) (ZSTD-505)", "relative", "RNTuple",
               lambda k: (*self.rntuple_file(f"trunc{k}", truncated=min(k + 10, RNTUPLE_TRUNCATED_MAX_BITS)),
                          f"SetTruncated({min(k + 10, RNTUPLE_TRUNCATED_MAX_BITS)})"))

        ladder("Baler abs (per branch)", "absolute", "ROOT file",
               lambda k: (*self.tree_file(f"abs{k}", ZSTD_505, codecs=cpp_map(
                   {b: f"abs:{d.abs_bound(b, k)!r}" for b in d.branches}, "std::string")), f"abs @{k}"))
        if not d.nested:
            ladder("Float16_t [min,max,N] (ZSTD-505)", "absolute", "ROOT file",
                   lambda k: (*self.tree_file(f"f16range-{k}", ZSTD_505, "kFloat16Range",
                                              quantisation=self.quantisation(k)), f"[min,max,N] @{k}"))
        ladder("RNTuple SetQuantized(N, [min,max]) (ZSTD-505)", "absolute", "RNTuple",
               lambda k: (*self.rntuple_file(f"quant{k}", quantisation=self.quantisation(k)), f"SetQuantized @{k}"))
        ladder("SZ3 (ABS)", "absolute", "library (no container)",
               lambda k: (*library_bytes(d, lambda v, b: external_roundtrip(sz3_pair(d.abs_bound(b, k)), v)), f"ABS @{k}"))
        ladder("ZFP (accuracy)", "absolute", "library (no container)",
               lambda k: (*library_bytes(d, lambda v, b: external_roundtrip(zfp_pair(d.abs_bound(b, k)), v)),
                          f"tolerance @{k}"))
        return methods

    def object_models(self, k):
        """Baler ae:bits:K on one quantity per branch: an object model for each collection (`baler
        eval`'s ae rung: `baler train --branches 'Jet_*'` at bits:K on the whole file), used where the
        trainer measures a gain with its bytes counted; bits:K on every other branch."""
        codecs = {}
        for prefix, members in self.d.collections.items():
            model = self.work / f"{self.d.name}.{prefix}.bits{k}.balm"
            used, note = train_collection(self.d.path, self.d.tree, prefix, members, f"bits:{k}", model)
            self.model_notes.append(f"K={k}: {note}")
            if used:
                codecs.update((b, f"ae:bits:{k}:{model}") for b in members)
        return (*self.tree_file(f"objects{k}", int(self.ROOT.Baler.Settings(k)), codecs=cpp_map(codecs, "std::string")),
                f"ae:bits:{k}")

    def autoencoder(self, k):
        """Baler ae:bits:K: a model trained by `baler train` on this data at bits:K (the first half of
        the entries, as docs/benchmarks.md does), the file written through it, the model stored in it."""
        model = self.work / f"{self.d.name}.bits{k}.balm"
        for branch in self.d.nested:
            run_baler("train", self.d.path, "--tree", self.d.tree, "--branches", branch, "--bound", f"bits:{k}",
                      "--validation", "0.5", "--seed", "1", "--out", model)
        codecs = cpp_map({b: f"ae:bits:{k}:{model}" for b in self.d.nested}, "std::string")
        return (*self.tree_file(f"ae{k}", ZSTD_505, codecs=codecs), f"ae:bits:{k}")



def library_bytes(d, roundtrip):
    """A library method: each float branch compressed as one float32 array."""
    total, decoded = 0, {}
    for branch, values in d.columns.items():
        nbytes, back = roundtrip(values.astype(np.float32), branch)
        total += nbytes
        decoded[branch] = back.astype(np.float64)
    return total, decoded


def pcodec_roundtrip(values, _branch):
    import pcodec
    packed = pcodec.standalone.simple_compress(values, pcodec.ChunkConfig())
    return len(packed), pcodec.standalone.simple_decompress(packed)


def external_roundtrip(pair, values):
    """SZ3 or ZFP at an absolute tolerance, through bench/vector_codecs.py's (encode, decode)."""
    encode, decode = pair
    packed = encode(values)
    return len(packed), decode(packed, values)


def worst_error_over_bound(method):
    """The largest error any setting made, in units of the bound it was given."""
    worst = 0.0
    for k, p in method.points.items():
        worst = max(worst, p.max_rel_error / 2.0 ** -(k + 1) if method.family == "relative" else p.max_abs_over_step)
    return worst


def published_rows(path, dataset):
    """The published autoencoder's runs on this dataset (bench/baler_published_ae.py's JSON)."""
    if path is None:
        return []
    runs = json.loads(pathlib.Path(path).read_text())
    return [r for r in runs if r["dataset"] == dataset]


def markdown(d, methods, not_applicable, model_notes, published, published_missing):
    where = (f"the {len(d.branches)} float branches of tree `{d.tree}`" if len(d.branches) > 4 else
             ", ".join(f"`{b}`" for b in d.branches) + f" of tree `{d.tree}`")
    lines = [f"### {d.title}", "",
             f"{d.values:,} float values: {where}; bytes per value "
             "(every float value's share of what the method stores; the bound is met on every value "
             "unless marked ✗).", "",
             "| lossless | where | B/value |", "|---|---|---|"]
    for m in methods:
        if m.family == "lossless":
            p = m.points[None]
            lines.append(f"| {m.name} | {m.where} | {p.bytes_per_value:.3f}{'' if p.held else ' ✗'} |")
    for family, bound in (("relative", "|x'-x| ≤ 2^-(K+1)·|x|"), ("absolute", "|x'-x| ≤ 2^(⌊log2 max|x|⌋-K-1) per branch")):
        lines += ["", f"{family.capitalize()} bound, {bound}:", "",
                  "| method | where | " + " | ".join(f"K={k}" for k in LADDER) + " | worst error / bound |",
                  "|---|---|" + "---|" * len(LADDER) + "---|"]
        for m in methods:
            if m.family != family:
                continue
            cells = [f"{m.points[k].bytes_per_value:.3f}{'' if m.points[k].held else ' ✗'}" for k in LADDER]
            lines.append(f"| {m.name} | {m.where} | " + " | ".join(cells) + f" | {worst_error_over_bound(m):.3g} |")
    if not_applicable:
        lines += ["", "Not applicable here: " + "; ".join(f"{m} ({why})" for m, why in not_applicable) + "."]
    if model_notes:
        lines += ["", "Object models of `ae:bits:K` at K=10 (every K in the JSON):", ""]
        lines += [f"- {note.removeprefix('K=10: ')}" for note in model_notes if note.startswith("K=10: ")]
    lines += ["", "Baler's autoencoder as published (no bound; its CMS configuration, float64 latent):", ""]
    if published:
        lines += ["| values | epochs | B/value, latent only | with its model | median rel. error | max rel. error "
                  "| values over 2^-11 | training |", "|---|---|---|---|---|---|---|---|"]
        for r in published:
            lines.append(f"| {r['values']:,} ({', '.join(r['columns'])}) | {r['epochs']} | "
                         f"{r['compressed_bytes'] / r['values']:.3f} | "
                         f"{(r['compressed_bytes'] + r['model_bytes']) / r['values']:.2f} | "
                         f"{r['median_rel_error']:.3g} | {r['max_rel_error']:.3g} | "
                         f"{100 * r['fraction_over_2_11']:.1f}% | {r['train_seconds']:.0f} s |")
    elif published_missing:
        lines.append(f"Not run: {published_missing}")
    return "\n".join(lines) + "\n"


def plot(d, methods, published, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 6))
    colours = iter(plt.cm.tab10.colors + plt.cm.Dark2.colors)
    for m in methods:
        colour = next(colours)
        if m.family == "lossless":
            y = m.points[None].bytes_per_value
            ax.axhline(y, color=colour, linestyle=":", linewidth=1.2, label=f"{m.name}, lossless ({y:.2f})")
            continue
        ks = list(LADDER)
        ys = [m.points[k].bytes_per_value for k in ks]
        style = "-" if m.family == "relative" else "--"
        marker = "o" if m.name.startswith("Baler") else "s" if m.where != "library (no container)" else "^"
        ax.plot(ks, ys, style, marker=marker, color=colour, linewidth=2.2 if m.name.startswith("Baler") else 1.2,
                markersize=5, label=f"{m.name} [{m.family}]")
        broken = [(k, y) for k, y in zip(ks, ys) if not m.points[k].held]
        if broken:
            ax.plot(*zip(*broken), "x", color="red", markersize=11, markeredgewidth=2)
    for r in published:
        y = r["compressed_bytes"] / r["values"]
        ax.axhline(y, color="black", linestyle="-.", linewidth=1,
                   label=f"Baler AE as published: latent {y:.2f}, with model "
                         f"{(r['compressed_bytes'] + r['model_bytes']) / r['values']:.0f}; no bound")
    ax.plot([], [], "x", color="red", markersize=9, markeredgewidth=2, label="bound not held")
    ax.set_xticks(LADDER)
    ax.set_xticklabels([f"{k}\n2^-{k + 1}" for k in LADDER])
    ax.set_xlabel("bound K: relative 2^-(K+1) (solid), absolute 2^(⌊log2 max|x|⌋-K-1) per branch (dashed)")
    ax.set_ylabel("bytes per float value")
    # up to the largest line drawn (the published autoencoder's latent lies above every other method)
    ax.set_ylim(0, max([4.2, ax.get_ylim()[1]] + [r["compressed_bytes"] / r["values"] + 0.3 for r in published]))
    ax.set_title("\n".join(textwrap.wrap(d.title, 80)), fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def as_json(d, methods, model_notes, published):
    return {
        "dataset": d.name, "file": d.path.name, "tree": d.tree, "values": d.values, "branches": d.branches,
        "ladder": list(LADDER),
        "methods": [{"name": m.name, "family": m.family, "where": m.where,
                     "points": [{"k": k, **{f: getattr(p, f) for f in ("setting", "bytes", "values", "max_abs_over_step",
                                                                         "held")},
                                 # strict JSON has no infinity: null where a zero came back non-zero
                                 "max_rel_error": p.max_rel_error if math.isfinite(p.max_rel_error) else None,
                                 "zeros_kept": math.isfinite(p.max_rel_error),
                                 "bytes_per_value": p.bytes_per_value} for k, p in m.points.items()]}
                    for m in methods],
        "object_models": model_notes,
        "published_autoencoder": published,
    }


def cpu_seconds():
    """User and system time of this process and of its finished children (baler inspect, baler train)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=pathlib.Path, help="folder for NAME.rd.png, NAME.rd.md, NAME.rd.json")
    parser.add_argument("--data", type=pathlib.Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--published-ae", help="JSON of bench/baler_published_ae.py (its rows are marked not run without it)")
    parser.add_argument("--published-ae-missing", default="its environment was not built (`make baler-ae-env`)",
                        help="why there is no published-autoencoder JSON")
    parser.add_argument("--datasets", default=",".join(d[0] for d in DATASETS),
                        help="which datasets, comma-separated (default: all)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message=r"\s*This distribution of ROOT is in alpha stage")
    ROOT = root()
    if not ROOT.gInterpreter.Declare(f'#include "{REPO / "bench" / "rate_distortion.h"}"'):
        sys.exit("rate_distortion.py: cannot compile bench/rate_distortion.h")
    ROOT.gErrorIgnoreLevel = ROOT.kError  # not the xAOD file's missing dictionaries: its branch is plain floats
    args.out.mkdir(parents=True, exist_ok=True)
    for name, file_name, tree, branches, title in DATASETS:
        if name not in args.datasets.split(","):
            continue
        start, cpu = time.time(), cpu_seconds()
        d = Dataset(name, args.data / file_name, tree, branches, title)
        with tempfile.TemporaryDirectory(prefix=f"baler-rd-{name}-") as work:
            study = Study(d, work)
            methods = study.run()
        published = published_rows(args.published_ae, name)
        missing = (args.published_ae_missing if args.published_ae is None else
                   "bench/baler_published_ae.py runs it on the HZZ jets and the 2012 muons only")
        (args.out / f"{name}.rd.md").write_text(markdown(d, methods, study.not_applicable, study.model_notes, published, missing))
        (args.out / f"{name}.rd.json").write_text(json.dumps(as_json(d, methods, study.model_notes, published), indent=1, allow_nan=False) + "\n")
        plot(d, methods, published, args.out / f"{name}.rd.png")
        print(f"{name}: {len(methods)} methods, {d.values} float values, {time.time() - start:.0f} s wall, "
              f"{cpu_seconds() - cpu:.0f} s CPU (this process and its children): {args.out / (name + '.rd.md')}")


if __name__ == "__main__":
    main()
