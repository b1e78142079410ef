"""`baler eval ORIGINAL.root COMPRESSED.root [--tree NAME] [--branches GLOB] [--analysis NAME]... [--out DIR]`"""

import argparse
import contextlib
import fnmatch
import re
import shutil
import sys
import tempfile
from pathlib import Path

from . import analyses
from .budget import DEFAULT_LADDER, budgets, compress
from .errors import EvalError
from .words import branches, for_many

DEFAULT_OUT = "baler-eval-report"
DEFAULT_MAX_PLOTS = 100


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        """One line, like every other `baler` command, instead of argparse's usage block."""
        self.exit(2, f"baler: error: {message} (see `baler eval --help`)\n")


def parser():
    p = _Parser(
        prog="baler eval",
        description="Compare an original ROOT file with its compressed version: per-branch errors and bytes, "
                    "physics analyses before and after, and what the bound buys at a fixed storage budget. "
                    "Writes DIR/report.html with PNG plots beside it and prints a summary.")
    p.add_argument("original", metavar="ORIGINAL.root", type=Path)
    p.add_argument("compressed", metavar="COMPRESSED.root", type=Path)
    p.add_argument("--tree", action="append", default=[], metavar="NAME",
                   help="evaluate this tree (name or dir/name; repeatable; default: every tree of both files)")
    p.add_argument("--branches", action="append", default=[], metavar="GLOB",
                   help="compare only branches matching this shell glob (repeatable; default: all)")
    p.add_argument("--analysis", action="append", default=[], metavar="NAME",
                   choices=["auto", *analyses.ANALYSES],
                   help="physics analysis: " + ", ".join(f"{a.name} ({a.title})" for a in analyses.ANALYSES.values())
                        + "; auto (default): those whose branches the tree has")
    p.add_argument("--out", type=Path, default=Path(DEFAULT_OUT), metavar="DIR",
                   help=f"folder for report.html and its plots (default: {DEFAULT_OUT})")
    p.add_argument("--max-plots", type=int, default=DEFAULT_MAX_PLOTS, metavar="N",
                   help=f"plot at most N branches, in table order (default {DEFAULT_MAX_PLOTS}; each takes a "
                        "fraction of a second)")
    p.add_argument("--ladder", nargs="?", const=list(DEFAULT_LADDER), type=_ladder, metavar="SPEC,...",
                   help="also compress ORIGINAL at each spec (default ladder: " + ",".join(DEFAULT_LADDER)
                        + ") with `baler compress` and evaluate the analyses at each: where a bound starts to matter. "
                        "ae:BOUND trains an object model for each collection of float branches (Jet_Px, Jet_Py, "
                        "...: `baler train`) and uses it where it pays, BOUND elsewhere; ae:BOUND:MODEL uses MODEL; "
                        "both are written by ROOT with the plugin, which codes a member with its collection's values")
    return p


def _ladder(text):
    """--ladder's settings, each checked by the codec's own parser before any rung is written: a
    bad one is a usage error, not a `baler compress` failure after the rungs before it."""
    from baler_root._codec import spec_text  # the codec's parser; imported only for --ladder

    from .model_rung import is_model_spec, parse_model_spec
    settings = [s.strip() for s in text.split(",")]
    for setting in settings:
        if not setting:
            raise argparse.ArgumentTypeError(f"'{text}' has an empty setting")
        if settings.count(setting) > 1:
            raise argparse.ArgumentTypeError(f"'{text}' names {setting} twice")
        try:
            bound, model = parse_model_spec(setting) if is_model_spec(setting) else (setting, None)
            spec_text(bound)
            if model is not None:
                _check_model_file(model)
        except EvalError as error:  # names the setting
            raise argparse.ArgumentTypeError(str(error)) from None
        except ValueError as error:
            raise argparse.ArgumentTypeError(f"setting '{setting}': {error}") from None
    return settings


def _check_model_file(model):
    """A ladder rung's MODEL given as a path is a model file, before any rung is written (it was
    found only when ROOT wrote that rung, in a message naming a temporary file). An id (32 hex
    digits) is looked up where the plugin looks: in the original, then in BALER_MODEL_PATH."""
    from baler_root._codec import Model, ModelError

    if re.fullmatch(r"[0-9a-fA-F]{32}", model):  # the plugin takes either case
        return
    try:
        Model(Path(model).read_bytes())
    except OSError as error:
        raise ValueError(f"cannot read the model file '{model}': {error.strerror.lower()}") from None
    except ModelError as error:
        raise ValueError(f"'{model}' is not a model: {error}") from None


