"""The lote file of siRecepLoteDE: a ZIP holding one XML whose root ``rLoteDE`` has 1-50 ``rDE``.

sifen-protocol.md §2.2 / MT v150 §7.2.2.2: one XML declaration for the whole file (each rDE's own is
stripped), ``rLoteDE`` without namespace (as both peers send it), each ``rDE`` carrying its own
``xmlns``, all DEs of one ``iTiDE``, at most 50. ZIP (deflate), never gzip.
"""

from __future__ import annotations

import base64
import io
import re
import zipfile
from collections.abc import Sequence

from lxml import etree

from sifenflow_common.sifen.soap.envelope import (
    XML_DECLARATION,
    SoapParseError,
    local_name,
    parse_xml,
    strip_declaration,
)

MAX_DE_PER_LOTE = 50
LOTE_ENTRY_NAME = "lote.xml"
_ITIDE_RE = re.compile(rb"<(?:[\w.-]+:)?iTiDE>\s*(\d+)\s*</")


class LoteError(ValueError):
    """A lote that SIFEN would refuse before processing; ``code`` is a stable UPPER_SNAKE code."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


def document_type(rde_xml: bytes) -> int | None:
    """``iTiDE`` of a serialized rDE (fast scan, no parse)."""
    match = _ITIDE_RE.search(rde_xml)
    return int(match.group(1)) if match else None


def lote_file(rde_xmls: Sequence[bytes]) -> bytes:
    """The ``rLoteDE`` XML file (with its single declaration) for 1-50 signed rDE of one type."""
    if not rde_xmls:
        raise LoteError("LOTE_VACIO", "El lote debe contener al menos un DE")
    if len(rde_xmls) > MAX_DE_PER_LOTE:
        raise LoteError(
            "LOTE_EXCEDE_50", f"El lote contiene {len(rde_xmls)} DE; el máximo es {MAX_DE_PER_LOTE}"
        )
    types = {document_type(x) for x in rde_xmls}
    if len(types) > 1:
        found = ", ".join(sorted(str(t) for t in types))
        raise LoteError("LOTE_TIPOS_DISTINTOS", f"Lote con tipos distintos de DE (iTiDE {found})")
    parts = [XML_DECLARATION, b"<rLoteDE>"]
    parts.extend(strip_declaration(x) for x in rde_xmls)
    parts.append(b"</rLoteDE>")
    return b"".join(parts)


def pack_lote(rde_xmls: Sequence[bytes], *, compresslevel: int = 6) -> bytes:
    """ZIP archive (deflate) holding the lote file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as archive:
        archive.writestr(LOTE_ENTRY_NAME, lote_file(rde_xmls))
    return buffer.getvalue()


def encode_lote(rde_xmls: Sequence[bytes]) -> str:
    """Base64 text of the ZIP, as ``rEnvioLote/xDE`` carries it."""
    return base64.b64encode(pack_lote(rde_xmls)).decode("ascii")


def unpack_lote(zip_bytes: bytes) -> list[etree._Element]:
    """The rDE elements of a received lote ZIP (first entry of the archive), in order."""
    try:
        with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
            names = archive.namelist()
            if not names:
                raise LoteError("LOTE_ZIP_VACIO", "El archivo ZIP del lote está vacío")
            content = archive.read(names[0])
    except zipfile.BadZipFile as exc:
        raise LoteError("LOTE_ZIP_INVALIDO", f"xDE no es un archivo ZIP válido: {exc}") from exc
    try:
        root = parse_xml(content)
    except SoapParseError as exc:
        raise LoteError("LOTE_XML_MALFORMADO", f"XML del lote malformado: {exc.detail}") from exc
    if local_name(root) == "rDE":
        return [root]
    if local_name(root) != "rLoteDE":
        raise LoteError("LOTE_RAIZ_INVALIDA", f"Raíz del lote '{local_name(root)}'; se esperaba rLoteDE")
    return [c for c in root if local_name(c) == "rDE"]
