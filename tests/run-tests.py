"""Runs the workspace's test binaries as `cargo test --workspace` would,
without cargo: so a build may hold cargo's lock meanwhile (tests/run.sh
cross-builds the aarch64 binaries while the tests run).

Usage: python3 tests/run-tests.py ARTIFACTS.json
ARTIFACTS.json: the standard output of
  cargo test --workspace --all-targets --no-run --message-format=json-render-diagnostics

Runs exactly the binaries `cargo test --workspace` runs (the unit tests of
libraries and binaries, and integration tests; not benches or examples),
one after the other in the order cargo built them, each in its package's
folder as cargo does. Runs them all, prints cargo's per-binary summary
lines and a total, and exits 1 if any binary failed. Doc tests are run
separately (`cargo test --workspace --doc`, in tests/run.sh).
"""

import json
import os
import re
import subprocess
import sys
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


def main():
    bins = binaries(sys.argv[1])
    if not bins:
        print("run-tests: no test binaries in " + sys.argv[1], file=sys.stderr)
        return 1
    total = {"passed": 0, "failed": 0, "ignored": 0}
    failed = []
    t0 = time.monotonic()
    for name, kind, exe, pkg in bins:
        print(f"     Running {os.path.relpath(exe)} ({kind} {name})", flush=True)
        start = time.monotonic()
        proc = subprocess.Popen([exe], cwd=pkg, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace")
            sys.stdout.write(line)
            m = RESULT.search(line)
            if m:
                for key, n in zip(("passed", "failed", "ignored"), m.groups()):
                    total[key] += int(n)
        sys.stdout.flush()
        rc = proc.wait()
        took = time.monotonic() - start
        print(f"     ({took:.1f} s, exit {rc})", flush=True)
        if rc != 0:
            failed.append(f"{name} ({kind}): exit {rc}")
    print(f"run-tests: {len(bins)} test binaries in {time.monotonic() - t0:.0f} s: "
          f"{total['passed']} passed, {total['failed']} failed, {total['ignored']} ignored; "
          f"{len(failed)} binaries failed", flush=True)
    for f in failed:
        print("  FAILED " + f)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
