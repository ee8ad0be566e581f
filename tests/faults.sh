#!/usr/bin/env bash
# The sync fault suite (issue 17): power cuts, hostile servers, hostile USB
# sticks, full disks, hall conflicts, clocks. Runs the tests that prove each
# fault and prints a table: fault, how it is tested, trials, failures.
#
# Usage: bash tests/faults.sh [--long]
#   --long   200 power-cut trials instead of 20 (KIOSK_FAULTS_LONG=1).
#
# Everything talks to 127.0.0.1 only. The full-disk case mounts a small
# tmpfs and needs root; without it that test prints SKIPPED and the table
# says so.
set -u
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
LONG=0
for a in "$@"; do
    case "$a" in
        --long) LONG=1 ;;
        -h|--help) sed -n 2,11p "$0"; exit 0 ;;
        *) echo "unknown argument: $a (try --help)" >&2; exit 2 ;;
    esac
done
export KIOSK_FAULTS_LONG=$LONG
LOG="$ROOT/target/faults"
mkdir -p "$LOG"

# name | crate | test binary | test-name filter | how it is tested | trials
SUITE=(
"power cut (kill -9 during download/apply)|kiosk-sync|faults|kill_9_at_random_points|kiosk-sync pull killed at random points, full install and change; store integrity_check, old-or-new content item by item, next pull fetches nothing verified again, no tmp/partial left|POWER"
"slow retrieval: 1 byte at a time|kiosk-sync|faults|a_server_dripping_one_byte|server on 127.0.0.1 drips a 2000-byte object; cut at grace + length/min-rate, one connection|1"
"slow retrieval: accepts, never answers|kiosk-sync|faults|a_server_that_accepts_and_never_answers|silent server; pull cut at the deadline, recorded in the status|1"
"USB import while the network pull is stuck|kiosk-sync|faults|a_usb_import_does_not_wait|daemon held by a silent server; ctl import applies at once, pull resumes after|1"
"cancelled pull is no failure|kiosk-sync|faults|a_cancelled_pull_stops_at_once|cancel token mid-connect; no error recorded|1"
"hostile stick: FIFO, symlink out, folder link out|kiosk-sync|faults|a_stick_with_a_fifo|kiosk-sync import on crafted sticks; refused in bounded time, nothing applied|3"
"leftover tmp and orphan partial files|kiosk-sync|faults|files_a_kill_left|write_atomic leftovers and orphan .partial removed on the next pull|1"
"stale applied version after a kill|kiosk-sync|faults|a_stale_applied_version|state rolled back; repaired on the up-to-date path; next poll reads metadata only|1"
"disk full (tmpfs)|kiosk-sync|faults|a_pull_the_disk_cannot_hold|16 MiB tmpfs filled; refused before touching content, bytes needed in status, recovers|1"
"hostile answers: 503/429 Retry-After, 500, redirect off-host, endless, GB declared, wrong Content-Length|kiosk-sync|faults|each_hostile_answer|fault server on 127.0.0.1, one case each; clear status, bounded connections, later good pull succeeds|8"
"clock at 1970, in 2099, set back|kiosk-sync|faults|a_clock_in_1970_or_2099|kiosk-sync under faketime; content stays, status names the clock problem, right clock recovers|3"
"hall reuses a district item id|kiosk-tests|sync_e2e|hall_cannot_publish_an_item_id|publish-hall refuses, naming item and files|1"
"hall item set aside on the kiosk|kiosk-tests|sync_e2e|districts_item_wins|district bundle applied, hall item set aside with the reason in status|1"
"frozen metadata on a clock behind|kiosk-sync|clock_floor||clock floor: build date and root signing time|ALL"
"TUF refusals (rollback, threshold, tampered, expired, outside delegation)|kiosk-tests|sync_e2e||publish, serve on 127.0.0.1, pull; old content stays|ALL"
"daemon: backoff, repository gone, bad configs|kiosk-sync|daemon||real daemon binary against 127.0.0.1|ALL"
)

printf 'building the test binaries...\n'
if ! { cargo test -p kiosk-sync --test faults --test clock_floor --test daemon --no-run \
        && cargo test -p kiosk-tests --test sync_e2e --no-run; } >"$LOG/build.log" 2>&1; then
    echo "build failed; see $LOG/build.log" >&2
    tail -20 "$LOG/build.log" >&2
    exit 1
fi

# One cargo run per test binary (the machine's cargo lock is shared), then
# each row is read from that binary's log.
declare -A RAN
rows=()
total_fail=0
for entry in "${SUITE[@]}"; do
    IFS='|' read -r name crate bin filter how trials <<<"$entry"
    out="$LOG/$crate-$bin.log"
    if [ -z "${RAN[$crate/$bin]:-}" ]; then
        start=$(date +%s)
        cargo test -p "$crate" --test "$bin" -- --test-threads 2 --nocapture --format pretty >"$out" 2>&1
        RAN[$crate/$bin]="$(( $(date +%s) - start ))s"
    fi
    secs=${RAN[$crate/$bin]}
    if [ -n "$filter" ]; then
        passed=$(grep -cE "^test [a-z0-9_:]*${filter}[a-z0-9_]* \.\.\. ok" "$out")
        failed=$(grep -cE "^test [a-z0-9_:]*${filter}[a-z0-9_]* \.\.\. FAILED" "$out")
    else
        passed=$(grep -cE '^test .* \.\.\. ok' "$out")
        failed=$(grep -cE '^test .* \.\.\. FAILED' "$out")
    fi
    case "$trials" in
        POWER) trials=$(grep -Eo 'power-cut trials: [0-9]+ killed mid-pull, [0-9]+ finished' "$out" \
                   | awk '{print $3 + $7}' | tail -1); trials=${trials:-0} ;;
        ALL) trials="$passed tests" ;;
    esac
    fails=$failed
    if [ $((passed + failed)) -eq 0 ]; then
        fails="did not run (see $out)"
        total_fail=$((total_fail + 1))
    elif [ -n "$filter" ] && grep -q '^SKIPPED' "$out" && [[ "$filter" == *disk* ]]; then
        fails="skipped: $(grep -m1 '^SKIPPED' "$out" | cut -c10-70)..."
    fi
    total_fail=$((total_fail + failed))
    rows+=("$name|$how|$trials|$fails|$secs")
done

echo
echo "Fault suite, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD), $( [ $LONG = 1 ] && echo long || echo short ) run"
echo
echo "| fault | how it is tested | trials | failures | time |"
echo "| --- | --- | --- | --- | --- |"
for r in "${rows[@]}"; do
    IFS='|' read -r a b c d e <<<"$r"
    echo "| $a | $b | $c | $d | $e |"
done
echo
echo "logs: $LOG/"
[ "$total_fail" -eq 0 ]
