#!/usr/bin/env python3
"""Edit masks for bench/images/run, written as PNG with zlib (no imaging library), and the check of what
`chorus mask` made of them. Run by bench/images/run; not meant to be run alone.

  masks.py make --dir DIR --size 1024 --levels 1,6,9
      Writes DIR/<kind>-z<level>.png for every kind and level, DIR/edit.map (the expected edit map, the same for every
      kind: one byte per pixel, 1 = edit) and DIR/masks.json (kind, level, colour type, bytes, edit fraction per file).
  masks.py check --edit DIR/edit.map --mode alpha|white_edits --size 1024 [--case NAME] OUT.png
      Decodes OUT.png with the ffmpeg CLI and compares it pixel by pixel with what the mode must produce:
      alpha = RGBA (0,0,0,0) on edit pixels and (0,0,0,255) elsewhere; white_edits = gray 255 on edit, 0 elsewhere.
      Prints one JSON line; exit status 1 when it differs.

Shape: a tilted ellipse (about 17% of the picture) whose border is a 24-pixel soft band with noise, the way a
brush or a feathered selection leaves it, so the threshold at 128 is crossed irregularly and the rows do not
compress to nothing. Kinds:

  bw-gray      8-bit gray, white = edit, no alpha          (colour type 0)  -> mode alpha   (OpenAI-style provider)
  bw-rgb       8-bit RGB, the same gray in R=G=B, no alpha  (colour type 2)  -> mode alpha
  alpha-black  RGBA, black with alpha 0 where to edit       (colour type 6)  -> mode white_edits (SD WebUI)
  alpha-photo  RGBA, a photo-like picture (gradients, texture, sensor noise) with the edit area erased
               (alpha 0) -- the mask OpenAI's docs describe: the image itself with a transparent hole
                                                            (colour type 6)  -> mode white_edits

Rows are filtered the way libpng and Pillow do by default (per row, the filter with the smallest sum of absolute
values), then deflated at the given zlib level, so the decoder meets all five filter types.
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import zlib

import numpy as np

THRESHOLD = 128


def shape(size, seed=5):
    """The mask's gray value per pixel (uint8): 255 inside the ellipse, 0 outside, a noisy ramp across the edge."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    cx, cy, rx, ry, angle = 0.53 * size, 0.47 * size, 0.29 * size, 0.19 * size, np.radians(23)
    dx, dy = x - cx, y - cy
    u = (dx * np.cos(angle) + dy * np.sin(angle)) / rx
    v = (-dx * np.sin(angle) + dy * np.cos(angle)) / ry
    r = np.sqrt(u * u + v * v)
    # Signed distance to the border in pixels (approximate: scaled by the local radius), wobbled at low frequency.
    theta = np.arctan2(v, u)
    wobble = 6 * np.sin(5 * theta) + 3 * np.sin(13 * theta + 1.0)
    dist = (1 - r) * (rx * ry / np.sqrt((ry * np.cos(theta)) ** 2 + (rx * np.sin(theta)) ** 2)) + wobble
    band = 12.0
    ramp = np.clip(0.5 + dist / (2 * band), 0, 1)
    noise = rng.normal(0, 0.18, (size, size))
    soft = np.clip(ramp + noise * ((ramp > 0) & (ramp < 1)), 0, 1)
    return np.round(soft * 255).astype(np.uint8)


