"""The console's own rendering: the SVG chart, the Spanish labels and the API's errors."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from sifenflow_console.charts import bar_chart
from sifenflow_console.gateway_client import Answer
from sifenflow_console.labels import amount, evento, tipo

pytestmark = pytest.mark.unit
SVG = "{http://www.w3.org/2000/svg}"


def test_the_rejections_chart_scales_bars_to_the_largest_and_escapes_labels() -> None:
    svg = ElementTree.fromstring(bar_chart([("1161", 4), ("<b>", 2)], "Rechazos & más"))
    assert svg.find(f"{SVG}title").text == "Rechazos & más"
    widths = [float(rect.get("width")) for rect in svg.iter(f"{SVG}rect")]
    assert widths[0] == 2 * widths[1]
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert texts == ["1161", "4", "<b>", "2"]  # the label is text, not markup


def test_no_rows_no_chart() -> None:
    assert bar_chart([], "vacío") == ""


def test_amounts_use_paraguayan_separators() -> None:
    assert amount(2970000) == "2.970.000"
    assert amount(1234.5, "USD") == "1.234,50"
    assert amount(None) == "—"


def test_labels_name_types_and_events_in_spanish() -> None:
    assert tipo(5) == "Nota de crédito"
    assert tipo(99) == "Tipo 99"
    assert evento("document.approved") == "Aprobado por SIFEN"
    assert evento("something.new") == "something.new"


def test_the_apis_spanish_messages_are_what_a_form_shows() -> None:
    issues = {"errores": [{"code": "X", "path": "emails", "message": "Dirección inválida"}], "error": "x"}
    assert Answer(400, issues).errors() == ["Dirección inválida"]
    assert Answer(403, {"error": "Sin permiso"}).errors() == ["Sin permiso"]
    assert Answer(502, {}).errors() == ["El servidor respondió 502"]


def test_sifenflow_serve_console_runs_the_console_with_the_gateways_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sifenflow_cli.commands.serve import entry_point
    from sifenflow_console import service

    assert entry_point("console") is service.main
    monkeypatch.setenv("CONSOLE_GATEWAY_URL", "http://gateway:8080")
    assert service.ConsoleSettings().gateway_url == "http://gateway:8080"
