"""The per-branch and per-analysis tables, as text for stdout and as report.html."""

import html
import math
import os
import re
from collections import Counter

from .physics_stats import KS_LIMIT, SHIFT_LIMIT, SMEARING_LIMIT
from .words import branches, for_many


def _number(value, digits=3):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.{digits}g}"


def _ratio(comparison):
    return "-" if math.isnan(comparison.ratio) else f"{comparison.ratio:.2f}x"


# how many values changed and how many broke the bound: a value turned NaN or infinite has no error
# to show in the error columns, which read 0 beside BOUND BROKEN
BRANCH_COLUMNS = ("branch", "type", "values", "changed", "out of bound", "max abs err", "max rel err", "resid. mean",
                  "resid. RMS", "bytes before", "bytes after", "ratio", "codec", "verdict")


def _bytes(info):
    """A branch's bytes on disk, or "in tree key" where it has none of its own, as `baler compress`
    and `baler inspect` say it (it read 0)."""
    return "in tree key" if info.in_tree_key else str(info.bytes)


def branch_row(c):
    out_of_bound = "-" if c.bound is None and c.is_float else str(c.bound_violations if c.is_float else c.changed)
    return (c.name, c.before.type, str(c.values), str(c.changed), out_of_bound, _number(c.max_abs), _number(c.max_rel),
            _number(c.residual_mean), _number(c.residual_rms), _bytes(c.before), _bytes(c.after), _ratio(c),
            c.after.codec, c.verdict)


NEGLIGIBLE = (f"all shifts < {SHIFT_LIMIT} sigma, KS p > {KS_LIMIT}, event change RMS < "
              f"{100 * SMEARING_LIMIT:g}%")
PHYSICS_COLUMNS = ("analysis", "events", "mean shift", "peak shift", "width shift", "width change",
                   "chi2/ndf", "chi2 p", "KS p", "event change RMS / max", NEGLIGIBLE)


# A tree that no analysis applies to: the report has no verdict on its physics, and says so.
_NO_ANALYSIS = ("no analysis applies to this tree (its branches are not those of any of baler eval's), so its "
                "physics is not assessed: only each value against its codec's bound")


def _smearing(p):
    """The events' relative change, RMS and largest, or why it is not known."""
    if math.isnan(p.smearing_rms):
        return "not the same events"
    return f"{_percent(p.smearing_rms)} / {_percent(p.smearing_max)}"


def _percent(fraction):
    """Two significant digits, and whole percents from 10% on ("1.8e+02%" read as 180%)."""
    return f"{100 * fraction:.2g}%" if 100 * fraction < 10 else f"{100 * fraction:.0f}%"


def physics_row(p):
    if p.original.events == 0:  # no distribution to compare: no figure (it printed "- sigma" and a chi2 p of 1)
        figures = len(PHYSICS_COLUMNS) - 3  # every column between the events and the verdict
        return (p.analysis.name, f"{p.original.events} / {p.compressed.events}", *["-"] * figures, "no event selected")
    return (p.analysis.name, f"{p.original.events} / {p.compressed.events}", f"{_number(p.mean_shift, 2)} sigma",
            f"{_number(p.peak_shift, 2)} sigma", f"{_number(p.width_shift, 2)} sigma",
            f"{_number(100 * p.width_change, 2)}%", f"{p.chi2:.3g}/{p.ndf}", _number(p.chi2_p, 4),
            _number(p.ks_p, 6), _smearing(p), "yes" if p.negligible else "NO")


BUDGET_COLUMNS = ("setting", "tree bytes", "vs reference", "events at the same bytes", "peak stat. error",
                  "peak bias", "largest shift / sigma", "KS p", "event change RMS", "negligible")


def budget_row(budget, row):
    original = budget.original
    events = original.events * budget.reference.bytes / row.bytes
    stat = row.peak_error_at(budget.reference.bytes, original)
    if row.physics is None:
        shift, ks, smearing, negligible = "-", "-", "-", "(original)"
    else:
        # the shift that decides "negligible", named: the peak's alone hid a width that moved
        name, value = row.physics.deciding_shift
        shift = f"{_number(value, 2)} ({name})" if value else "0"
        ks = _number(row.physics.ks_p, 6)
        smearing = "-" if math.isnan(row.physics.smearing_rms) else _percent(row.physics.smearing_rms)
        negligible = "yes" if row.physics.negligible else "NO"
    return (row.label + (" (reference)" if row is budget.reference else ""), str(row.bytes),
            f"{row.bytes / budget.reference.bytes:.3f}x", f"{events:.0f}", _number(stat), _number(row.bias), shift, ks,
            smearing, negligible)


