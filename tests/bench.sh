#!/usr/bin/env bash
# The kiosk against a browser kiosk, in one command (issue 13):
#
#   bash tests/bench.sh [--runs N] [--no-write]
#
# Installs what it needs (the project's Debian packages and Debian's
# chromium), builds kiosk-app and kiosk-sync in release mode (as shipped),
# has kiosk-sync write a content store from the demo county (as a hall
# runs it), then measures each page against the same page written as static
# HTML (tests/browser-kiosk/) in headless Chromium: wall time and peak memory
# of the whole process tree, medians of N runs (default 5). The figures go
# into BENCHMARKS.md between the "bench.sh" markers, with the command,
# machine, date and commit (--no-write: print only).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
runs=5
write=1
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --no-write) write=0; shift ;;
    -h|--help) sed -n 2,14p "$0"; exit 0 ;;
    *) echo "tests/bench.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
t0=$(date +%s)
stage() { printf '== bench [%4d s] %s\n' "$(( $(date +%s) - t0 ))" "$*"; }

stage "Debian packages (deploy/dev/install-deps.sh, chromium)"
bash deploy/dev/install-deps.sh
if ! command -v chromium >/dev/null; then
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

stage "release build: kiosk-app, kiosk-sync"
cargo build --release -q -p kiosk-app -p kiosk-sync
bin="${CARGO_TARGET_DIR:-target}/release"

work="$(mktemp -d /tmp/kiosk-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT
stage "a content store written by kiosk-sync (demo county: publish, import)"
"$bin/kiosk-sync" keygen --out "$work/keys" >/dev/null
"$bin/kiosk-sync" publish --source kiosk-content/demo --keys "$work/keys" --repo "$work/repo" >/dev/null 2>&1
"$bin/kiosk-sync" import "$work/repo" --data-dir "$work/data" --root "$work/repo/metadata/1.root.json" >/dev/null 2>&1

stage "kiosk-app against headless Chromium: home, guide, policy, map ($runs runs each)"
python3 tests/bench/browser.py --kiosk-app "$bin/kiosk-app" --data-dir "$work/data" \
  --chromium "$(command -v chromium)" --runs "$runs" --json "$work/browser.json" | tee "$work/browser.md"

stage "done"
if [ "$write" = 0 ]; then
  exit 0
fi
commit="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!BENCHMARKS.md' || echo '+changes')"
chromium_version="$(chromium --version 2>/dev/null | head -n1)"
python3 - "$work" "$commit" "$chromium_version" "$runs" <<'PY'
import os, platform, re, subprocess, sys, datetime
work, commit, chromium, runs = sys.argv[1:5]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
mem = int(next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal"))) // 1024 // 1024
load = open("/proc/loadavg").read().split()[0]
table = open(os.path.join(work, "browser.md")).read().strip()
block = f"""<!-- bench.sh begin: written by `bash tests/bench.sh`; edit the script, not this block -->
`bash tests/bench.sh` on {datetime.date.today().isoformat()}, commit {commit}; {platform.machine()}, {os.cpu_count()} cores ({cpu}), {mem} GiB;
load average {load} when it finished; {chromium}. Each figure is the median of {runs} runs, interleaved.
Wall time: process start to exit, the PNG written. Memory: the peak over the run of the sum of PSS of every
process of the tree (sampled every 4 ms; a browser's processes share pages, PSS counts each shared page once).
"kiosk-app (store)" reads a store that kiosk-sync wrote, as a hall runs it; "--demo" builds the demo store
first, at every start.

{table}
<!-- bench.sh end -->"""
path = "BENCHMARKS.md"
text = open(path).read()
pat = re.compile(r"<!-- bench.sh begin.*?<!-- bench.sh end -->", re.S)
if pat.search(text):
    text = pat.sub(lambda m: block, text)
else:
    text = text.rstrip() + "\n\n## Against a browser kiosk\n\n" + block + "\n"
open(path, "w").write(text)
print(f"BENCHMARKS.md: figures written ({commit})")
PY
