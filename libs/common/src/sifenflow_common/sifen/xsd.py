"""Loading and applying the official SIFEN XML schemas (the packaged set, or ``SIFEN_REFERENCE_DIR``).

The published schemas ``xs:include`` each other by absolute URL
(``https://ekuatia.set.gov.py/sifen/xsd/NAME``), the packaged ones by relative name; the loader
compiles from a private copy of the set where both point at local files, so no network is used.
One published defect is corrected in that copy only: ``DE_v150.xsd`` declares the element
``gCompPub/dEntCont`` with a trailing space (``"dEntCont "``), so no B2G document carrying
``gCompPub`` could ever validate. The loader renames it to ``dEntCont`` (documented in
docs/sifen-reference.md); the reference files are never modified.
"""

from __future__ import annotations

import atexit
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lxml import etree

from sifenflow_common.sifen.namespaces import OFFICIAL_XSD_BASE_URL
from sifenflow_common.sifen.reference import xsd_dir

# Schemas whose published text needs an in-memory correction: file name -> (wrong, right).
_CORRECTIONS: dict[str, list[tuple[bytes, bytes]]] = {
    "DE_v150.xsd": [(b'name="dEntCont "', b'name="dEntCont"')],
    "DE_Ekuatiai_v150.xsd": [(b'name="dEntCont "', b'name="dEntCont"')],
}

# Entry points by purpose (MT v150: siRecepDE for an rDE, siRecepEvento for events, WS envelopes).
SCHEMA_RDE = "siRecepDE_v150.xsd"
SCHEMA_EVENT = "siRecepEvento_v150.xsd"
SCHEMA_WS_RECEP_DE = "WS_SiRecepDE_v150.xsd"
SCHEMA_WS_RECEP_LOTE = "WS_SiRecepLoteDE_v141.xsd"
SCHEMA_WS_CONS_LOTE = "WS_SiConsLote_v141.xsd"
SCHEMA_WS_CONS_DE = "WS_SiConsDE_v141.xsd"
SCHEMA_WS_CONS_RUC = "WS_SiConsRUC_v141.xsd"
SCHEMA_WS_RECEP_EVENTO = "WS_SiRecepEvento_v150.xsd"

_lock = threading.Lock()


def _read_corrected(path: Path) -> bytes:
    data = path.read_bytes()
    for wrong, right in _CORRECTIONS.get(path.name, []):
        data = data.replace(wrong, right)
    return data


_SCHEMA_LOCATION = re.compile(rb"""schemaLocation\s*=\s*(["'])([^"']+)\1""")


def _localized(text: bytes, directory: Path) -> bytes:
    """``text`` with every ``schemaLocation`` naming a bundle file (by its published URL, a relative
    name or another path) pointing at that file's copy in ``directory``."""

    def local(match: re.Match[bytes]) -> bytes:
        name = match.group(2).decode().strip()
        if name.startswith(OFFICIAL_XSD_BASE_URL):
            name = name[len(OFFICIAL_XSD_BASE_URL) :]
        target = directory / Path(name).name
        return b'schemaLocation="' + str(target).encode() + b'"' if target.is_file() else match.group(0)

    return _SCHEMA_LOCATION.sub(local, text)


@cache
def _local_bundle() -> Path:
    """A private copy of the reference XSDs, corrected and with every include/import pointing at
    a local file, made once per process. Compiling from it needs no custom resolver: lxml's
    resolvers go through one process-wide loader that any parse in another thread swaps for a
    moment, and a compilation racing with such a parse lost its include ("Failed to load the
    document …FE_Types_v141.xsd"); local files load with any loader."""
    source = xsd_dir()
    target = Path(tempfile.mkdtemp(prefix="sifenflow-xsd-"))
    atexit.register(shutil.rmtree, target, ignore_errors=True)
    for path in source.glob("*.xsd"):
        (target / path.name).write_bytes(_read_corrected(path))
    for path in target.glob("*.xsd"):
        path.write_bytes(_localized(path.read_bytes(), target))
    return target


def compile_schema(text: bytes, base_url: Path) -> etree.XMLSchema:
    """Compile a schema whose includes/imports come from the local bundle (never the network)."""
    with _lock:
        parser = etree.XMLParser(no_network=True, resolve_entities=False)
        doc = etree.fromstring(_localized(text, _local_bundle()), parser, base_url=str(base_url))
        return etree.XMLSchema(etree.ElementTree(doc))


@cache
def load_schema(name: str) -> etree.XMLSchema:
    """Compile one official schema (e.g. ``siRecepDE_v150.xsd``) with includes resolved locally."""
    path = _local_bundle() / name
    if not path.is_file():
        raise FileNotFoundError(xsd_dir() / name)
    return compile_schema(path.read_bytes(), path)


def preload(*names: str) -> None:
    """Compile ``names`` now, e.g. before a service starts answering."""
    for name in names:
        load_schema(name)


@dataclass(frozen=True, slots=True)
class SchemaError:
    line: int
    element: str
    message: str

    def __str__(self) -> str:
        return f"línea {self.line}: {self.message}"


def schema_errors(document: etree._Element | etree._ElementTree, schema_name: str) -> list[SchemaError]:
    """All XSD violations of ``document`` against ``schema_name`` (empty list when valid)."""
    schema = load_schema(schema_name)
    if schema.validate(document):
        return []
    return [SchemaError(line=e.line, element=e.path or "", message=e.message) for e in schema.error_log]


def assert_valid(document: etree._Element | etree._ElementTree, schema_name: str) -> None:
    """Raise ``XsdValidationError`` listing every violation when the document is not valid."""
    errors = schema_errors(document, schema_name)
    if errors:
        raise XsdValidationError(errors)


class XsdValidationError(ValueError):
    def __init__(self, errors: list[SchemaError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors[:5]))
