"""Run a command and measure it as a whole process tree.

Wall time is from spawning the command to the exit of its first process.
Memory is sampled every few milliseconds over every process of the tree
(the command and all its descendants, found through
/proc/PID/task/TID/children): the peak of the sum of PSS (proportional set
size: shared pages divided among the processes that share them, so a
browser's many processes are not counted twice) and the peak of the sum of
RSS. Needs Linux; PSS needs read access to /proc/PID/smaps_rollup (the
user's own processes, or root).
"""

import os
import subprocess
import time


def _children(pid):
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    out.extend(int(c) for c in f.read().split())
            except OSError:
                pass
    except OSError:
        pass
    return out


def _tree(root):
    seen, todo = [], [root]
    while todo and len(seen) < 512:
        pid = todo.pop()
        seen.append(pid)
        todo.extend(_children(pid))
    return seen


def _mem_kib(pid):
    """(pss, rss) of one process in KiB; (0, 0) once it has gone."""
    pss = rss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss = int(line.split()[1])
    except OSError:
        pass
    return pss, rss


def measure(cmd, *, env=None, cwd=None, interval=0.004, timeout=120.0):
    """Run cmd; return dict(wall_s, peak_pss_kib, peak_rss_kib, procs, rc)."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    peak_pss = peak_rss = 0
    most = 0
    while True:
        rc = proc.poll()
        if rc is not None:
            wall = time.monotonic() - start
            break
        if time.monotonic() - start > timeout:
            proc.kill()
            proc.wait()
            raise RuntimeError(f"{cmd[0]} ran past {timeout} s")
        pids = _tree(proc.pid)
        most = max(most, len(pids))
        pss = rss = 0
        for p in pids:
            a, b = _mem_kib(p)
            pss += a
            rss += b
        peak_pss = max(peak_pss, pss)
        peak_rss = max(peak_rss, rss)
        time.sleep(interval)
    err = proc.stderr.read().decode("utf-8", "replace")
    # Whatever the tree left behind (a browser's helpers) is not waited for.
    try:
        os.killpg(proc.pid, 9)
    except OSError:
        pass
    return {"wall_s": wall, "peak_pss_kib": peak_pss, "peak_rss_kib": peak_rss,
            "procs": most, "rc": rc, "stderr": err}
