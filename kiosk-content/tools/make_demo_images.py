#!/usr/bin/env python3
"""Draws the demo county's images into kiosk-content/demo/images/.

    pip install pillow            # Pillow 10 or newer
    apt-get install fonts-noto-cjk
    python3 kiosk-content/tools/make_demo_images.py [--debug-places OUT.png]

Produces:
  map.png                 stylized map of 示范县 (county town and the two
                          other townships); the app draws the place markers
                          from places.csv, so none are drawn here
  hall-<id>.png           one floor plan per hall in bundle.toml, windows drawn
                          at the x/y given there (re-run after moving windows)
  jd-*.png                one infographic per policy interpretation

Everything is fictional. Images are quantized to a small palette so the
embedded demo stays compact. `--debug-places` additionally writes a copy of
the map with every places.csv entry marked, for checking positions by eye
(not part of the demo).
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import tomllib
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

DEMO = Path(__file__).resolve().parent.parent / "demo"
IMAGES = DEMO / "images"

FONT_REGULAR = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
FONT_BOLD = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
SC_INDEX = 2  # Noto Sans CJK SC inside the collection

_fonts: dict[tuple[int, bool], ImageFont.FreeTypeFont] = {}


def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    key = (size, bold)
    if key not in _fonts:
        path = FONT_BOLD if bold else FONT_REGULAR
        try:
            _fonts[key] = ImageFont.truetype(path, size, index=SC_INDEX)
        except OSError:
            sys.exit(f"font {path} not found: apt-get install -y fonts-noto-cjk")
    return _fonts[key]


def save(img: Image.Image, name: str, colors: int = 64) -> None:
    """Quantizes to a palette (no dithering: flat colours stay flat) and saves."""
    out = img.convert("RGB").quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    path = IMAGES / name
    out.save(path, optimize=True)
    print(f"{path.relative_to(DEMO.parent)}  {img.size[0]}x{img.size[1]}  {path.stat().st_size // 1024} KB")


def text_w(d: ImageDraw.ImageDraw, s: str, f: ImageFont.FreeTypeFont) -> int:
    b = d.textbbox((0, 0), s, font=f)
    return b[2] - b[0]


def centered(d, xy, s, f, fill, anchor="mm", **kw):
    d.text(xy, s, font=f, fill=fill, anchor=anchor, **kw)


def balanced(d: ImageDraw.ImageDraw, s: str, f: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Like wrap(), but short labels are split into lines of even length
    (城乡居民/养老保险 rather than 城乡居民养/老保险)."""
    n = len(wrap(d, s, f, width))
    if n <= 1:
        return [s]
    per = math.ceil(len(s) / n)
    return [s[i:i + per] for i in range(0, len(s), per)]


