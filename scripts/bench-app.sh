#!/usr/bin/env bash
# Desktop app benchmarks, in a real window under Xvfb with a private D-Bus and keychain (with-services.sh):
#   1. cold start to a usable window: process launch until the window reports it shows data (the UI calls
#      `ui_ready` after its first data render), over BENCH_STARTS runs on a log that already holds sessions;
#   2. idle memory: PSS of the whole process tree (the app plus its WebKit processes) after BENCH_SOAK_S
#      seconds of demo sessions, next to an empty Tauri window of the same size measured the same way in the
#      same run (examples/empty_window.rs): the ratio is the app's own cost.
# Usage: scripts/bench-app.sh [--release]     Env: BENCH_SOAK_S (default 3600), BENCH_STARTS (default 5)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/vargate/target}"
profile=debug
if [ "${1:-}" = "--release" ]; then profile=release; fi

if [ -z "${VARGATE_BENCH_INSIDE:-}" ]; then
  scripts/ui-build.sh
  flags=(); [ "$profile" = release ] && flags=(--release)
  cargo build -p vargate-desktop --bin vargate-desktop --example empty_window "${flags[@]}" --quiet
  VARGATE_BENCH_INSIDE=1 exec scripts/with-services.sh "$0" "$@"
fi

app="$CARGO_TARGET_DIR/$profile/vargate-desktop"
empty="$CARGO_TARGET_DIR/$profile/examples/empty_window"
work=$(mktemp -d "${TMPDIR:-/tmp}/vargate-bench-app.XXXXXX")
running=""
stop_app() {
  [ -n "$running" ] || return 0
  kill -TERM -- "-$running" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$running" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$running" 2>/dev/null || true
  running=""
}
trap 'stop_app; rm -rf "$work"' EXIT
export VARGATE_DATA_DIR="$work/data" VARGATE_EXPORT_DIR="$work/exports"

now_ms() { date +%s%3N; }

# Starts a binary in a process group of its own, logging to $work/$2.log.
launch() {
  setsid "$1" >"$work/$2.log" 2>&1 &
  running=$!
}

# A process and all its descendants (WebKitWebProcess, WebKitNetworkProcess, …), one pid a line.
tree_pids() {
  local pids=("$1") i=0
  while [ $i -lt ${#pids[@]} ]; do
    for child in $(cat /proc/"${pids[$i]}"/task/*/children 2>/dev/null); do pids+=("$child"); done
    i=$((i + 1))
  done
  printf '%s\n' "${pids[@]}"
}

# PSS in KiB of a process tree.
tree_pss_kib() {
  local total=0 pss
  for pid in $(tree_pids "$1"); do
    pss=$(awk '/^Pss:/ {print $2}' /proc/"$pid"/smaps_rollup 2>/dev/null || echo 0)
    total=$((total + ${pss:-0}))
  done
  echo "$total"
}

# PSS in MiB of each process of the tree, one line each.
tree_breakdown() {
  for pid in $(tree_pids "$1"); do
    awk -v name="$(cat /proc/"$pid"/comm 2>/dev/null)" '/^Pss:/ {pss=$2} /^Pss_File:/ {file=$2} /^Pss_Anon:/ {anon=$2}
      END {printf "    %-18s %4d MiB (anonymous %d MiB, file %d MiB)\n", name, pss/1024, anon/1024, file/1024}' \
      /proc/"$pid"/smaps_rollup 2>/dev/null || true
  done
}

wait_ready() {
  local log=$1 deadline=$(( $(now_ms) + 60000 ))
  until grep -q "window ready with data" "$log" 2>/dev/null; do
    [ "$(now_ms)" -lt "$deadline" ] || { echo "bench: the window never reported data; log:" >&2; cat "$log" >&2; exit 1; }
    sleep 0.01
  done
}

echo "== cold start ($profile build): launch until the window shows data"
# A first run fills the log with demo sessions; the measured runs then start on a log that holds data.
launch "$app" warmup; wait_ready "$work/warmup.log"; sleep 5; stop_app
starts=()
for n in $(seq "${BENCH_STARTS:-5}"); do
  t0=$(now_ms)
  launch "$app" "start$n"
  wait_ready "$work/start$n.log"
  starts+=($(( $(now_ms) - t0 )))
  stop_app
done
sorted=$(printf '%s\n' "${starts[@]}" | sort -n)
echo "runs (ms): ${starts[*]}"
echo "median: $(echo "$sorted" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}') ms, worst: $(echo "$sorted" | tail -1) ms (target ≤ 1500 ms)"

echo "== idle memory: PSS of the process tree"
launch "$empty" empty; sleep 10
empty_kib=$(tree_pss_kib "$running"); tree_breakdown "$running"; stop_app
soak=${BENCH_SOAK_S:-3600}
launch "$app" soak; wait_ready "$work/soak.log"
echo "app running demo sessions for ${soak} s …"
elapsed=0
while [ "$elapsed" -lt "$soak" ]; do
  step=$((soak - elapsed < 600 ? soak - elapsed : 600))
  sleep "$step"
  elapsed=$((elapsed + step))
  echo "  after ${elapsed} s: $(($(tree_pss_kib "$running") / 1024)) MiB"
done
app_kib=$(tree_pss_kib "$running")
tree_breakdown "$running"
stop_app
echo "empty Tauri window: $((empty_kib / 1024)) MiB"
echo "Vargate Desktop after ${soak} s of demo sessions: $((app_kib / 1024)) MiB"
awk -v a="$app_kib" -v e="$empty_kib" 'BEGIN { printf "ratio: %.2f× the empty window (target ≤ 1.5×)\n", a / e }'
echo "log after the soak: $(du -sh "$work/data" | cut -f1)"

echo "== timeline page loads in the window (100k-record session against a 1k one)"
stop_app
VARGATE_E2E_INSIDE=1 scripts/e2e.sh tests/e2e/timeline_bench.py
