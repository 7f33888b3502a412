"""Validation and recording of one DE (siRecepDE, and each DE of a lote)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from cryptography import x509
from lxml import etree

from sifenflow_common.sifen.soap import EstadoResultado, ProtDe, ResultMessage
from sifenflow_sifen_sim.checks import Check, CheckContext, default_checks, is_pure
from sifenflow_sifen_sim.clock import Clock
from sifenflow_sifen_sim.document import DeFields
from sifenflow_sifen_sim.precheck import Precheck, run_pure
from sifenflow_sifen_sim.registry import Registry
from sifenflow_sifen_sim.store import Store

APPROVED_MESSAGE = ResultMessage("0260", "Autorización del DE satisfactoria")


class DocumentValidator:
    """Runs the checks and stores the outcome; approvals are serialized so duplicates cannot race."""

    def __init__(
        self,
        store: Store,
        registry: Registry,
        clock: Clock,
        checks: Sequence[Check] | None = None,
        *,
        trusted_roots: Sequence[x509.Certificate] | None = None,
    ) -> None:
        self.store = store
        self.registry = registry
        self.clock = clock
        self.checks: list[Check] = list(checks if checks is not None else default_checks(trusted_roots))
        self._lock = threading.Lock()

    def validate(self, rde: etree._Element, *, lote: int | None = None) -> ProtDe:
        """Every check in this process (siRecepDE)."""
        pre = run_pure(rde, self.clock.local_naive(), self.registry, self.checks)
        return self.finish(pre, lote=lote)

    def finish(self, pre: Precheck, *, lote: int | None = None) -> ProtDe:
        """Run the stateful checks in SIFEN's order after the pure ones, then store the outcome."""
        fields = DeFields(cdc=pre.cdc, values=pre.values)
        pure_results = iter(pre.results)
        with self._lock:
            now = self.clock.now()
            ctx = CheckContext(
                rde=None,
                xml=pre.xml,
                fields=fields,
                now_local=now.replace(tzinfo=None),
                registry=self.registry,
                store=self.store,
            )
            rejection: ResultMessage | None = None
            for check in self.checks:
                outcome = next(pure_results, None) if is_pure(check) else check(ctx)
                if outcome is not None:
                    rejection = outcome
                    break
            with self.store.transaction() as conn:
                if rejection is None:
                    protocol: int | None = self.store.next_number("protocol", conn)
                    observed = bool(pre.observations)
                    status = (
                        EstadoResultado.APROBADO_CON_OBSERVACION if observed else EstadoResultado.APROBADO
                    )
                    messages: tuple[ResultMessage, ...] = (APPROVED_MESSAGE, *pre.observations)
                else:
                    protocol = None
                    status = EstadoResultado.RECHAZADO
                    messages = (rejection,)
                if fields.cdc:
                    self.store.save_document(
                        conn,
                        cdc=fields.cdc,
                        fields=fields.number_key(),
                        status=status.value,
                        code=messages[0].code,
                        message=messages[0].message,
                        protocol=protocol,
                        digest=pre.digest,
                        xml=pre.xml,
                        received_at=now,
                        lote=lote,
                    )
        return ProtDe(
            cdc=fields.cdc or None,
            processed_at=now,
            digest_value=pre.digest,
            status=status.value,
            protocol=protocol,
            messages=messages,
        )
