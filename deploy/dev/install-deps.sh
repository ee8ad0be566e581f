#!/usr/bin/env bash
# Installs the Debian packages a developer machine or CI needs to build and
# test the workspace. Safe to run again: it installs only what is missing.
#
#   bash deploy/dev/install-deps.sh                # everything
#   bash deploy/dev/install-deps.sh --build-only   # only what compiling needs
#                                                  # (tests/run.sh installs the rest
#                                                  # while the workspace compiles)
set -euo pipefail

build=(
  pkg-config
  mold                 # the linker .ci/run uses (deploy/dev/cc-mold)
  libfontconfig1-dev   # Slint's font discovery (fontique)
  libudev-dev          # Slint linuxkms backend (the Pi build)
  libinput-dev
  libxkbcommon-dev
)
packages=(
  "${build[@]}"
  fonts-noto-cjk       # a system CJK font, so no fallback path renders tofu
  faketime             # clock-skew tests of kiosk-sync
  nginx                # deploy test: a real nginx serving a repository
  systemd              # systemd-analyze verify for the units
  libzinnia-dev tegaki-zinnia-simplified-chinese  # handwriting: Zinnia (kiosk-handwriting loads libzinnia.so.0) and its zh_CN model
  prometheus           # issue 16: a real Prometheus scrapes kiosk-sync in a test; promtool checks the exposition and rules
)

if [ "${1:-}" = "--build-only" ]; then
  packages=("${build[@]}")
fi

# Installed for this machine's architecture (or "all"): once the arm64
# -dev packages of deploy/install-cross-deps.sh are in, a bare
# `dpkg-query -W libudev-dev` finds libudev-dev:arm64 and the amd64 one
# would never be installed.
native_arch="$(dpkg --print-architecture)"
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status} ${Architecture}\n' "$p" 2>/dev/null \
    | grep -Eq "^install ok installed ($native_arch|all)\$" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing Debian packages: ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
