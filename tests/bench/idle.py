"""A kiosk left alone: time to first frame and memory after a minute idle.

Starts a command on an X display (Xvfb), as a hall's screen runs it, waits,
and measures the whole process tree: the sum of PSS (and of RSS) after
--idle seconds, and the peak seen on the way (sampled every 50 ms). For
kiosk-app, the time to the first frame is read from its log line "first
frame drawn" (the app logs it right after the first frame is on screen),
measured from process start.

Usage: python3 tests/bench/idle.py --idle 60 -- CMD ARGS...
Prints one JSON object.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from proctree import _mem_kib, _tree  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--idle", type=float, default=60.0)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    first = {}

    def read_log():
        for raw in proc.stderr:
            if b"first frame drawn" in raw and "s" not in first:
                first["s"] = time.monotonic() - start

    threading.Thread(target=read_log, daemon=True).start()
    peak_pss = peak_rss = 0
    pss = rss = 0
    procs = 0
    while time.monotonic() - start < a.idle:
        if proc.poll() is not None:
            print(json.dumps({"error": f"{cmd[0]} exited early ({proc.returncode})"}))
            return 1
        pids = _tree(proc.pid)
        procs = max(procs, len(pids))
        pss = rss = 0
        for p in pids:
            x, y = _mem_kib(p)
            pss += x
            rss += y
        peak_pss, peak_rss = max(peak_pss, pss), max(peak_rss, rss)
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    print(json.dumps({"first_frame_s": first.get("s"), "idle_pss_mib": pss / 1024,
                      "idle_rss_mib": rss / 1024, "peak_pss_mib": peak_pss / 1024,
                      "peak_rss_mib": peak_rss / 1024, "procs": procs}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
