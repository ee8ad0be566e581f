"""kiosk-app against a browser kiosk (issue 13): the same four pages.

For home, a service guide, a policy and the map, renders
  - kiosk-app screenshot from a store kiosk-sync wrote (as a hall runs it),
  - kiosk-app screenshot --demo (builds the demo store at every start),
  - headless Chromium on the hand-written static pages in
    tests/browser-kiosk/ (same text, QR codes, font files, 1080x1920),
each RUNS times, interleaved, and reports the median wall time from process
start to exit (the PNG is written before exit) and the median peak memory
of the whole process tree (sum of PSS; RSS beside it), with ratios.

Usage: python3 tests/bench/browser.py --kiosk-app BIN --data-dir DIR
           [--chromium /usr/bin/chromium] [--runs 5] [--json OUT]
Prints a Markdown table on standard output.
"""

import argparse
import json
import os
import statistics
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from proctree import measure  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PAGES = [  # (name, kiosk-app --page, --id, static page)
    ("home", "home", None, "home.html"),
    ("guide (最低生活保障申请)", "guide", "dibao-shenqing", "guide.html"),
    ("policy (示政办发〔2020〕33号)", "policy", "sfx-2020-033", "policy.html"),
    ("map (30 places)", "map", None, "map.html"),
]
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
    "--force-device-scale-factor=1", "--window-size=1080,1920",
    "--allow-file-access-from-files", "--no-first-run",
    "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--disable-default-apps", "--mute-audio",
]


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        raise RuntimeError(f"{path} is not a PNG")
    return struct.unpack(">II", head[16:24])


def run_one(cmd, out):
    if os.path.exists(out):
        os.remove(out)
    r = measure(cmd)
    if r["rc"] != 0 or not os.path.exists(out):
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {r['rc']}): {r['stderr'][-600:]}")
    if png_size(out) != (1080, 1920):
        raise RuntimeError(f"{out}: {png_size(out)} is not 1080x1920")
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kiosk-app", required=True)
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="kiosk-browser-bench-")
    results = {}
    for name, page, item, html in PAGES:
        ids = ["--id", item] if item else []
        url = "file://" + os.path.join(ROOT, "tests", "browser-kiosk", html)
        runs = {"store": [], "demo": [], "chromium": []}
        for i in range(a.runs):
            out = os.path.join(tmp, f"{page}.png")
            runs["store"].append(run_one(
                [a.kiosk_app, "screenshot", "--data-dir", a.data_dir, "--page", page, *ids, "--out", out], out))
            runs["demo"].append(run_one(
                [a.kiosk_app, "screenshot", "--demo", "--page", page, *ids, "--out", out], out))
            profile = os.path.join(tmp, f"profile-{page}-{i}")
            runs["chromium"].append(run_one(
                [a.chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--screenshot={out}", url], out))
        results[name] = {
            k: {
                "wall_ms": statistics.median(r["wall_s"] for r in v) * 1000,
                "pss_mib": statistics.median(r["peak_pss_kib"] for r in v) / 1024,
                "rss_mib": statistics.median(r["peak_rss_kib"] for r in v) / 1024,
                "procs": max(r["procs"] for r in v),
            }
            for k, v in runs.items()
        }
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1, ensure_ascii=False)
    print("| page | kiosk-app (store) ms / PSS MiB | kiosk-app --demo ms / PSS MiB | Chromium ms / PSS MiB (processes) "
          "| Chromium ÷ kiosk-app: time / memory |")
    print("|---|---|---|---|---|")
    for name, r in results.items():
        s, d, c = r["store"], r["demo"], r["chromium"]
        print(f"| {name} | {s['wall_ms']:.0f} / {s['pss_mib']:.1f} | {d['wall_ms']:.0f} / {d['pss_mib']:.1f} "
              f"| {c['wall_ms']:.0f} / {c['pss_mib']:.1f} ({c['procs']}) "
              f"| {c['wall_ms'] / s['wall_ms']:.1f}x / {c['pss_mib'] / s['pss_mib']:.1f}x |")
    print()
    print("RSS (MiB, medians of the peaks; counts shared pages once per process): "
          + "; ".join(f"{n}: kiosk-app {r['store']['rss_mib']:.1f}, Chromium {r['chromium']['rss_mib']:.1f}"
                      for n, r in results.items()))


if __name__ == "__main__":
    main()
