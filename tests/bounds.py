"""The one bound checker of the Python tests: what a Baler spec allows a decoded value to be.

The twin of tests/macros/baler_bounds.h (read that header for the rules); tests/test_bounds.py
holds both to the same table of cases. Works on numpy arrays of float32 or float64.
"""
import dataclasses
import re

import numpy as np

MANTISSA_BITS = {np.dtype(np.float32): 23, np.dtype(np.float64): 52}
UNSIGNED = {np.dtype(np.float32): np.uint32, np.dtype(np.float64): np.uint64}


@dataclasses.dataclass(frozen=True)
class Spec:
    kind: str  # "lossless", "bits", "rel" or "abs"
    bits: int = 0
    bound: float = 0.0

    @staticmethod
    def parse(text: str) -> "Spec":
        """`lossless`, `bits:N`, `rel:E` or `abs:E`; a bare number E is rel:E (0: lossless)."""
        match = re.fullmatch(r"(bits|rel|abs):(.+)|lossless|([0-9.eE+-]+)", text)
        if not match:
            raise ValueError(f"not a spec: {text!r}")
        if text == "lossless":
            return Spec("lossless")
        if match.group(3):
            value = float(match.group(3))
            return Spec("rel", bound=value) if value > 0 else Spec("lossless")
        kind, value = match.group(1), match.group(2)
        if kind == "bits":
            return Spec("bits", bits=int(value))
        return Spec(kind, bound=float(value))


def _bits(values: np.ndarray) -> np.ndarray:
    return values.view(UNSIGNED[values.dtype])


def _normal(x: np.ndarray) -> np.ndarray:
    return np.isfinite(x) & (np.abs(x) >= np.finfo(x.dtype).tiny)


