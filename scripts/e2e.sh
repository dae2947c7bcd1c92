#!/usr/bin/env bash
# Real-window end-to-end tests: the desktop app under Xvfb with a private D-Bus, driven over WebDriver by
# tauri-driver + WebKitWebDriver, with a Python selenium client (tests/e2e/). Builds what it needs.
#
#   scripts/e2e.sh                        # every tests/e2e/*_test.py
#   scripts/e2e.sh --update-screenshots   # the same, then copies one screenshot per screen to docs/screenshots/
#   scripts/e2e.sh tests/e2e/app_test.py  # only these test files
# Env: E2E_SHOTS  folder for screenshots (default: $TMPDIR/vargate-e2e-shots, overwritten each run)
# The app starts its engine (demo mode) at launch: its log, its exports and WebKit's files go to a temporary
# folder (VARGATE_DATA_DIR, VARGATE_EXPORT_DIR, XDG_*), never to the home directory.
# Needs scripts/install-deps.sh --test (tauri-driver, webkit2gtk-driver, Xvfb, the venv with selenium).
# Everything it starts (bus, keychain, X server, tauri-driver and the WebKitWebDriver and app it spawns) is
# stopped on exit.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/vargate/target}"
python="${VARGATE_SDK_VENV:-$HOME/.cache/vargate/sdk-venv}/bin/python"
driver="${TAURI_DRIVER:-$HOME/.cargo/bin/tauri-driver}"

fail() { echo "e2e: FAIL: $*" >&2; echo "e2e: 0 passed, 1 failed"; exit 1; }

update_docs=""
tests=()
for arg in "$@"; do
  case "$arg" in
    --update-screenshots) update_docs=1 ;;
    -*) fail "unknown option $arg (see the top of $0)" ;;
    *) [ -f "$arg" ] || fail "no test file $arg"; tests+=("$arg") ;;
  esac
done
[ "${#tests[@]}" -gt 0 ] || tests=(tests/e2e/*_test.py)
# The screens whose screenshots docs/screenshots/ keeps (tests/e2e/app_test.py names them).
doc_shots=(sessions timeline approvals policies export verify settings)

if [ -z "${VARGATE_E2E_INSIDE:-}" ]; then
  # Missing tools are a failure, never a skip: CI must not pass without having driven a window.
  for tool in Xvfb dbus-daemon gnome-keyring-daemon WebKitWebDriver; do
    command -v "$tool" >/dev/null || fail "$tool not found (scripts/install-deps.sh --test)"
  done
  [ -x "$driver" ] || fail "no tauri-driver at $driver (scripts/install-deps.sh --test)"
  "$python" -c 'import selenium' 2>/dev/null || fail "selenium missing from $python (scripts/install-deps.sh --test)"

  # The app embeds ui/dist when it is compiled, so the UI is built first.
  scripts/ui-build.sh
  cargo build -p vargate-cli -p vargate-desktop --quiet

  # The display, the private bus (so WebKit does not start and leave behind its own) and the keychain come
  # from with-services.sh, which runs the rest of this script inside them and stops them afterwards.
  VARGATE_E2E_INSIDE=1 exec scripts/with-services.sh "$0" "$@"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/vargate-e2e.XXXXXX")
shots=${E2E_SHOTS:-${TMPDIR:-/tmp}/vargate-e2e-shots}
driver_pid=""
stop_driver() {
  # tauri-driver runs in a process group of its own with the WebKitWebDriver and app it starts: end them all,
  # politely first.
  if [ -n "$driver_pid" ]; then
    kill -TERM -- "-$driver_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$driver_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$driver_pid" 2>/dev/null || true
    wait "$driver_pid" 2>/dev/null || true
    driver_pid=""
  fi
}
cleanup() {
  stop_driver
  stop_notifier
  stop_file_manager
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts tauri-driver for one test, in the environment the app it launches will have: the app's log, exports and
# WebKit's data and caches in a folder of the test's own under $work (never the home directory), plus the
# `# e2e-env: NAME=value` lines of the test file (e.g. a keystore that cannot open, to test the engine failing).
# Prints nothing; sets driver_pid and port.
start_driver() {
  local test=$1 dir=$2
  local -a env=(
    "VARGATE_DATA_DIR=$dir/data" "VARGATE_EXPORT_DIR=$dir/exports"
    "XDG_DATA_HOME=$dir/xdg/data" "XDG_CONFIG_HOME=$dir/xdg/config" "XDG_CACHE_HOME=$dir/xdg/cache"
  )
  mkdir -p "$dir/data" "$dir/exports" "$dir/xdg/data" "$dir/xdg/config" "$dir/xdg/cache"
  while IFS= read -r line; do env+=("$line"); done < <(sed -n 's/^# e2e-env: *//p' "$test")
  # Free ports for tauri-driver and the WebKitWebDriver behind it (several clones may test at once).
  read -r port native_port < <("$python" - <<'PY'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
PY
  )
  env "${env[@]}" setsid "$driver" --port "$port" --native-port "$native_port" >"$dir/driver.log" 2>&1 &
  driver_pid=$!
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    kill -0 "$driver_pid" 2>/dev/null || { cat "$dir/driver.log" >&2; fail "tauri-driver exited"; }
    sleep 0.1
  done
  fail "tauri-driver is not listening on port $port"
}