FEW_EVENTS = 100


def budget_conclusion(budget):
    best = budget.loosest_negligible
    if best is None:
        return (f"{budget.analysis.name}: no setting smaller than the reference is negligible ({NEGLIGIBLE})")
    extra = budget.extra_events(best)
    events = budget.original.events
    # on a few dozen events the verdicts rest on how a handful of errors happen to cancel
    few = f"; measured on {events} events only, a rough guide" if events < FEW_EVENTS else ""
    return (f"{budget.analysis.name}: loosest negligible setting ({NEGLIGIBLE}): {best.label} "
            f"({best.bytes / budget.reference.bytes:.3f}x the bytes of {budget.reference.label}); at the same storage "
            f"it keeps {extra:.0f} more events (+{100 * extra / events:.0f}%){few}")


def text_table(columns, rows):
    widths = [max(len(str(x)) for x in column) for column in zip(columns, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(columns), line("-" * w for w in widths)] + [line(r) for r in rows]) + "\n"


def text_summary(original, compressed, results, budgets, ladder_notes=()):
    out = [f"baler eval: {original} -> {compressed}\n"]
    for result in results:
        out.append(f"\ntree {result.tree}: {result.entries} entries, {_tree_bytes(result, original, compressed, '->')}\n")
        if result.branches:
            out.append(text_table(BRANCH_COLUMNS, [branch_row(c) for c in result.branches]))
        if len(result.not_compared) <= 10:
            out += [f"not compared: {name}: {why}\n" for name, why in result.not_compared]
        else:
            reasons = Counter(why for _, why in result.not_compared)
            out.append(f"not compared: {len(result.not_compared)} branches ("
                       + "; ".join(f"{count} {for_many(why, count)}" for why, count in reasons.most_common())
                       + "), listed in report.html\n")
        if result.physics:
            out.append("\n" + text_table(PHYSICS_COLUMNS, [physics_row(p) for p in result.physics]))
        elif result.branches:
            out.append(f"physics: {_NO_ANALYSIS}\n")
    for budget in budgets:
        out.append(f"\nwhat a bound buys, tree {budget.tree}, {budget.analysis.name} "
                   f"(peak of {budget.analysis.quantity}; "
                   f"budget = the bytes of {budget.reference.label}):\n")
        out.append(text_table(BUDGET_COLUMNS, [budget_row(budget, r) for r in budget.rows]))
        out.append(budget_conclusion(budget) + "\n")
    if ladder_notes:
        out.append("\nhow the ladder's model rungs were made:\n" + "".join(f"  {note}\n" for note in ladder_notes))
    return "".join(out)


def _bytes_ratio(before, after):
    return f"ratio {before / after:.2f}x" if after else "no bytes"


def _tree_bytes(result, original, compressed, arrow):
    """The tree's bytes on disk before and after; where some branches keep their baskets inside the
    tree's key (counted in no branch), the files' sizes too, which are then the figures to trust."""
    text = f"{result.bytes_original} {arrow} {result.bytes_compressed} bytes on disk " \
           f"({_bytes_ratio(result.bytes_original, result.bytes_compressed)})"
    if result.models_original or result.models_compressed:
        text += (f", with the models' keys ({result.models_original} {arrow} {result.models_compressed} bytes: "
                 "the files' `baler_model_*` objects, each counted in the bytes of the tree coded with it)")
    if result.missing:
        text += (f"; {branches(len(result.missing))} of the original ({result.missing_bytes} bytes) "
                 f"{for_many('is not in the compressed file', len(result.missing))}, and not counted")
    if result.branches_in_tree_key:
        before, after = os.path.getsize(original), os.path.getsize(compressed)
        keep = "keeps its" if result.branches_in_tree_key == 1 else "keep their"
        text += (f"; {branches(result.branches_in_tree_key)} {keep} baskets inside the tree's key, counted in "
                 f"no branch: the files are {before} {arrow} {after} bytes ({_bytes_ratio(before, after)})")
    return text


_FIGURE = re.compile(r"<img src='([A-Za-z0-9_.-]+\.png)'")


def figures_of_report(report_html):
    """The PNG files an earlier report.html shows: names only, as plots.file_name makes them."""
    return set(_FIGURE.findall(report_html))


