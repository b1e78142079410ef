"""The bound checkers themselves: tests/bounds.py (Python) and tests/macros/baler_bounds.h (the
macros') give the same verdict on every case of one table, and that verdict is INTERFACE.md's."""
import numpy as np
import pytest

from bounds import Spec, Tally, must_change, unrounded, within_spec
from conftest import MACROS, macro_values, run_macro

F32, F64 = np.float32, np.float64


def f32_bits(value: int) -> np.float32:
    return np.array([value], dtype=np.uint32).view(F32)[0]


def f64_bits(value: int) -> np.float64:
    return np.array([value], dtype=np.uint64).view(F64)[0]


def after(x):
    """The next representable value away from zero."""
    return np.nextafter(x, np.copysign(np.inf, x), dtype=type(x))


NAN32 = f32_bits(0x7FC01234)  # quiet NaN with a payload
NAN64 = f64_bits(0x7FF80000DEADBEEF)
SUB32, SUB64 = f32_bits(0x00000400), f64_bits(0x8000000000000400)
ONE_AND_BITS = F32(1 + 2.0 ** -20)  # 1 + one mantissa bit below the top 10

# (spec, x, y, within, must change, unrounded): x and y of one numpy float type. The tallies
# count an unrounded value only when it is within the bound (else it is bad).
CASES = [
    # specials are exact under every spec
    *[(spec, x, x, True, False, False) for spec in ("lossless", "bits:10", "rel:0.5", "abs:1e30")
      for x in (NAN32, NAN64, F32(np.inf), F64(-np.inf), F32(-0.0), F64(0.0), SUB32, SUB64)],
    *[(spec, x, y, False, False, False) for spec in ("lossless", "bits:1", "rel:0.5", "abs:1e30") for x, y in (
        (NAN32, f32_bits(0x7FC01235)), (NAN32, f32_bits(0xFFC01234)), (NAN64, F64(np.nan)),
        (F32(np.inf), F32(np.finfo(F32).max)), (F64(-np.inf), F64(np.inf)),
        (F32(-0.0), F32(0.0)), (F64(0.0), F64(-0.0)), (F32(0.0), f32_bits(1)),
        (SUB32, F32(0.0)), (SUB32, f32_bits(0x401)), (SUB64, F64(-0.0)),
        (F32(1.0), F32(np.nan)), (F64(1.0), F64(np.inf)))],
    # lossless: nothing may change
    ("lossless", F32(1.0), after(F32(1.0)), False, False, False),
    ("lossless", ONE_AND_BITS, ONE_AND_BITS, True, False, False),
    # bits:N: the bound is inclusive; a value with more than N bits must change, one with fewer must not
    ("bits:10", F32(1.0), F32(1 + 2.0 ** -11), True, False, True),
    ("bits:10", F32(1.0), after(F32(1 + 2.0 ** -11)), False, False, True),
    ("bits:10", F32(-2.0), F32(-2 - 2.0 ** -10), True, False, True),
    ("bits:10", ONE_AND_BITS, F32(1.0), True, True, False),
    ("bits:10", ONE_AND_BITS, ONE_AND_BITS, True, True, True),  # kept raw: not rounded
    ("bits:10", F32(1.5), F32(1.5), True, False, False),
    ("bits:10", F32(1.5), F32(1.5 + 2.0 ** -10), False, False, False),
    ("bits:1", F32(1.25), F32(1.5), True, True, False),  # a tie may round either way
    ("bits:1", F32(1.25), F32(1.0), True, True, False),
    ("bits:40", F64(1 + 2.0 ** -45), F64(1.0), True, True, False),
    ("bits:40", F64(1.0), F64(1 + 2.0 ** -41), True, False, True),
    ("bits:40", F64(1.0), after(F64(1 + 2.0 ** -41)), False, False, True),
    ("bits:23", ONE_AND_BITS, ONE_AND_BITS, True, False, False),  # all float32 bits: nothing to round
    ("bits:10", np.finfo(F32).max, np.finfo(F32).max, True, False, False),  # rounding would overflow
    ("bits:10", np.finfo(F32).tiny, np.finfo(F32).tiny, True, False, False),  # the smallest normal
    # rel:E and abs:E: inclusive bounds; nothing is required to change
    ("rel:0.25", F32(4.0), F32(5.0), True, False, False),
    ("rel:0.25", F32(-4.0), F32(-3.0), True, False, False),
    ("rel:0.25", F32(4.0), after(F32(5.0)), False, False, False),
    ("rel:0.25", F64(4.0), after(F64(5.0)), False, False, False),
    ("0.25", F32(4.0), F32(5.0), True, False, False),  # a bare number is rel
    ("abs:0.5", F32(10.0), F32(9.5), True, False, False),
    ("abs:0.5", F32(10.0), after(F32(10.5)), False, False, False),
    ("abs:0.5", F32(0.25), F32(-0.25), True, False, False),
    ("abs:1e-30", np.finfo(F32).tiny, F32(0.0), True, False, False),  # a normal value may become zero
    ("abs:0.5", F64(-1e6), F64(-1e6 + 0.5), True, False, False),
]


