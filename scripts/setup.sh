#!/usr/bin/env bash
# Installs everything proctord needs to build, run and test on Debian 12 / Raspberry Pi OS
# Bookworm / JetPack 6 (Ubuntu 22.04): system packages, the pinned LiteRT runtime and the
# models in models/manifest.toml. Safe to run again: it only does what is missing.
#
#   scripts/setup.sh            everything for building, the demo and the tests
#   scripts/setup.sh --runtime  only the LiteRT library and the models
#
# Environment:
#   PROCTORD_MODEL_MIRROR  directory to copy models from instead of downloading
#                          (default: ../shared/models when it exists)
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/litert.sh
. scripts/litert.sh
litert_pin "$(uname -m)" || exit 1

APT_PACKAGES=(
  build-essential pkg-config libclang-dev python3-venv unzip curl
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly
  gstreamer1.0-libav gstreamer1.0-tools gstreamer1.0-plugins-base-apps ffmpeg
  mosquitto mosquitto-clients openssl poppler-utils fonts-dejavu-core
  systemd-container debootstrap chromium nodejs
)

runtime_only=false
[[ "${1:-}" == "--runtime" ]] && runtime_only=true

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

install_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # The broker is started by the tests themselves on a free port, never as a service.
  if systemctl is-active --quiet mosquitto 2>/dev/null; then as_root systemctl disable --now mosquitto >/dev/null 2>&1 || true; fi
}

install_litert() {
  litert_fetch "$(uname -m)" runtime/libLiteRt.so || { echo "setup: could not install LiteRT" >&2; exit 1; }
}

install_models() {
  local mirror=${PROCTORD_MODEL_MIRROR:-}
  if [[ -z $mirror && -d ../shared/models ]]; then mirror=../shared/models; fi
  python3 models/fetch.py --include-optional ${mirror:+--mirror "$mirror"}
}

install_browser_driver() {
  if [[ ! -d tests/e2e/node_modules/playwright-core ]]; then
    (cd tests/e2e && npm install --no-audit --no-fund --silent)
  fi
}

if ! $runtime_only; then install_packages; fi
install_litert
install_models
if ! $runtime_only && [[ -f tests/e2e/package.json ]]; then install_browser_driver; fi
echo "setup: ready (LiteRT $LITERT_VERSION, models verified)"
