"""The few fields of an rDE the simulator needs, read by local name in one pass (prefix-tolerant)."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from sifenflow_common.sifen.namespaces import DSIG_NS, SIFEN_NS

_WANTED = frozenset(
    {
        "dDVId", "dFecFirma", "iTipEmi", "dCodSeg", "iTiDE", "dNumTim", "dEst", "dPunExp", "dNumDoc",
        "dSerieNum", "dFeIniT", "dFeFinT", "dFeEmiDE", "dRucEm", "dDVEmi", "iTipCont", "DigestValue",
        "dCarQR", "dVerFor", "iNatRec", "iTiOpe", "iTipIDRec", "iTipTra", "cMoneOpe",
        "dTotGralOpe", "dTotalGs",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DeFields:
    cdc: str  # DE/@Id
    values: dict[str, str]

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    @property
    def itide(self) -> int:
        value = self.get("iTiDE")
        return int(value) if value.isdigit() else 0

    @property
    def ruc(self) -> str:
        return self.get("dRucEm")

    def number_key(self) -> dict[str, str | int]:
        """The 1002 uniqueness key (sifen-protocol.md §9) plus the emisor RUC."""
        return {
            "ruc": self.ruc,
            "itide": self.itide,
            "timbrado": self.get("dNumTim"),
            "est": self.get("dEst"),
            "pun": self.get("dPunExp"),
            "num": self.get("dNumDoc"),
            "serie": self.get("dSerieNum"),
            "tip_emi": self.get("iTipEmi"),
        }


# Tag filter evaluated by lxml in C: the SIFEN (or xmldsig) namespace, or none at all (lenient).
_TAGS = tuple(
    [f"{{{SIFEN_NS}}}{n}" for n in (*_WANTED, "DE")]
    + [f"{{{DSIG_NS}}}DigestValue"]
    + [n for n in (*_WANTED, "DE")]
)


def read_fields(rde: etree._Element) -> DeFields:
    values: dict[str, str] = {}
    cdc = ""
    for element in rde.iter(*_TAGS):
        tag = element.tag
        assert isinstance(tag, str)
        name = tag[tag.find("}") + 1 :]
        if name == "DE":
            if not cdc:
                cdc = (element.get("Id") or "").strip()
        elif name not in values:
            values[name] = (element.text or "").strip()
    return DeFields(cdc=cdc, values=values)
