"""Fixtures of the signing tests: one test CA per session and PKCS#12 files issued from it."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sifenflow_common.sifen.certificates import SigningCredentials, load_pkcs12
from sifenflow_common.sifen.test_ca import TestCA, ensure_test_ca, issue_test_p12
from tests.fixtures.signing.unsigned_rde import RdeSpec, unsigned_rde

PASSWORD = "clave-de-prueba"
# Paraguay local time of the signatures made in the tests; certificates below cover it.
SIGNED_AT = datetime(2026, 11, 20, 10, 20, 0)
VALID_FROM = datetime(2025, 1, 1, tzinfo=UTC)
CSC = "ABCD0000000000000000000000000000"  # MT v150 §13.8.3 generic test CSC, IdCSC 0001


@dataclass(frozen=True)
class Pkcs12File:
    data: bytes
    password: str


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    return ensure_test_ca(tmp_path_factory.mktemp("test-ca"))


@pytest.fixture(scope="session")
def p12(test_ca: TestCA) -> Pkcs12File:
    data = issue_test_p12(
        test_ca,
        ruc="80069563-1",
        name="EMPRESA S.A.",
        password=PASSWORD,
        not_before=VALID_FROM,
        valid_days=3650,
    )
    return Pkcs12File(data, PASSWORD)


@pytest.fixture(scope="session")
def credentials(p12: Pkcs12File) -> SigningCredentials:
    return load_pkcs12(p12.data, p12.password)


@pytest.fixture(scope="session")
def expired_credentials(test_ca: TestCA) -> SigningCredentials:
    data = issue_test_p12(
        test_ca,
        ruc="80069563-1",
        name="EMPRESA S.A.",
        password=PASSWORD,
        not_before=VALID_FROM,
        valid_days=30,
    )
    return load_pkcs12(data, PASSWORD)


@pytest.fixture(scope="session")
def other_ruc_credentials(test_ca: TestCA) -> SigningCredentials:
    data = issue_test_p12(
        test_ca,
        ruc="80002201-7",
        name="OTRA EMPRESA S.A.",
        password=PASSWORD,
        not_before=VALID_FROM,
        valid_days=3650,
    )
    return load_pkcs12(data, PASSWORD)


@pytest.fixture(scope="session")
def unsigned_fe() -> bytes:
    return unsigned_rde(RdeSpec(items=10))


@pytest.fixture(scope="session")
def xmlsec1() -> str:
    """Path of Debian's xmlsec1, the independent verifier. Missing → the tests fail, loudly."""
    path = shutil.which("xmlsec1")
    if path is None:
        pytest.fail(
            "xmlsec1 no está instalado: apt-get install -y xmlsec1 (verificador independiente requerido)"
        )
    return path


def xmlsec1_verify(
    xmlsec1: str, xml: bytes, tmp_path: Path, *, id_node: str = "DE", ca: TestCA | None = None
) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "signed.xml"
    path.write_bytes(xml)
    command = [xmlsec1, "--verify", "--id-attr:Id", id_node]
    if ca is not None:
        ca_path = tmp_path / "ca.pem"
        ca_path.write_bytes(ca.certificate_pem)
        command += ["--trusted-pem", str(ca_path)]
    else:
        command += ["--insecure"]
    command.append(str(path))
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
