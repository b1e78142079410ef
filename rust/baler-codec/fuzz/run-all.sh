#!/usr/bin/env bash
# Build and run every cargo-fuzz target of baler-codec for a bounded time.
# usage: rust/baler-codec/fuzz/run-all.sh [SECONDS_PER_TARGET]   (default 20)
# Needs cargo-fuzz (pinned 0.13.1) in PATH or in <repo>/.tools/bin:
#   cargo install cargo-fuzz --version 0.13.1 --locked --root <repo>/.tools
# Uses RUSTC_BOOTSTRAP=1 so a stable toolchain can build with -Zsanitizer.
set -euo pipefail
SECS="${1:-20}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
export PATH="$REPO/.tools/bin:$PATH"
export RUSTC_BOOTSTRAP=1
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "run-all.sh: cargo-fuzz not found; install: cargo install cargo-fuzz --version 0.13.1 --locked --root $REPO/.tools" >&2
    exit 2
fi
cd "$HERE/.."
TARGETS=$(cargo fuzz list)
cargo fuzz build --release
# seed the decoder target with valid blocks of every codec
mkdir -p fuzz/corpus/decode_block
cargo run --quiet --release --example fuzz_seeds -- fuzz/corpus/decode_block
fail=0
for t in $TARGETS; do
    echo "== fuzz $t for ${SECS}s"
    mkdir -p "fuzz/corpus/$t"
    if ! cargo fuzz run --release "$t" "fuzz/corpus/$t" -- -max_total_time="$SECS" -max_len=65536 -rss_limit_mb=2048 2>"fuzz/$t.log"; then
        echo "FAILED: fuzz target $t (log: rust/baler-codec/fuzz/$t.log, artifacts in rust/baler-codec/fuzz/artifacts/$t)" >&2
        tail -40 "fuzz/$t.log" >&2
        fail=1
    else
        grep -E "^#[0-9]+.*DONE|Done [0-9]+ runs" "fuzz/$t.log" | tail -1 || true
    fi
done
if [ "$fail" -ne 0 ]; then
    echo "fuzzing found a failure" >&2
    exit 1
fi
echo "all fuzz targets ran ${SECS}s without failure"