def case_id(case):
    spec, x, y = case[:3]
    return f"{spec}-{x.dtype}-{x!r}->{y!r}"


@pytest.mark.parametrize("spec, x, y, within, must, raw", CASES, ids=[case_id(c) for c in CASES])
def test_python_checker(spec, x, y, within, must, raw):
    parsed = Spec.parse(spec)
    x, y = np.array([x]), np.array([y])
    assert bool(within_spec(parsed, x, y)[0]) is within
    assert bool(must_change(parsed, x)[0]) is must
    assert bool(unrounded(parsed, x, y)[0]) is raw


def test_cpp_checker_agrees_on_every_case(tmp_path):
    table = tmp_path / "cases.txt"
    table.write_text("".join(
        f"{spec} {'f32' if x.dtype == F32 else 'f64'} "
        f"{int(np.array([x]).view(np.uint32 if x.dtype == F32 else np.uint64)[0]):x} "
        f"{int(np.array([y]).view(np.uint32 if y.dtype == F32 else np.uint64)[0]):x}\n"
        for spec, x, y, *_ in CASES))
    output = run_macro("bounds_cases", table)
    verdicts = macro_values(output, "bounds_cases")[:-1]
    assert len(verdicts) == len(CASES), output
    for case, verdict in zip(CASES, verdicts):
        assert tuple(bool(v) for v in verdict) == tuple(case[3:]), case_id(case)


def test_tally_counts_the_exact_set_that_must_change():
    x = np.array([1.0, 1 + 2.0 ** -20, 3.0, -(1 + 2.0 ** -15), np.nan, 2.0 ** -140], dtype=F32)
    rounded = np.array([1.0, 1.0, 3.0, -1.0, np.nan, 2.0 ** -140], dtype=F32)
    partial = rounded.copy()
    partial[3] = x[3]  # one value stored raw
    bits10 = Spec.parse("bits:10")
    assert Tally().add(bits10, x, rounded) == Tally(6, 2, 2, 0, 0)
    assert Tally().add(bits10, x, rounded).exact_set_changed
    assert Tally().add(bits10, x, partial) == Tally(6, 1, 2, 0, 1)
    assert not Tally().add(bits10, x, partial).exact_set_changed
    ints = np.arange(5, dtype=np.int32)
    assert Tally().add(bits10, ints, ints[::-1].copy()) == Tally(5, 4, 0, 4, 0)


def test_tally_takes_a_repeated_value_kept_exactly_for_a_sentinel(tmp_path):
    """A value bits:N must round that comes back exactly is unrounded once; kept so twice or more
    (a sentinel such as -3000 at bits:7, or a constant), it is neither required to change nor
    unrounded, in tests/bounds.py and in baler_bounds.h alike."""
    bits7 = Spec.parse("bits:7")
    x = np.array([-3000.0, 12.3456, -3000.0, -3000.0, 7.0, -999.0], dtype=F32)
    y = np.array([-3000.0, 12.375, -3000.0, -3000.0, 7.0, -999.0], dtype=F32)
    # -3000 kept three times: a sentinel; -999 kept once: unrounded
    assert Tally().add(bits7, x, y) == Tally(6, 1, 2, 0, 1)
    assert Tally().add(bits7, x[:4], y[:4]).exact_set_changed
    macro = tmp_path / "sentinel_tally.C"
    macro.write_text(f"""#include "{MACROS / 'baler_bounds.h'}"
#include <cstdio>
int sentinel_tally() {{
   const float v[] = {{{", ".join(f"{a!r}f, {b!r}f" for a, b in zip(x.tolist(), y.tolist()))}}};
   BalerTest::Tally t, head;
   const auto spec = BalerTest::Spec::Parse("bits:7");
   for (int i = 0; i < 6; ++i) t.Add(spec, v[2 * i], v[2 * i + 1]);
   for (int i = 0; i < 4; ++i) head.Add(spec, v[2 * i], v[2 * i + 1]);
   std::printf("sentinel_tally: %s | %s\\n", t.Numbers().c_str(), head.Numbers().c_str());
   return 0;
}}
""")
    output = run_macro("sentinel_tally", folder=tmp_path)
    assert "sentinel_tally: 6 1 2 0 1 | 4 1 1 0 0" in output, output


