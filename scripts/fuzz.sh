#!/usr/bin/env bash
# Runs every fuzz target (fuzz/fuzz_targets: the proof-file, signed-note and pack readers, the detectors) for
# FUZZ_SECONDS each (default 120) with libFuzzer, and fails on the first crash, panic or failed assertion.
# Needs a nightly toolchain and cargo-fuzz (`rustup toolchain install nightly; cargo install cargo-fuzz`); not
# part of scripts/test, whose machines have neither. Corpora grow in fuzz/corpus (not committed).
#   scripts/fuzz.sh [TARGET ...]
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo/fuzz"
# Its own build directory: the fuzzer's instrumented builds would otherwise replace the test builds.
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/vargate/fuzz-target}"
seconds=${FUZZ_SECONDS:-120}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list)
log_dir=$(mktemp -d "${TMPDIR:-/tmp}/vargate-fuzz.XXXXXX")
for t in "${targets[@]}"; do
  echo "== $t: ${seconds} s"
  mkdir -p "corpus/$t"
  status=0
  cargo +nightly fuzz run "$t" "corpus/$t" -- -max_total_time="$seconds" -print_final_stats=1 \
    >"$log_dir/$t.log" 2>&1 || status=$?
  grep -E "^stat::(number_of_executed_units|new_units_added)|^#[0-9]+ +DONE" "$log_dir/$t.log" || true
  if [ "$status" -ne 0 ]; then
    tail -40 "$log_dir/$t.log" >&2
    echo "fuzz: $t failed (exit $status); the input is in fuzz/artifacts/$t, the log in $log_dir/$t.log" >&2
    exit 1
  fi
done
echo "fuzz: no target failed"
