#!/usr/bin/env bash
# The whole test suite: formatting, lints with warnings denied, and every
# test of every crate. CI (.ci/run) runs exactly this.
#
# Clippy and the test build share one compile: the workspace's own crates are
# compiled by clippy-driver (as `cargo clippy` does, through
# RUSTC_WORKSPACE_WRAPPER) but with code generation, so the same pass lints
# every target (lib, bins, tests, benches, examples: `--all-targets`) with
# warnings denied and produces the test binaries. Dependencies are compiled by
# plain rustc, exactly as in `cargo test`, so a developer's own builds share
# them. This is `cargo clippy --workspace --all-targets -- -D warnings`
# without its separate check build of every dependency (about a third of a
# cold run).
#
# Two more overlaps, because a CI machine has 2 cores and the stages leave
# one idle at times:
# - the Debian packages only the tests and deploy checks need (and the
#   aarch64 cross toolchain) install in the background while the workspace
#   compiles; compiling needs only deploy/dev/install-deps.sh --build-only;
# - the aarch64 cross-build of kiosk-sync (deploy/cross-build.sh --ci
#   --sync-only, for the deploy checks; kiosk-app for aarch64 is the long
#   run `deploy/ci-checks.sh --arm64-app`) runs while the tests run: the tests are run by
#   tests/run-tests.py straight from the binaries the build listed (the very
#   binaries, order and folders of `cargo test --workspace`), so cargo's
#   build lock is free for the cross-build. Doc tests run after it.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
# Each stage's start, in seconds since the suite started (where CI time goes).
stage() { printf '== [%4d s] %s\n' "$(( $(date +%s) - t0 ))" "$*"; }
logs="$(mktemp -d /tmp/kiosk-tests.XXXXXX)"
bg_pids=()
cleanup() {
  for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$logs"
}
trap cleanup EXIT
# Waits for a background step; on failure prints its log and stops the suite.
wait_for() { # $1 = pid, $2 = log, $3 = what
  if ! wait "$1"; then
    echo "== FAILED in the background: $3; its output:" >&2
    cat "$2" >&2
    exit 1
  fi
  stage "$3: done"
}

stage "Debian packages to compile (deploy/dev/install-deps.sh --build-only)"
bash deploy/dev/install-deps.sh --build-only
stage "in the background: the other Debian packages and the aarch64 cross toolchain"
( bash deploy/dev/install-deps.sh && bash deploy/install-cross-deps.sh --sync-only ) >"$logs/apt.log" 2>&1 &
apt_pid=$!
bg_pids+=("$apt_pid")

export CARGO_TERM_COLOR=never
stage "cargo fmt --check"
cargo fmt --all -- --check
clippy_driver="$(rustup which clippy-driver 2>/dev/null || command -v clippy-driver || true)"
if [ -z "$clippy_driver" ]; then
  echo "clippy-driver not found: run 'rustup component add clippy'" >&2
  exit 1
fi
export RUSTC_WORKSPACE_WRAPPER="$clippy_driver"
# cargo-clippy's own way of passing `-- -D warnings` to clippy-driver.
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
stage "clippy (warnings denied) + test build: cargo test --workspace --all-targets --no-run"
cargo test --workspace --all-targets --no-run --message-format=json-render-diagnostics >"$logs/artifacts.json"
wait_for "$apt_pid" "$logs/apt.log" "Debian packages and cross toolchain"

stage "in the background: aarch64 cross-build of kiosk-sync (deploy/cross-build.sh --ci --sync-only)"
nice -n 10 bash deploy/cross-build.sh --ci --sync-only >"$logs/cross.log" 2>&1 &
cross_pid=$!
bg_pids+=("$cross_pid")
stage "tests: the binaries of cargo test --workspace (tests/run-tests.py)"
python3 tests/run-tests.py "$logs/artifacts.json"
wait_for "$cross_pid" "$logs/cross.log" "aarch64 cross-build"
tail -n 3 "$logs/cross.log"
stage "doc tests: cargo test --workspace --doc"
cargo test --workspace --doc
stage "deploy checks"
bash deploy/ci-checks.sh
stage "all passed"
