#!/bin/sh
# Renders every page (kiosk-app screenshot --all) and refreshes
# docs/screenshots/ with all of them as small palette PNGs.
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
import os, sys
from PIL import Image
src, dst = sys.argv[1], sys.argv[2]
# Everything `--all` rendered (the list in the root README.md); pictures of
# scenes that no longer exist are removed.
names = sorted(f for f in os.listdir(src) if f.endswith(".png"))
for f in os.listdir(dst):
    if f.endswith(".png") and f not in names:
        os.remove(os.path.join(dst, f))
        print(f"removed {dst}/{f}")
for n in names:
    im = Image.open(os.path.join(src, n)).convert("RGB")
    # 96 colours keep anti-aliased CJK text smooth at a tenth of the size.
    q = im.quantize(colors=96, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    q.save(os.path.join(dst, n), optimize=True)
    print(f"{dst}/{n}")
PYEOF
