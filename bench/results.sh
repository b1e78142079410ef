#!/usr/bin/env bash
# Regenerates every table and figure of docs/results.md into docs/results/:
#
#   source build/env.sh && bench/results.sh          (or: make results)
#
# 1. the CMS HZZ tutorial tree and 2. the real 2012 CMS dimuon events, each compressed with
# bits:10 on every float branch and evaluated with `baler eval --ladder` (hzz4l / dimuon analyses,
# the bound ladder with its ae:bits:10 rung of object models, what a bound buys); 3. `baler eval` on a generated sample of 10^7 float values,
# timed; 4. the rate-distortion study (bench/rate_distortion.py: bytes per value against the
# bound, Baler against ROOT's own lossy storage, NanoAOD rounding, SZ3, ZFP, pcodec, and Baler's
# published autoencoder run by bench/baler_published_ae.py in its own environment, given as
# BALER_AE_PYTHON with BALER_COLUMNS_DIR, the columns of tests/tools/extract_columns.py; `make
# results` sets both). Took 16m54s on the shared 2-core machine (load 10 to 16).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
DATA=$(cd "${BALER_SHARED_DATA:-$REPO/../shared/data}" && pwd)
OUT=$REPO/docs/results
# The generator writes 98 float values per event on average: 102100 events give 10^7.
SAMPLE_EVENTS=102100
WORK=$(mktemp -d "${TMPDIR:-/tmp}/baler-results-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"

evaluate() {  # NAME INPUT TREE-IN-FIGURE-NAMES FIGURES...: compress at bits:10, eval with the ladder
    local name=$1 input=$2 tree=$3; shift 3
    baler compress "$input" "$WORK/$name.bits10.root" --codec bits:10 > "$OUT/$name.compress.txt"
    baler eval "$input" "$WORK/$name.bits10.root" --ladder --out "$WORK/$name" > "$OUT/$name.eval.txt"
    for figure in "$@"; do cp "$WORK/$name/${figure}.png" "$OUT/$name.$figure.png"; done
    echo "$name: $OUT/$name.eval.txt"
}

evaluate hzz "$DATA/uproot-HZZ.root" events \
    physics_events_hzz4l budget_events_hzz4l branch_events_Muon_E
evaluate dimuon "$DATA/Run2012BC_DoubleMuParked_Muons_1000evts.root" Events \
    physics_Events_dimuon budget_Events_dimuon branch_Events_Muon_pt

baler generate "$WORK/sample.root" --events $SAMPLE_EVENTS > /dev/null
baler compress "$WORK/sample.root" "$WORK/sample.bits10.root" --codec bits:10 > "$OUT/sample.compress.txt"
# CPU seconds (user + system) of the eval from bash's `times` before and after (its second line:
# the finished children); run directly, since in a pipeline or $(...) it would see no children.
cpu_seconds() { python3 -c "import re, sys; print(sum(float(m) * 60 + float(s) for m, s in re.findall(r'(\d+)m([\d.]+)s', open(sys.argv[1]).read().splitlines()[1])))" "$1"; }
load=$(cut -d' ' -f1 /proc/loadavg)  # other work on the machine slows the wall time down, not the CPU time
times > "$WORK/times.before"
start=$(python3 -c "import time; print(time.time())")
baler eval "$WORK/sample.root" "$WORK/sample.bits10.root" --out "$WORK/sample" > "$OUT/sample.eval.txt"
seconds=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")
times > "$WORK/times.after"
cpu=$(python3 -c "print(f'{$(cpu_seconds "$WORK/times.after") - $(cpu_seconds "$WORK/times.before"):.1f}')")
cp "$WORK/sample/branch_Events_Calo_E.png" "$OUT/sample.branch_Events_Calo_E.png"
float_values=$(awk '/^branch /{t=1; next} t && /^-/{next} t && NF==0{t=0} t && ($2 ~ /[Ff]loat|[Dd]ouble/){n+=$3} END{print n}' "$OUT/sample.eval.txt")
echo "baler eval on $SAMPLE_EVENTS events ($float_values float values): $seconds s wall, $cpu s CPU," \
    "on $(nproc) cores (load average before: $load; $(date -u +%Y-%m-%d))" | tee "$OUT/sample.time.txt"

# 4. The rate-distortion study, with the published autoencoder's runs when its environment exists.
published=(--published-ae-missing "no environment for it (BALER_AE_PYTHON and BALER_COLUMNS_DIR unset: run \`make results\`)")
if [[ -n "${BALER_AE_PYTHON:-}" && -n "${BALER_COLUMNS_DIR:-}" ]]; then
    (cd "$WORK" && "$BALER_AE_PYTHON" "$REPO/bench/baler_published_ae.py" "$BALER_COLUMNS_DIR" "$OUT/published_ae.json") \
        > "$WORK/published_ae.log" 2>&1 || { tail -20 "$WORK/published_ae.log"; exit 1; }
    published=(--published-ae "$OUT/published_ae.json")
fi
python3 "$REPO/bench/rate_distortion.py" "$OUT" --data "$DATA" "${published[@]}"
