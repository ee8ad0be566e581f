#!/usr/bin/env bash
# Deploy checks, run by tests/run.sh after the workspace tests (so the x86
# debug binaries already exist):
#   1. cross-build kiosk-sync for aarch64 (deploy/cross-build.sh --ci
#      --sync-only: the dev profile, whose host half the test suite has
#      already compiled) and run it under qemu-aarch64-static
#   2. the default app config parses (x86 app)
#   3. build the amd64 .deb (deploy/build-deb.sh) and check `dpkg-deb
#      --contents` against the list in deploy/README.md
#   4. `systemd-analyze verify` the units against the unpacked package, and
#      their `systemd-analyze security` scores against deploy/README.md
#   5. the firmware image recipe, quickly (deploy/image/check-recipe.sh; the
#      image build and boot test are separate: deploy/README.md section 6)
#
#   bash deploy/ci-checks.sh              # CI's version (above)
#   bash deploy/ci-checks.sh --arm64-app  # also kiosk-app for aarch64: its
#       headless screenshot under qemu compared with x86's, and the arm64 .deb
#       (about 15 CPU-minutes more: Slint for aarch64; a separate long run,
#       as the image build is; its latest result is in deploy/README.md)
# The nginx repository test is a cargo test (tests/tests/deploy_nginx.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
arm64_app=0
case "${1:-}" in
  --arm64-app) arm64_app=1 ;;
  "") ;;
  *) echo "ci-checks.sh: unknown option $1 (--arm64-app or nothing)" >&2; exit 2 ;;
esac
cross_args=(--ci --sync-only)
[ "$arm64_app" = 1 ] && cross_args=(--ci)

t0=$(date +%s)
step() { printf '== deploy [%4d s] %s\n' "$(( $(date +%s) - t0 ))" "$*"; }
fail() { echo "deploy checks: FAILED: $*" >&2; exit 1; }
work="$(mktemp -d /tmp/kiosk-deploy.XXXXXX)"
trap 'rm -rf "$work"' EXIT

step "cross toolchain (gcc-aarch64-linux-gnu, qemu-user-static, rustup target; arm64 multiarch for the app)"
if [ "$arm64_app" = 1 ]; then bash deploy/install-cross-deps.sh; else bash deploy/install-cross-deps.sh --sync-only; fi

arm="${CARGO_TARGET_DIR:-target}/aarch64-unknown-linux-gnu/debug"
qemu=(qemu-aarch64-static -L /usr/aarch64-linux-gnu)
step "cross-build for aarch64-unknown-linux-gnu (dev profile): deploy/cross-build.sh ${cross_args[*]}"
bash deploy/cross-build.sh "${cross_args[@]}"

step "aarch64: kiosk-sync --version under qemu"
version="$("${qemu[@]}" "$arm/kiosk-sync" --version)"
echo "$version"
[[ "$version" == "kiosk-sync "* ]] || fail "unexpected --version output: $version"
"${qemu[@]}" "$arm/kiosk-sync" status --data-dir "$work/empty-kiosk" >/dev/null \
  || fail "aarch64 kiosk-sync status on an empty data dir failed"

step "x86_64 debug binaries (the test suite built them already)"
# The same command as the test suite, so the same feature resolution and
# nothing to rebuild after it (a plain `cargo build -p ...` resolves
# features differently and recompiles part of the graph).
cargo test --workspace --no-run 2>&1 | tail -n 3
x86="${CARGO_TARGET_DIR:-target}/debug"
for b in kiosk-sync kiosk-app; do
  [ -x "$x86/$b" ] || cargo build -p "$b"
done

step "the default app config in deploy/config parses (x86 app, demo content)"
"$x86/kiosk-app" --demo --config deploy/config/kiosk-app.toml screenshot --page home --out "$work/config-check.png" \
  || fail "deploy/config/kiosk-app.toml is not accepted by kiosk-app (message above)"

if [ "$arm64_app" = 1 ]; then
  step "aarch64: headless screenshot of the demo home page under qemu"
  "${qemu[@]}" "$arm/kiosk-app" screenshot --demo --page home --out "$work/home-arm64.png"
  "$x86/kiosk-app" screenshot --demo --page home --out "$work/home-x86_64.png"
  python3 deploy/ci/png_check.py "$work/home-arm64.png" "$work/home-x86_64.png"
fi

step ".deb packages (dpkg-deb --build from a staged tree)"
# From the dev-profile binaries built above (version suffix ~dev): release
# builds would cost more than the whole test suite. The package is the same
# either way; for kiosks: `deploy/cross-build.sh && deploy/build-deb.sh arm64`.
# gzip: xz took 108 s for the two; these packages are not shipped.
debs=()
if [ "$arm64_app" = 1 ]; then
  DEB_COMPRESSION=gzip bash deploy/build-deb.sh arm64 --bin-dir "$arm"
  debs+=(out/deb/disclosure-kiosk_*_arm64.deb)
fi
DEB_COMPRESSION=gzip bash deploy/build-deb.sh amd64 --bin-dir "$x86"
debs+=(out/deb/disclosure-kiosk_*_amd64.deb)
for deb in "${debs[@]}"; do
  echo "--- dpkg-deb --info $deb"
  dpkg-deb --info "$deb" | sed -n '/Package:/,$p'
  echo "--- dpkg-deb --contents $deb"
  dpkg-deb --contents "$deb"
done
bash deploy/ci/check-deb-contents.sh "${debs[@]}"

step "systemd units: verify and security, against the unpacked package"
bash deploy/ci/verify-units.sh "${debs[-1]}"

step "firmware image recipe (deploy/image/check-recipe.sh: packages resolve, kiosk.toml.example passes kiosk-config)"
bash deploy/image/check-recipe.sh "$x86"

step "deploy checks passed"
