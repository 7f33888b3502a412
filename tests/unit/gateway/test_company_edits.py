"""Company edits without I/O: the SVG logo sanitiser, the PATCH parser, the timbrado valid at a
document's date, and the go-live checklist."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from sifenflow_common.sifen.test_ca import ensure_test_ca, issue_test_p12
from sifenflow_common.tenants.changes import parse_tenant_patch
from sifenflow_common.tenants.golive import checklist, missing
from sifenflow_common.tenants.input import parse_tenant_input
from sifenflow_common.tenants.logo import Logo, LogoError, parse_logo, sanitize_svg
from sifenflow_common.tenants.model import Environment, Tenant, TenantSecrets, Timbrado
from sifenflow_common.tenants.simulado import simulator_entry, with_simulado_credentials
from tests.unit.gateway.samples import make_p12, tenant_body

pytestmark = pytest.mark.unit

TODAY = date(2026, 12, 7)
SVG = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="40" height="20"
     onload="alert(1)">
  <script>alert('x')</script>
  <foreignObject><div xmlns="http://www.w3.org/1999/xhtml">hola</div></foreignObject>
  <image href="https://evil.example/track.png" width="1" height="1"/>
  <rect id="r" x="0" y="0" width="40" height="20" fill="url(https://evil.example/p#g)" onclick="steal()"/>
  <circle cx="10" cy="10" r="5" fill="url(#grad)" style="background:url(https://evil.example/x)"/>
  <use xlink:href="https://evil.example/sprite.svg#a"/>
  <use xlink:href="#r"/>
  <text x="1" y="15" font-size="8">ACME<tspan>SA</tspan></text>
</svg>"""


def _tenant(**overrides: object) -> Tenant:
    data, issues = parse_tenant_input(tenant_body("acme"))
    assert data is not None, issues
    base = Tenant(
        id=uuid.uuid4(),
        slug=data.slug,
        nombre=data.nombre,
        environment=data.environment,
        sifen_base_url="http://sim",
        params=data.params,
        timbrados=data.timbrados,
        puntos=data.puntos,
        csc_id=data.csc_id,
        has_csc=True,
        has_certificate=False,
        certificate_not_after=None,
    )
    fields = {s: getattr(base, s) for s in Tenant.__dataclass_fields__}
    fields.update(overrides)
    return Tenant(**fields)  # type: ignore[arg-type]


def test_svg_sanitiser_strips_scripts_handlers_and_external_references() -> None:
    clean = sanitize_svg(SVG)
    text = clean.decode()
    for bad in ("script", "alert", "onload", "onclick", "foreignObject", "evil.example", "style", "<image"):
        assert bad not in text, bad
    assert 'fill="url(#grad)"' in text and 'href="#r"' in text  # local references stay
    assert "<rect" in text and "ACME" in text and "SA" in text


def test_svg_with_doctype_or_entities_is_refused() -> None:
    xxe = b"""<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>"""
    with pytest.raises(LogoError) as exc:
        sanitize_svg(xxe)
    assert exc.value.issue.code == "LOGO_INVALIDO"


def test_logo_accepts_png_and_svg_and_refuses_other_or_oversized() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    assert parse_logo(base64.b64encode(png).decode()) == Logo("image/png", png)
    svg = parse_logo(base64.b64encode(SVG).decode())
    assert svg.media_type == "image/svg+xml" and b"script" not in svg.content
    for bad, code in (
        (base64.b64encode(b"GIF89a....").decode(), "LOGO_INVALIDO"),
        ("no es base64!", "LOGO_INVALIDO"),
        (base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 300_000).decode(), "LOGO_DEMASIADO_GRANDE"),
    ):
        with pytest.raises(LogoError) as exc:
            parse_logo(bad)
        assert exc.value.issue.code == code


def test_patch_renewal_puntos_establecimiento_and_csc_without_secrets_in_changes() -> None:
    tenant = _tenant()
    body = {
        "razonSocial": "ACME Nueva SA",
        "timbrado": {"numero": "87654321", "fechaInicio": "2026-12-01", "fechaFin": "2027-11-30"},
        "establecimientos": [{"codigo": "002", "direccion": "Ruta 2", "numeroCasa": "0", "departamento": 1}],
        "puntos": {"001": ["001", "003"]},
        "cscId": "2",
        "csc": "EFGH1111111111111111111111111111",
    }
    patch, issues = parse_tenant_patch(tenant, body, today=TODAY)
    assert patch is not None, issues
    assert patch.params["razonSocial"] == "ACME Nueva SA"
    assert patch.params["timbradoNumero"] == "87654321"  # valid today
    assert [t.numero for t in patch.timbrados] == [tenant.timbrado_numero, "87654321"]
    assert patch.puntos == {"001": ("001", "003"), "002": ("001",)}
    assert patch.csc == ("0002", "EFGH1111111111111111111111111111")
    assert "EFGH" not in repr(patch.changes)
    assert {c["campo"] for c in patch.changes} == {
        "razonSocial",
        "timbrado",
        "establecimientos",
        "puntos",
        "csc",
    }


