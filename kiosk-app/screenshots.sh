#!/bin/sh
# Renders every page (kiosk-app screenshot --all) and refreshes the reviewed
# set in docs/screenshots/ as small palette PNGs.
#
# Usage: kiosk-app/screenshots.sh [OUT_DIR]      (default target/screenshots)
# Needs: cargo; for docs/screenshots also python3 with Pillow
#        (pip install pillow). Look at every image before committing it.
set -eu
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-$ROOT/target/screenshots}"
cd "$ROOT"
cargo run -q -p kiosk-app -- screenshot --demo --all --out-dir "$OUT"

DOCS="$ROOT/docs/screenshots"
PY="${PYTHON:-python3}"
if ! "$PY" -c "import PIL" 2>/dev/null; then
    echo "Pillow not found: full-colour screenshots are in $OUT; docs/screenshots left as is." >&2
    exit 0
fi
mkdir -p "$DOCS"
"$PY" - "$OUT" "$DOCS" <<'PYEOF'
import sys
from PIL import Image
src, dst = sys.argv[1], sys.argv[2]
# The reviewed set listed in kiosk-app/README.md.
names = ["home", "search", "policy", "interpretation", "guide", "guide-window", "progress-result",
         "progress-not-found", "map-place", "hall", "apply", "catalog-domain",
         "consultation", "village-assistance", "staff", "usb-import", "home-1920x1080",
         "guide-1920x1080", "home-1280x800", "home-big-text", "guide-big-text",
         "home-high-contrast"]
for n in names:
    im = Image.open(f"{src}/{n}.png").convert("RGB")
    # 96 colours keep anti-aliased CJK text smooth at a tenth of the size.
    q = im.quantize(colors=96, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    q.save(f"{dst}/{n}.png", optimize=True)
    print(f"{dst}/{n}.png")
PYEOF