def rounded_to_bits(x: np.ndarray, bits: int) -> np.ndarray:
    """float32 values rounded to `bits` mantissa bits (to nearest, ties away from zero)."""
    shift = np.uint32(23 - bits)
    magnitude = np.abs(x).view(np.uint32)
    magnitude = ((magnitude + (np.uint32(1) << (shift - np.uint32(1)))) >> shift) << shift
    return np.copysign(magnitude.view(np.float32), x)


def cpp_tally(tmp_path, spec: str, x: np.ndarray, y: np.ndarray) -> Tally:
    """baler_bounds.h's Tally over float32 pairs (x, y), through a macro."""
    table = tmp_path / "pairs.txt"
    table.write_text("".join(f"{a:x} {b:x}\n" for a, b in zip(x.view(np.uint32).tolist(), y.view(np.uint32).tolist())))
    macro = tmp_path / "pairs_tally.C"
    macro.write_text(f"""#include "{MACROS / 'baler_bounds.h'}"
#include <cstdio>
#include <cstring>
#include <fstream>
int pairs_tally() {{
   std::ifstream in("{table}");
   BalerTest::Tally t;
   const auto spec = BalerTest::Spec::Parse("{spec}");
   unsigned a, b;
   while (in >> std::hex >> a >> b) {{
      float x, y;
      std::memcpy(&x, &a, 4);
      std::memcpy(&y, &b, 4);
      t.Add(spec, x, y);
   }}
   std::printf("pairs_tally: %s\\n", t.Numbers().c_str());
   return 0;
}}
""")
    return Tally.parse(macro_values(run_macro("pairs_tally", folder=tmp_path), "pairs_tally")[-1])


def test_tally_catches_planted_violations_beside_sentinels(tmp_path):
    """Issue 11's review of the sentinel rule, with violations planted among 1000 values rounded
    to bits:10: a value that occurs 4 times, came back rounded once and unrounded 3 times, far
    apart (no block the writer codes keeps a value exactly that is not 1/64 of its values, and
    all of them), counts as UNROUNDED 3 times, and a wrong value that happens to equal an input
    value (a sentinel, at two other positions) as BAD twice. Neither is a sentinel: one value 20
    times over all 1000 values (over 1/64), and one 3 times in each of two stretches of 30
    values far apart (two blocks' sentinel), kept exactly. Both checkers agree."""
    bits10 = Spec.parse("bits:10")
    rng = np.random.default_rng(11)
    x = rng.normal(0.0, 100.0, 1000).astype(F32)
    sentinel, local = F32(-3000.125), F32(-999.375)  # more than 10 mantissa bits: bits:10 moves them
    x[rng.choice(np.arange(10, 1000, 7), 20, replace=False)] = sentinel
    x[[101, 115, 130, 851, 866, 880]] = local
    repeated = [2, 300, 600, 900]
    x[repeated] = x[2]
    assert must_change(bits10, x[[2]])[0]
    y = rounded_to_bits(x, 10)
    y[(x == sentinel) | (x == local)] = x[(x == sentinel) | (x == local)]
    clean = y.copy()
    y[[2, 600, 900]] = x[2]  # unrounded 3 times, rounded at 300
    wrong = np.flatnonzero((x != sentinel) & (x != local) & (np.abs(x) < 500))[-3:-1]
    assert not set(wrong) & set(repeated)
    y[wrong] = sentinel  # a wrong value equal to an input value, twice
    must = int(must_change(bits10, x).sum()) - 26
    expected = Tally(1000, int((x.view(np.uint32) != y.view(np.uint32)).sum()), must, 2, 3)
    assert Tally().add(bits10, x, y) == expected
    assert not Tally().add(bits10, x, y).exact_set_changed
    assert Tally().add(bits10, x, clean).exact_set_changed  # the sentinels alone are fine
    assert cpp_tally(tmp_path, "bits:10", x, y) == expected
    assert cpp_tally(tmp_path, "bits:10", x, clean) == Tally().add(bits10, x, clean)
