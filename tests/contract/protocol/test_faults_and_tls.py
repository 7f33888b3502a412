"""Injected faults produce the right client exception; mutual TLS with client certificates."""

from __future__ import annotations

from pathlib import Path

import pytest

from sifenflow_common.sifen.dv import dv11
from sifenflow_common.sifen.test_ca import ensure_test_ca, issue_test_p12
from sifenflow_common.sifen_client import (
    SifenRejection,
    SifenTransportError,
    TransportProblem,
    build_ssl_context,
    client_certificate_from_pkcs12,
)
from sifenflow_sifen_sim.registry import contribuyente_from_dict
from sifenflow_sifen_sim.settings import SimSettings
from sifenflow_sifen_sim.tls import ensure_server_certificate
from tests.contract.protocol.conftest import StartSim
from tests.protocol_fixtures import (
    DEMO_RUC,
    DocSpec,
    build_rde,
    demo_contribuyente,
    protocol_ca,
    protocol_ca_dir,
)

pytestmark = pytest.mark.contract


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ({"kind": "http_500"}, TransportProblem.HTTP_STATUS),
        ({"kind": "http_503"}, TransportProblem.HTTP_STATUS),
        ({"kind": "reset"}, TransportProblem.RESET),
        ({"kind": "timeout", "hang_seconds": 3}, TransportProblem.TIMEOUT),
        ({"kind": "html"}, TransportProblem.HTML),
        ({"kind": "malformed"}, TransportProblem.MALFORMED),
    ],
)
async def test_transport_faults_raise_retryable_transport_errors(
    start_sim: StartSim, rule: dict[str, object], problem: TransportProblem
) -> None:
    # sifen-protocol.md §1.3 / §3 retry policy: transport errors and HTML bodies are retryable
    running = await start_sim()
    status, _ = await running.admin("PUT", "/admin/faults", {"seed": 7, "rules": [{**rule, "count": 1}]})
    assert status == 200
    client = running.client(read_timeout=0.5, total_timeout=2)
    _, rde = build_rde()
    with pytest.raises(SifenTransportError) as error:
        await client.recepcion_de(rde)
    assert error.value.problem is problem
    assert error.value.retryable
    assert error.value.request_xml.startswith(b"<?xml")
    # count=1: the fault fired once, the retry goes through
    assert (await client.recepcion_de(rde)).result.approved


async def test_lote_no_encolado_is_a_retryable_rejection(start_sim: StartSim) -> None:
    running = await start_sim()
    await running.admin("PUT", "/admin/faults", {"rules": [{"kind": "lote_no_encolado", "count": 1}]})
    client = running.client()
    _, rde = build_rde()
    with pytest.raises(SifenRejection) as refused:
        await client.recepcion_lote([rde])
    assert refused.value.code == "0301" and refused.value.retryable
    assert (await client.recepcion_lote([rde])).result.accepted


async def test_latency_only_delays(start_sim: StartSim) -> None:
    running = await start_sim()
    await running.admin("PUT", "/admin/faults", {"rules": [{"kind": "latency", "latency_ms": 50}]})
    call = await running.client().consulta_ruc(DEMO_RUC)
    assert call.result.found


async def test_unreachable_server_is_a_connect_error(start_sim: StartSim) -> None:
    running = await start_sim()
    await running.runner.cleanup()
    with pytest.raises(SifenTransportError) as error:
        await running.client().consulta_ruc(DEMO_RUC)
    assert error.value.problem is TransportProblem.CONNECT and error.value.retryable


async def test_rejection_of_request_is_not_retryable(start_sim: StartSim) -> None:
    # 0160 on a consulta is a refusal of the request (never a transport error)
    running = await start_sim()
    from sifenflow_common.sifen import soap

    envelope = soap.build_consulta_de(1, "0" * 44).replace(b"<dCDC>" + b"0" * 44, b"<dCDC>" + b"X" * 44)
    client = running.client()
    with pytest.raises(SifenRejection) as refused:
        await client._call(soap.Operation.CONSULTA_DE, envelope, 1)
    assert refused.value.code == "0160" and not refused.value.retryable


# ---------------------------------------------------------------- mutual TLS


def _p12(ca_dir: Path | None, ruc: str) -> bytes:
    ca = ensure_test_ca(ca_dir) if ca_dir is not None else protocol_ca()
    return issue_test_p12(ca, ruc=f"{ruc}-{dv11(ruc)}", name=f"EMPRESA {ruc}", password="secreto")


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, object]:
    server_cert, server_key = ensure_server_certificate(tmp_path / "server")
    return {
        "server_cert": server_cert,
        "server_key": server_key,
        "tenant": _p12(None, DEMO_RUC),
        "other_tenant": _p12(None, "80002201"),
        "foreign": _p12(tmp_path / "otra-ca", DEMO_RUC),  # a CA the simulator does not trust
    }


