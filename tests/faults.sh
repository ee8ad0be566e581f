#!/usr/bin/env bash
# The sync fault suite (issue 17): power cuts, hostile servers, hostile USB
# sticks, full disks, hall conflicts, clocks. Runs the tests that prove each
# fault and prints a table: fault, how it is tested, trials, failures.
#
# Usage: bash tests/faults.sh [--long] [--walk-all]
#   --long      200 power-cut trials instead of 20, 1,000 sync cycles
#               instead of 50, and the delta tests on full-size documents
#               (KIOSK_FAULTS_LONG=1).
#   --walk-all  tap every element of every scene of the resident UI, not
#               the first, middle and last (KIOSK_TAP_WALK=all).
#
# Everything talks to 127.0.0.1 only. The full-disk and read-only cases
# mount a small tmpfs, the other-owner and control-socket cases run
# kiosk-sync as uid 65534 with setpriv: all need root; without it those
# tests print SKIPPED and the table says so. Fuzzing is a separate
# command: bash tests/fuzz.sh [SECONDS].
set -u
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
LONG=0
for a in "$@"; do
    case "$a" in
        --long) LONG=1 ;;
        --walk-all) export KIOSK_TAP_WALK=all ;;
        -h|--help) sed -n 2,18p "$0"; exit 0 ;;
        *) echo "unknown argument: $a (try --help)" >&2; exit 2 ;;
    esac
done
export KIOSK_FAULTS_LONG=$LONG
LOG="$ROOT/target/faults"
mkdir -p "$LOG"

