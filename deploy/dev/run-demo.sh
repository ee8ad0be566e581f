#!/usr/bin/env bash
# Runs the kiosk on its embedded demo county, in a desktop window.
# Extra arguments go to kiosk-app (for example --big-text, or
# `screenshot --page home --out home.png` for a headless picture).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash deploy/dev/install-deps.sh
exec cargo run --release -p kiosk-app -- --demo "$@"
