#!/bin/bash
# Instructions per search, by query class, under callgrind: repeatable on a
# busy machine, where wall-clock p99s are not.
#
#   tests/benches/search-callgrind.sh BENCH_BINARY STORE_DIR [RUNS]
#
# BENCH_BINARY: the search bench built by
#   cargo bench -p kiosk-tests --bench search --no-run
# (its path is printed as "Executable benches/search.rs (...)").
# STORE_DIR: a store kept by an earlier run with --store (100,000 documents).
# Prints "class|queries|instructions|millions per search"; only the calls of
# ContentReader::search are counted (warm-up calls included in the division).
set -euo pipefail
BIN=${1:?bench binary}
STORE=${2:?store dir kept by the bench (--store)}
RUNS=${3:-20}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
for cls in "1 CJK char" "2 CJK chars" "4 CJK chars" "pinyin initials" "pinyin full" "文号" \
    "question" "question with framing" "everyday name (synonyms)" "partial words" \
    "one-character typo" "section name" "nothing matches"; do
  out="$OUT/cg.out"
  valgrind --tool=callgrind --callgrind-out-file="$out" \
    "--toggle-collect=kiosk_content::store::search::<impl kiosk_content::store::ContentReader>::search" \
    "$BIN" --docs 100000 --runs "$RUNS" --store "$STORE" --only "$cls" > "$out.log" 2>&1
  nq=$(grep -F "| $cls |" "$out.log" | awk -F'|' '{print $3}' | wc -w)
  ir=$(grep "Collected" "$out.log" | awk '{print $4}')
  echo "$cls|$nq|$ir|$(awk -v ir="$ir" -v n="$((nq + RUNS))" 'BEGIN { printf "%.2f", ir / n / 1e6 }')"
done
