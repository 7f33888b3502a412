"""The simulator answers SIFEN's 0160 (XML malformado) to a DOCTYPE, an entity reference, an entity
expansion bomb or any XML it cannot parse, in every service, over real HTTP: never a 500 and never
an external entity read. Inside a lote, such a DE is rejected with 0160 and the lote concludes."""

from __future__ import annotations

import base64
import io
import re
import zipfile

import aiohttp
import pytest

from sifenflow_common.sifen import soap
from sifenflow_common.sifen.soap import Operation
from sifenflow_common.sifen.soap.lote import LOTE_ENTRY_NAME
from tests.contract.protocol.conftest import StartSim, eventually
from tests.protocol_fixtures import DEMO_RUC, DocSpec, build_rde

pytestmark = [pytest.mark.contract, pytest.mark.timeout(60)]

XXE = b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd"><!ENTITY a "b">]>'
BOMB = (
    b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
)
CDC = "01800695631001001000000112022010112345678901"


def with_doctype(envelope: bytes, doctype: bytes = XXE) -> bytes:
    declaration, rest = envelope.split(b"?>", 1)
    return declaration + b"?>" + doctype + rest


def in_value(xml: bytes, tag: bytes, text: bytes) -> bytes:
    """``text`` placed at the start of the first ``<tag>`` element's value."""
    start = xml.index(b"<" + tag + b">") + len(tag) + 2
    return xml[:start] + text + xml[start:]


def hostile_requests() -> dict[str, tuple[Operation, bytes]]:
    _, rde = build_rde(DocSpec(numero=7))
    recepcion = soap.build_recepcion_de(1, rde)
    consulta_ruc = soap.build_consulta_ruc(1, DEMO_RUC)
    return {
        "consulta DE, external entity": (
            Operation.CONSULTA_DE,
            with_doctype(soap.build_consulta_de(1, CDC).replace(CDC.encode(), b"&xxe;")),
        ),
        "consulta DE, undeclared entity": (
            Operation.CONSULTA_DE,
            soap.build_consulta_de(1, CDC).replace(CDC.encode(), b"&xxe;"),
        ),
        "recepción DE, entity in a value": (
            Operation.RECEPCION_DE,
            with_doctype(in_value(recepcion, b"dNomEmi", b"&a;")),
        ),
        "recepción DE, DOCTYPE only": (Operation.RECEPCION_DE, with_doctype(recepcion)),
        "consulta RUC, expansion bomb": (
            Operation.CONSULTA_RUC,
            with_doctype(consulta_ruc.replace(DEMO_RUC.encode(), b"&d;"), BOMB),
        ),
        "consulta RUC, not XML": (Operation.CONSULTA_RUC, b"<env:Envelope><<<"),
        "consulta RUC, invalid UTF-8": (
            Operation.CONSULTA_RUC,
            consulta_ruc.replace(DEMO_RUC.encode(), b"\xff\xfe"),
        ),
        "evento, entity": (
            Operation.RECEPCION_EVENTO,
            with_doctype(soap.build_recepcion_evento(1, [b"<rGesEve>&a;</rGesEve>"])),
        ),
        "lote, entity in xDE": (
            Operation.RECEPCION_LOTE,
            with_doctype(in_value(soap.build_recepcion_lote(1, [rde]), b"xDE", b"&a;")),
        ),
    }


def answer_code(body: str) -> str | None:
    found = re.search(r"<(?:\w+:)?dCodRes>(\d{4})<", body)
    return found.group(1) if found else None


@pytest.mark.parametrize("case", sorted(hostile_requests()))
async def test_hostile_xml_is_answered_0160_never_500(start_sim: StartSim, case: str) -> None:
    running = await start_sim()
    operation, data = hostile_requests()[case]
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            running.base_url + soap.PATHS[operation],
            data=data,
            headers={"Content-Type": "application/soap+xml"},
        ) as response,
    ):
        body = await response.text()
    assert response.status == 200, body
    assert answer_code(body) == "0160", body
    assert "root:" not in body  # nothing of /etc/passwd


async def test_a_lote_whose_de_carries_an_entity_concludes_with_that_de_rejected_0160(
    start_sim: StartSim,
) -> None:
    running = await start_sim()
    cdc, rde = build_rde(DocSpec(numero=8))
    inner = rde.split(b"?>", 1)[1] if rde.startswith(b"<?xml") else rde
    content = (
        b'<?xml version="1.0" encoding="UTF-8"?>' + XXE + b"<rLoteDE>" + in_value(inner, b"dNomEmi", b"&a;")
    )
    content += b"</rLoteDE>"
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr(LOTE_ENTRY_NAME, content)
    request = soap.build_recepcion_lote(1, [rde])
    encoded = base64.b64encode(archive.getvalue())
    request = re.sub(rb"<xDE>[^<]*</xDE>", b"<xDE>" + encoded + b"</xDE>", request)
    client = running.client()

    async with (
        aiohttp.ClientSession() as session,
        session.post(running.base_url + soap.PATHS[Operation.RECEPCION_LOTE], data=request) as response,
    ):
        number = re.search(r"<(?:\w+:)?dProtConsLote>(\d+)<", await response.text())
    assert number is not None

    async def concluded() -> bool:
        result = (await client.consulta_lote(int(number.group(1)))).result
        return result.code == "0362"

    await eventually(concluded)
    [de] = (await client.consulta_lote(int(number.group(1)))).result.results
    assert de.cdc == cdc and de.status == "Rechazado"
    assert de.messages[0].code == "0160"
