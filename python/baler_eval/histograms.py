"""Fixed-binning histograms filled chunk by chunk, so a tree of any size fits in memory.

The binning is chosen from the first values seen (the first chunk of a large tree, all of a small
one); later values outside it are counted as under- or overflow, and every panel says how many.
"""

import numpy as np

BINS = 60
# Bin edges stay within +-RANGE_LIMIT: plotting adds and subtracts edges, which overflows near the
# largest double (matplotlib's tick locator failed). Values beyond are under- or overflow.
RANGE_LIMIT = 1e300


def _within_limit(value):
    return min(max(value, -RANGE_LIMIT), RANGE_LIMIT)


def central_range(values, tail=1e-3):
    """[low, high] holding all but a `tail` fraction on each side, never an empty interval."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return -1.0, 1.0
    low, high = np.quantile(finite, [tail, 1.0 - tail]) if finite.size > 1000 else (finite.min(), finite.max())
    low, high = _within_limit(float(low)), _within_limit(float(high))
    if high <= low:
        half = max(abs(low) * 1e-3, 1e-12)
        low, high = low - half, high + half
    return float(low), float(high)


# Positive values spanning more than this factor (covariances, energies per sampling) get
# logarithmic bins: on linear ones all but the largest values fall in the first bin.
LOG_SPAN = 1e3


def wants_log_bins(values, low, high):
    """Whether the values binned over [low, high] (central_range) take logarithmic bins: every
    finite value positive and the range wider than a factor LOG_SPAN."""
    finite = values[np.isfinite(values)]
    return bool(finite.size) and finite.min() > 0 and high / low > LOG_SPAN


def symmetric_range(values):
    """[-m, m] around zero covering every finite value (m > 0)."""
    finite = np.abs(values[np.isfinite(values)])
    extent = _within_limit(float(finite.max())) if finite.size else 0.0
    extent = extent * 1.05 if extent > 0 else 1.0
    return -extent, extent


def _edges(low, high, bins, log):
    return np.geomspace(low, high, bins + 1) if log else np.linspace(low, high, bins + 1)


class Hist1D:
    def __init__(self, low, high, bins=BINS, log=False):
        self.log = log
        self.edges = _edges(low, high, bins, log)
        self.counts = np.zeros(bins, dtype=np.int64)
        self.underflow = 0
        self.overflow = 0

    def fill(self, values):
        values = values[np.isfinite(values)]
        self.underflow += int(np.count_nonzero(values < self.edges[0]))
        self.overflow += int(np.count_nonzero(values > self.edges[-1]))
        self.counts += np.histogram(values, bins=self.edges)[0]


class Hist2D:
    def __init__(self, x_range, y_range, x_bins=BINS, y_bins=40, x_log=False):
        self.x_edges = _edges(*x_range, x_bins, x_log)
        self.y_edges = np.linspace(*y_range, y_bins + 1)
        self.counts = np.zeros((x_bins, y_bins), dtype=np.int64)
        self.outside = 0

    def fill(self, x, y):
        keep = np.isfinite(x) & np.isfinite(y)
        x, y = x[keep], y[keep]
        counts = np.histogram2d(x, y, bins=(self.x_edges, self.y_edges))[0].astype(np.int64)
        self.counts += counts
        self.outside += int(x.size - counts.sum())
