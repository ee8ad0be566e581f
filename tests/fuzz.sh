#!/usr/bin/env bash
# Bounded fuzzing smoke run (issue 17): cargo-fuzz targets for TUF
# metadata, the bundle manifest, the authoring sources (Markdown front
# matter, CSV, XLSX) and the search query. Not part of CI (libFuzzer needs
# nightly flags; RUSTC_BOOTSTRAP=1 gives them on the stable toolchain,
# inside fuzz/ only). Prints a table: target, seconds, executions, crashes.
#
# Usage: bash tests/fuzz.sh [SECONDS] [TARGET...]
#   SECONDS  per target (default 60)
#   TARGET   some of: tuf_metadata bundle_manifest source_front_matter
#            source_csv source_xlsx search_query (default: all)
# Needs: cargo install cargo-fuzz --locked, a C++ compiler, python3.
# FUZZ_TARGET_DIR overrides the build folder (default target/fuzz).
# Findings stay in fuzz/artifacts/TARGET/; replay one with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run -O -a -s none --target-dir ../target/fuzz TARGET FILE
set -u
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SECS=${1:-60}
shift || true
ALL=(tuf_metadata bundle_manifest source_front_matter source_csv source_xlsx search_query)
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=("${ALL[@]}")
case "$SECS" in (*[!0-9]*|'') echo "SECONDS must be a number: $SECS" >&2; exit 2 ;; esac
if ! command -v cargo-fuzz >/dev/null; then
    echo "cargo-fuzz is not installed: cargo install cargo-fuzz --locked" >&2
    exit 2
fi
export RUSTC_BOOTSTRAP=1
FUZZ="$ROOT/fuzz"
TD="${FUZZ_TARGET_DIR:-$ROOT/target/fuzz}"
LOG="$ROOT/target/fuzz-logs"
mkdir -p "$LOG"
FLAGS=(-O -a -s none --target-dir "$TD")

echo "building the fuzz targets (log: $LOG/build.log)..."
if ! (cd "$FUZZ" && cargo fuzz build "${FLAGS[@]}") >"$LOG/build.log" 2>&1; then
    tail -20 "$LOG/build.log" >&2
    exit 1
fi

# Seed corpora from real inputs: the demo's sources, and the metadata and
# manifest of the demo published with a throwaway key.
seed() {
    local t=$1 dir="$FUZZ/corpus/$1"
    mkdir -p "$dir"
    [ -n "$(ls -A "$dir" 2>/dev/null)" ] && return
    case "$t" in
        source_front_matter)
            cp "$ROOT"/kiosk-content/demo/policies/sfx-2020-0*.md "$dir"/ ;;
        source_csv)
            local i=0
            for f in places catalog progress synonyms; do
                [ -f "$ROOT/kiosk-content/demo/$f.csv" ] || continue
                { printf "\\x$(printf %02x $i)"; cat "$ROOT/kiosk-content/demo/$f.csv"; } >"$dir/$f"
                i=$((i + 1))
            done ;;
        source_xlsx)
            python3 - "$dir" <<'EOF'
import sys, zipfile, io
rows = [["编号", "名称", "主动公开"], ["1", "示范县政府信息公开指南", "是"]]
def cell(r, c, v):
    return f'<c r="{chr(65 + c)}{r + 1}" t="inlineStr"><is><t>{v}</t></is></c>'
sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
         + "".join(f'<row r="{r + 1}">' + "".join(cell(r, c, v) for c, v in enumerate(row)) + "</row>" for r, row in enumerate(rows))
         + "</sheetData></worksheet>")
files = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
    "xl/worksheets/sheet1.xml": sheet,
}
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
    for name, text in files.items():
        z.writestr(name, text)
for i in range(3):
    open(f"{sys.argv[1]}/seed{i}.xlsx", "wb").write(bytes([i]) + buf.getvalue())
EOF
            ;;
        search_query)
            for q in db dibao 低保 "低保 申请" "〔2020〕33号" '"低保" OR 养老' 'NEAR(低 保)' '低*' "'; DROP TABLE items; --"; do
                printf '%s' "$q" >"$dir/$(printf '%s' "$q" | sha256sum | cut -c1-16)"
            done ;;
        tuf_metadata|bundle_manifest)
            publish_demo && {
                if [ "$t" = tuf_metadata ]; then
                    cp "$PUB"/repo/metadata/*.json "$dir"/
                else
                    # The manifest and its shards: the JSON objects under objects/.
                    for f in "$PUB"/repo/objects/*; do
                        head -c 1 "$f" | grep -q '{' && grep -q '"shards"\|"objects"' "$f" && cp "$f" "$dir"/
                    done
                fi
            } ;;
    esac
}
PUB=""
publish_demo() {
    [ -n "$PUB" ] && return 0
    PUB="$LOG/demo-repo"
    rm -rf "$PUB" && mkdir -p "$PUB"
    # The debug binary the tests use; built only when missing.
    [ -x "$ROOT/target/debug/kiosk-sync" ] \
        || (cd "$ROOT" && cargo build -q -p kiosk-sync) >"$LOG/kiosk-sync-build.log" 2>&1 || return 1
    "$ROOT/target/debug/kiosk-sync" keygen --out "$PUB/keys" >/dev/null 2>&1 \
        && "$ROOT/target/debug/kiosk-sync" publish --source "$ROOT/kiosk-content/demo" \
            --keys "$PUB/keys" --repo "$PUB/repo" >/dev/null 2>&1
}

rows=()
found=0
for t in "${TARGETS[@]}"; do
    seed "$t"
    mkdir -p "$FUZZ/artifacts/$t"
    before=$(ls "$FUZZ/artifacts/$t" | wc -l)
    log="$LOG/$t.log"
    echo "fuzzing $t for ${SECS}s (log: $log)..."
    (cd "$FUZZ" && cargo fuzz run "${FLAGS[@]}" "$t" -- \
        -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$FUZZ/artifacts/$t/") >"$log" 2>&1
    execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -1)
    corpus=$(ls "$FUZZ/corpus/$t" 2>/dev/null | wc -l)
    after=$(ls "$FUZZ/artifacts/$t" | wc -l)
    new=$((after - before))
    found=$((found + new))
    what=$(ls -t "$FUZZ/artifacts/$t" | head -"$new" | sed 's/-.*//' | sort | uniq -c | awk '{printf "%s %s ", $1, $2}')
    rows+=("$t|$SECS|${execs:-?}|$new${what:+ ($what)}|$corpus")
done

echo
echo "Fuzz smoke run, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD)"
echo
echo "| target | seconds | executions | new crashes/timeouts/ooms | corpus |"
echo "| --- | --- | --- | --- | --- |"
for r in "${rows[@]}"; do
    IFS='|' read -r a b c d e <<<"$r"
    echo "| $a | $b | $c | $d | $e |"
done
echo
echo "logs: $LOG/; findings: $FUZZ/artifacts/"
[ "$found" -eq 0 ]
