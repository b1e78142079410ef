"""The report's PNG plots (matplotlib, Agg backend: no display needed)."""

import hashlib
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402

DPI = 100
# characters of a label kept in its file name: with a prefix and the hash, well under the 255 bytes
# file systems allow a name
_MAX_NAME = 150
ORIGINAL_STYLE = dict(color="black", label="original")
COMPRESSED_STYLE = dict(color="tab:red", linestyle="--", label="compressed")


def _title(axes, text):
    """A title placed at a fixed spot: Axes.set_title measures every tick label to place itself,
    which costs a third of the drawing time."""
    axes.text(0.5, 1.02, text, transform=axes.transAxes, ha="center", va="bottom", fontsize="small")


def file_name(label):
    """A safe PNG file name for a branch or analysis label; a long one is cut, a hash of the whole
    label keeping it apart from others (ROOT takes names no file system does: a branch of 260
    characters failed the whole report with "File name too long", an eval sweep)."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", label).strip("_")
    if len(name) > _MAX_NAME:
        name = name[:_MAX_NAME] + "_" + hashlib.sha1(label.encode()).hexdigest()[:12]
    return name + ".png"


def _overlay_with_ratio(fig, slot, edges, original, compressed, xlabel, log_x=False):
    inner = slot.subgridspec(2, 1, height_ratios=(3, 1), hspace=0.05)
    top, bottom = fig.add_subplot(inner[0]), fig.add_subplot(inner[1])
    top.stairs(original, edges, **ORIGINAL_STYLE)
    top.stairs(compressed, edges, **COMPRESSED_STYLE)
    top.set_ylabel("entries")
    nonzero = original[original > 0]
    if nonzero.size and nonzero.max() / nonzero.min() > 100:
        top.set_yscale("log")
    top.legend(fontsize="small")
    top.tick_params(labelbottom=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(original > 0, compressed / np.maximum(original, 1), np.nan)
        error = np.where(original > 0, np.sqrt(compressed) / np.maximum(original, 1), np.nan)
    centres = 0.5 * (edges[1:] + edges[:-1])
    bottom.errorbar(centres, ratio, yerr=error, fmt=".", color="tab:red", markersize=3)
    bottom.axhline(1.0, color="black", linewidth=0.8)
    bottom.set_ylabel("compr./orig.")
    bottom.set_xlabel(xlabel)
    for axes in (top, bottom):
        axes.set_xlim(edges[0], edges[-1])
        # binning() gives linear bins from 0 where there is nothing to bin, and wherever values <= 0
        if log_x and edges[0] > 0:
            axes.set_xscale("log")
    return top


def branch_figure(comparison, path):
    """Distribution overlay with ratio panel, residuals, relative residual against value."""
    fig = plt.figure(figsize=(14, 4.2), dpi=DPI)
    grid = fig.add_gridspec(1, 3, wspace=0.35, left=0.05, right=0.97, bottom=0.13, top=0.86)
    h_o, h_c = comparison.hist_original, comparison.hist_compressed
    top = _overlay_with_ratio(fig, grid[0], h_o.edges, h_o.counts, h_c.counts, comparison.name, log_x=h_o.log)
    if h_o.underflow or h_o.overflow or h_c.underflow or h_c.overflow:
        # the compressed values' too: those off the axis were where the largest errors were
        _title(top, f"outside the axis (below, above): original {h_o.underflow}, {h_o.overflow}; "
                    f"compressed {h_c.underflow}, {h_c.overflow}")

    residual = fig.add_subplot(grid[1])
    h_r = comparison.hist_residual
    residual.stairs(h_r.counts, h_r.edges, color="tab:blue", fill=True, alpha=0.6)
    if h_r.counts.any():
        # the tails, where the largest errors are, sat in a linear axis's first pixel; from 0.5 so
        # that a bin of one value shows and the bars keep a common base
        residual.set_yscale("log")
        residual.set_ylim(bottom=0.5)
    if comparison.bound is not None and comparison.bound[0] > 0:  # an absolute bound: +-E on the residual
        for sign in (1, -1):
            residual.axvline(sign * comparison.bound[0], color="tab:red", linewidth=0.8)
    residual.set_xlabel("compressed - original")
    residual.set_ylabel("values")
    # the binning comes from the first chunk: a later chunk's larger residuals fall off the axis,
    # which the panel must say, or its width reads as the errors' (and the table's RMS as wrong)
    off_axis = h_r.underflow + h_r.overflow
    _title(residual, f"mean {comparison.residual_mean:.3g}, RMS {comparison.residual_rms:.3g}"
                     + (f"; {off_axis} values outside the axis" if off_axis else ""))

    relative = fig.add_subplot(grid[2])
    h_2 = comparison.hist_relative
    counts = np.ma.masked_equal(h_2.counts.T, 0)
    if counts.count():
        mesh = relative.pcolormesh(h_2.x_edges, h_2.y_edges, counts, norm=LogNorm(), cmap="viridis")
        fig.colorbar(mesh, ax=relative, label="values")
    if comparison.bound is not None and comparison.bound[1] > 0:
        for sign in (1, -1):
            relative.axhline(sign * comparison.bound[1], color="tab:red", linewidth=0.8)
    if h_o.log:
        relative.set_xscale("log")
    relative.set_xlabel(comparison.name)
    relative.set_ylabel("(compressed - original) / |original|")
    _title(relative, comparison.after.codec + (f"; {h_2.outside} values outside the axes" if h_2.outside else ""))
    fig.suptitle(comparison.label, fontsize="medium")
    fig.savefig(path)
    plt.close(fig)


def physics_figure(physics, path):
    fig = plt.figure(figsize=(6, 4.5), dpi=DPI)
    grid = fig.add_gridspec(1, 1, left=0.14, right=0.96, bottom=0.12, top=0.88)  # room for the two-line title
    top = _overlay_with_ratio(fig, grid[0], physics.edges, physics.counts_original, physics.counts_compressed,
                              physics.analysis.quantity, log_x=physics.analysis.log_x)
    outside = (f"\n{physics.compressed_outside} compressed events outside the original's range"
               if physics.compressed_outside else "")
    top.set_title(f"{physics.analysis.title}\nKS p {physics.ks_p:.4f}, chi2/ndf {physics.chi2:.2f}/{physics.ndf}"
                  + outside, fontsize="small")
    fig.savefig(path)
    plt.close(fig)


_FAMILY_COLOURS = {"bits": "Blues", "rel": "Greens", "abs": "Oranges", "ae": "Purples"}


def _budget_styles(budget):
    """Lossless black, the original grey, the evaluated file red; each ladder family in shades of
    its own colour, darker for tighter bounds (the ladder lists them loosest first)."""
    families = {}
    for row in budget.rows:
        family = row.label.split(":")[0]
        if family in _FAMILY_COLOURS:
            families.setdefault(family, []).append(row)
    styles = {}
    for family, rows in families.items():
        # a family of one (the usual ae rung) in a dark shade: the lightest is hard to see
        shades = plt.get_cmap(_FAMILY_COLOURS[family])(np.linspace(0.45 if len(rows) > 1 else 0.8, 0.95, len(rows)))
        for row, shade in zip(rows, shades):
            styles[id(row)] = dict(color=shade, linestyle="--", linewidth=1.2)
    for row in budget.rows:
        if row is budget.reference:
            styles[id(row)] = dict(color="black", linewidth=2.2)
        elif row.physics is None:
            styles[id(row)] = dict(color="grey", linewidth=1.5, linestyle=":")
        elif id(row) not in styles:
            styles[id(row)] = dict(color="tab:red", linewidth=1.8)
        if row.physics is not None and not row.physics.negligible:
            # drawn like the others, a setting the table marks NO looked like a win at every budget
            styles[id(row)].update(alpha=0.3, linewidth=0.8)
    return styles


def budget_label(row, reference):
    """A setting's legend entry: its bytes against the reference's, and NO where it is not negligible."""
    verdict = "" if row.physics is None or row.physics.negligible else ", NOT negligible"
    return f"{row.label} ({row.bytes / reference.bytes:.2f}x bytes{verdict})"


def budget_figure(budget, path):
    """Error of the peak position against the storage budget, for each setting:
    sqrt(stat^2 + bias^2), where stat shrinks as 1/sqrt(events) and events = budget / bytes per event."""
    fig, axes = plt.subplots(figsize=(9, 4.8), dpi=DPI)
    fig.subplots_adjust(left=0.15, right=0.66, bottom=0.12, top=0.92)  # room for the y label and the legend
    reference = budget.reference
    budgets = np.geomspace(0.1, 10, 100) * reference.bytes
    styles = _budget_styles(budget)
    for row in budget.rows:
        total = np.sqrt(row.peak_error_at(budgets, budget.original) ** 2 + row.bias ** 2)
        axes.plot(budgets / 1e6, total, label=budget_label(row, reference), **styles[id(row)])
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.axvline(reference.bytes / 1e6, color="grey", linewidth=0.8)
    axes.set_xlabel(f"storage budget [MB] (vertical line: {reference.label})")
    axes.set_ylabel(f"error of the peak of {budget.analysis.quantity}\nsqrt(stat^2 + bias^2)")
    axes.set_title(f"{budget.analysis.title}: what a bound buys", fontsize="medium")
    axes.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.savefig(path)
    plt.close(fig)
