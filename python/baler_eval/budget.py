"""What a bound buys: at a fixed storage budget a smaller file keeps more events, so the
statistical error of a physics quantity shrinks, while the compression adds a bias.

For each analysis and each setting (the original as stored, the file under evaluation, and with
--ladder one file per bound), the peak position's statistical error at budget B scales as
sqrt(bytes / B) (events = B / bytes per event), and the bias is the shift of the peak the setting
caused. Bytes are those of the whole tree on disk: that is what a collaboration stores.
"""

from dataclasses import dataclass

import numpy as np

from .command import run_baler

DEFAULT_LADDER = ("lossless", "bits:6", "bits:8", "bits:10", "bits:12", "bits:14", "bits:16",
                  "rel:1e-2", "rel:1e-3", "rel:1e-4", "abs:1e-1", "abs:1e-2", "abs:1e-3", "ae:bits:10")


@dataclass
class BudgetRow:
    label: str
    bytes: int
    physics: object = None   # PhysicsComparison against the original; None for the original itself

    @property
    def bias(self):
        if self.physics is None:
            return 0.0
        return abs(self.physics.compressed.peak - self.physics.original.peak)

    def peak_error_at(self, budget, original):
        """Statistical error of the peak with `budget` bytes of this setting."""
        return original.peak_error * np.sqrt(self.bytes / budget)


@dataclass
class Budget:
    """One analysis: the rows, the reference (lossless) row, and the loosest negligible setting."""

    tree: str
    analysis: object
    original: object          # Summary of the original sample
    rows: list
    reference: BudgetRow

    @property
    def loosest_negligible(self):
        lossy = [r for r in self.rows if r.physics is not None and r is not self.reference
                 and r.physics.negligible and r.bytes < self.reference.bytes]
        return min(lossy, key=lambda r: r.bytes) if lossy else None

    def extra_events(self, row):
        """Events `row` keeps beyond the reference's at the reference's storage budget."""
        return self.original.events * (self.reference.bytes / row.bytes - 1.0)


def budgets(tree, original_label, settings):
    """Budget per analysis of one tree. settings: [(label, TreeResult)] with the evaluated file first."""
    first = settings[0][1]
    result = []
    for index, physics in enumerate(first.physics):
        if not physics.original.peak_error > 0:
            # no event, or too few (or all alike) for the peak to have an error: no error for a
            # budget to buy down (NaN curves also failed the plot's log axis, and eval with it)
            continue
        rows = [BudgetRow(original_label, first.bytes_original)]
        rows += [BudgetRow(label, tree_result.bytes_compressed, tree_result.physics[index])
                 for label, tree_result in settings]
        reference = next((r for r in rows if r.label == "lossless"), rows[0])
        result.append(Budget(tree, physics.analysis, physics.original, rows, reference))
    return result


def compress(original, output, spec, trees, branch_globs):
    """`baler compress` of the original at one bound of the ladder."""
    arguments = ["compress", original, output, "--codec", spec]
    for tree in trees:
        arguments += ["--tree", tree]
    for glob in branch_globs:
        arguments += ["--branches", glob]
    run_baler(*arguments)
