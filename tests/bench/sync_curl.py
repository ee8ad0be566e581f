"""kiosk-sync's pull against curl on the same files from the same server
(issue 13, "Sync on loopback").

Generates a synthetic county of --docs documents (gen-content), publishes it
as a signed bundle (kiosk-sync publish), serves it with `kiosk-sync serve` on
127.0.0.1, then, --runs times, interleaved:
  - `kiosk-sync pull` into a new data dir: a first install of the full
    bundle (download, verify every object against the signed manifest, write
    the store);
  - one `curl` process fetching every file of the repository from the same
    server over one kept-alive connection, to /dev/null.
The pull reports the bytes it transferred and the wall time it spent in
downloads (each object written to its partial file as it arrives; the rest
of the pull is verifying and writing the store): its throughput is those
bytes over that time, compared with curl's bytes over curl's time. Medians
are reported.

Usage: python3 tests/bench/sync_curl.py --kiosk-sync BIN --gen-content BIN
           [--docs 10000] [--runs 3] [--work DIR]
Prints a Markdown table.
"""

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"sync_curl: {' '.join(cmd)} failed ({r.returncode}): {r.stderr[-800:]}")
    return r


def timed(cmd):
    t = time.monotonic()
    r = run(cmd)
    return time.monotonic() - t, r


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kiosk-sync", required=True)
    ap.add_argument("--gen-content", required=True)
    ap.add_argument("--docs", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work")
    a = ap.parse_args()
    work = a.work or tempfile.mkdtemp(prefix="kiosk-sync-curl-")
    ks = a.kiosk_sync
    src, keys, repo = (os.path.join(work, n) for n in ("source", "keys", "repo"))
    run([a.gen_content, "--docs", str(a.docs), "--out", src])
    run([ks, "keygen", "--out", keys])
    run([ks, "publish", "--source", src, "--keys", keys, "--repo", repo])
    root = os.path.join(repo, "metadata", "1.root.json")
    files = sorted(os.path.relpath(os.path.join(d, f), repo)
                   for d, _, fs in os.walk(repo) for f in fs)
    repo_bytes = sum(os.path.getsize(os.path.join(repo, f)) for f in files)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([ks, "serve", "--repo", repo, "--listen", f"127.0.0.1:{port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):  # bounded: up to 10 s for the server to listen
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            sys.exit("sync_curl: kiosk-sync serve did not start listening")
        cfg = os.path.join(work, "curl.cfg")
        with open(cfg, "w") as f:
            for p in files:
                f.write(f'url = "{base}/{p}"\noutput = "/dev/null"\n')
        pulls, nets, curls, pulled = [], [], [], []
        for i in range(a.runs):
            d = os.path.join(work, f"pull-{i}")
            t, r = timed([ks, "pull", "--repo-url", base, "--data-dir", d, "--root", root])
            m = re.search(r"(\d+) bytes transferred in ([0-9.]+) s of downloading", r.stdout)
            if not m:
                sys.exit(f"sync_curl: no byte count in the pull's output: {r.stdout[-400:]}")
            pulls.append(t)
            pulled.append(int(m.group(1)))
            nets.append(float(m.group(2)))
            shutil.rmtree(d)
            t, r = timed(["curl", "-sS", "--fail", "-w", "%{size_download}\n", "-K", cfg])
            got = sum(int(x) for x in r.stdout.split())
            if got != repo_bytes:
                sys.exit(f"sync_curl: curl fetched {got} bytes, the repository holds {repo_bytes}")
            curls.append(t)
    finally:
        server.terminate()
        server.wait(timeout=10)
    pull, net, curl = (statistics.median(x) for x in (pulls, nets, curls))
    net = max(net, 1e-3)
    bytes_pulled = statistics.median(pulled)
    mib = 1024 * 1024
    print(f"Full first install of {a.docs:,} generated documents from `kiosk-sync serve` on 127.0.0.1, "
          f"median of {a.runs} runs, interleaved:\n")
    print("| | time | bytes | throughput |")
    print("|---|---|---|---|")
    print(f"| `kiosk-sync pull`, whole (download, verify, write the store) | {pull:.2f} s | {bytes_pulled / mib:.1f} MiB | |")
    print(f"| of which downloading (as the pull reports it) | {net:.2f} s | {bytes_pulled / mib:.1f} MiB | "
          f"{bytes_pulled / mib / net:.1f} MiB/s |")
    print(f"| `curl` of every file of the repository, one connection | {curl:.2f} s | {repo_bytes / mib:.1f} MiB "
          f"({len(files):,} files) | {repo_bytes / mib / curl:.1f} MiB/s |")
    print(f"\nPull download throughput / curl: **{(bytes_pulled / net) / (repo_bytes / curl) * 100:.0f}%** "
          "(goal at least 80%).")
    if not a.work:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
