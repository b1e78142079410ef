#!/usr/bin/env bash
# Build and run every cargo-fuzz target of baler-codec for a bounded time.
# usage: rust/baler-codec/fuzz/run-all.sh [SECONDS]   (default 20)
# The run takes about 3 x SECONDS in all (what it took with the first three targets), shared
# equally by every target.
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
N_TARGETS=$(echo "$TARGETS" | wc -w)
PER_TARGET=$(( (3 * SECS + N_TARGETS - 1) / N_TARGETS ))
cargo fuzz build --release
# seed the decoder targets with valid blocks of every codec (sentinel tables in per-value, AE and
# object sections among them), and object-model members with their model and context (carriers and
# members whose entry offsets derive from the first carrier's: section 20)
cargo run --quiet --release --example fuzz_seeds -- fuzz/corpus
# the autoencoder decoder target starts from the committed fixture blocks of both section
# layouts (tags 17 and 18; their model is built in)
mkdir -p fuzz/corpus/decode_ae_block fuzz/corpus/parse_model
cp tests/fixtures/ae-block.bin fuzz/corpus/decode_ae_block/fixture
cp tests/fixtures/ae-block-grouped.bin fuzz/corpus/decode_ae_block/fixture-grouped
# both .balm versions (16-bit weights; packed weights) and a linear one, without their hash
# trailer: the target appends a valid one
head -c -16 tests/fixtures/ae-model.balm > fuzz/corpus/parse_model/fixture
head -c -16 tests/fixtures/ae-model-v2.balm > fuzz/corpus/parse_model/fixture-v2
head -c -16 tests/fixtures/ae-model-abs.balm > fuzz/corpus/parse_model/fixture-abs
fail=0
for t in $TARGETS; do
    echo "== fuzz $t for ${PER_TARGET}s"
    mkdir -p "fuzz/corpus/$t"
    if ! cargo fuzz run --release "$t" "fuzz/corpus/$t" -- -max_total_time="$PER_TARGET" -max_len=65536 -rss_limit_mb=2048 2>"fuzz/$t.log"; then
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
echo "all $N_TARGETS fuzz targets ran ${PER_TARGET}s each without failure"
