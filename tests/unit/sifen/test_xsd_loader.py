"""The official schemas compile from the packaged set (offline), with the documented dEntCont correction."""

import pytest
from lxml import etree

from sifenflow_common.sifen import xsd
from sifenflow_common.sifen.dv import dv11
from sifenflow_common.sifen.reference import xsd_dir

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "name",
    [
        xsd.SCHEMA_RDE,
        xsd.SCHEMA_EVENT,
        xsd.SCHEMA_WS_RECEP_DE,
        xsd.SCHEMA_WS_RECEP_LOTE,
        xsd.SCHEMA_WS_CONS_LOTE,
        xsd.SCHEMA_WS_CONS_DE,
        xsd.SCHEMA_WS_CONS_RUC,
        xsd.SCHEMA_WS_RECEP_EVENTO,
    ],
)
def test_official_schema_compiles_offline(name: str) -> None:
    assert isinstance(xsd.load_schema(name), etree.XMLSchema)


def test_dentcont_trailing_space_is_corrected_in_memory() -> None:
    published = (xsd_dir() / "DE_v150.xsd").read_bytes()
    assert b'name="dEntCont "' in published  # the defect is in the published file...
    corrected = xsd._read_corrected(xsd_dir() / "DE_v150.xsd")
    assert b'name="dEntCont "' not in corrected  # ...and not in what we compile
    assert b'name="dEntCont"' in corrected


def test_invalid_document_reports_errors() -> None:
    doc = etree.fromstring(b'<rDE xmlns="http://ekuatia.set.gov.py/sifen/xsd"><dVerFor>150</dVerFor></rDE>')
    errors = xsd.schema_errors(doc, xsd.SCHEMA_RDE)
    assert errors and "DE" in errors[0].message


@pytest.mark.parametrize(
    ("body", "dv"),
    [
        # MT v150 §10.1 / §13.8.4 example CDC (protocol digest T1)
        ("0144444401700100100145282201701251587326098", 8),
        # official examples FE, AFE, NC, ND, NRE (T2–T6)
        ("0180013884800100112345641201812181781979223", 9),
        ("0480004464900100190001872201909011720014640", 4),
        ("0500929023000100100000521201904091000000034", 5),
        ("0600929023000100100000261201904091781979223", 2),
        ("0780004464900100190001832201903121720014640", 3),
        # RUC DVs (T9)
        ("80013884", 8),
        ("80002201", 7),
        ("80089752", 8),
    ],
)
def test_module11_dv_matches_manual_vectors(body: str, dv: int) -> None:
    assert dv11(body) == dv


def test_schemas_compiled_from_several_threads_all_resolve_their_includes() -> None:
    # The simulator validates in worker threads: every compile must resolve includes offline.
    from concurrent.futures import ThreadPoolExecutor

    names = [xsd.SCHEMA_RDE, xsd.SCHEMA_EVENT, xsd.SCHEMA_WS_CONS_DE, xsd.SCHEMA_WS_RECEP_LOTE] * 2

    def compile_one(name: str) -> etree.XMLSchema:
        path = xsd_dir() / name
        return xsd.compile_schema(xsd._read_corrected(path), path)

    with ThreadPoolExecutor(max_workers=4) as pool:
        schemas = list(pool.map(compile_one, names))
    assert all(isinstance(s, etree.XMLSchema) for s in schemas)


def test_a_schema_compiled_while_another_thread_parses_still_resolves_its_includes() -> None:
    """lxml swaps one process-wide loader around every parse with a parser of its own, so a
    compilation that relied on a custom resolver could lose an include to a parse racing in
    another thread (seen in the simulator and in CI: "Failed to load the document
    …FE_Types_v141.xsd"). Schemas are compiled from a localized copy of the bundle instead."""
    import threading

    stop = threading.Event()

    def parse_until_stopped() -> None:
        parser = etree.XMLParser(no_network=True, resolve_entities=False)
        while not stop.is_set():
            etree.fromstring(b"<a><b>x</b></a>", parser)

    parsing = threading.Thread(target=parse_until_stopped)
    parsing.start()
    try:
        for _ in range(30):
            xsd.load_schema.cache_clear()
            assert isinstance(xsd.load_schema(xsd.SCHEMA_WS_CONS_LOTE), etree.XMLSchema)
    finally:
        stop.set()
        parsing.join()
        xsd.load_schema.cache_clear()
