#!/usr/bin/env bash
# Cross-builds the kiosk binaries for a Raspberry Pi 4/5 running 64-bit
# Debian / Raspberry Pi OS (aarch64-unknown-linux-gnu) on an x86_64 Debian
# machine. Output: target/aarch64-unknown-linux-gnu/<profile>/{kiosk-sync,kiosk-app}
#
#   bash deploy/cross-build.sh            # release build, as shipped in the .deb
#   bash deploy/cross-build.sh --ci       # dev profile -> target/aarch64-unknown-linux-gnu/debug (CI)
#   bash deploy/cross-build.sh --sync-only
#   bash deploy/cross-build.sh --native   # the same feature set for x86_64 (amd64 .deb)
#
# --ci: the workspace's dev profile with every dependency at opt-level 0
# (the profile gives them 2): CI only proves the binaries build, link and
# run under qemu. This gives up sharing the host half (proc-macros, build
# scripts) with the test suite's build, for cheaper aarch64 code
# generation; deploy/README.md records the CI time it gave.
#
# Installs its toolchain first (deploy/install-cross-deps.sh: gcc-aarch64-linux-gnu,
# arm64 multiarch -dev libraries, qemu-user-static, the rustup target).
set -euo pipefail
cd "$(dirname "$0")/.."

ci=0
sync_only=0
native=0
for a in "$@"; do
  case "$a" in
    --ci) ci=1 ;;
    --sync-only) sync_only=1 ;;
    --native) native=1 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "cross-build.sh: unknown option $a (see --help)" >&2; exit 2 ;;
  esac
done

# The app on the kiosk: Slint's linuxkms backend (DRM/KMS + libinput, no X,
# no Wayland, no seat daemon) with the software renderer, and the GPIO
# motion sensor (rppal). The desktop (winit/X11) backend is left out: a
# kiosk has no desktop.
app_features="${KIOSK_APP_FEATURES:-kms gpio}"

if [ "$native" = 1 ]; then
  target=x86_64-unknown-linux-gnu
  bash deploy/dev/install-deps.sh
else
  target=aarch64-unknown-linux-gnu
  if [ "$sync_only" = 1 ]; then
    bash deploy/install-cross-deps.sh --sync-only
  else
    bash deploy/install-cross-deps.sh
  fi
  export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
  export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
  export AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar
  export PKG_CONFIG_ALLOW_CROSS=1
  export PKG_CONFIG_LIBDIR_aarch64_unknown_linux_gnu=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig
fi

profile_args=(--release)
profile_dir=release
if [ "$ci" = 1 ]; then
  # Dependencies unoptimised: CI only proves the aarch64 binary builds,
  # links and runs (--version under qemu); their optimised code generation
  # was most of this build's CPU time, on the critical path of CI.
  profile_args=(--config 'profile.dev.package."*".opt-level=0')
  profile_dir=debug
fi

# An explicit --target keeps these builds in target/<triple>/release, apart
# from everyone's native target/release (no rebuilds for each other).
packages=(-p kiosk-sync)
features=()
if [ "$sync_only" = 0 ]; then
  packages+=(-p kiosk-app)
  features=(--no-default-features --features "kiosk-app/${app_features// / kiosk-app/}")
fi

echo "== cargo build ${profile_args[*]} --target $target ${packages[*]} ${features[*]}"
start=$(date +%s)
cargo build "${profile_args[@]}" --target "$target" "${packages[@]}" "${features[@]}"
echo "built in $(( $(date +%s) - start )) s:"
out="${CARGO_TARGET_DIR:-target}/$target/$profile_dir"
ls -l "$out/kiosk-sync" $([ "$sync_only" = 0 ] && echo "$out/kiosk-app")
