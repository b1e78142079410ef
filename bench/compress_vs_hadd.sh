#!/usr/bin/env bash
# Issue 10: `baler compress` (basket by basket) against ROOT's own rewrite of the same file,
# `hadd -O -f505` (every entry read and written again at ZSTD-505), on one generated sample of
# about 10^7 values (`baler generate --events EVENTS`: about 105 values an event, 64 of them Calo_E). The two run interleaved, REPEATS rounds;
# each line: route, wall seconds, peak RSS in kB (GNU time's %M), CPU share (%P), CPU seconds
# (user + system) and the 1-minute load average just before the run. The summary takes the best
# wall time, the lowest CPU time and the lowest peak of each route. On a loaded machine the wall
# time is mostly the share of the cores a process gets; the CPU time is the work it does.
#
#   source build/env.sh && bash bench/compress_vs_hadd.sh       (EVENTS=95000 REPEATS=5 CODEC=bits:10)
set -euo pipefail
: "${BALER_BUILD:?source build/env.sh first}"
EVENTS=${EVENTS:-95000}
REPEATS=${REPEATS:-5}
CODEC=${CODEC:-bits:10}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
baler generate "$work/in.root" --events "$EVENTS" --seed 1 > /dev/null
uncompressed=$(baler inspect "$work/in.root" --json |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["total"]["uncompressed"] >> 20)')
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p')"
echo "# sample: $EVENTS events, $(du -m "$work/in.root" | cut -f1) MB ($uncompressed MB uncompressed); codec $CODEC"

measure() {
  local route=$1 load
  shift
  rm -f "$work/out.root"
  load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -f "%e %M %P %U %S" -o "$work/time" "$@" > /dev/null 2>&1
  echo "$route $(cat "$work/time") $load"
}

for round in $(seq 1 "$REPEATS"); do
  measure baler baler compress "$work/in.root" "$work/out.root" --codec "$CODEC"
  measure hadd505 hadd -O -f505 "$work/out.root" "$work/in.root"
done | tee "$work/runs"

python3 - "$work/runs" <<'EOF'
import sys
best, peak, work, loads = {}, {}, {}, []
for line in open(sys.argv[1]):
    route, wall, rss, share, user, system, load = line.split()
    best[route] = min(best.get(route, 1e9), float(wall))
    work[route] = min(work.get(route, 1e9), float(user) + float(system))
    peak[route] = min(peak.get(route, 1 << 62), int(rss))
    loads.append(float(load))
print(f"load average before the runs: {min(loads):.2f} to {max(loads):.2f}")
for route in best:
    print(f"{route:8s} best {best[route]:6.2f} s   lowest CPU {work[route]:5.2f} s   lowest peak RSS {peak[route] / 1024:6.1f} MB")
print(f"baler / hadd505 time: {best['baler'] / best['hadd505']:.2f}x (target <= 0.5)")
print(f"baler / hadd505 CPU:  {work['baler'] / work['hadd505']:.2f}x")
print(f"baler / hadd505 peak: {peak['baler'] / peak['hadd505']:.2f}x (target <= 1.0)")
EOF