def test_patch_refuses_unknown_fields_bad_puntos_and_deactivation_hides_establecimiento() -> None:
    tenant = _tenant()
    patch, issues = parse_tenant_patch(tenant, {"ruc": "1-1", "puntos": {"009": ["001"]}}, today=TODAY)
    assert patch is None and [i.code for i in issues] == ["CAMPO_NO_EDITABLE"]
    patch, issues = parse_tenant_patch(tenant, {"puntos": {"009": ["001"]}}, today=TODAY)
    assert patch is None and issues[0].code == "PUNTO_INVALIDO" and issues[0].path == "puntos.009"
    patch, _ = parse_tenant_patch(
        tenant, {"establecimientos": [{"codigo": "001", "activo": False}]}, today=TODAY
    )
    assert patch is not None
    assert _tenant(params=patch.params).establecimiento_codes() == []


def test_documents_take_the_timbrado_valid_at_their_date() -> None:
    tenant = _tenant(
        timbrados=(
            Timbrado("12558946", "2022-08-25", "2026-11-30"),
            Timbrado("87654321", "2026-12-01", None),
        ),
    )
    assert tenant.params_at("2026-11-15T10:00:00")["timbradoNumero"] == "12558946"
    renewed = tenant.params_at("2026-12-05T10:00:00")
    assert renewed["timbradoNumero"] == "87654321" and renewed["timbradoFecha"] == "2026-12-01"


def test_simulado_company_gets_test_certificate_csc_and_simulator_entry(tmp_path: Path) -> None:
    data, _ = parse_tenant_input(
        {k: v for k, v in tenant_body("nueva", with_cert=False).items() if k not in ("cscId", "csc")}
    )
    assert data is not None
    filled, generated = with_simulado_credentials(data, tmp_path / "ca")
    assert generated == ["certificado de prueba", "csc"]
    assert filled.certificate_p12 and filled.csc and filled.csc_id == "0001"
    entry = simulator_entry(_tenant(), "0001", "S3CRET")
    assert entry["ruc"] == "80069563-1" and entry["csc"] == {"0001": "S3CRET"}
    assert entry["timbrados"][0]["establecimientos"] == {"001": ["001", "002"]}


def test_checklist_needs_a_real_ca_certificate_a_set_csc_and_a_valid_timbrado(tmp_path: Path) -> None:
    ca_dir = tmp_path / "ca"
    tenant = _tenant(timbrados=(Timbrado("12558946", "2022-08-25", None),))
    now = datetime(2026, 12, 7, tzinfo=UTC)
    test_p12 = issue_test_p12(ensure_test_ca(ca_dir), ruc="80069563-1", name="X", password="p")
    with_test_cert = TenantSecrets("0001", "GENERATED", test_p12, "p")
    items = checklist(
        tenant, with_test_cert, csc_generated=True, smtp_configured=False, test_ca_dir=ca_dir, now=now
    )
    assert [i.code for i in missing(items)] == ["CERTIFICADO", "CSC"]
    self_signed = TenantSecrets("0001", "SETCSC", make_p12("80069563-1", "p"), "p")
    items = checklist(
        tenant, self_signed, csc_generated=False, smtp_configured=False, test_ca_dir=ca_dir, now=now
    )
    assert [i.code for i in missing(items)] == ["CERTIFICADO"]
    expired = _tenant(
        timbrados=(Timbrado("12558946", "2022-08-25", "2025-01-01"),), environment=Environment.TEST
    )
    items = checklist(
        expired, self_signed, csc_generated=False, smtp_configured=True, test_ca_dir=ca_dir, now=now
    )
    assert "TIMBRADO" in [i.code for i in missing(items)]
    items = checklist(
        tenant,
        self_signed,
        csc_generated=False,
        smtp_configured=True,
        test_ca_dir=ca_dir,
        in_flight=2,
        now=now,
    )
    assert [i.code for i in missing(items)] == ["CERTIFICADO", "DOCUMENTOS_EN_CURSO"]
