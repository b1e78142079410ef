#!/usr/bin/env python3
"""Issue 4 benchmark: a generated tree of >= 10^7 float values written and read by ROOT with
Baler bits:10, ZSTD-505 and ZLIB-101, side by side in one run, interleaved and repeated.

    source build/env.sh && .venv/bin/python bench/root_io.py [--events 260000] [--repeat 3]

Prints file size, write and read wall time (the macro's own stopwatch, best of the repeats) and
peak memory (max RSS of the ROOT process, from getrusage) for each, and ratios to ZSTD-505.
"""
import argparse
import os
import pathlib
import subprocess
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
SETTINGS = {"Baler bits:10": 4210, "ZSTD-505": 505, "ZLIB-101": 101}


def measure_peak(macro, *args):
    """Peak RSS of one root.exe run, measured by /usr/bin/time-like wait4 accounting."""
    call = f"{HERE / macro}.C({', '.join(repr(a).replace(chr(39), chr(34)) for a in args)})"
    proc = subprocess.Popen(["root.exe", "-l", "-b", "-q", call], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    out = proc.stdout.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{macro} failed: {out}{proc.stderr.read()}")
    line = next(l for l in out.splitlines() if l.startswith(macro + ":"))
    return [float(x) for x in line.split(":")[1].split()][:2], usage.ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=260_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results = {name: {"write": [], "read": [], "wmem": [], "rmem": []} for name in SETTINGS}
    with tempfile.TemporaryDirectory() as tmp:
        values = None
        for _ in range(args.repeat):
            for name, setting in SETTINGS.items():  # interleaved: noise hits all alike
                path = os.path.join(tmp, f"{setting}.root")
                (seconds, values), wmem = measure_peak("root_io_write", path, setting, args.events)
                results[name]["write"].append(seconds)
                results[name]["wmem"].append(wmem)
                (seconds, _), rmem = measure_peak("root_io_read", path)
                results[name]["read"].append(seconds)
                results[name]["rmem"].append(rmem)
                results[name]["size"] = os.path.getsize(path)
    ref = results["ZSTD-505"]
    print(f"{args.events} events, {int(values)} float values; best of {args.repeat}, interleaved")
    print(f"{'setting':<15}{'file MB':>10}{'B/value':>9}{'write s':>9}{'read s':>8}{'write MiB':>11}{'read MiB':>10}"
          f"{'size/zstd':>11}{'write/zstd':>11}{'read/zstd':>10}{'mem/zstd':>10}")
    for name, r in results.items():
        w, rd = min(r["write"]), min(r["read"])
        wm, rm = max(r["wmem"]), max(r["rmem"])
        print(f"{name:<15}{r['size'] / 1e6:>10.2f}{r['size'] / values:>9.3f}{w:>9.2f}{rd:>8.2f}{wm:>11.0f}{rm:>10.0f}"
              f"{r['size'] / ref['size']:>11.3f}{w / min(ref['write']):>11.2f}{rd / min(ref['read']):>10.2f}"
              f"{max(wm, rm) / max(max(ref['wmem']), max(ref['rmem'])):>10.2f}")


if __name__ == "__main__":
    main()
