#!/usr/bin/env python3
"""Estimated per-value entropy of the anchors' HZZ columns after each quantiser: the bytes per
value that no per-value coder can beat on average, whatever its entropy coder.

    .venv/bin/python tests/tools/extract_columns.py /tmp/cols
    .venv/bin/python bench/entropy_floor.py /tmp/cols

The columns are those of `codec-bench` (and of shared/notes/anchors.md): pt, eta, phi and mass of
HZZ's jets and muons, computed in double precision from Px, Py, Pz, E and stored as float32.

Method. Entries are independent, so a value's cost is at least -log2 P(its quantisation cell).
P is estimated as density x cell width, the density by a Gaussian kernel estimate (of ln x for
columns with no negative value, of x otherwise). Each value is scored by the density of the
*other* values (leave-one-out), which makes the figure a cross-entropy: it exceeds the true
entropy by the estimate's own error. Per column, the lowest over a grid of kernel widths, fixed
and adaptive, is printed. The @K mixed figures reproduce the anchors' floor (2.08 / 1.58 / 1.33).
As a check on the method, phi is uniform, and for it the entropy has a closed form (printed).

Quantisers, as the codecs define them (rust/baler-codec/src/float.rs):
- bits:K, mantissa rounded to nearest K bits: the cell of x is 2^(floor(log2|x|) - K) wide;
- @K mixed (the anchors' per-value quantiser): rel:2^-(K+1) for columns with no negative value,
  a log quantiser with ceil(1 / (2 log2(1 + 2^-(K+1)))) levels per binade; abs for signed columns,
  step 2 * 2^(floor(log2 max|x|) - K - 1).
Exact zeros are an atom of their own under every quantiser.
"""
import itertools
import math
import pathlib
import sys

import numpy as np

BANDWIDTH_SCALES = (0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.4, 2.0, 2.8, 4.0, 5.6, 8.0)
LEVELS = (16, 12, 10)


def read_column(cols_dir, branch):
    return np.fromfile(cols_dir / "uproot-HZZ" / "events" / f"{branch}.f32", dtype=">f4").astype(np.float64)


def derived_columns(cols_dir):
    """The anchors' columns, computed like codec-bench's `pt_eta_phi_mass`."""
    out = {}
    for obj in ("Jet", "Muon"):
        px, py, pz, e = (read_column(cols_dir, f"{obj}_{c}") for c in ("Px", "Py", "Pz", "E"))
        pt = np.hypot(px, py)
        for name, v in (
            ("pt", pt),
            ("eta", np.arcsinh(pz / pt)),
            ("phi", np.arctan2(py, px)),
            ("mass", np.sqrt(np.maximum(e * e - (pt * pt + pz * pz), 0.0))),
        ):
            out[f"{obj}_{name}"] = v.astype(np.float32).astype(np.float64)
    return out


def round_mantissa(x, k):
    """Mantissa rounded to nearest k bits, as bits:K does (how ties go does not move an entropy)."""
    m, e = np.frexp(x)
    return np.ldexp(np.round(m * 2.0 ** (k + 1)) / 2.0 ** (k + 1), e)


def leave_one_out_log_density(u, scale, adaptive):
    """ln of a Gaussian kernel density of u, at each u[i], built from the other values. With
    `adaptive`, each kernel's width scales as pilot density^-1/2 (Abramson), which fits a narrow
    peak and long tails at once (muon mass); without, one width for all."""
    n = len(u)
    spread = min(np.std(u), np.subtract(*np.percentile(u, [75, 25])) / 1.34)
    widths = np.full(n, scale * 0.9 * spread * n ** -0.2)
    if adaptive:
        d = (u[:, None] - u[None, :]) / widths[0]
        pilot = np.exp(-0.5 * d * d).sum(axis=1)
        widths = widths * np.sqrt(np.exp(np.mean(np.log(pilot))) / pilot)
    d = (u[:, None] - u[None, :]) / widths[None, :]
    kernels = np.exp(-0.5 * d * d) / widths[None, :]
    np.fill_diagonal(kernels, 0.0)
    # a 0.1% broad component keeps an isolated value from scoring an infinite cost
    broad = np.exp(-0.5 * ((u - u.mean()) / np.std(u)) ** 2) / np.std(u)
    return np.log((0.999 * kernels.sum(axis=1) / (n - 1) + 0.001 * broad) / math.sqrt(2 * math.pi))


