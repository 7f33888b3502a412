"""The KuDE QR image: both encoders (zxing-cpp, segno fallback) give a grayscale PNG that decodes
to the exact dCarQR URL, with the 4-module quiet zone."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image

from sifenflow_common.kude import qr
from tests.unit.kude.conftest import decode_qr

pytestmark = pytest.mark.unit

URL = (
    "https://ekuatia.set.gov.py/consultas-test/qr?nVersion=150&Id=01800695631001001000000122026112010151"
    "578671827&dFeEmiDE=323032362d31312d32305431303a31353a3030&dRucRec=80013884&dTotGralOpe=750000"
    "&dTotIVA=57360&cItems=10&DigestValue=4a4e4d3d&IdCSC=0001&cHashQR=0123456789abcdef"
)


@pytest.mark.parametrize("encoder", ["zxing", "segno"])
def test_qr_png_decodes_to_the_url(encoder: str, tmp_path: Path) -> None:
    rows = qr.qr_rows(URL, encoder=encoder)
    assert len(rows) == len(rows[0]) and (len(rows) - 17) % 4 == 0  # a QR symbol: 21, 25, … modules
    image = Image.open(io.BytesIO(qr.gray_png(rows)))
    assert image.mode == "L" and image.size == (len(rows) + 8, len(rows) + 8)
    assert image.getpixel((3, 3)) == 255 and image.getpixel((4, 4)) == 0  # quiet zone, finder corner
    png = tmp_path / "qr.png"
    image.resize((image.width * 8, image.height * 8), Image.Resampling.NEAREST).save(png)
    assert decode_qr(png) == [URL]


def test_data_uri_is_a_png() -> None:
    uri = qr.qr_png_data_uri(URL)
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]).startswith(b"\x89PNG\r\n\x1a\n")