def _tls_settings(pki: dict[str, object]) -> SimSettings:
    # client certificates are checked against the test CA (test_ca_dir), as signatures are
    return SimSettings(
        tls=True,
        server_cert_file=pki["server_cert"],  # type: ignore[arg-type]
        server_key_file=pki["server_key"],  # type: ignore[arg-type]
        test_ca_dir=protocol_ca_dir(),
    )


def _context(pki: dict[str, object], p12_key: str | None):
    cert = client_certificate_from_pkcs12(pki[p12_key], "secreto") if p12_key else None  # type: ignore[arg-type]
    return build_ssl_context(cert, cafile=str(pki["server_cert"]))


async def test_mutual_tls_with_tenant_certificate(start_sim: StartSim, pki: dict[str, object]) -> None:
    # sifen-protocol.md §1.3: TLS ≥ 1.2 with the taxpayer's certificate as client certificate
    running = await start_sim(_tls_settings(pki))
    assert running.base_url.startswith("https://")
    client = running.client(ssl_context=_context(pki, "tenant"))
    _, rde = build_rde()
    assert (await client.recepcion_de(rde)).result.approved
    lote = (await client.recepcion_lote([build_rde(DocSpec(numero=2))[1]])).result
    assert lote.accepted and lote.lote_number is not None
    # the connection certificate's RUC must be an active taxpayer (0183)
    other = running.client(ssl_context=_context(pki, "other_tenant"))
    with pytest.raises(SifenRejection) as unknown:
        await other.consulta_ruc(DEMO_RUC)
    assert unknown.value.code == "0183" and not unknown.value.retryable
    # only the RUC that transmitted the lote may query it (0340, sifen-protocol.md §2.3)
    running.sim.registry.put(contribuyente_from_dict(demo_contribuyente("80002201", "87654321")))
    with pytest.raises(SifenRejection) as refused:
        await other.consulta_lote(lote.lote_number)
    assert refused.value.code == "0340"
    # a DTE is visible to its emisor (and receptor) only: 0421 for anyone else (§2.4)
    cdc, rde = build_rde(DocSpec(numero=3))
    assert (await client.recepcion_de(rde)).result.approved
    assert (await client.consulta_de(cdc)).result.found
    with pytest.raises(SifenRejection) as hidden:
        await other.consulta_de(cdc)
    assert hidden.value.code == "0421"
    # over TLS the certificate says who calls: a header naming the emisor changes nothing
    posing = running.client(ssl_context=_context(pki, "other_tenant"), requester_ruc=DEMO_RUC)
    with pytest.raises(SifenRejection) as still_hidden:
        await posing.consulta_de(cdc)
    assert still_hidden.value.code == "0421"
    assert (await client.consulta_lote(lote.lote_number)).result.code in {"0361", "0362"}


@pytest.mark.parametrize("p12_key", [None, "foreign"])
async def test_tls_without_or_with_untrusted_certificate_fails(
    start_sim: StartSim, pki: dict[str, object], p12_key: str | None
) -> None:
    # SIFEN codes 0001/0003: no client certificate, or a chain not from an enabled CA
    running = await start_sim(_tls_settings(pki))
    client = running.client(ssl_context=_context(pki, p12_key))
    with pytest.raises(SifenTransportError) as error:
        await client.consulta_ruc(DEMO_RUC)
    # with TLS 1.3 the server's refusal of the client certificate arrives after the handshake, as a reset
    assert error.value.problem in {TransportProblem.TLS, TransportProblem.RESET}


async def test_server_certificate_is_verified(start_sim: StartSim, pki: dict[str, object]) -> None:
    running = await start_sim(_tls_settings(pki))
    cert = client_certificate_from_pkcs12(pki["tenant"], "secreto")  # type: ignore[arg-type]
    client = running.client(ssl_context=build_ssl_context(cert))  # system CAs only
    with pytest.raises(SifenTransportError) as error:
        await client.consulta_ruc(DEMO_RUC)
    assert error.value.problem is TransportProblem.TLS and not error.value.retryable


async def test_timeouts_apply_with_a_shared_session(start_sim: StartSim) -> None:
    # the sender shares one aiohttp session between tenants: each client's timeouts still hold
    import aiohttp

    from sifenflow_common.sifen_client import SifenClient, SifenClientConfig

    running = await start_sim()
    await running.admin(
        "PUT", "/admin/faults", {"rules": [{"kind": "timeout", "hang_seconds": 3, "count": 1}]}
    )
    async with aiohttp.ClientSession() as session:  # default session timeout: 5 minutes
        client = SifenClient(SifenClientConfig(base_url=running.base_url, read_timeout=0.5), session=session)
        with pytest.raises(SifenTransportError) as error:
            await client.consulta_ruc(DEMO_RUC)
    assert error.value.problem is TransportProblem.TIMEOUT
