#!/usr/bin/env python3
"""Checks a screenshot PNG is a real picture, and compares it with another.

    png_check.py SHOT.png [REFERENCE.png]

Standard library only (CI has Python but no imaging packages). Fails when
the PNG is not 8-bit RGB/RGBA/gray, is smaller than 200x200, has fewer than
16 distinct colours (blank or a single fill), or, with a reference, differs
in size or in more than 0.5% of its pixels (the software renderer gave
byte-identical frames on x86 and aarch64 so far; the margin allows for
floating-point differences between builds).
"""
import struct
import sys
import zlib


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"{path}: not a PNG")
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    width, height, depth, ctype, _, _, interlace = ihdr
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(ctype)
    if depth != 8 or channels is None or interlace:
        sys.exit(f"{path}: unsupported PNG (depth {depth}, colour type {ctype}, interlace {interlace})")
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(height):
        f = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b = prev[x]
            c = prev[x - channels] if x >= channels else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pred) & 255
        rows.append(bytes(line))
        prev = line
    pixels = [bytes(r[x:x + channels]) for r in rows for x in range(0, stride, channels)]
    return width, height, pixels


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    w, h, px = decode(sys.argv[1])
    colours = len(set(px))
    print(f"{sys.argv[1]}: {w}x{h}, {colours} distinct colours")
    if w < 200 or h < 200:
        sys.exit(f"{sys.argv[1]}: {w}x{h} is too small for a kiosk page")
    if colours < 16:
        sys.exit(f"{sys.argv[1]}: only {colours} colours; the page did not render")
    if len(sys.argv) == 3:
        if open(sys.argv[1], "rb").read() == open(sys.argv[2], "rb").read():
            print(f"byte-identical to {sys.argv[2]}")
            return
        rw, rh, rpx = decode(sys.argv[2])
        if (rw, rh) != (w, h):
            sys.exit(f"size differs from {sys.argv[2]}: {w}x{h} vs {rw}x{rh}")
        diff = sum(1 for a, b in zip(px, rpx) if a != b)
        share = diff / len(px)
        print(f"differs from {sys.argv[2]} in {diff} of {len(px)} pixels ({share:.4%})")
        if share > 0.005:
            sys.exit("the aarch64 screenshot differs from the x86 one by more than 0.5%")


if __name__ == "__main__":
    main()
