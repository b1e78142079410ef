"""Per-branch comparison of original and compressed values, accumulated chunk by chunk."""

import math
import re

import numpy as np

from .histograms import Hist1D, Hist2D, central_range, symmetric_range, wants_log_bins

_BALER_SPEC = re.compile(r"^baler (lossless|bits:(\d+)|rel:(\S+)|abs:(\S+))$")
# `baler inspect` names an ae: branch by its bound and its model's id: the residual holds the bound on
# every value whatever the model predicted, so the bound alone is the promise.
_AE_SPEC = re.compile(r"^baler ae:(bits:\d+|rel:[^:\s]+|abs:[^:\s]+):\S+$")
# `baler export` stores a Baler spec's values in a ROOT algorithm's baskets: they are still the spec's.
_EXPORTED = re.compile(r"^.*, from (baler .+)$")
# ROOT's own algorithms are lossless: values must come back bit for bit.
_ROOT_LOSSLESS = re.compile(r"^(zlib|lzma|lz4|zstd|old|uncompressed|none)\b", re.IGNORECASE)


def _loosest(bounds):
    return None if None in bounds else (max(b[0] for b in bounds), max(b[1] for b in bounds))


def guarantee(codec, kind=None):
    """(abs_bound, rel_bound) promised by a codec description, (0, 0) for exact, None if unknown.

    A branch whose baskets differ (`baler abs:1 | ae:abs:1:ID`, or `baler abs:1 | zstd` where some
    are ROOT's, exact) is held to the loosest of them, and one exported from Baler blocks (`zstd 5,
    from baler bits:10`) to the spec they held. Blocks of floats and doubles together (a leaf list:
    `baler f32 bits:10, f64 bits:20`) hold the values of `kind` ("f32" or "f64") to its own spec,
    or all to the loosest."""
    exported = _EXPORTED.match(codec.strip())
    if exported:
        return guarantee(exported.group(1), kind)
    if " | " in codec and codec.startswith("baler "):
        return _loosest([guarantee(part if _ROOT_LOSSLESS.match(part) else "baler " + part, kind)
                         for part in codec[len("baler "):].split(" | ")])
    codec = codec.strip()
    if codec.startswith("baler ") and ", " in codec:
        kinds = [part.split(" ", 1) for part in codec[len("baler "):].split(", ")]
        if not all(len(k) == 2 and k[0] in ("f32", "f64") for k in kinds):
            return None
        own = [spec for name, spec in kinds if name == kind] or [spec for _, spec in kinds]
        return _loosest([guarantee("baler " + spec) for spec in own])
    learned = _AE_SPEC.match(codec)
    if learned:
        codec = "baler " + learned.group(1)
    match = _BALER_SPEC.match(codec)
    if match:
        lossless, bits, rel, absolute = match.groups()[0], match.group(2), match.group(3), match.group(4)
        if bits:
            return 0.0, 2.0 ** -(int(bits) + 1)
        if rel:
            return 0.0, float(rel)
        if absolute:
            return float(absolute), 0.0
        if lossless == "lossless":
            return 0.0, 0.0
    if _ROOT_LOSSLESS.match(codec):
        return 0.0, 0.0
    return None


def _integer_difference(x, y):
    """y - x of two integer arrays as doubles, taken in 64-bit two's complement first: converted to
    doubles before subtracting, values near 2^62 lost differences under 1024, and a changed Long64_t
    showed errors of 0 beside VALUES DIFFER (an eval sweep)."""
    up = y >= x
    x_bits, y_bits = x.astype(np.uint64), y.astype(np.uint64)
    return np.where(up, (y_bits - x_bits).astype(np.float64), -(x_bits - y_bits).astype(np.float64))


