"""Event XML (siRecepEvento, MT v150 §11; protocol §7): every type builds, signs over rEve, validates
against siRecepEvento_v150.xsd, and verifies with xmlsec1 and our verifier; business rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree

from sifenflow_common.errors import DocumentInvalid
from sifenflow_common.sifen.certificates import SigningCredentials
from sifenflow_common.sifen.event_rules import EventContext, check_event_rules
from sifenflow_common.sifen.events import (
    EVENT_KINDS,
    build_event,
    build_event_request,
    cancelacion,
    event_group,
    sign_event,
    verify_event_request,
)
from sifenflow_common.sifen.namespaces import DSIG_NS, SIFEN_NS
from sifenflow_common.sifen.xsd import SCHEMA_EVENT, SCHEMA_WS_RECEP_EVENTO, schema_errors
from tests.unit.signing.conftest import SIGNED_AT, xmlsec1_verify
from tests.unit.signing.event_bodies import BODIES, CDC_FE

pytestmark = pytest.mark.unit
S = "{" + SIFEN_NS + "}"
D = "{" + DSIG_NS + "}"

GROUP_OF = {
    "cancelacion": "rGeVeCan",
    "inutilizacion": "rGeVeInu",
    "conformidad": "rGeVeConf",
    "disconformidad": "rGeVeDisconf",
    "desconocimiento": "rGeVeDescon",
    "notificacion": "rGeVeNotRec",
    "nominacion": "rGEveNom",
    "transporte": "rGeVeTr",
}


def test_every_event_kind_has_a_body() -> None:
    assert set(BODIES) == set(EVENT_KINDS) == set(GROUP_OF)


@pytest.mark.parametrize("kind", sorted(GROUP_OF))
def test_event_builds_signs_validates_and_verifies(
    kind: str,
    credentials: SigningCredentials,
    test_ca,
    xmlsec1: str,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    r_eve = build_event(kind, BODIES[kind], event_id=42)
    request = build_event_request(7, [sign_event(r_eve, credentials, signed_at=SIGNED_AT)])
    root = etree.fromstring(request)
    # rEnviEventoDe/dId + dEvReg/gGroupGesEve/rGesEve/(rEve, Signature)
    assert root.tag == S + "rEnviEventoDe" and root.findtext(S + "dId") == "7"
    r_ges_eve = root.find(f"{S}dEvReg/{S}gGroupGesEve/{S}rGesEve")
    assert [c.tag for c in r_ges_eve] == [S + "rEve", D + "Signature"]
    r_eve = r_ges_eve[0]
    assert r_eve.get("Id") == "42"
    assert r_eve.findtext(S + "dFecFirma") == "2026-11-20T10:20:00"  # signed_at, set before signing
    assert r_eve.findtext(S + "dVerFor") == "150"
    assert r_eve.find(f"{S}gGroupTiEvt/{S}{GROUP_OF[kind]}") is not None
    assert r_ges_eve[1].find(f"{D}SignedInfo/{D}Reference").get("URI") == "#42"
    assert schema_errors(event_group(request), SCHEMA_EVENT) == []
    assert schema_errors(root, SCHEMA_WS_RECEP_EVENTO) == []
    result = xmlsec1_verify(xmlsec1, request, tmp_path, id_node="rEve", ca=test_ca)
    assert result.returncode == 0, result.stderr
    (report,) = verify_event_request(request, trusted_roots=[test_ca.certificate])
    assert report.ok, report.failures
    assert report.certificate_ruc == "80069563-1"


def test_request_with_fifteen_events_validates_and_each_signature_verifies(
    credentials: SigningCredentials,
) -> None:
    kinds = sorted(BODIES)
    signed = [
        sign_event(
            build_event(kinds[i % len(kinds)], BODIES[kinds[i % len(kinds)]], event_id=i + 1), credentials
        )
        for i in range(15)
    ]
    request = build_event_request(1, signed)
    assert schema_errors(event_group(request), SCHEMA_EVENT) == []
    reports = verify_event_request(request)
    assert len(reports) == 15 and all(r.ok for r in reports)
    with pytest.raises(ValueError):
        build_event_request(1, [*signed, signed[0]])


def test_inutilizacion_of_boletas_de_venta_validates_resimple_is_not_in_the_event_schema(
    credentials: SigningCredentials,
) -> None:
    """tiTiDEEv (Evento_Types_v150.xsd) enumerates 9 (boleta de venta) but not 10 (boleta resimple)."""
    body = dict(BODIES["inutilizacion"], tipoDocumento=9)
    request = build_event_request(
        1, [sign_event(build_event("inutilizacion", body, event_id=3), credentials)]
    )
    assert schema_errors(event_group(request), SCHEMA_EVENT) == []
    with pytest.raises(DocumentInvalid) as info:
        build_event("inutilizacion", dict(body, tipoDocumento=10), event_id=4)
    assert [(i.code, i.path) for i in info.value.issues] == [("VALOR_NO_PERMITIDO", "data.tipoDocumento")]


def test_tampered_event_fails_both_verifiers(
    credentials: SigningCredentials, xmlsec1: str, tmp_path: Path
) -> None:
    request = build_event_request(
        1, [sign_event(cancelacion(BODIES["cancelacion"], event_id=5), credentials)]
    )
    tampered = request.replace(b"Error en los datos", b"Error en los dates")
    assert xmlsec1_verify(xmlsec1, tampered, tmp_path, id_node="rEve").returncode != 0
    (report,) = verify_event_request(tampered)
    assert not report.ok and {c.name: c.ok for c in report.checks}["digest"] is False


def test_bad_event_body_lists_every_issue_with_json_paths() -> None:
    with pytest.raises(DocumentInvalid) as info:
        build_event("cancelacion", {"cdc": CDC_FE[:-1] + "0", "motivo": "no"}, event_id=1)
    codes = {(i.code, i.path) for i in info.value.issues}
    assert ("CDC_INVALIDO", "data.cdc") in codes and ("LONGITUD_INVALIDA", "data.motivo") in codes
    with pytest.raises(DocumentInvalid) as info:
        build_event("inutilizacion", {"tipoDocumento": 10}, event_id=1)
    paths = {i.path for i in info.value.issues}
    assert {
        "data.timbrado",
        "data.establecimiento",
        "data.desde",
        "data.hasta",
        "data.tipoDocumento",
    } <= paths
    with pytest.raises(DocumentInvalid) as info:
        build_event("endoso", {}, event_id=1)
    assert info.value.issues[0].code == "EVENTO_DESCONOCIDO"


NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def _ctx(**kw) -> EventContext:  # type: ignore[no-untyped-def]
    base = {"now": NOW, "signer_ruc": "80069563-1", "issuer_ruc": "80069563-1", "receptor_ruc": "80002201-7"}
    base.update(kw)
    return EventContext(**base)


def _codes(kind: str, context: EventContext, body: dict | None = None) -> set[str]:  # type: ignore[type-arg]
    return {i.code for i in check_event_rules(kind, body if body is not None else BODIES[kind], context)}


def test_cancel_window_48h_for_fe_168h_for_other_types() -> None:
    # MT v150 §6.2.1, validations 4009 (FE 48 h) and 4010 (other DTE 168 h), from approval.
    assert (
        _codes("cancelacion", _ctx(document_type=1, approved_at=NOW - timedelta(hours=47, minutes=59)))
        == set()
    )
    assert "CANCELACION_FUERA_DE_PLAZO" in _codes(
        "cancelacion", _ctx(document_type=1, approved_at=NOW - timedelta(hours=48, seconds=1))
    )
    assert _codes("cancelacion", _ctx(document_type=5, approved_at=NOW - timedelta(hours=100))) == set()
    assert _codes("cancelacion", _ctx(document_type=7, approved_at=NOW - timedelta(hours=167))) == set()
    assert "CANCELACION_FUERA_DE_PLAZO" in _codes(
        "cancelacion", _ctx(document_type=4, approved_at=NOW - timedelta(hours=169))
    )
    assert "DTE_NO_APROBADO" in _codes("cancelacion", _ctx(document_type=1))  # 4002
    assert "EVENTO_DUPLICADO" in _codes(
        "cancelacion", _ctx(document_type=1, approved_at=NOW, prior_events=frozenset({"cancelacion"}))
    )  # 4003
    assert "DTE_CON_CONFORMIDAD" in _codes(
        "cancelacion", _ctx(document_type=1, approved_at=NOW, prior_events=frozenset({"conformidad"}))
    )  # 4004


def test_recibo_admits_only_its_cancelacion_without_sifen_deadlines() -> None:
    """The recibo digital (55) is ours, never sent to SIFEN: no 4010 deadline, no other event."""
    recibo = _ctx(document_type=55, approved_at=NOW - timedelta(days=30))
    assert _codes("cancelacion", recibo) == set()
    assert "EVENTO_DUPLICADO" in _codes(
        "cancelacion", _ctx(document_type=55, approved_at=NOW, prior_events=frozenset({"cancelacion"}))
    )
    assert "EVENTO_NO_APLICA" in _codes("nominacion", recibo)
    assert _codes("cancelacion", _ctx(document_type=55)) == {"DTE_NO_APROBADO"}  # not signed yet


def test_inutilizacion_range_rules() -> None:
    # MT 4068 end >= start, 4067 at most 1000 numbers (stricter reading, see event_rules).
    body = dict(BODIES["inutilizacion"])
    assert _codes("inutilizacion", _ctx(), body) == set()
    assert _codes("inutilizacion", _ctx(), {**body, "desde": 1, "hasta": 1}) == set()
    assert _codes("inutilizacion", _ctx(), {**body, "desde": 20, "hasta": 10}) == {"RANGO_INVERTIDO"}
    assert _codes("inutilizacion", _ctx(), {**body, "desde": 1, "hasta": 1000}) == set()  # 1000 numbers
    assert _codes("inutilizacion", _ctx(), {**body, "desde": 1, "hasta": 1001}) == {"RANGO_EXCEDE_1000"}
    assert _codes("inutilizacion", _ctx(), {**body, "desde": 5001, "hasta": 6000}) == set()


def test_who_may_send_which_event() -> None:
    # 4006/4069: issuer events only by the issuer; receptor events only by the receptor.
    approved = {"approved_at": NOW - timedelta(hours=1), "document_type": 1}
    assert "EVENTO_FIRMANTE_NO_EMISOR" in _codes("cancelacion", _ctx(signer_ruc="80002201-7", **approved))
    assert "EVENTO_FIRMANTE_NO_EMISOR" in _codes("inutilizacion", _ctx(signer_ruc="80002201-7"))
    for kind in ("conformidad", "disconformidad", "desconocimiento", "notificacion"):
        assert _codes(kind, _ctx(signer_ruc="80002201-7")) == set(), kind
        assert "EVENTO_FIRMANTE_NO_RECEPTOR" in _codes(kind, _ctx(signer_ruc="80069563-1")), kind
        assert "EVENTO_RECEPTOR_ES_EMISOR" in _codes(kind, _ctx(signer_ruc="80069563-1")), kind


def test_receptor_event_rules() -> None:
    receptor = {"signer_ruc": "80002201-7"}
    assert "EVENTO_DUPLICADO" in _codes(
        "notificacion", _ctx(prior_events=frozenset({"notificacion"}), **receptor)
    )  # 4101
    assert "NOTIFICACION_POSTERIOR" in _codes(
        "notificacion", _ctx(prior_events=frozenset({"conformidad"}), **receptor)
    )  # 4113
    backwards = {**BODIES["desconocimiento"], "fechaRecepcion": "2026-11-19T09:00:00"}
    assert "RECEPCION_ANTES_DE_EMISION" in _codes("desconocimiento", _ctx(**receptor), backwards)  # 4104
    late = _ctx(emitted_at=NOW - timedelta(days=46), **receptor)
    assert "EVENTO_RECEPTOR_FUERA_DE_PLAZO" in _codes("disconformidad", late)
    assert "EVENTO_RECEPTOR_FUERA_DE_PLAZO" not in _codes("notificacion", late)  # 4103 is only an observation
    partial = {"cdc": CDC_FE, "tipoConformidad": 2}
    assert "CAMPO_REQUERIDO" in _codes("conformidad", _ctx(**receptor), partial)


def test_nominacion_and_transporte_rules() -> None:
    approved = NOW - timedelta(hours=2)
    assert _codes("nominacion", _ctx(approved_at=approved, receptor_innominado=True)) == set()
    assert "DTE_NO_INNOMINADO" in _codes("nominacion", _ctx(approved_at=approved, receptor_innominado=False))
    assert _codes("transporte", _ctx(approved_at=approved, document_type=7)) == set()
    assert "EVENTO_SOLO_NRE" in _codes("transporte", _ctx(approved_at=approved, document_type=1))


def test_transport_update_with_foreign_carrier_and_nested_error_paths(
    credentials: SigningCredentials,
) -> None:
    # rGeVeTr: a non-contributor carrier is identified by document (iTipIDTrans/dDTipIDTrans/dNumIDTrans).
    body = {
        **BODIES["transporte"],
        "transportista": {
            "naturaleza": 2,
            "nombre": "Transportes del Sur",
            "documentoTipo": 2,
            "documentoNumero": "P123456",
        },
        "entrega": {
            "departamento": 1,
            "departamentoDescripcion": "CAPITAL",
            "direccion": "Ruta 2 km 20",
            "numeroCasa": 0,
        },
    }
    request = build_event_request(1, [sign_event(build_event("transporte", body, event_id=3), credentials)])
    assert schema_errors(event_group(request), SCHEMA_EVENT) == []
    group = etree.fromstring(request).find(f".//{S}rGeVeTr")
    assert (
        group.findtext(S + "dDTipIDTrans") == "Pasaporte"
        and group.findtext(S + "dDesModTrans") == "Terrestre"
    )
    with pytest.raises(DocumentInvalid) as info:
        build_event(
            "transporte",
            {
                **BODIES["transporte"],
                "transportista": {"naturaleza": 1, "ruc": "80002201-3", "nombre": "X S.A."},
            },
            event_id=1,
        )
    assert [(i.code, i.path) for i in info.value.issues] == [("RUC_DV_INVALIDO", "data.transportista.ruc")]
