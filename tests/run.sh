#!/usr/bin/env bash
# The whole test suite: formatting, lints with warnings denied, and every
# test of every crate. CI (.ci/run) runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/dev/install-deps.sh
export CARGO_TERM_COLOR=never
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy (warnings denied)"
cargo clippy --workspace --all-targets -- -D warnings
echo "== cargo test --workspace"
cargo test --workspace
echo "== deploy checks"; bash deploy/ci-checks.sh