class BranchComparison:
    """What compression did to one branch: errors, residual moments, histograms for the plots."""

    def __init__(self, tree, before, after):
        self.tree = tree
        self.name = before.name
        self.before = before  # BranchInfo of the original file
        self.after = after    # BranchInfo of the compressed file
        self.is_float = before.holds_floats
        self.bound = guarantee(after.codec, "f32" if before.holds_single_floats else "f64")
        self._smallest_normal = np.finfo(np.float32 if before.holds_single_floats else np.float64).tiny
        self.values = 0
        self.entries_with_other_length = 0
        self.changed = 0            # values not equal to the original
        self.bound_violations = 0   # values outside the codec's guarantee (when it is known)
        self.max_abs = 0.0
        self.max_rel = 0.0
        # Residual moments as scale * sum(residual / scale) and scale^2 * sum((residual / scale)^2),
        # scale the largest |residual| so far: squares of doubles near 1e200 overflow otherwise.
        self._scale = 0.0
        self._scaled_sum = 0.0
        self._scaled_sum_squares = 0.0
        self._finite = 0
        self.hist_original = None
        self.hist_compressed = None
        self.hist_residual = None
        self.hist_relative = None

    @property
    def label(self):
        return f"{self.tree}/{self.name}"

    def add(self, original, compressed, original_shapes=None, compressed_shapes=None):
        """One chunk: (values, counts) of each file for the same entries; for a collection of
        collections, each entry's shape (a hash of its inner sizes) in each file too, as an entry
        whose values were split otherwise has the same count (an eval sweep)."""
        (x, x_counts), (y, y_counts) = original, compressed
        same = x_counts == y_counts
        if original_shapes is not None and compressed_shapes is not None:
            same &= original_shapes == compressed_shapes
        if not same.all():
            self.entries_with_other_length += int(np.count_nonzero(~same))
            x = x[np.repeat(same, x_counts)]
            y = y[np.repeat(same, y_counts)]
        self.values += x.size
        if x.size == 0:
            return
        if not self.is_float:
            self.changed += int(np.count_nonzero(x != y))
            # The error columns too: a table of zeros beside "VALUES DIFFER" read as a contradiction.
            self._add_errors(_integer_difference(x, y), np.abs(x.astype(np.float64)))
            return
        both_finite = np.isfinite(x) & np.isfinite(y)
        # bit for bit (the reader's doubles keep a float's sign and NaN payload): -0.0 against 0.0,
        # or one NaN against another, compared equal, where the codecs promise both exactly
        x, y = np.ascontiguousarray(x, dtype=np.float64), np.ascontiguousarray(y, dtype=np.float64)
        exact = x.view(np.uint64) == y.view(np.uint64)
        self.changed += int(np.count_nonzero(~exact))
        residual = y[both_finite] - x[both_finite]
        magnitude = np.abs(x[both_finite])
        abs_error, relative = self._add_errors(residual, magnitude)
        if self.bound is not None:
            abs_bound, rel_bound = self.bound
            # Non-finite values, zeros (with their sign) and subnormals (of the branch's own type:
            # a float's are normal doubles here) must come back exactly, under every spec.
            within = exact.copy()
            within[both_finite] = (abs_error <= np.maximum(abs_bound, rel_bound * magnitude)) & (
                (magnitude >= self._smallest_normal) | exact[both_finite])
            self.bound_violations += int(np.count_nonzero(~within))
        self._fill_histograms(x[both_finite], y[both_finite], residual, relative)

    def _add_errors(self, residual, magnitude):
        """Adds finite residuals (compressed - original) to the error columns; returns their
        absolute and relative errors (NaN where the original is 0)."""
        abs_error = np.abs(residual)
        nonzero = magnitude > 0
        relative = np.full(residual.shape, np.nan)
        relative[nonzero] = residual[nonzero] / magnitude[nonzero]
        if residual.size:
            self.max_abs = max(self.max_abs, float(abs_error.max()))
            rel_error = np.where(nonzero, np.abs(relative), np.where(abs_error > 0, np.inf, 0.0))
            self.max_rel = max(self.max_rel, float(rel_error.max()))
            self._add_moments(residual.astype(np.float64), float(abs_error.max()))
            self._finite += residual.size
        return abs_error, relative

    def _add_moments(self, residual, largest):
        if largest > self._scale:
            shrink = self._scale / largest
            self._scaled_sum *= shrink
            self._scaled_sum_squares *= shrink * shrink
            self._scale = largest
        if self._scale > 0:
            scaled = residual / self._scale
            self._scaled_sum += float(scaled.sum())
            self._scaled_sum_squares += float(np.square(scaled).sum())

    def _fill_histograms(self, x, y, residual, relative):
        if self.hist_original is None:
            value_range = central_range(x)
            log = wants_log_bins(x, *value_range)
            self.hist_original = Hist1D(*value_range, log=log)
            self.hist_compressed = Hist1D(*value_range, log=log)
            self.hist_residual = Hist1D(*symmetric_range(residual))
            self.hist_relative = Hist2D(value_range, symmetric_range(relative), x_log=log)
        self.hist_original.fill(x)
        self.hist_compressed.fill(y)
        self.hist_residual.fill(residual)
        self.hist_relative.fill(x, relative)

    @property
    def residual_mean(self):
        return self._scale * (self._scaled_sum / self._finite) if self._finite else 0.0

    @property
    def residual_rms(self):
        return self._scale * math.sqrt(self._scaled_sum_squares / self._finite) if self._finite else 0.0

    @property
    def ratio(self):
        return self.before.bytes / self.after.bytes if self.after.bytes > 0 else float("nan")

    @property
    def verdict(self):
        """One word for the table: is the branch what its codec promises?"""
        if self.entries_with_other_length:
            return "ENTRIES DIFFER"
        if self.values == 0:  # entries with empty collections only: "exact" claimed what nothing showed
            return "no values"
        if not self.is_float:  # Baler never changes integers, booleans or bytes
            return "VALUES DIFFER" if self.changed else "exact"
        if self.bound is None:
            return "changed" if self.changed else "exact"
        if self.bound_violations:
            return "BOUND BROKEN"
        return "exact" if self.changed == 0 else "within bound"

    @property
    def ok(self):
        return self.verdict in ("exact", "within bound", "changed", "no values")
