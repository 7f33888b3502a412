"""Response building (simulator) and tolerant parsing (client), sifen-protocol.md §1.3 and §2."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from sifenflow_common.sifen import soap, xsd
from sifenflow_common.sifen.soap import Operation, ResultMessage
from tests.protocol_fixtures import build_cancel_event, build_rde

pytestmark = pytest.mark.unit

PY = timezone(timedelta(hours=-3))
NOW = datetime(2026, 11, 21, 10, 30, 5, tzinfo=PY)
CDC = "01800695631001001000000122026112115860659206"


def _valid(envelope: bytes, schema: str) -> None:
    assert xsd.schema_errors(soap.body_element(envelope), schema) == []


def test_recepcion_de_roundtrip_and_schema() -> None:
    prot = soap.ProtDe(CDC, NOW, "b1nTZqZ0hJ0T2Jr8kS2CkqQW8nJt3oG8x8zJ2D8s0Kk=", "Aprobado", 1234567890,
                       (ResultMessage("0260", "Autorización del DE satisfactoria"),))  # fmt: skip
    envelope = soap.build_recepcion_de_response(prot)
    _valid(envelope, xsd.SCHEMA_WS_RECEP_DE)
    assert b"ns2:rRetEnviDe" in envelope  # SIFEN's own prefix
    parsed = soap.parse_response(envelope, Operation.RECEPCION_DE)
    assert parsed == prot and parsed.approved and parsed.code == "0260"


def test_all_response_builders_validate_and_roundtrip() -> None:
    lote = soap.RecepcionLoteResult(NOW, "0300", "Lote recibido con éxito", 100000000001, 1)
    env = soap.build_recepcion_lote_response(lote)
    _valid(env, xsd.SCHEMA_WS_RECEP_LOTE)
    assert soap.parse_response(env, Operation.RECEPCION_LOTE) == lote

    cons = soap.ConsultaLoteResult(NOW, "0362", "Procesamiento de lote concluido", (
        soap.LoteDeResult(CDC, "Aprobado", 1000000001, (ResultMessage("0260", "Autorización"),)),
        soap.LoteDeResult(CDC[:-1] + "0", "Rechazado", None, (ResultMessage("1003", "DV del CDC inválido"),)),
    ))  # fmt: skip
    env = soap.build_consulta_lote_response(cons)
    _valid(env, xsd.SCHEMA_WS_CONS_LOTE)
    parsed = soap.parse_response(env, Operation.CONSULTA_LOTE)
    assert parsed == cons and parsed.concluded
    assert [r.approved for r in parsed.results] == [True, False]

    ruc = soap.ConsultaRucResult(
        "0502", "RUC encontrado", soap.ContribuyenteRuc("80069563", "EMPRESA S.A.", "ACT", "Activo", True)
    )
    env = soap.build_consulta_ruc_response(ruc)
    _valid(env, xsd.SCHEMA_WS_CONS_RUC)
    assert soap.parse_response(env, Operation.CONSULTA_RUC) == ruc

    ev = soap.RecepcionEventoResult(
        NOW,
        (
            soap.EventoResult(
                "1", "Aprobado", 1000000002, (ResultMessage("0600", "Evento registrado correctamente"),)
            ),
        ),
    )
    env = soap.build_recepcion_evento_response(ev)
    _valid(env, xsd.SCHEMA_WS_RECEP_EVENTO)
    assert soap.parse_response(env, Operation.RECEPCION_EVENTO) == ev


def test_xconten_de_is_parsed_a_second_time() -> None:
    # sifen-protocol.md §2.4: xContenDE is an escaped XML string rContDe = rDE + dProtAut + xContEv
    cdc, rde = build_rde()
    event = build_cancel_event(cdc)
    raw = soap.contenido_de_xml(
        rde, 1000000003, [(event, b"<rResEnviEventoDe><dFecProc>x</dFecProc></rResEnviEventoDe>")]
    )
    env = soap.build_consulta_de_response(
        soap.ConsultaDeResult(NOW, "0422", "CDC encontrado", soap.ContenidoDE(rde, 1000000003, (), raw))
    )
    _valid(env, xsd.SCHEMA_WS_CONS_DE)
    assert b"&lt;rContDe" in env  # escaped, as the xs:string type requires
    parsed = soap.parse_response(env, Operation.CONSULTA_DE)
    assert parsed.found and parsed.content is not None
    assert parsed.content.protocol == 1000000003
    assert f'Id="{cdc}"'.encode() in parsed.content.rde_xml
    assert len(parsed.content.events) == 1 and b"rGeVeCan" in parsed.content.events[0]


def test_xconten_de_without_wrapper_or_as_cdata() -> None:
    _, rde = build_rde()
    body = soap.strip_declaration(rde).decode()
    content = soap.parse_contenido_de(body + "<dProtAut>55</dProtAut>")
    assert content.protocol == 55 and content.rde_xml is not None
    cdata = (
        '<S:Envelope xmlns:S="http://www.w3.org/2003/05/soap-envelope"><S:Body>'
        '<rEnviConsDeResponse xmlns="http://ekuatia.set.gov.py/sifen/xsd"><dFecProc>2026-11-21T10:00:00-03:00</dFecProc>'
        "<dCodRes>0422</dCodRes><dMsgRes>CDC encontrado</dMsgRes>"
        f"<xContenDE><![CDATA[<rContDe>{body}<dProtAut>7</dProtAut></rContDe>]]></xContenDE>"
        "</rEnviConsDeResponse></S:Body></S:Envelope>"
    ).encode()
    parsed = soap.parse_response(cdata, Operation.CONSULTA_DE)
    assert parsed.content is not None and parsed.content.protocol == 7


def test_mt_example_shape_with_estado_inside_gresproc_and_other_prefixes() -> None:
    # The MT example puts dEstRes/dProtAut inside gResProc; parse both locations (§2.1).
    data = (
        b'<?xml version="1.0"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">'
        b'<soap:Body><x:rRetEnviDe xmlns:x="http://ekuatia.set.gov.py/sifen/xsd"><x:rProtDe>'
        b"<x:dId>" + CDC.encode() + b"</x:dId><x:dFecProc>2026-11-21-10:30:05</x:dFecProc>"
        b"<x:gResProc><x:dEstRes>Aprobado con observaci\xc3\xb3n</x:dEstRes><x:dProtAut>123</x:dProtAut>"
        b"<x:dCodRes>1005</x:dCodRes><x:dMsgRes>Transmision extemporanea</x:dMsgRes></x:gResProc>"
        b"</x:rProtDe></x:rRetEnviDe></soap:Body></soap:Envelope>"
    )
    parsed = soap.parse_response(data, Operation.RECEPCION_DE)
    assert parsed.cdc == CDC
    assert parsed.approved and parsed.protocol == 123 and parsed.code == "1005"
    assert parsed.processed_at == datetime(2026, 11, 21, 10, 30, 5)


def test_soap11_envelope_and_bare_body_are_accepted() -> None:
    data = (
        b'<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>'
        b'<rResEnviConsRUC xmlns="http://ekuatia.set.gov.py/sifen/xsd"><dCodRes>0500</dCodRes>'
        b"<dMsgRes>RUC no existe</dMsgRes></rResEnviConsRUC></S:Body></S:Envelope>"
    )
    assert soap.parse_response(data, Operation.CONSULTA_RUC) == soap.ConsultaRucResult(
        "0500", "RUC no existe"
    )
    bare = data[data.index(b"<rRes") : data.index(b"</S:Body>")]
    assert soap.parse_response(bare, Operation.CONSULTA_RUC).code == "0500"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"<html><head><title>BIG-IP logout page</title></head></html>", soap.SoapProblem.HTML),
        (b"  <!DOCTYPE html><html></html>", soap.SoapProblem.HTML),
        (b"<env:Envelope xmlns:env='x'><env:Body><rRetEnviDe>", soap.SoapProblem.MALFORMED),
        (b"", soap.SoapProblem.EMPTY),
        (
            b'<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body/></env:Envelope>',
            soap.SoapProblem.NOT_SOAP,
        ),
    ],
)
def test_non_soap_bodies_are_classified(data: bytes, problem: soap.SoapProblem) -> None:
    # sifen-protocol.md §1.3: a 200 whose body is an HTML page is a load-balancer error
    with pytest.raises(soap.SoapParseError) as error:
        soap.parse_response(data, Operation.RECEPCION_DE)
    assert error.value.problem is problem


def test_fault_and_error_shaped_bodies_raise_error_response() -> None:
    fault = soap.build_fault("env:Sender", "Solicitud inválida", sifen_code="0160")
    with pytest.raises(soap.SifenAnswerError) as error:
        soap.parse_response(fault, Operation.CONSULTA_DE)
    assert error.value.code == "0160" and error.value.fault is not None
    other = (
        b'<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body>'
        b'<ns2:rRetEnviDe xmlns:ns2="http://ekuatia.set.gov.py/sifen/xsd"><ns2:rProtDe><ns2:gResProc>'
        b"<ns2:dCodRes>0160</ns2:dCodRes><ns2:dMsgRes>XML Mal Formado.</ns2:dMsgRes>"
        b"</ns2:gResProc></ns2:rProtDe></ns2:rRetEnviDe></env:Body></env:Envelope>"
    )
    with pytest.raises(soap.SifenAnswerError) as shaped:
        soap.parse_response(other, Operation.RECEPCION_LOTE)
    assert shaped.value.code == "0160" and shaped.value.root == "rRetEnviDe"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-21T10:30:05-03:00", NOW),
        ("2026-11-21T10:30:05", datetime(2026, 11, 21, 10, 30, 5)),
        ("2026-11-21-10:30:05", datetime(2026, 11, 21, 10, 30, 5)),
        ("2026-11-21T13:30:05Z", NOW),
        ("", None),
        ("ayer", None),
    ],
)
def test_dfecproc_is_parsed_leniently(value: str, expected: datetime | None) -> None:
    assert soap.parse_fec(value) == expected