def within_spec(spec: Spec, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per value: is y an allowed decoded value of x under spec (the bound)?"""
    x, y = np.asarray(x), np.asarray(y)
    assert x.dtype == y.dtype and x.dtype in MANTISSA_BITS, (x.dtype, y.dtype)
    same = _bits(x) == _bits(y)
    if spec.kind == "lossless":
        return same
    xd, yd = x.astype(np.float64), y.astype(np.float64)
    if spec.kind == "bits":
        bound = np.ldexp(np.abs(xd), -(spec.bits + 1))
    elif spec.kind == "rel":
        bound = spec.bound * np.abs(xd)
    else:
        bound = np.full_like(xd, spec.bound)
    with np.errstate(invalid="ignore", over="ignore"):
        inside = np.abs(yd - xd) <= bound  # False where y is NaN or infinite
    return same | (_normal(x) & inside)


def _more_than_bits(values: np.ndarray, n: int) -> np.ndarray:
    low = (1 << (MANTISSA_BITS[values.dtype] - n)) - 1
    return (_bits(values) & UNSIGNED[values.dtype](low)) != 0


def must_round(spec: Spec, x: np.ndarray) -> np.ndarray:
    """bits:N rounds every normal value whose rounding to N bits stays finite."""
    x = np.asarray(x)
    mantissa = MANTISSA_BITS[x.dtype]
    if spec.kind != "bits" or spec.bits >= mantissa:
        return np.zeros(x.shape, dtype=bool)
    unsigned = UNSIGNED[x.dtype]
    shift = unsigned(mantissa - spec.bits)
    magnitude = _bits(np.abs(x))
    rounded = ((magnitude + (unsigned(1) << (shift - unsigned(1)))) >> shift) << shift
    exponent_mask = unsigned(((1 << (8 * x.dtype.itemsize - 1)) - 1) & ~((1 << mantissa) - 1))
    return _normal(x) & ((rounded & exponent_mask) != exponent_mask)


def unrounded(spec: Spec, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per value: bits:N had to round x, but y still has more than N mantissa bits (stored raw)."""
    return must_round(spec, x) & _more_than_bits(np.asarray(y), spec.bits) if spec.kind == "bits" else \
        np.zeros(np.shape(x), dtype=bool)


def must_change(spec: Spec, x: np.ndarray) -> np.ndarray:
    """Per value: does the spec require it to come back different (bits:N, more than N bits)?"""
    return must_round(spec, x) & _more_than_bits(np.asarray(x), spec.bits) if spec.kind == "bits" else \
        np.zeros(np.shape(x), dtype=bool)


# A sentinel of a block makes up at least 1/SENTINEL_SHARE of its values (docs/format.md).
SENTINEL_SHARE = 64


def _sentinel_groups(q: np.ndarray) -> bool:
    """Whether the positions q (increasing) at which one bit pattern came back exactly can be the
    sentinel values of whole blocks: split into groups of consecutive positions, each of at least
    2 and at least 1/64 of the values it spans (a block where the pattern is a sentinel gives
    such a group)."""
    m = len(q)
    if m < 2:
        return False
    if q[-1] - q[0] + 1 <= SENTINEL_SHARE * m:
        return True
    ok = np.zeros(m + 1, dtype=bool)  # ok[j]: q[:j] splits so
    ok[0] = True
    for j in range(2, m + 1):
        i = np.arange(j - 1)
        ok[j] = bool((ok[: j - 1] & (q[j - 1] - q[: j - 1] + 1 <= SENTINEL_SHARE * (j - i))).any())
    return bool(ok[m])


def sentinels(spec: Spec, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per value: a sentinel that bits:N kept exactly. Values that make up 1/64 of a block
    (sentinels such as -999, constants) come back exactly under every spec (docs/format.md,
    sentinel table): a value bits:N would round that came back bit for bit at its own position is
    not required to change and is not unrounded when the values that came back so with its bit
    pattern split into groups as the writer's tables would keep them: each group with none of
    that pattern rounded between its values, at least 2 of them, and at least 1/64 of the values
    from its first to its last. A value repeated a few times among many and left unrounded is
    unrounded. x and y hold the values of one branch, in order (the twin of baler_bounds.h)."""
    shape = np.shape(x)
    x, y = np.asarray(x).reshape(-1), np.asarray(y).reshape(-1)
    must = must_change(spec, x)
    kept = must & (_bits(x) == _bits(y))
    result = np.zeros(x.shape, dtype=bool)
    if not kept.any():
        return result.reshape(shape)
    patterns, counts = np.unique(_bits(x)[kept], return_counts=True)
    candidates = set(patterns[counts >= 2].tolist())
    # every value that must change, by bit pattern, in order within each pattern
    at = np.flatnonzero(must)
    keys = _bits(x)[at]
    order = np.argsort(keys, kind="stable")
    at, keys = at[order], keys[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    for start, end in zip(starts, np.r_[starts[1:], len(keys)]):
        if int(keys[start]) not in candidates:
            continue
        positions, exact = at[start:end], kept[at[start:end]]
        # runs of values kept exactly, split where the pattern came back rounded
        run_id = np.cumsum(~exact)
        for r in np.unique(run_id[exact]):
            run = positions[exact & (run_id == r)]
            if _sentinel_groups(run):
                result[run] = True
    return result.reshape(shape)


@dataclasses.dataclass
class Tally:
    """Counts over values, as baler_bounds.h's Tally prints them: VALUES CHANGED MUST BAD UNROUNDED."""
    values: int = 0
    changed: int = 0
    must: int = 0
    bad: int = 0
    unrounded: int = 0

    def add(self, spec: Spec, x, y) -> "Tally":
        x, y = np.asarray(x), np.asarray(y)
        if x.dtype.kind != "f":
            same = np.array_equal(x.view(np.uint8), y.view(np.uint8)) if x.shape == y.shape else False
            self.values += x.size
            if not same:
                differ = x.size if x.shape != y.shape else int(np.count_nonzero(x != y))
                self.changed += differ
                self.bad += differ
            return self
        if x.shape != y.shape:
            self.values += x.size
            self.bad += max(x.size, 1)
            return self
        changed = _bits(x) != _bits(y)
        bad = ~within_spec(spec, x, y)
        kept = sentinels(spec, x, y)
        self.values += x.size
        self.changed += int(changed.sum())
        self.must += int((must_change(spec, x) & ~kept).sum())
        self.bad += int(bad.sum())
        self.unrounded += int((~bad & ~kept & unrounded(spec, x, y)).sum())
        return self

    @property
    def exact_set_changed(self) -> bool:
        """Every value the spec requires to change did, and no other (bits:N); all within bound."""
        return self.bad == 0 and self.unrounded == 0 and self.changed == self.must

    @staticmethod
    def parse(numbers) -> "Tally":
        return Tally(*[int(n) for n in numbers])
