"""In the simulated environment (plain HTTP, no client certificate) the simulator knows the calling
emisor from the client's ``X-Sifenflow-Ruc`` (``SifenClientConfig.requester_ruc``) and answers as
SIFEN does for the RUC of a connection certificate: a DTE is visible to its emisor and its receptor
only, anyone else gets 0421 (sifen-protocol.md §2.4). Real HTTP to the simulator."""

from __future__ import annotations

import pytest

from sifenflow_common.sifen_client import SifenRejection
from sifenflow_sifen_sim.registry import contribuyente_from_dict
from tests.contract.protocol.conftest import StartSim
from tests.protocol_fixtures import DEMO_RUC, DocSpec, build_rde, demo_contribuyente

pytestmark = [pytest.mark.contract, pytest.mark.timeout(60)]

OTHER_RUC = "80002201"
RECEPTOR = (
    ("iNatRec", 1), ("iTiOpe", 1), ("cPaisRec", "PRY"), ("dDesPaisRe", "Paraguay"), ("iTiContRec", 2),
    ("dRucRec", OTHER_RUC), ("dDVRec", 7), ("dNomRec", "BANCO S.A."),
)  # fmt: skip


async def test_a_dte_is_visible_to_its_emisor_and_receptor_only(start_sim: StartSim) -> None:
    running = await start_sim()
    for ruc in (OTHER_RUC, "80012345"):
        entry = contribuyente_from_dict(demo_contribuyente(ruc, "87654321"))
        running.sim.registry.put(entry)
    emisor = running.client(requester_ruc=f"{DEMO_RUC}-1")
    to_consumer, rde = build_rde(DocSpec(numero=11))
    assert (await emisor.recepcion_de(rde)).result.approved
    to_other, rde = build_rde(DocSpec(numero=12, receptor=RECEPTOR))
    assert (await emisor.recepcion_de(rde)).result.approved

    assert (await emisor.consulta_de(to_consumer)).result.found
    stranger = running.client(requester_ruc="80012345-6")
    for cdc in (to_consumer, to_other):
        with pytest.raises(SifenRejection) as hidden:
            await stranger.consulta_de(cdc)
        assert hidden.value.code == "0421", cdc
    receptor = running.client(requester_ruc=f"{OTHER_RUC}-7")
    assert (await receptor.consulta_de(to_other)).result.found
    with pytest.raises(SifenRejection) as not_party:
        await receptor.consulta_de(to_consumer)
    assert not_party.value.code == "0421"
    assert not (await stranger.consulta_de("01800695631001001" + "9" * 27)).result.found  # 0420


async def test_a_caller_naming_an_unregistered_ruc_is_refused_0183(start_sim: StartSim) -> None:
    running = await start_sim()
    with pytest.raises(SifenRejection) as refused:
        await running.client(requester_ruc="4444444").consulta_ruc(DEMO_RUC)
    assert refused.value.code == "0183"
    assert (await running.client().consulta_ruc(DEMO_RUC)).result.found  # anonymous: as before
