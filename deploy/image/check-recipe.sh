#!/usr/bin/env bash
# Quick check of the firmware image recipe for CI (seconds; the image build
# and boot test are deploy/image/build.sh and boot-test.sh, run by hand):
#   1. build.sh --check-only for amd64 and arm64: the script parses and every
#      package of packages.txt resolves against Debian's indices;
#   2. kiosk.toml.example passes kiosk-config (the image's boot-time check,
#      with the real kiosk-sync and kiosk-app parsers), and a wrong line in it
#      is refused with that line named; its metrics_listen, turned on,
#      reaches kiosk-sync's config, and one without a port is refused.
#
#   bash deploy/image/check-recipe.sh BIN_DIR     # BIN_DIR holds x86 kiosk-sync and kiosk-app
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$(realpath "${1:?usage: check-recipe.sh BIN_DIR (with kiosk-sync and kiosk-app)}")"
work="$(mktemp -d /tmp/kiosk-image-check.XXXXXX)"
trap 'rm -rf "$work"' EXIT

bash "$here/build.sh" --check-only --arch amd64
bash "$here/build.sh" --check-only --arch arm64
python3 -c "import ast, sys; ast.parse(open(sys.argv[1]).read())" "$here/qemu_ctl.py"

check() { # check DIR: run kiosk-config on DIR/kiosk.toml
  KIOSK_CONFIG_OFFLINE=1 KIOSK_CONF_DIR="$1" KIOSK_CONFIG_OUT="$1/out" KIOSK_CONFIG_TTY=/dev/null \
    KIOSK_SYNC_BIN="$bin/kiosk-sync" KIOSK_APP_BIN="$bin/kiosk-app" \
    bash "$here/rootfs/usr/libexec/kiosk/kiosk-config"
}
mkdir -p "$work/good" "$work/bad"
cp "$here/kiosk.toml.example" "$work/good/kiosk.toml"
# root.json's content is kiosk-sync's to verify (at the first import); here
# it only has to be there.
echo '{"signed": {"_type": "root"}, "signatures": []}' >"$work/good/root.json"
check "$work/good" >"$work/good.log" 2>&1 || { cat "$work/good.log"; echo "check-recipe: kiosk.toml.example is refused by kiosk-config" >&2; exit 1; }
grep -q '^kiosk.toml is fine' "$work/good.log" || { cat "$work/good.log"; exit 1; }
for f in kiosk-app.toml kiosk-sync.toml kiosk-app.default; do
  [ -s "$work/good/out/$f" ] || { echo "check-recipe: kiosk-config wrote no $f" >&2; exit 1; }
done

cp "$work/good/root.json" "$work/bad/"
sed -e 's/^paper = "80mm"/paper = "81mm"/' -e 's/^rotation = 90/rotation = 45/' "$here/kiosk.toml.example" >"$work/bad/kiosk.toml"
paper_line="$(grep -n '^paper = "81mm"' "$work/bad/kiosk.toml" | cut -d: -f1)"
rot_line="$(grep -n '^rotation = 45' "$work/bad/kiosk.toml" | cut -d: -f1)"
if check "$work/bad" >"$work/bad.log" 2>&1; then
  cat "$work/bad.log"; echo "check-recipe: kiosk-config accepted paper = \"81mm\" and rotation = 45" >&2; exit 1
fi
grep -q "line $rot_line, \[display\] rotation = 45" "$work/bad.log" \
  && grep -q "line $paper_line" "$work/bad.log" \
  || { cat "$work/bad.log"; echo "check-recipe: kiosk-config did not name lines $rot_line and $paper_line" >&2; exit 1; }
echo "check-recipe: kiosk.toml.example accepted; a wrong one refused naming lines $rot_line and $paper_line:"
sed -n '/^\* /p' "$work/bad.log"

# Prometheus: the example's commented metrics_listen, turned on, reaches
# kiosk-sync's config; an address without a port is refused naming the key.
mkdir -p "$work/metrics" "$work/metrics-bad"
cp "$work/good/root.json" "$work/metrics/"
cp "$work/good/root.json" "$work/metrics-bad/"
sed -e 's/^# metrics_listen = /metrics_listen = /' "$here/kiosk.toml.example" >"$work/metrics/kiosk.toml"
grep -q '^metrics_listen = "10.8.0.11:9464"' "$work/metrics/kiosk.toml" \
  || { echo "check-recipe: kiosk.toml.example has no commented metrics_listen line" >&2; exit 1; }
check "$work/metrics" >"$work/metrics.log" 2>&1 || { cat "$work/metrics.log"; echo "check-recipe: metrics_listen refused" >&2; exit 1; }
grep -q '^metrics_listen = "10.8.0.11:9464"' "$work/metrics/out/kiosk-sync.toml" \
  || { cat "$work/metrics/out/kiosk-sync.toml"; echo "check-recipe: metrics_listen did not reach kiosk-sync.toml" >&2; exit 1; }
sed -e 's/^# metrics_listen = .*/metrics_listen = "10.8.0.11"/' "$here/kiosk.toml.example" >"$work/metrics-bad/kiosk.toml"
if check "$work/metrics-bad" >"$work/metrics-bad.log" 2>&1; then
  cat "$work/metrics-bad.log"; echo "check-recipe: kiosk-config accepted metrics_listen without a port" >&2; exit 1
fi
grep -q "metrics_listen" "$work/metrics-bad.log" \
  || { cat "$work/metrics-bad.log"; echo "check-recipe: the refusal does not name metrics_listen" >&2; exit 1; }
echo "check-recipe: metrics_listen reaches kiosk-sync; without a port it is refused:"
sed -n '/^\* /p' "$work/metrics-bad.log"