def run(args):
    for path in (args.original, args.compressed):
        if not path.is_file():
            raise EvalError(f"cannot read input file '{path}': " + ("not a file" if path.exists() else "no such file"))
    if args.original.resolve() == args.compressed.resolve():
        raise EvalError("ORIGINAL.root and COMPRESSED.root are the same file")
    # Before the work, not after it: the report's folder must be one this run can write into.
    made = not args.out.exists()
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise EvalError(f"--out {args.out}: cannot make the report's folder there ({error.strerror})") from None
    # The report is written into a folder of its own inside --out and moved beside an earlier one
    # only once complete: a run that fails (a full disk, say) leaves the earlier report as it was,
    # not some of its plots replaced.
    try:
        staging = Path(tempfile.mkdtemp(prefix=".baler-eval-", dir=args.out))
    except OSError as error:
        raise EvalError(f"--out {args.out}: cannot write the report there ({error.strerror})") from None
    try:
        _report(args, staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if made:  # a run that failed before writing anything leaves no empty folder behind
            with contextlib.suppress(OSError):
                args.out.rmdir()
        raise


def _move_together(staging, out, names):
    """Moves the files `names` of `staging` into `out`, all or none: the files of those names
    already there are set aside in `staging` first and put back if any move fails. Moved one by
    one, a report.html that could not be replaced (another user's, in a shared folder) stayed
    beside the new run's plots, which it described wrongly (an eval sweep)."""
    earlier, moved = staging / ".earlier", []
    earlier.mkdir()
    set_aside = []
    name = None
    try:
        for name in names:
            if (out / name).is_file() or (out / name).is_symlink():  # (a folder of that name stays, and fails)
                (out / name).replace(earlier / name)
                set_aside.append(name)
        for name in names:
            (staging / name).replace(out / name)
            moved.append(name)
    except OSError as error:
        for back in moved:
            with contextlib.suppress(OSError):
                (out / back).replace(staging / back)
        for back in set_aside:
            with contextlib.suppress(OSError):
                (earlier / back).replace(out / back)
        raise EvalError(f"--out {out}: cannot put {name} there ({error.strerror}); the earlier report is as it "
                        "was") from None
    shutil.rmtree(earlier)


def _report(args, staging):
    """The work of `run`: the report and its plots written into `staging`, then moved into --out."""
    # Imported only now: matplotlib alone takes a second, so `--help` and bad arguments answer at once.
    from .evaluate import evaluate
    from .model_rung import Rung, is_model_spec, write_model_rung
    from .plots import branch_figure, budget_figure, file_name, physics_figure
    from .progress import Progress
    from .report import figures_of_report, html_report, text_summary
    from .rootio import inspect_branches, no_dictionary_warning

    progress = Progress()
    original_rows = inspect_branches(args.original)
    results = evaluate(args.original, args.compressed, args.tree, args.branches, args.analysis, progress,
                       original_rows=original_rows)

    ladders = {result.tree: [(args.compressed.name, result)] for result in results}
    ladder_notes = []
    if args.ladder and not any(result.physics for result in results):
        # a rung is there to show what a bound does to an analysis
        print(f"baler: warning: --ladder: no analysis ({', '.join(analyses.ANALYSES)}) applies to the evaluated "
              "trees, so no setting of the ladder was written", file=sys.stderr)
    elif args.ladder:
        specs = args.ladder
        trees = [r.tree for r in results]
        with tempfile.TemporaryDirectory(prefix="baler-eval-ladder-") as folder:
            for spec in specs:
                output = Path(folder) / "ladder.root"
                if is_model_spec(spec):
                    rung = write_model_rung(args.original, output, spec, trees,
                                            _float_branches(original_rows, trees, args.branches), Path(folder))
                else:
                    compress(args.original, output, spec, args.tree, args.branches)
                    rung = Rung(spec)
                ladder_notes += rung.notes
                for result in evaluate(args.original, output, trees, args.branches,
                                       args.analysis, progress, compare_branches=False, original_rows=original_rows):
                    ladders[result.tree].append((rung.label, result))
    original_label = f"original ({_dominant_codec(original_rows)})"
    all_budgets = [b for result in results for b in budgets(result.tree, original_label, ladders[result.tree])]

    figures = {}

    def figure_name(label):
        """file_name(label), numbered where another figure has it: tree `a` with branch `b_c` and
        tree `a_b` with branch `c` gave one name, and the report failed (a review)."""
        name, number = file_name(label), 1
        while name in figures.values():
            number += 1
            name = file_name(f"{label}_{number}")
        return name

    # Plots are for float values that changed: the table says all about exact or integer ones.
    to_plot = [(result.tree, c) for result in results for c in result.branches
               if c.hist_original is not None and c.changed]
    for tree, comparison in to_plot[:max(args.max_plots, 0)]:
        figures[id(comparison)] = figure_name(f"branch_{tree}_{comparison.name}")
        branch_figure(comparison, staging / figures[id(comparison)])
    unplotted = max(len(to_plot) - max(args.max_plots, 0), 0)
    for result in results:
        for physics in result.physics:
            figures[id(physics)] = figure_name(f"physics_{result.tree}_{physics.analysis.name}")
            physics_figure(physics, staging / figures[id(physics)])
    for budget in all_budgets:
        figures[id(budget)] = figure_name(f"budget_{budget.tree}_{budget.analysis.name}")
        budget_figure(budget, staging / figures[id(budget)])
    report = args.out / "report.html"
    # The plots of an earlier report in this folder that this one does not draw again would sit
    # beside it as if they were this run's: once the new report is written, they go. Only files
    # the old report.html names are removed, never other files of the folder.
    earlier = figures_of_report(report.read_text(errors="replace")) if report.is_file() else set()
    (staging / report.name).write_text(html_report(args.original, args.compressed, results, all_budgets, figures,
                                                   unplotted, ladder_notes))
    _move_together(staging, args.out, [*figures.values(), report.name])  # the report last: it names the plots
    staging.rmdir()
    for stale in earlier - set(figures.values()):
        (args.out / stale).unlink(missing_ok=True)

    if (warning := no_dictionary_warning()) is not None:
        print(f"baler: warning: {warning}", file=sys.stderr)
    sys.stdout.write(text_summary(args.original, args.compressed, results, all_budgets, ladder_notes))
    print(f"\nreport: {report}")
    if unplotted:
        print(f"plotted {len(to_plot) - unplotted} of the {len(to_plot)} float branches whose values changed "
              "(--max-plots)")
    broken = [c.label for r in results for c in r.branches if not c.ok]
    if broken:
        differ = "differs from the original beyond what its" if len(broken) == 1 else \
            "differ from the original beyond what their"
        raise EvalError(f"{branches(len(broken))} {differ} codec allows "
                        f"({', '.join(broken[:5])}{', ...' if len(broken) > 5 else ''}); see {report}")
    lost = [f"{r.tree}/{name}" for r in results for name in r.lost()]
    if lost:
        missing = for_many("is not in the compressed file", len(lost))
        raise EvalError(f"{branches(len(lost))} of the original {missing} "
                        f"({', '.join(lost[:5])}{', ...' if len(lost) > 5 else ''}); see {report}")


def _float_branches(rows, trees, branch_globs):
    """{tree: [float branches that --branches selects]}: what a ladder rung codes lossily."""
    return {tree: [name for (t, name), info in rows.items() if t == tree and info.holds_floats
                   and (not branch_globs or any(fnmatch.fnmatchcase(name, g) for g in branch_globs))]
            for tree in trees}


def _dominant_codec(rows):
    """The codec that stores most of a file's bytes, to name it in the tables."""
    by_codec = {}
    for info in rows.values():
        by_codec[info.codec] = by_codec.get(info.codec, 0) + info.bytes
    return max(by_codec, key=by_codec.get) if by_codec else "?"


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        run(args)
    except EvalError as error:
        print(f"baler: error: {str(error).splitlines()[0] if str(error) else 'eval failed'}", file=sys.stderr)
        return 1
    except OSError as error:  # a full disk or a read-only folder, met while writing the report
        where = f"'{error.filename}'" if error.filename else f"the report in '{args.out}'"
        print(f"baler: error: {where}: {error.strerror or error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("baler: error: eval interrupted", file=sys.stderr)
        return 130
    return 0