# name | crate | test binary (lib: the crate's unit tests) | test-name filter | how it is tested | trials | SKIPPED key
# trials: a number, POWER (counted from the power-cut test's output),
# SUITE:<key> (the test prints "faults-suite: <key> trials N"), or ALL
# (every test of the binary, counted).
SUITE=(
"power cut (kill -9 during download/apply)|kiosk-sync|faults|kill_9_at_random_points|kiosk-sync pull killed at random points, full install and change; store integrity_check, old-or-new content item by item, next pull fetches nothing verified again, no tmp/partial left|POWER|"
"power cut during a delta apply (kill -9)|kiosk-sync|delta_power_cut|kill_9_at_random_points_of_a_delta_apply|live store of 150 documents with short bodies (400 with full bodies with --long), a bundle changing a third of its policies and adding/removing 30 items, objects already cached; kiosk-sync pull killed at random points of its own run time; integrity_check and FTS integrity-check, old-or-new content item by item, next pull applies the new content|POWER|"
"delta apply equals a fresh build|kiosk-content|delta||demo county changed every way, revert, re-apply, empty delta; vocabulary threshold crossed both ways with a kind emptied; 24 inserts into one rowid gap; 30 daily 1% changes (store size bounded); every table compared with a fresh build inside SQLite (bodies cut to 40 characters, full with --long)|ALL|"
"slow retrieval: 1 byte at a time|kiosk-sync|faults|a_server_dripping_one_byte|server on 127.0.0.1 drips a 2000-byte object; cut at grace + length/min-rate, one connection|1|"
"slow retrieval: accepts, never answers|kiosk-sync|faults|a_server_that_accepts_and_never_answers|silent server; pull cut at the deadline, recorded in the status|1|"
"USB import while the network pull is stuck|kiosk-sync|faults|a_usb_import_does_not_wait|daemon held by a silent server; ctl import applies at once, pull resumes after|1|"
"cancelled pull is no failure|kiosk-sync|faults|a_cancelled_pull_stops_at_once|cancel token mid-connect; no error recorded|1|"
"hostile stick: FIFO, symlink out, folder link out|kiosk-sync|faults|a_stick_with_a_fifo|kiosk-sync import on crafted sticks; refused in bounded time, nothing applied|3|"
"leftover tmp and orphan partial files|kiosk-sync|faults|files_a_kill_left|write_atomic leftovers and orphan .partial removed on the next pull|1|"
"stale applied version after a kill|kiosk-sync|faults|a_stale_applied_version|state rolled back; repaired on the up-to-date path; next poll reads metadata only|1|"
"disk full (tmpfs)|kiosk-sync|faults|a_pull_the_disk_cannot_hold|16 MiB tmpfs filled; refused before touching content, bytes needed in status, recovers|1|full-disk case"
"read-only data dir|kiosk-sync|faults|a_read_only_data_dir|every pull in a child process; tmpfs remounted read-only after the first pull; error names the path and says remount, content unchanged item by item, pull applies once writable|1|read-only case"
"data dir owned by another user|kiosk-sync|faults|a_data_dir_owned_by_another_user|files owned by root, kiosk-sync pull as uid 65534 (setpriv); error names the path and the chown, content unchanged, pull applies after chown|1|other-owner case"
"hostile answers: 503/429 Retry-After, 500, redirect off-host, endless, GB declared, wrong Content-Length|kiosk-sync|faults|each_hostile_answer|fault server on 127.0.0.1, one case each; clear status, bounded connections, later good pull succeeds|8|"
"network: dropped mid-body, truncated, 404, another repository, 4 GiB JSON streamed, 1 byte/s metadata|kiosk-sync|faults|network_faults|fault server serving the real repository, spoiling chosen paths; each pull in a child process: clear status, done within the deadline, peak RSS within 16 MiB of a good pull's, later good pull succeeds|SUITE:network_faults|"
"memory and file handles over sync cycles|kiosk-sync|faults|memory_and_file_handles|child process: 50 cycles (1,000 with --long), 6 newer bundles, every 4th cycle hostile; after 20 warm-up cycles fds grow by at most 2 and RSS by at most 8 MiB|SUITE:sync_cycles|"
"clock at 1970, in 2099, set back|kiosk-sync|faults|a_clock_in_1970_or_2099|kiosk-sync under faketime; content stays, status names the clock problem, right clock recovers|3|"
"control socket: another uid refused|kiosk-sync|faults|the_control_socket_refuses_another_uid|kiosk-sync ctl as uid 65534 (setpriv): refused by the 0660 mode, and with the mode loosened by SO_PEERCRED; a member of the daemon's group is let in|1|control socket uid case"
"hall reuses a district item id|kiosk-tests|sync_e2e|hall_cannot_publish_an_item_id|publish-hall refuses, naming item and files|1|"
"hall item set aside on the kiosk|kiosk-tests|sync_e2e|districts_item_wins|district bundle applied, hall item set aside with the reason in status|1|"
"frozen metadata on a clock behind|kiosk-sync|clock_floor||clock floor: build date and root signing time|ALL|"
"TUF refusals (rollback, threshold, tampered, expired, outside delegation)|kiosk-tests|sync_e2e||publish, serve on 127.0.0.1, pull; old content stays|ALL|"
"daemon: backoff, repository gone, bad configs|kiosk-sync|daemon||real daemon binary against 127.0.0.1|ALL|"
"usage counts: power cut while counting (kill -9)|kiosk-app|lib|kill_9_while_counting|a child process counts and flushes without pause into one usage.db, killed at a random moment each trial; integrity_check ok, not set aside as damaged, no committed visit lost|SUITE:usage_power_cut|"
"staff PIN lockout survives a restart|kiosk-app|ui|pin_lockout::|wrong PINs, lockout and failure count kept in the state dir and read back by a new gate; capped at one lockout; garbled file fails closed|ALL|"
"resident UI: every tap from every scene|kiosk-app|ui|tap_walk::|first, middle and last button of each scene (scenes::ALL; every button with --walk-all), each tapped from the scene entered afresh: a known page, no error, no child process; sources hold no way to start a program, a browser or a file dialog|SUITE:tap_walk|"
"hostile search input|kiosk-app|ui|hostile_input::|FTS syntax, SQL, 10,000 characters, emoji, control characters, invalid UTF-8 through the search page's key, 123-layer and candidate callbacks: results or nothing, no error line, no panic, query cap kept|SUITE:hostile_input|"
)

