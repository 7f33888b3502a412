"""The reference data that ships with the product (XSDs of the ``sifen`` package, the geographic
catalog and the WSDLs of ``sifenflow_common/sifen/data``) and the ``SIFEN_REFERENCE_DIR`` override.
Comparisons with the official bundle run when it sits at ``../shared/sifen`` (tests/conftest.py)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from lxml import etree

from sifenflow_common.sifen import reference, soap
from sifenflow_common.sifen.catalogs import geografia
from tests.conftest import shared_sifen

pytestmark = pytest.mark.unit

_LOCATION = re.compile(rb"""schemaLocation\s*=\s*(["'])([^"']+)\1""")
WSDL_NS = "{http://schemas.xmlsoap.org/wsdl/}"
SOAP12_NS = "{http://schemas.xmlsoap.org/wsdl/soap12/}"


def _comparable(schema: bytes) -> bytes:
    """Schema text with every include/import naming its file only, LF line endings, no trailing
    blank: the published set includes by absolute URL, the package by relative name."""
    text = schema.replace(b"\r\n", b"\n")
    text = _LOCATION.sub(lambda m: b'schemaLocation="' + m.group(2).rsplit(b"/", 1)[-1] + b'"', text)
    return text.rstrip()


def _rows(path: Path) -> set[tuple[str, ...]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return {tuple(cell.strip() for cell in row.values()) for row in csv.DictReader(fh)}


def test_without_override_everything_comes_from_the_installation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(reference.ENV_VAR, raising=False)
    assert reference.xsd_dir() == reference.packaged_xsd_dir()
    assert len(list(reference.xsd_dir().glob("*.xsd"))) == 47
    assert (reference.catalogs_dir() / "geografia.csv").is_file()
    assert reference.catalogs_dir() == reference.PACKAGED_DATA
    assert reference.wsdl_dir() == reference.PACKAGED_DATA / "wsdl"


def test_the_override_supplies_xsds_catalogs_and_wsdls(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "xsd").mkdir()
    monkeypatch.setenv(reference.ENV_VAR, str(tmp_path))
    assert reference.xsd_dir() == tmp_path / "xsd"
    assert reference.catalogs_dir() == tmp_path / "catalogs"
    assert reference.wsdl_dir() == tmp_path / "wsdl"


def test_an_override_without_schemas_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(reference.ENV_VAR, str(tmp_path / "nothing"))
    with pytest.raises(reference.ReferenceBundleMissing, match="SIFEN_REFERENCE_DIR"):
        reference.xsd_dir()


def test_packaged_xsds_are_the_official_set(monkeypatch: pytest.MonkeyPatch) -> None:
    official = shared_sifen() / "xsd"
    monkeypatch.delenv(reference.ENV_VAR, raising=False)
    packaged = reference.packaged_xsd_dir()
    names = sorted(p.name for p in official.glob("*.xsd"))
    assert names == sorted(p.name for p in packaged.glob("*.xsd")) and len(names) == 47
    differing = [
        name
        for name in names
        if _comparable((official / name).read_bytes()) != _comparable((packaged / name).read_bytes())
    ]
    assert differing == []


def test_packaged_geography_holds_the_official_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    official = shared_sifen() / "catalogs" / "geografia.csv"
    monkeypatch.delenv(reference.ENV_VAR, raising=False)
    packaged = reference.catalogs_dir() / "geografia.csv"
    assert _rows(packaged) == _rows(official)


def test_packaged_geography_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(reference.ENV_VAR, raising=False)
    rows = _rows(reference.PACKAGED_DATA / "geografia.csv")
    assert len(rows) == 7735
    assert len({r[0] for r in rows}) == 18 and len({r[2] for r in rows}) == 272
    assert len({r[4] for r in rows}) == 6766 and len({r[6] for r in rows if r[6]}) == 1104
    geo = geografia()
    assert geo.departamentos[1] == "CAPITAL" and geo.ciudades[1].name == "ASUNCION (DISTRITO)"


@pytest.mark.parametrize("operation", list(soap.Operation), ids=lambda op: op.value)
def test_packaged_wsdl_describes_the_operation_at_its_path(operation: soap.Operation) -> None:
    path = soap.PATHS[operation]
    root = etree.parse(str(reference.PACKAGED_DATA / "wsdl" / path.removeprefix("/de/ws/"))).getroot()
    address = root.find(f"{WSDL_NS}service/{WSDL_NS}port/{SOAP12_NS}address")
    assert address is not None and address.get("location") == "https://sifen-test.set.gov.py" + path
    binding = root.find(f"{WSDL_NS}binding/{SOAP12_NS}binding")
    assert binding is not None and binding.get("style") == "document"
    assert root.find(f"{WSDL_NS}binding/{WSDL_NS}operation/{SOAP12_NS}operation") is not None


@pytest.mark.parametrize("operation", list(soap.Operation), ids=lambda op: op.value)
def test_packaged_wsdl_names_the_official_messages(operation: soap.Operation) -> None:
    relative = soap.PATHS[operation].removeprefix("/de/ws/")
    official = etree.parse(str(shared_sifen() / "wsdl" / relative)).getroot()
    ours = etree.parse(str(reference.PACKAGED_DATA / "wsdl" / relative)).getroot()

    def elements(root: etree._Element) -> list[str]:
        return [str(part.get("element")).split(":")[-1] for part in root.iter(f"{WSDL_NS}part")]

    assert elements(ours) == elements(official)
