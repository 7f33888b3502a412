"""Download the official SIFEN XSDs (the published index) for users without ../shared/sifen.

Usage: python scripts/fetch_xsd.py build/sifen/xsd
The files are saved unmodified; sifenflow finds them at build/sifen (see docs/sifen-reference.md).
"""

from __future__ import annotations

import sys
import urllib.request
from pathlib import Path

BASE_URL = "https://ekuatia.set.gov.py/sifen/xsd/"
NAMES = (
    "DE_Ekuatiai_v150.xsd",
    "DE_Types_v150.xsd",
    "DE_v150.xsd",
    "Departamentos_v141.xsd",
    "EventoCanc_v141.xsd",
    "EventoInut_v141.xsd",
    "Evento_Types_v141.xsd",
    "Evento_Types_v150.xsd",
    "Evento_v141.xsd",
    "Evento_v150.xsd",
    "FE_Types_v141.xsd",
    "FE_v141.xsd",
    "Monedas_v100.xsd",
    "Monedas_v150.xsd",
    "Paises_v100.xsd",
    "RecEventoCanc_v141.xsd",
    "RecEventoInut_v141.xsd",
    "SIFEN_Types_v141.xsd",
    "Unidades_Medida_v141.xsd",
    "WS_ConsultaArchivoRuc.xsd",
    "WS_SiConsDE_v141.xsd",
    "WS_SiConsDTE.xsd",
    "WS_SiConsDTEAsync.xsd",
    "WS_SiConsLote_v141.xsd",
    "WS_SiConsRUC_v141.xsd",
    "WS_SiRecepDE_v141.xsd",
    "WS_SiRecepDE_v150.xsd",
    "WS_SiRecepEvento_v141.xsd",
    "WS_SiRecepEvento_v150.xsd",
    "WS_SiRecepLoteDE_v141.xsd",
    "protProcesDE_v141.xsd",
    "protProcesDE_v150.xsd",
    "protProcesEventos_v141.xsd",
    "siConsultaArchivoRuc.xsd",
    "siConsultaDTE.xsd",
    "siConsultaDTEAsync.xsd",
    "siRecepDE_Ekuatiai_v150.xsd",
    "siRecepDE_v141.xsd",
    "siRecepDE_v150.xsd",
    "siRecepEventoEmisor_v150.xsd",
    "siRecepEventoReceptor_v150.xsd",
    "siRecepEventoSet_v150.xsd",
    "siRecepEvento_v141.xsd",
    "siRecepEvento_v150.xsd",
    "siRecepRDE_Ekuatiai_v150.xsd",
    "siRecepRDE_v150.xsd",
    "xmldsig-core-schema.xsd",
)


def main(target: str) -> int:
    directory = Path(target)
    directory.mkdir(parents=True, exist_ok=True)
    failed = []
    for name in NAMES:
        path = directory / name
        if path.exists():
            continue
        try:
            with urllib.request.urlopen(BASE_URL + name, timeout=30) as response:
                path.write_bytes(response.read())
            print(f"ok   {name}")
        except OSError as exc:
            failed.append(name)
            print(f"FAIL {name}: {exc}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build/sifen/xsd"))
