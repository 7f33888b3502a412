"""Request envelopes of the six services against the official WS schemas (MT v150 §7.10)."""

from __future__ import annotations

import base64
import io
import zipfile

import pytest
from lxml import etree

from sifenflow_common.sifen import soap, xsd
from sifenflow_common.sifen.namespaces import SIFEN_NS, SOAP12_NS
from tests.protocol_fixtures import DocSpec, build_cancel_event, build_inutilizacion_event, build_rde

pytestmark = pytest.mark.unit


def _assert_valid(envelope: bytes, schema: str) -> etree._Element:
    body = soap.body_element(envelope)
    assert xsd.schema_errors(body, schema) == []
    return body


def test_recepcion_de_envelope_is_compact_soap12_with_one_declaration() -> None:
    # sifen-protocol.md §1.3: SOAP 1.2, empty Header, one XML declaration, no formatting whitespace
    cdc, rde = build_rde()
    envelope = soap.build_recepcion_de(7, rde)
    assert envelope.count(b"<?xml") == 1
    assert envelope.startswith(b'<?xml version="1.0" encoding="UTF-8"?><env:Envelope')
    assert b"<env:Header/>" in envelope
    assert b">\n" not in envelope and b">  <" not in envelope
    root = etree.fromstring(envelope)
    assert root.tag == f"{{{SOAP12_NS}}}Envelope"
    body = _assert_valid(envelope, xsd.SCHEMA_WS_RECEP_DE)
    assert body.tag == f"{{{SIFEN_NS}}}rEnviDe"
    assert body.findtext(f"{{{SIFEN_NS}}}dId") == "7"
    # the signed rDE travels byte for byte (its declaration removed)
    assert soap.strip_declaration(rde) in envelope
    assert body.find(f"{{{SIFEN_NS}}}xDE/{{{SIFEN_NS}}}rDE/{{{SIFEN_NS}}}DE").get("Id") == cdc


def test_recepcion_lote_is_base64_zip_of_rlotede_without_namespace() -> None:
    # sifen-protocol.md §2.2: base64(zip(rLoteDE)), one declaration, each rDE with its xmlns
    docs = [build_rde(DocSpec(numero=n))[1] for n in range(1, 4)]
    envelope = soap.build_recepcion_lote(11, docs)
    body = _assert_valid(envelope, xsd.SCHEMA_WS_RECEP_LOTE)
    zip_bytes = base64.b64decode(body.findtext(f"{{{SIFEN_NS}}}xDE"))
    archive = zipfile.ZipFile(io.BytesIO(zip_bytes))
    assert len(archive.namelist()) == 1
    assert archive.infolist()[0].compress_type == zipfile.ZIP_DEFLATED
    content = archive.read(archive.namelist()[0])
    assert content.count(b"<?xml") == 1
    lote = etree.fromstring(content)
    assert lote.tag == "rLoteDE"
    assert [r.tag for r in lote] == [f"{{{SIFEN_NS}}}rDE"] * 3
    assert len(soap.unpack_lote(zip_bytes)) == 3


def test_lote_refuses_more_than_50_and_mixed_types() -> None:
    # MT v150: at most 50 DE per lote, all of the same iTiDE (0363 otherwise)
    _cdc, rde = build_rde()
    with pytest.raises(soap.LoteError) as too_many:
        soap.build_recepcion_lote(1, [rde] * 51)
    assert too_many.value.code == "LOTE_EXCEDE_50"
    _, credit = build_rde(DocSpec(itide=5))
    with pytest.raises(soap.LoteError) as mixed:
        soap.build_recepcion_lote(1, [rde, credit])
    assert mixed.value.code == "LOTE_TIPOS_DISTINTOS"
    with pytest.raises(soap.LoteError):
        soap.build_recepcion_lote(1, [])


