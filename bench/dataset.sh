#!/usr/bin/env bash
# Issue 15: a dataset of FILES generated files (EVENTS events each) compressed by
# `baler compress DIR --out-dir OUT` with --jobs 1, --jobs 2 and --dask (a local cluster of 2
# workers), next to the same rewriting at ZSTD-505 by `hadd -O -f505`, 2 files at a time.
# The routes run interleaved, REPEATS rounds; each line: route, wall seconds, the largest process's
# peak RSS (GNU time's %M: the maximum over the process tree, not a sum), the CPU the run got
# (%P: (user+sys)/wall, 200% = both cores of a 2-core machine) and the 1-minute load average just
# before the run. The summary takes the best wall time and the lowest peak of each.
#
#   source build/env.sh && bash bench/dataset.sh            (FILES=20 EVENTS=20000 REPEATS=3)
set -euo pipefail
: "${BALER_BUILD:?source build/env.sh first}"
FILES=${FILES:-20}
EVENTS=${EVENTS:-20000}
REPEATS=${REPEATS:-3}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/in"
for seed in $(seq 1 "$FILES"); do
  baler generate "$work/in/part$seed.root" --events "$EVENTS" --seed "$seed" > /dev/null
done
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $FILES files x $EVENTS events," \
     "$(du -sm "$work/in" | cut -f1) MB in; $(lscpu | sed -n 's/^Model name: *//p')"

hadd_two_at_a_time() {
  mkdir -p "$work/out"
  printf '%s\n' "$work"/in/*.root |
    xargs -P 2 -I{} bash -c 'hadd -O -f505 "$0/$(basename "$1")" "$1" > /dev/null 2>&1' "$work/out" {}
}
export work
export -f hadd_two_at_a_time  # run by /usr/bin/time through bash -c

# route: wall seconds, peak RSS in kB, CPU share, load average before
measure() {
  local route=$1 load
  shift
  rm -rf "$work/out"
  load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -f "%e %M %P" -o "$work/time" "$@" > /dev/null
  echo "$route $(cat "$work/time") $load"
}

for round in $(seq 1 "$REPEATS"); do
  measure jobs1 baler compress "$work/in" --out-dir "$work/out" --jobs 1
  measure jobs2 baler compress "$work/in" --out-dir "$work/out" --jobs 2
  measure dask2 baler compress "$work/in" --out-dir "$work/out" --dask --jobs 2
  measure hadd505x2 bash -c hadd_two_at_a_time
done | tee "$work/runs"

python3 - "$work/runs" <<'EOF'
import sys
best, peak, loads, cpu_of_best = {}, {}, [], {}
for line in open(sys.argv[1]):
    route, wall, rss, cpu, load = line.split()
    if float(wall) < best.get(route, 1e9):
        best[route], cpu_of_best[route] = float(wall), cpu
    peak[route] = min(peak.get(route, 1 << 62), int(rss))
    loads.append(float(load))
print(f"load average before the runs: {min(loads):.2f} to {max(loads):.2f}")
for route in best:
    print(f"{route:10s} best {best[route]:7.2f} s (CPU {cpu_of_best[route]:>4s})   lowest peak RSS {peak[route] / 1024:7.1f} MB")
print(f"jobs1 / jobs2 time:      {best['jobs1'] / best['jobs2']:.2f}x (target >= 1.8)")
print(f"dask2 / jobs2 time:      {best['dask2'] / best['jobs2']:.2f}x (target <= 1.3)")
print(f"jobs2 / hadd505x2 peak:  {peak['jobs2'] / peak['hadd505x2']:.2f}x (target <= 1.2)")
print(f"dask2 / hadd505x2 peak:  {peak['dask2'] / peak['hadd505x2']:.2f}x")
EOF
