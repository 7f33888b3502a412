"""The port the sender depends on (style.md §10 rule 5): ``SifenClient`` implements it; tests may
pass any object with these six coroutines (e.g. a client pointed at an in-process simulator)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sifenflow_common.sifen import soap
from sifenflow_common.sifen_client.client import SifenCall


class SifenPort(Protocol):
    async def recepcion_de(self, rde_xml: bytes, *, d_id: int | None = None) -> SifenCall[soap.ProtDe]: ...

    async def recepcion_lote(
        self, rde_xmls: Sequence[bytes], *, d_id: int | None = None
    ) -> SifenCall[soap.RecepcionLoteResult]: ...

    async def consulta_lote(
        self, lote_number: int, *, d_id: int | None = None
    ) -> SifenCall[soap.ConsultaLoteResult]: ...

    async def consulta_de(self, cdc: str, *, d_id: int | None = None) -> SifenCall[soap.ConsultaDeResult]: ...

    async def consulta_ruc(
        self, ruc: str, *, d_id: int | None = None
    ) -> SifenCall[soap.ConsultaRucResult]: ...

    async def recepcion_evento(
        self, ges_eve_xmls: Sequence[bytes], *, d_id: int | None = None
    ) -> SifenCall[soap.RecepcionEventoResult]: ...