def wrap(d: ImageDraw.ImageDraw, s: str, f: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy wrap for CJK text (any character may break), keeping closing
    punctuation off the start of a line."""
    lines: list[str] = []
    cur = ""
    for ch in s:
        if text_w(d, cur + ch, f) <= width or not cur:
            cur += ch
        elif ch in "，。、；：！？）》”":
            cur += ch
        else:
            lines.append(cur)
            cur = ch
    if cur:
        lines.append(cur)
    return lines


# ------------------------------------------------------------------ the map

MAP_W, MAP_H = 1200, 1600
# Smallest text on the map: 28 px on the kiosk at its smallest portrait
# scale (about 0.59: 706 of 1200 px).
MAP_LABEL = 48

LAND = (241, 237, 226)
BLOCK = (228, 221, 205)
BLOCK_EDGE = (214, 205, 186)
PARK = (196, 224, 180)
HILL = (205, 226, 190)
HILL_DARK = (176, 206, 160)
FARM = (232, 236, 204)
FARM_LINE = (214, 220, 180)
WATER = (150, 200, 232)
WATER_EDGE = (120, 176, 214)
ROAD = (255, 255, 255)
ROAD_EDGE = (196, 188, 170)
MAIN_ROAD = (255, 236, 170)
MAIN_EDGE = (222, 190, 110)
INDUSTRY = (226, 220, 236)
INK = (70, 66, 60)
INK_SOFT = (120, 112, 100)
WATER_INK = (40, 110, 170)
GREEN_INK = (60, 120, 60)

# The river 清河 from the north-east corner to the south-west corner.
RIVER = [(1200, 60), (1080, 170), (960, 300), (880, 420), (835, 560), (830, 700), (850, 840),
         (820, 960), (740, 1070), (620, 1160), (480, 1250), (360, 1340), (230, 1440), (100, 1520), (0, 1570)]

# County-town streets: (name, points, main road?)
STREETS = [
    ("环城北路", [(120, 300), (810, 300)], False),
    ("人民路", [(40, 520), (1180, 520)], True),
    ("建设路", [(120, 720), (800, 720)], False),
    ("环城南路", [(120, 960), (770, 960)], False),
    ("西环路", [(140, 280), (140, 980)], False),
    ("文化路", [(380, 240), (380, 1000)], False),
    ("解放路", [(600, 120), (600, 1000)], True),
]


def river_x_at(y: float) -> float:
    for (x1, y1), (x2, y2) in zip(RIVER, RIVER[1:]):
        if y1 <= y <= y2:
            t = (y - y1) / (y2 - y1) if y2 != y1 else 0
            return x1 + t * (x2 - x1)
    return RIVER[-1][0]


def smooth(points, steps=12):
    """Catmull-Rom through the points, for natural-looking curves."""
    pts = [points[0]] + list(points) + [points[-1]]
    out = []
    for i in range(1, len(pts) - 2):
        p0, p1, p2, p3 = pts[i - 1], pts[i], pts[i + 1], pts[i + 2]
        for s in range(steps):
            t = s / steps
            t2, t3 = t * t, t * t * t
            x = 0.5 * ((2 * p1[0]) + (-p0[0] + p2[0]) * t + (2 * p0[0] - 5 * p1[0] + 4 * p2[0] - p3[0]) * t2
                       + (-p0[0] + 3 * p1[0] - 3 * p2[0] + p3[0]) * t3)
            y = 0.5 * ((2 * p1[1]) + (-p0[1] + p2[1]) * t + (2 * p0[1] - 5 * p1[1] + 4 * p2[1] - p3[1]) * t2
                       + (-p0[1] + 3 * p1[1] - 3 * p2[1] + p3[1]) * t3)
            out.append((x, y))
    out.append(points[-1])
    return out


def stroke(d, pts, r, fill):
    """A thick smooth stroke: discs stamped densely along the path (wide
    polylines in Pillow leave notches at the joints)."""
    for (x1, y1), (x2, y2) in zip(pts, pts[1:]):
        n = max(1, int(math.hypot(x2 - x1, y2 - y1) / 3))
        for i in range(n + 1):
            x, y = x1 + (x2 - x1) * i / n, y1 + (y2 - y1) * i / n
            d.ellipse((x - r, y - r, x + r, y + r), fill=fill)


def road(d, pts, width, fill, edge):
    d.line(pts, fill=edge, width=width + 4, joint="curve")
    d.line(pts, fill=fill, width=width, joint="curve")


def label(d, xy, s, size=22, fill=INK, bold=False, halo=LAND):
    f = font(size, bold)
    d.text(xy, s, font=f, fill=fill, anchor="mm", stroke_width=4, stroke_fill=halo)


def vlabel(d, x, y, s, size=20, fill=INK_SOFT, halo=LAND):
    """Vertical label: one character under the other, centred on (x, y)."""
    f = font(size)
    step = size + 2
    y0 = y - (len(s) - 1) * step / 2
    for i, ch in enumerate(s):
        d.text((x, y0 + i * step), ch, font=f, fill=fill, anchor="mm", stroke_width=3, stroke_fill=halo)


def draw_map() -> Image.Image:
    img = Image.new("RGB", (MAP_W, MAP_H), LAND)
    d = ImageDraw.Draw(img)

    # Farmland south-west and south-east of the town.
    for (x0, y0, x1, y1) in [(40, 1020, 560, 1220), (40, 1240, 330, 1400), (520, 1300, 1160, 1560),
                             (860, 1000, 1180, 1280), (30, 600, 110, 980), (40, 1420, 180, 1500)]:
        d.rectangle((x0, y0, x1, y1), fill=FARM)
        for yy in range(y0 + 30, y1, 36):
            d.line((x0 + 6, yy, x1 - 6, yy), fill=FARM_LINE, width=2)

    # 东岭 hills east of the river.
    for cx, cy, r in [(1000, 260, 120), (1120, 360, 110), (1080, 760, 130), (960, 880, 90),
                      (1150, 960, 80), (1160, 180, 90), (990, 700, 70)]:
        d.ellipse((cx - r, cy - r * 0.75, cx + r, cy + r * 0.75), fill=HILL)
        d.ellipse((cx - r * 0.62, cy - r * 0.45, cx + r * 0.62, cy + r * 0.45), outline=HILL_DARK, width=3)
        d.ellipse((cx - r * 0.3, cy - r * 0.2, cx + r * 0.3, cy + r * 0.2), outline=HILL_DARK, width=3)

    # Industrial park north of the town.
    d.rounded_rectangle((160, 130, 560, 270), 14, fill=INDUSTRY, outline=(206, 198, 222), width=2)
    for x in range(190, 540, 70):
        d.rectangle((x, 165, x + 44, 200), fill=(210, 202, 226))
        d.rectangle((x, 215, x + 44, 245), fill=(210, 202, 226))

    # Town blocks between the streets.
    xs = [140, 380, 600]
    ys = [300, 520, 720, 960]
    for i in range(len(ys) - 1):
        for j in range(len(xs)):
            x0 = xs[j]
            x1 = xs[j + 1] if j + 1 < len(xs) else int(min(river_x_at(ys[i]), river_x_at(ys[i + 1]))) - 60
            y0, y1 = ys[i], ys[i + 1]
            # sub-blocks
            for k in range(2):
                for m in range(2):
                    bx0 = x0 + 14 + k * (x1 - x0) / 2
                    bx1 = x0 + (k + 1) * (x1 - x0) / 2 - 14
                    by0 = y0 + 14 + m * (y1 - y0) / 2
                    by1 = y0 + (m + 1) * (y1 - y0) / 2 - 14
                    if bx1 - bx0 > 20 and by1 - by0 > 20:
                        d.rounded_rectangle((bx0, by0, bx1, by1), 8, fill=BLOCK, outline=BLOCK_EDGE, width=2)

    # 人民公园 and the riverside park.
    d.rounded_rectangle((396, 536, 584, 704), 18, fill=PARK, outline=(170, 206, 150), width=3)
    d.ellipse((440, 590, 540, 650), fill=WATER, outline=WATER_EDGE, width=2)
    # 清河乡 and 东岭镇 small grids.
    for (x0, y0, x1, y1) in [(560, 1300, 860, 1470), (930, 440, 1170, 640)]:
        for x in range(x0, x1, 75):
            for y in range(y0, y1, 60):
                d.rounded_rectangle((x + 8, y + 8, x + 67, y + 52), 6, fill=BLOCK, outline=BLOCK_EDGE, width=2)

    # The river, drawn over blocks so banks stay clean.
    curve = smooth(RIVER)
    trib = smooth([(1200, 1130), (1080, 1060), (960, 1010), (870, 930)])
    stroke(d, curve, 31, WATER_EDGE)
    stroke(d, trib, 10, WATER_EDGE)
    stroke(d, curve, 27, WATER)
    stroke(d, trib, 7, WATER)
    # Riverside park strip on the west bank.
    for y in range(560, 880, 6):
        x = river_x_at(y) - 38
        d.line((x - 22, y, x, y), fill=PARK, width=6)

    # Roads out of town: 东岭大道 (人民路 east), 示清公路 to 清河乡, 北环 to the industrial park.
    road(d, smooth([(600, 960), (610, 1080), (640, 1200), (690, 1300), (700, 1480)]), 16, MAIN_ROAD, MAIN_EDGE)
    road(d, smooth([(930, 540), (1000, 520), (1180, 520)]), 14, MAIN_ROAD, MAIN_EDGE)
    road(d, smooth([(700, 1390), (560, 1440), (430, 1470), (300, 1480)]), 10, ROAD, ROAD_EDGE)
    road(d, smooth([(140, 960), (180, 1080), (240, 1130), (330, 1160)]), 10, ROAD, ROAD_EDGE)
    road(d, smooth([(1040, 520), (1060, 420), (1060, 300), (1090, 200)]), 10, ROAD, ROAD_EDGE)
    road(d, smooth([(1080, 600), (1100, 700), (1110, 800)]), 10, ROAD, ROAD_EDGE)
    road(d, smooth([(860, 1000), (930, 1080), (1020, 1170), (1150, 1250)]), 10, ROAD, ROAD_EDGE)

    # Town streets.
    for name, pts, main in STREETS:
        if main:
            road(d, pts, 18, MAIN_ROAD, MAIN_EDGE)
        else:
            road(d, pts, 11, ROAD, ROAD_EDGE)
    # 滨河路 along the west bank.
    bank = [(river_x_at(y) - 60, y) for y in range(300, 965, 15)]
    road(d, bank, 10, ROAD, ROAD_EDGE)

    # Bridges.
    for (x, y, w) in [(river_x_at(520), 520, 90), (river_x_at(1180) + 0, 1180, 80)]:
        d.rectangle((x - w / 2, y - 14, x + w / 2, y + 14), fill=(236, 232, 222), outline=(150, 140, 124), width=3)
    bx = river_x_at(1180)

    # ---- labels
    # The kiosk shows this map at least MAP_MIN_SCALE of its size in
    # portrait (about 700 of its 1200 px, beside the zoom buttons and the
    # legend), and no text a resident sees may be under 28 px there, so no
    # label is smaller than MAP_LABEL. Only the names a resident looks for
    # are drawn: towns, villages, the river, the main roads, landmarks.
    # The "sketch, not a survey" note is the app's (the legend), in text
    # of the theme's contrast.
    L = MAP_LABEL
    label(d, (470, 890), "城关镇", L + 10, INK, bold=True)
    label(d, (1050, 470), "东岭镇", L + 6, INK, bold=True)
    label(d, (700, 1535), "清河乡", L + 6, INK, bold=True)
    label(d, (360, 200), "工业园区", L, (90, 76, 120), halo=INDUSTRY)
    label(d, (490, 620), "公园", L, GREEN_INK, halo=PARK)
    for (x, y) in [(945, 330), (640, 1115)]:
        label(d, (x, y), "清河", L, WATER_INK, bold=True, halo=WATER)
    label(d, (300, 520), "人民路", L, INK, halo=MAIN_ROAD)
    vlabel(d, 600, 800, "解放路", L, INK, halo=MAIN_ROAD)
    label(d, (250, 1200), "东山村", L, INK)
    label(d, (420, 1505), "柳湾村", L, INK)
    label(d, (1080, 250), "岭上村", L, INK, halo=HILL)
    label(d, (1110, 840), "石门村", L, INK, halo=HILL)

    # Title block, compass and scale.
    tf = font(L + 8, True)
    tw = text_w(d, "示范县便民地图", tf)
    d.rounded_rectangle((20, 20, 20 + tw + 40, 20 + L + 40), 12, fill=(255, 255, 255), outline=(190, 180, 160), width=2)
    d.text((40, 20 + (L + 40) / 2), "示范县便民地图", font=tf, fill=INK, anchor="lm")
    cx, cy = 1120, 1470
    d.ellipse((cx - 50, cy - 50, cx + 50, cy + 50), fill=(255, 255, 255), outline=(190, 180, 160), width=2)
    d.polygon([(cx, cy - 40), (cx - 14, cy + 4), (cx + 14, cy + 4)], fill=(200, 70, 60))
    d.polygon([(cx, cy + 40), (cx - 14, cy + 4), (cx + 14, cy + 4)], fill=(160, 150, 140))
    d.text((cx, cy - 82), "北", font=font(L, True), fill=INK, anchor="mm", stroke_width=4, stroke_fill=LAND)
    d.rectangle((40, 1560, 240, 1574), fill=(255, 255, 255), outline=INK, width=2)
    d.rectangle((40, 1560, 140, 1574), fill=INK)
    d.text((140, 1546), "1公里", font=font(L), fill=INK, anchor="ms", stroke_width=4, stroke_fill=LAND)
    return img


def debug_places(base: Image.Image, out: Path) -> None:
    img = base.copy()
    d = ImageDraw.Draw(img)
    with open(DEMO / "places.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            x, y = float(row["地图X"]) * MAP_W, float(row["地图Y"]) * MAP_H
            d.ellipse((x - 9, y - 9, x + 9, y + 9), fill=(220, 40, 40), outline=(255, 255, 255), width=2)
            d.text((x + 12, y), row["名称"], font=font(15), fill=(160, 20, 20), anchor="lm",
                   stroke_width=2, stroke_fill=(255, 255, 255))
    img.save(out)
    print(f"debug overlay: {out}")


# ------------------------------------------------------------- floor plans

HALL_W, HALL_H = 1200, 800
# Smallest text on a plan: 28 px on the kiosk at its smallest scale
# (about 0.8: 960 of 1200 px on the guide and hall pages).
PLAN_LABEL = 36
FLOOR = (246, 244, 238)
WALL = (90, 98, 110)
COUNTER = (52, 110, 170)
COUNTER_LIGHT = (226, 238, 250)
ZONE_OPEN = (255, 242, 220)
ZONE_OPEN_EDGE = (226, 150, 60)
SEAT = (200, 208, 218)
SELF = (226, 244, 232)
SELF_EDGE = (80, 160, 110)


def window_box(x: float, y: float, vertical: bool) -> tuple[float, float, float, float]:
    cx, cy = x * HALL_W, y * HALL_H
    w, h = (104, 96) if not vertical else (120, 96)
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def draw_hall(hall: dict) -> Image.Image:
    img = Image.new("RGB", (HALL_W, HALL_H), FLOOR)
    d = ImageDraw.Draw(img)
    m = 28
    # Outer walls with the entrance gap at the bottom centre.
    d.rectangle((m, m, HALL_W - m, HALL_H - m), outline=WALL, width=10)
    gap0, gap1 = HALL_W / 2 - 90, HALL_W / 2 + 90
    d.line((gap0, HALL_H - m, gap1, HALL_H - m), fill=FLOOR, width=12)
    for gx in (gap0, gap1):
        d.line((gx, HALL_H - m - 6, gx, HALL_H - m + 6), fill=WALL, width=6)
    # Entrance: label in the gap, arrow pointing into the hall.
    centered(d, (HALL_W / 2, HALL_H - m - 30), "入口", font(PLAN_LABEL, True), WALL)
    d.line((HALL_W / 2, HALL_H - m - 56, HALL_W / 2, HALL_H - m - 92), fill=WALL, width=6)
    d.polygon([(HALL_W / 2, HALL_H - m - 110), (HALL_W / 2 - 14, HALL_H - m - 88), (HALL_W / 2 + 14, HALL_H - m - 88)], fill=WALL)

    windows = hall["windows"]
    # Counter strips behind the windows (top wall and side walls).
    if any(w["y"] < 0.25 for w in windows):
        d.rectangle((m + 5, m + 5, HALL_W - m - 5, m + 30), fill=COUNTER_LIGHT)
    if any(w["x"] > 0.85 and w["y"] >= 0.25 for w in windows):
        d.rectangle((HALL_W - m - 30, m + 5, HALL_W - m - 5, HALL_H * 0.9), fill=COUNTER_LIGHT)
    if any(w["x"] < 0.15 and w["y"] >= 0.25 for w in windows):
        d.rectangle((m + 5, m + 5, m + 30, HALL_H * 0.65), fill=COUNTER_LIGHT)

    # Labels: the kiosk shows a plan at least PLAN_MIN_SCALE of its size
    # (guide and hall pages, every mode), and no text a resident sees may
    # be under 28 px there, so none is smaller than PLAN_LABEL. Window
    # names are not drawn: the app puts each window's number on it and
    # lists the names beside the plan.
    L = PLAN_LABEL
    # 政务公开体验区 corner (bottom left) with the touch screen and bookcase.
    zx0, zy0, zx1, zy1 = m + 14, HALL_H * 0.66, HALL_W * 0.30, HALL_H - m - 14
    d.rounded_rectangle((zx0, zy0, zx1, zy1), 14, fill=ZONE_OPEN, outline=ZONE_OPEN_EDGE, width=4)
    d.text(((zx0 + zx1) / 2, zy0 + 12), "政务公开体验区", font=font(L, True), fill=(150, 74, 10), anchor="mt")
    d.rounded_rectangle((zx0 + 24, zy0 + 80, zx0 + 114, zy0 + 150), 6, fill=(60, 70, 84))
    d.rectangle((zx0 + 32, zy0 + 86, zx0 + 106, zy0 + 136), fill=(120, 190, 240))
    d.rectangle((zx0 + 150, zy0 + 84, zx1 - 24, zy0 + 104), fill=(190, 150, 110))
    d.rectangle((zx0 + 150, zy0 + 116, zx1 - 24, zy0 + 136), fill=(190, 150, 110))

    # Self-service area (bottom right, left of any side windows).
    sx1 = HALL_W * 0.84 if any(w["x"] > 0.85 for w in windows) else HALL_W - m - 14
    sx0 = sx1 - HALL_W * 0.19
    sy0, sy1 = HALL_H * 0.72, HALL_H - m - 14
    d.rounded_rectangle((sx0, sy0, sx1, sy1), 14, fill=SELF, outline=SELF_EDGE, width=3)
    d.text(((sx0 + sx1) / 2, sy0 + 10), "自助服务区", font=font(L, True), fill=(30, 100, 55), anchor="mt")
    for i in range(3):
        bx = sx0 + 34 + i * ((sx1 - sx0 - 68) / 3)
        d.rounded_rectangle((bx, sy0 + 66, bx + 38, sy0 + 116), 5, fill=(90, 150, 110))

    # Waiting area: rows of seats in the middle.
    wx0, wx1 = HALL_W * 0.36, HALL_W * 0.74
    wy0 = HALL_H * 0.42
    d.text(((wx0 + wx1) / 2, wy0 - 30), "等候区", font=font(L, True), fill=(70, 80, 94), anchor="mm")
    for r in range(3):
        for c in range(8):
            x = wx0 + c * (wx1 - wx0) / 8 + 6
            y = wy0 + r * 52
            d.rounded_rectangle((x, y, x + (wx1 - wx0) / 8 - 12, y + 30), 6, fill=SEAT)
    # Queue-ticket machine and guide desk near the entrance.
    d.rounded_rectangle((HALL_W * 0.33, HALL_H * 0.76, HALL_W * 0.37, HALL_H * 0.82), 6, fill=(110, 120, 140))
    d.text((HALL_W * 0.35, HALL_H * 0.83), "取号机", font=font(L, True), fill=WALL, anchor="mt")
    d.rounded_rectangle((HALL_W * 0.54, HALL_H * 0.76, HALL_W * 0.61, HALL_H * 0.82), 10, fill=(236, 214, 170))
    d.text((HALL_W * 0.575, HALL_H * 0.83), "导办台", font=font(L, True), fill=(120, 80, 30), anchor="mt")

    # Windows: counters only; the app draws the numbers.
    for w in windows:
        vertical = (w["x"] > 0.85 or w["x"] < 0.15) and w["y"] >= 0.25
        x0, y0, x1, y1 = window_box(w["x"], w["y"], vertical)
        d.rounded_rectangle((x0, y0, x1, y1), 10, fill=COUNTER, outline=(30, 70, 120), width=3)

    # Title.
    title = hall["name"] + " 平面示意图"
    tf = font(L, True)
    tw = text_w(d, title, tf)
    ty = HALL_H * 0.31
    d.rounded_rectangle((HALL_W * 0.55 - tw / 2 - 18, ty - L / 2 - 12, HALL_W * 0.55 + tw / 2 + 18, ty + L / 2 + 12), 10,
                        fill=(255, 255, 255), outline=(200, 200, 200), width=2)
    centered(d, (HALL_W * 0.55, ty), title, tf, WALL)
    return img


# ------------------------------------------------------------ infographics

IG_W = 1080
# Smallest text on an infographic (see draw_infographic).
IG_TEXT = 32

# image file -> (theme colour, kicker, title, subtitle, [(step title, step text)], footer)
INFOGRAPHICS = {
    "jd-dibao.png": ((214, 76, 60), "图解", "低保申请五步走", "《示范县最低生活保障审核确认办法》（示政办发〔2020〕33号）", [
        ("申请", "到户籍所在地乡镇便民服务中心社会救助窗口提出申请，也可网上申请或委托村（居）委会代办"),
        ("受理", "材料齐全的当场受理；不齐全的一次性告知需要补正的材料"),
        ("调查", "3个工作日内启动入户调查和家庭经济状况信息核对"),
        ("公示", "审核意见在村（居）公示7天，接受群众监督"),
        ("确认", "30个工作日内作出确认决定，次月起发放低保金"),
    ], "示范县民政局"),
    "jd-tekun.png": ((150, 90, 170), "一图读懂", "特困人员救助供养", "《示范县特困人员救助供养实施办法》（示政办发〔2019〕28号）", [
        ("基本生活", "供给粮油、副食品、衣被等生活用品和零用钱，标准不低于低保标准的1.3倍"),
        ("照料护理", "按全自理、半护理、全护理三档给予照料护理补贴"),
        ("疾病治疗", "全额资助参加居民医保，个人自付部分由医疗救助解决"),
        ("丧葬事宜", "特困人员去世后，由供养机构或乡镇办理丧葬事宜"),
    ], "示范县民政局"),
    "jd-linshi-jiuzhu.png": ((230, 120, 40), "新旧对比", "临时救助三大变化", "《示范县临时救助实施办法（2021年修订）》（示政办发〔2021〕19号）", [
        ("审批下放", "临时救助由乡镇直接审批，结果报县民政局备案"),
        ("取消户籍限制", "非本县户籍人员在本县遭遇急难，可向急难发生地乡镇申请"),
        ("提高额度", "一般为月低保标准的1至6倍，特别严重的最高可达12倍"),
    ], "示范县民政局"),
    "jd-canji-liangxiang.png": ((40, 140, 150), "政策问答", "残疾人两项补贴怎么领", "《示范县困难残疾人生活补贴和重度残疾人护理补贴实施办法》", [
        ("提出申请", "携带身份证、户口簿、残疾人证到乡镇便民服务中心申请，也可网上申请"),
        ("乡镇初审", "10个工作日内完成初审，报县残联"),
        ("县级审定", "县残联复核，县民政局审定"),
        ("按月发放", "生活补贴每月80元、护理补贴每月90元，次月起通过“一卡通”发放"),
    ], "示范县民政局　示范县残疾人联合会"),
    "jd-gaoling-jintie.png": ((200, 150, 30), "一图看明白", "高龄津贴怎么领", "《示范县高龄津贴发放管理办法》（示民发〔2019〕22号）", [
        ("80—89周岁", "每人每月50元"),
        ("90—99周岁", "每人每月100元"),
        ("100周岁及以上", "每人每月500元"),
        ("申领方式", "本人或亲属带身份证、户口簿到乡镇便民服务中心或村便民服务站申请，按季度发放"),
    ], "示范县民政局"),
    "jd-yibao-canbao.png": ((30, 120, 200), "参保缴费", "2027年度居民医保这样缴", "个人缴费每人400元 · 集中缴费期2026年9月1日—12月31日", [
        ("微信缴费", "关注“示范县税务”微信公众号，选择“城乡居民医保缴费”"),
        ("手机银行", "打开合作银行手机银行，在“生活缴费”中找到居民医保"),
        ("网上办理", "登录“示范县政务服务网”，进入“医保缴费”专区"),
        ("现场缴费", "乡镇便民服务中心医疗保障窗口、合作银行网点、村便民服务站代收点"),
    ], "示范县医疗保障局　国家税务总局示范县税务局"),
    "jd-jianshui.png": ((40, 150, 100), "减税降费", "小规模纳税人优惠怎么享受", "《关于落实小规模纳税人增值税减免等税费支持政策的公告》", [
        ("月销售额10万元以下", "免征增值税（按季申报的，季度30万元以下）"),
        ("超过10万元", "适用3%征收率的，减按1%征收增值税"),
        ("“六税两费”减半", "资源税、城建税、房产税、城镇土地使用税、印花税、耕地占用税及两项附加"),
        ("申报即享", "电子税务局自动带出减免信息，确认即可享受，无需备案"),
    ], "国家税务总局示范县税务局"),
    "jd-weifang-gaizao.png": ((170, 100, 60), "政策解读", "农村危房改造申请流程", "《示范县农村低收入群体等重点对象住房安全保障实施方案》", [
        ("农户申请", "向乡镇便民服务中心村镇建设窗口提出申请"),
        ("评议公示", "村委会组织评议，公示不少于7天"),
        ("鉴定审核", "乡镇组织房屋安全鉴定和入户核查"),
        ("县级审批", "县住建局会同相关部门审批并公开结果"),
        ("验收拨付", "竣工验收合格后，D级每户4万元、C级每户2万元拨付到户"),
    ], "示范县住房和城乡建设局"),
    "jd-gengdi-butie.png": ((110, 150, 40), "政策问答", "耕地地力保护补贴发放流程", "2021年补贴标准：每亩105.60元", [
        ("农户申报", "4月15日至5月20日，向村委会申报承包耕地面积"),
        ("村级公示", "村委会逐户核实，在村务公开栏公示7天"),
        ("乡镇审核", "乡镇汇总审核，建立补贴清册"),
        ("一卡通兑付", "6月30日前，补贴资金直接打到农户“一卡通”账户"),
    ], "示范县农业农村局"),
    "jd-chuangye-daikuan.png": ((60, 90, 170), "十问十答", "创业担保贷款办理四步", "个人最高20万元 · 期限最长3年 · 财政贴息", [
        ("提出申请", "到户籍地或创业地乡镇便民服务中心就业创业窗口申请"),
        ("资格审核", "县就业服务中心5个工作日内完成资格审核"),
        ("担保审核", "政府性融资担保机构审核担保"),
        ("银行放贷", "经办银行审批通过后发放贷款，按季享受贴息"),
    ], "示范县人力资源和社会保障局"),
}


def lighten(c, t):
    return tuple(int(v + (255 - v) * t) for v in c)


def draw_infographic(theme, kicker, title, subtitle, steps, footer) -> Image.Image:
    # No text under IG_TEXT: the kiosk shows these about 0.9 of their size
    # (970 of 1080 px), and nothing a resident reads may be under 28 px.
    # Boxes grow with their text, and the image with its boxes.
    probe = ImageDraw.Draw(Image.new("RGB", (10, 10)))
    hf, bf = font(IG_TEXT + 8, True), font(IG_TEXT)
    x0, x1 = 60, IG_W - 60
    tx = x0 + 140
    width = x1 - tx - 30
    lh = bf.size + 12
    wrapped = [wrap(probe, body, bf, width) for _, body in steps]
    heights = [max(150, 40 + hf.size + 14 + len(lines) * lh) for lines in wrapped]
    gap = 26
    top = 350
    height = top + sum(heights) + gap * (len(steps) - 1) + 40 + 110
    img = Image.new("RGB", (IG_W, height), lighten(theme, 0.92))
    d = ImageDraw.Draw(img)
    # Header band.
    d.rectangle((0, 0, IG_W, 300), fill=theme)
    for i in range(6):  # soft decorative circles
        r = 60 + i * 28
        d.ellipse((IG_W - 140 - r, 40 - r, IG_W - 140 + r, 40 + r), outline=lighten(theme, 0.18 + i * 0.04), width=3)
    kf = font(IG_TEXT, True)
    kw = text_w(d, kicker, kf)
    d.rounded_rectangle((60, 40, 60 + kw + 40, 40 + IG_TEXT + 22), 24, fill=(255, 255, 255))
    d.text((80, 40 + (IG_TEXT + 22) / 2), kicker, font=kf, fill=theme, anchor="lm")
    tf = font(64, True)
    while text_w(d, title, tf) > IG_W - 120 and tf.size > 40:
        tf = font(tf.size - 4, True)
    d.text((60, 150), title, font=tf, fill=(255, 255, 255), anchor="lm")
    sf = font(IG_TEXT)
    sub_lines = wrap(d, subtitle, sf, IG_W - 120)
    for i, line in enumerate(sub_lines[:2]):
        d.text((60, 216 + i * (IG_TEXT + 8)), line, font=sf, fill=(255, 255, 255), anchor="lm")

    # Steps.
    y = top
    for i, ((head, _), lines, box_h) in enumerate(zip(steps, wrapped, heights), 1):
        d.rounded_rectangle((x0 + 6, y + 8, x1 + 6, y + box_h + 8), 22, fill=lighten(theme, 0.78))
        d.rounded_rectangle((x0, y, x1, y + box_h), 22, fill=(255, 255, 255), outline=lighten(theme, 0.55), width=3)
        cx, cy = x0 + 70, y + box_h / 2
        d.ellipse((cx - 42, cy - 42, cx + 42, cy + 42), fill=theme)
        d.text((cx, cy), str(i), font=font(44, True), fill=(255, 255, 255), anchor="mm")
        total = hf.size + 14 + len(lines) * lh
        ty = y + (box_h - total) / 2
        d.text((tx, ty), head, font=hf, fill=theme, anchor="lt")
        for j, line in enumerate(lines):
            d.text((tx, ty + hf.size + 14 + j * lh), line, font=bf, fill=(50, 50, 50), anchor="lt")
        if i < len(steps):  # arrow to the next box
            d.polygon([(cx - 12, y + box_h + 4), (cx + 12, y + box_h + 4), (cx, y + box_h + gap - 2)], fill=theme)
        y += box_h + gap

    # Footer.
    d.rectangle((0, height - 96, IG_W, height), fill=lighten(theme, 0.82))
    ff = font(IG_TEXT, True)
    d.text((60, height - 48), footer, font=ff, fill=theme, anchor="lm")
    # The site's name on the right when the footer leaves room for it.
    if text_w(d, footer, ff) <= IG_W - 120 - text_w(d, "示范县政务公开", font(IG_TEXT)) - 40:
        d.text((IG_W - 60, height - 48), "示范县政务公开", font=font(IG_TEXT), fill=lighten(theme, 0.1), anchor="rm")
    return img


# --------------------------------------------------------------------- main

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--debug-places", metavar="PNG", help="also write the map with places.csv marked")
    ap.add_argument("--only", help="draw only images whose name contains this text")
    args = ap.parse_args()
    IMAGES.mkdir(parents=True, exist_ok=True)

    def want(name):
        return not args.only or args.only in name

    if want("map.png") or args.debug_places:
        m = draw_map()
        if want("map.png"):
            save(m, "map.png", colors=48)
        if args.debug_places:
            debug_places(m, Path(args.debug_places))

    with open(DEMO / "bundle.toml", "rb") as f:
        bundle = tomllib.load(f)
    for hall in bundle.get("halls", []):
        name = Path(hall.get("floor_plan") or f"images/hall-{hall['id']}.png").name
        if want(name):
            save(draw_hall(hall), name, colors=48)

    for name, spec in INFOGRAPHICS.items():
        if want(name):
            save(draw_infographic(*spec), name, colors=64)


if __name__ == "__main__":
    main()
