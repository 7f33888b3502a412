"""``sifenflow kude SIGNED.xml --out FILE.pdf [--format a4|ticket] [--logo FILE]`` (issue 7 item 4)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from sifenflow_cli.main import cli
from sifenflow_kude.samples import sample_rde
from tests.conftest import shared_examples_dir

from .conftest import pdf_info, pdf_text, squash

pytestmark = pytest.mark.unit


def test_kude_command_renders_an_official_example(tmp_path: Path) -> None:
    out = tmp_path / "nd.pdf"
    logo = tmp_path / "logo.png"
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (0, 90, 160)).save(buffer, format="PNG")
    logo.write_bytes(buffer.getvalue())
    source = shared_examples_dir() / "ND_v150_20190910.xml"
    result = CliRunner().invoke(cli, ["kude", str(source), "--out", str(out), "--logo", str(logo)])
    assert result.exit_code == 0, result.output
    pdf = out.read_bytes()
    assert pdf_info(pdf, tmp_path)["Page size"].startswith("595.")
    text = squash(pdf_text(pdf, tmp_path))
    assert "NOTA DE DÉBITO ELECTRÓNICA" in text and "N° 001-001-0000026" in text


def test_kude_command_ticket_format(tmp_path: Path) -> None:
    out = tmp_path / "fe.pdf"
    source = shared_examples_dir() / "FE_v150_20190910.xml"
    result = CliRunner().invoke(cli, ["kude", str(source), "--out", str(out), "--format", "ticket"])
    assert result.exit_code == 0, result.output
    width = float(pdf_info(out.read_bytes(), tmp_path)["Page size"].split()[0])
    assert round(width / 72 * 25.4) == 80


@pytest.mark.parametrize(
    ("content", "logo", "code"),
    [
        (b"no es xml", None, "KUDE_XML_INVALIDO"),
        (None, b"not an image", "KUDE_LOGO_INVALIDO"),
    ],
)
def test_kude_command_bad_input_exits_2_with_json(
    tmp_path: Path, content: bytes | None, logo: bytes | None, code: str
) -> None:
    source = tmp_path / "in.xml"
    source.write_bytes(content or sample_rde("fe", items=1).xml)
    args = ["kude", str(source), "--out", str(tmp_path / "o.pdf")]
    if logo is not None:
        (tmp_path / "logo.bin").write_bytes(logo)
        args += ["--logo", str(tmp_path / "logo.bin")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    (issue,) = json.loads(result.stderr)
    assert issue["code"] == code and issue["message"]
    assert not (tmp_path / "o.pdf").exists()


def test_kude_command_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["kude", str(tmp_path / "nope.xml"), "--out", str(tmp_path / "o.pdf")])
    assert result.exit_code == 2
    assert json.loads(result.stderr)[0]["code"] == "ARCHIVO_NO_LEIDO"
