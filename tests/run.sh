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
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
# Each stage's start, in seconds since the suite started (where CI time goes).
stage() { printf '== [%4d s] %s\n' "$(( $(date +%s) - t0 ))" "$*"; }
stage "Debian packages (deploy/dev/install-deps.sh)"
bash deploy/dev/install-deps.sh
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
cargo test --workspace --all-targets --no-run
stage "cargo test --workspace"
cargo test --workspace
stage "deploy checks"
bash deploy/ci-checks.sh
stage "all passed"
