#!/usr/bin/env bash
# Installs what the aarch64 (Raspberry Pi 4/5, 64-bit) cross-build needs on
# an x86_64 Debian 12 machine: the arm64 multiarch -dev libraries Slint's
# linuxkms backend links against, the gcc cross linker, qemu-user-static
# (to run the aarch64 binaries in CI) and the Rust target.
# Safe to run again: it installs only what is missing.
#
#   bash deploy/install-cross-deps.sh               # kiosk-sync and kiosk-app
#   bash deploy/install-cross-deps.sh --sync-only   # kiosk-sync alone (CI): no
#                                                   # arm64 multiarch libraries
set -euo pipefail

sync_only=0
case "${1:-}" in
  --sync-only) sync_only=1 ;;
  "") ;;
  *) echo "install-cross-deps.sh: unknown option $1 (--sync-only or nothing)" >&2; exit 2 ;;
esac

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive

packages=(
  gcc-aarch64-linux-gnu    # linker
  libc6-dev-arm64-cross    # the aarch64 libc headers and sysroot (C parts of
                           # crates: ring, SQLite; qemu -L uses it); only a
                           # Recommends of the linker, which --no-install-recommends skips
  qemu-user-static         # runs the aarch64 binaries on x86 (no binfmt needed)
  libudev-dev:arm64        # linuxkms backend: device discovery
  libinput-dev:arm64       # linuxkms backend: touch input
  libxkbcommon-dev:arm64   # linuxkms backend: keymaps
  libfontconfig-dev:arm64  # Slint font discovery (fontique)
  dpkg-dev                 # dpkg-architecture, dpkg-shlibdeps for the .deb
)
if [ "$sync_only" = 1 ]; then
  # kiosk-sync links nothing but libc (SQLite is bundled, TLS is rustls).
  packages=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static dpkg-dev)
fi

rm_lists=0
if [ "$sync_only" = 1 ]; then
  :
elif ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "adding the arm64 architecture to dpkg"
  "${sudo_cmd[@]}" dpkg --add-architecture arm64
  rm_lists=1
else
  rm_lists=0
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ] || [ "$rm_lists" = 1 ]; then
  echo "installing Debian packages: ${missing[*]:-(none; refreshing lists for arm64)}"
  "${sudo_cmd[@]}" apt-get update -qq
  if [ ${#missing[@]} -gt 0 ]; then
    # Installing :arm64 -dev packages upgrades a few amd64 libraries to the
    # same version (multiarch needs them equal). A postinst running an arm64
    # helper may print "Exec format error"; that is harmless here.
    "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

if ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
  echo "adding the Rust target aarch64-unknown-linux-gnu"
  rustup target add aarch64-unknown-linux-gnu
fi
