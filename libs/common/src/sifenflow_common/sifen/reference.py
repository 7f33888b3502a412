"""Where the official SIFEN reference bundle (XSDs, WSDLs, examples, catalogs) lives.

The bundle is never copied into the repository. It is found through the ``SIFEN_REFERENCE_DIR``
environment variable, or by default at ``../shared/sifen`` next to the checkout (looked up from the
current directory, then from the repository root this package was installed from). ``make xsd``
downloads the official XSDs for users that do not have the bundle.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

ENV_VAR = "SIFEN_REFERENCE_DIR"
DEFAULT_RELATIVE = Path("..") / "shared" / "sifen"


class ReferenceBundleMissing(RuntimeError):
    """The SIFEN reference bundle (official XSDs etc.) could not be found."""


def _repo_root() -> Path:
    # libs/common/src/sifenflow_common/sifen/reference.py -> repository root is parents[5]
    return Path(__file__).resolve().parents[5]


def _candidates() -> list[Path]:
    explicit = os.environ.get(ENV_VAR)
    if explicit:
        return [Path(explicit).expanduser()]
    return [
        Path.cwd() / DEFAULT_RELATIVE,
        _repo_root() / DEFAULT_RELATIVE,
        _repo_root() / "build" / "sifen",  # where `make xsd` downloads the official schemas
    ]


@cache
def reference_dir() -> Path:
    """Absolute path of the reference bundle; raises ReferenceBundleMissing when absent."""
    for candidate in _candidates():
        if (candidate / "xsd").is_dir():
            return candidate.resolve()
    tried = ", ".join(str(c) for c in _candidates())
    raise ReferenceBundleMissing(
        f"SIFEN reference bundle not found (tried {tried}); set {ENV_VAR} or run `make xsd`"
    )


def xsd_dir() -> Path:
    return reference_dir() / "xsd"


def wsdl_dir() -> Path:
    return reference_dir() / "wsdl"


def examples_dir() -> Path:
    return reference_dir() / "examples"


def catalogs_dir() -> Path:
    return reference_dir() / "catalogs"