# Waits until the D-Bus service started as `pid` owns `name` on the session bus (its log is `log`).
wait_for_bus_name() {
  local name=$1 pid=$2 log=$3
  for _ in $(seq 100); do
    dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.NameHasOwner \
      "string:$name" 2>/dev/null | grep -q 'boolean true' && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; fail "the test service for $name exited"; }
    sleep 0.1
  done
  fail "the test service did not take the bus name $name"
}

# Starts the test notification server on the app's bus when the test file asks with a line
# `# e2e-notify: ACTION=MATCH;ACTION=MATCH` (press ACTION on the first notification whose summary contains
# MATCH, each rule once); sets notify_pid.
notify_pid=""
start_notifier() {
  local test=$1 dir=$2 spec
  spec=$(sed -n 's/^# e2e-notify: *//p' "$test" | head -1)
  [ -n "$spec" ] || return 0
  mkdir -p "$dir"
  VARGATE_TEST_NOTIFY_LOG="$dir/notifications.jsonl" VARGATE_TEST_NOTIFY_RULES="$spec" \
    /usr/bin/python3 tests/notifications/server.py >"$dir/notifier.log" 2>&1 &
  notify_pid=$!
  wait_for_bus_name org.freedesktop.Notifications "$notify_pid" "$dir/notifier.log"
}
# Stops a test service this script started in the background (by pid; nothing when empty).
stop_service() {
  [ -n "$1" ] || return 0
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
stop_notifier() {
  stop_service "$notify_pid"
  notify_pid=""
}

# Starts the test file manager (org.freedesktop.FileManager1, recording what it is asked to show into
# file-manager.jsonl) when the test file has a line `# e2e-file-manager`; sets file_manager_pid.
file_manager_pid=""
start_file_manager() {
  local test=$1 dir=$2
  grep -q '^# e2e-file-manager' "$test" || return 0
  mkdir -p "$dir"
  VARGATE_TEST_FILE_MANAGER_LOG="$dir/file-manager.jsonl" \
    /usr/bin/python3 tests/notifications/file_manager.py >"$dir/file-manager.log" 2>&1 &
  file_manager_pid=$!
  wait_for_bus_name org.freedesktop.FileManager1 "$file_manager_pid" "$dir/file-manager.log"
}
stop_file_manager() {
  stop_service "$file_manager_pid"
  file_manager_pid=""
}

status=0
for t in "${tests[@]}"; do
  echo "--- $t"
  dir="$work/$(basename "$t" .py)"
  start_notifier "$t" "$dir"
  start_file_manager "$t" "$dir"
  start_driver "$t" "$dir"
  # The test sees what the app sees (to seed its log, ask for its key, check where packs were written).
  ok=1
  (
    while IFS= read -r line; do export "${line?}"; done < <(sed -n 's/^# e2e-env: *//p' "$t")
    export VARGATE_DATA_DIR="$dir/data" VARGATE_EXPORT_DIR="$dir/exports" VARGATE_TEST_NOTIFY_LOG="$dir/notifications.jsonl"
    export VARGATE_TEST_FILE_MANAGER_LOG="$dir/file-manager.jsonl"
    export PYTHONDONTWRITEBYTECODE=1  # No __pycache__ beside the tests.
    VARGATE_BIN="$CARGO_TARGET_DIR/debug/vargate" VARGATE_APP="$CARGO_TARGET_DIR/debug/vargate-desktop" \
      WEBDRIVER_URL="http://127.0.0.1:$port" E2E_SHOTS="$shots" exec "$python" "$t"
  ) || ok=0
  stop_driver
  stop_notifier
  stop_file_manager
  if [ "$ok" -eq 0 ]; then
    status=1
    echo "--- tauri-driver log of $t (tail)" >&2
    tail -n 30 "$dir/driver.log" >&2
  fi
done
echo "e2e: screenshots in $shots"
if [ -n "$update_docs" ]; then
  if [ "$status" -ne 0 ]; then
    echo "e2e: docs/screenshots/ left as it was: a test failed" >&2
  else
    mkdir -p docs/screenshots
    for name in "${doc_shots[@]}"; do
      [ -f "$shots/$name.png" ] || { echo "e2e: no screenshot $name.png" >&2; status=1; continue; }
      cp "$shots/$name.png" "docs/screenshots/$name.png"
    done
    echo "e2e: copied ${doc_shots[*]} to docs/screenshots/"
  fi
fi
exit "$status"
