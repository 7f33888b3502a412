"""The KuDE QR image, made cheaply.

The symbol is encoded by zxing-cpp (C++, ~1 ms for a SIFEN URL) when it is installed, else by segno
with one fixed mask (segno scores the eight masks in pure Python, which costs more than the rest;
any mask is valid, ISO/IEC 18004 §7.8): ~4 ms. The image is written here as an 8-bit grayscale PNG
of one pixel per module with a 4-module quiet zone: weasyprint embeds a grayscale PNG as it is,
while a 1-bit PNG (what segno and Pillow write) is converted to RGB and re-encoded twice per PDF.
CSS scales it with ``image-rendering: pixelated`` (the PDF image gets ``/Interpolate false``), so
it stays sharp at any zoom and weighs about 1 KB.
"""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import Sequence
from types import ModuleType

QR_MASK = 0
QR_ERROR = "m"
QUIET_ZONE = 4  # modules of white around the symbol (ISO/IEC 18004 §6.3.8)

DARK = 0x00
LIGHT = 0xFF

_zxing: ModuleType | None
try:
    import zxingcpp as _zxing
except ImportError:  # pragma: no cover - platforms without a zxing-cpp wheel
    _zxing = None


def _rows_zxing(text: str) -> list[bytes]:
    assert _zxing is not None
    code = _zxing.create_barcode(text, _zxing.BarcodeFormat.QRCode, ec_level=QR_ERROR.upper())
    image = memoryview(code.to_image(scale=1, add_quiet_zones=False))
    size = image.shape[1] if image.shape else 0
    data = image.tobytes()
    # zxing-cpp writes 0 for dark and 255 for light modules, as our PNG wants
    return [data[i * size : (i + 1) * size] for i in range(len(data) // size)]


def _rows_segno(text: str) -> list[bytes]:
    import segno

    code = segno.make(text, error=QR_ERROR, mask=QR_MASK, micro=False)
    return [bytes(DARK if bit else LIGHT for bit in row) for row in code.matrix]


def qr_rows(text: str, *, encoder: str | None = None) -> list[bytes]:
    """The QR for ``text`` as rows of module bytes (0 dark, 255 light), quiet zone not included.
    ``encoder`` forces "zxing" or "segno" (tests); by default zxing-cpp when installed."""
    if encoder == "segno" or (encoder is None and _zxing is None):
        return _rows_segno(text)
    return _rows_zxing(text)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def gray_png(rows: Sequence[bytes], border: int = QUIET_ZONE) -> bytes:
    """An 8-bit grayscale PNG of ``rows`` (one byte per pixel) with ``border`` light pixels around."""
    width = (len(rows[0]) if rows else 0) + 2 * border
    blank = b"\x00" + bytes([LIGHT]) * width  # each scanline starts with filter type 0 (None)
    pad = bytes([LIGHT]) * border
    raw = b"".join([blank * border, *(b"\x00" + pad + row + pad for row in rows), blank * border])
    height = len(rows) + 2 * border
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit, grayscale, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 1))  # weasyprint re-compresses it for the PDF
        + _chunk(b"IEND", b"")
    )


def qr_png_data_uri(text: str) -> str:
    """``data:image/png;base64,…`` of the QR for ``text`` (the dCarQR URL, unescaped)."""
    return "data:image/png;base64," + base64.b64encode(gray_png(qr_rows(text))).decode("ascii")
