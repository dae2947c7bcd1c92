#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine of this kind lacks to build, run and test Vargate Desktop.
# Idempotent: packages already present are skipped, so the second run costs a dpkg query.
set -euo pipefail

build_pkgs=(build-essential pkg-config curl file libwebkit2gtk-4.1-dev libxdo-dev
  libayatana-appindicator3-dev librsvg2-dev libdbus-1-dev libssl-dev)
test_pkgs=(xvfb xauth dbus dbus-x11 imagemagick poppler-utils fonts-dejavu-core
  gnome-keyring libsecret-tools keyutils python3-dbus python3-gi python3-cryptography python3-venv at-spi2-core x11-utils
  webkit2gtk-driver)

want=("${build_pkgs[@]}")
if [ "${1:-}" = "--test" ]; then want+=("${test_pkgs[@]}"); fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The official Anthropic SDK, to check that the simulator speaks the real wire format (tests/sdk/).
if [ "${1:-}" = "--test" ]; then
  venv="${VARGATE_SDK_VENV:-$HOME/.cache/vargate/sdk-venv}"
  if ! "$venv/bin/python" -c "import anthropic, sys; sys.exit(anthropic.__version__ != '2.10.0')" 2>/dev/null; then
    echo "installing the anthropic SDK 2.10.0 into $venv"
    /usr/bin/python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check anthropic==2.10.0
  fi
  # selenium drives the real-window tests (tests/e2e/) through tauri-driver. 4.50 rather than the newest: later
  # ones need a certifi newer than the package index here serves.
  if ! "$venv/bin/python" -c "import selenium, sys; sys.exit(selenium.__version__ != '4.50.0')" 2>/dev/null; then
    echo "installing selenium 4.50.0 into $venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check selenium==4.50.0
  fi

  # tauri-driver, the WebDriver server for Tauri apps (it starts WebKitWebDriver). Compiling it the first time
  # takes minutes; later runs only compare the version.
  tauri_driver_pin=2.1.0
  # Built in a temporary folder (not the shared target dir), into $HOME/.cargo/bin where scripts/e2e.sh looks.
  if ! cargo install --list --root "$HOME/.cargo" 2>/dev/null | grep -qxF "tauri-driver v$tauri_driver_pin:"; then
    echo "installing tauri-driver $tauri_driver_pin (cargo install, a few minutes)"
    env -u CARGO_TARGET_DIR cargo install tauri-driver --version "=$tauri_driver_pin" --locked --quiet --root "$HOME/.cargo"
  fi

  # anvil, the local EVM node of the anchoring tests (src-tauri/crates/anchor/tests), pinned in tests/evm.
  evm="$(cd "$(dirname "$0")/.." && pwd)/tests/evm"
  anvil_pin="$(node -p "require('$evm/package.json').devDependencies['@foundry-rs/anvil']")"
  anvil_bin="$(ls "$evm"/node_modules/@foundry-rs/anvil-*/bin/anvil 2>/dev/null | head -n1 || true)"
  if [ -z "$anvil_bin" ] || ! "$anvil_bin" --version 2>/dev/null | grep -qxF "anvil Version: $anvil_pin"; then
    echo "installing anvil $anvil_pin into $evm/node_modules"
    npm ci --prefix "$evm" --silent
  fi
fi
