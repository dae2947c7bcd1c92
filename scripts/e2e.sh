#!/usr/bin/env bash
# Real-window end-to-end tests: the desktop app under Xvfb with a private D-Bus, driven over WebDriver by
# tauri-driver + WebKitWebDriver, with a Python selenium client (tests/e2e/). Builds what it needs.
#
#   scripts/e2e.sh            # every tests/e2e/*_test.py
# Env: E2E_SHOTS  folder for screenshots (default: $TMPDIR/vargate-e2e-shots, overwritten each run)
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
cleanup() {
  # tauri-driver runs in a process group of its own with the WebKitWebDriver and app it starts: end them all,
  # politely first.
  if [ -n "$driver_pid" ]; then
    kill -TERM -- "-$driver_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$driver_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$driver_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Free ports for tauri-driver and the WebKitWebDriver behind it (several clones may test at once).
read -r port native_port < <("$python" - <<'PY'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
PY
)
setsid "$driver" --port "$port" --native-port "$native_port" >"$work/driver.log" 2>&1 &
driver_pid=$!
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  kill -0 "$driver_pid" 2>/dev/null || { cat "$work/driver.log" >&2; fail "tauri-driver exited"; }
  sleep 0.1
done
(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || fail "tauri-driver is not listening on port $port"

status=0
for t in tests/e2e/*_test.py; do
  echo "--- $t"
  VARGATE_BIN="$CARGO_TARGET_DIR/debug/vargate" VARGATE_APP="$CARGO_TARGET_DIR/debug/vargate-desktop" \
    WEBDRIVER_URL="http://127.0.0.1:$port" E2E_SHOTS="$shots" "$python" "$t" || status=1
done
if [ "$status" -ne 0 ]; then echo "--- tauri-driver log (tail)" >&2; tail -n 30 "$work/driver.log" >&2; fi
echo "e2e: screenshots in $shots"
exit "$status"