# Filters given to a whole test binary (libtest runs the tests matching any).
declare -A BINFILTER=(
    [kiosk-app/ui]="tap_walk:: hostile_input:: pin_lockout::"
    [kiosk-app/lib]="usage::tests::kill_9_while_counting"
)

printf 'building the test binaries...\n'
if ! { cargo test -p kiosk-sync --test faults --test clock_floor --test daemon --test delta_power_cut --no-run \
        && cargo test -p kiosk-content --test delta --no-run \
        && cargo test -p kiosk-tests --test sync_e2e --no-run \
        && cargo test -p kiosk-app --test ui --lib --no-run; } >"$LOG/build.log" 2>&1; then
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
    IFS='|' read -r name crate bin filter how trials skipkey <<<"$entry"
    out="$LOG/$crate-$bin.log"
    if [ -z "${RAN[$crate/$bin]:-}" ]; then
        start=$(date +%s)
        if [ "$bin" = lib ]; then target=(--lib); else target=(--test "$bin"); fi
        # shellcheck disable=SC2086 # the filters are words
        cargo test -p "$crate" "${target[@]}" -- ${BINFILTER[$crate/$bin]:-} \
            --test-threads 2 --nocapture --format pretty >"$out" 2>&1
        RAN[$crate/$bin]="$(( $(date +%s) - start ))s"
    fi
    secs=${RAN[$crate/$bin]}
    if [ -n "$filter" ]; then
        passed=$(grep -cE "^test [a-z0-9_:]*${filter}[a-z0-9_:]* \.\.\. ok" "$out")
        failed=$(grep -cE "^test [a-z0-9_:]*${filter}[a-z0-9_:]* \.\.\. FAILED" "$out")
    else
        passed=$(grep -cE '^test .* \.\.\. ok' "$out")
        failed=$(grep -cE '^test .* \.\.\. FAILED' "$out")
    fi
    case "$trials" in
        POWER) trials=$(grep -Eo 'power-cut trials: [0-9]+ \(seed' "$out" | grep -Eo '[0-9]+' | tail -1)
               trials=${trials:-0}
               # How many the kill landed before the pull's end.
               done_early=$(grep -Eo '\(?[0-9]+ finished before the kill' "$out" | grep -Eo '[0-9]+' | tail -1)
               [ -n "$done_early" ] && trials="$trials ($((trials - done_early)) cut mid-pull)" ;;
        SUITE:*) key=${trials#SUITE:}
               trials=$(grep -Eo "faults-suite: $key trials [0-9]+" "$out" | grep -Eo '[0-9]+$' | tail -1)
               trials=${trials:-0} ;;
        ALL) trials="$passed tests" ;;
    esac
    fails=$failed
    if [ $((passed + failed)) -eq 0 ]; then
        fails="did not run (see $out)"
        total_fail=$((total_fail + 1))
    elif [ -n "$skipkey" ] && grep -q "^SKIPPED.*$skipkey" "$out"; then
        fails="SKIPPED: $(grep -m1 "^SKIPPED.*$skipkey" "$out" | cut -c10-140)"
        trials=0
    fi
    total_fail=$((total_fail + failed))
    rows+=("$name|$how|$trials|$fails|$secs")
done

echo
echo "Fault suite, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git describe --always --dirty --abbrev=7), $( [ $LONG = 1 ] && echo long || echo short ) run$( [ "${KIOSK_TAP_WALK:-}" = all ] && echo ', full tap walk')"
echo
echo "| fault | how it is tested | trials | failures | time (whole test binary) |"
echo "| --- | --- | --- | --- | --- |"
for r in "${rows[@]}"; do
    IFS='|' read -r a b c d e <<<"$r"
    echo "| $a | $b | $c | $d | $e |"
done
echo
echo "logs: $LOG/"
[ "$total_fail" -eq 0 ]