def _html_table(columns, rows, bad=lambda row: False):
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        f"<tr{' class=bad' if bad(row) else ''}>" + "".join(f"<td>{html.escape(str(x))}</td>" for x in row) + "</tr>"
        for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>\n"


_STYLE = """
body { font-family: sans-serif; margin: 2em; }
table { border-collapse: collapse; font-size: 90%; margin: 1em 0; }
th, td { border: 1px solid #bbb; padding: 2px 6px; text-align: right; }
th { background: #eee; }
td:first-child { text-align: left; }
tr.bad td { background: #fdd; }
img { max-width: 100%; }
"""


def html_report(original, compressed, results, budgets, figures, unplotted=0, ladder_notes=()):
    """figures: {object id: PNG file name} for branches, physics comparisons and budgets."""
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>baler eval</title><style>{_STYLE}</style>"
             f"</head><body><h1>baler eval</h1><p>original: <code>{html.escape(str(original))}</code><br>"
             f"compressed: <code>{html.escape(str(compressed))}</code></p>"]
    for result in results:
        parts.append(f"<h2>tree {html.escape(result.tree)}</h2><p>{result.entries} entries; "
                     f"{_tree_bytes(result, original, compressed, '&rarr;')}. "
                     "Errors are compressed &minus; original over every value (jagged branches flattened); "
                     "bytes are per branch on disk, basket keys included.</p>")
        if result.branches:
            parts.append(_html_table(BRANCH_COLUMNS, [branch_row(c) for c in result.branches],
                                     bad=lambda row: row[-1] in ("BOUND BROKEN", "VALUES DIFFER", "ENTRIES DIFFER")))
        for name, why in result.not_compared:
            parts.append(f"<p>not compared: <code>{html.escape(name)}</code>: {html.escape(why)}</p>")
        if not result.physics and result.branches:
            parts.append(f"<h3>physics</h3><p>{html.escape(_NO_ANALYSIS)}</p>")
        if result.physics:
            parts.append("<h3>physics</h3><p>Shifts are in units of the original sample's statistical error; "
                         "the peak is the mean of the events inside the original's shortest interval that holds "
                         "half of them (the same window for both files). The event change is each event's "
                         "|compressed &minus; original| / original, over the events both files select: a "
                         "resolution lost event by event, which the shifts of the whole distribution do not "
                         f"see; its RMS below {100 * SMEARING_LIMIT:g}% is a tenth of a 1% mass resolution.</p>")
            parts.append(_html_table(PHYSICS_COLUMNS, [physics_row(p) for p in result.physics],
                                     bad=lambda row: row[-1] == "NO"))
            for physics in result.physics:
                parts.append(f"<img src='{figures[id(physics)]}' alt='{html.escape(physics.analysis.name)}'>")
        if result.branches:
            parts.append("<h3>branches</h3><p>Per float branch whose values changed: distributions with their "
                         "ratio, residuals (values on a log scale), and relative residual against value; red lines: "
                         "the codec's bound, an absolute one (abs) on the residuals, a relative one (bits, rel) on "
                         "the relative residual. Branches whose values are all exact have no plot." +
                         (f" {unplotted} more branches are not plotted (--max-plots)." if unplotted else "") + "</p>")
            for comparison in result.branches:
                if id(comparison) in figures:
                    parts.append(f"<p><img src='{figures[id(comparison)]}' alt='{html.escape(comparison.name)}'></p>")
    for budget in budgets:
        parts.append(f"<h2>what a bound buys: {html.escape(budget.analysis.title)}</h2>"
                     f"<p>At the storage budget of {html.escape(budget.reference.label)}, each setting keeps "
                     "events in inverse proportion to its bytes; the peak's statistical error scales as "
                     "1/sqrt(events), the bias is the peak shift the setting caused.</p>")
        parts.append(_html_table(BUDGET_COLUMNS, [budget_row(budget, r) for r in budget.rows],
                                 bad=lambda row: row[-1] == "NO"))
        parts.append(f"<p><b>{html.escape(budget_conclusion(budget))}</b></p>")
        parts.append(f"<img src='{figures[id(budget)]}' alt='budget {html.escape(budget.analysis.name)}'>")
    if ladder_notes:
        parts.append("<h3>how the ladder's model rungs were made</h3><ul>" +
                     "".join(f"<li>{html.escape(note)}</li>" for note in ladder_notes) + "</ul>")
    parts.append("</body></html>\n")
    return "".join(parts)
