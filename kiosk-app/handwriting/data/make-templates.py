#!/usr/bin/env python3
"""Writes hanzi-templates.bin, the template matcher's knowledge of how the
common characters are written at school (src/templates.rs), from the npm
package hanzi-writer-data 2.0.1 (stroke medians derived from Make Me a Hanzi,
which took them from Arphic's fonts; Arphic Public License, ARPHICPL.TXT
beside this file).

    npm pack hanzi-writer-data@2.0.1 && tar xzf hanzi-writer-data-2.0.1.tgz
    python3 make-templates.py package common-chars.txt > hanzi-templates.bin

A developer's command, not run in CI; the output is committed (about 0.5 MB)
and installed by deploy/build-deb.sh. Kept per character: the medians (one
polyline per stroke, in the school stroke order), each point (x, y) of the
1024 box (y up) stored as one byte each, round((v + 128) / 5), a 5-unit grid
(0.5% of the character). Characters: the first COUNT of common-chars.txt
(most common first) that the package has.
"""
import struct
import sys

COUNT = 3500

NOTICE = (
    "Stroke medians of hanzi-writer-data 2.0.1 (derived from Make Me a Hanzi, "
    "from fonts by Arphic Technology), redistributed under the Arphic Public "
    "License (ARPHICPL.TXT, installed beside this file). MODIFIED 2026-12-03 by "
    "make-templates.py: only the 'medians' of the {count} most common characters "
    "are kept (outlines, radicals and other characters dropped), their points "
    "rounded to a 5-unit grid and packed in a binary file."
)


def quantize(v):
    q = round((v + 128) / 5)
    if not 0 <= q <= 255:
        raise SystemExit(f"make-templates.py: coordinate {v} outside -128..1147")
    return q


def main(pkg, common_path):
    import json

    order = []
    for line in open(common_path, encoding="utf-8"):
        if line.startswith("#"):
            continue
        for token in line.split():
            order.append(token[0])
    records = []
    for c in order:
        if len(records) == COUNT:
            break
        try:
            with open(f"{pkg}/{c}.json", encoding="utf-8") as f:
                medians = json.load(f)["medians"]
        except FileNotFoundError:
            continue
        if not 0 < len(medians) < 256:
            continue
        rec = struct.pack("<IB", ord(c), len(medians))
        for stroke in medians:
            if not 0 < len(stroke) < 256:
                raise SystemExit(f"make-templates.py: {c} has a stroke of {len(stroke)} points")
            rec += struct.pack("<B", len(stroke))
            for x, y in stroke:
                rec += struct.pack("<BB", quantize(x), quantize(y))
        records.append(rec)
    notice = NOTICE.format(count=len(records)).encode("utf-8")
    out = sys.stdout.buffer
    out.write(b"KIOSK-HANZI-TEMPLATES 1\n")
    out.write(struct.pack("<I", len(notice)))
    out.write(notice)
    out.write(struct.pack("<I", len(records)))
    for rec in records:
        out.write(rec)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
