#!/bin/sh
# Builds the kiosk's UI fonts from Noto Sans CJK SC (SIL OFL 1.1, Debian
# package fonts-noto-cjk), renamed "Noto Sans SC Kiosk" so the app always uses
# these embedded files and never a system font of the same name.
#
#   NotoSansSCKiosk-Regular.otf  every character of GBK (21,886: names such as
#                                喆 堃 祎 昇 珺 玥, which GB2312 lacks, render)
#   NotoSansSCKiosk-Bold.otf     GB2312 only (6,763 hanzi) to keep the repo
#                                lean: headings. A bold heading with a rarer
#                                character falls back to the regular face.
# Both also hold ASCII, Latin-1, general punctuation, CJK symbols and
# punctuation, full-width forms, arrows, enclosed numbers and a few shapes.
#
# Needs: apt-get install fonts-noto-cjk; pip install fonttools
# Usage: kiosk-app/fonts/make-font-subset.sh [PYTHON]   (takes about 2 minutes)
set -eu
PY="${1:-python3}"
HERE="$(cd "$(dirname "$0")" && pwd)"
SRC=/usr/share/fonts/opentype/noto
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

unicodes() { # $1 = gbk | gb2312, $2 = output file
"$PY" - "$1" "$2" <<'PYEOF'
import sys
encoding, out = sys.argv[1], sys.argv[2]
cps = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100))
for a, b in [
    (0x2000, 0x206F),  # general punctuation: — … ‘ ’ “ ”
    (0x2100, 0x214F),  # letterlike: ℃ №
    (0x2150, 0x218F),  # number forms: Ⅰ Ⅱ
    (0x2190, 0x21FF),  # arrows
    (0x2460, 0x24FF),  # enclosed numbers ① ②
    (0x2500, 0x257F),  # box drawing
    (0x25A0, 0x25FF),  # geometric shapes ■ □ ● ○ ▲
    (0x2600, 0x2613),  # ☎ ☐ ☑
    (0x2713, 0x2714),  # ✓ ✔
    (0x3000, 0x303F),  # CJK symbols and punctuation 、。〔〕《》【】
    (0xFF00, 0xFFEF),  # full-width forms （），：；
]:
    cps.update(range(a, b + 1))
for cp in range(0x80, 0x10000):
    if 0xD800 <= cp <= 0xDFFF:
        continue
    try:
        chr(cp).encode(encoding)
        cps.add(cp)
    except UnicodeEncodeError:
        pass
with open(out, "w") as f:
    f.write("\n".join("U+%04X" % cp for cp in sorted(cps)))
print("%s: %d code points" % (encoding, len(cps)), file=sys.stderr)
PYEOF
}

rename() { # $1 = font file, $2 = style name
"$PY" - "$1" "$2" <<'PYEOF'
import sys
from fontTools.ttLib import TTFont
path, style = sys.argv[1], sys.argv[2]
family = "Noto Sans SC Kiosk"
ps = "NotoSansSCKiosk-" + style
f = TTFont(path)
name = f["name"]
for rec in list(name.names):
    if rec.nameID in (1, 3, 4, 6, 16, 17):
        name.removeNames(nameID=rec.nameID)
for pid, eid, lid in ((3, 1, 0x409), (1, 0, 0)):
    name.setName(family, 1, pid, eid, lid)
    name.setName(style, 2, pid, eid, lid)
    name.setName(ps + ";subset for kiosk-app", 3, pid, eid, lid)
    name.setName(family + " " + style, 4, pid, eid, lid)
    name.setName(ps, 6, pid, eid, lid)
cff = f["CFF "].cff
cff.fontNames = [ps]
top = cff.topDictIndex[0]
top.FullName = family + " " + style
top.FamilyName = family
f.save(path)
PYEOF
}

unicodes gbk "$TMP/gbk.txt"
unicodes gb2312 "$TMP/gb2312.txt"
for pair in Regular:gbk Bold:gb2312; do
    weight="${pair%%:*}"
    set="${pair##*:}"
    out="$HERE/NotoSansSCKiosk-$weight.otf"
    "$PY" -m fontTools.subset "$SRC/NotoSansCJK-$weight.ttc" \
        --font-number=2 \
        --unicodes-file="$TMP/$set.txt" \
        --layout-features='kern,palt,vert,locl' \
        --no-hinting \
        --output-file="$out"
    rename "$out" "$weight"
done
ls -l "$HERE"/*.otf