def photo(size, seed=7):
    """Photo-like RGB: smooth gradients and a few soft blobs, fine texture, and sensor noise (sigma 3)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size].astype(np.float64) / size
    r = 120 + 90 * x - 40 * y + 25 * np.sin(9 * x + 3 * y)
    g = 100 + 60 * y + 30 * np.cos(7 * y - 4 * x) + 20 * np.sin(23 * x * y)
    b = 90 + 70 * (1 - x) * y + 35 * np.sin(5 * (x + y))
    for _ in range(6):
        bx, by, br = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.05, 0.2)
        blob = np.exp(-((x - bx) ** 2 + (y - by) ** 2) / (2 * br * br))
        tint = rng.uniform(-60, 60, 3)
        r, g, b = r + tint[0] * blob, g + tint[1] * blob, b + tint[2] * blob
    texture = 6 * np.sin(140 * x + 40 * np.sin(30 * y)) * np.sin(120 * y)
    channels = [c + texture + rng.normal(0, 3, (size, size)) for c in (r, g, b)]
    return np.stack([np.clip(np.round(c), 0, 255).astype(np.uint8) for c in channels], axis=-1)


def filtered(pixels, bpp):
    """PNG scanlines with adaptive filtering (minimum sum of absolute differences per row, as libpng/Pillow)."""
    height = pixels.shape[0]
    raw = pixels.reshape(height, -1).astype(np.int16)
    left = np.zeros_like(raw)
    left[:, bpp:] = raw[:, :-bpp]
    up = np.zeros_like(raw)
    up[1:] = raw[:-1]
    upleft = np.zeros_like(raw)
    upleft[1:, bpp:] = raw[:-1, :-bpp]
    p = left + up - upleft
    pa, pb, pc = np.abs(p - left), np.abs(p - up), np.abs(p - upleft)
    paeth = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, upleft))
    candidates = np.stack([raw, raw - left, raw - up, raw - ((left + up) >> 1), raw - paeth]).astype(np.uint8)
    # libpng's heuristic: bytes as signed values, sum of magnitudes, smallest wins.
    cost = np.abs(candidates.astype(np.int8).astype(np.int32)).sum(axis=2)
    choice = cost.argmin(axis=0)
    rows = candidates[choice, np.arange(height)]
    return np.concatenate([choice.astype(np.uint8)[:, None], rows], axis=1).tobytes()


def png(pixels, color_type, level):
    height, width = pixels.shape[:2]
    bpp = {0: 1, 2: 3, 6: 4}[color_type]

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(filtered(pixels, bpp), level))
            + chunk(b"IEND", b""))


def decode_with_ffmpeg(path, pix_fmt):
    return subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", pix_fmt, "-"],
                          check=True, capture_output=True).stdout


def make(args):
    os.makedirs(args.dir, exist_ok=True)
    size = args.size
    gray = shape(size)
    edit = (gray >= THRESHOLD).astype(np.uint8)
    erased = 255 - gray                       # alpha: 0 where the gray mask is white (to edit)
    kinds = {
        "bw-gray": (gray, 0),
        "bw-rgb": (np.repeat(gray[:, :, None], 3, axis=2), 2),
        "alpha-black": (np.dstack([np.zeros((size, size, 3), np.uint8), erased]), 6),
        "alpha-photo": (np.dstack([photo(size), erased]), 6),
    }
    # Every kind marks the same pixels: gray/luminance >= 128 (white) or alpha < 128.
    open(os.path.join(args.dir, "edit.map"), "wb").write(edit.tobytes())
    index = []
    for kind, (pixels, color_type) in kinds.items():
        for level in (int(v) for v in args.levels.split(",")):
            path = os.path.join(args.dir, f"{kind}-z{level}.png")
            data = png(pixels, color_type, level)
            open(path, "wb").write(data)
            index.append({"kind": kind, "level": level, "file": os.path.basename(path), "color_type": color_type,
                          "bytes": len(data), "edit_fraction": round(float(edit.mean()), 4)})
        # The encoder checked against an independent decoder, once per kind.
        fmt = {0: "gray", 2: "rgb24", 6: "rgba"}[color_type]
        if decode_with_ffmpeg(path, fmt) != pixels.tobytes():
            sys.exit(f"masks.py: ffmpeg decodes {path} differently from what was encoded")
    json.dump({"size": size, "files": index}, open(os.path.join(args.dir, "masks.json"), "w"), indent=1)
    for item in index:
        print(f"  {item['file']:<22} colour type {item['color_type']}  {item['bytes']:>9,} bytes")


def check(args):
    size = args.size
    edit = np.frombuffer(open(args.edit, "rb").read(), np.uint8)
    result = {"case": args.case, "file": os.path.basename(args.output), "mode": args.mode, "ok": False}
    try:
        if args.mode == "alpha":
            out = np.frombuffer(decode_with_ffmpeg(args.output, "rgba"), np.uint8).reshape(-1, 4)
            want_alpha = np.where(edit == 1, 0, 255).astype(np.uint8)
            bad = int(((out[:, 3] != want_alpha) | out[:, :3].any(axis=1)).sum()) if len(out) == size * size else -1
        else:
            out = np.frombuffer(decode_with_ffmpeg(args.output, "gray"), np.uint8)
            want = np.where(edit == 1, 255 if args.mode == "white_edits" else 0, 0 if args.mode == "white_edits" else 255)
            bad = int((out != want.astype(np.uint8)).sum()) if len(out) == size * size else -1
        result.update(ok=bad == 0, wrong_pixels=bad, edit_pixels=int(edit.sum()))
    except subprocess.CalledProcessError as error:
        result["error"] = error.stderr.decode(errors="replace").strip()
    print(json.dumps(result))
    sys.exit(0 if result["ok"] else 1)


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("make")
    m.add_argument("--dir", required=True)
    m.add_argument("--size", type=int, default=1024)
    m.add_argument("--levels", default="1,6,9")
    c = sub.add_parser("check")
    c.add_argument("--edit", required=True)
    c.add_argument("--mode", required=True, choices=["alpha", "white_edits", "black_edits"])
    c.add_argument("--size", type=int, default=1024)
    c.add_argument("--case", default="", help="a name carried into the JSON line")
    c.add_argument("output")
    args = parser.parse_args()
    make(args) if args.command == "make" else check(args)


if __name__ == "__main__":
    main()
