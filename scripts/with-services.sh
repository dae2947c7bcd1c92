#!/usr/bin/env bash
# Runs a command inside the real services Vargate's tests need, started privately and stopped afterwards:
#   - a D-Bus session bus of its own (notifications, WebKit, Secret Service),
#   - gnome-keyring's Secret Service on that bus, unlocked (the OS keychain the log's signing keys live in),
#   - an Xvfb display for real windows.
# Usage: scripts/with-services.sh COMMAND [ARGS...]
set -euo pipefail

state=$(mktemp -d -t vargate-services.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$state"
}
trap cleanup EXIT INT TERM

# D-Bus session bus.
dbus-daemon --session --fork --nopidfile --address="unix:path=$state/bus" --print-address=3 --print-pid=4 \
  3>"$state/addr" 4>"$state/dbus.pid"
pids+=("$(cat "$state/dbus.pid")")
export DBUS_SESSION_BUS_ADDRESS
DBUS_SESSION_BUS_ADDRESS=$(head -1 "$state/addr")

# Secret Service: gnome-keyring needs a non-empty password to create and unlock its login collection.
export HOME_KEYRING_DIR="$state/keyrings"
mkdir -p "$state/home/.local/share/keyrings"
(printf 'vargate-test' | HOME="$state/home" XDG_DATA_HOME="$state/home/.local/share" \
  gnome-keyring-daemon --foreground --unlock --components=secrets >"$state/keyring.log" 2>&1) &
pids+=("$!")
for _ in $(seq 1 100); do
  if dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.NameHasOwner \
      string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; then break; fi
  sleep 0.1
done

# Virtual display.
display=""
for n in $(seq 90 140); do
  if [ ! -e "/tmp/.X11-unix/X$n" ] && [ ! -e "/tmp/.X$n-lock" ]; then display=":$n"; break; fi
done
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >"$state/xvfb.log" 2>&1 &
pids+=("$!")
export DISPLAY="$display"
for _ in $(seq 1 100); do [ -e "/tmp/.X11-unix/X${display#:}" ] && break; sleep 0.1; done

export VARGATE_KEYSTORE=secret-service
"$@"