def log_densities(x):
    """Candidate ln densities at each non-zero value of x, one per kernel width, fixed and
    adaptive; of ln x for a column with no negative value. They serve every quantiser of the
    column: its cells are far narrower than the kernels."""
    nz = x[x != 0]
    u = np.log(nz) if x.min() >= 0 else nz
    return [leave_one_out_log_density(u, scale, adaptive)
            for scale, adaptive in itertools.product(BANDWIDTH_SCALES, (False, True))]


def bytes_per_value(x, densities, log_cell_width):
    """Mean -log2 P(cell) / 8 over x, for the best of the candidate densities; exact zeros are an
    atom. log_cell_width: ln of the width of each non-zero value's cell, in the density's variable."""
    zero = x == 0
    p_zero = zero.mean()
    zero_bits = -math.log2(1 - p_zero) * (~zero).sum() - math.log2(p_zero) * zero.sum() if p_zero > 0 else 0.0
    widths = log_cell_width(x[~zero])
    return min((-(d + widths).sum() / math.log(2) + zero_bits) / len(x) / 8 for d in densities)


def bits_k_log_width(k, positive):
    """bits:K: a cell 2^(floor(log2|q|) - K) wide at the rounded value q (in ln x: that over x)."""
    def width(v):
        q = round_mantissa(v, k)
        w = (np.floor(np.log2(np.abs(q))) - k) * math.log(2)
        return w - np.log(v) if positive else w
    return width


def mixed_log_width(x, k):
    """@K mixed: rel:2^-(K+1) as a log quantiser for x >= 0 columns, abs for signed ones."""
    if x.min() >= 0:
        levels = math.ceil(1 / (2 * math.log2(1 + 2.0 ** -(k + 1))))
        width = math.log(math.log(2) / levels)
    else:
        width = math.log(2 * 2.0 ** (math.floor(math.log2(np.abs(x).max())) - k - 1))
    return lambda v: np.full(len(v), width)


def uniform_phi_bits_k(k):
    """Entropy of bits:K values of phi uniform on (-pi, pi]: log2(2 pi) + K - E[floor(log2|phi|)]."""
    mean_exponent = (math.pi - 2) / math.pi - 2 / math.pi  # P(e=1)=(pi-2)/pi, P(e=-j)=2^-j/pi
    return (math.log2(2 * math.pi) + k - mean_exponent) / 8


def main():
    if len(sys.argv) != 2 or sys.argv[1].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    cols_dir = pathlib.Path(sys.argv[1])
    if not (cols_dir / "uproot-HZZ" / "events" / "Jet_Px.f32").is_file():
        print(f"entropy_floor: {cols_dir} has no uproot-HZZ/events columns; run tests/tools/extract_columns.py first",
              file=sys.stderr)
        return 1
    cols = derived_columns(cols_dir)
    header = "".join(f"{f'bits:{k}':>9}{f'@{k} mixed':>11}" for k in LEVELS)
    print(f"estimated entropy, bytes per value (leave-one-out kernel cross-entropy)\n{'column':<11}{'values':>7}{header}")
    pooled = np.zeros(2 * len(LEVELS))
    for name, x in cols.items():
        densities = log_densities(x)
        row = []
        for k in LEVELS:
            row += [bytes_per_value(x, densities, bits_k_log_width(k, x.min() >= 0)),
                    bytes_per_value(x, densities, mixed_log_width(x, k))]
        pooled += np.array(row) * len(x)
        print(f"{name:<11}{len(x):>7}" + "".join(f"{v:>9.3f}{w:>11.3f}" for v, w in zip(row[::2], row[1::2])))
    n = sum(len(x) for x in cols.values())
    pooled /= n
    print(f"{'pooled':<11}{n:>7}" + "".join(f"{v:>9.3f}{w:>11.3f}" for v, w in zip(pooled[::2], pooled[1::2])))
    print("\nclosed form for uniform phi: " + ", ".join(f"bits:{k} {uniform_phi_bits_k(k):.3f}" for k in LEVELS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