def test_consultas_validate_against_their_schemas() -> None:
    _assert_valid(soap.build_consulta_lote(3, 123456789), xsd.SCHEMA_WS_CONS_LOTE)
    cdc, _ = build_rde()
    _assert_valid(soap.build_consulta_de(4, cdc), xsd.SCHEMA_WS_CONS_DE)
    body = _assert_valid(soap.build_consulta_ruc(5, "80069563-1"), xsd.SCHEMA_WS_CONS_RUC)
    # §2.5: dRUCCons is the RUC without DV
    assert body.findtext(f"{{{SIFEN_NS}}}dRUCCons") == "80069563"


def test_recepcion_evento_wraps_rgeseve_in_group() -> None:
    # sifen-protocol.md §7.1: rEnviEventoDe/dEvReg/gGroupGesEve/rGesEve (1..15)
    cdc, _ = build_rde()
    envelope = soap.build_recepcion_evento(
        9, [build_cancel_event(cdc), build_inutilizacion_event(1, 5, event_id=2)]
    )
    body = _assert_valid(envelope, xsd.SCHEMA_WS_RECEP_EVENTO)
    request = soap.parse_request(body, soap.Operation.RECEPCION_EVENTO)
    assert isinstance(request, soap.RecepcionEventoRequest)
    assert [e.find(f"{{{SIFEN_NS}}}rEve").get("Id") for e in request.events] == ["1", "2"]
    with pytest.raises(soap.RequestError):
        soap.build_recepcion_evento(1, [build_cancel_event(cdc)] * 16)


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda: soap.build_consulta_ruc(1, "12"), "RUC_INVALIDO"),
        (lambda: soap.build_consulta_de(1, "123"), "CDC_INVALIDO"),
        (lambda: soap.build_consulta_lote(0, 1), "DID_INVALIDO"),
        (lambda: soap.build_consulta_lote(10**15, 1), "DID_INVALIDO"),
    ],
)
def test_invalid_parameters_get_stable_codes(call, code: str) -> None:
    with pytest.raises(soap.RequestError) as error:
        call()
    assert error.value.code == code


def test_requests_parse_back_for_the_simulator() -> None:
    cdc, rde = build_rde()
    parsed = soap.parse_request(
        soap.body_element(soap.build_recepcion_de(1, rde)), soap.Operation.RECEPCION_DE
    )
    assert isinstance(parsed, soap.RecepcionDeRequest) and parsed.d_id == 1
    lote = soap.parse_request(
        soap.body_element(soap.build_recepcion_lote(2, [rde])), soap.Operation.RECEPCION_LOTE
    )
    assert isinstance(lote, soap.RecepcionLoteRequest)
    assert len(soap.unpack_lote(lote.zip_bytes)) == 1
    cons = soap.parse_request(
        soap.body_element(soap.build_consulta_lote(3, 42)), soap.Operation.CONSULTA_LOTE
    )
    assert cons == soap.ConsultaLoteRequest(d_id=3, lote_number=42, cdc=None)
    de = soap.parse_request(soap.body_element(soap.build_consulta_de(4, cdc)), soap.Operation.CONSULTA_DE)
    assert de == soap.ConsultaDeRequest(d_id=4, cdc=cdc)
    ruc = soap.parse_request(
        soap.body_element(soap.build_consulta_ruc(5, "80069563")), soap.Operation.CONSULTA_RUC
    )
    assert ruc == soap.ConsultaRucRequest(d_id=5, ruc="80069563")


def test_wrong_root_and_garbage_map_to_sifen_codes() -> None:
    # MT v150 §3: 0101 expected root missing; 0160 XML malformado
    body = soap.body_element(soap.build_consulta_ruc(1, "80069563"))
    with pytest.raises(soap.RequestParseError) as wrong:
        soap.parse_request(body, soap.Operation.RECEPCION_DE)
    assert wrong.value.code == "0101"
    with pytest.raises(soap.RequestParseError) as garbage:
        soap.request_body(b"<env:Envelope><unclosed>")
    assert garbage.value.code == "0160"
