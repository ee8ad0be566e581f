"""Runs the workspace's test binaries as `cargo test --workspace` would,
without cargo: so a build may hold cargo's lock meanwhile (tests/run.sh
cross-builds the aarch64 binaries while the tests run).

Usage: python3 tests/run-tests.py [--jobs N] ARTIFACTS.json
ARTIFACTS.json: the standard output of
  cargo test --workspace --all-targets --no-run --message-format=json-render-diagnostics

Runs exactly the binaries `cargo test --workspace` runs (the unit tests of
libraries and binaries, and integration tests; not benches or examples),
biggest binary first, each in its package's folder as cargo does.
Up to N binaries run at once (default 2, or RUN_TESTS_JOBS): many tests
wait on sockets, timers and child processes rather than compute, so one
binary at a time leaves the cores idle (tests already share a process's
threads as `cargo test` runs them; every test uses its own temporary
folders and free ports). Each binary's output is printed whole when it
ends. Runs them all, prints cargo's per-binary summary lines, the slowest
binaries and a total, and exits 1 if any binary failed. Doc tests are run
separately (`cargo test --workspace --doc`, in tests/run.sh).
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time

RESULT = re.compile(r"^test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored")
RUN_KINDS = {"lib", "rlib", "cdylib", "dylib", "staticlib", "bin", "test", "proc-macro"}


def binaries(path):
    seen, out = set(), []
    with open(path) as f:
        for line in f:
            if not line.startswith("{"):
                continue
            msg = json.loads(line)
            if msg.get("reason") != "compiler-artifact" or not msg.get("executable"):
                continue
            if not msg["profile"]["test"]:
                continue
            if not RUN_KINDS.intersection(msg["target"]["kind"]):
                continue
            exe = msg["executable"]
            if exe in seen:
                continue
            seen.add(exe)
            pkg = os.path.dirname(msg["manifest_path"])
            out.append((msg["target"]["name"], msg["target"]["kind"][0], exe, pkg))
    return out


def run_one(name, kind, exe, pkg):
    """Starts one test binary; its output goes to a temporary file."""
    out = tempfile.TemporaryFile()
    proc = subprocess.Popen([exe], cwd=pkg, stdout=out, stderr=subprocess.STDOUT)
    return {"name": name, "kind": kind, "exe": exe, "proc": proc, "out": out,
            "start": time.monotonic()}


def main():
    args = sys.argv[1:]
    jobs = int(os.environ.get("RUN_TESTS_JOBS", "2"))
    if len(args) >= 2 and args[0] == "--jobs":
        jobs, args = int(args[1]), args[2:]
    if len(args) != 1 or jobs < 1:
        print("usage: run-tests.py [--jobs N] ARTIFACTS.json", file=sys.stderr)
        return 2
    bins = binaries(args[0])
    if not bins:
        print("run-tests: no test binaries in " + args[0], file=sys.stderr)
        return 1
    total = {"passed": 0, "failed": 0, "ignored": 0}
    failed, took_all = [], []
    t0 = time.monotonic()
    # Biggest binaries first (the UI tests, which link the whole app, are
    # both the biggest and the longest), so the small ones fill in beside.
    queue, running = sorted(bins, key=lambda b: -os.path.getsize(b[2])), []
    while queue or running:
        while queue and len(running) < jobs:
            running.append(run_one(*queue.pop(0)))
        # Bounded: every binary ends or is ended by its own tests' deadlines;
        # poll every 0.1 s for the first that has.
        done = None
        while done is None:
            for r in running:
                if r["proc"].poll() is not None:
                    done = r
                    break
            else:
                time.sleep(0.1)
        running.remove(done)
        rc = done["proc"].returncode
        took = time.monotonic() - done["start"]
        print(f"     Running {os.path.relpath(done['exe'])} ({done['kind']} {done['name']})", flush=True)
        done["out"].seek(0)
        for raw in done["out"]:
            line = raw.decode("utf-8", "replace")
            sys.stdout.write(line)
            m = RESULT.search(line)
            if m:
                for key, n in zip(("passed", "failed", "ignored"), m.groups()):
                    total[key] += int(n)
        done["out"].close()
        print(f"     ({took:.1f} s, exit {rc})", flush=True)
        took_all.append((took, f"{done['name']} ({done['kind']})"))
        if rc != 0:
            failed.append(f"{done['name']} ({done['kind']}): exit {rc}")
    print(f"run-tests: {len(bins)} test binaries in {time.monotonic() - t0:.0f} s, "
          f"{jobs} at a time: "
          f"{total['passed']} passed, {total['failed']} failed, {total['ignored']} ignored; "
          f"{len(failed)} binaries failed", flush=True)
    print("run-tests: slowest: " + ", ".join(
        f"{n} {t:.0f} s" for t, n in sorted(took_all, reverse=True)[:6]), flush=True)
    for f in failed:
        print("  FAILED " + f)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
