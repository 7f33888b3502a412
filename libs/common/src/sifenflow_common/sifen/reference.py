"""Where the SIFEN reference data (XSDs, catalogs, WSDLs) comes from.

By default everything ships with the installation: the official v150 XSD set from the PyPI package
``sifen`` (``pysifen/de/schemas/v150/``), the geographic catalog and the simulator's WSDLs from this
package's ``data/`` folder. ``SIFEN_REFERENCE_DIR`` optionally points at a newer official bundle
(``xsd/``, ``catalogs/geografia.csv``, ``wsdl/``); when set, all three come from there.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

ENV_VAR = "SIFEN_REFERENCE_DIR"
PACKAGED_DATA = Path(__file__).resolve().parent / "data"


class ReferenceBundleMissing(RuntimeError):
    """``SIFEN_REFERENCE_DIR`` is set but does not hold an official bundle."""


def override_dir() -> Path | None:
    """The bundle named by ``SIFEN_REFERENCE_DIR``, or None when unset."""
    explicit = os.environ.get(ENV_VAR)
    if not explicit:
        return None
    path = Path(explicit).expanduser().resolve()
    if not (path / "xsd").is_dir():
        raise ReferenceBundleMissing(
            f"{ENV_VAR}={explicit} has no xsd/ folder; unset it to use the packaged data"
        )
    return path


def packaged_xsd_dir() -> Path:
    """The official v150 XSD set shipped by the ``sifen`` package (includes by relative name)."""
    return Path(str(resources.files("pysifen") / "de" / "schemas" / "v150"))


def xsd_dir() -> Path:
    override = override_dir()
    return override / "xsd" if override else packaged_xsd_dir()


def wsdl_dir() -> Path:
    override = override_dir()
    return override / "wsdl" if override else PACKAGED_DATA / "wsdl"


def catalogs_dir() -> Path:
    override = override_dir()
    return override / "catalogs" if override else PACKAGED_DATA
