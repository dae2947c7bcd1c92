#!/usr/bin/env bash
# Starts the built desktop app in a real (virtual) X window and checks that its page rendered.
#
#   scripts/window-smoke.sh [path/to/vargate-desktop]
#
# Default binary: $CARGO_TARGET_DIR/debug/vargate-desktop (CARGO_TARGET_DIR defaults to ./target of the repo).
# Needs Xvfb, dbus-daemon, xwininfo (x11-utils) and ImageMagick (import, convert).
# Env: SMOKE_SHOT   where to save the screenshot (default: a temp file, kept and printed)
#      SMOKE_TIMEOUT seconds to wait for the window (default 30)
# Prints "window-smoke: 1 passed, 0 failed" and exits 0, or "window-smoke: 0 passed, 1 failed" and exits 1.
# Everything it starts (bus, X server, app) is stopped on exit.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target_dir=${CARGO_TARGET_DIR:-$repo/target}
bin=${1:-$target_dir/debug/vargate-desktop}
timeout_s=${SMOKE_TIMEOUT:-30}
title="Vargate Desktop"

work=$(mktemp -d "${TMPDIR:-/tmp}/window-smoke.XXXXXX")
shot=${SMOKE_SHOT:-$(mktemp --suffix=.png "${TMPDIR:-/tmp}/window-smoke.XXXXXX")}
bus_pid="" xvfb_pid="" app_pid=""

stop() { # stop PID: TERM, wait up to 5 s, then KILL
  local pid=$1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
  stop "$app_pid"
  stop "$xvfb_pid"
  stop "$bus_pid"
  rm -rf "$work"
  # A default screenshot file that never got a picture is just litter.
  if [ -z "${SMOKE_SHOT:-}" ] && [ ! -s "$shot" ]; then rm -f "$shot"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  echo "window-smoke: FAIL: $*" >&2
  if [ -s "$work/app.log" ]; then echo "--- app log (tail) ---" >&2; tail -n 20 "$work/app.log" >&2; fi
  echo "window-smoke: 0 passed, 1 failed"
  exit 1
}

for tool in Xvfb dbus-daemon xwininfo import convert; do
  command -v "$tool" >/dev/null || fail "$tool not found (scripts/install-deps.sh --test)"
done
[ -x "$bin" ] || fail "no app binary at $bin (cargo build -p vargate-desktop, or pass its path)"

# A private session bus, so WebKit does not start (and leave behind) its own.
dbus-daemon --session --fork --nopidfile --address="unix:path=$work/bus" \
  --print-address=3 --print-pid=4 3>"$work/bus.addr" 4>"$work/bus.pid"
bus_pid=$(head -n1 "$work/bus.pid")
DBUS_SESSION_BUS_ADDRESS=$(head -n1 "$work/bus.addr")
export DBUS_SESSION_BUS_ADDRESS

# A free display: no lock file and no socket.
display=""
for n in $(seq 99 199); do
  if [ ! -e "/tmp/.X$n-lock" ] && [ ! -e "/tmp/.X11-unix/X$n" ]; then display=":$n"; break; fi
done
[ -n "$display" ] || fail "no free X display between :99 and :199"

Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
xvfb_pid=$!
export DISPLAY=$display
for _ in $(seq 100); do
  xwininfo -root >/dev/null 2>&1 && break
  kill -0 "$xvfb_pid" 2>/dev/null || fail "Xvfb exited: $(tail -n3 "$work/xvfb.log")"
  sleep 0.1
done
xwininfo -root >/dev/null 2>&1 || fail "Xvfb did not come up on $display"

"$bin" >"$work/app.log" 2>&1 &
app_pid=$!

deadline=$((SECONDS + timeout_s))
until xwininfo -root -tree 2>/dev/null | grep -qF "\"$title\""; do
  kill -0 "$app_pid" 2>/dev/null || fail "app exited before its window appeared"
  [ "$SECONDS" -lt "$deadline" ] || fail "no window titled \"$title\" within ${timeout_s}s"
  sleep 0.25
done

# Where the window is on the screen, so the check looks at the window and not at the black desktop around it.
info=$(xwininfo -name "$title")
geom() { awk -F: -v k="$1" '$1 ~ k { gsub(/ /, "", $2); print $2; exit }' <<<"$info"; }
crop="$(geom 'Width')x$(geom 'Height')+$(geom 'Absolute upper-left X')+$(geom 'Absolute upper-left Y')"

# Give the web view a moment to paint, then require a window that is neither one flat colour (sd) nor almost
# all one colour (a blank web view is plain white; WebKit's "Could not connect" page is white with one line of
# text, sd ~0.03). Retry a few times: the first frames can still be blank.
measure() { # prints "SD TOP" for the window's part of the screenshot: standard deviation, share of the top colour
  local area=$work/window.png
  convert "$shot" -crop "$crop" +repage "$area" || return 1
  local sd top pixels
  sd=$(convert "$area" -format '%[fx:standard_deviation]' info:) || return 1
  top=$(convert "$area" -format %c histogram:info:- | sort -rn | awk -F: 'NR == 1 { print $1 + 0 }')
  pixels=$(convert "$area" -format '%[fx:w*h]' info:) || return 1
  awk -v s="$sd" -v t="$top" -v p="$pixels" 'BEGIN { printf "%.4f %.4f\n", s, t / p }'
}
rendered() { awk -v s="$1" -v t="$2" 'BEGIN { exit !(s > 0.02 && t < 0.9) }'; }

sd=0 top=1
for _ in $(seq 20); do
  sleep 0.5
  kill -0 "$app_pid" 2>/dev/null || fail "app exited after its window appeared"
  import -display "$display" -window root "$shot" 2>/dev/null || continue
  read -r sd top < <(measure || echo "0 1")
  rendered "$sd" "$top" && break
done
rendered "$sd" "$top" ||
  fail "window looks blank (sd=$sd, top colour covers $top of it): $shot"

echo "window-smoke: window \"$title\" ($crop) rendered on $display (sd=$sd, top colour $top), screenshot: $shot"
echo "window-smoke: 1 passed, 0 failed"
