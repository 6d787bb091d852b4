"""Just enough PNG for the tests: write a solid RGBA image, and read any 8-bit non-interlaced PNG back to RGBA
pixels (zlib and the five row filters), so checking a mask needs no imaging library."""
import struct
import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}


def write(width, height, rgba=(30, 90, 200, 255)):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = (b"\x00" + bytes(rgba) * width) * height
    return (SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def read(data):
    """(width, height, rows) where rows[y][x] is an (r, g, b, a) tuple."""
    assert data[:8] == SIGNATURE, "not a PNG"
    offset, idat, header = 8, b"", None
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        body = data[offset + 8:offset + 8 + length]
        offset += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and interlace == 0 and color in CHANNELS, f"unsupported PNG {header}"
    bpp = CHANNELS[color]
    raw = zlib.decompress(idat)
    stride = width * bpp
    previous = bytearray(stride)
    rows = []
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = previous[i]
            corner = previous[i - bpp] if i >= bpp else 0
            predictor = (0, left, up, (left + up) // 2, _paeth(left, up, corner))[kind]
            line[i] = (line[i] + predictor) & 0xFF
        previous = line
        rows.append([_rgba(line[x * bpp:(x + 1) * bpp], color) for x in range(width)])
    return width, height, rows


def _rgba(px, color):
    if color == 6:
        return tuple(px)
    if color == 2:
        return (px[0], px[1], px[2], 255)
    if color == 4:
        return (px[0], px[0], px[0], px[1])
    return (px[0], px[0], px[0], 255)
