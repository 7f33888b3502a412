"""``sifenflow xml sign`` and ``sifenflow xml verify``: sign an rDE (with its QR) and check one."""

from __future__ import annotations

import json
import sys

import click
from cryptography import x509

from sifenflow_cli.commands._signing_output import fail_one, read_file
from sifenflow_common.sifen.certificates import CertificateError, load_pkcs12
from sifenflow_common.sifen.qr import Environment, sign_rde_with_qr, verify_qr
from sifenflow_common.sifen.signature import SignatureInputError, verify_rde

PARENT = "xml"

_ENVIRONMENTS: dict[str, Environment] = {
    "test": "test",
    "simulado": "simulado",
    "prod": "produccion",
    "produccion": "produccion",
}


@click.command("sign")
@click.argument("unsigned", type=click.Path(dir_okay=False))
@click.option(
    "--p12", "p12_path", required=True, type=click.Path(dir_okay=False), help="Certificado .p12/.pfx"
)
@click.option("--password", envvar="SIFENFLOW_P12_PASSWORD", required=True, help="Contraseña del PKCS#12")
@click.option("--csc-id", required=True, help="IdCSC (hasta 4 dígitos, p. ej. 0001)")
@click.option("--csc", envvar="SIFENFLOW_CSC", required=True, help="CSC secreto emitido por la SET")
@click.option("--env", "env", type=click.Choice(sorted(_ENVIRONMENTS)), default="test", show_default=True)
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Archivo de salida (por defecto stdout)")
def sign(
    unsigned: str, p12_path: str, password: str, csc_id: str, csc: str, env: str, out: str | None
) -> None:
    """Firma UNSIGNED.xml (rDE) y agrega el QR; imprime el rDE firmado."""
    xml = read_file(unsigned, "UNSIGNED")
    try:
        credentials = load_pkcs12(read_file(p12_path, "--p12"), password)
        signed = sign_rde_with_qr(xml, credentials, csc_id=csc_id, csc=csc, environment=_ENVIRONMENTS[env])
    except CertificateError as exc:
        fail_one(exc.code, "--p12", exc.message)
    except SignatureInputError as exc:
        fail_one(exc.code, "UNSIGNED" if not exc.code.startswith("CSC") else "--csc-id", exc.message)
    if out:
        with open(out, "wb") as handle:
            handle.write(signed)
    else:
        sys.stdout.buffer.write(signed + b"\n")
        sys.stdout.flush()


@click.command("verify")
@click.argument("signed", type=click.Path(dir_okay=False))
@click.option("--csc", envvar="SIFENFLOW_CSC", help="CSC para verificar también el hash del QR")
@click.option(
    "--ca",
    "ca_files",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="Certificado raíz de confianza (PEM); repetible. Sin --ca no se verifica la cadena.",
)
@click.option("--json", "as_json", is_flag=True, help="Salida JSON")
def verify(signed: str, csc: str | None, ca_files: tuple[str, ...], as_json: bool) -> None:
    """Verifica la firma (y el QR con --csc) de SIGNED.xml; sale con código 1 ante cualquier falla."""
    xml = read_file(signed, "SIGNED")
    roots: list[x509.Certificate] | None = None
    if ca_files:
        roots = []
        for path in ca_files:
            try:
                roots.extend(x509.load_pem_x509_certificates(read_file(path, "--ca")))
            except ValueError:
                fail_one("CA_INVALIDA", "--ca", f"{path} no contiene certificados PEM")
    report = verify_rde(xml, trusted_roots=roots)
    checks = [(c.name, c.ok, c.detail) for c in report.checks]
    if csc:
        qr_ok = verify_qr(xml, csc)
        checks.append(
            ("qr", qr_ok, "cHashQR y datos del QR coinciden" if qr_ok else "QR no coincide con el DE")
        )
    ok = all(c[1] for c in checks)
    if as_json:
        payload = {
            "ok": ok,
            "cdc": report.cdc,
            "digest_value": report.digest_value,
            "certificate_ruc": report.certificate_ruc,
            "checks": [{"name": n, "ok": o, "detail": d} for n, o, d in checks],
        }
        click.echo(json.dumps(payload, ensure_ascii=False))
    else:
        click.echo(f"CDC {report.cdc or '?'}  RUC certificado {report.certificate_ruc or '?'}")
        for name, passed, detail in checks:
            click.echo(f"{'OK   ' if passed else 'FALLA'} {name}: {detail}")
        click.echo("Firma válida" if ok else "Documento NO válido")
    if not ok:
        sys.exit(1)


commands = [sign, verify]
